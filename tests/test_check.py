"""A damaged index says so in one line, `searchkit check` finds the damage, `--repair`
drops it and names the documents lost, and a re-index brings them back (issue 20).

Each test damages a two-segment index one way: the older segment holds the sample corpus
and RECORDS, the newer one the generated ``b`` records, which the damage hits.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import RECORDS, SAMPLE_CORPUS, SAMPLE_IDS, write_records

from searchkit import index_paths, open_index, postings
from searchkit.check import check_index
from searchkit.errors import DocumentNotFoundError, IndexDamagedError
from searchkit.store import SCHEMA_VERSION, toc_name

SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]
ENV = dict(os.environ, NO_COLOR="1", COLUMNS="300")
B_IDS = [f"b-{n}" for n in range(6)]
A_IDS = SAMPLE_IDS | {r["id"] for r in RECORDS}
DAMAGES = ["truncate-part", "corrupt-part", "delete-part", "delete-segment", "garbage-toc"]


def _b_records() -> list[dict]:
    return [
        {"id": i, "title": f"Cảng biển Quy Nhơn bến số {n}", "body": f"Cảng biển mở rộng bến tàu số {n}."}
        for n, i in enumerate(B_IDS)
    ]


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(corpus a, corpus b, index): a in one segment, b in a second one."""
    root = tmp_path_factory.mktemp("healthy")
    a, b = root / "a", root / "b"
    shutil.copytree(SAMPLE_CORPUS, a)
    write_records(a / "records.jsonl")
    b.mkdir()
    write_records(b / "b.jsonl", _b_records())
    index_dir = root / "index"
    index_paths([a], index_dir, jobs=1)
    index_paths([a, b], index_dir, jobs=1)
    return a, b, index_dir


def _copy(healthy, tmp_path: Path) -> tuple[Path, Path, Path]:
    a, b, index_dir = healthy
    target = tmp_path / "index"
    shutil.copytree(index_dir, target)
    return a, b, target


def _b_part(index_dir: Path) -> Path:
    """The part holding the b documents (the newer segment's)."""
    for path in index_dir.glob(f"*{postings.PART_SUFFIX}"):
        documents = postings.PartReader(path).documents()
        assert documents is not None
        if {i for i, _ in documents} == set(B_IDS):
            return path
    raise AssertionError("no part holds exactly the b documents: the fixture is not two segments")


def _damage(index_dir: Path, how: str) -> str:
    """Damage ``index_dir``; returns the name of the damaged file."""
    part = _b_part(index_dir)
    segment_file = index_dir / (part.name.rsplit("-", 1)[0] + ".seg")
    assert segment_file.exists() and len(list(index_dir.glob("*.seg"))) == 2
    if how == "truncate-part":
        data = part.read_bytes()
        part.write_bytes(data[: len(data) // 2])
    elif how == "corrupt-part":
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    elif how == "delete-part":
        part.unlink()
    elif how == "delete-segment":
        segment_file.unlink()
        return segment_file.name
    else:
        toc = index_dir / toc_name(index_dir)
        toc.write_bytes(os.urandom(toc.stat().st_size))
        return toc.name
    return part.name


def _one_error_line(text: str, name: str) -> None:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text and "damaged" in lines[0] and name in lines[0], text
    assert "searchkit check" in lines[0] and "--rebuild" in lines[0], text


@pytest.mark.parametrize("how", DAMAGES)
def test_query_on_a_damaged_index_is_one_line_and_exit_1(healthy, tmp_path, how):
    _, _, index_dir = _copy(healthy, tmp_path)
    name = _damage(index_dir, how)
    done = subprocess.run(
        [*SEARCHKIT, "query", "cảng biển", "--index", str(index_dir)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )
    assert done.returncode == 1 and not done.stdout, done.stdout + done.stderr
    _one_error_line(done.stderr, name)


@pytest.mark.parametrize("how", DAMAGES)
def test_check_finds_the_damage_and_repair_then_reindex_restores_everything(healthy, tmp_path, how):
    from typer.testing import CliRunner

    from searchkit.cli import app

    a, b, index_dir = _copy(healthy, tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["check", "--index", str(index_dir)]).exit_code == 0  # healthy first
    name = _damage(index_dir, how)

    checked = runner.invoke(app, ["check", "--index", str(index_dir)])
    assert checked.exit_code == 1, checked.output
    problems = [line for line in checked.output.splitlines() if line.startswith("damaged: ")]
    assert len(problems) == 1 and name in problems[0], checked.output
    assert "is damaged: 1 problem" in checked.output and "--repair" in checked.output

    repaired = runner.invoke(app, ["check", "--index", str(index_dir), "--repair"])
    assert repaired.exit_code == 0, repaired.output
    report = check_index(index_dir)  # the repaired index is healthy
    assert report.healthy, report.problems
    with open_index(index_dir) as ix:
        assert ix.search("thủy điện").hits[0].id == "thuy-dien"  # the a segment answers
        remaining = ix.doc_count
    if how == "garbage-toc":  # every segment was whole: the TOC is rebuilt, nothing lost
        assert "rebuilt" in repaired.output and "lost documents" not in repaired.output
        assert remaining == len(A_IDS) + len(B_IDS)
    else:
        assert f"lost documents ({len(B_IDS)}): " + ", ".join(B_IDS) in repaired.output, repaired.output
        assert remaining == len(A_IDS)
        with open_index(index_dir) as ix:
            with pytest.raises(DocumentNotFoundError):
                ix.get(B_IDS[0])

    report = index_paths([a, b], index_dir, jobs=1)  # the same paths again
    assert report.added == (0 if how == "garbage-toc" else len(B_IDS)), report.summary()
    with open_index(index_dir) as ix:
        assert ix.doc_count == len(A_IDS) + len(B_IDS)
        assert {h.id for h in ix.search("quy nhơn", limit=20).hits} == set(B_IDS)
        assert all(ix.get(i).title.startswith("Cảng biển") for i in B_IDS)
    assert check_index(index_dir).healthy


@pytest.mark.parametrize("how", DAMAGES)
def test_server_answers_503_stays_up_and_recovers_after_repair(healthy, tmp_path, how):
    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    _, _, index_dir = _copy(healthy, tmp_path)
    name = _damage(index_dir, how)
    # A flipped byte passes the checks made when the index is opened (size, header): it is
    # found when the postings holding it are first read, so only a search says so. (These
    # parts are smaller than a checksum block: any read of one covers the whole part.)
    urls = ["/search?q=c%E1%BA%A3ng"]
    if how != "corrupt-part":
        urls += ["/health", "/documents/thuy-dien"]
    with TestClient(create_app(index_dir)) as client:
        for _ in range(2):  # still up, still saying so
            for url in urls:
                r = client.get(url)
                assert r.status_code == 503, (url, r.text)
                assert set(r.json()) == {"error"} and name in r.json()["error"], r.text
        check_index(index_dir, repair=True)
        r = client.get("/search", params={"q": "thủy điện"})
        assert r.status_code == 200 and r.json()["hits"][0]["id"] == "thuy-dien", r.text


def test_searchkit_serve_on_a_damaged_index_answers_503_and_recovers_after_rebuild(healthy, tmp_path):
    from test_server import free_port

    a, b, index_dir = _copy(healthy, tmp_path)
    name = _damage(index_dir, "truncate-part")
    port = free_port()
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*SEARCHKIT, "serve", "--index", str(index_dir), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                r = httpx.get(url + "/search", params={"q": "cảng"}, timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert r.status_code == 503 and name in r.json()["error"], r.text
        assert httpx.get(url + "/health", timeout=5).status_code == 503
        index_paths([a, b], index_dir, jobs=1, rebuild=True)
        r = httpx.get(url + "/search", params={"q": "quy nhơn", "limit": 20}, timeout=5)
        assert r.status_code == 200 and {h["id"] for h in r.json()["hits"]} == set(B_IDS), r.text
        assert httpx.get(url + "/health", timeout=5).json()["documents"] == len(A_IDS) + len(B_IDS)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in log.read_text(), log.read_text()


def test_a_corrupt_block_is_caught_when_first_read(tmp_path, healthy):
    """The cheap checks at open pass a flipped byte in the middle of a part; reading the
    postings that hold it raises, naming the file, and so does a full verify."""
    _, _, index_dir = _copy(healthy, tmp_path)
    part = _b_part(index_dir)
    reader = postings.PartReader(part)
    docs_offset, _ = reader._extent["body", "docs"]
    data = bytearray(part.read_bytes())
    data[reader._data + docs_offset] ^= 0x01  # the first posting of the body's first term
    part.write_bytes(bytes(data))
    damaged = postings.PartReader(part)  # opens: header and sizes are fine
    with pytest.raises(IndexDamagedError, match=part.name):
        damaged.postings("body", 0)
    with pytest.raises(IndexDamagedError, match="fails its checksum"):
        postings.PartReader(part).verify()


def test_an_index_of_format_2_says_rebuild(tmp_path, healthy):
    _, _, index_dir = _copy(healthy, tmp_path)
    (index_dir / "searchkit-format").write_text("2\n")
    from searchkit.errors import SearchkitError

    with pytest.raises(SearchkitError, match="older searchkit.*--rebuild"):
        open_index(index_dir)
    with pytest.raises(SearchkitError, match="format 2.*--rebuild"):
        check_index(index_dir)


def test_check_reports_each_damaged_file_and_repair_rewrites_the_format_file(tmp_path, healthy):
    _, _, index_dir = _copy(healthy, tmp_path)
    (index_dir / "searchkit-format").write_text("garbage")
    _damage(index_dir, "delete-part")
    report = check_index(index_dir)
    assert {p.file for p in report.problems} == {"searchkit-format", _missing_part_name(index_dir)}
    repaired = check_index(index_dir, repair=True)
    assert repaired.repaired and (index_dir / "searchkit-format").read_text().strip() == str(SCHEMA_VERSION)
    assert check_index(index_dir).healthy


def _missing_part_name(index_dir: Path) -> str:
    segments = {p.stem for p in index_dir.glob("*.seg")}
    with_parts = {p.name.rsplit("-", 1)[0] for p in index_dir.glob(f"*{postings.PART_SUFFIX}")}
    (missing,) = segments - with_parts
    return f"{missing}-0{postings.PART_SUFFIX}"


def test_check_finds_a_flipped_byte_in_a_whoosh_segment_file(tmp_path, healthy):
    """Whoosh keeps no checksums: searchkit records each segment file's at its commit."""
    a, b, index_dir = _copy(healthy, tmp_path)
    segment_file = index_dir / (_b_part(index_dir).name.rsplit("-", 1)[0] + ".seg")
    data = bytearray(segment_file.read_bytes())
    data[len(data) * 3 // 4] ^= 0x01
    segment_file.write_bytes(bytes(data))
    report = check_index(index_dir)
    assert [(p.file, p.message) for p in report.problems] == [(segment_file.name, "fails its checksum")]
    report = check_index(index_dir, repair=True)
    assert report.lost_ids == B_IDS
    index_paths([a, b], index_dir, jobs=1)
    assert check_index(index_dir).healthy


def test_a_truncated_whoosh_segment_file_is_one_line_when_opened(tmp_path, healthy):
    _, _, index_dir = _copy(healthy, tmp_path)
    segment_file = index_dir / (_b_part(index_dir).name.rsplit("-", 1)[0] + ".seg")
    segment_file.write_bytes(segment_file.read_bytes()[:-100])
    with open_index(index_dir) as ix, pytest.raises(IndexDamagedError, match=segment_file.name + " is"):
        ix.search("cảng")


def test_a_rebuilt_toc_keeps_the_newest_copy_of_an_updated_document(tmp_path, healthy):
    """The lost TOC held the deletion of the older copies of an updated file's documents:
    the repair deletes them again, keeping the copies read from the newer file."""
    a, b, index_dir = _copy(healthy, tmp_path)
    updated = [dict(r, title=r["title"] + " (cập nhật)") for r in _b_records()]
    b_file = b / "b.jsonl"
    original, stat = b_file.read_bytes(), b_file.stat()  # (the fixture's: restored below)
    try:
        write_records(b_file, updated)
        os.utime(b_file, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
        assert index_paths([a, b], index_dir, jobs=1).updated == len(B_IDS)
        assert len(list(index_dir.glob("*.seg"))) == 3  # the older copies are still on disk
        toc = index_dir / toc_name(index_dir)
        toc.write_bytes(os.urandom(toc.stat().st_size))
        report = check_index(index_dir, repair=True)
        assert report.repaired and not report.lost_ids
        assert any(f"{len(B_IDS)} older copies" in note for note in report.notes), report.notes
        with open_index(index_dir) as ix:
            assert ix.doc_count == len(A_IDS) + len(B_IDS)
            assert all(ix.get(i).title.endswith("(cập nhật)") for i in B_IDS)
        assert index_paths([a, b], index_dir, jobs=1).unchanged == len(A_IDS) + len(B_IDS)
    finally:
        b_file.write_bytes(original)
        os.utime(b_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
