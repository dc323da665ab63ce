"""Indexing throughput, memory, query latency and cold start of searchkit, in one run.

    python bench/perf.py [CORPUS] [--limit N] [--jobs N] [--queries N] [--skip-baseline]
                         [--baseline-limit N] [--baseline-queries N] [--workdir DIR] [--profile]

CORPUS (default ``../shared/data/baomoi-35k.jsonl.gz`` relative to the repository root)
is any file or directory ``searchkit index`` accepts. With ``--limit N`` the first N
articles are written to a temporary ``.jsonl`` first, and everything runs on that.

It prints, side by side:

1. segmentation-only throughput, in a pool of ``--jobs`` processes over the title, sapo
   and body of the same articles, twice:
   - pyvi over the text, ``ViTokenizer.tokenize``: the limit acceptance 1 of issue 6
     compares indexing with;
   - searchkit's own segmenter, the path the indexer runs (``text.token_texts`` +
     ``segment.group_words``): pyvi's model with features rebuilt faster than pyvi's
     own, so its ratio shows what everything but segmentation costs;
2. a full ``index_paths(..., rebuild=True, jobs=N)`` in a subprocess (so summaries and
   the Whoosh writer are included): articles/s, MB/s, wall time, peak memory (sum of
   RSS and of PSS over the main process and its workers, sampled from /proc every
   0.5 s, the same sampler as over the workers of step 1; the main process's own
   high-water mark from /proc/self/status VmHWM, which unlike ru_maxrss is not
   inherited from this script across exec; the largest worker from
   getrusage(RUSAGE_CHILDREN)), size on disk;
3. query latency p50/p95/p99 over the development questions and over 2–4-word keyword
   queries cut from corpus titles (fixed seed), for searchkit and for a naive Whoosh
   baseline (StandardAnalyzer title+body, MultifieldParser with OrGroup), the baseline
   on a fixed random sample of ``--baseline-queries`` per set (and searchkit again on
   that sample, for the speed-up: same queries on both sides);
4. cold-start wall time of ``searchkit query`` and ``searchkit --help`` (median of 5).

and then a table of the acceptance targets with pass/FAIL. ``--profile`` also runs the
indexing subprocess under cProfile (main process only) and prints its top functions.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from searchkit import (  # noqa: E402
    articles as _articles,  # noqa: E402
    segment,
    text,
)

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "baomoi-35k.jsonl.gz"
DEFAULT_QUERIES = ROOT.parent / "shared" / "data" / "vinewsqa-dev" / "queries.jsonl.gz"
SEARCHKIT_BIN = ROOT / ".venv" / "bin" / "searchkit"
BATCH = 64  # the indexer's BATCH_ARTICLES

TARGETS = {
    "index / pyvi segmentation throughput": (0.75, ">="),
    "peak memory (PSS sum, MB)": (1536, "<"),
    "questions p50 (ms)": (60, "<="),
    "questions p95 (ms)": (250, "<="),
    "keywords p50 (ms)": (20, "<="),
    "keywords p95 (ms)": (80, "<="),
    "questions p50 speed-up vs baseline": (5, ">="),
    "keywords p50 speed-up vs baseline": (5, ">="),
    "`searchkit query` cold start (s)": (1.2, "<="),
    "`searchkit --help` cold start (s)": (0.4, "<="),
}


def load(path: Path, limit: int | None) -> list:
    """The articles of ``path`` as the indexer reads them (first ``limit`` only)."""
    files = list(_articles.source_files([path], []))
    out = []
    for root, f in files:
        out.extend(_articles.read_file(f, root).articles)
        if limit and len(out) >= limit:
            break
    return out[:limit] if limit else out


def write_jsonl(arts: list, dest: Path) -> None:
    with dest.open("w", encoding="utf-8") as f:
        for a in arts:
            rec = {"id": a.id, "url": a.url, "title": a.title, "sapo": a.sapo, "body": a.body}
            if a.date:
                rec["date"] = a.date.isoformat()
            if a.author:
                rec["author"] = a.author
            if a.category:
                rec["category"] = a.category
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def text_bytes(arts: list) -> int:
    return sum(len(a.title.encode()) + len(a.sapo.encode()) + len(a.body.encode()) for a in arts)


# ---------------------------------------------------------------- segmentation only


def _pyvi_batch(batch: list[tuple[str, str, str]]) -> int:
    """pyvi's own API, ``ViTokenizer.tokenize``, over each text: the limit as the issue
    sets it ("pyvi over the corpus text")."""
    tokenize = segment._vi_tokenizer().tokenize  # noqa: SLF001 - the same lazily loaded model
    return sum(len(tokenize(s).split()) for parts in batch for s in parts if s)


def _searchkit_batch(batch: list[tuple[str, str, str]]) -> int:
    """searchkit's own segmentation path, the one the indexer runs: normalise, split into
    tokens, pyvi's model through our rebuilt features (segment.py)."""
    return sum(
        len(segment.group_words(*text.token_texts(text.normalize(s)))) for parts in batch for s in parts if s
    )


SEGMENTERS = {"pyvi": _pyvi_batch, "searchkit": _searchkit_batch}


def bench_segmentation(arts: list, jobs: int, segmenter: str) -> dict:
    payload = [(a.title, a.sapo, a.body) for a in arts]
    batches = [payload[i : i + BATCH] for i in range(0, len(payload), BATCH)]
    run_batch = SEGMENTERS[segmenter]
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    # The same memory sampler as the indexing run, over the pool's workers: its cost
    # (reading /proc) then weighs on both sides of the ratio alike.
    with MemorySampler(os.getpid(), include_root=jobs == 1) as memory:
        if jobs > 1:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs) as pool:
                words = sum(pool.imap(run_batch, batches))
        else:
            words = sum(map(run_batch, batches))
    return {
        "wall": time.perf_counter() - t0,
        "words": words,
        "cpu": _cpu_seconds() - cpu0,
        "peak_pss_mb": memory.pss / 1024,
    }


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its reaped descendants. Unlike
    wall time it does not move when other tenants of the machine take cycles, so the
    CPU-time ratio shows what the code costs when the wall-time ratio is noisy."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# ---------------------------------------------------------------- full index

_INDEX_CHILD = r"""
import json, sys, time, resource
sys.path.insert(0, {root!r})
import searchkit
profile = {profile!r}
t0 = time.perf_counter()
if profile:
    import cProfile, pstats, io
    pr = cProfile.Profile(); pr.enable()
report = searchkit.index_paths([{corpus!r}], {index!r}, rebuild=True, jobs={jobs})
wall = time.perf_counter() - t0
out = {{"wall": wall, "documents": report.documents, "added": report.added, "skipped": report.skipped,
       "self_maxrss_kb": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1]),
       "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}
if profile:
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(22)
    out["profile"] = s.getvalue()
print("RESULT " + json.dumps(out))
"""


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (from /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def _mem_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of one process, (0, 0) when it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        try:
            with open(f"/proc/{pid}/statm") as f:
                rss = pss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except OSError:
            pass
    return rss, pss


class MemorySampler:
    """Peak sums of RSS and PSS (kB) over a process tree, sampled from /proc in a thread.

    Every ``SAMPLE_SECONDS``, not faster: one sample of three processes costs about 8 ms
    of CPU (mostly the kernel walking page tables for smaps_rollup), so sampling every
    0.1 s took ~4% of this 2-core machine away from the run it was measuring.
    """

    SAMPLE_SECONDS = 0.5

    def __init__(self, root: int, include_root: bool = True):
        self.root, self.include_root = root, include_root
        self.rss = self.pss = self.procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            pids = [p for p in _tree(self.root) if self.include_root or p != self.root]
            sizes = [_mem_kb(p) for p in pids]
            self.rss = max(self.rss, sum(r for r, _ in sizes))
            self.pss = max(self.pss, sum(s for _, s in sizes))
            self.procs = max(self.procs, len(pids))
            if self._stop.wait(self.SAMPLE_SECONDS):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def bench_index(corpus: Path, index_dir: Path, jobs: int, profile: bool, root: Path = ROOT) -> dict:
    """Index ``corpus`` with the searchkit of checkout ``root`` in a subprocess."""
    code = _INDEX_CHILD.format(
        root=str(root), corpus=str(corpus), index=str(index_dir), jobs=jobs, profile=profile
    )
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    with MemorySampler(proc.pid) as memory:
        out, _ = proc.communicate()
        wall = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        raise SystemExit(f"indexing subprocess failed with status {proc.returncode}")
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    result["outer_wall"] = wall
    result["cpu"] = _cpu_seconds() - cpu0  # the subprocess and its workers, all reaped by now
    result["peak_rss_mb"] = memory.rss / 1024
    result["peak_pss_mb"] = memory.pss / 1024
    result["max_procs"] = memory.procs
    result["size_mb"] = sum(f.stat().st_size for f in index_dir.iterdir() if f.is_file()) / 2**20
    return result


# ---------------------------------------------------------------- queries


def load_questions(path: Path, n: int | None) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        qs = [json.loads(line)["text"] for line in f if line.strip()]
    return qs[:n] if n else qs


def keyword_queries(arts: list, n: int, seed: int = 1234) -> list[str]:
    """2–4 consecutive words of random titles (words: runs of letters/digits)."""
    rng = random.Random(seed)
    titles = [re.findall(r"[^\W_]+", a.title) for a in arts]
    titles = [t for t in titles if len(t) >= 2]
    out = []
    while len(out) < n and titles:
        words = rng.choice(titles)
        k = rng.randint(2, min(4, len(words)))
        start = rng.randint(0, len(words) - k)
        out.append(" ".join(words[start : start + k]))
    return out


def percentiles(samples_ms: list[float]) -> dict:
    s = sorted(samples_ms)

    def pct(p: float) -> float:
        return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]

    return {"p50": pct(50), "p95": pct(95), "p99": pct(99), "mean": statistics.fmean(s), "n": len(s)}


def time_queries(run, queries: list[str]) -> dict:
    for q in queries[:5]:  # warm-up: caches, lazy imports
        run(q)
    samples = []
    for q in queries:
        t = time.perf_counter()
        run(q)
        samples.append((time.perf_counter() - t) * 1000)
    return percentiles(samples)


def bench_searchkit_queries(index_dir: Path, sets: dict[str, list[str]]) -> dict:
    from searchkit import open_index

    t = time.perf_counter()
    ix = open_index(index_dir)
    first_q = next(iter(sets.values()))[0]
    ix.search(first_q, limit=10)
    first_ms = (time.perf_counter() - t) * 1000
    out = {name: time_queries(lambda q: ix.search(q, limit=10), qs) for name, qs in sets.items()}
    out["first_ms"] = first_ms
    ix.close()
    return out


def build_baseline(arts: list, dest: Path) -> float:
    from whoosh import fields, index as wi

    schema = fields.Schema(id=fields.ID(stored=True), title=fields.TEXT(), body=fields.TEXT())
    dest.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    ix = wi.create_in(str(dest), schema)
    w = ix.writer(limitmb=256)
    for a in arts:
        w.add_document(id=a.id, title=a.title, body=f"{a.sapo}\n{a.body}" if a.sapo else a.body)
    w.commit()
    return time.perf_counter() - t


def bench_baseline_queries(dest: Path, sets: dict[str, list[str]]) -> dict:
    from whoosh import index as wi
    from whoosh.qparser import MultifieldParser, OrGroup

    ix = wi.open_dir(str(dest))
    parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)
    with ix.searcher() as s:

        def run(q: str) -> None:
            hits = s.search(parser.parse(q), limit=10)
            [h["id"] for h in hits]

        return {name: time_queries(run, qs) for name, qs in sets.items()}


# ---------------------------------------------------------------- cold start


def cold(args: list[str], runs: int = 5) -> dict:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/tmp")
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"{args} failed: {r.stderr.decode()[-400:]}")
    return {"median": statistics.median(times), "min": min(times), "max": max(times)}


# ---------------------------------------------------------------- main


def load_str() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=None, help="Only the first N articles.")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--queries",
        type=int,
        default=None,
        help="At most N questions and N keyword queries (default: all questions, 1000 keyword queries).",
    )
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument(
        "--baseline-limit", type=int, default=None, help="Build the baseline on the first N articles only."
    )
    ap.add_argument(
        "--baseline-queries",
        type=int,
        default=500,
        help=(
            "Time the baseline on a fixed random sample of N queries per set, and searchkit on the same "
            "sample for the speed-up (default 500: a naive query takes ~1 s on 35k articles; 0 = all)."
        ),
    )
    ap.add_argument("--questions", type=Path, default=DEFAULT_QUERIES)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/perf"))
    ap.add_argument("--profile", action="store_true", help="cProfile the indexing main process.")
    ap.add_argument("--keep", action="store_true", help="Keep the scratch directory.")
    args = ap.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="run-", dir=args.workdir))
    loads = {"start": load_str()}
    print(
        f"# searchkit perf — {time.strftime('%Y-%m-%d %H:%M:%S')}, {os.cpu_count()} CPUs, "
        f"jobs={args.jobs}, load {loads['start']}"
    )
    print(f"# scratch: {work}")
    try:
        arts = load(args.corpus, args.limit)
        corpus = args.corpus
        if args.limit:
            corpus = work / "corpus.jsonl"
            write_jsonl(arts, corpus)
        nbytes = text_bytes(arts)
        mb = nbytes / 1e6
        print(f"# corpus: {args.corpus} → {len(arts)} articles, {mb:.1f} MB of text (title+sapo+body, UTF-8)")

        own = bench_segmentation(arts, args.jobs, "searchkit")
        loads["after searchkit segmenter"] = load_str()
        seg = bench_segmentation(arts, args.jobs, "pyvi")
        loads["after pyvi"] = load_str()
        idx_dir = work / "index"
        ix = bench_index(corpus, idx_dir, args.jobs, args.profile)
        loads["after indexing"] = load_str()

        print("\n## Indexing (same articles, same number of processes)\n")
        print(
            f"| {'':34} | {'pyvi segmentation':>17} | {'searchkit segmenter':>19} | {'searchkit index':>15} |"
        )
        print(f"|{'-' * 36}|{'-' * 19}|{'-' * 21}|{'-' * 17}|")
        n = len(arts)
        runs = (seg, own, {**ix, "wall": ix["outer_wall"]})
        rows = [
            ("wall time (s)", *(f"{r['wall']:.1f}" for r in runs)),
            ("articles/s", *(f"{n / r['wall']:.1f}" for r in runs)),
            ("MB/s", *(f"{mb / r['wall']:.3f}" for r in runs)),
            ("wall-time ratio to pyvi", *(f"{seg['wall'] / r['wall']:.2f}" for r in runs)),
            ("CPU time, all processes (s)", *(f"{r['cpu']:.1f}" for r in runs)),
            ("CPU-time ratio to pyvi", *(f"{seg['cpu'] / r['cpu']:.2f}" for r in runs)),
            ("ratio to searchkit segmenter (wall)", "", "1.00", f"{own['wall'] / ix['outer_wall']:.2f}"),
            ("peak RSS sum, all procs (MB)", "", "", f"{ix['peak_rss_mb']:.0f}"),
            (
                "peak PSS sum, all procs (MB)",
                f"{seg['peak_pss_mb']:.0f}",
                f"{own['peak_pss_mb']:.0f}",
                f"{ix['peak_pss_mb']:.0f}",
            ),
            (
                "max RSS main (VmHWM) / worker (MB)",
                "",
                "",
                f"{ix['self_maxrss_kb'] / 1024:.0f} / {ix['children_maxrss_kb'] / 1024:.0f}",
            ),
            ("processes (main + workers)", str(args.jobs), str(args.jobs), str(ix["max_procs"])),
            ("index size on disk (MB)", "", "", f"{ix['size_mb']:.1f}"),
            ("documents", "", "", str(ix["documents"])),
        ]
        for r in rows:
            print(f"| {r[0]:34} | {r[1]:>17} | {r[2]:>19} | {r[3]:>15} |")
        if ix.get("profile"):
            print("\n### cProfile of the indexing main process (tottime)\n")
            print(ix["profile"])

        questions = load_questions(args.questions, args.queries)
        keywords = keyword_queries(arts, args.queries or 1000)
        sets = {"questions": questions, "keywords": keywords}
        sk = bench_searchkit_queries(idx_dir, sets)
        loads["after searchkit queries"] = load_str()
        base = None
        base_n = min(len(arts), args.baseline_limit or len(arts))
        if not args.skip_baseline:
            base_build = build_baseline(arts[:base_n], work / "baseline")
            sample = random.Random(4321)
            base_sets = {
                name: (
                    sample.sample(qs, args.baseline_queries) if 0 < args.baseline_queries < len(qs) else qs
                )
                for name, qs in sets.items()
            }
            base = bench_baseline_queries(work / "baseline", base_sets)
            sk_same = bench_searchkit_queries(idx_dir, base_sets)
            loads["after baseline"] = load_str()

        print(
            f"\n## Query latency, ms (limit=10; {len(questions)} questions, "
            f"{len(keywords)} keyword queries of 2–4 title words, seed 1234)\n"
        )
        base_note = (
            ""
            if base is None
            else (
                f" (baseline on {base_n} articles, built in {base_build:.1f} s)"
                if base_n < len(arts)
                else f" (baseline built in {base_build:.1f} s)"
            )
        )
        print(
            f"searchkit: {ix['documents']} documents; open + first query {sk['first_ms']:.0f} ms{base_note}\n"
        )
        print(f"| {'set':10} | {'engine':16} | {'p50':>7} | {'p95':>7} | {'p99':>7} | {'mean':>7} |")
        print(f"|{'-' * 12}|{'-' * 18}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
        for name in sets:
            engines = [("searchkit", sk[name])]
            if base:
                n_same = len(base_sets[name])
                engines += [(f"searchkit, {n_same}", sk_same[name]), (f"baseline, {n_same}", base[name])]
            for eng, r in engines:
                print(
                    f"| {name:10} | {eng:16} | {r['p50']:7.1f} | {r['p95']:7.1f} | "
                    f"{r['p99']:7.1f} | {r['mean']:7.1f} |"
                )
            if base:
                print(
                    f"| {name:10} | {'p50 speed-up':16} | {base[name]['p50'] / sk_same[name]['p50']:6.1f}× | "
                    f"{'':>7} | {'':>7} | {'':>7} |"
                )

        q = keywords[0] if keywords else "nông thôn mới"
        cq = cold([str(SEARCHKIT_BIN), "query", q, "--index", str(idx_dir)])
        ch = cold([str(SEARCHKIT_BIN), "--help"])
        loads["end"] = load_str()
        print("\n## Cold start, s (median of 5 subprocess runs)\n")
        print(f"| {'command':36} | {'median':>6} | {'min':>6} | {'max':>6} |")
        print(f"|{'-' * 38}|{'-' * 8}|{'-' * 8}|{'-' * 8}|")
        print(
            f"| {'searchkit query ' + repr(q):36.36} | {cq['median']:6.2f} | "
            f"{cq['min']:6.2f} | {cq['max']:6.2f} |"
        )
        print(f"| {'searchkit --help':36} | {ch['median']:6.2f} | {ch['min']:6.2f} | {ch['max']:6.2f} |")

        measured = {
            "index / pyvi segmentation throughput": seg["wall"] / ix["outer_wall"],
            "peak memory (PSS sum, MB)": ix["peak_pss_mb"],
            "questions p50 (ms)": sk["questions"]["p50"],
            "questions p95 (ms)": sk["questions"]["p95"],
            "keywords p50 (ms)": sk["keywords"]["p50"],
            "keywords p95 (ms)": sk["keywords"]["p95"],
            "`searchkit query` cold start (s)": cq["median"],
            "`searchkit --help` cold start (s)": ch["median"],
        }
        if base:
            measured["questions p50 speed-up vs baseline"] = (
                base["questions"]["p50"] / sk_same["questions"]["p50"]
            )
            measured["keywords p50 speed-up vs baseline"] = (
                base["keywords"]["p50"] / sk_same["keywords"]["p50"]
            )
        print("\n## Acceptance targets\n")
        print(f"| {'target':36} | {'goal':>8} | {'measured':>9} | {'':4} |")
        print(f"|{'-' * 38}|{'-' * 10}|{'-' * 11}|{'-' * 6}|")
        ok_all = True
        for name, (goal, op) in TARGETS.items():
            if name not in measured:
                print(f"| {name:36} | {op + str(goal):>8} | {'skipped':>9} |      |")
                continue
            v = measured[name]
            ok = {">=": v >= goal, "<=": v <= goal, "<": v < goal}[op]
            ok_all &= ok
            print(f"| {name:36} | {op + str(goal):>8} | {v:9.2f} | {'pass' if ok else 'FAIL':4} |")
        print("\nload average (1/5/15 min): " + "; ".join(f"{k} {v}" for k, v in loads.items()))
        sys.exit(0 if ok_all else 1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
