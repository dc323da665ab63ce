"""Retrieval quality and latency of searchkit on a BEIR-layout dataset.

    python bench/retrieval.py [DATASET_DIR] [--index DIR] [--rebuild] [--jobs N]
                              [--variants original,accentless,tone,nfd] [--limit N]

DATASET_DIR (default ``../shared/data/vinewsqa-dev``) holds ``corpus.jsonl[.gz]``
(``_id``, ``title``, ``text``), ``queries.jsonl[.gz]`` (``_id``, ``text``), optionally
``queries.accentless.jsonl[.gz]``, and ``qrels.tsv`` or ``qrels/test.tsv`` (query-id,
corpus-id, score; a header line is skipped). The index is built once under
``bench/out/`` and reused unless ``--rebuild``.

Query variants: ``original``; ``accentless`` (the dataset's own file when present, else
the originals folded); ``tone`` (the other tone-mark placement: ``hòa``→``hoà`` …); ``nfd``
(Unicode NFD). Prints one markdown row per variant: MRR@10, nDCG@10, Recall@10, P@1 and
per-query latency p50/p95 (ms), plus the build time.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import searchkit  # noqa: E402
from searchkit.text import fold_diacritics  # noqa: E402


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def find(directory: Path, stem: str) -> Path | None:
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz", f"{stem}.tsv", "qrels/test.tsv"):
        if (directory / name).exists():
            return directory / name
    return None


def load_queries(path: Path) -> dict[str, str]:
    with _open(path) as f:
        return {str(r["_id"]): r["text"] for r in map(json.loads, filter(str.strip, f))}


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with _open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or not parts[2].strip().lstrip("-").isdigit():
                continue  # header
            if int(parts[2]) > 0:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


# The other tone-mark convention: modern "òa/òe/ùy" at a syllable end → old "oà/oè/uỳ".
_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _old_style_table() -> dict[str, str]:
    moves = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in _MARKS:
            for f, s in ((first, second), (first.upper(), second.upper()), (first.upper(), second)):
                modern = unicodedata.normalize("NFC", f + mark) + s
                moves[modern] = f + unicodedata.normalize("NFC", s + mark)
    return moves


_OLD = _old_style_table()
_OLD_RE = re.compile("(?<![qQ])(" + "|".join(_OLD) + r")(?![^\W\d_])")


def other_tone_placement(query: str) -> str:
    return _OLD_RE.sub(lambda m: _OLD[m.group(1)], unicodedata.normalize("NFC", query))


def evaluate(ix, queries: dict[str, str], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    rr, ndcg, recall, p1, latencies = [], [], [], [], []
    for qid, relevant in qrels.items():
        if qid not in queries:
            continue
        started = time.perf_counter()
        try:
            ranked = [h.id for h in ix.search(queries[qid], limit=10).hits]
        except searchkit.QuerySyntaxError:
            ranked = []
        latencies.append((time.perf_counter() - started) * 1000)
        first = next((i for i, d in enumerate(ranked) if d in relevant), None)
        rr.append(1 / (first + 1) if first is not None else 0.0)
        p1.append(1.0 if ranked and ranked[0] in relevant else 0.0)
        recall.append(len(set(ranked) & set(relevant)) / len(relevant))
        dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked))
        ideal = sorted(relevant.values(), reverse=True)[:10]
        ndcg.append(dcg / sum(g / math.log2(i + 2) for i, g in enumerate(ideal)))
    latencies.sort()
    return {
        "queries": len(rr),
        "MRR@10": statistics.fmean(rr),
        "nDCG@10": statistics.fmean(ndcg),
        "Recall@10": statistics.fmean(recall),
        "P@1": statistics.fmean(p1),
        "p50 ms": latencies[len(latencies) // 2],
        "p95 ms": latencies[int(len(latencies) * 0.95)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", nargs="?", default=str(ROOT.parent / "shared/data/vinewsqa-dev"))
    parser.add_argument("--index", default=None, help="index directory (default bench/out/<dataset>-index)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--variants", default="original,accentless,tone,nfd")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N queries")
    args = parser.parse_args()

    dataset = Path(args.dataset)
    index_dir = Path(args.index or ROOT / "bench/out" / f"{dataset.name}-index")
    corpus = find(dataset, "corpus")
    if corpus is None:
        sys.exit(f"no corpus.jsonl[.gz] in {dataset}")
    build_seconds = None
    if args.rebuild or not index_dir.exists():
        report = searchkit.index_paths([corpus], index_dir, rebuild=True, jobs=args.jobs)
        build_seconds = report.seconds
        print(f"built {index_dir}: {report.summary()}")
    queries = load_queries(find(dataset, "queries"))
    qrels_path = dataset / "qrels.tsv" if (dataset / "qrels.tsv").exists() else find(dataset, "qrels")
    qrels = load_qrels(qrels_path)
    if args.limit:
        qrels = dict(list(qrels.items())[: args.limit])
    accentless_path = find(dataset, "queries.accentless")
    variants = {
        "original": lambda: queries,
        "accentless": lambda: load_queries(accentless_path) if accentless_path else {k: fold_diacritics(v) for k, v in queries.items()},
        "tone": lambda: {k: other_tone_placement(v) for k, v in queries.items()},
        "nfd": lambda: {k: unicodedata.normalize("NFD", v) for k, v in queries.items()},
    }
    ix = searchkit.open_index(index_dir)
    ix.search("khởi động", limit=1)  # warm the searcher
    print(f"\n{dataset.name}: {ix.doc_count} documents, {len(qrels)} judged queries"
          + (f", index built in {build_seconds:.1f} s" if build_seconds else ""))
    columns = ["MRR@10", "nDCG@10", "Recall@10", "P@1", "p50 ms", "p95 ms"]
    print("\n| variant | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for name in args.variants.split(","):
        scores = evaluate(ix, variants[name](), qrels)
        print(f"| {name} | " + " | ".join(f"{scores[c]:.3f}" if "ms" not in c else f"{scores[c]:.1f}" for c in columns) + " |", flush=True)


if __name__ == "__main__":
    main()
