"""Peak memory of exporting every match (`searchkit query Q --all --format jsonl|csv`).

    python bench/export.py [--index DIR] [--docs N] [--query Q] [--corpus FILE] [--jobs N] [--build-only]

Without an existing index at ``--index`` (default ``bench/out/export-index``), it first
generates ``--docs`` articles (default 110,000) by recombining sentences of the raw
corpus (default ``../shared/data/baomoi-35k.jsonl.gz``) under new ids, dates, authors and
categories, every one with a sentence holding the query's words, and indexes them (this
takes a while; run it once, later runs reuse the index). Then, for each format, it runs
the export in a subprocess, its output read through a pipe, and prints the number of rows,
the wall time and the subprocess's peak resident memory (ru_maxrss from ``os.wait4``: that process
alone, whatever this script holds) and its peak anonymous memory (sampled), beside the
same for the query's first page of 10 hits.

The issue's bar: 100,000 matches stream out with a peak under 300 MB for each format.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from searchkit import sentences, text  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "baomoi-35k.jsonl.gz"
DEFAULT_INDEX = ROOT / "bench" / "out" / "export-index"
LIMIT_MB = 300
AUTHORS = [
    f"{family} {middle} {given}"
    for family in ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng")
    for middle in ("Văn", "Thị", "Minh")
    for given in ("An", "Bình", "Cường", "Dung", "Hà")
]
CATEGORIES = ["Thời sự", "Kinh tế", "Xã hội", "Thế giới", "Thể thao", "Giáo dục", "Sức khỏe", "Pháp luật"]


def corpus_sentences(corpus: Path, query: str) -> tuple[list[str], list[str]]:
    """The corpus's body sentences, and those holding every syllable of ``query``."""
    wanted = text.fold_diacritics(query.lower())
    every, holding = [], []
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            body = json.loads(line).get("body", "")
            for start, end in sentences.split_sentences(body):
                sentence = body[start:end].strip()
                if 40 <= len(sentence) <= 400:
                    every.append(sentence)
                    if wanted in text.fold_diacritics(sentence.lower()):
                        holding.append(sentence)
    return every, holding


def generate(corpus: Path, query: str, docs: int, dest: Path) -> None:
    """``docs`` articles of recombined sentences, each with one sentence holding ``query``."""
    every, holding = corpus_sentences(corpus, query)
    print(f"{len(every):,} sentences, {len(holding):,} with the query's words", flush=True)
    rng = random.Random(19)
    start = datetime(2015, 1, 1, tzinfo=timezone(timedelta(hours=7)))
    with gzip.open(dest, "wt", encoding="utf-8") as out:
        for i in range(docs):
            body = rng.sample(every, rng.randint(4, 8))
            body.insert(rng.randrange(len(body) + 1), rng.choice(holding))
            record = {
                "id": f"gen-{i:06d}",
                "title": rng.choice(every)[:120],
                "body": "\n".join(body),
                "date": (start + timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))).isoformat(),
                "author": rng.choice(AUTHORS),
                "category": rng.choice(CATEGORIES),
                "url": f"https://example.org/bai/{i}",
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def searchkit_command() -> list[str]:
    return [sys.executable, "-m", "searchkit.cli"]


def build(index_dir: Path, corpus: Path, query: str, docs: int, jobs: int) -> None:
    source = index_dir.parent / "export-corpus.jsonl.gz"
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    generate(corpus, query, docs, source)
    print(f"generated {docs:,} articles in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    command = [*searchkit_command(), "index", str(source), "--index", str(index_dir), "--quiet"]
    subprocess.run([*command, "--jobs", str(jobs)], check=True)
    print(f"indexed in {time.perf_counter() - started:.0f} s", flush=True)


class AnonymousPeak(threading.Thread):
    """The highest anonymous (private) resident memory of process ``pid``, sampled from
    /proc: RSS less the pages mapped from files (the index's postings), which the kernel
    can drop and reread."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb = pid, 0

    def run(self) -> None:
        while True:
            try:
                with open(f"/proc/{self.pid}/status") as status:
                    for line in status:
                        if line.startswith("RssAnon:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                return
            time.sleep(0.05)


def measure(command: list[str], form: str | None) -> tuple[int, float, float, float]:
    """Rows written, wall seconds, peak RSS and peak anonymous memory (MB) of ``command``:
    the rows go through a pipe to this process, which reads them as they come (CSV rows
    with the csv module, as a spreadsheet would, JSON Lines a line at a time)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE)
    sampler = AnonymousPeak(proc.pid)
    sampler.start()
    assert proc.stdout is not None
    rows = 0
    if form is None:
        rows = sum(1 for _ in proc.stdout)
    elif form == "csv":
        import csv
        import io

        reader = csv.reader(io.TextIOWrapper(proc.stdout, encoding="utf-8-sig", newline=""))
        rows = sum(1 for _ in reader) - 1  # the header
    else:
        for line in proc.stdout:
            json.loads(line)
            rows += 1
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(command)} exited with {proc.returncode}")
    sampler.join()
    return rows, time.perf_counter() - started, usage.ru_maxrss / 1024, sampler.peak_kb / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX)
    parser.add_argument("--docs", type=int, default=110_000)
    parser.add_argument("--query", default="việt nam")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--build-only", action="store_true", help="Build the index and stop.")
    args = parser.parse_args(argv)
    if not args.index.exists():
        build(args.index, args.corpus, args.query, args.docs, args.jobs)
    if args.build_only:
        return 0
    query = [*searchkit_command(), "query", args.query, "--index", str(args.index)]
    # For scale: the same query's first page, in the same kind of process.
    _, seconds, peak, anonymous = measure([*query, "--limit", "10"], None)
    print(f"page   10 hits      {seconds:3.0f} s  peak RSS {peak:.0f} MB, anonymous {anonymous:.0f} MB")
    failed = False
    for form in ("jsonl", "csv"):
        rows, seconds, peak, anonymous = measure([*query, "--all", "--format", form], form)
        verdict = "pass" if peak < LIMIT_MB and rows >= 100_000 else "FAIL"
        failed |= verdict == "FAIL"
        print(
            f"{form:5s}  {rows:,} rows {seconds:3.0f} s  peak RSS {peak:.0f} MB, anonymous {anonymous:.0f} MB"
            f"  (< {LIMIT_MB} MB at 100,000 rows or more: {verdict})"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
