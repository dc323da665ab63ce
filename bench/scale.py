"""How searchkit scales with the archive: index time, size and memory, searcher open time
and memory, query latency, at N articles (issue 18). Runs by hand, not in CI.

    python bench/scale.py [--sizes 67000,200000] [--out DIR] [--reuse] [--jobs N]
                          [--queries N] [--code LABEL=CHECKOUT ...] [--same-index] [--rounds R]

The archive of N articles is every distinct article of ``../shared/data`` (VietNews
train-20k and val-2000, baomoi-35k, the vinewsqa-dev corpus: about 67,000), then copies
of them with new ids (``<id>~2``, ``~3`` …) up to N, written as ``DIR/archive-N.jsonl``.
VietNews' ``abstract`` is written as the article's ``sapo`` (its lead, as on the page).
Articles of the vinewsqa-dev corpus are VietNews val articles: one whose number or text
is already in val-2000 is left out.

For each size and each checkout (``--code``, default ``this=<this repository>``; e.g.
``--code main=/tmp/main-src`` for an export of main, ``git archive main | tar -x``), in
subprocesses that import that checkout's searchkit:

* indexing: ``searchkit.index_paths(..., rebuild=True, jobs=--jobs)``: wall time,
  articles/s, peak memory (RSS and PSS summed over the process and its workers, sampled
  by bench/perf.py's sampler), index size per article. ``--reuse`` keeps an index already
  built in ``DIR/<label>-N`` (then no indexing figures). ``--same-index`` builds with the
  first checkout only and queries that index with every checkout (when their formats are
  the same: the comparison is then of the query code alone).
* searching: a fresh process opens the index (``open`` ms: ``open_index`` and a first
  query), answers the development questions (vinewsqa-dev, the first ``--queries``) and
  as many keyword queries (2-4 consecutive words of the archive's titles, seed 1234,
  bench/perf.py's ``keyword_queries``), limit 10, and reports latency p50/p95/p99 and the
  process's anonymous resident memory (``RssAnon``: the heap and numpy's arrays, the
  memory-mapped index files aside) before opening and once warm, with ``RssFile`` for
  the mapped pages. ``--rounds R`` repeats the searching step R times per checkout,
  alternating checkouts, and prints the median of each figure.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import statistics
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import ROOT, bench_index, keyword_queries  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
QUESTIONS = DATA / "vinewsqa-dev" / "queries.jsonl.gz"


# ---------------------------------------------------------------- the archive


def _records(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        yield from (json.loads(line) for line in f if line.strip())


def distinct_articles() -> list[dict]:
    """Every distinct article of the shared data as ``{id, title, sapo, body}``."""
    out: list[dict] = []
    for name in ("vietnews-train-20k.jsonl.gz", "vietnews-val-2000.jsonl.gz"):
        for r in _records(DATA / name):
            body = r.get("body") or " ".join(r.get("sentences") or [])
            out.append({"id": r["id"], "title": r["title"], "sapo": r.get("abstract", ""), "body": body})
    out += [
        {"id": r["id"], "title": r["title"], "sapo": r.get("sapo", ""), "body": r["body"]}
        for r in _records(DATA / "baomoi-35k.jsonl.gz")
    ]
    seen_ids = {a["id"] for a in out}
    seen_text = {" ".join(a["body"].split()) for a in out}
    for r in _records(DATA / "vinewsqa-dev" / "corpus.jsonl.gz"):
        number = r["_id"].removeprefix("vn_")  # vn_val_N is VietNews' val_N
        sapo, _, body = r["text"].partition("\n")
        sapo, body = (sapo, body) if body else ("", sapo)
        if number in seen_ids or " ".join(body.split()) in seen_text:
            continue
        out.append({"id": r["_id"], "title": r.get("title", ""), "sapo": sapo, "body": body})
    return out


def write_archive(articles: list[dict], n: int, dest: Path) -> None:
    """The first ``n`` of ``articles`` repeated with new ids (``~2``, ``~3`` …)."""
    with dest.open("w", encoding="utf-8") as f:
        for k, a in enumerate(itertools.islice(itertools.cycle(articles), n)):
            copy = k // len(articles)
            record = a if not copy else {**a, "id": f"{a['id']}~{copy + 1}"}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- searching


_SEARCH_CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
def status():
    fields = dict(l.split(":", 1) for l in open("/proc/self/status"))
    return {{k: int(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile")}}
import numpy, whoosh, searchkit, searchkit.search
assert searchkit.__file__.startswith({root!r}), searchkit.__file__
sets = json.load(open({sets!r}))
before = status()
t = time.perf_counter()
ix = searchkit.open_index({index!r})
opened = time.perf_counter() - t
ix.search(sets["keywords"][0], limit=10)
first = time.perf_counter() - t
out = {{"open_ms": opened * 1000, "first_ms": first * 1000, "before": before}}
for name, queries in sets.items():
    for q in queries[:5]:
        ix.search(q, limit=10)
    times = []
    for q in queries:
        t = time.perf_counter()
        ix.search(q, limit=10)
        times.append((time.perf_counter() - t) * 1000)
    out[name] = times
out["warm"] = status()
print("RESULT " + json.dumps(out))
"""


def search_run(root: Path, index_dir: Path, sets_file: Path) -> dict:
    from perf import percentiles

    code = _SEARCH_CHILD.format(root=str(root), index=str(index_dir), sets=str(sets_file))
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, check=True).stdout
    result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    for name in ("questions", "keywords"):
        result[name] = percentiles(result[name])
    return result


def _median_of(runs: list[dict]) -> dict:
    """Each number of the runs' results, the median over runs."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: _median_of([r[k] for r in runs]) for k in first}
    return statistics.median(runs)


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="67000", help="comma-separated archive sizes (articles)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/scale"))
    ap.add_argument("--reuse", action="store_true", help="reuse archives and indexes already built")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--queries", type=int, default=1000, help="questions and keyword queries per set")
    ap.add_argument("--code", action="append", default=[], help="LABEL=CHECKOUT (repeatable)")
    ap.add_argument("--same-index", action="store_true", help="index with the first checkout only")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    codes = dict(c.split("=", 1) for c in args.code) or {"this": str(ROOT)}
    codes = {label: Path(path).resolve() for label, path in codes.items()}
    args.out.mkdir(parents=True, exist_ok=True)

    articles = distinct_articles()
    print(
        f"# {len(articles)} distinct articles; checkouts: " + ", ".join(f"{k}={v}" for k, v in codes.items())
    )
    questions = [r["text"] for r in _records(QUESTIONS)][: args.queries]
    keywords = keyword_queries([SimpleNamespace(title=a["title"]) for a in articles], args.queries)
    sets_file = args.out / "queries.json"
    sets_file.write_text(json.dumps({"questions": questions, "keywords": keywords}, ensure_ascii=False))

    for n in (int(s) for s in args.sizes.split(",")):
        archive = args.out / f"archive-{n}.jsonl"
        if not (args.reuse and archive.exists()):
            write_archive(articles, n, archive)
        mb = archive.stat().st_size / 1e6
        indexed: dict[str, dict | None] = {}
        index_of: dict[str, Path] = {}
        for label, root in codes.items():
            owner = next(iter(codes)) if args.same_index else label
            index_of[label] = args.out / f"{owner}-{n}"
            if owner != label:
                continue
            if args.reuse and any(index_of[label].glob("*.toc")):
                indexed[label] = None
            else:
                indexed[label] = bench_index(archive, index_of[label], args.jobs, False, root)
        runs: dict[str, list[dict]] = {label: [] for label in codes}
        for _ in range(args.rounds):
            for label, root in codes.items():
                runs[label].append(search_run(root, index_of[label], sets_file))
        print(
            f"\n## {n} articles ({mb:.0f} MB of JSON Lines), {len(questions)} questions, "
            f"{len(keywords)} keyword queries, {args.rounds} round(s)\n"
        )
        print(
            "| checkout | index s | articles/s | peak RSS / PSS MB | KB/article | open ms | "
            "open+1st ms | anon MB (before/warm) | mapped MB | questions p50/p95/p99 | "
            "keywords p50/p95/p99 |"
        )
        print("|---|" + "---|" * 10)
        for label in codes:
            r = _median_of(runs[label])
            size = sum(f.stat().st_size for f in index_of[label].iterdir() if f.is_file())
            ix = indexed.get(label)
            idx = (
                f"{ix['outer_wall']:.0f} | {n / ix['outer_wall']:.0f} | "
                f"{ix['peak_rss_mb']:.0f} / {ix['peak_pss_mb']:.0f}"
                if ix
                else "- | - | -"
            )
            q, k = r["questions"], r["keywords"]
            print(
                f"| {label} | {idx} | {size / n / 1024:.1f} | {r['open_ms']:.0f} | {r['first_ms']:.0f} | "
                f"{r['before']['RssAnon']:.0f} / {r['warm']['RssAnon']:.0f} | {r['warm']['RssFile']:.0f} | "
                f"{q['p50']:.1f} / {q['p95']:.1f} / {q['p99']:.1f} | "
                f"{k['p50']:.1f} / {k['p95']:.1f} / {k['p99']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
