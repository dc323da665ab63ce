"""Summary quality and cost of searchkit's summarisers on VietNews.

    python bench/summaries.py [DATA] [--limit N] [--methods lead,learned,lex-rank,...]
                              [--sizes 1,2,3] [--bootstrap 1000]
    python bench/summaries.py --train [TRAIN_DATA] [--limit N]

Evaluation (default ``DATA`` = ``../shared/data/vietnews-val-2000.jsonl.gz`` next to the
repository): each record's ``body`` is summarised (with its ``title``) and compared with
its ``abstract``. Every article is normalised, split and segmented with pyvi once; all
methods reuse that. For LEAD-N and each method at N sentences the table shows ROUGE-1,
ROUGE-2 and ROUGE-L F1 (×100) over lower-cased syllables without punctuation, the paired
bootstrap 95% interval of the difference to LEAD-N (the same articles resampled for both),
and milliseconds per article of the summary step alone (sentence splitting, features and
the method; not pyvi, whose cost is printed apart for comparison).

``--train`` fits the ``learned`` ranker's weights on VietNews *train* articles (``id``,
``title``, ``abstract``, ``sentences``; the body is the sentences joined by spaces, like
the val bodies) and writes ``searchkit/data/summary-model.json``: ridge regression of each
sentence's ROUGE against the abstract on :func:`searchkit.summary.sentence_features`,
centred per article (only the order inside an article matters), with the ridge strength
and the redundancy limit chosen on a held-out tenth of the training articles.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from searchkit import summary, text  # noqa: E402
from searchkit.segment import word_groups, word_spans  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "vietnews-val-2000.jsonl.gz"
DEFAULT_TRAIN = ROOT.parent / "shared" / "data" / "vietnews-train-20k.jsonl.gz"
MODEL_OUT = ROOT / "searchkit" / "data" / "summary-model.json"
METRICS = ("R1", "R2", "RL")


# --------------------------------------------------------------------------- ROUGE


def rouge_tokens(value: str) -> list[str]:
    """Lower-cased syllables, punctuation removed: the unit every ROUGE score counts."""
    return [s.text for s in text.syllables(value)]


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if not overlap:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-N F1 with clipped n-gram counts."""
    c, r = _ngrams(candidate, n), _ngrams(reference, n)
    return _f1(sum((c & r).values()), sum(c.values()), sum(r.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004).

    One big-integer step per token of ``b`` instead of a len(a)×len(b) table: scoring
    30 method/size pairs on 2,000 articles stays a matter of seconds.
    """
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F1, the summary taken as one token sequence."""
    return _f1(lcs_length(candidate, reference), len(candidate), len(reference))


def rouge(candidate: Sequence[str], reference: Sequence[str]) -> tuple[float, float, float]:
    """(ROUGE-1, ROUGE-2, ROUGE-L) F1 of two token lists, as fractions."""
    return rouge_n(candidate, reference, 1), rouge_n(candidate, reference, 2), rouge_l(candidate, reference)


def bootstrap_interval(differences: np.ndarray, resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Paired bootstrap 95% interval of the mean of per-article differences."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(differences), size=(resamples, len(differences)))
    means = differences[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


# --------------------------------------------------------------------------- data


@dataclass
class Article:
    """One evaluation article, normalised and segmented once."""

    title: str
    reference: list[str]  # ROUGE tokens of the abstract
    doc: summary.Prepared
    prepare_ms: float


def read_records(path: Path, limit: int | None) -> Iterator[dict]:
    with (
        gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8") as f
    ):
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            if line.strip():
                yield json.loads(line)


def segment_articles(records: Iterable[dict]) -> tuple[list[Article], float, int]:
    """Normalise, segment (pyvi) and prepare each record; returns articles, pyvi s, syllables."""
    articles: list[Article] = []
    pyvi_seconds, syllable_count = 0.0, 0
    word_groups(list(text.tokens("Khởi động pyvi.")))  # load the CRF model before timing
    for record in records:
        body = text.normalize(record.get("body") or " ".join(record.get("sentences", [])))
        started = time.perf_counter()
        toks = list(text.tokens(body))
        spans = word_spans(toks)
        pyvi_seconds += time.perf_counter() - started
        syllable_count += sum(t.is_word for t in toks)
        started = time.perf_counter()
        doc = summary.prepare(body, spans, record["title"])
        prepare_ms = (time.perf_counter() - started) * 1000
        articles.append(Article(record["title"], rouge_tokens(record["abstract"]), doc, prepare_ms))
    return articles, pyvi_seconds, syllable_count


# --------------------------------------------------------------------------- evaluation


def run_method(articles: Sequence[Article], method: str, size: int) -> tuple[np.ndarray, float]:
    """Scores (articles × 3) of ``method`` at ``size`` sentences, and ms per article."""
    scores = np.zeros((len(articles), 3))
    elapsed_ms = 0.0
    for k, article in enumerate(articles):
        started = time.perf_counter()
        chosen = summary.summarize_prepared(article.doc, size, method)
        elapsed_ms += (time.perf_counter() - started) * 1000 + article.prepare_ms
        scores[k] = rouge(rouge_tokens(" ".join(chosen)), article.reference)
    return scores, elapsed_ms / max(1, len(articles))


def evaluate(
    articles: Sequence[Article], methods: Sequence[str], sizes: Sequence[int], resamples: int
) -> None:
    header = (
        "| method | N | R1 | R2 | RL | ΔR1 vs LEAD [95% CI] | ΔR2 vs LEAD [95% CI] | ΔRL vs LEAD [95% CI] "
        "| ms/article |"
    )
    print(header)
    print("|---|---:|---:|---:|---:|---|---|---|---:|")
    for size in sizes:
        lead, lead_ms = run_method(articles, "lead", size)
        print(
            f"| LEAD-{size} | {size} | "
            + " | ".join(f"{100 * v:.2f}" for v in lead.mean(axis=0))
            + f" | | | | {lead_ms:.3f} |",
            flush=True,
        )
        for method in methods:
            if method == "lead":
                continue
            scores, ms = run_method(articles, method, size)
            cells = []
            for m in range(3):
                diff = scores[:, m] - lead[:, m]
                low, high = bootstrap_interval(diff, resamples)
                cells.append(f"{100 * diff.mean():+.2f} [{100 * low:+.2f}, {100 * high:+.2f}]")
            print(
                f"| {method} | {size} | "
                + " | ".join(f"{100 * v:.2f}" for v in scores.mean(axis=0))
                + " | "
                + " | ".join(cells)
                + f" | {ms:.3f} |",
                flush=True,
            )


# --------------------------------------------------------------------------- training


def sentence_targets(article: Article) -> list[float]:
    """What the ranker learns to predict: mean of the sentence's ROUGE-1 and ROUGE-2 F1."""
    doc = article.doc
    targets = []
    for a, b in doc.spans:
        tokens = rouge_tokens(doc.text[a:b])
        targets.append((rouge_n(tokens, article.reference, 1) + rouge_n(tokens, article.reference, 2)) / 2)
    return targets


def _design(articles: Sequence[Article]) -> tuple[np.ndarray, np.ndarray]:
    """Stacked features and targets, both centred per article."""
    xs, ys = [], []
    for article in articles:
        if len(article.doc.spans) < 2:
            continue
        x = np.asarray(summary.sentence_features(article.doc))
        y = np.asarray(sentence_targets(article))
        xs.append(x - x.mean(axis=0))
        ys.append(y - y.mean())
    return np.vstack(xs), np.concatenate(ys)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge weights in raw feature units (features standardised for the penalty only)."""
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = x / scale
    w = np.linalg.solve(z.T @ z + alpha * len(z) * np.eye(z.shape[1]), z.T @ y)
    return w / scale


def _write_model(weights: np.ndarray, max_overlap: float, note: str) -> None:
    spec = {
        "method": summary.DEFAULT_METHOD,
        "about": note,
        "features": list(summary.FEATURES),
        "weights": [round(float(w), 6) for w in weights],
        "max_overlap": max_overlap,
    }
    MODEL_OUT.write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _mean_score(articles: Sequence[Article], size: int) -> float:
    """Mean (ROUGE-1 + ROUGE-2) / 2 of the current model at ``size`` sentences."""
    scores, _ = run_method(articles, summary.DEFAULT_METHOD, size)
    return float(scores[:, :2].mean())


def train(path: Path, limit: int) -> None:
    records = list(read_records(path, limit))
    random.Random(7).shuffle(records)
    articles, pyvi_seconds, _ = segment_articles(records)
    print(f"segmented {len(articles)} training articles in {pyvi_seconds:.0f} s", file=sys.stderr)
    held_out = max(1, len(articles) // 10)
    tune, fit = articles[:held_out], articles[held_out:]
    x, y = _design(fit)
    best: tuple[float, float, float] | None = None
    for alpha in (1e-4, 1e-3, 1e-2):
        weights = fit_ridge(x, y, alpha)
        for max_overlap in (0.6, 1.0):
            _write_model(weights, max_overlap, "tuning")
            summary._model.cache_clear()
            score = sum(_mean_score(tune, size) for size in (1, 2, 3)) / 3
            print(f"alpha={alpha:g} max_overlap={max_overlap}: {100 * score:.3f}", file=sys.stderr)
            if best is None or score > best[0]:
                best = (score, alpha, max_overlap)
    assert best is not None
    _, alpha, max_overlap = best
    x, y = _design(articles)
    note = (
        f"ridge (alpha={alpha:g}) of per-sentence (ROUGE-1 F1 + ROUGE-2 F1)/2 against the abstract, "
        f"centred per article, on {len(articles)} articles of {path.name}; "
        "written by bench/summaries.py --train"
    )
    _write_model(fit_ridge(x, y, alpha), max_overlap, note)
    summary._model.cache_clear()
    print(
        f"wrote {MODEL_OUT.relative_to(ROOT)} (alpha={alpha:g}, max_overlap={max_overlap})", file=sys.stderr
    )


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "data", nargs="?", type=Path, help="JSONL(.gz) file (default: the VietNews val or train sample)"
    )
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument(
        "--methods",
        default=",".join(summary.METHODS),
        help="comma-separated methods (default: all); LEAD-N is always shown",
    )
    parser.add_argument("--sizes", default="1,2,3", help="summary sizes N (default 1,2,3)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--train", action="store_true", help="fit the learned ranker instead")
    args = parser.parse_args(argv)
    if args.train:
        train(args.data or DEFAULT_TRAIN, args.limit or 6000)
        return
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for method in methods:
        if method not in summary.METHODS:
            parser.error(f"unknown method {method!r}; choose from {', '.join(summary.METHODS)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    path = args.data or DEFAULT_DATA
    articles, pyvi_seconds, syllables = segment_articles(read_records(path, args.limit))
    print(
        f"{len(articles)} articles from {path.name}; "
        f"pyvi segmentation {1000 * pyvi_seconds / len(articles):.2f} "
        f"ms/article ({syllables / pyvi_seconds:,.0f} syllables/s), done once and shared by all methods\n"
    )
    evaluate(articles, methods, sizes, args.bootstrap)


if __name__ == "__main__":
    main()
