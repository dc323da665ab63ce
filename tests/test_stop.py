"""Stopping `searchkit index` with SIGTERM or SIGINT, and leaving no temporary files
(issue 20). The CLI runs as a subprocess: its exit status, messages and processes are what
is tested."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from conftest import SAMPLE_CORPUS

from searchkit import open_index

SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]
ENV = dict(os.environ, NO_COLOR="1", COLUMNS="300")
# Commits every 40 documents (at file boundaries), so that a run stopped after a few
# seconds has committed some whole files and is still working on others.
SMALL_COMMITS = (
    "import sys, searchkit.index as i; i.COMMIT_EVERY_DOCS = 40; "
    "from searchkit.cli import main; sys.argv[0] = 'searchkit'; main()"
)
FILES, PER_FILE = 40, 50
TOTAL = FILES * PER_FILE


def _sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE_CORPUS.glob("*.txt")))
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 5]


def _corpus(root: Path) -> Path:
    """FILES files of PER_FILE articles made of the sample corpus's sentences, each with
    a word of its own (``ma<file>x<n>``)."""
    sentences = _sentences()
    rng = random.Random(20)
    corpus = root / "corpus"
    corpus.mkdir()
    for f in range(FILES):
        records = [
            {
                "id": f"f{f}-{n}",
                "title": f"Bản tin {n} tệp {f}",
                "body": " ".join(rng.sample(sentences, 3)) + f" Mã ma{f}x{n}.",
            }
            for n in range(PER_FILE)
        ]
        (corpus / f"part-{f:02}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
        )
    return corpus


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_indexing_cleanly_and_a_rerun_completes(tmp_path, signum):
    corpus = _corpus(tmp_path)
    index_dir = tmp_path / "index"
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", SMALL_COMMITS, "index", str(corpus), "--index", str(index_dir)]
            + ["--jobs", "2", "--quiet"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
    try:
        # Wait until the run has committed something and is still working.
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            if _generation(index_dir) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be stopped: " + log.read_text()
        workers = _children(proc.pid)
        assert len(workers) == 2, workers
        sent = time.monotonic()
        proc.send_signal(signum)
        status = proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert took < 5, f"stopping took {took:.1f} s"
    assert status == 128 + signum, output
    assert "Traceback" not in output, output
    (line,) = output.strip().splitlines()
    committed = int(re.search(r"this run committed (\d+) documents", line).group(1))
    held = int(re.search(r"holds (\d+) documents", line).group(1))
    assert f"interrupted by {signal.Signals(signum).name}" in line and committed == held > 0, line
    time.sleep(0.5)
    assert not [w for w in workers if _alive(w)], "workers outlived the run"
    with open_index(index_dir) as ix:
        assert ix.doc_count == held < TOTAL  # whole files only: a multiple of PER_FILE
        assert held % PER_FILE == 0
        assert ix.search("ma0x0").hits[0].id == "f0-0"
    assert not list(index_dir.glob("*.tmp")), list(index_dir.iterdir())
    done = subprocess.run(
        [*SEARCHKIT, "index", str(corpus), "--index", str(index_dir), "--jobs", "2", "--quiet"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"{TOTAL - held} added" in done.stdout and f"{held} unchanged" in done.stdout, done.stdout
    with open_index(index_dir) as ix:
        assert ix.doc_count == TOTAL
        last = f"f{FILES - 1}-{PER_FILE - 1}"
        assert ix.search(f"ma{FILES - 1}x{PER_FILE - 1}").hits[0].id == last


def _generation(index_dir: Path) -> int:
    """The index's TOC generation (-1 before it exists)."""
    names = os.listdir(index_dir) if index_dir.is_dir() else []
    tocs = [re.match(r"_searchkit_(\d+)\.toc$", name) for name in names]
    return max((int(m.group(1)) for m in tocs if m), default=-1)


def test_indexing_summarising_and_serving_leave_the_temp_dir_empty(tmp_path):
    """pyvi's model used to be unpickled into a new temporary file in every process that
    segments text (each indexing worker, the server, `summarize`), never removed."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(ENV, TMPDIR=str(temp))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in SAMPLE_CORPUS.glob("*.txt"):
        (corpus / f.name).write_bytes(f.read_bytes())
    index_dir = tmp_path / "index"

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([*SEARCHKIT, *args], capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done

    run("index", str(corpus), "--index", str(index_dir), "--jobs", "2", "--quiet")
    article = next(corpus.glob("*.txt"))
    assert run("summarize", str(article)).stdout.strip()
    assert run("summarize", "--id", article.name, "--index", str(index_dir), "--method", "lex-rank").stdout
    from test_server import free_port

    port = free_port()
    proc = subprocess.Popen(
        [*SEARCHKIT, "serve", "--index", str(index_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.post(
                    url + "/summarize", json={"text": article.read_text(), "sentences": 2}, timeout=30
                )
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200 and len(r.json()["summary"]) == 2, r.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert list(temp.iterdir()) == []
