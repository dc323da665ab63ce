"""Load test: concurrent HTTP clients against `searchkit serve` while the index is re-indexed.

    python bench/load.py [--seconds 60] [--clients 8] [--index DIR] [--corpus DIR]
                         [--max-requests N] [--no-reindex]

Everything runs on 127.0.0.1. Without ``--index`` it copies ``--corpus`` (default: the
repository's ``corpus/``) to a temporary directory and indexes it there. It starts
``searchkit serve`` on a free port, then runs ``--clients`` threads (one httpx2 client each)
for ``--seconds`` seconds or ``--max-requests`` requests, whichever comes first, cycling
through searches, document and summary lookups, /health and the HTML page. Meanwhile
another process re-indexes over and over (an extra file of records is written, changed and
removed between runs, so every run commits real changes); with ``--index`` the re-index
uses ``--corpus`` as its source. Prints requests, errors, p50/p99 latency and requests/s;
exits 1 if any request failed (a 5xx, an unexpected status or a transport error).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx

REPO = Path(__file__).resolve().parent.parent
SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]
ENV = dict(os.environ, NO_COLOR="1")

QUERIES = [
    "nông thôn mới",
    "nong thon moi",
    '"nông thôn mới"',
    "kinh tế OR xã hội",
    "title:đổi",
    "phát triển -hà",
    "hợp tác xã",
    "tải trọng",
    "đổi mới tư duy",
    "bổ sung giao thông",
    "(hà nội OR hải phòng) cảng",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_index(paths: list[Path], index_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SEARCHKIT, "index", *map(str, paths), "--index", str(index_dir), "--jobs", "1", "--quiet"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=600,
    )


def reindexer(corpus: Path, index_dir: Path, stop: threading.Event, stats: dict) -> None:
    """Re-index in a child process again and again, changing an extra file between runs."""
    extra = corpus / "zz-load-extra.jsonl"
    for n in itertools.count():
        if stop.is_set():
            break
        if n % 3 == 2:
            extra.unlink(missing_ok=True)
        else:
            records = [
                {
                    "id": f"load-{n}-{i}",
                    "title": f"Bổ sung số {i} lần {n}",
                    "body": f"Tin bổ sung về giao thông số {i}, lần chạy {n}. Người dân phấn khởi.",
                    # Dated and categorised: an incremental segment without any date or
                    # category makes /search?facets=true fail (see tests/test_reliability.py).
                    "date": f"2024-01-{i + 1:02d}T08:00:00+07:00",
                    "category": "Giao thông",
                }
                for i in range(20)
            ]
            extra.write_text(
                "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
            )
        done = run_index([corpus], index_dir)
        stats["runs"] += 1
        if done.returncode not in (0, 3):
            stats["failed"] += 1
            stats["last_error"] = done.stderr.strip()[-500:]
    extra.unlink(missing_ok=True)


def client_loop(
    url: str,
    ids: list[str],
    deadline: float,
    budget: itertools.count,
    max_requests: int,
    results: list,
    lock: threading.Lock,
) -> None:
    requests = itertools.cycle(
        [("/search", {"q": q, "limit": 10}) for q in QUERIES]
        + [
            ("/search", {"q": QUERIES[0], "facets": "true", "sort": "date"}),
            ("/health", {}),
            ("/", {"q": QUERIES[1]}),
        ]
        + [(f"/documents/{i}", {}) for i in ids[:5]]
        + [(f"/documents/{i}/summary", {}) for i in ids[:2]]
        + [("/documents/..%2F..%2Fetc%2Fpasswd", {})]  # a 404, never a file
    )
    local: list[tuple[float, str | None]] = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for path, params in requests:
            if time.monotonic() >= deadline or next(budget) >= max_requests:
                break
            started = time.perf_counter()
            error = None
            try:
                r = http.get(path, params=params)
                expected = (404,) if "passwd" in path else (200,)
                if r.status_code not in expected:
                    error = f"{r.status_code} {path} {r.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__} {path}: {exc}"
            local.append((time.perf_counter() - started, error))
    with lock:
        results.extend(local)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many requests")
    parser.add_argument("--index", type=Path, help="an existing index (default: build one from --corpus)")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="articles to index and re-index")
    parser.add_argument("--no-reindex", action="store_true", help="no concurrent re-indexing")
    parser.add_argument("--server-log", type=Path, help="keep the server's log here (default: discarded)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.clients < 1:
        parser.error("--seconds must be positive and --clients at least 1")

    work = Path(tempfile.mkdtemp(prefix="searchkit-load-"))
    server = None
    stop = threading.Event()
    stats = {"runs": 0, "failed": 0, "last_error": ""}
    try:
        corpus = work / "corpus"
        shutil.copytree(args.corpus, corpus)
        index_dir = args.index or work / "index"
        if args.index is None:
            done = run_index([corpus], index_dir)
            if done.returncode not in (0, 3):
                print(f"indexing failed:\n{done.stderr}", file=sys.stderr)
                return 1
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(args.server_log or work / "server.log", "wb")
        server = subprocess.Popen(
            [*SEARCHKIT, "serve", "--index", str(index_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print(
                    "the server did not start:\n"
                    + (args.server_log or work / "server.log").read_text(errors="replace"),
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.1)
        found = httpx.get(
            url + "/search", params={"q": " OR ".join(QUERIES[:4]), "limit": 10}, timeout=30
        ).json()
        ids = [h["id"] for h in found["hits"]] or ["missing"]
        documents_before = httpx.get(url + "/health", timeout=30).json()["documents"]

        writer = None
        if not args.no_reindex:
            writer = threading.Thread(target=reindexer, args=(corpus, index_dir, stop, stats), daemon=True)
            writer.start()
        results: list[tuple[float, str | None]] = []
        lock = threading.Lock()
        budget = itertools.count()
        started = time.monotonic()
        end = started + args.seconds
        clients = [
            threading.Thread(
                target=client_loop, args=(url, ids, end, budget, args.max_requests, results, lock)
            )
            for _ in range(args.clients)
        ]
        for t in clients:
            t.start()
        for t in clients:
            t.join()
        elapsed = time.monotonic() - started
        stop.set()
        if writer is not None:
            writer.join(timeout=120)
        documents_after = httpx.get(url + "/health", timeout=30).json()["documents"]

        latencies = sorted(t for t, _ in results)
        errors = [e for _, e in results if e]

        def p(q: float) -> float:
            return (
                latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
                if latencies
                else float("nan")
            )

        print(f"clients         {args.clients} threads, {elapsed:.1f} s")
        print(f"requests        {len(results)}")
        print(f"errors          {len(errors)}")
        print(f"latency p50     {p(0.50):.1f} ms")
        print(f"latency p99     {p(0.99):.1f} ms")
        print(f"latency max     {latencies[-1] * 1000 if latencies else float('nan'):.1f} ms")
        print(f"latency mean    {statistics.fmean(latencies) * 1000 if latencies else float('nan'):.1f} ms")
        print(f"requests/s      {len(results) / elapsed:.1f}")
        print(f"re-index runs   {stats['runs']} ({stats['failed']} failed) in another process")
        print(f"documents       {documents_before} before, {documents_after} after")
        for e in errors[:10]:
            print(f"  error: {e}")
        if stats["failed"]:
            print(f"  re-index error: {stats['last_error']}")
        server_log = (args.server_log or work / "server.log").read_text(errors="replace")
        if "Traceback" in server_log:
            print("  the server logged a traceback:\n" + server_log[-2000:])
            return 1
        return 1 if errors or stats["failed"] else 0
    finally:
        stop.set()
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
