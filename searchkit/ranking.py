"""Scoring a parsed query over whole postings arrays, with numpy.

Whoosh's own matchers walk postings one document at a time in Python: a typical
question (10–20 terms over exact, folded and word fields) took about 2 s on a
10,500-article index. Here each term's postings are read once as arrays (and cached by
the searcher), and BM25 is computed for all documents at once: a query costs a few
array operations per term.

This module knows nothing about Whoosh: it asks a :class:`PostingsSource` (implemented
in search.py) for postings, field lengths and the documents matching a phrase.

Ranking, per query word (one syllable):

* BM25 per field (``k1``, ``b`` below; idf ``log(1 + (N - df + .5)/(df + .5))``, which
  makes very common syllables count little without a stop-word list), summed over the
  fields with their weights;
* an accented word scores on its exact form, plus its folded form at ``fold_weight``
  (so ``mới`` ranks above ``mỗi`` but both match); an unaccented word on the folded form;
* adjacent query syllables forming a word of the index add that word's BM25 from the
  ``words`` fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import text
from .query import AnyOf, Clause, Group, ParsedQuery, Phrase, Term

__all__ = ["PostingsSource", "RankingParams", "evaluate"]


class PostingsSource(Protocol):
    doc_count_all: int  # size of the arrays (documents including deleted ones)
    doc_count: int  # live documents
    cache: dict  # scratch space for derived arrays, living as long as the source

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(docnums, term frequencies) of live documents, or None if the term is absent."""

    def lengths(self, field: str) -> np.ndarray:
        """Per-document length of ``field`` (float32, one entry per docnum)."""

    def average_length(self, field: str) -> float: ...

    def phrase_mask(self, field: str, syllables: list[str]) -> np.ndarray:
        """Boolean mask of documents containing the phrase in ``field``."""

    def live(self) -> np.ndarray:
        """Boolean mask of documents that are not deleted."""

    def doc_frequency(self, field: str, term: str) -> int: ...

    def accented_forms(self, folded: str) -> list[tuple[str, int]]:
        """Exact syllables of the index folding to ``folded``, with their document
        frequencies, most frequent first."""


@dataclass(frozen=True)
class RankingParams:
    """Weights, each kept because bench/retrieval.py measured it helping (see README)."""

    title_weight: float = 1.5  # BM25F: a title occurrence counts as 1.5 body occurrences
    body_weight: float = 1.0
    fold_weight: float = 0.05  # folded-only match of an accented word: still found, ranked low
    reading_weight: float = 0.0  # exact forms of an unaccented query's likely reading (measured: hurts)
    word_weight: float = 0.6  # a compound word of the query matched as a whole
    pair_weight: float = 1.0  # adjacent query syllables found adjacent in the document
    k1: float = 1.2
    b: float = 0.9
    max_word_syllables: int = 4


def _plus(total: np.ndarray | None, scores: np.ndarray | None, weight: float) -> np.ndarray | None:
    """``total + weight * scores``, where None stands for "no match anywhere"."""
    if scores is None:
        return total
    return scores * weight if total is None else total + scores * weight


class _Evaluator:
    def __init__(self, source: PostingsSource, params: RankingParams):
        self.source = source
        self.params = params
        self.n = source.doc_count_all

    # -- BM25 of one term in one field ------------------------------------------------
    def bm25(self, field: str, term: str) -> np.ndarray | None:
        found = self.source.postings(field, term)
        if found is None:
            return None
        ids, tf = found
        return self._scores(ids, tf, self.source.lengths(field)[ids], self.source.average_length(field))

    def bm25f(self, fields: list[tuple[str, float]], term: str) -> np.ndarray | None:
        """BM25F of ``term`` over weighted ``fields``: the fields' term frequencies and
        lengths are summed with the weights *before* saturation (Robertson et al. 2004),
        so a title occurrence counts ``title_weight`` body occurrences but cannot make a
        document win on the title alone."""
        if len(fields) == 1:
            name, weight = fields[0]
            scores = self.bm25(name, term)
            return scores * weight if scores is not None and weight != 1 else scores
        tf = np.zeros(self.n, dtype=np.float32)
        found = False
        for name, weight in fields:
            postings = self.source.postings(name, term)
            if postings is not None:
                ids, freqs = postings
                tf[ids] += weight * freqs
                found = True
        if not found:
            return None
        ids = np.flatnonzero(tf)
        lengths, average = self._combined_lengths(tuple(fields))
        return self._scores(ids, tf[ids], lengths[ids], average)

    def _scores(self, ids: np.ndarray, tf: np.ndarray, lengths: np.ndarray, average: float) -> np.ndarray:
        """BM25 for every document from one term's postings (``ids``, ``tf``) and the
        matching documents' ``lengths``; zero elsewhere."""
        p = self.params
        df = len(ids)
        idf = math.log(1 + (self.source.doc_count - df + 0.5) / (df + 0.5))
        norm = lengths / max(average, 1e-9)
        scores = np.zeros(self.n, dtype=np.float32)
        scores[ids] = idf * tf * (p.k1 + 1) / (tf + p.k1 * (1 - p.b + p.b * norm))
        return scores

    def _combined_lengths(self, fields: tuple[tuple[str, float], ...]) -> tuple[np.ndarray, float]:
        """Weighted sum of the fields' lengths per document, and its mean over live ones."""
        cache = self.source.cache
        key = ("lengths", fields)
        if key not in cache:
            lengths = sum(self.source.lengths(name) * weight for name, weight in fields)
            live = self.source.live()
            cache[key] = (lengths, float(lengths[live].mean()) if live.any() else 1.0)
        return cache[key]

    def _fields(self, field: str | None) -> list[tuple[str, float]]:
        p = self.params
        if field == "title":
            return [("title", 1.0)]
        return [("title", p.title_weight), ("body", p.body_weight)]

    # -- nodes ------------------------------------------------------------------------
    def term(self, syllable: str, field: str | None) -> np.ndarray:
        folded = text.fold_diacritics(syllable)
        fields = self._fields(field)
        folded_fields = [(name + "_fold", weight) for name, weight in fields]
        if folded != syllable:
            total = self.bm25f(fields, syllable)
            if self.params.fold_weight:
                total = _plus(total, self.bm25f(folded_fields, folded), self.params.fold_weight)
        else:
            total = self.bm25f(folded_fields, folded)
        return total if total is not None else np.zeros(self.n, dtype=np.float32)

    def phrase(self, syllables: tuple[str, ...], field: str | None) -> tuple[np.ndarray, np.ndarray]:
        if field == "author":
            mask = self.source.phrase_mask("author", [text.fold_diacritics(s) for s in syllables])
            return mask.astype(np.float32), mask
        scores = sum((self.term(s, field) for s in syllables), np.zeros(self.n, dtype=np.float32))
        if len(syllables) == 1:
            return scores, scores > 0
        accented = any(text.has_diacritics(s) for s in syllables)
        mask = np.zeros(self.n, dtype=bool)
        for name, _ in self._fields(field):
            if accented:
                mask |= self.source.phrase_mask(name, list(syllables))
            else:
                mask |= self.source.phrase_mask(name + "_fold", [text.fold_diacritics(s) for s in syllables])
        return scores * mask, mask

    def node(self, node) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(node, Term):
            scores = self.term(node.syllable, node.field)
            return scores, scores > 0
        if isinstance(node, Phrase):
            return self.phrase(node.syllables, node.field)
        if isinstance(node, Group):
            return self.clauses(node.clauses)
        if isinstance(node, AnyOf):
            scores = np.zeros(self.n, dtype=np.float32)
            mask = np.zeros(self.n, dtype=bool)
            for option in node.options:
                s, m = self.node(option)
                scores += s
                mask |= m
            return scores, mask
        raise TypeError(node)  # pragma: no cover

    def clauses(self, clauses: list[Clause]) -> tuple[np.ndarray, np.ndarray]:
        scores = np.zeros(self.n, dtype=np.float32)
        must = np.ones(self.n, dtype=bool)
        should = np.zeros(self.n, dtype=bool)
        excluded = np.zeros(self.n, dtype=bool)
        has_must = False
        for clause in clauses:
            s, m = self.node(clause.node)
            if clause.occur == "not":
                excluded |= m
                continue
            scores += s
            if clause.occur == "must":
                must &= m
                has_must = True
            else:
                should |= m
        mask = must if has_must else should
        mask &= ~excluded
        return scores * mask, mask

    def word_bonus(self, runs: list[list[str]]) -> np.ndarray | None:
        total = None
        limit = self.params.max_word_syllables
        for run in runs:
            for i in range(len(run)):
                for j in range(i + 2, min(len(run), i + limit) + 1):
                    word = "_".join(run[i:j])
                    folded = text.fold_diacritics(word)
                    field = "words" if folded != word else "words_fold"
                    total = _plus(total, self.bm25(field, word if folded != word else folded), self.params.word_weight)
        return total


# How many accented forms of each unaccented syllable the reading search considers.
READING_CANDIDATES = 6


def _together(source: PostingsSource, a: str, b: str) -> int:
    """How many documents contain both exact syllables in their body."""
    pa, pb = source.postings("body", a), source.postings("body", b)
    if pa is None or pb is None:
        return 0
    return len(np.intersect1d(pa[0], pb[0], assume_unique=True))


def likely_reading(syllables: list[str], source: PostingsSource) -> list[str]:
    """The most likely accented reading of unaccented ``syllables`` (``nong thon moi`` →
    ``nông thôn mới``), from the index's own vocabulary.

    A Viterbi search over the accented forms of each syllable: a pair of neighbours
    scores by how many documents contain it as a word (``nông_thôn``), as adjacent
    syllables (a phrase query: costly, which is why suggestions are only made for
    queries that find little) and anywhere together; a syllable alone (a little) by how
    many contain it. So context picks ``thôn mới`` over the commoner ``mỗi``.
    Syllables with diacritics already, or with no accented form, stay as they are.
    """
    options: list[list[tuple[str, float]]] = []
    for syl in syllables:
        forms = source.accented_forms(syl) if not text.has_diacritics(syl) else []
        forms = forms[:READING_CANDIDATES] or [(syl, 1)]
        options.append([(form, 0.1 * math.log1p(df)) for form, df in forms])
    # best[i][form] = (score, previous form)
    best: list[dict[str, tuple[float, str | None]]] = [{f: (u, None) for f, u in options[0]}]
    for i in range(1, len(options)):
        layer: dict[str, tuple[float, str | None]] = {}
        for form, unigram in options[i]:
            choices = []
            for prev, (score, _) in best[-1].items():
                evidence = (
                    math.log1p(source.doc_frequency("words", f"{prev}_{form}"))
                    + 2 * math.log1p(source.phrase_mask("body", [prev, form]).sum())
                    + 0.5 * math.log1p(_together(source, prev, form))
                )
                choices.append((score + unigram + evidence, prev))
            layer[form] = max(choices)
        best.append(layer)
    form = max(best[-1], key=lambda f: best[-1][f][0])
    reading = [form]
    for i in range(len(best) - 1, 0, -1):
        form = best[i][form][1]  # type: ignore[assignment]
        reading.append(form)
    return reading[::-1]


def evaluate(parsed: ParsedQuery, source: PostingsSource, params: RankingParams = RankingParams()) -> tuple[np.ndarray, np.ndarray]:
    """Scores and the match mask of ``parsed`` over all documents (deleted ones masked out)."""
    ev = _Evaluator(source, params)
    scores, mask = ev.clauses(parsed.clauses)
    bonus = ev.word_bonus(parsed.runs)
    if bonus is not None:
        scores += bonus * mask
    if params.pair_weight:
        for run in parsed.runs:
            folded = [text.fold_diacritics(s) for s in run]
            for a, b in zip(folded, folded[1:]):
                pair = ev.bm25("pairs", f"{a}_{b}")
                if pair is not None:
                    scores += pair * params.pair_weight * mask
    if params.reading_weight:
        # Unaccented runs: prefer documents using the likely accented reading's exact forms.
        for run in parsed.runs:
            if any(text.has_diacritics(s) for s in run):
                continue
            reading = likely_reading(run, source)
            accented = [r for r in reading if text.has_diacritics(r)]
            for syl in accented:
                exact = ev.bm25f(ev._fields(None), syl)
                if exact is not None:
                    scores += exact * params.reading_weight * mask
            if len(accented) > 1:
                extra = ev.word_bonus([reading])
                if extra is not None:
                    scores += extra * params.reading_weight * mask
    mask &= source.live()
    return scores, mask
