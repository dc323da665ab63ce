"""Retrieval quality and latency of searchkit on a BEIR-layout dataset, beside a plain BM25.

    python bench/retrieval.py [DATASET_DIR] [--set questions|titles] [--index DIR] [--rebuild]
                              [--jobs N] [--variants original,accentless,tone,nfd] [--limit N]
                              [--misses N]

Sets (``--set``; a DATASET_DIR given instead is read as it is):

* ``questions`` (the default): ``../shared/data/vinewsqa-dev``, the UIT-ViNewsQA questions
  about health news among 10,000 VietNews distractors.
* ``titles``: known-item search, "paste an article's title, find the article". Generated in
  ``bench/out/titles-dev/`` from ``../shared/data``: every article of
  ``vietnews-val-2000.jsonl.gz`` with a non-empty title gives a query, the title, whose one
  relevant document is the article's own ``abstract + "\\n" + body``. The corpus is those
  articles plus the 10,500 of ``vinewsqa-dev/corpus.jsonl.gz``, all of them without their
  title (``_id`` and ``text`` only), so that a title never finds itself. Both sources sample
  the VietNews val split: a vinewsqa document that is a val-2000 article (the same number,
  ``vn_val_N`` and ``val_N``, or the same text up to whitespace) is dropped, and so is a
  val-2000 article repeating an earlier one's text (with its query); the counts are printed.
  Generation is deterministic; it is redone with ``--rebuild`` or when a source file changes.

DATASET_DIR holds ``corpus.jsonl[.gz]`` (``_id``, optional ``title``, ``text``),
``queries.jsonl[.gz]`` (``_id``, ``text``), optionally ``queries.accentless.jsonl[.gz]``, and
``qrels.tsv`` or ``qrels/test.tsv`` (query-id, corpus-id, score; a header line is skipped).
searchkit's index is built once in ``bench/out/<dataset>-index`` and reused unless
``--rebuild`` (or the titles set was regenerated).

Query variants: ``original``; ``accentless`` (the dataset's own file when present, else the
originals folded); ``tone`` (the other tone-mark placement: ``hòa``→``hoà`` …); ``nfd``
(Unicode NFD).

Systems, on the same queries: ``searchkit`` and ``bm25``, a plain baseline computed here with
numpy: BM25 (k1 = 1.2, b = 0.75, Lucene's idf) over the ``\\w+`` tokens of the NFC,
lower-cased title and text; no folding, no segmentation, no tone-mark normalisation. It
takes every variant as typed (a folded query against unfolded documents, an old-style tone
mark as another word), like a plain engine would; a query word typed twice counts twice.

Prints one markdown row per variant and system: MRR@10, nDCG@10, Recall@10, P@1, refused
(queries that raised ``searchkit.QuerySyntaxError``, scored as no hits; the baseline never
refuses) and per-query latency p50/p95 (ms), plus the build times. ``--misses N`` then counts
the ``original`` variant's queries whose first searchkit hit is not relevant, by kind, and
lists the first N: the query, the relevant document's rank in searchkit and in the baseline
(to depth 1000) and the start of searchkit's first hit's text.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import math
import re
import shutil
import statistics
import sys
import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import searchkit  # noqa: E402
import searchkit.ranking  # noqa: E402
from searchkit.text import fold_diacritics  # noqa: E402

DATA = ROOT.parent / "shared/data"
OUT = ROOT / "bench/out"
VAL_2000 = DATA / "vietnews-val-2000.jsonl.gz"
VINEWSQA = DATA / "vinewsqa-dev"
TITLES_VERSION = 1  # bump when titles_set changes
MISS_DEPTH = 1000
METRICS = ["MRR@10", "nDCG@10", "Recall@10", "P@1"]  # in the order query_scores returns them
COLUMNS = METRICS + ["refused", "p50 ms", "p95 ms"]

Search = Callable[[str], list[str]]  # a query → the ids of the first 10 hits


# --- reading and writing --------------------------------------------------------------------


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def find(directory: Path, stem: str) -> Path | None:
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz", f"{stem}.tsv", "qrels/test.tsv"):
        if (directory / name).exists():
            return directory / name
    return None


def read_jsonl(path: Path) -> list[dict]:
    with _open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def load_queries(path: Path) -> dict[str, str]:
    return {str(r["_id"]): r["text"] for r in read_jsonl(path)}


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


# --- the titles set -------------------------------------------------------------------------


def _text_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def titles_set(val: list[dict], others: list[dict]) -> tuple[list[dict], list[dict], Counter]:
    """The titles set's corpus and queries (query id = article id), and what was left out."""
    corpus, queries, left_out, texts = [], [], Counter(), set()
    for article in val:
        text = article["abstract"] + "\n" + article["body"]
        if _text_key(text) in texts:
            left_out["val-2000 articles repeating an earlier one's text"] += 1
            continue
        texts.add(_text_key(text))
        corpus.append({"_id": article["id"], "text": text})
        title = " ".join(article["title"].split())
        if title:
            queries.append({"_id": article["id"], "text": title})
        else:
            left_out["val-2000 articles without a title (kept as documents)"] += 1
    numbers = {article["id"].removeprefix("val_") for article in val}
    for doc in others:
        same_number = doc["_id"].startswith("vn_val_") and doc["_id"].removeprefix("vn_val_") in numbers
        same_text = _text_key(doc["text"]) in texts
        if same_number or same_text:
            how = "number and text" if same_number and same_text else "number" if same_number else "text"
            left_out[f"vinewsqa documents that are val-2000 articles (same {how})"] += 1
        else:
            corpus.append({"_id": doc["_id"], "text": doc["text"]})
    return corpus, queries, left_out


def _signature(paths: list[Path]) -> dict[str, list[int]]:
    return {str(p): [p.stat().st_size, p.stat().st_mtime_ns] for p in paths}


def prepare_titles(out: Path, rebuild: bool) -> tuple[dict, bool]:
    """Generate the titles set in ``out`` unless it is there and current: (manifest, generated?)."""
    sources = [VAL_2000, find(VINEWSQA, "corpus")]
    manifest_path = out / "manifest.json"
    if not rebuild and manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("version") == TITLES_VERSION and manifest.get("sources") == _signature(sources):
            return manifest, False
    corpus, queries, left_out = titles_set(read_jsonl(sources[0]), read_jsonl(sources[1]))
    staging = out.with_name(out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    write_jsonl(staging / "corpus.jsonl", corpus)
    write_jsonl(staging / "queries.jsonl", queries)
    qrels = "".join(f"{q['_id']}\t{q['_id']}\t1\n" for q in queries)
    (staging / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + qrels, encoding="utf-8")
    manifest = {
        "version": TITLES_VERSION,
        "sources": _signature(sources),
        "documents": len(corpus),
        "queries": len(queries),
        "left_out": dict(sorted(left_out.items())),
    }
    manifest_text = json.dumps(manifest, ensure_ascii=False, indent=1)
    (staging / "manifest.json").write_text(manifest_text, encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return manifest, True


def describe_titles(manifest: dict, generated: bool) -> str:
    lines = [
        f"{'generated' if generated else 'cached'} titles set: {manifest['documents']:,} documents, "
        f"{manifest['queries']:,} title queries"
    ]
    lines += [f"  left out: {n:,} {what}" for what, n in manifest["left_out"].items()]
    return "\n".join(lines)


# --- query variants -------------------------------------------------------------------------

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


def variant(name: str, queries: dict[str, str], dataset: Path) -> dict[str, str]:
    if name == "accentless":
        own = find(dataset, "queries.accentless")
        return load_queries(own) if own else {k: fold_diacritics(v) for k, v in queries.items()}
    change = {
        "original": str,
        "tone": other_tone_placement,
        "nfd": lambda q: unicodedata.normalize("NFD", q),
    }[name]
    return {k: change(v) for k, v in queries.items()}


# --- the plain BM25 baseline ----------------------------------------------------------------

_PLAIN_WORD = re.compile(r"\w+")


def plain_words(text: str) -> list[str]:
    return _PLAIN_WORD.findall(unicodedata.normalize("NFC", text).lower())


class PlainBM25:
    """BM25 (Lucene's idf) over :func:`plain_words`: per term, its documents and weights."""

    def __init__(self, docs: dict[str, str], k1: float = 1.2, b: float = 0.75):
        self.ids = list(docs)
        self.vocab: dict[str, int] = {}
        words, lengths = array("q"), []
        for text in docs.values():
            doc_words = plain_words(text)
            words.extend(self.vocab.setdefault(w, len(self.vocab)) for w in doc_words)
            lengths.append(len(doc_words))
        n, length = len(self.ids), np.array(lengths, dtype=np.int64)
        doc_of = np.repeat(np.arange(n, dtype=np.int64), length)
        keys, tf = np.unique(np.frombuffer(words, dtype=np.int64) * n + doc_of, return_counts=True)
        terms, self.docs = np.divmod(keys, n)  # sorted by term, then document
        df = np.bincount(terms, minlength=len(self.vocab))
        idf = np.log1p((n - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * length / length.mean())
        self.weights = idf[terms] * tf * (k1 + 1) / (tf + norm[self.docs])
        self.starts = np.concatenate(([0], np.cumsum(df)))

    def search(self, query: str, limit: int = 10) -> list[str]:
        scores = np.zeros(len(self.ids))
        for word in plain_words(query):
            term = self.vocab.get(word)
            if term is not None:
                span = slice(self.starts[term], self.starts[term + 1])
                scores[self.docs[span]] += self.weights[span]
        matched = np.flatnonzero(scores)
        if len(matched) > limit:
            matched = matched[np.argpartition(-scores[matched], limit - 1)[:limit]]
        return [self.ids[d] for d in matched[np.lexsort((matched, -scores[matched]))]]  # ties: corpus order


# --- evaluation -----------------------------------------------------------------------------


def query_scores(ranked: list[str], relevant: dict[str, int]) -> tuple[float, float, float, float]:
    """Reciprocal rank, nDCG, recall and precision at 1 of one ranking."""
    first = next((i for i, d in enumerate(ranked) if d in relevant), None)
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    return (
        1 / (first + 1) if first is not None else 0.0,
        dcg / sum(g / math.log2(i + 2) for i, g in enumerate(ideal)),
        len(set(ranked) & set(relevant)) / len(relevant),
        1.0 if ranked and ranked[0] in relevant else 0.0,
    )


def evaluate(
    search: Search, queries: dict[str, str], qrels: dict[str, dict[str, int]]
) -> tuple[dict[str, float], dict[str, list[str] | None]]:
    """The scores of ``search`` and its ranking per query (None: QuerySyntaxError)."""
    rows, latencies, runs = [], [], {}
    for qid, relevant in qrels.items():
        if qid not in queries:
            continue
        started = time.perf_counter()
        try:
            runs[qid] = search(queries[qid])
        except searchkit.QuerySyntaxError:
            runs[qid] = None
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append(query_scores(runs[qid] or [], relevant))
    latencies.sort()
    scores = {m: statistics.fmean(column) for m, column in zip(METRICS, zip(*rows))}
    scores |= {
        "queries": len(rows),
        "refused": sum(r is None for r in runs.values()),
        "p50 ms": latencies[len(latencies) // 2],
        "p95 ms": latencies[int(len(latencies) * 0.95)],
    }
    return scores, runs


def table_row(variant_name: str, system: str, scores: dict[str, float]) -> str:
    # (Four places for the measures: a target such as MRR@10 >= 0.92 is decided in the fourth.)
    cells = [
        f"{scores[c]:.1f}" if "ms" in c else str(scores[c]) if c == "refused" else f"{scores[c]:.4f}"
        for c in COLUMNS
    ]
    return f"| {variant_name} | {system} | " + " | ".join(cells) + " |"


def miss_tally(runs: dict[str, list[str] | None], qrels: dict[str, dict[str, int]]) -> str:
    """How the rankings whose first hit is not relevant fail, in one line."""
    tally = Counter()
    for qid, ranked in runs.items():
        if ranked is None:
            tally["refused"] += 1
        elif not ranked:
            tally["no hits"] += 1
        elif ranked[0] not in qrels[qid]:
            tally["relevant at 2-10" if set(ranked) & set(qrels[qid]) else "relevant not in the top 10"] += 1
    return f"{sum(tally.values())} misses at rank 1: " + ", ".join(f"{n} {what}" for what, n in tally.items())


def _rank(ranked: list[str], relevant: dict[str, int]) -> str:
    rank = next((i + 1 for i, d in enumerate(ranked) if d in relevant), None)
    if rank is not None:
        return f"rank {rank}"
    return f"below rank {MISS_DEPTH}" if len(ranked) == MISS_DEPTH else f"not among the {len(ranked)} hits"


def miss_line(ix, bm25: PlainBM25, query: str, relevant: dict[str, int], texts: dict[str, str]) -> str:
    """One miss: the query, where its relevant document ranks (searchkit; bm25) and the first hit's text."""
    ranked = [h.id for h in ix.search(query, limit=MISS_DEPTH).hits]
    baseline = _rank(bm25.search(query, MISS_DEPTH), relevant)
    if not ranked:
        return f"- {query!r}: no hits (bm25: {baseline})"
    top = " ".join(texts[ranked[0]].split())[:160]
    return (
        f"- {query!r} → {', '.join(relevant)}: {_rank(ranked, relevant)} (bm25: {baseline}); "
        f"first hit {ranked[0]}: {top}…"
    )


def print_misses(
    ix,
    bm25: PlainBM25,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    runs: dict[str, list[str] | None],
    texts: dict[str, str],
    count: int,
) -> None:
    misses = [q for q, ranked in runs.items() if not ranked or ranked[0] not in qrels[q]]
    print(f"\nsearchkit, original variant: {miss_tally(runs, qrels)}; the first {min(count, len(misses))}:")
    for qid in misses[:count]:
        if runs[qid] is None:
            print(f"- {queries[qid]!r}: refused (QuerySyntaxError)")
        else:
            print(miss_line(ix, bm25, queries[qid], qrels[qid], texts))


# --- main -----------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", nargs="?", default=None, help="a BEIR-layout directory (instead of --set)")
    parser.add_argument(
        "--set",
        choices=("questions", "titles"),
        default=None,
        help="questions (default): vinewsqa-dev; titles: the generated known-item set",
    )
    parser.add_argument("--index", default=None, help="index directory (default bench/out/<dataset>-index)")
    parser.add_argument(
        "--rebuild", action="store_true", help="regenerate the titles set and rebuild the index"
    )
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--variants", default="original,accentless,tone,nfd")
    parser.add_argument("--limit", type=int, default=None, help="evaluate only the first N queries")
    parser.add_argument("--misses", type=int, default=0, help="list N searchkit misses at rank 1")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a searchkit.ranking.RankingParams field (repeatable), for tuning",
    )
    args = parser.parse_args()
    if args.dataset and args.set:
        parser.error("give DATASET_DIR or --set, not both")
    return args


def resolve_dataset(args: argparse.Namespace) -> tuple[Path, bool]:
    """The dataset directory, and whether it was (re)generated now."""
    if args.dataset:
        return Path(args.dataset), False
    if args.set != "titles":
        return VINEWSQA, False
    manifest, generated = prepare_titles(OUT / "titles-dev", args.rebuild)
    print(describe_titles(manifest, generated))
    return OUT / "titles-dev", generated


def open_searchkit(corpus: Path, index_dir: Path, rebuild: bool, jobs: int | None, params: list[str]):
    build_seconds = None
    if rebuild or not index_dir.exists():
        report = searchkit.index_paths([corpus], index_dir, rebuild=True, jobs=jobs)
        build_seconds = report.seconds
        print(f"built {index_dir}: {report.summary()}")
    ix = searchkit.open_index(index_dir)
    if params:
        ix.params = dataclasses.replace(ix.params, **dict(_param(p) for p in params))
        print(f"ranking parameters: {ix.params}")
    ix.search("khởi động", limit=1)  # warm the searcher
    return ix, build_seconds


def _param(text: str) -> tuple[str, object]:
    """``name=value`` with the value read as the field's type (a number or a boolean)."""
    name, _, value = text.partition("=")
    kind = {f.name: f.type for f in dataclasses.fields(searchkit.ranking.RankingParams)}.get(name)
    if kind is None:
        sys.exit(f"--param: no ranking parameter {name!r}")
    if kind in ("bool", bool):
        return name, value.lower() in ("1", "true", "yes")
    return name, (int(value) if kind in ("int", int) else float(value))


def main() -> None:
    args = parse_args()
    dataset, generated = resolve_dataset(args)
    corpus = find(dataset, "corpus")
    if corpus is None:
        sys.exit(f"no corpus.jsonl[.gz] in {dataset}")
    index_dir = Path(args.index or OUT / f"{dataset.name}-index")
    ix, build_seconds = open_searchkit(corpus, index_dir, args.rebuild or generated, args.jobs, args.param)
    records = read_jsonl(corpus)
    texts = {str(r["_id"]): r["text"] for r in records}
    started = time.perf_counter()
    bm25 = PlainBM25({str(r["_id"]): (r.get("title") or "") + "\n" + r["text"] for r in records})
    bm25_seconds = time.perf_counter() - started

    queries = load_queries(find(dataset, "queries"))
    qrels = load_qrels(dataset / "qrels.tsv" if (dataset / "qrels.tsv").exists() else find(dataset, "qrels"))
    if args.limit:
        qrels = dict(list(qrels.items())[: args.limit])
    print(
        f"\n{dataset.name}: {ix.doc_count} documents, {len(qrels)} judged queries"
        + (f", index built in {build_seconds:.1f} s" if build_seconds else "")
        + f", baseline built in {bm25_seconds:.1f} s"
    )
    print("\n| variant | system | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---|" * len(COLUMNS))
    systems: dict[str, Search] = {
        "searchkit": lambda q: [h.id for h in ix.search(q, limit=10).hits],
        "bm25": bm25.search,
    }
    original_runs = None
    for name in args.variants.split(","):
        variant_queries = variant(name, queries, dataset)
        for system, search in systems.items():
            scores, runs = evaluate(search, variant_queries, qrels)
            print(table_row(name, system, scores), flush=True)
            if (name, system) == ("original", "searchkit"):
                original_runs = runs
    if args.misses and original_runs is not None:
        print_misses(ix, bm25, queries, qrels, original_runs, texts, args.misses)


if __name__ == "__main__":
    main()
