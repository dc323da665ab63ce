"""Extractive summaries of Vietnamese news: sumy's methods plus a learned lead-aware ranker.

Why a method of our own
-----------------------
On news the first sentences (the *lead*) are already a strong summary. Measured on the
VietNews development set (``bench/summaries.py``), no sumy method beats LEAD-2 with a
bootstrap interval above zero (LexRank is 1.5 ROUGE-1 points behind; Edmundson, fed the
title, ties), because none of them knows how much position matters. The default method,
``learned``, is a linear sentence scorer trained on VietNews *train* articles
(``bench/summaries.py --train``) to predict how much of the human-written sapo a sentence
covers. Its features (see :func:`sentence_features`) are the sentence's position (lead
bias, learned rather than assumed), its length, its overlap with the title, its
centrality in the article (cosine with the rest of the text, as in centroid/LexRank
methods), the document frequency of its words, and a few surface cues of sentences that
are never summaries (photo captions without final punctuation, sentences opening with a
connective such as ``Tuy nhiên``). The top sentences are taken greedily, skipping any
that mostly repeat one already chosen. On the 2,000 val articles at N = 2 it gains
+1.85 ROUGE-1 and +1.60 ROUGE-2 over LEAD-2 (95% bootstrap intervals [+1.39, +2.32] and
[+1.16, +2.04]). The weights are a small JSON file in ``searchkit/data/``; scoring is plain
Python over the words the indexer already has (about 0.6 ms an article including sentence
splitting, against 7–14 ms for pyvi), and needs no download.

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
``lead`` need neither sumy nor numpy.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate, filterfalse
from operator import mul
from pathlib import Path
from typing import Any, Protocol

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
    "summarize_indexed",
    "nfc",
    "SUMMARY_SENTENCES",
    "Prepared",
    "prepare",
    "summarize_prepared",
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
_TERMINATORS = frozenset(".!?…\"'”’»)")
_NUMBER = re.compile(r"\d[\d.,/]*")  # 8,26 or 4/4/2023 or 1.500 counts once
_QUOTE = re.compile('["“”]')
_MAX_TITLE_WORD = 4  # syllables: pyvi words are rarely longer


# --------------------------------------------------------------------------- resources


@lru_cache(maxsize=1)
def _model() -> tuple[tuple[float, ...], float]:
    """Weights of the learned ranker (in :data:`FEATURES` order) and its redundancy limit."""
    spec = json.loads(_MODEL_FILE.read_text(encoding="utf-8"))
    if spec["features"] != list(FEATURES):
        raise RuntimeError(f"{_MODEL_FILE.name} was trained on other features; retrain it")
    return tuple(float(w) for w in spec["weights"]), float(spec.get("max_overlap", 1.0))


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
) -> Prepared:
    """Split ``text`` into sentences and give each the word forms of ``words`` inside it.

    The indexer has the forms already and passes them (the summary is on its path for
    every article): ``forms`` are those of ``words``, one each, lower case with syllables
    "_"-joined (``nông_thôn``); ``title_syllables`` are the title's normalised lower-case
    syllables (:func:`searchkit.text.syllables`). Either is computed here when not given.
    ``source`` is the NFC text as given that ``text`` normalises (:func:`nfc`); sentences
    are quoted from it. It defaults to ``text``.
    """
    if source is None:
        source = text
    elif len(source) != len(text):
        raise ValueError("source and text differ in length: text must be normalize(source), source NFC")
    spans = split_sentences(text)
    if forms is None:
        forms = _word_forms(text, words)
    starts = [start for start, _ in words]
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
)


def _content(words: list[str], stops: frozenset[str]) -> list[str]:
    return list(filterfalse(stops.__contains__, words))


def sentence_features(doc: Prepared) -> list[list[float]]:
    """One row of :data:`FEATURES` per sentence of ``doc``.

    Shared by the ranker and by its training (``bench/summaries.py --train``), so that
    the two can never disagree. Written with C-level ``map``/``Counter`` loops rather
    than per-word Python code: this runs on every indexed article.
    """
    stops = stop_words()
    content = [_content(ws, stops) for ws in doc.words]
    doc_tf: Counter[str] = Counter()
    for ws in content:
        doc_tf.update(ws)
    doc_counts = list(doc_tf.values())
    doc_norm2 = sum(map(mul, doc_counts, doc_counts))
    log_tf = {w: math.log(c) for w, c in doc_tf.items()}
    title = set(_content(doc.title_words, stops))
    n = len(doc.spans)
    rows: list[list[float]] = []
    for i, ((start, end), words, cws, capitals) in enumerate(
        zip(doc.spans, doc.words, content, doc.capitalised)
    ):
        sentence = doc.text[start:end]
        syllables = "_".join(words).count("_") + 1 if words else 0
        log_length = math.log1p(syllables)
        unique = set(cws)
        if len(unique) == len(cws):  # the usual case: no repeated word, every count is 1
            own2 = len(cws)
        else:
            counts = list(Counter(cws).values())
            own2 = sum(map(mul, counts, counts))
        # Cosine between the sentence and the rest of the document (itself excluded).
        dot = sum(map(doc_tf.__getitem__, cws))
        rest2 = doc_norm2 - 2 * dot + own2
        centrality = (dot - own2) / math.sqrt(own2 * rest2) if own2 and rest2 > 0 else 0.0
        title_hits = len(unique & title)
        title_recall = title_hits / len(title) if title else 0.0
        n_words = len(words) or 1
        rows.append(
            [
                *_ONE_HOT[min(i, _POSITIONS)],
                i / n,
                log_length,
                log_length * log_length,
                1.0 if syllables < 8 else 0.0,
                title_recall,
                title_hits / len(unique) if unique else 0.0,
                centrality,
                sum(map(log_tf.__getitem__, cws)) / len(cws) if cws else 0.0,
                len(_NUMBER.findall(sentence)) / n_words,
                capitals / n_words,
                1.0 if _QUOTE.search(sentence) else 0.0,
                0.0 if sentence[-1] in _TERMINATORS else 1.0,
                1.0 if words and words[0] in _STIGMA_WORDS else 0.0,
                0.0 if _STIGMA_WORDS.isdisjoint(words) else 1.0,
                centrality if i == 0 else 0.0,
                title_recall if i == 0 else 0.0,
            ]
        )
    return rows


def _overlap(a: list[str], b: list[str]) -> float:
    """Share of the words of ``a`` that also occur in ``b`` (0 when ``a`` is empty)."""
    if not a:
        return 0.0
    other = set(b)
    return sum(w in other for w in a) / len(a)


def _learned(doc: Prepared, count: int) -> list[int]:
    """The ranker: best-scoring sentences first, skipping near-repeats of chosen ones."""
    weights, max_overlap = _model()
    scores = [sum(map(mul, weights, row)) for row in sentence_features(doc)]
    chosen: list[int] = []
    for i in sorted(range(len(scores)), key=lambda k: (-scores[k], k)):
        if not doc.words[i]:
            continue
        if all(_overlap(doc.words[i], doc.words[j]) <= max_overlap for j in chosen):
            chosen.append(i)
            if len(chosen) == count:
                break
    return chosen


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
    run = _method(method)
    if sentences <= 0 or not doc.spans:
        return []
    chosen = sorted(set(run(doc, sentences)))[:sentences]
    return [doc.source[doc.spans[i][0] : doc.spans[i][1]] for i in chosen]


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
) -> list[str]:
    """The ``sentences`` best sentences of ``text``, in document order (the indexer's entry).

    ``text`` is already normalised (:func:`searchkit.text.normalize`) and ``words`` are the
    ``(start, end)`` spans of its pyvi words, in order, as the indexer computed them; pyvi
    is not run again. ``forms`` and ``title_syllables``, when the caller has them, spare
    computing them again (see :func:`prepare`). ``source`` is the text as given, in NFC
    (:func:`nfc`), that ``text`` normalises: each returned string is ``source[start:end]``
    of one sentence (``text[start:end]`` without it). Raises :class:`InvalidParameterError`
    for an unknown ``method``.
    """
    _method(method)  # validate before doing any work
    doc = prepare(text, words, title, forms=forms, title_syllables=title_syllables, source=source)
    return summarize_prepared(doc, sentences, method)


def summarize(
    text: str, sentences: int = 3, method: str | None = None, title: str | None = None
) -> list[str]:
    """Summarise any text: normalise, segment with pyvi, then :func:`summarize_segmented`.

    Returns up to ``sentences`` sentences in document order, each an exact substring of
    ``unicodedata.normalize("NFC", text)``: the analysis runs on the normal form
    (:func:`searchkit.text.normalize`, one tone-mark placement), the quotation keeps the
    writer's (``hoà`` stays ``hoà``). ``method`` is one of :data:`METHODS` (default
    :data:`DEFAULT_METHOD`); ``title`` helps the methods that use one.
    """
    _method(method)
    source = nfc(text)
    normalised = textmod.normalize(source)
    if not normalised.strip():
        return []
    from .segment import word_spans

    spans = word_spans(list(textmod.tokens(normalised)))
    return summarize_segmented(normalised, spans, sentences, method, title, source=source)


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
    article: _HasText, sentences: int = SUMMARY_SENTENCES, method: str | None = None
) -> list[str]:
    """The summary of one article: the one rule (:func:`_article_parts`) for the indexer's
    stored summary (:func:`summarize_indexed`), ``searchkit summarize`` (a file, standard
    input or ``--id``) and ``/documents/ID/summary``. Sentences are quoted from the NFC
    body as given (or the title, when there is no body)."""
    text, title = _article_parts(article)
    return summarize(text, sentences, method, title)


def summarize_indexed(
    article: _HasText,
    body: str,
    words: Sequence[tuple[int, int]],
    *,
    forms: list[str] | None = None,
    title_syllables: Sequence[str] | None = None,
) -> list[str]:
    """:func:`summarize_article` of ``article`` at :data:`SUMMARY_SENTENCES`, from the
    indexer's segmentation: ``body`` is ``normalize(article.body)``, ``words`` its pyvi
    word spans and ``forms`` their forms; ``title_syllables`` those of the title. The same
    sentences, without running pyvi on the body again."""
    text, title = _article_parts(article)
    if text is not article.body:  # no body: the title is the text, and it is short
        return summarize(text, SUMMARY_SENTENCES, None, title)
    return summarize_segmented(
        body,
        words,
        SUMMARY_SENTENCES,
        title=title,
        forms=forms,
        title_syllables=title_syllables if title else None,
        source=nfc(article.body),
    )
