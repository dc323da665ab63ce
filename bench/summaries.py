"""Summary quality and cost of searchkit's summarisers on VietNews.

    python bench/summaries.py [DATA] [--limit N] [--methods lead,learned,lex-rank,...]
                              [--sizes 1,2,3] [--titles both|with|without] [--bootstrap 1000]
    python bench/summaries.py --train [TRAIN_DATA] [--limit N]

Evaluation (default ``DATA`` = ``../shared/data/vietnews-val-2000.jsonl.gz`` next to the
repository): each record's ``body`` is summarised with its ``title`` and without one (as
``summarize(text)`` does), and compared with its ``abstract``. Every article is segmented
once, as the indexer does, and cached in ``bench/out/`` (git-ignored); all methods reuse
that. For LEAD-N and each method at N sentences, one table per title setting shows ROUGE-1,
ROUGE-2 and ROUGE-L F1 (×100) over lower-cased syllables without punctuation, the paired
bootstrap 95% interval of the difference to LEAD-N (the same articles resampled for both),
how many returned sentences are not exact substrings of the NFC body as given (a summary
is a quotation: this must be 0), and CPU milliseconds per article of the summary step
alone (sentence splitting, features and the method; not pyvi, whose cost is printed apart).

``--train`` fits the ``learned`` ranker on VietNews *train* articles (``id``, ``title``,
``abstract``, ``sentences``; the body is the sentences joined by spaces, like the val
bodies) and writes ``searchkit/data/summary-model.json`` and ``summary-trees.npz``: for
each setting (with the title, without), two LightGBM forests of each sentence's unigram
and bigram share in the abstract on :func:`searchkit.summary.sentence_features`, fitted on
90% of the articles; the selection's reference length, redundancy discount and repeat limit
for N = 1, 2, 3 are chosen on the held-out tenth. Before them, the salience forest (is a
content word of the body in the abstract?) is fitted on the same 90%; after them, without
a title, the set forests for N = 1 and 2 (:data:`SET_TARGETS`), on every candidate set of
those articles scored by its ROUGE, the sentence shares they read predicted out of fold
(:data:`FOLDS` forests). The val file is never used for training or tuning.
LightGBM is needed for training only (``pip install lightgbm``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from searchkit import summary, text  # noqa: E402
from searchkit.segment import word_groups  # noqa: E402

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

CACHE = ROOT / "bench" / "out"  # git-ignored
_CACHE_VERSION = 2


def _analysis_digest() -> str:
    """A digest of the source that reads and segments text: a cached segmentation made by
    other code (a changed tokeniser) is not reused."""
    import hashlib

    package = Path(text.__file__).resolve().parent
    source = b"".join((package / name).read_bytes() for name in ("text.py", "segment.py", "analysis.py"))
    return hashlib.sha256(source).hexdigest()[:16]


@dataclass
class Segmented:
    """One record as the indexer segments it (searchkit.analysis), kept in the cache."""

    id: str
    title: str
    abstract: str
    body: str  # as given
    text: str  # normalize(body)
    word_spans: list[tuple[int, int]]
    forms: list[str]
    title_syllables: list[str]


@dataclass
class Article:
    """One evaluation article, prepared with and without its title."""

    title: str
    reference: list[str]  # ROUGE tokens of the abstract
    source: str  # the body as given, in NFC: every summary sentence must be a substring of it
    titled: summary.Prepared
    untitled: summary.Prepared
    prepare_ms: float  # summary.prepare with the title (sentence splitting, word lookup)
    untitled_prepare_ms: float

    def doc(self, titled: bool) -> summary.Prepared:
        return self.titled if titled else self.untitled


def read_records(path: Path, limit: int | None) -> Iterator[dict]:
    with (
        gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8") as f
    ):
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            if line.strip():
                yield json.loads(line)


def segment_records(path: Path, limit: int | None) -> tuple[list[Segmented], float, int]:
    """Segment each record's body and title as the indexer does; cached in ``bench/out``.

    Returns the records, the seconds pyvi took (0 from the cache) and the syllable count.
    pyvi is the slow step (about 10 ms an article); the cache makes reruns and training
    rounds cost seconds. It is keyed by the data file's name, size and time, the limit and
    the segmenting code (_analysis_digest).
    """
    from searchkit.analysis import _segment

    stat = path.stat()
    key = (_CACHE_VERSION, _analysis_digest(), path.name, stat.st_size, stat.st_mtime_ns, limit)
    cache = CACHE / f"{path.name}.{limit or 'all'}.segmented.pickle"
    if cache.exists():
        with cache.open("rb") as f:
            stored_key, rows, seconds, syllables = pickle.load(f)
        if stored_key == key:
            return [Segmented(*row) for row in rows], 0.0, syllables
    word_groups(list(text.tokens("Khởi động pyvi.")))  # load the CRF model before timing
    rows, seconds, syllables = [], 0.0, 0
    for record in read_records(path, limit):
        body = record.get("body") or " ".join(record.get("sentences", []))
        started = time.perf_counter()
        segmented_body, segmented_title = _segment(body, spans=True), _segment(record["title"])
        seconds += time.perf_counter() - started
        syllables += len(segmented_body.syllables)
        rows.append(
            Segmented(
                str(record.get("id", "")),
                record["title"],
                record["abstract"],
                body,
                segmented_body.text,
                segmented_body.word_spans,
                segmented_body.forms,
                segmented_title.syllables,
            )
        )
    CACHE.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as f:
        # Plain tuples: readable whichever script (or __main__) defined Segmented.
        plain = [tuple(vars(row).values()) for row in rows]
        pickle.dump((key, plain, seconds, syllables), f, protocol=pickle.HIGHEST_PROTOCOL)
    return rows, seconds, syllables


def prepare_articles(rows: Iterable[Segmented]) -> list[Article]:
    """:func:`summary.prepare` each record as the indexer would, with its title and without."""
    articles = []
    for row in rows:
        source = summary.nfc(row.body)
        started = time.process_time()
        titled = summary.prepare(
            row.text,
            row.word_spans,
            row.title or None,
            forms=row.forms,
            title_syllables=row.title_syllables if row.title else None,
            source=source,
        )
        middle = time.process_time()
        untitled = summary.prepare(row.text, row.word_spans, forms=row.forms, source=source)
        ended = time.process_time()
        articles.append(
            Article(
                row.title,
                rouge_tokens(row.abstract),
                source,
                titled,
                untitled,
                (middle - started) * 1000,
                (ended - middle) * 1000,
            )
        )
    return articles


# --------------------------------------------------------------------------- evaluation


@dataclass
class Run:
    """One method at one size on every article."""

    scores: np.ndarray  # articles × (R1, R2, RL)
    ms: float  # summary milliseconds per article, pyvi not included
    not_quoted: int  # returned sentences that are not substrings of the NFC input
    sentences: int  # returned sentences


def run_method(articles: Sequence[Article], method: str, size: int, titled: bool = True) -> Run:
    """Scores of ``method`` at ``size`` sentences, with or without the titles."""
    scores = np.zeros((len(articles), 3))
    elapsed_ms, not_quoted, returned = 0.0, 0, 0
    for k, article in enumerate(articles):
        started = time.process_time()
        chosen = summary.summarize_prepared(article.doc(titled), size, method)
        elapsed_ms += (time.process_time() - started) * 1000
        elapsed_ms += article.prepare_ms if titled else article.untitled_prepare_ms
        not_quoted += sum(sentence not in article.source for sentence in chosen)
        returned += len(chosen)
        scores[k] = rouge(rouge_tokens(" ".join(chosen)), article.reference)
    return Run(scores, elapsed_ms / max(1, len(articles)), not_quoted, returned)


def _row(name: str, size: int, run: Run, lead: Run | None, resamples: int) -> str:
    cells = [f"{100 * v:.2f}" for v in run.scores.mean(axis=0)]
    for m in range(3):
        if lead is None:
            cells.append("")
            continue
        diff = run.scores[:, m] - lead.scores[:, m]
        low, high = bootstrap_interval(diff, resamples)
        cells.append(f"{100 * diff.mean():+.2f} [{100 * low:+.2f}, {100 * high:+.2f}]")
    cells += [f"{run.not_quoted}/{run.sentences}", f"{run.ms:.3f}"]
    return f"| {name} | {size} | " + " | ".join(cells) + " |"


def evaluate(
    articles: Sequence[Article],
    methods: Sequence[str],
    sizes: Sequence[int],
    resamples: int,
    titles: Sequence[bool] = (True, False),
) -> None:
    """Print one table per title setting: LEAD-N, then each method against it."""
    for titled in titles:
        print(
            f"\n{'With the title' if titled else 'Without a title'} (summarize(body{', title' * titled})):\n"
        )
        print(
            "| method | N | R1 | R2 | RL | ΔR1 vs LEAD [95% CI] | ΔR2 vs LEAD [95% CI] "
            "| ΔRL vs LEAD [95% CI] | not quoted | ms/article |"
        )
        print("|---|---:|---:|---:|---:|---|---|---|---:|---:|")
        for size in sizes:
            lead = run_method(articles, "lead", size, titled)
            print(_row(f"LEAD-{size}", size, lead, None, resamples), flush=True)
            for method in methods:
                if method != "lead":
                    run = run_method(articles, method, size, titled)
                    print(_row(method, size, run, lead, resamples), flush=True)


# --------------------------------------------------------------------------- training

TREES_OUT = MODEL_OUT.with_name("summary-trees.npz")
# The forests' shape: few, shallow trees with a high learning rate. Evaluating them is
# on the indexer's path for every article and costs in proportion to the trees; on
# held-out train articles 60 trees a forest scored as well as 200 did.
FOREST = {"n_estimators": 60, "num_leaves": 15, "max_depth": 5, "learning_rate": 0.25}
# The selection's settings tried on the held-out articles (the first overlap is the
# starting point of the search; 1.0 is no limit).
REFERENCE_LENGTHS = (12.0, 16.0, 22.0, 30.0, 40.0)
REDUNDANCIES = (0.0, 1.0, 2.0, 3.0, 4.0)
MAX_OVERLAPS = (0.5, 0.7, 1.0)
CANDIDATES = 8


# Sets of sentences scored by a forest of their own (without a title): the sizes, and the
# weight of ROUGE-2 in what the forest learns (the rest is ROUGE-1). Chosen on held-out
# train articles (cross-fitted), as the share of ROUGE-2 that did best there.
SET_TARGETS = {1: 0.7, 2: 1.0}
FOLDS = 5  # cross-fitting: the sentence predictions a set forest learns from are out-of-fold


def fit_word_forest(articles: Sequence[Article]) -> dict[str, np.ndarray]:
    """The salience forest: whether each content word of an article's body is in its
    abstract (as a run of syllables), from its :data:`summary.WORD_FEATURES`."""
    blank = summary.Forest(
        np.zeros((1, 1), np.intp), np.zeros((1, 1)), np.zeros((1, 1), np.intp),
        np.zeros((1, 1), np.intp), np.zeros((1, 1)), depth=0,
    )  # fmt: skip
    xs, ys = [], []
    for start in range(0, len(articles), 500):
        chunk = articles[start : start + 500]
        rows: dict[int, tuple[list[str], np.ndarray]] = {}
        summary._features_batch([summary._ranked(a.untitled) for a in chunk], blank, rows)
        for k, article in enumerate(chunk):
            if k not in rows:
                continue
            forms, table = rows[k]
            reference = f" {' '.join(article.reference)} "
            xs.append(table)
            ys.append(np.array([f" {form.replace('_', ' ')} " in reference for form in forms], dtype=float))
    x, y = np.vstack(xs), np.concatenate(ys)
    print(f"salience: {len(x)} words, {y.mean():.3f} in the abstract", file=sys.stderr, flush=True)
    return fit_forest(x, y)


def _set_design(
    articles: Sequence[Article], x: np.ndarray, y1: np.ndarray, y2: np.ndarray, size: int, weight: float
) -> tuple[np.ndarray, np.ndarray]:
    """What the set forest of ``size`` learns from: the rows of :func:`summary._set_rows`
    of every article's candidate sets, from out-of-fold shares (``FOLDS`` forests, each
    fitted without the articles it predicts), and each set's ROUGE (``weight`` × R2 +
    the rest × R1) less the mean of its article's sets."""
    counts = [len(a.untitled.spans) for a in articles]
    fold = np.repeat(np.arange(len(articles)) % FOLDS, counts)
    unigrams, bigrams = np.zeros(len(x)), np.zeros(len(x))
    for k in range(FOLDS):
        inside = fold != k
        forests = {
            "unigrams": fit_forest(x[inside], y1[inside]),
            "bigrams": fit_forest(x[inside], y2[inside]),
        }
        ranker = _ranker(forests, {})
        unigrams[~inside], bigrams[~inside] = ranker.predict(x[~inside])
    bounds = np.cumsum([0, *counts]).tolist()
    rows, targets = [], []
    for article, a, b in zip(articles, bounds, bounds[1:]):
        doc = article.untitled
        xa, shared = summary._features(doc)
        syllables, with_words = summary._sentence_sizes(doc, xa)
        scored = summary._candidate_sets(
            xa, shared, unigrams[a:b], bigrams[a:b], syllables, with_words, size, CANDIDATES
        )
        if scored is None:
            continue
        sets, table = scored
        tokens = [rouge_tokens(article.source[start:end]) for start, end in doc.spans]
        scores = np.array(
            [
                (1 - weight) * rouge_n(chosen, article.reference, 1)
                + weight * rouge_n(chosen, article.reference, 2)
                for chosen in ([t for i in members for t in tokens[i]] for members in sets.tolist())
            ]
        )
        rows.append(table)
        targets.append(scores - scores.mean())
    return np.vstack(rows), np.concatenate(targets)


def sentence_shares(article: Article) -> tuple[np.ndarray, np.ndarray]:
    """What the forests learn: the share of each sentence's syllables, and of its syllable
    pairs, that occur in the abstract (clipped counts, as ROUGE counts them)."""
    reference = article.reference
    unigrams, bigrams = Counter(reference), Counter(zip(reference, reference[1:]))
    shares1, shares2 = [], []
    for a, b in article.titled.spans:
        tokens = rouge_tokens(article.source[a:b])
        own1, own2 = Counter(tokens), Counter(zip(tokens, tokens[1:]))
        shares1.append(sum((own1 & unigrams).values()) / max(1, len(tokens)))
        shares2.append(sum((own2 & bigrams).values()) / max(1, len(tokens) - 1))
    return np.array(shares1), np.array(shares2)


def _design(articles: Sequence[Article], titled: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked features and both targets of every sentence of ``articles``."""
    xs, y1, y2 = [], [], []
    for article in articles:
        xs.append(summary.sentence_features(article.doc(titled)))
        shares = sentence_shares(article)
        y1.append(shares[0])
        y2.append(shares[1])
    return np.vstack(xs), np.concatenate(y1), np.concatenate(y2)


def _flatten(node: dict, nodes: list[list[float]]) -> tuple[int, int]:
    """Append LightGBM ``node`` and its subtree to ``nodes`` (feature, threshold, left,
    right, value); returns its index and the depth of its deepest leaf below it."""
    k = len(nodes)
    nodes.append([0, 0.0, k, k, 0.0])
    if "leaf_value" in node:
        nodes[k][4] = node["leaf_value"]
        return k, 0
    if node["decision_type"] != "<=" or node.get("missing_type") == "Zero":
        raise ValueError(f"unsupported split {node['decision_type']} / {node.get('missing_type')}")
    nodes[k][0], nodes[k][1] = node["split_feature"], node["threshold"]
    nodes[k][2], left_depth = _flatten(node["left_child"], nodes)
    nodes[k][3], right_depth = _flatten(node["right_child"], nodes)
    return k, 1 + max(left_depth, right_depth)


def forest_arrays(booster: Any) -> dict[str, np.ndarray]:
    """A LightGBM booster as :class:`summary.Forest` arrays (leaves point to themselves)."""
    tables = []
    depth = 0
    for tree in booster.dump_model()["tree_info"]:
        nodes: list[list[float]] = []
        depth = max(depth, _flatten(tree["tree_structure"], nodes)[1])
        tables.append(nodes)
    width = max(map(len, tables))
    table = np.zeros((len(tables), width, 5))
    for t, nodes in enumerate(tables):
        table[t, : len(nodes)] = nodes
        table[t, len(nodes) :, 2:4] = np.arange(len(nodes), width)[:, None]  # padding: self-loops
    return {
        "feature": table[:, :, 0].astype(np.int16),
        "threshold": table[:, :, 1],
        "left": table[:, :, 2].astype(np.int16),
        "right": table[:, :, 3].astype(np.int16),
        "value": table[:, :, 4],
        "depth": np.array(depth),
    }


def fit_forest(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    import lightgbm

    model = lightgbm.LGBMRegressor(
        **FOREST,
        min_child_samples=100,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.8,
        n_jobs=1,
        random_state=7,
        verbose=-1,
    )
    model.fit(x, y)
    arrays = fit_forest_check(model, x)
    return arrays


def fit_forest_check(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """The model's arrays, checked to predict what LightGBM predicts."""
    arrays = forest_arrays(model.booster_)
    forest = summary.Forest.from_arrays(arrays)
    sample = x[:: max(1, len(x) // 5000)]
    if not np.allclose(forest.predict(sample), model.predict(sample), atol=1e-9):
        raise RuntimeError("the numpy forest does not predict what LightGBM predicts")
    return arrays


def _ranker(
    forests: dict[str, dict[str, np.ndarray]], selection: dict[int, summary.Selection]
) -> summary.Ranker:
    return summary.Ranker(
        summary.Forest.from_arrays(forests["unigrams"]),
        summary.Forest.from_arrays(forests["bigrams"]),
        selection,
        {
            int(name[3:]): summary.Forest.from_arrays(v)
            for name, v in forests.items()
            if name.startswith("set")
        },
    )


def _mean_score(articles: Sequence[Article], size: int, titled: bool) -> float:
    """Mean (ROUGE-1 + ROUGE-2) / 2 of the ranker in place at ``size`` sentences."""
    return float(run_method(articles, summary.DEFAULT_METHOD, size, titled).scores[:, :2].mean())


def _try_selection(
    tune: Sequence[Article],
    titled: bool,
    size: int,
    trial: summary.Selection,
    forests: dict[str, dict[str, np.ndarray]],
    rankers: dict[bool, summary.Ranker],
) -> float:
    """Mean (ROUGE-1 + ROUGE-2) / 2 on ``tune`` with ``trial`` as the selection at ``size``."""
    rankers[titled] = _ranker(forests, {size: trial})
    result = _mean_score(tune, size, titled)
    setting = "titled" if titled else "untitled"
    print(f"{setting} N={size} {trial}: {100 * result:.3f}", file=sys.stderr, flush=True)
    return result


def _tune_selection(
    tune: Sequence[Article],
    titled: bool,
    forests: dict[str, dict[str, np.ndarray]],
    rankers: dict[bool, summary.Ranker],
) -> dict[int, summary.Selection]:
    """The best selection for each size on ``tune``: the reference length and (for two
    sentences or more) the redundancy discount together, then the overlap that makes a
    repeat."""
    chosen: dict[int, summary.Selection] = {}
    for size in (1, 2, 3):
        redundancies = REDUNDANCIES if size > 1 else REDUNDANCIES[:1]
        scores = {
            (length, redundancy): _try_selection(
                tune,
                titled,
                size,
                summary.Selection(length, MAX_OVERLAPS[0], CANDIDATES, redundancy=redundancy),
                forests,
                rankers,
            )
            for length in REFERENCE_LENGTHS
            for redundancy in redundancies
        }
        length, redundancy = max(scores, key=scores.__getitem__)
        overlap = MAX_OVERLAPS[0]
        if size > 1:
            tried = {overlap: scores[length, redundancy]}
            for value in MAX_OVERLAPS[1:]:
                trial = summary.Selection(length, value, CANDIDATES, redundancy=redundancy)
                tried[value] = _try_selection(tune, titled, size, trial, forests, rankers)
            overlap = max(tried, key=tried.__getitem__)
        chosen[size] = summary.Selection(length, overlap, CANDIDATES, redundancy=redundancy)
    return chosen


def train(path: Path, limit: int | None) -> None:
    """Fit both rankers on 90% of the training articles and tune their selection on the rest."""
    rows, _, _ = segment_records(path, None)  # the whole file: one cache
    rows = rows[:limit]
    random.Random(7).shuffle(rows)
    articles = prepare_articles(rows)
    held_out = max(1, len(articles) // 10)
    tune, fit = articles[:held_out], articles[held_out:]
    spec: dict[str, Any] = {
        "method": summary.DEFAULT_METHOD,
        "about": (
            f"LightGBM forests ({FOREST}) of each sentence's unigram and bigram share in the abstract, "
            f"fitted on {len(fit)} articles of {path.name}; selection tuned on {len(tune)} held out; "
            "written by bench/summaries.py --train"
        ),
        "features": list(summary.FEATURES),
        "trees": TREES_OUT.name,
    }
    spec["word_features"] = list(summary.WORD_FEATURES)
    words = fit_word_forest(fit)
    arrays: dict[str, np.ndarray] = {f"words.{name}": value for name, value in words.items()}
    rankers: dict[bool, summary.Ranker] = {}
    original, features, salience = summary._model, summary._features_batch, summary._salience_forest
    summary._model = lambda: rankers  # type: ignore[assignment]
    word_forest = summary.Forest.from_arrays(words)
    summary._salience_forest = lambda: word_forest  # type: ignore[assignment]
    # Tuning summarises the same documents again and again: their features once (each
    # document's are its own whatever batch it is in). The documents are kept with them,
    # so that no id is reused by another.
    memo: dict[int, tuple[summary.Prepared, np.ndarray, np.ndarray]] = {}

    def remembered(docs: list[summary.Prepared]) -> tuple[np.ndarray, list[np.ndarray]]:
        missing = [doc for doc in docs if id(doc) not in memo]
        if missing:
            x, shared = features(missing)
            bounds = np.cumsum([0] + [len(doc.spans) for doc in missing]).tolist()
            for doc, a, b, block in zip(missing, bounds, bounds[1:], shared):
                memo[id(doc)] = (doc, x[a:b], block)
        known = [memo[id(doc)] for doc in docs]
        return np.concatenate([x for _, x, _ in known]), [block for _, _, block in known]

    summary._features_batch = remembered  # type: ignore[assignment]
    try:
        for setting, titled in (("titled", True), ("untitled", False)):
            x, y1, y2 = _design(fit, titled)
            # With a title, the forests read the features before the salience ones
            # (summary.TITLED_FEATURES: the indexer does not compute those).
            seen = x if not titled else x[:, : summary.TITLED_FEATURES]
            forests = {"unigrams": fit_forest(seen, y1), "bigrams": fit_forest(seen, y2)}
            print(f"{setting}: forests fitted on {len(x)} sentences", file=sys.stderr, flush=True)
            if not titled:
                for size, weight in SET_TARGETS.items():
                    forests[f"set{size}"] = fit_forest(*_set_design(fit, x, y1, y2, size, weight))
                    print(f"{setting}: set forest of {size} fitted", file=sys.stderr, flush=True)
            for target, forest in forests.items():
                arrays.update({f"{setting}.{target}.{name}": value for name, value in forest.items()})
            chosen = _tune_selection(tune, titled, forests, rankers)
            rankers[titled] = _ranker(forests, chosen)
            spec[setting] = {
                "selection": {str(k): vars(v) for k, v in chosen.items()},
                "sets": [size for size in SET_TARGETS if not titled],
            }
    finally:
        summary._model, summary._features_batch = original, features  # type: ignore[assignment]
        summary._salience_forest = salience  # type: ignore[assignment]
    np.savez_compressed(TREES_OUT, **arrays)
    MODEL_OUT.write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary._model.cache_clear()
    summary._salience_forest.cache_clear()
    print(f"wrote {MODEL_OUT.relative_to(ROOT)} and {TREES_OUT.name}", file=sys.stderr)


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
    parser.add_argument(
        "--titles",
        choices=("both", "with", "without"),
        default="both",
        help="summarise with the title, without it (summarize(text)), or both (default)",
    )
    parser.add_argument("--train", action="store_true", help="fit the learned ranker instead")
    args = parser.parse_args(argv)
    if args.train:
        train(args.data or DEFAULT_TRAIN, args.limit)
        return
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for method in methods:
        if method not in summary.METHODS:
            parser.error(f"unknown method {method!r}; choose from {', '.join(summary.METHODS)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    titles = {"both": (True, False), "with": (True,), "without": (False,)}[args.titles]
    path = args.data or DEFAULT_DATA
    rows, pyvi_seconds, syllables = segment_records(path, args.limit)
    articles = prepare_articles(rows)
    if pyvi_seconds:
        cost = (
            f"pyvi segmentation {1000 * pyvi_seconds / len(articles):.2f} ms/article "
            f"({syllables / pyvi_seconds:,.0f} syllables/s), done once and shared by all methods"
        )
    else:
        cost = f"segmented as the indexer does, read from {CACHE.relative_to(ROOT)}/"
    print(f"{len(articles)} articles from {path.name}; {cost}")
    evaluate(articles, methods, sizes, args.bootstrap, titles)


if __name__ == "__main__":
    main()
