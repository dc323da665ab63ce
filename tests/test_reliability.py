"""Reliability of `searchkit index`: bad input files, crashes (SIGKILL), concurrent runs.

Everything runs on generated corpora in pytest's tmp dirs; the CLI is run as a subprocess
where its exit code, messages or process behaviour (locks, kills) are what is tested.
"""

from __future__ import annotations

import codecs
import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

import searchkit.articles
from searchkit import index_paths, open_index

SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]
ENV = dict(os.environ, NO_COLOR="1", COLUMNS="300")

GOOD_TXT = "Hợp tác xã nông nghiệp kiểu mẫu\n\nHợp tác xã ở Thái Bình áp dụng cơ giới hóa đồng bộ.\n"
GOOD_RECORDS = [
    {"id": "good-1", "title": "Cảng biển mở rộng", "body": "Cảng biển Quy Nhơn mở rộng bến tàu mới."},
    {"id": "good-2", "title": "Lúa gạo xuất khẩu", "body": "Giá lúa gạo xuất khẩu tăng trong quý hai."},
]
VIETNAMESE = "Tiêu đề tiếng Việt\n\nNội dung bài báo về thủy điện Hòa Bình và nông thôn mới.\n"


def _cp1258(text: str) -> bytes:
    """Windows-1258 bytes: precomposed letters where the code page has them, else base + tone mark."""
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            tone = next(m for m in nfd if m in "\u0300\u0301\u0303\u0309\u0323")
            out += (unicodedata.normalize("NFC", nfd.replace(tone, "")) + tone).encode("cp1258")
    return out


def _jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _bad_corpus(root: Path) -> tuple[Path, dict[str, str]]:
    """Good files beside bad ones; returns the corpus and {bad file: expected message part}."""
    c = root / "corpus"
    c.mkdir()
    (c / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (c / "good.jsonl").write_text(_jsonl(GOOD_RECORDS), encoding="utf-8")
    (c / "utf16.txt").write_bytes(codecs.BOM_UTF16_LE + VIETNAMESE.encode("utf-16-le"))  # indexed
    (c / "bad-utf8.txt").write_bytes("Tiêu đề\n\nabc ".encode() + b"\xc3\x28 def\n")
    (c / "cp1258.txt").write_bytes(_cp1258("Thủy điện Hòa Bình\n\nNội dung bằng tiếng Việt.\n"))
    (c / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (c / "empty.txt").write_bytes(b"")
    # 20 MB on one line: a .txt (one huge "title") and one JSONL record with a huge body.
    (c / "huge.txt").write_bytes(b"lua gao " * (20 * 1024 * 1024 // 8))
    (c / "huge.jsonl").write_text(
        json.dumps({"id": "huge", "title": "Lớn", "body": "lua gao " * (20 * 1024 * 1024 // 8)}) + "\n",
        encoding="utf-8",
    )
    (c / "mixed.jsonl").write_text(
        _jsonl([{"id": "mixed-1", "title": "Đường sắt cao tốc", "body": "Tuyến đường sắt Bắc Nam."}])
        + '{"id": "broken", "title": "thiếu ngoặc"\n'
        + _jsonl([{"id": "mixed-3", "title": "Điện gió ngoài khơi", "body": "Dự án điện gió ở Bạc Liêu."}]),
        encoding="utf-8",
    )
    (c / "types.json").write_text(json.dumps({"id": ["x"], "title": 5, "body": {"a": 1}}), encoding="utf-8")
    (c / "zdup.jsonl").write_text(
        _jsonl(
            [
                {"id": "good-1", "title": "Trùng mã", "body": "Bài trùng mã với good.jsonl."},
                {"id": "zdup-2", "title": "Bài riêng", "body": "Bài này có mã riêng: sân bay Long Thành."},
            ]
        ),
        encoding="utf-8",
    )
    (c / "loop").symlink_to(c, target_is_directory=True)
    (c / "self.txt").symlink_to(c / "self.txt")  # a symlink loop on a file
    expected = {
        "bad-utf8.txt": "not UTF-8",
        "cp1258.txt": "Windows-1258",
        "binary.txt": "binary",
        "empty.txt": "empty",
        "huge.txt": "too large",
        "huge.jsonl:1": "too large",
        "mixed.jsonl:2": "not valid JSON",
        "types.json": "must be",
        "zdup.jsonl": "duplicate id 'good-1'",
        "loop": "loop",
        "self.txt": "symbolic link",
    }
    return c, expected


GOOD_IDS = {"good.txt", "good-1", "good-2", "utf16.txt", "mixed-1", "mixed-3", "zdup-2"}


def _problem_for(problems: list[str], name: str) -> list[str]:
    return [p for p in problems if p.startswith(name + ":")]


def test_bad_files_beside_good_ones_in_process(tmp_path, monkeypatch):
    """Every good file indexed, one problem per bad file, plus a file that vanishes after
    the walk and one that cannot be read (PermissionError, simulated: tests run as root)."""
    corpus, expected = _bad_corpus(tmp_path)
    (corpus / "vanishing.txt").write_text(GOOD_TXT, encoding="utf-8")
    (corpus / "secret.txt").write_text(GOOD_TXT, encoding="utf-8")

    real_walk = searchkit.articles.source_files

    def walk_then_delete(roots, problems=None):
        files = list(real_walk(roots, problems))
        (corpus / "vanishing.txt").unlink()
        yield from files

    real_read_bytes = Path.read_bytes

    def read_bytes(self):
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(searchkit.articles, "source_files", walk_then_delete)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    started = time.monotonic()
    report = index_paths([corpus], tmp_path / "index", jobs=1)
    assert time.monotonic() - started < 60
    problems = [str(p) for p in report.problems]
    expected.update({"vanishing.txt": "No such file", "secret.txt": "Permission denied"})
    for name, part in expected.items():
        found = _problem_for(problems, name)
        assert len(found) == 1 and part in found[0], (name, problems)
    assert len(problems) == len(expected), problems
    assert report.skipped == len(expected)
    with open_index(tmp_path / "index") as ix:
        ids = {
            h.id for h in ix.search("a OR bài OR cảng OR lúa OR đường OR điện OR hợp OR tiêu", limit=100).hits
        }
        assert ids == GOOD_IDS, ids
        assert ix.doc_count == len(GOOD_IDS)
        assert ix.get("good-1").title == "Cảng biển mở rộng"  # the first file keeps a duplicate id
        assert ix.search('"thủy điện hòa bình"').hits[0].id == "utf16.txt"


def test_bad_files_cli_exit_3_one_line_each(tmp_path):
    corpus, expected = _bad_corpus(tmp_path)
    done = subprocess.run(
        [*SEARCHKIT, "index", str(corpus), "--index", str(tmp_path / "index"), "--jobs", "1", "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert all(line.startswith("skipped ") for line in lines), lines
    for name, part in expected.items():
        found = [line for line in lines if line.startswith(f"skipped {name}:")]
        assert len(found) == 1 and part in found[0], (name, lines)
    assert len(lines) == len(expected), lines
    cp = next(line for line in lines if "cp1258.txt" in line)
    assert "iconv" in cp  # says how to fix it
    assert f"{len(GOOD_IDS)} added" in done.stdout and f"{len(expected)} skipped" in done.stdout


# -- crash safety ---------------------------------------------------------------------

FILES, PER_FILE = 8, 50
TOTAL = FILES * PER_FILE
# Commit after every file or two, so that kills land between and inside commits.
SMALL_COMMITS = (
    "import sys, searchkit.index as i; i.COMMIT_EVERY_DOCS = 40; "
    "from searchkit.cli import main; sys.argv[0] = 'searchkit'; main()"
)

# A run that, once it holds the writer lock, waits for the file $HOLD_UNTIL: a test can
# have a second run find the lock taken however fast the first would have been.
HOLD_LOCK = (
    "import os, sys, time, searchkit.index as i\n"
    "take = i._writer\n"
    "def held(*args, **kwargs):\n"
    "    writer = take(*args, **kwargs)\n"
    "    while not os.path.exists(os.environ['HOLD_UNTIL']):\n"
    "        time.sleep(0.02)\n"
    "    return writer\n"
    "i._writer = held\n"
    "from searchkit.cli import main; sys.argv[0] = 'searchkit'; main()"
)


def _bulk_corpus(root: Path) -> Path:
    c = root / "bulk"
    c.mkdir()
    for f in range(FILES):
        records = [
            {
                "id": f"f{f}-{n}",
                "title": f"Bản tin số {n} tệp {f}",
                "body": (
                    f"Ma{f}x{n} là mã riêng. Tỉnh {f} khởi công dự án giao thông số {n}. Người dân phấn khởi."
                ),
            }
            for n in range(PER_FILE)
        ]
        (c / f"part-{f}.jsonl").write_text(_jsonl(records), encoding="utf-8")
    return c


def _start_index(
    corpus: Path, index_dir: Path, jobs: int, small_commits: bool, log: Path, hold_until: Path | None = None
) -> subprocess.Popen:
    """A ``searchkit index`` run in the background; with ``hold_until``, one that takes the
    writer lock and does nothing more until that file exists (HOLD_LOCK)."""
    cmd = [sys.executable, "-c", SMALL_COMMITS] if small_commits else SEARCHKIT
    env = ENV
    if hold_until is not None:
        cmd, env = [sys.executable, "-c", HOLD_LOCK], dict(ENV, HOLD_UNTIL=str(hold_until))
    with open(log, "wb") as out:
        return subprocess.Popen(
            [*cmd, "index", str(corpus), "--index", str(index_dir), "--jobs", str(jobs), "--quiet"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def _assert_usable(index_dir: Path, allowed_min: int) -> int:
    with open_index(index_dir) as ix:
        count = ix.doc_count
        assert allowed_min <= count <= TOTAL
        result = ix.search("giao thông", limit=5)
        assert result.total == count
        assert ix.search("ma0x0").hits[0].id == "f0-0"
    return count


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("jobs, delays", [(1, (0.5, 1.5, 3.0)), (2, (1.5, 3.0))])
def test_sigkill_during_bulk_load_leaves_a_usable_index(tmp_path, jobs, delays):
    """Kill the writer (the main process only, as the OOM killer would) at several points;
    the index always opens and answers, and the next run finishes the work without waiting
    for a lock the dead writer (or its orphaned workers) might still hold."""
    corpus = _bulk_corpus(tmp_path)
    index_dir = tmp_path / "index"
    index_paths([corpus / "part-0.jsonl"], index_dir, jobs=1)  # the old state: one file
    count = PER_FILE
    for n, delay in enumerate(delays):
        proc = _start_index(corpus, index_dir, jobs, small_commits=n > 0, log=tmp_path / f"kill{n}.log")
        time.sleep(delay)
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        count = _assert_usable(index_dir, count)  # never fewer documents than before
        # Orphaned pool workers must not outlive their parent for long (they would hold
        # the index's flock, inherited through fork, and block every later run).
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = [w for w in workers if Path(f"/proc/{w}").exists()]
        for w in alive:  # clean up before failing
            os.kill(w, signal.SIGKILL)
        assert not alive, f"pool workers {alive} outlived the killed writer"
    started = time.monotonic()
    done = subprocess.run(
        [*SEARCHKIT, "index", str(corpus), "--index", str(index_dir), "--jobs", str(jobs), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr  # the dead writer's lock is gone
    assert time.monotonic() - started < 60
    with open_index(index_dir) as ix:
        assert ix.doc_count == TOTAL
        last = f"f{FILES - 1}-{PER_FILE - 1}"
        assert ix.search(f"ma{FILES - 1}x{PER_FILE - 1}").hits[0].id == last
        assert ix.get(last).title == f"Bản tin số {PER_FILE - 1} tệp {FILES - 1}"


# -- concurrency ------------------------------------------------------------------------


def test_two_index_runs_at_once_second_waits_then_completes(tmp_path):
    corpus = _bulk_corpus(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "extra.jsonl").write_text(
        _jsonl(
            [
                {"id": f"extra-{n}", "title": f"Bổ sung {n}", "body": f"Tin bổ sung số {n} về giao thông."}
                for n in range(5)
            ]
        ),
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    index_paths([other], index_dir, jobs=1)  # the index exists; both runs open it
    go = tmp_path / "go"
    first = _start_index(corpus, index_dir, 1, small_commits=False, log=tmp_path / "first.log", hold_until=go)
    second_log = tmp_path / "second.log"
    second: subprocess.Popen | None = None
    try:
        lock = index_dir / "searchkit_WRITELOCK"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until the first run holds the writer lock
            probe = subprocess.run(["flock", "-n", str(lock), "true"], capture_output=True)
            if probe.returncode != 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the first run never took the lock")
        both = [str(corpus), str(other)]
        with open(second_log, "w") as err:
            second = subprocess.Popen(
                [*SEARCHKIT, "index", *both, "--index", str(index_dir), "--jobs", "1", "--quiet"],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=ENV,
            )
        deadline = time.monotonic() + 60
        while "another searchkit index is writing" not in second_log.read_text():  # it waits
            assert second.poll() is None and time.monotonic() < deadline, second_log.read_text()
            time.sleep(0.05)
        go.touch()  # the first run goes on, finishes, and the second then writes
        assert first.wait(timeout=60) == 0, (tmp_path / "first.log").read_text()
        assert second.wait(timeout=120) == 0, second_log.read_text()
    finally:
        go.touch()
        for run in (first, second):
            if run is not None and run.poll() is None:
                run.kill()
                run.wait()
    with open_index(index_dir) as ix:
        # The first run indexed only `corpus` and so removed nothing of `other`? It did not
        # cover `other`, so its documents stay; the second saw the first's work as unchanged.
        assert ix.doc_count == TOTAL + 5
        assert ix.search("ma7x49").hits[0].id == "f7-49"
        assert ix.get("extra-4").title == "Bổ sung 4"


def test_server_answers_during_reindex_and_sees_the_result(tmp_path):
    import httpx2 as httpx
    from test_server import Server

    corpus = _bulk_corpus(tmp_path)
    index_dir = tmp_path / "index"
    index_paths([corpus / "part-0.jsonl"], index_dir, jobs=1)
    with Server(index_dir, tmp_path / "server.log") as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert client.get("/health").json()["documents"] == PER_FILE
            writer = _start_index(corpus, index_dir, 1, small_commits=True, log=tmp_path / "writer.log")
            answered = 0
            while writer.poll() is None:
                r = client.get("/search", params={"q": "giao thông", "limit": 3})
                assert r.status_code == 200, r.text
                assert PER_FILE <= r.json()["total"] <= TOTAL
                answered += 1
                time.sleep(0.02)
            assert writer.returncode == 0, (tmp_path / "writer.log").read_text()
            assert answered > 3
            assert client.get("/health").json()["documents"] == TOTAL
            assert client.get("/search", params={"q": "ma7x49"}).json()["hits"][0]["id"] == "f7-49"
    assert "Traceback" not in server.output(), server.output()


# -- found by bench/load.py --------------------------------------------------------------


def test_facets_after_adding_undated_documents(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(GOOD_TXT, encoding="utf-8")
    (corpus / "dated.jsonl").write_text(
        _jsonl(
            [
                {
                    "id": "d",
                    "title": "Hợp tác xã",
                    "body": "Hợp tác xã mới.",
                    "date": "2023-01-02",
                    "category": "Kinh tế",
                }
            ]
        ),
        encoding="utf-8",
    )
    index_paths([corpus], tmp_path / "index", jobs=1)
    (corpus / "undated.jsonl").write_text(
        _jsonl([{"id": "u", "title": "Hợp tác xã", "body": "Hợp tác xã không ngày."}]), encoding="utf-8"
    )
    index_paths([corpus], tmp_path / "index", jobs=1)  # a second segment: no date, no category
    with open_index(tmp_path / "index") as ix:
        result = ix.search("hợp tác xã", facets=True)
        assert result.total == 3
        assert result.facets["month"] == {"2023-01": 1}
        assert result.facets["category"] == {"Kinh tế": 1}


def test_open_index_sees_removed_and_updated_documents(tmp_path):
    """A running server (one long-lived Index) must not keep serving removed documents."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "keep.txt").write_text(GOOD_TXT, encoding="utf-8")
    (corpus / "gone.jsonl").write_text(_jsonl(GOOD_RECORDS), encoding="utf-8")
    index_paths([corpus], tmp_path / "index", jobs=1)
    with open_index(tmp_path / "index") as ix:
        assert ix.search("cảng OR lúa").total == 2
        (corpus / "gone.jsonl").unlink()
        index_paths([corpus], tmp_path / "index", jobs=1)
        assert ix.doc_count == 1
        assert ix.search("cảng OR lúa").total == 0
