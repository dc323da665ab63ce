"""Extractive summaries of Vietnamese news: sumy's methods plus a learned lead-aware ranker.

Why a method of our own
-----------------------
On news the first sentences (the *lead*) are already a strong summary, and none of
sumy's methods knows how much position matters (``bench/summaries.py`` compares them
all with LEAD-N). The default method, ``learned``, is trained on VietNews *train*
articles (``bench/summaries.py --train``) against the editors' sapos:

* two gradient-boosted forests predict, for each sentence, the share of its syllables
  and of its syllable pairs that the sapo would contain. Their features
  (:data:`FEATURES`) are the sentence's position (lead bias, learned rather than
  assumed), its length, its overlap with the title, its centrality (cosine with the
  rest of the text; PacSum's forward and backward centrality apart, since in news what
  later sentences echo is what matters), its similarity to the first sentence, the
  text's keywords it holds (its most frequent content words: what a missing title would
  have named), the frequency of its words, without a title its share of the text's
  *salience* (a third forest predicts for each content word of the text, from its counts
  and places, whether the sapo will have it: a learned stand-in for the title), and surface cues of
  sentences that are never summaries (photo captions without final punctuation, a
  connective such as ``Tuy nhiên`` at the start);
* the summary is the set of N sentences with the best *expected* ROUGE F1 under those
  predictions (:func:`_learned`), which weighs each sentence's content against its
  length instead of ranking sentences one by one, and counts once the words two chosen
  sentences share;
* a text without a title gets forests trained without titles, rather than the titled
  ones with the title features missing; and its summaries of one and two sentences are
  chosen by a forest that scores each candidate *set* (:func:`_set_rows`: its sentences'
  predicted shares, places and lengths, what two of them share), trained on the ROUGE of
  every candidate set of the training articles from cross-fitted sentence predictions,
  rather than by the expected F1 formula, which is blind to what the title would tell.

The forests are numpy arrays in ``searchkit/data/`` (trained with LightGBM, evaluated
here without it); the ranker works on the words the indexer already has and needs no
download. ``bench/summaries.py`` measures its quality and cost (README, "Summaries").

sumy integration
----------------
Every sumy method is available (:data:`METHODS`). They get:

* :class:`VietnameseTokenizer`, whose sentences come from
  :func:`searchkit.sentences.split_sentences` and whose words are pyvi words written as
  pyvi writes them (``nông_thôn``), lower case, punctuation left out. When the indexer has
  segmented the text already (:func:`summarize_segmented`), the tokenizer only looks its
  words up; pyvi never runs twice;
* the Vietnamese stop words of ``searchkit/data/vietnamese-stopwords.txt`` (MIT, see the
  licence note next to it);
* sumy's null stemmer (Vietnamese words do not inflect).

The title, when given, is a heading of the document (Edmundson's title method uses it).
It is segmented without pyvi: greedily, longest first, into words that occur in the body,
so that a title word and the same word in the body have the same form.

This is the only module that imports sumy, and it does so lazily: the learned ranker and
``lead`` do not need it.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache
from itertools import accumulate, chain, combinations, count, filterfalse, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np

from . import text as textmod
from .errors import InvalidParameterError
from .sentences import split_sentences
from .stopwords import stop_words

__all__ = [
    "METHODS",
    "SUMY_METHODS",
    "DEFAULT_METHOD",
    "VietnameseTokenizer",
    "stop_words",
    "summarize",
    "summarize_segmented",
    "summarize_article",
    "focused_summary",
    "summarize_indexed",
    "summarize_indexed_batch",
    "IndexedText",
    "nfc",
    "SUMMARY_SENTENCES",
    "Prepared",
    "prepare",
    "summarize_prepared",
    "summarize_prepared_batch",
    "sentence_features",
    "FEATURES",
]

_DATA = Path(__file__).resolve().parent / "data"
_MODEL_FILE = _DATA / "summary-model.json"

# sumy name → (module, class) under sumy.summarizers; imported on first use.
_SUMY_CLASSES: dict[str, tuple[str, str]] = {
    "lsa": ("lsa", "LsaSummarizer"),
    "luhn": ("luhn", "LuhnSummarizer"),
    "edmundson": ("edmundson", "EdmundsonSummarizer"),
    "lex-rank": ("lex_rank", "LexRankSummarizer"),
    "text-rank": ("text_rank", "TextRankSummarizer"),
    "sum-basic": ("sum_basic", "SumBasicSummarizer"),
    "kl": ("kl", "KLSummarizer"),
    "reduction": ("reduction", "ReductionSummarizer"),
    "random": ("random", "RandomSummarizer"),
}
SUMY_METHODS: tuple[str, ...] = tuple(_SUMY_CLASSES)
DEFAULT_METHOD = "learned"
SUMMARY_SENTENCES = 3  # the length of the summary stored with every article
METHODS: tuple[str, ...] = (DEFAULT_METHOD, "lead") + SUMY_METHODS

# Cue words for Edmundson and for the ranker. Stigma: sentences that are captions, credits
# or continuations ("However, …") rather than statements of the news.
_STIGMA_WORDS = frozenset(
    "ảnh minh_họa nguồn video clip tổng_hợp tuy_nhiên ngoài_ra bên_cạnh_đó trong_khi_đó "
    "đồng_thời vì_vậy do_đó thế_nhưng nhưng còn".split()
)
# Verbs that report speech: a sentence quoting someone is rarely the news itself.
_REPORTING = frozenset("cho_biết cho_rằng khẳng_định nhấn_mạnh chia_sẻ thông_tin nói".split())
_TERMINATORS = frozenset(".!?…\"'”’»)")
_NUMBER = re.compile(r"\d[\d.,/]*")  # 8,26 or 4/4/2023 or 1.500 counts once
_QUOTE = re.compile('["“”]')
_MAX_TITLE_WORD = 4  # syllables: pyvi words are rarely longer


# --------------------------------------------------------------------------- resources


@dataclass(frozen=True, eq=False)
class Forest:
    """A regression forest (gradient-boosted trees) as flat arrays, evaluated with numpy.

    Node ``k`` of tree ``t`` is at ``[t, k]``; the root is node 0. An internal node sends
    a row to ``left`` when its ``feature`` is ``<= threshold``, else to ``right``; a leaf
    points to itself, so ``depth`` steps bring every row to its leaf in every tree at once.
    Trained with LightGBM by ``bench/summaries.py --train``; LightGBM is not needed here.
    """

    feature: np.ndarray  # (trees, nodes) int
    threshold: np.ndarray  # (trees, nodes) float
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray  # (trees, nodes) int
    value: np.ndarray  # (trees, nodes) float: a leaf's output, 0 inside
    depth: int

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str = "") -> Forest:
        """The forest stored as ``arrays[prefix + name]`` for each field name."""
        return cls(
            feature=arrays[prefix + "feature"].astype(np.intp),
            threshold=arrays[prefix + "threshold"],
            left=arrays[prefix + "left"].astype(np.intp),
            right=arrays[prefix + "right"].astype(np.intp),
            value=arrays[prefix + "value"],
            depth=int(arrays[prefix + "depth"]),
        )

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The output of every tree for every row of ``x``: (rows, trees)."""
        flat_feature, flat_threshold, children = self._flat
        trees, width = self.feature.shape
        base = np.arange(trees) * width  # node k of tree t is flat index base[t] + k
        at = np.broadcast_to(base, (len(x), trees))
        flat_x = x.ravel()
        row_base = (np.arange(len(x)) * x.shape[1])[:, None]
        for _ in range(self.depth):
            go_right = flat_x[row_base + flat_feature[at]] > flat_threshold[at]
            at = children[2 * at + go_right]
        return self.value.ravel()[at]

    @cached_property
    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, thresholds and, for flat node ``f``, its children's flat indexes at
        ``2f`` (left) and ``2f + 1`` (right): one gather a level instead of three."""
        trees, width = self.feature.shape
        base = (np.arange(trees) * width)[:, None]
        children = np.stack([base + self.left, base + self.right], axis=2).ravel()
        return self.feature.ravel(), self.threshold.ravel(), children

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.leaves(x).sum(axis=1)

    def __add__(self, other: Forest) -> Forest:
        """Both forests' trees in one (evaluated in one pass; :meth:`leaves` tells them apart)."""
        width = max(self.feature.shape[1], other.feature.shape[1])

        def padded(forest: Forest, name: str) -> np.ndarray:
            table = getattr(forest, name)
            extra = width - table.shape[1]
            if name in ("left", "right"):  # padding nodes point to themselves
                fill = np.broadcast_to(np.arange(table.shape[1], width), (table.shape[0], extra))
            else:
                fill = np.zeros((table.shape[0], extra), dtype=table.dtype)
            return np.hstack([table, fill])

        names = ("feature", "threshold", "left", "right", "value")
        tables = {name: np.vstack([padded(self, name), padded(other, name)]) for name in names}
        return Forest(**tables, depth=max(self.depth, other.depth))


@dataclass(frozen=True)
class Selection:
    """How many candidates the selection looks at, and what it takes for a near-repeat."""

    reference_length: float  # syllables of the summary the ranker aims at (F1's other half)
    max_overlap: float  # a pair of chosen sentences shares at most this much of its words
    candidates: int
    # How much of the words two chosen sentences share is taken off their expected
    # overlap: the sapo has a word once, and ROUGE's clipped counts credit it once.
    redundancy: float = 0.0


@dataclass
class Ranker:
    """The learned ranker of one setting (with a title, or without)."""

    unigrams: Forest  # predicts the share of a sentence's syllables found in the sapo
    bigrams: Forest  # the same for its syllable pairs
    selection: dict[int, Selection]  # by summary length; the longest applies beyond it
    # By summary length: a forest that scores each candidate set of that many sentences
    # (:func:`_set_rows`) in place of the expected F1 of the selection.
    sets: dict[int, Forest] = field(default_factory=dict)

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both shares for each row of ``x``, from one pass over both forests' trees."""
        leaves = self._joint.leaves(x)
        split = self.unigrams.feature.shape[0]
        return leaves[:, :split].sum(axis=1), leaves[:, split:].sum(axis=1)

    @cached_property
    def _joint(self) -> Forest:
        return self.unigrams + self.bigrams


def _stored() -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The model's description and its forests' arrays, checked against the features
    this code computes."""
    spec = json.loads(_MODEL_FILE.read_text(encoding="utf-8"))
    if spec["features"] != list(FEATURES) or spec.get("word_features") != list(WORD_FEATURES):
        raise RuntimeError(f"{_MODEL_FILE.name} was trained on other features; retrain it")
    with np.load(_DATA / spec["trees"]) as arrays:
        return spec, {name: arrays[name] for name in arrays.files}


@lru_cache(maxsize=1)
def _model() -> dict[bool, Ranker]:
    """The learned rankers, with a title (``True``) and without (``False``)."""
    spec, stored = _stored()
    rankers = {}
    for setting, titled in (("titled", True), ("untitled", False)):
        selection = {int(k): Selection(**v) for k, v in spec[setting]["selection"].items()}
        rankers[titled] = Ranker(
            Forest.from_arrays(stored, f"{setting}.unigrams."),
            Forest.from_arrays(stored, f"{setting}.bigrams."),
            selection,
            {int(k): Forest.from_arrays(stored, f"{setting}.set{k}.") for k in spec[setting].get("sets", [])},
        )
    return rankers


@lru_cache(maxsize=1)
def _salience_forest() -> Forest:
    """The forest that predicts whether a content word of a text is in its sapo."""
    return Forest.from_arrays(_stored()[1], "words.")


# --------------------------------------------------------------------------- documents


@dataclass
class Prepared:
    """A text cut into sentences, each with its pyvi words; what every method works on."""

    text: str
    spans: list[tuple[int, int]]  # sentence spans into ``text``
    words: list[list[str]]  # word forms per sentence: lower case, "_"-joined syllables
    capitalised: list[int]  # per sentence, how many words start with a capital letter
    paragraphs: list[int]  # paragraph number of each sentence
    title_words: list[str]
    # The text as given, in NFC, of which ``text`` is the normal form: the same length, so
    # the spans cut both. Returned sentences come from here: a summary is a quotation.
    source: str


def _segment_title(
    title: str, vocabulary: Container[str], syllables: Sequence[str] | None = None
) -> list[str]:
    """Cut ``title`` into words, longest match first against the body's words.

    Keeps pyvi off the indexer's summary path while giving title words the same forms as
    the body (``Hà Nội`` → ``hà_nội`` because the body has ``hà_nội``). ``syllables`` are
    the title's normalised lower-case syllables when the caller has them already.
    """
    if syllables is None:
        syllables = [s.text for s in textmod.syllables(textmod.normalize(title))]
    words: list[str] = []
    i = 0
    while i < len(syllables):
        for size in range(min(_MAX_TITLE_WORD, len(syllables) - i), 0, -1):
            form = "_".join(syllables[i : i + size])
            if size == 1 or form in vocabulary:
                words.append(form)
                i += size
                break
    return words


def _word_forms(text: str, words: Sequence[tuple[int, int]]) -> list[str]:
    """The form of each word of ``words`` (spans into ``text``): lower case, "_"-joined."""
    lower = text.lower()
    if len(lower) != len(text):  # a rare letter whose lower case is longer (İ)
        lower = "".join(ch.lower()[0] for ch in text)
    forms = [lower[start:end] for start, end in words]
    # Several syllables: join them with "_" as pyvi does (isalnum is false on spaces).
    return [f if f.isalnum() else "_".join(f.split()) for f in forms]


def prepare(
    text: str,
    words: Sequence[tuple[int, int]],
    title: str | None = None,
    *,
    forms: list[str] | None = None,
    title_syllables: Sequence[str] | None = None,
    source: str | None = None,
    sentence_spans: list[tuple[int, int]] | None = None,
) -> Prepared:
    """Split ``text`` into sentences and give each the word forms of ``words`` inside it.

    The indexer has the forms already and passes them (the summary is on its path for
    every article): ``forms`` are those of ``words``, one each, lower case with syllables
    "_"-joined (``nông_thôn``); ``title_syllables`` are the title's normalised lower-case
    syllables (:func:`searchkit.text.syllables`). Either is computed here when not given.
    ``source`` is the NFC text as given that ``text`` normalises (:func:`nfc`); sentences
    are quoted from it. It defaults to ``text``. ``sentence_spans`` are
    ``split_sentences(text)`` when the caller has split it already.
    """
    if source is None:
        source = text
    elif len(source) != len(text):
        raise ValueError("source and text differ in length: text must be normalize(source), source NFC")
    spans = split_sentences(text) if sentence_spans is None else sentence_spans
    if forms is None:
        forms = _word_forms(text, words)
    starts = list(map(itemgetter(0), words))
    # Words starting with a capital, counted once for the text: a sentence's count is
    # the difference of two running totals.
    capitals = list(accumulate(map(str.isupper, map(text.__getitem__, starts)), initial=0))
    per_sentence: list[list[str]] = []
    capitalised: list[int] = []
    for sentence_start, sentence_end in spans:
        first = bisect_left(starts, sentence_start)
        last = bisect_left(starts, sentence_end, first)
        per_sentence.append(forms[first:last])
        capitalised.append(capitals[last] - capitals[first])
    paragraphs: list[int] = []
    paragraph, previous_end = 0, 0
    for start, end in spans:
        if text.find("\n", previous_end, start) >= 0:
            paragraph += 1
        paragraphs.append(paragraph)
        previous_end = end
    title_words: list[str] = []
    if title or title_syllables:
        # A set of every body word is one C-level pass; its single syllables change
        # nothing, since only forms of several syllables (with "_") are looked up.
        title_words = _segment_title(title or "", set(forms), title_syllables)
    return Prepared(text, spans, per_sentence, capitalised, paragraphs, title_words, source)


# --------------------------------------------------------------------------- the ranker

_KEYWORDS = 8  # the most frequent content words of a text, its keywords
_POSITIONS = 6  # one-hot features for the first sentences; later ones share a weight
_ONE_HOT = tuple(tuple(1.0 if i == p else 0.0 for p in range(_POSITIONS)) for i in range(_POSITIONS + 1))
FEATURES: tuple[str, ...] = (
    *(f"position={i}" for i in range(_POSITIONS)),
    "relative_position",
    "log_length",
    "log_length_squared",
    "short",
    "title_recall",
    "title_precision",
    "centrality",
    "mean_log_frequency",
    "digit_share",
    "capital_share",
    "quote",
    "no_final_punctuation",
    "stigma_start",
    "stigma_word",
    "first_centrality",
    "first_title_recall",
    "log_sentences",
    "length_ratio",
    "length_rank",
    "forward_centrality",
    "backward_centrality",
    "degree",
    "similarity_to_first",
    "max_similarity",
    "title_cosine",
    "paragraph_start",
    "colon_end",
    "reported_speech",
    "content_share",
    "keyword_recall",
    "keyword_first",
    "centrality_rank",
    "forward_rank",
    "first_log_length",
    "first_forward_centrality",
    *(f"salient_{name}" for name in ("share", "mean", "max", "top8", "top4")),
)
# The titled forests read only the features before the salience ones: with a title, the
# salience forest did not beat the title's own features, and it costs the indexer (whose
# articles have titles) a forest walk over every word; so it runs only for texts without one.
TITLED_FEATURES = FEATURES.index("salient_share")
# What the salience forest reads of each content word of a text (:func:`_salience_forest`).
WORD_FEATURES: tuple[str, ...] = (
    "count",
    "count_ratio",
    "sentence_share",
    "first_sentence",
    "first_position",
    "last_position",
    "count_in_first",
    "count_in_lead",
    "syllables",
    "digit",
    "count_rank",
    "count_rank_share",
    "log_sentences",
)
_DIGIT = re.compile(r"\d")


def _content(words: list[str], stops: frozenset[str]) -> list[str]:
    return list(filterfalse(stops.__contains__, words))


def sentence_features(doc: Prepared) -> np.ndarray:
    """One row of :data:`FEATURES` per sentence of ``doc`` (sentences × features).

    Shared by the ranker and by its training (``bench/summaries.py --train``), so that
    the two can never disagree.
    """
    return _features(doc)[0]


def _features(doc: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """:func:`sentence_features` and how many content words each pair of sentences shares
    (``[i, j]``; on the diagonal, each sentence's count of distinct content words)."""
    x, shared = _features_batch([doc])
    return x, shared[0]


# Sentence-pair cells (documents x sentences x sentences, padded to the longest) that one
# call of _features_batch works on at most: bounds its memory on long articles.
_MAX_PAIR_CELLS = 1 << 20


def _pair_chunks(sizes: Sequence[int]) -> list[list[int]]:
    """Indexes of documents of ``sizes`` sentences, shortest first, cut into runs whose
    padded sentence-pair matrices hold at most :data:`_MAX_PAIR_CELLS` cells (a longer
    document is a run of its own)."""
    chunks: list[list[int]] = []
    widest = 0
    for i in sorted(range(len(sizes)), key=sizes.__getitem__):
        widest_with = max(widest, sizes[i])
        if chunks and (len(chunks[-1]) + 1) * widest_with * widest_with <= _MAX_PAIR_CELLS:
            chunks[-1].append(i)
        else:
            chunks.append([i])
        widest = widest_with if len(chunks[-1]) > 1 else sizes[i]
    return chunks


def _features_batch(
    docs: Sequence[Prepared],
    word_forest: Forest | None = None,
    word_rows: dict[int, tuple[list[str], np.ndarray]] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`_features` of each of ``docs`` (each with one sentence or more): their rows
    stacked in order, and each one's shared-word matrix.

    The indexer runs this on every article, a batch at a time: the words of all the texts
    are looked up once (C-level ``map``), every per-sentence sum is a ``bincount`` over
    the batch's (sentence, word) counts and the sentence pairs are one padded stack of
    matrices, so the cost is a fixed few dozen numpy calls per batch rather than per
    article. Every value of a document depends on that document alone: integer counts
    are exact whatever the order of their sums, and the float sums run in the
    document's own order (``bincount`` adds in array order; ``cumsum`` along a row
    reaches the row's padding after its last sentence), so a batch gives each document
    the features it gets alone.

    ``word_forest`` and ``word_rows`` are for training (see :func:`_features_chunk`);
    ``word_rows[i]`` gets the content words of ``docs[i]`` and their :data:`WORD_FEATURES`.
    """
    rows: list[np.ndarray] = [np.empty((0, len(FEATURES)))] * len(docs)
    shared: list[np.ndarray] = [np.empty((0, 0))] * len(docs)
    for chunk in _pair_chunks([len(doc.spans) for doc in docs]):
        collected: list[Any] | None = [] if word_rows is not None else None
        x, blocks = _features_chunk([docs[i] for i in chunk], word_forest, collected)
        if word_rows is not None and collected:
            of_doc, word_ids, table, vocabulary = collected
            for local, i in enumerate(chunk):
                mine = of_doc == local
                word_rows[i] = ([vocabulary[w] for w in word_ids[mine].tolist()], table[mine])
        for i, rows_i, block in zip(chunk, x, blocks):
            rows[i], shared[i] = rows_i, block
    return np.concatenate(rows) if rows else np.empty((0, len(FEATURES))), shared


def _features_chunk(
    docs: Sequence[Prepared], word_forest: Forest | None = None, word_rows: list[Any] | None = None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """:func:`_features_batch` of a run of documents whose sentence pairs fit in memory:
    each one's feature rows and shared-word matrix.

    ``word_forest`` stands in for the shipped salience forest, and ``word_rows``, when
    given, receives the content words' :data:`WORD_FEATURES` (training uses both)."""
    b = len(docs)
    ns = np.array([len(doc.spans) for doc in docs], dtype=np.intp)
    s = int(ns.sum())
    doc_start = np.zeros(b, dtype=np.intp)
    np.cumsum(ns[:-1], out=doc_start[1:])
    doc_of = np.repeat(np.arange(b), ns)  # each sentence's document
    positions = np.arange(s) - doc_start[doc_of]  # each sentence's number in its document
    sentence_words = list(chain.from_iterable(doc.words for doc in docs))
    flat = list(chain.from_iterable(sentence_words))
    counts = np.fromiter(map(len, sentence_words), np.intp, s)
    has_words = counts > 0
    # Every word of the batch is hashed twice (numbered, then looked up); what is known of
    # a word (stop word, cue word) is asked once per distinct word or once per cue.
    ids_of = dict(zip(dict.fromkeys(flat), count()))
    vocabulary = max(1, len(ids_of))
    ids = np.fromiter(map(ids_of.__getitem__, flat), np.intp, len(flat))
    sentence_of = np.repeat(np.arange(s), counts)  # each word's sentence

    def known(words: Iterable[str]) -> np.ndarray:
        """Whether each distinct word of the batch is one of ``words``."""
        found = np.zeros(vocabulary, dtype=bool)
        found[[ids_of[w] for w in words if w in ids_of]] = True
        return found

    # A document's words: (document, word) pairs, numbered in the order they first occur
    # (by document, then as its text has them: a document's sums run in its own order).
    pair_keys, pair_of = _unique_first(doc_of[sentence_of] * vocabulary + ids)
    pair_doc, pair_word = pair_keys // vocabulary, pair_keys % vocabulary
    npairs = len(pair_keys)
    # Word counts per sentence as (sentence, word pair) cells, sentence by sentence.
    cell_keys, cell_counts = np.unique(sentence_of * npairs + pair_of, return_counts=True)
    cell_sentence, cell_pair = cell_keys // npairs, cell_keys % npairs
    stops = stop_words()
    content = ~known(stops.intersection(ids_of))[pair_word[cell_pair]]
    content_tf = np.where(content, cell_counts, 0).astype(float)
    present = content.astype(float)

    def per_sentence(weights: np.ndarray, at: np.ndarray = cell_sentence) -> np.ndarray:
        return np.bincount(at, weights=weights, minlength=s)

    doc_tf = np.bincount(cell_pair, weights=content_tf, minlength=npairs)
    own2 = per_sentence(content_tf * content_tf)
    sizes = per_sentence(present)  # distinct content words
    content_counts = per_sentence(content_tf)
    # Cosine between the sentence and the rest of the document (itself excluded).
    dot = per_sentence(content_tf * doc_tf[cell_pair])
    rest2 = np.bincount(pair_doc, weights=doc_tf * doc_tf, minlength=b)[doc_of] - 2 * dot + own2
    defined = (own2 > 0) & (rest2 > 0)
    centrality = np.zeros(s)
    centrality[defined] = (dot - own2)[defined] / np.sqrt(own2[defined] * rest2[defined])
    log_tf = np.log(np.maximum(doc_tf, 1.0))  # stop words count 0: their log is never used
    mean_log_frequency = np.divide(
        per_sentence(content_tf * log_tf[cell_pair]),
        content_counts,
        out=np.zeros(s),
        where=content_counts > 0,
    )
    titles = [set(_content(doc.title_words, stops)) for doc in docs]
    title_keys = [d * vocabulary + ids_of[w] for d, title in enumerate(titles) for w in title if w in ids_of]
    in_title = np.isin(pair_keys, title_keys)
    title_hits = per_sentence(present * in_title[cell_pair])
    title_sizes = np.array([len(title) for title in titles], dtype=float)[doc_of]
    title_recall = np.divide(title_hits, title_sizes, out=np.zeros(s), where=title_sizes > 0)
    title_precision = np.divide(title_hits, sizes, out=np.zeros(s), where=sizes > 0)
    # Syllables: a word of k syllables has k - 1 "_".
    underscores = np.fromiter(map(str.count, flat, repeat("_")), np.intp, len(flat))
    lengths = per_sentence(underscores + 1.0, sentence_of)
    log_length = np.log1p(lengths)
    n_words = np.maximum(counts, 1)
    stigma = known(_STIGMA_WORDS)
    stigma_word = per_sentence(stigma[ids].astype(float), sentence_of) > 0
    stigma_start = np.zeros(s, bool)
    stigma_start[has_words] = stigma[ids[(np.cumsum(counts) - counts)[has_words]]]
    reporting = per_sentence(known(_REPORTING)[ids].astype(float), sentence_of) > 0
    # Each text's keywords, its most frequent content words (first seen first among
    # equals): without a title, what a title would have named.
    by_frequency = np.lexsort((-doc_tf, pair_doc))  # (stable: first seen first)
    pair_start = np.searchsorted(pair_doc, np.arange(b))
    rank = np.empty(npairs, dtype=np.intp)
    rank[by_frequency] = np.arange(npairs) - pair_start[pair_doc[by_frequency]]
    keyword = (rank < _KEYWORDS) & (doc_tf > 0)
    keyword_count = np.maximum(np.bincount(pair_doc[keyword], minlength=b), 1)[doc_of]
    keyword_recall = per_sentence(present * keyword[cell_pair]) / keyword_count
    # Where each keyword first appears: the sentence that introduces what the text is about.
    keyword_cells = keyword[cell_pair] & content
    first_cell = np.unique(cell_pair[keyword_cells], return_index=True)[1]
    keyword_first = np.bincount(cell_sentence[keyword_cells][first_cell], minlength=s) / keyword_count
    # (Only where a text has no title, or for training: see TITLED_FEATURES.)
    untitled = np.array([not doc.title_words for doc in docs])
    if word_rows is not None or word_forest is not None or untitled.any():
        # Salience: how likely each content word is to be in the sapo, from its counts and
        # places in the text (a forest: without a title, what the title would have named),
        # then each sentence's share of its text's salience.
        content_pair = ~known(stops.intersection(ids_of))[pair_word]
        words_table = _word_rows(
            list(ids_of),
            pair_doc,
            pair_word,
            doc_tf,
            cell_sentence,
            cell_pair,
            content_tf,
            positions,
            ns,
            rank,
        )
        salience = np.zeros(npairs)
        rows_of_words = np.nonzero(content_pair)[0]
        forest = _salience_forest() if word_forest is None else word_forest
        if len(rows_of_words):
            salience[rows_of_words] = forest.predict(words_table[rows_of_words])
        if word_rows is not None:
            word_rows.extend(
                (pair_doc[rows_of_words], pair_word[rows_of_words], words_table[rows_of_words], list(ids_of))
            )
        salience_total = np.bincount(pair_doc, weights=salience, minlength=b)[doc_of]
        salient_sum = per_sentence(present * salience[cell_pair])
        salient_share = np.divide(salient_sum, salience_total, out=np.zeros(s), where=salience_total > 0)
        salient_mean = np.divide(salient_sum, sizes, out=np.zeros(s), where=sizes > 0)
        salient_max = np.zeros(s)
        np.maximum.at(salient_max, cell_sentence[content], salience[cell_pair[content]])
        by_salience = np.lexsort((-np.where(content_pair, salience, -np.inf), pair_doc))
        salience_rank = np.empty(npairs, dtype=np.intp)
        salience_rank[by_salience] = np.arange(npairs) - pair_start[pair_doc[by_salience]]
        content_words = np.bincount(pair_doc[content_pair], minlength=b)[doc_of]

        def salient_top(k: int) -> np.ndarray:
            top = (salience_rank < k) & content_pair
            return np.divide(
                per_sentence(present * top[cell_pair]),
                np.minimum(k, content_words),
                out=np.zeros(s),
                where=content_words > 0,
            )

        # A titled text's are zero, in a batch as alone (each text's features are its own).
        salient = [
            f * untitled[doc_of]
            for f in (salient_share, salient_mean, salient_max, salient_top(8), salient_top(4))
        ]
    else:
        salient = [np.zeros(s)] * 5

    # Numbers and quotes found in each whole text at once, then given to their sentences
    # (the text between sentences is whitespace: no match starts there).
    text_start = np.cumsum([0] + [len(doc.text) for doc in docs[:-1]])
    span_ends = np.fromiter(
        (base + end for doc, base in zip(docs, text_start.tolist()) for _, end in doc.spans), np.intp, s
    )

    def matches(pattern: re.Pattern[str]) -> np.ndarray:
        starts = [
            base + match.start()
            for doc, base in zip(docs, text_start.tolist())
            for match in pattern.finditer(doc.text, doc.spans[0][0], doc.spans[-1][1])
        ]
        return np.bincount(np.searchsorted(span_ends, starts, side="right"), minlength=s)[:s]

    last = [doc.text[end - 1] for doc in docs for _, end in doc.spans]
    unterminated = [ch not in _TERMINATORS for ch in last]
    colons = [ch == ":" for ch in last]
    one_hot = np.zeros((s, _POSITIONS))
    early = positions < _POSITIONS
    one_hot[early, positions[early]] = 1.0
    at_first = positions == 0
    n = ns[doc_of]

    # Sentence pairs. Similarities are cosines of the sentences' sets of content words.
    # PacSum's observation (Zheng & Lapata 2019) is that in news a sentence is central
    # when the sentences *after* it echo it: forward and backward centrality are kept
    # apart, and the learner weighs them. Only words in two sentences or more make two
    # sentences similar: the matrices get those columns alone (a long article has
    # thousands of words, most of them once). One matrix per document, padded to the
    # longest; padding is zero and comes after every real row and column.
    spread = np.bincount(cell_pair[content], minlength=npairs) > 1
    # Each such word adds one to every pair of sentences that has it: its cells (one per
    # sentence) grouped by word, each cell paired with every cell of its group. Counts
    # are integers, exact in any order.
    cells = np.nonzero(spread[cell_pair] & content)[0]
    cells = cells[np.argsort(cell_pair[cells], kind="stable")]
    words_of = cell_pair[cells]
    group = np.bincount(words_of, minlength=npairs)[words_of]  # how many cells its word has
    group_start = np.maximum.accumulate(np.where(_first_of_run(words_of), np.arange(len(cells)), 0))
    left = np.repeat(cells, group)
    within = np.arange(len(left)) - np.repeat(np.cumsum(group) - group, group)
    right = cells[np.repeat(group_start, group) + within]
    width = int(ns.max())
    left_sentence, right_sentence = cell_sentence[left], cell_sentence[right]
    shared3 = (
        np.bincount(
            (doc_of[left_sentence] * width + positions[left_sentence]) * width + positions[right_sentence],
            minlength=b * width * width,
        )
        .reshape(b, width, width)
        .astype(float)
    )
    diagonal = np.arange(width)
    shared3[doc_of, positions, positions] = sizes
    norms = np.sqrt(sizes)
    norms[norms == 0] = 1.0
    norms3 = np.ones((b, width))
    norms3[doc_of, positions] = norms
    similarity = shared3 / (norms3[:, :, None] * norms3[:, None, :])
    similarity[:, diagonal, diagonal] = 0.0
    # Row sums before and after the diagonal (which is 0): a running sum, read at it.
    running = similarity.cumsum(axis=2)
    before = running[doc_of, positions, positions]
    after = running[doc_of, positions, -1] - before
    others = np.maximum(1, n - 1)
    degree = (similarity > 0.1).sum(axis=2)[doc_of, positions]
    max_similarity = np.where(n > 1, similarity.max(axis=2)[doc_of, positions], 0.0)

    def rank_of(values: np.ndarray) -> np.ndarray:
        """Each value's rank in its text, the largest first, over the text's sentence count."""
        ranks = np.empty(s)
        order = np.lexsort((-values, doc_of))
        ranks[order] = positions / n
        return ranks

    title_roots = np.sqrt(title_sizes)  # (math.sqrt and np.sqrt are both correctly rounded)
    title_cosine = np.divide(title_hits, norms * title_roots, out=np.zeros(s), where=title_sizes > 0)
    mean_length = np.bincount(doc_of, weights=lengths, minlength=b) / ns
    mean_length[mean_length == 0] = 1.0
    length_rank = np.empty(s)
    length_rank[np.lexsort((-lengths, doc_of))] = positions
    paragraphs = np.fromiter(chain.from_iterable(doc.paragraphs for doc in docs), np.intp, s)
    paragraph_start = np.ones(s)
    paragraph_start[1:] = paragraphs[1:] != paragraphs[:-1]
    paragraph_start[doc_start] = 1.0
    forward = after / others
    features = np.column_stack(
        [
            one_hot,
            positions / n,
            log_length,
            log_length * log_length,
            lengths < 8,
            title_recall,
            title_precision,
            centrality,
            mean_log_frequency,
            matches(_NUMBER) / n_words,
            np.fromiter(chain.from_iterable(doc.capitalised for doc in docs), np.intp, s) / n_words,
            matches(_QUOTE) > 0,
            unterminated,
            stigma_start,
            stigma_word,
            np.where(at_first, centrality, 0.0),
            np.where(at_first, title_recall, 0.0),
            np.array([math.log(size) for size in ns.tolist()])[doc_of],
            lengths / mean_length[doc_of],
            length_rank / n,
            forward,
            before / others,
            degree / others,
            similarity[doc_of, positions, 0],
            max_similarity,
            title_cosine,
            paragraph_start,
            colons,
            reporting,
            np.divide(content_counts, counts, out=np.zeros(s), where=has_words),
            keyword_recall,
            keyword_first,
            rank_of(centrality),
            rank_of(after),
            log_length[doc_start][doc_of],
            forward[doc_start][doc_of],
            *salient,
        ]
    ).astype(float)
    bounds = np.append(doc_start, s).tolist()
    return (
        [features[a:z] for a, z in zip(bounds, bounds[1:])],
        [shared3[d, :size, :size] for d, size in enumerate(ns.tolist())],
    )


def _word_rows(
    vocabulary: list[str],
    pair_doc: np.ndarray,
    pair_word: np.ndarray,
    doc_tf: np.ndarray,
    cell_sentence: np.ndarray,
    cell_pair: np.ndarray,
    content_tf: np.ndarray,
    positions: np.ndarray,
    ns: np.ndarray,
    rank: np.ndarray,
) -> np.ndarray:
    """:data:`WORD_FEATURES` of each (document, word) pair of a batch (stop words too;
    their rows are not used)."""
    npairs, b = len(pair_doc), len(ns)
    most = np.zeros(b)
    np.maximum.at(most, pair_doc, doc_tf)
    n = ns[pair_doc].astype(float)
    # Cells are in (sentence, word) order: a word's first cell is in its first sentence.
    first_cell = np.unique(cell_pair, return_index=True)[1]
    last_cell = len(cell_pair) - 1 - np.unique(cell_pair[::-1], return_index=True)[1]
    first = positions[cell_sentence[first_cell]].astype(float)
    last = positions[cell_sentence[last_cell]].astype(float)
    where = positions[cell_sentence]
    syllables = np.fromiter(map(str.count, vocabulary, repeat("_")), np.intp, len(vocabulary)) + 1
    digits = np.fromiter(map(bool, map(_DIGIT.search, vocabulary)), bool, len(vocabulary))
    content_words = np.bincount(pair_doc, weights=doc_tf > 0, minlength=b)[pair_doc]
    return np.column_stack(
        [
            doc_tf,
            np.divide(doc_tf, most[pair_doc], out=np.zeros(npairs), where=most[pair_doc] > 0),
            np.bincount(cell_pair, minlength=npairs) / n,
            first,
            first / n,
            last / n,
            np.bincount(cell_pair, weights=np.where(where == 0, content_tf, 0.0), minlength=npairs),
            np.bincount(cell_pair, weights=np.where(where < 3, content_tf, 0.0), minlength=npairs),
            syllables[pair_word],
            digits[pair_word],
            rank,
            np.divide(rank, content_words, out=np.zeros(npairs), where=content_words > 0),
            np.log(n),
        ]
    ).astype(float)


def _first_of_run(values: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` differs from the one before it (the first always does)."""
    first = np.ones(len(values), dtype=bool)
    first[1:] = values[1:] != values[:-1]
    return first


def _unique_first(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` in the order they first occur, and the number of each key."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = _first_of_run(ordered)
    first = order[new]  # in key order
    by_first = np.argsort(first)
    number = np.empty(len(first), dtype=np.intp)
    number[by_first] = np.arange(len(first))
    of = np.empty(len(keys), dtype=np.intp)
    of[order] = number[np.cumsum(new) - 1]
    return ordered[new][by_first], of


# Sentences the ranker looks at, from the start. News articles have a few dozen; a text of
# thousands (a dump, up to the reader's 1,000,000 characters) would make the sentence-pair
# features, quadratic in the count, take seconds, and its summary-worthy sentences are
# at its start anyway.
_MAX_RANKED = 400


@cache
def _combinations(candidates: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ``size``-subset of ``range(candidates)`` (rows), and each subset's pairs."""
    rows = np.array(list(combinations(range(candidates), size)), dtype=np.intp).reshape(-1, size)
    pairs = list(combinations(range(size), 2))
    first = np.array([a for a, _ in pairs], dtype=np.intp)
    second = np.array([b for _, b in pairs], dtype=np.intp)
    return rows, first, second


def _learned(doc: Prepared, count: int) -> list[int]:
    """:func:`_learned_batch` of one document."""
    return _learned_batch([doc], count)[0]


def _ranked(doc: Prepared) -> Prepared:
    """``doc`` cut to the sentences the ranker looks at (:data:`_MAX_RANKED`)."""
    if len(doc.spans) <= _MAX_RANKED:
        return doc
    return replace(
        doc,
        spans=doc.spans[:_MAX_RANKED],
        words=doc.words[:_MAX_RANKED],
        capitalised=doc.capitalised[:_MAX_RANKED],
        paragraphs=doc.paragraphs[:_MAX_RANKED],
    )


def _learned_batch(docs: Sequence[Prepared], count: int) -> list[list[int]]:
    """The ranker: the set of ``count`` sentences with the best expected ROUGE F1.

    Two forests predict, for each sentence, the share of its syllables (unigrams) and of
    its syllable pairs (bigrams) that the editor's sapo would contain. A set's expected
    overlap is then the sum over its sentences of share × length, and its expected F1
    the overlap over (set length + reference length): long sentences must earn their
    length, which is what keeps three sentences ahead of the lead. The content words a
    pair of chosen sentences shares are taken off the unigram overlap (``redundancy`` ×
    their count × the pair's mean share): the sapo says a thing once, so two sentences
    saying different things are worth more than two saying the same. Up to three
    sentences every set of that size among the best candidates is scored; beyond,
    sentences are added greedily. Pairs sharing more than ``max_overlap`` of their
    content words are not chosen together (repeats add length, not content).

    Each document of ``docs`` gets the sentences it would get alone: their features are
    computed together (:func:`_features_batch`) and each forest walks all their sentences
    at once; the choice is each document's own.
    """
    chosen: list[list[int]] = [[] for _ in docs]
    todo = [i for i, doc in enumerate(docs) if doc.spans] if count > 0 else []
    if not todo:
        return chosen
    ranked = [_ranked(docs[i]) for i in todo]
    x, shared = _features_batch(ranked)
    bounds = np.cumsum([0] + [len(doc.spans) for doc in ranked]).tolist()
    models = _model()
    rankers: dict[bool, Ranker] = {}  # the model's rankers of the settings in use, each looked up once
    predicted: dict[bool, tuple[np.ndarray, np.ndarray]] = {}
    for titled in (False, True):
        # The rows of the documents of this setting, in order; each document's rows follow.
        which = [k for k, doc in enumerate(ranked) if bool(doc.title_words) == titled]
        if which:
            rankers[titled] = models[titled]
            rows = np.concatenate([np.arange(bounds[k], bounds[k + 1]) for k in which])
            predicted[titled] = rankers[titled].predict(x[rows])
    at = {True: 0, False: 0}
    for k, (i, doc) in enumerate(zip(todo, ranked)):
        titled = bool(doc.title_words)
        n = len(doc.spans)
        unigrams, bigrams = (p[at[titled] : at[titled] + n] for p in predicted[titled])
        at[titled] += n
        chosen[i] = _select(
            doc, rankers[titled], x[bounds[k] : bounds[k + 1]], shared[k], unigrams, bigrams, count
        )
    return chosen


def _candidates(
    with_words: np.ndarray, unigrams: np.ndarray, bigrams: np.ndarray, expected: np.ndarray, best: int
) -> np.ndarray:
    """The sentences a summary is chosen from: the ``best`` by share (short, dense
    sentences) and the ``best`` by expected overlap (``expected``), those with words."""
    density = np.where(with_words, unigrams + bigrams, -np.inf)
    by_density = np.argsort(-density, kind="stable")[:best]
    by_overlap = np.argsort(-expected, kind="stable")[:best]
    return np.array(
        [i for i in dict.fromkeys([*by_density.tolist(), *by_overlap.tolist()]) if with_words[i]],
        dtype=np.intp,
    )


def _sentence_sizes(doc: Prepared, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each sentence's length in syllables (from its features ``x``), and whether it has
    words at all."""
    syllables = np.rint(np.expm1(x[:, FEATURES.index("log_length")]))
    return syllables, np.array([bool(ws) for ws in doc.words])


def _candidate_sets(
    x: np.ndarray,
    shared: np.ndarray,
    unigrams: np.ndarray,
    bigrams: np.ndarray,
    syllables: np.ndarray,
    with_words: np.ndarray,
    size: int,
    best: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """The sets of ``size`` sentences a set forest chooses among (of the :func:`_candidates`)
    and their :func:`_set_rows`; None when there are fewer candidates than ``size``. The
    path of :func:`_select` and of the set forests' training alike."""
    expected = np.where(with_words, unigrams * syllables + bigrams * np.maximum(syllables - 1, 0), -np.inf)
    candidates = _candidates(with_words, unigrams, bigrams, expected, best)
    if len(candidates) < size:
        return None
    return _set_rows(x, shared, unigrams, bigrams, syllables, np.sort(candidates), size)


def _select(
    doc: Prepared,
    ranker: Ranker,
    x: np.ndarray,
    shared: np.ndarray,
    unigrams: np.ndarray,
    bigrams: np.ndarray,
    count: int,
) -> list[int]:
    """The sentences :func:`_learned_batch` chooses in ``doc`` from its features ``x``, its
    shared-word matrix and ``ranker``'s predicted shares."""
    selection = ranker.selection[min(count, max(ranker.selection))]
    syllables, with_words = _sentence_sizes(doc, x)
    count = min(count, int(with_words.sum()))
    if count == 0:
        return []
    if count in ranker.sets:
        scored = _candidate_sets(
            x, shared, unigrams, bigrams, syllables, with_words, count, selection.candidates
        )
        if scored is not None:
            sets, rows = scored
            return sets[int(np.argmax(ranker.sets[count].predict(rows)))].tolist()
    expected1 = np.where(with_words, unigrams * syllables, -np.inf)
    expected2 = np.where(with_words, bigrams * np.maximum(syllables - 1, 0), -np.inf)
    reference = selection.reference_length
    candidates = _candidates(with_words, unigrams, bigrams, expected1 + expected2, selection.candidates)
    own = np.diag(shared).copy()
    own[own == 0] = 1.0
    containment = shared / own[:, None]  # [i, j]: the share of i's content words that j has
    repeat = (containment > selection.max_overlap) | (containment.T > selection.max_overlap)
    density1 = np.where(with_words, unigrams, 0.0)

    def f1(sets: np.ndarray) -> np.ndarray:
        length = syllables[sets].sum(axis=1)
        overlap1 = expected1[sets].sum(axis=1)
        if selection.redundancy and sets.shape[1] > 1:
            pairs = _combinations(sets.shape[1], 2)[0]
            a, b = sets[:, pairs[:, 0]], sets[:, pairs[:, 1]]
            twice = shared[a, b] * (density1[a] + density1[b]) / 2
            overlap1 = overlap1 - selection.redundancy * twice.sum(axis=1)
        overlap2 = expected2[sets].sum(axis=1)
        return overlap1 / (length + reference) + overlap2 / (
            np.maximum(length - sets.shape[1], 0) + reference
        )

    size = min(count, 3, len(candidates))
    rows, first, second = _combinations(len(candidates), size)
    sets = candidates[rows]
    scores = f1(sets)
    if size > 1:
        scores = np.where(repeat[sets[:, first], sets[:, second]].any(axis=1), -np.inf, scores)
    best = sets[int(np.argmax(scores))] if np.isfinite(scores).any() else sets[int(np.argmax(f1(sets)))]
    chosen = best.tolist()
    while len(chosen) < count:  # longer summaries: the best next sentence, one at a time
        rest = np.array(
            [i for i in range(len(doc.spans)) if with_words[i] and i not in chosen], dtype=np.intp
        )
        trial = np.column_stack([np.tile(chosen, (len(rest), 1)), rest])
        gains = f1(trial) - np.where(repeat[rest][:, chosen].any(axis=1), np.inf, 0.0)
        chosen.append(int(rest[int(np.argmax(gains))]))
    return chosen


# What a set's forest reads of each of its sentences, besides the predicted shares.
_MEMBER = tuple(
    FEATURES.index(name)
    for name in (
        "relative_position",
        "log_length",
        "centrality",
        "forward_centrality",
        "similarity_to_first",
        "keyword_recall",
        "keyword_first",
        "no_final_punctuation",
        "stigma_start",
        "quote",
        "reported_speech",
        "max_similarity",
        "digit_share",
        "capital_share",
        *(name for name in FEATURES if name.startswith("salient_")),
    )
)


def _set_rows(
    x: np.ndarray,
    shared: np.ndarray,
    unigrams: np.ndarray,
    bigrams: np.ndarray,
    syllables: np.ndarray,
    candidates: np.ndarray,
    size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Every ``size``-subset of ``candidates`` (in document order) and, for each, what a
    set's forest reads: for each sentence its place, predicted shares, length and a few
    features; for the set its length, expected overlaps and expected F1 at three reference
    lengths (and how far from the best set's); for a pair the content words it shares."""
    sets = candidates[_combinations(len(candidates), size)[0]]
    positions = np.arange(len(x), dtype=float)
    pair_lengths = np.maximum(syllables - 1, 0)
    columns: list[np.ndarray] = []
    for m in range(size):
        at = sets[:, m]
        columns += [
            positions[at],
            np.minimum(positions[at], 6),
            unigrams[at],
            bigrams[at],
            syllables[at],
            unigrams[at] * syllables[at],
            bigrams[at] * pair_lengths[at],
        ]
        columns += list(x[at][:, _MEMBER].T)
    length = syllables[sets].sum(axis=1)
    overlap1 = (unigrams[sets] * syllables[sets]).sum(axis=1)
    overlap2 = (bigrams[sets] * pair_lengths[sets]).sum(axis=1)
    columns += [length, overlap1, overlap2]
    for reference in (16.0, 22.0, 30.0):
        f1 = overlap1 / (length + reference) + overlap2 / (np.maximum(length - size, 0) + reference)
        columns += [f1, f1 - f1.max()]
    if size == 2:
        first, second = sets[:, 0], sets[:, 1]
        sizes = np.maximum(np.diag(shared), 1)
        both = shared[first, second]
        columns += [both, both / sizes[first], both / sizes[second], (second - first).astype(float)]
    columns += [np.full(len(sets), float(len(x))), np.full(len(sets), float(len(candidates)))]
    return sets, np.column_stack(columns)


def _lead(doc: Prepared, count: int) -> list[int]:
    return list(range(min(count, len(doc.spans))))


# --------------------------------------------------------------------------- sumy


class VietnameseTokenizer:
    """A sumy tokenizer for Vietnamese: our sentence splitter and pyvi words.

    ``known`` maps a sentence's text to its words when the caller has segmented the text
    already (the indexer has); other sentences are segmented with pyvi on demand, so the
    object also works with sumy's own parsers (``PlaintextParser(text, tokenizer)``).
    """

    language = "vietnamese"

    def __init__(self, known: dict[str, list[str]] | None = None) -> None:
        self._known = known or {}

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(paragraph[a:b] for a, b in split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        known = self._known.get(sentence)
        if known is not None:
            return tuple(known)
        from .segment import words

        return tuple(words(sentence))


@cache
def _sumy_class(method: str) -> Any:
    import importlib

    module, name = _SUMY_CLASSES[method]
    return getattr(importlib.import_module(f"sumy.summarizers.{module}"), name)


@cache
def _sumy_summarizer(method: str) -> Any:
    """A configured sumy summarizer, built once per method (stop words, null stemmer).

    Edmundson's bonus words are the title's and are set per call: a process summarises
    one article at a time (the indexer's workers are processes, not threads).
    """
    from sumy.nlp.stemmers import null_stemmer

    summarizer = _sumy_class(method)(null_stemmer)
    if hasattr(summarizer, "stop_words"):
        summarizer.stop_words = stop_words()
    if method == "edmundson":
        summarizer.null_words = stop_words()
        summarizer.stigma_words = _STIGMA_WORDS
    return summarizer


@lru_cache(maxsize=1)
def _indexed_sentence_class() -> type:
    """sumy's Sentence plus its index in the article: sumy compares sentences by text."""
    from sumy.models.dom import Sentence

    class IndexedSentence(Sentence):
        __slots__ = ("index",)

    return IndexedSentence


def _sumy(method: str, doc: Prepared, count: int) -> list[int]:
    """Run sumy ``method`` on ``doc``; sentences without words are not candidates."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    indexed_sentence = _indexed_sentence_class()
    known = {doc.text[a:b]: words for (a, b), words in zip(doc.spans, doc.words)}
    tokenizer = VietnameseTokenizer(known)
    paragraphs: list[list[Any]] = []
    if doc.title_words:
        heading = Sentence(" ".join(doc.title_words), tokenizer, is_heading=True)
        known[str(heading)] = doc.title_words
        paragraphs.append([heading])
    last = None
    for i, ((a, b), words, p) in enumerate(zip(doc.spans, doc.words, doc.paragraphs)):
        if not words:
            continue
        sentence = indexed_sentence(doc.text[a:b], tokenizer)
        sentence.index = i
        if p != last or not paragraphs:
            paragraphs.append([])
            last = p
        paragraphs[-1].append(sentence)
    if not any(len(p) > 1 or not p[0].is_heading for p in paragraphs):
        return []
    document = ObjectDocumentModel([Paragraph(p) for p in paragraphs])
    summarizer = _sumy_summarizer(method)
    if method == "edmundson":
        content = _content(doc.title_words, stop_words())
        if not content:  # no title: the article's most frequent content words
            counts = Counter(w for ws in doc.words for w in _content(ws, stop_words()))
            content = [w for w, _ in counts.most_common(10)]
        summarizer.bonus_words = content or ["_"]
    return [s.index for s in summarizer(document, count)]


# --------------------------------------------------------------------------- public face


def _method(method: str | None) -> Callable[[Prepared, int], list[int]]:
    name = DEFAULT_METHOD if method is None else method
    if name == DEFAULT_METHOD:
        return _learned
    if name == "lead":
        return _lead
    if name in _SUMY_CLASSES:
        return lambda doc, count: _sumy(name, doc, count)
    raise InvalidParameterError(
        "method", f"unknown summary method {method!r}; choose one of: {', '.join(METHODS)}"
    )


def summarize_prepared(doc: Prepared, sentences: int = 3, method: str | None = None) -> list[str]:
    """Summarise a :func:`prepare`-d document (lets benchmarks split and segment once)."""
    return summarize_prepared_batch([doc], sentences, method)[0]


def summarize_prepared_batch(
    docs: Sequence[Prepared], sentences: int = 3, method: str | None = None
) -> list[list[str]]:
    """:func:`summarize_prepared` of each of ``docs``, the learned ranker's work done for
    all of them together (:func:`_learned_batch`): each gets the summary it gets alone."""
    run = _method(method)
    if sentences <= 0:
        return [[] for _ in docs]
    if run is _learned:
        picks = _learned_batch(docs, sentences)
    else:
        picks = [run(doc, sentences) if doc.spans else [] for doc in docs]
    return [
        [doc.source[doc.spans[i][0] : doc.spans[i][1]] for i in sorted(set(chosen))[:sentences]]
        for doc, chosen in zip(docs, picks)
    ]


def nfc(text: str) -> str:
    """``text`` in NFC: what a summary quotes. :func:`searchkit.text.normalize` of it has the
    same length (``Ð``→``Đ`` and moving a tone mark replace characters one for one), so a
    sentence found in the normal form is cut from this at the same offsets."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def summarize_segmented(
    text: str,
    words: Sequence[tuple[int, int]],
    sentences: int = 3,
    method: str | None = None,
    title: str | None = None,
    *,
    forms: list[str] | None = None,
    title_syllables: Sequence[str] | None = None,
    source: str | None = None,
    sentence_spans: list[tuple[int, int]] | None = None,
) -> list[str]:
    """The ``sentences`` best sentences of ``text``, in document order, from a segmentation
    the caller already has.

    ``text`` is already normalised (:func:`searchkit.text.normalize`) and ``words`` are the
    ``(start, end)`` spans of its pyvi words, in order, as the indexer computed them; pyvi
    is not run again. ``forms``, ``title_syllables`` and ``sentence_spans``, when the
    caller has them, spare computing them again (see :func:`prepare`). ``source`` is the
    text as given, in NFC (:func:`nfc`), that ``text`` normalises: each returned string is
    ``source[start:end]`` of one sentence (``text[start:end]`` without it). Raises
    :class:`InvalidParameterError` for an unknown ``method``.
    """
    _method(method)  # validate before doing any work
    doc = prepare(
        text,
        words,
        title,
        forms=forms,
        title_syllables=title_syllables,
        source=source,
        sentence_spans=sentence_spans,
    )
    return summarize_prepared(doc, sentences, method)


def summarize(
    text: str,
    sentences: int = 3,
    method: str | None = None,
    title: str | None = None,
    *,
    query: str | None = None,
) -> list[str]:
    """Summarise any text: normalise, segment with pyvi, then :func:`summarize_prepared`.

    Returns up to ``sentences`` sentences in document order, each an exact substring of
    ``unicodedata.normalize("NFC", text)``: the analysis runs on the normal form
    (:func:`searchkit.text.normalize`, one tone-mark placement), the quotation keeps the
    writer's (``hoà`` stays ``hoà``). ``method`` is one of :data:`METHODS` (default
    :data:`DEFAULT_METHOD`); ``title`` helps the methods that use one. With ``query``, the
    summary is query-focused instead (:func:`focused_summary`).
    """
    if query is not None:
        if method is not None:
            raise InvalidParameterError(
                "method", "a query-focused summary takes no method: give one or the other"
            )
        return focused_summary(text, sentences, query)
    _method(method)
    doc = _prepare_text(text, title)
    return [] if doc is None else summarize_prepared(doc, sentences, method)


def _prepare_text(text: str, title: str | None) -> Prepared | None:
    """:func:`prepare` of any text: normalised and segmented with pyvi here (None when it is blank)."""
    source = nfc(text)
    normalised = textmod.normalize(source)
    if not normalised.strip():
        return None
    from .segment import word_spans

    spans = word_spans(list(textmod.tokens(normalised)))
    return prepare(normalised, spans, title, source=source)


class _HasText(Protocol):
    """An :class:`~searchkit.articles.Article` or a stored :class:`~searchkit.records.Document`."""

    @property
    def title(self) -> str: ...

    @property
    def body(self) -> str: ...


def _article_parts(article: _HasText) -> tuple[str, str | None]:
    """The one document-summary rule: what is summarised, and the title that helps.

    The body, helped by the title; the sapo is left out, since a reader already sees it
    beside the summary. A text of one paragraph, read as a title with no body, is its own
    body (and has no title).
    """
    if not article.body.strip():
        return article.title, None
    return article.body, article.title or None


def summarize_article(
    article: _HasText,
    sentences: int = SUMMARY_SENTENCES,
    method: str | None = None,
    *,
    query: str | None = None,
) -> list[str]:
    """The summary of one article: the one rule (:func:`_article_parts`) for the indexer's
    stored summary (:func:`summarize_indexed`), ``searchkit summarize`` (a file, standard
    input or ``--id``) and ``/documents/ID/summary``. Sentences are quoted from the NFC
    body as given (or the title, when there is no body)."""
    text, title = _article_parts(article)
    return summarize(text, sentences, method, title, query=query)


class IndexedText(NamedTuple):
    """An article as the indexer has analysed it, what :func:`summarize_indexed_batch`
    summarises: ``body`` is ``normalize(article.body)``, ``words`` its pyvi word spans and
    ``forms`` their forms; ``title_syllables`` those of the title; ``sentence_spans``
    ``split_sentences(body)`` (each of the last three None when the indexer lacks it)."""

    article: _HasText
    body: str
    words: Sequence[tuple[int, int]]
    forms: list[str] | None = None
    title_syllables: Sequence[str] | None = None
    sentence_spans: list[tuple[int, int]] | None = None


def summarize_indexed(
    article: _HasText,
    body: str,
    words: Sequence[tuple[int, int]],
    *,
    forms: list[str] | None = None,
    title_syllables: Sequence[str] | None = None,
    sentence_spans: list[tuple[int, int]] | None = None,
) -> list[str]:
    """:func:`summarize_article` of ``article`` at :data:`SUMMARY_SENTENCES`, from the
    indexer's segmentation (see :class:`IndexedText`): the same sentences, without
    running pyvi on the body again. A batch of one of :func:`summarize_indexed_batch`."""
    indexed = IndexedText(article, body, words, forms, title_syllables, sentence_spans)
    return summarize_indexed_batch([indexed])[0]


def _prepare_indexed(indexed: IndexedText) -> Prepared | None:
    """:func:`prepare` of an article from the indexer's analysis (None when it is blank),
    by the one document-summary rule: the body, helped by the title."""
    article = indexed.article
    text, title = _article_parts(article)
    if text is not article.body:  # no body: the title is the text, and it is short
        return _prepare_text(text, title)
    return prepare(
        indexed.body,
        indexed.words,
        title,
        forms=indexed.forms,
        title_syllables=indexed.title_syllables if title else None,
        source=nfc(article.body),
        sentence_spans=indexed.sentence_spans,
    )


def summarize_indexed_batch(texts: Sequence[IndexedText]) -> list[list[str]]:
    """:func:`summarize_indexed` of each of ``texts``, the learned ranker run over all of
    them at once (the indexer's path: a few numpy calls per batch rather than per
    article; each article gets the summary it gets alone)."""
    docs = [_prepare_indexed(indexed) for indexed in texts]
    ready = [doc for doc in docs if doc is not None]
    summaries = iter(summarize_prepared_batch(ready, SUMMARY_SENTENCES))
    return [[] if doc is None else next(summaries) for doc in docs]


def focused_summary(text: str, sentences: int, query: str) -> list[str]:
    """The ``sentences`` sentences of ``text`` that best answer ``query`` (read as a search
    query is), in document order, each an exact substring of the NFC text as given: the
    sentences are scored as a hit's passage is (searchkit.passages)."""
    from .passages import answering_sentences
    from .query import parse_query

    source = unicodedata.normalize("NFC", text)
    syllables = parse_query(query).syllables()
    return [source[start:end] for start, end in answering_sentences(source, syllables, sentences)]
