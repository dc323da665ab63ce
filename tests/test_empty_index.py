"""An empty index and an index killed before its first commit open and answer no results
(Python API, CLI, HTTP server).

The killed index comes from a real `searchkit index` subprocess (started as
test_reliability.py starts one) on a corpus big enough that its only commit is seconds
away, killed with SIGKILL as soon as the index's first TOC file exists.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from test_reliability import _jsonl, _start_index

from searchkit import index_paths, open_index
from searchkit.errors import DocumentNotFoundError

FILTERS = [
    {},
    {"sort": "date"},
    {"facets": True},
    {"since": "2023-01-01"},
    {"until": "2023-12-31"},
    {"author": "Đào Quyên"},
    {"category": "Kinh tế"},
    {"since": "2023-01-01", "author": "Đào Quyên", "category": "Kinh tế", "sort": "date", "facets": True},
]
QUERIES = ["x", "nông thôn mới", "nong thon moi", '"giao thông"', "(quý II", "hà nội OR hải phòng"]


@pytest.fixture(scope="module")
def empty_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("empty")
    (root / "corpus").mkdir()
    report = index_paths([root / "corpus"], root / "index", jobs=1)
    assert (report.added, report.documents, report.problems) == (0, 0, [])
    return root / "index"


# -- killed before its first commit ---------------------------------------------------

ARTICLES = 4000  # one JSONL file: one commit, at its end, some seconds after the start
WORDS = (
    "nông thôn mới giao thông cảng biển kinh tế tăng trưởng xã hội người dân phát triển dự án "
    "tỉnh thành phố hợp tác xã đường sắt"
).split()


def _big_corpus(root: Path) -> Path:
    corpus = root / "big"
    corpus.mkdir()
    records = [
        {
            "id": f"tin-{n}",
            "title": f"Bản tin số {n}",
            "date": "2023-05-01T08:00:00+07:00",
            "author": "Đào Quyên",
            "category": "Kinh tế",
            "body": " ".join(WORDS[(n * 7 + i) % len(WORDS)] for i in range(120)) + f". Mã tin{n}x.",
        }
        for n in range(ARTICLES)
    ]
    (corpus / "news.jsonl").write_text(_jsonl(records), encoding="utf-8")
    return corpus


@pytest.fixture(scope="module")
def killed_index(tmp_path_factory) -> tuple[Path, bool]:
    """An index whose `searchkit index` was SIGKILLed once its TOC existed; and whether
    the run was killed before it could commit (the expected case)."""
    root = tmp_path_factory.mktemp("killed")
    corpus, index_dir = _big_corpus(root), root / "index"
    proc = _start_index(corpus, index_dir, 1, small_commits=False, log=root / "index.log")
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if list(index_dir.glob("_searchkit_*.toc")):
                break
            time.sleep(0.005)
        else:
            pytest.fail(f"no TOC before the run ended: {(root / 'index.log').read_text()}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run and any worker it started
        proc.wait()
    tocs = sorted(p.name for p in index_dir.glob("_searchkit_*.toc"))
    assert tocs, os.listdir(index_dir)
    killed_before_commit = proc.returncode == -signal.SIGKILL and tocs == ["_searchkit_0.toc"]
    return index_dir, killed_before_commit


@pytest.fixture(scope="module", params=["empty", "killed"])
def any_index(request) -> tuple[Path, bool]:
    """``(index dir, whether it must be empty)``."""
    if request.param == "empty":
        return request.getfixturevalue("empty_index"), True
    return request.getfixturevalue("killed_index")


def test_the_kill_landed_before_the_first_commit(killed_index):
    """The corpus is big enough that the kill comes first: otherwise the other tests about
    the killed index would only check that it answers, not that it answers nothing."""
    index_dir, killed_before_commit = killed_index
    assert killed_before_commit, os.listdir(index_dir)
    with open_index(index_dir) as ix:
        assert ix.doc_count == 0


# -- Python API -------------------------------------------------------------------------


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "plain")
def test_api_opens_and_answers_nothing(any_index, filters):
    index_dir, empty = any_index
    with open_index(index_dir) as ix:
        count = ix.doc_count
        assert count == 0 or not empty
        for query in QUERIES:
            result = ix.search(query, **filters)
            assert result.total >= len(result) and list(result) == result.hits
            if count == 0:
                assert (result.total, len(result), list(result)) == (0, 0, []), (query, filters)
                if filters.get("facets"):
                    assert all(not counts for counts in result.facets.values()), result.facets
            assert json.loads(json.dumps(result.to_dict()))["total"] == result.total


def test_api_get_of_a_missing_id_raises_not_found(any_index):
    index_dir, _ = any_index
    with open_index(index_dir) as ix:
        with pytest.raises(DocumentNotFoundError):
            ix.get("nope")
        assert ix.search("x", limit=5, offset=20).hits == []


# -- CLI --------------------------------------------------------------------------------


def invoke(*args: str):
    from typer.testing import CliRunner

    from searchkit.cli import app

    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "300"})


CLI_FILTERS = [
    [],
    ["--sort", "date", "--facets"],
    ["--since", "2023-01-01", "--author", "Đào Quyên", "--category", "Kinh tế"],
]


@pytest.mark.parametrize("extra", CLI_FILTERS)
def test_cli_query_exits_0_with_no_results(any_index, extra):
    index_dir, empty = any_index
    with open_index(index_dir) as ix:
        count = ix.doc_count
    assert count == 0 or not empty
    done = invoke("query", "x", "--index", str(index_dir), *extra)
    assert done.exit_code == 0, done.output
    assert "Traceback" not in done.output
    if count == 0:
        assert "no results for 'x'" in done.stdout, done.stdout
    done = invoke("query", "x", "--index", str(index_dir), "--json", *extra)
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    if count == 0:
        assert (data["total"], data["hits"]) == (0, []), data
    else:
        assert data["total"] >= len(data["hits"])


def test_cli_summarize_of_a_missing_id_is_one_line_exit_1(any_index):
    index_dir, _ = any_index
    done = invoke("summarize", "--id", "nope", "--index", str(index_dir))
    assert done.exit_code == 1 and len(done.stderr.strip().splitlines()) == 1, done.output


# -- HTTP -------------------------------------------------------------------------------


def test_http_search_page_and_health(any_index):
    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    index_dir, empty = any_index
    with TestClient(create_app(index_dir)) as client:
        health = client.get("/health")
        assert health.status_code == 200, health.text
        count = health.json()["documents"]
        assert health.json()["status"] == "ok" and (count == 0 or not empty)
        for params in (
            {"q": "x"},
            {"q": "nông thôn", "sort": "date", "facets": "true"},
            {"q": "x", "since": "2023-01-01", "author": "Đào Quyên", "category": "Kinh tế"},
        ):
            r = client.get("/search", params=params)
            assert r.status_code == 200, r.text
            if count == 0:
                assert (r.json()["total"], r.json()["hits"]) == (0, []), r.json()
        page = client.get("/", params={"q": "x"})
        assert page.status_code == 200, page.text
        if count == 0:
            assert "Không có kết quả" in page.text
        assert client.get("/", params={"q": "x", "sort": "date"}).status_code == 200
        assert client.get("/").status_code == 200
        assert client.get("/documents/nope").status_code == 404
        assert client.get("/view/nope").status_code == 404
