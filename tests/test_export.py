"""Exporting every match: Index.search_all, the JSON Lines and CSV writer, `query --all`
and `GET /export` (the same matches, order and filters as paging through a search)."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from typer.testing import CliRunner

from searchkit.cli import app
from searchkit.errors import InvalidParameterError, QuerySyntaxError
from searchkit.export import EXPORT_FIELDS, export_row, export_text

SEARCHES = [
    ("nông thôn", {}),
    ("giao thông OR hải phòng", {}),
    ("giao thông OR hải phòng", {"sort": "date"}),
    ("hà nội OR hải phòng", {"author": "Tran Thi Binh"}),
    ("mới", {"since": "2023-01-01", "until": "2023-03-31"}),
    ("mới", {"category": "kinh tế", "sort": "date"}),
    ("thôn mơi", {}),  # relaxed, with a note
]


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())  # a spreadsheet reads it as UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("q, options", SEARCHES)
def test_every_match_in_the_order_of_the_pages(ix, q, options):
    paged = ix.search(q, limit=100, **options)
    with ix.search_all(q, **options) as matches:
        hits = list(matches)
        assert matches.total == paged.total == len(hits)
        assert matches.notes == paged.notes and matches.relaxed == paged.relaxed
    assert paged.total, q  # each search finds something, so the comparison means something
    assert [h.to_dict() for h in hits] == [h.to_dict() for h in paged.hits]


def test_search_all_refuses_what_search_refuses(ix):
    with pytest.raises(QuerySyntaxError):
        ix.search_all("()")
    with pytest.raises(InvalidParameterError):
        ix.search_all("mới", since="soon")
    with pytest.raises(InvalidParameterError):
        ix.search_all("mới", sort="oldest")  # type: ignore[arg-type]


def test_jsonl_and_csv_rows(ix):
    hits = list(ix.search_all("nông thôn"))
    lines = "".join(export_text(hits, "jsonl")).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [list(r) for r in rows] == [list(EXPORT_FIELDS)] * len(hits)
    assert rows == [export_row(h) for h in hits]
    assert rows[0]["summary"] == hits[0].summary and rows[0]["passage"] == hits[0].snippet

    table = _csv_rows("".join(export_text(hits, "csv")).encode("utf-8"))
    assert [list(r) for r in table] == [list(EXPORT_FIELDS)] * len(hits)
    for row, hit in zip(table, hits):
        assert row["title"] == hit.title and row["author"] == hit.author  # Vietnamese intact
        assert row["summary"].split("\n") == hit.summary  # a sentence a line, in one cell
        assert float(row["score"]) == hit.score and row["passage"] == hit.snippet


def test_export_streams_in_pieces(ix):
    """The writer hands out text while hits still come: it never holds the whole export."""
    hit = ix.search("nông thôn", limit=1).hits[0]
    taken = 0

    def hits():
        nonlocal taken
        for h in itertools.repeat(hit, 2000):
            taken += 1
            yield h

    for form in ("jsonl", "csv"):
        taken = 0
        pieces = export_text(hits(), form)
        first = next(pieces)
        assert 0 < taken < 2000 and first
        rest = list(pieces)
        assert taken == 2000 and len(rest) > 1
        assert "".join([first, *rest]).count(hit.id) >= 2000


def test_unknown_format(ix):
    with pytest.raises(InvalidParameterError, match="jsonl or csv"):
        list(export_text([], "xml"))


# -- the command ------------------------------------------------------------------------------


def _run(*args: str):
    return CliRunner().invoke(app, ["query", *args])


def test_query_all_writes_every_match(ix, built_index):
    expected = [export_row(h) for h in ix.search_all("giao thông OR hải phòng", sort="date")]
    done = _run("giao thông OR hải phòng", "--index", str(built_index), "--all", "--sort", "date")
    assert done.exit_code == 0, done.output
    assert [json.loads(line) for line in done.stdout.splitlines()] == expected

    done = _run("giao thông OR hải phòng", "--index", str(built_index), "--all", "--format", "csv")
    assert done.exit_code == 0, done.output
    rows = _csv_rows(done.stdout_bytes)
    assert [r["id"] for r in rows] == [h.id for h in ix.search("giao thông OR hải phòng", limit=100)]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "csv"], "--format goes with --all"),
        (["--all", "--limit", "5"], "drop --limit"),
        (["--all", "--json"], "drop --json"),
        (["--all", "--format", "xml"], "jsonl or csv"),
        (["--all", "--since", "soon"], "since"),
    ],
)
def test_query_all_bad_usage_is_one_line_and_exit_2(built_index, args, message):
    done = _run("nông thôn", "--index", str(built_index), *args)
    assert done.exit_code == 2, done.output
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not done.stdout


def test_query_all_without_a_word_is_exit_1(built_index):
    done = _run("( -- )", "--index", str(built_index), "--all")
    assert done.exit_code == 1 and "empty query" in done.stderr and not done.stdout


# -- over HTTP ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local(built_index):
    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    with TestClient(create_app(built_index)) as client:
        yield client


@pytest.mark.parametrize("q, options", SEARCHES)
def test_export_has_the_matches_of_search(local, q, options):
    found = local.get("/search", params={"q": q, "limit": 100, **options}).json()
    jsonl = local.get("/export", params={"q": q, **options})
    assert jsonl.status_code == 200, jsonl.text
    assert jsonl.headers["content-type"] == "application/x-ndjson; charset=utf-8"
    assert jsonl.headers["x-total-count"] == str(found["total"])
    rows = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["id"] for r in rows] == [h["id"] for h in found["hits"]]
    assert [r["passage"] for r in rows] == [h["snippet"] for h in found["hits"]]
    assert [r["summary"] for r in rows] == [h["summary"] for h in found["hits"]]

    table = local.get("/export", params={"q": q, "format": "csv", **options})
    assert table.status_code == 200
    assert table.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="searchkit-export.csv"' in table.headers["content-disposition"]
    assert [r["id"] for r in _csv_rows(table.content)] == [h["id"] for h in found["hits"]]


def test_export_errors_are_json_with_their_status(local):
    for params, status in (
        ({"q": "()"}, 400),
        ({"q": "mới", "format": "xml"}, 422),
        ({"q": "mới", "since": "soon"}, 422),
        ({"q": "x" * 1001}, 422),
        ({}, 422),
    ):
        response = local.get("/export", params=params)
        assert response.status_code == status, (params, response.text)
        assert list(response.json()) == ["error"]


def test_an_export_reads_one_state_of_the_index(tmp_path):
    """Re-indexing while an export runs neither adds, drops nor repeats rows: the export
    reads the index as it was when it started."""
    from conftest import write_records

    from searchkit import index_paths, open_index

    def records(first: int, count: int) -> list[dict]:
        return [
            {"id": f"cau-{i:03d}", "title": f"Cầu vượt số {i}", "body": f"Cầu vượt số {i} thông xe."}
            for i in range(first, first + count)
        ]

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_records(corpus / "a.jsonl", records(0, 30))
    index_paths([corpus], tmp_path / "index", jobs=1)
    with open_index(tmp_path / "index") as ix, ix.search_all("cầu vượt", sort="date") as matches:
        rows = iter(matches)
        seen = [next(rows).id]
        write_records(corpus / "b.jsonl", records(30, 30))  # committed while the export runs
        (corpus / "a.jsonl").unlink()
        index_paths([corpus], tmp_path / "index", jobs=1)
        seen += [hit.id for hit in rows]
        assert ix.search("cầu vượt").total == 30 and ix.search("cầu vượt", limit=1).hits[0].id >= "cau-030"
    assert matches.total == 30 and sorted(seen) == [f"cau-{i:03d}" for i in range(30)]


def test_reading_a_stored_document_does_not_copy_its_segment(ix):
    """Whoosh copied a compound segment's whole stored-documents column into memory to
    read one document (store._LazyBufferFile): reading now leaves the column mapped."""
    from searchkit.store import _LazyBufferFile

    ix.get("hp-cang")
    searcher = ix._searcher
    columns = [
        leaf._perdoc._colfiles["_stored"][0]
        for leaf, _ in searcher.reader().leaf_readers()
        if "_stored" in leaf._perdoc._colfiles
    ]
    assert columns and all(isinstance(c, _LazyBufferFile) for c in columns)
    assert all(c._stream is None for c in columns)
    assert ix.get("hp-cang").title == "Cảng Hải Phòng mở rộng bến container"
