"""Scoring a parsed query over whole postings arrays, with numpy.

Whoosh's own matchers walk postings one document at a time in Python, which is slow for
the long queries people paste and ask (bench/perf.py compares). Here each term's postings
are read once as arrays (and cached by the searcher), and BM25 is computed for all
documents at once: a query costs a few array operations per term. A short query whose
words are all in few documents computes it for those only (``_universe``); a search that
reads only its best documents matches a long query first, scores it among its matches
when they are few, and scores its common syllables only in the documents that could
still be among the best (``_pruned``).

This module knows nothing about Whoosh: it asks a :class:`PostingsSource` (implemented
in search.py) for postings, field lengths and the documents matching a phrase.

Ranking, per query word (one syllable):

* BM25F over the fields the field table scores bare words in, with the table's weights
  (fields.py; ``k1``, ``b`` below; idf ``log(1 + (N - df + .5)/(df + .5))``, which
  makes very common syllables count little without a stop-word list);
* an accented word scores on its exact form, plus its folded form at ``fold_weight``
  (so ``mới`` ranks above ``mỗi`` but both match); an unaccented word on the folded form;
* adjacent query syllables forming a word of the index add that word's BM25 from the
  ``words`` fields.

Then, for the whole query: the idf of its syllables found in the article's lead, the idf
of its figures found whole, the BM25 of its adjacent pairs found adjacent, and, for
the best few documents only (it reads positions), the idf of its syllables found
together in one passage (``window_*``).
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from . import text
from .fields import FIELD, PAIRS_FIELD, folded_twin, pair_terms, searched_fields
from .postings import ascending_union, documents_mask, shared_documents
from .query import AnyOf, Clause, Group, ParsedQuery, Phrase, Term
from .stopwords import QUESTION_WORDS, accented_forms_of, covered_syllables, stop_words

__all__ = [
    "PostingsSource",
    "RankingParams",
    "Match",
    "evaluate",
    "best_first",
    "bm25_idf",
    "kth_highest",
    "leading",
]


class PostingsSource(Protocol):
    doc_count_all: int  # size of the arrays (documents including deleted ones)
    doc_count: int  # live documents
    # What the ranking derives (BM25's length terms, document frequencies), living as long
    # as the source; may be bounded, so an entry can be gone by the next lookup (_cached).
    cache: MutableMapping

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(docnums, term frequencies) of live documents, or None if the term is absent."""

    def frequencies(self, field: str, term: str) -> np.ndarray | None:
        """The frequency of ``term`` in ``field`` of every document (unsigned integers, 0
        where it is absent or deleted) when the term is in many documents, else None."""

    def lengths(self, field: str) -> np.ndarray:
        """Per-document length of ``field`` (float32, one entry per docnum)."""

    def average_length(self, field: str) -> float: ...

    def phrase_mask(self, field: str, syllables: list[str]) -> np.ndarray:
        """Boolean mask of documents containing the phrase in ``field``."""

    def live(self) -> np.ndarray:
        """Boolean mask of documents that are not deleted."""

    def doc_frequency(self, field: str, term: str) -> int: ...

    def lead_docs(self, term: str) -> np.ndarray | None:
        """Live documents with the folded syllable ``term`` in their lead (the first
        fields.LEAD_SYLLABLES of sapo and body): ascending docnums, or a bit per docnum
        (``np.packbits`` of a mask)."""

    def positions(self, field: str, term: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The document and position of each occurrence of ``term`` in ``field`` of ``docs``."""

    def accented_forms(self, folded: str) -> list[tuple[str, int]]:
        """Exact syllables of the index folding to ``folded``, with their document
        frequencies, most frequent first."""


@dataclass(frozen=True)
class RankingParams:
    """Weights, each kept because bench/retrieval.py measured it helping (see README)."""

    fold_weight: float = 0.05  # folded-only match of an accented word: still found, ranked low
    word_weight: float = 0.6  # a compound word of the query matched as a whole
    pair_weight: float = 1.0  # adjacent query syllables found adjacent in the document
    k1: float = 1.2
    b: float = 0.9
    max_word_syllables: int = 4
    # Which documents match a query's bare words (README, "Which documents match"): up to
    # ``short_query_words`` counted words, every one; beyond, ``long_query_coverage`` of
    # the significant ones (stop words and question words left out of the count).
    short_query_words: int = 4
    long_query_coverage: float = 0.5
    # A long query relaxes its rule by one step of share while fewer than
    # ``long_query_enough`` documents qualify (a short one only when none does). A long
    # query describes what it looks for, and its source often words it otherwise (a
    # headline's "gã đàn ông máu lạnh", a question's paraphrase): when its share of the
    # words leaves only a handful of documents, the one asked for is as likely among
    # those with a few of them fewer, which still rank below those with more
    # (coverage_weight). Ten pages of results: a query that qualifies that many keeps
    # its rule.
    long_query_enough: int = 100
    lead_weight: float = 2.0  # idf of each query syllable found in the article's lead (fields.py)
    soft_quotes_above: int = 8  # syllables: a longer query reads its plain quotes as words
    # Proximity: the best-scored documents gain ``window_weight`` times the idf of the
    # distinct query syllables in their densest passage of ``window_syllables``.
    window_weight: float = 1.5
    window_syllables: int = 40
    window_depth: int = 30  # how many of the best documents are re-scored so
    # A figure of the query (``2,7``, ``20/5``: adjacent number syllables; or a number of
    # two digits or more) found as such in an article's text adds ``number_weight`` times
    # its idf.
    number_weight: float = 2.0
    # A long query's source restates most of its words, a neighbouring article on the same
    # story only some: a matching document gains ``coverage_weight`` times the share of
    # the query's content words (idf-weighted; stop and question words left out) it has
    # as typed.
    coverage_weight: float = 15.0


def _plus(total: np.ndarray | None, scores: np.ndarray | None, weight: float) -> np.ndarray | None:
    """``total + weight * scores``, where None stands for "no match anywhere"."""
    if scores is None:
        return total
    return scores * weight if total is None else total + scores * weight


MAX_OR_WORD = 4  # syllables of the longest word an OR alternative grows to
# BM25F sums a term's fields over its documents' ids rather than over every document when
# it has fewer postings than 1/_SPARSE_BELOW of the documents.
_SPARSE_BELOW = 16
# A short query is scored among the documents with all its words (_universe) when they
# are fewer than 1/_UNIVERSE_BELOW of the index (its rarest word's, 1/_RAREST_BELOW), and
# so is the second pass of _pruned: beyond, finding them in each term's postings
# (_Evaluator._shared) costs more than passes over the whole index.
_UNIVERSE_BELOW = 8
_RAREST_BELOW = 8
# A query asked for its best documents only is first scored without its bare syllables
# in more than 1/_BOUND_ABOVE of the documents (_pruned).
_BOUND_ABOVE = 5
# Its matches are scored as a universe when they are fewer than 1/_MATCHES_BELOW of the
# documents.
_MATCHES_BELOW = 4
# What a bounding pass leaves out (_Evaluator.left_out_syllables): a syllable's score, or
# its lead bonus.
_TERM, _LEAD = "term", "lead"


@dataclass
class Match:
    """What a query matched: a score per document (zero where it does not match, and,
    when :func:`evaluate` was asked for the ``best`` documents only, where a match cannot
    be among them), the mask of matching documents, and how the bare-word rule was applied."""

    scores: np.ndarray
    mask: np.ndarray
    counted: int = 0  # bare words the rule counts
    # The rule relaxed (no document, or for a long query few, had what it asks): the
    # matches have less.
    relaxed: bool = False
    short: bool = True  # the rule for short queries (every word) rather than long ones (most)
    words: int | None = None  # short queries: how many of the words every match has
    other_diacritics: bool = False  # every word matched, but not all with the diacritics typed


@dataclass(frozen=True)
class _Rule:
    """The match rule as the top of a query applied it: whether each counted word counts
    in a document's coverage, the coverages needed (strictest first), the step taken, and
    the content words' weights in the share of them a document has (index among the
    counted words, weight)."""

    counts: list[bool]
    thresholds: list[float]
    step: int
    shares: list[tuple[int, np.float32]]


def _cached(cache: MutableMapping, key, make: Callable):
    """``cache[key]``, made by ``make()`` if it is not there (and kept if it fits)."""
    found = cache.get(key)
    if found is None:
        found = make()
        with contextlib.suppress(ValueError):  # (larger than the whole of a bounded cache)
            cache[key] = found
    return found


def _live_df(source: PostingsSource, field: str, term: str) -> int:
    """How many live documents have ``term`` (the parts' own counts include deleted ones)."""

    def count() -> int:
        found = source.postings(field, term)
        return len(found[0]) if found is not None else 0

    # (Kept: a stop word's count would otherwise decode its postings for every query.)
    return _cached(source.cache, ("live df", field, term), count)


def _roles(clauses: list[Clause], source: PostingsSource) -> tuple[str, ...]:
    """Each clause's part in the match rule: ``content``, ``stop`` (counted in short
    queries only) or ``question`` (never required); clauses other than bare words are
    ``content``. A lone syllable typed without diacritics takes the role of the accented
    form most of the index's documents have.

    Kept per searcher: a query's evaluation asks for them once per pass over it."""
    words = tuple(c.node.syllable if _is_bare(c) else None for c in clauses)  # type: ignore[union-attr]
    return _cached(source.cache, ("roles", words), lambda: _roles_of(words, source))


def _roles_of(words: tuple[str | None, ...], source: PostingsSource) -> tuple[str, ...]:
    """:func:`_roles` of clauses whose bare words are ``words`` (None for other clauses)."""
    bare = [w for w in words if w is not None]
    question = {bare[i] for i in covered_syllables(bare, QUESTION_WORDS)}
    stop = {bare[i] for i in covered_syllables(bare, stop_words())}
    for syllable in set(bare) - question - stop:
        if text.has_diacritics(syllable):
            continue
        # Typed without diacritics: a stop or question word when most of the documents
        # with the folded syllable have that word's accented form (``gi`` → ``gì``).
        folded_df = _live_df(source, "body_fold", syllable)
        for listed, role in ((QUESTION_WORDS, question), (stop_words(), stop)):
            forms = accented_forms_of(syllable, listed)
            if forms and 2 * max(_live_df(source, "body", f) for f in forms) > folded_df:
                role.add(syllable)
                break
    return tuple("question" if w in question else "stop" if w in stop else "content" for w in words)


def bm25_idf(doc_count: int, df: int) -> float:
    """BM25's idf: ``log(1 + (N - df + .5)/(df + .5))``, small for very common syllables."""
    return math.log(1 + (doc_count - df + 0.5) / (df + 0.5))


def _is_bare(clause: Clause) -> bool:
    return clause.occur == "should" and isinstance(clause.node, Term) and clause.node.field is None


def _word_after(option, clauses: list[Clause], i: int, is_word: Callable[[list[str]], bool]) -> int:
    """How many bare syllables after ``clauses[i - 1]`` join ``option`` in a known word."""
    after = []
    for clause in clauses[i : i + MAX_OR_WORD - 1]:
        if not _is_bare(clause):
            break
        after.append(clause.node.syllable)  # type: ignore[union-attr]
    if not isinstance(option, Term) or option.field is not None:
        return 0
    return next((m for m in range(len(after), 0, -1) if is_word([option.syllable] + after[:m])), 0)


def _bare_run(clauses: list[Clause], i: int) -> int:
    """How many bare syllables follow ``clauses[i - 1]`` (up to ``MAX_OR_WORD - 1``)."""
    n = 0
    while i + n < len(clauses) and n < MAX_OR_WORD - 1 and _is_bare(clauses[i + n]):
        n += 1
    return n


def _words_around_or(clauses: list[Clause], is_word: Callable[[list[str]], bool]) -> list[Clause]:
    """``hà nội OR hải phòng`` as the two words, not ``hà (nội OR hải) phòng``.

    The parser binds OR to the neighbouring syllables, since it cannot know where a word
    ends; here each alternative at the edge of an OR grows to the longest run of its
    neighbouring bare syllables (up to ``MAX_OR_WORD``) that the index knows as one word
    (``is_word``). Alternatives that are not known words stay single syllables.
    """
    out: list[Clause] = []
    i = 0
    while i < len(clauses):
        clause = clauses[i]
        i += 1
        if clause.occur == "not" or not isinstance(clause.node, AnyOf) or clause.node.abbreviation:
            out.append(clause)
            continue
        options = list(clause.node.options)
        if isinstance(options[0], Term) and options[0].field is None:
            before: list[str] = []
            while out and _is_bare(out[-1]) and len(before) < MAX_OR_WORD - 1:
                before.insert(0, out.pop().node.syllable)  # type: ignore[union-attr]
            k = next(
                (k for k in range(len(before), 0, -1) if is_word(before[-k:] + [options[0].syllable])), 0
            )
            if not k and len(options) == 2:
                # No known word on the left: as long as the right one, when that is known
                # (``phố cổ OR đường sắt``), since alternatives tend to be of a kind.
                k = min(len(before), _word_after(options[-1], clauses, i, is_word))
                if not k:
                    # Neither side a word the index knows (``hà nội OR hải phòng`` on an
                    # archive that has neither): as many syllables on each side as the
                    # shorter side has, rather than OR between two lone syllables, which
                    # would match ``Tiền Hải`` and ``nội dung``.
                    k = min(len(before), _bare_run(clauses, i))
            out.extend(Clause(Term(s), "should") for s in before[: len(before) - k])
            if k:
                options[0] = Phrase(tuple(before[-k:] + [options[0].syllable]))
        while isinstance(options[-1], Term) and options[-1].field is None:
            # The syllables after the last alternative: bare words, then maybe the first
            # alternative of the next OR (``a b OR c d OR e``: the parser's two ORs).
            after: list[str] = []
            j = i
            while j < len(clauses) and len(after) < MAX_OR_WORD - 1:
                if _is_bare(clauses[j]):
                    after.append(clauses[j].node.syllable)  # type: ignore[union-attr]
                    j += 1
                    continue
                nxt = clauses[j].node
                if (
                    clauses[j].occur == "should"
                    and isinstance(nxt, AnyOf)
                    and not nxt.abbreviation
                    and isinstance(nxt.options[0], Term)
                ):
                    after.append(nxt.options[0].syllable)
                break
            m = next((m for m in range(len(after), 0, -1) if is_word([options[-1].syllable] + after[:m])), 0)
            if not m and isinstance(options[0], Phrase) and len(options) == 2 and j == i + len(after):
                m = min(len(after), len(options[0].syllables) - 1)  # as long as the left one
            if not m:
                break
            options[-1] = Phrase((options[-1].syllable, *after[:m]))
            if i + m > j:  # the word took the next OR's first alternative: one OR of them all
                options.extend(clauses[j].node.options[1:])  # type: ignore[union-attr]
                i = j + 1
            else:
                i += m
                break
        out.append(Clause(AnyOf(options), clause.occur))
    return out


# Fields with their BM25F weights (a tuple: it keys the searcher's caches).
Fields = tuple[tuple[str, float], ...]


def _scored_fields(field: str | None) -> Fields:
    """The fields a syllable is scored in: the one it is qualified with, or those of the
    field table that score bare words."""
    if field is not None and field in FIELD:
        return ((field, 1.0),)
    return searched_fields()


def _scored_forms(
    syllable: str, field: str | None, params: RankingParams
) -> tuple[tuple[Fields, str] | None, tuple[Fields, str] | None]:
    """What a query syllable is scored on: its exact form in the fields (accented
    syllables only), and its folded form in their folded twins (unless an accented
    syllable's ``fold_weight`` is 0); each as (weighted fields, term) or None."""
    folded = text.fold_diacritics(syllable)
    fields = _scored_fields(field)
    folded_fields = tuple((folded_twin(name), weight) for name, weight in fields)
    if folded == syllable:
        return None, (folded_fields, folded)
    return (fields, syllable), ((folded_fields, folded) if params.fold_weight else None)


def _matched_form(syllable: str, params: RankingParams) -> tuple[Fields, str]:
    """The form whose documents a bare syllable scores in: its folded form when that is
    scored (its documents include those of every accented form: a folded field holds its
    twin's syllables folded), else its exact form."""
    exact, folded = _scored_forms(syllable, None, params)
    return folded or exact  # type: ignore[return-value]


def _documents(postings: Callable, fields: Fields, term: str) -> list[np.ndarray]:
    """The documents with ``term`` in each of ``fields`` that has it, read by ``postings``
    (a source's or an evaluator's)."""
    return [found[0] for name, _ in fields if (found := postings(name, term)) is not None]


def _short_words(parsed: ParsedQuery, source: PostingsSource, params: RankingParams) -> list[str] | None:
    """The words a short query of bare words counts (question words left out); None for
    other queries."""
    clauses = parsed.clauses
    if not clauses or not all(_is_bare(c) for c in clauses):
        return None
    roles = _roles(clauses, source)
    counted = [c.node.syllable for c, role in zip(clauses, roles) if role != "question"]  # type: ignore[union-attr]
    return counted if counted and len(counted) <= params.short_query_words else None


def _universe(
    counted: list[str], source: PostingsSource, params: RankingParams, allowed: np.ndarray
) -> np.ndarray | None:
    """The documents a short query of bare words (its ``counted`` words, _short_words) can
    match, when some document has every one of them (in any form): then its matches are
    among them, and scoring only them gives each the scores it has over the whole index
    (every operation of the ranking is per document) at a cost that grows with them, not
    with the archive. None when no document has every word (the rule relaxes).

    The documents with every word as typed (an accented word in its own form) first: when
    there are any, they are the matches (the rule's first step), and they are often far
    fewer than those with every word in any form (``trọng`` folds to ``trong``, which
    nearly every article has); else those with every word in any form."""
    typed = any(text.has_diacritics(s) for s in counted)
    for as_typed in (True, False) if typed else (False,):
        lists = []
        for syllable in set(counted):
            exact, _ = _scored_forms(syllable, None, params)
            form = exact if as_typed and exact is not None else _matched_form(syllable, params)
            found = _documents(source.postings, *form)
            if not found:
                break
            lists.append(found)
        else:
            lists.sort(key=lambda found: sum(len(ids) for ids in found))  # the rarest word first
            if sum(len(ids) for ids in lists[0]) * _RAREST_BELOW > len(allowed):
                return None  # (as good as sure to be too many)
            docs = ascending_union(lists[0])
            docs = docs[allowed[docs]]
            for found in lists[1:]:
                if not _searched(len(docs), sum(len(ids) for ids in found)):
                    docs = docs[documents_mask(len(allowed), *found)[docs]]
                    continue
                inside = np.zeros(len(docs), dtype=bool)
                for ids in found:
                    inside[shared_documents(docs, ids)[0]] = True
                docs = docs[inside]
            if len(docs):
                # Among many documents, finding them in each term's postings costs more
                # than a pass over the whole index.
                return docs if len(docs) * _UNIVERSE_BELOW <= len(allowed) else None
    return None


def _searched(few: int, many: int) -> bool:
    """Whether ``few`` documents are best found among ``many`` ascending docnums by a
    binary search each (else by a pass over the ``many``: a mask or map of the few):
    whichever reads fewer entries."""
    return few * math.log2(max(many, 2)) <= many


class _Evaluator:
    """Scores a query over the index's documents, or over a ``universe`` of them (ascending
    docnums): then every array is over those documents, and what the ranking reads of the
    whole index (document frequencies, lengths' mean) is still the whole index's."""

    def __init__(
        self,
        source: PostingsSource,
        params: RankingParams,
        universe: np.ndarray | None = None,
        *,
        bound_common: bool = False,
        matches_only: bool = False,
        first: _Evaluator | None = None,
    ):
        self.exact: dict[tuple[str, str | None], np.ndarray] = {}  # accented terms: exact-form matches
        self.source = source
        self.params = params
        self.universe = universe
        self.n = source.doc_count_all if universe is None else len(universe)
        self._lengths: dict[tuple, np.ndarray] = {}
        self._place: np.ndarray | None = None  # each docnum's position in the universe, or -1
        # Bounding (_pruned): the query's bare syllables in many documents are matched but
        # not scored; one entry per part of the score left out (a bare clause's syllable,
        # _TERM, or a syllable's lead bonus, _LEAD): its ceiling (the most it could add to
        # a document's score), its kind and its syllable, as scored.
        self.bound_common = bound_common
        self.left_out_syllables: list[tuple[float, str, str]] = []
        # Matching only (_pruned): no bare syllable is scored, only its documents read, so
        # that the top of the query decides its matches and rule at the least cost.
        self.matches_only = matches_only
        # ``first``: an earlier pass of the same query (matching or bounding, _pruned),
        # whose work this one reuses.
        # The match rule as applied over the whole index (set by clauses() at the top of
        # the query): given, a universe applies it rather than deciding it from its own
        # documents, which may not have every word the index has.
        self.rule: _Rule | None = first.rule if first else None
        # The documents of each phrase read (over the whole index), which reading positions
        # makes costly.
        self.phrases: dict[tuple[str, tuple[str, ...]], np.ndarray] = first.phrases if first else {}
        # The scores of the terms bounding did score (and their exact-form matches), for a
        # pass over the whole index again (None: not kept).
        same = first if first is not None and first.universe is None and universe is None else None
        self.terms: dict[tuple[str, str | None], tuple[np.ndarray, np.ndarray | None]] | None = (
            same.terms if same else {} if bound_common else None
        )
        # The documents of the bare syllables matched and not scored (presence()), for a
        # pass over the whole index again.
        self.present: dict[str, tuple[np.ndarray, np.ndarray | None]] = same.present if same else {}
        # The same over the whole index, from the first pass that read them there: an
        # evaluator over a universe takes its documents' part of them (a lookup per
        # document, not a pass over the syllable's postings).
        self.present_everywhere: dict[str, tuple[np.ndarray, np.ndarray | None]] = (
            {} if first is None else first.present if first.universe is None else first.present_everywhere
        )

    @property
    def left_out(self) -> float:
        """The most the syllables left out could add to a document's score: their ceilings'
        sum (in the order they were left out)."""
        return sum(ceiling for ceiling, _, _ in self.left_out_syllables)

    def phrase_mask(self, field: str, syllables: list[str]) -> np.ndarray:
        """The source's phrase mask over the whole index, read once per query."""
        key = (field, tuple(syllables))
        if key not in self.phrases:
            self.phrases[key] = self.source.phrase_mask(field, syllables)
        return self.phrases[key]

    def local(self, mask: np.ndarray) -> np.ndarray:
        """A mask over the index's documents, over the evaluator's."""
        return mask if self.universe is None else mask[self.universe]

    def _shared(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The universe's documents among ascending docnums ``docs``: their positions in the
        universe, and their rows in ``docs``."""
        assert self.universe is not None
        if _searched(len(self.universe), len(docs)):
            return shared_documents(self.universe, docs)
        if self._place is None:
            if len(docs) * math.log2(max(len(self.universe), 2)) <= self.source.doc_count_all:
                # Few enough ``docs`` to search each in the universe rather than build a map
                # of every document of the index (once per evaluator, and _contenders makes
                # one per syllable it scores).
                rows, at = shared_documents(docs, self.universe)
                return at, rows
            self._place = np.full(self.source.doc_count_all, -1, dtype=np.int32)
            self._place[self.universe] = np.arange(len(self.universe), dtype=np.int32)
        found = self._place[docs]
        rows = np.flatnonzero(found >= 0)
        return found[rows].astype(np.int64), rows

    def index_docs(self, docs: np.ndarray) -> np.ndarray:
        """Positions among the evaluator's documents, as docnums of the index."""
        return docs if self.universe is None else self.universe[docs]

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The source's postings, among the evaluator's documents."""
        if self.universe is not None and (every := self.source.frequencies(field, term)) is not None:
            tf = every[self.universe]  # (a common term: a lookup per document, not per posting)
            at = np.flatnonzero(tf)
            return (at, tf[at].astype(np.float32)) if len(at) else None
        found = self.source.postings(field, term)
        if found is None or self.universe is None:
            return found
        at, rows = self._shared(found[0])
        return (at, found[1][rows]) if len(at) else None

    def document_frequency(self, fields: Fields, term: str) -> int:
        """Live documents of the whole index with ``term`` in any of ``fields``."""

        def count() -> int:
            found = _documents(self.source.postings, fields, term)
            if len(found) < 2:
                return len(found[0]) if found else 0
            if sum(len(ids) for ids in found) * _SPARSE_BELOW < self.source.doc_count_all:
                return len(ascending_union(found))
            return int(np.count_nonzero(documents_mask(self.source.doc_count_all, *found)))

        return _cached(self.source.cache, ("df", fields, term), count)

    def is_word(self, syllables: list[str]) -> bool:
        """Whether the index has ``syllables`` as one word (``nông_thôn``), in any form."""
        word = "_".join(syllables)
        folded = text.fold_diacritics(word)
        if folded != word and self.source.doc_frequency("words", word):
            return True
        return bool(self.source.doc_frequency("words_fold", folded))

    # -- BM25 of one term in one field ------------------------------------------------
    def bm25(self, field: str, term: str) -> np.ndarray | None:
        found = self.postings(field, term)
        if found is None:
            return None
        ids, tf = found
        return self._scores(ids, tf, ((field, 1.0),), term)

    def bm25_where(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """BM25 of ``term`` in ``field`` where it is not zero: the documents with the term
        (positions among the evaluator's, ascending) and their scores. (A bonus is added
        there: no array over every document made, weighted and masked for each term.)"""
        found = self.postings(field, term)
        if found is None:
            return None
        ids, tf = found
        return ids, self._bm25_at(ids, tf, ((field, 1.0),), term)

    def bm25f(self, fields: Fields, term: str) -> np.ndarray | None:
        """BM25F of ``term`` over weighted ``fields``: the fields' term frequencies and
        lengths are summed with the weights *before* saturation (Robertson et al. 2004),
        so a title occurrence counts the title's weight in body occurrences but cannot
        make a document win on the title alone."""
        if len(fields) == 1:
            name, weight = fields[0]
            scores = self.bm25(name, term)
            return scores * weight if scores is not None and weight != 1 else scores
        found = [
            (postings, weight)
            for name, weight in fields
            if (postings := self.postings(name, term)) is not None
        ]
        if not found:
            return None
        # Each document's weighted frequencies summed in the fields' order (float32 sums
        # depend on their order): over the documents with the term when few have it, over
        # every document when many do (then a dense array is cheaper than sorting ids).
        if sum(len(ids) for (ids, _), _ in found) * _SPARSE_BELOW < self.n:
            ids, tf = _summed_where([(some, weight * freqs) for (some, freqs), weight in found])
        else:
            dense = np.zeros(self.n, dtype=np.float32)
            for (some, freqs), weight in found:
                dense[some] += weight * freqs
            p = self.params
            if p.k1 > 0 and p.b < 1:  # length terms all positive: BM25 is 0 where tf is
                # Over every document: no index of the documents to build and gather by.
                df = self._df(fields, term, lambda: int(np.count_nonzero(dense)))
                idf = bm25_idf(self.source.doc_count, df)
                scores = idf * dense
                scores *= p.k1 + 1
                scores /= dense + self._length_terms(fields)
                return scores
            ids = np.flatnonzero(dense != 0)  # (flatnonzero(dense), several times faster)
            tf = dense[ids]
        return self._scores(ids, tf, fields, term)

    def _df(self, fields: Fields, term: str, here: Callable[[], int]) -> int:
        """``term``'s document frequency in ``fields``: ``here()``, counted from its postings,
        when they are the whole index's."""
        return here() if self.universe is None else self.document_frequency(fields, term)

    def _scores(self, ids: np.ndarray, tf: np.ndarray, fields: Fields, term: str) -> np.ndarray:
        """BM25 for every document from one term's postings (``ids``, ``tf``, summed over
        the weighted ``fields``); zero elsewhere."""
        scores = np.zeros(self.n, dtype=np.float32)
        scores[ids] = self._bm25_at(ids, tf, fields, term)
        return scores

    def _bm25_at(self, ids: np.ndarray, tf: np.ndarray, fields: Fields, term: str) -> np.ndarray:
        """BM25 of the documents ``ids`` from one term's postings, as :meth:`_scores`."""
        p = self.params
        idf = bm25_idf(self.source.doc_count, self._df(fields, term, lambda: len(ids)))
        return idf * tf * (p.k1 + 1) / (tf + self._length_terms(fields)[ids])

    def _length_terms(self, fields: Fields) -> np.ndarray:
        """BM25's ``k1 * (1 - b + b * length / average length)`` of every document for
        ``fields``: it depends on no query, so it is computed once per searcher."""
        p = self.params

        def make() -> np.ndarray:
            lengths, average = self._combined_lengths(fields)
            norm = lengths / max(average, 1e-9)
            return p.k1 * (1 - p.b + p.b * norm)

        terms = _cached(self.source.cache, ("length terms", fields, p.k1, p.b), make)
        if self.universe is None:
            return terms
        if fields not in self._lengths:
            self._lengths[fields] = terms[self.universe]
        return self._lengths[fields]

    def _combined_lengths(self, fields: Fields) -> tuple[np.ndarray, float]:
        """Weighted sum of the fields' lengths per document, and its mean over live ones
        (one field of weight 1: its lengths and mean as the source keeps them)."""
        if len(fields) == 1 and fields[0][1] == 1.0:
            return self.source.lengths(fields[0][0]), self.source.average_length(fields[0][0])

        def make() -> tuple[np.ndarray, float]:
            lengths: np.ndarray = functools.reduce(
                operator.add, (self.source.lengths(name) * weight for name, weight in fields)
            )
            live = self.source.live()
            return lengths, float(lengths[live].mean()) if live.any() else 1.0

        return _cached(self.source.cache, ("lengths", fields), make)

    # -- nodes ------------------------------------------------------------------------
    def term(self, syllable: str, field: str | None) -> np.ndarray:
        key = (syllable, field)
        if self.terms is not None and key in self.terms:
            total, typed = self.terms[key]
            if typed is not None:
                self.exact[key] = typed
            return total
        exact, folded = _scored_forms(syllable, field, self.params)
        found = None
        if exact is not None:
            found = self.bm25f(*exact)
            self.exact[key] = found > 0 if found is not None else np.zeros(self.n, dtype=bool)
        if folded is not None:
            scores = self.bm25f(*folded)
            found = scores if exact is None else _plus(found, scores, self.params.fold_weight)
        total = found if found is not None else np.zeros(self.n, dtype=np.float32)
        if self.terms is not None:
            self.terms[key] = total, self.exact.get(key)
        return total

    def phrase(self, syllables: tuple[str, ...], field: str | None) -> tuple[np.ndarray, np.ndarray]:
        if field == "author":
            mask = self.local(self.phrase_mask("author", [text.fold_diacritics(s) for s in syllables]))
            return mask.astype(np.float32), mask
        scores = sum((self.term(s, field) for s in syllables), np.zeros(self.n, dtype=np.float32))
        if len(syllables) == 1:
            return scores, scores > 0
        accented = any(text.has_diacritics(s) for s in syllables)
        mask = np.zeros(self.n, dtype=bool)
        for name, _ in _scored_fields(field):
            if accented:
                mask |= self.local(self.phrase_mask(name, list(syllables)))
            else:
                mask |= self.local(
                    self.phrase_mask(folded_twin(name), [text.fold_diacritics(s) for s in syllables])
                )
        return scores * mask, mask

    def node(self, node) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(node, Term):
            scores = self.term(node.syllable, node.field)
            return scores, scores > 0
        if isinstance(node, Phrase):
            return self.phrase(node.syllables, node.field)
        if isinstance(node, Group):
            inner = self.clauses(node.clauses)
            return inner.scores, inner.mask
        if isinstance(node, AnyOf):
            scores = np.zeros(self.n, dtype=np.float32)
            mask = np.zeros(self.n, dtype=bool)
            for option in node.options:
                s, m = self.node(option)
                scores += s
                mask |= m
            return scores, mask
        raise TypeError(node)  # pragma: no cover

    def clauses(self, clauses: list[Clause], within: np.ndarray | None = None) -> Match:
        """Scores and matches of ``clauses``: every ``must`` clause, none of the ``not``
        ones, and enough of the bare words (:meth:`_required`). At the top of the query
        (``within`` given: the live, filtered documents), when none has that many, one
        word fewer at a time; groups in parentheses keep their rule."""
        scores = np.zeros(self.n, dtype=np.float32)
        must = np.ones(self.n, dtype=bool)
        excluded = np.zeros(self.n, dtype=bool)
        counted: list[tuple[np.ndarray, bool]] = []  # (mask, significant) per bare word
        exact: list[np.ndarray] = []  # per bare word: documents with it as typed (diacritics too)
        uncounted = np.zeros(self.n, dtype=bool)  # question words: match but are not required
        clauses = _words_around_or(clauses, self.is_word)
        roles = _roles(clauses, self.source)
        bounding = within is not None and self.bound_common
        if bounding:
            # In a long query with a content word, only the content words' documents decide
            # the match (the rule weighs no other word, _rule): a bounded stop or question
            # word needs neither scores nor documents here.
            weighed = [r for c, r in zip(clauses, roles) if c.occur == "should" and r != "question"]
            unweighed = len(weighed) > self.params.short_query_words and "content" in weighed
        for clause, role in zip(clauses, roles):
            bare = clause.node.syllable if _is_bare(clause) else None  # type: ignore[union-attr]
            s: np.ndarray | None = None  # (a bounded word adds no score)
            if bare is not None and bounding and (self.matches_only or self.is_common(bare)):
                m = np.zeros(self.n, dtype=bool) if unweighed and role != "content" else self.presence(bare)
                if not self.matches_only:
                    self.left_out_syllables.append((self.ceiling(bare), _TERM, bare))
            else:
                s, m = self.node(clause.node)
            if clause.occur == "not":
                excluded |= m
                continue
            if s is not None:
                scores += s
            if clause.occur == "must":
                must &= m
            elif role == "question":
                uncounted |= m
            else:
                counted.append((m, role == "content"))
                node = clause.node
                exact.append(self.exact.get((node.syllable, None), m) if isinstance(node, Term) else m)
        base = must & ~excluded
        if within is not None:
            base &= within
        if not counted:
            # Required clauses decide alone; a query of question words only matches any of them.
            has_must = any(c.occur == "must" for c in clauses)
            mask = base if has_must else base & uncounted
            return Match(scores * mask, mask)
        # Required clauses (a phrase, +word) can stand alone; bare words alone need one.
        floor = 0.0 if any(c.occur == "must" for c in clauses) else 1.0
        decided = self.rule if within is not None else None
        counts, thresholds = (decided.counts, decided.thresholds) if decided else self._rule(counted)
        # A word typed with diacritics counts where the document has it so (in either
        # tone-mark placement); where none has enough words so, in any accented form.
        # (Counts of words, in the narrowest integers that hold them: each word's pass over
        # every document then writes a byte per document, not a float's four.)
        width = np.uint8 if len(counted) < 256 else np.uint32
        as_typed = np.zeros(self.n, dtype=width)
        any_form = np.zeros(self.n, dtype=width)
        for (m, _), typed, word_counts in zip(counted, exact, counts):
            if word_counts:  # (the masks added in place: no product made over every document)
                as_typed += typed
                any_form += m
        short = len(counted) <= self.params.short_query_words
        steps = [(coverage, max(t, floor)) for t in thresholds for coverage in (as_typed, any_form)]
        steps.append((any_form, floor))
        if within is None:  # inside parentheses: the strict rule only
            steps = steps[:1]
        if decided:
            step, (coverage, needed) = decided.step, steps[decided.step]
            mask = base & (coverage >= needed - 1e-4)
        else:
            # A long query short of enough documents relaxes by one share at most (its
            # words in other accented forms, a tenth of them fewer), never to a rule
            # that matches on a few of its words: beyond, only when nothing qualifies.
            # (The first two shares, each as typed and in any form.)
            enough, reach = (
                (1, len(steps)) if short else (self.params.long_query_enough, 2 * min(len(thresholds), 2))
            )
            step, mask = self._step(steps, base, enough, reach)
            needed = steps[step][1]
        # (Where no word has diacritics the two coverages are one, so step 1 is never the one.)
        shares: list[tuple[int, np.float32]] = []
        if not short and within is not None and self.params.coverage_weight:
            # (A short query's matches have every word: the share would add the same to all.)
            shares = decided.shares if decided else self._content_shares(counted, exact)
            if shares:
                # Among the matches only: the others' scores are zeroed below.
                matched = np.flatnonzero(mask)
                share = np.zeros(len(matched), dtype=np.float32)
                for i, part in shares:
                    share += exact[i][matched] * part
                scores[matched] += share * np.float32(self.params.coverage_weight)
        if within is not None and not decided:
            self.rule = _Rule(counts, thresholds, step, shares)
        words = round(needed) if short else None
        return Match(scores * mask, mask, len(counted), step > 0, short, words, step == 1)

    @staticmethod
    def _step(
        steps: list[tuple[np.ndarray, float]], base: np.ndarray, enough: int, reach: int
    ) -> tuple[int, np.ndarray]:
        """Which of the rule's ``steps`` (a coverage and the coverage needed, strictest
        first) applies among the ``base`` documents, and the documents it matches: the
        first of the first ``reach`` steps that ``enough`` of them meet; where none does,
        the first that any meets; where none meets even the last, the first (the query
        matches nothing, as it stands)."""
        first = strict = None
        for step, (coverage, needed) in enumerate(steps):
            mask = base & (coverage >= needed - 1e-4)
            strict = mask if strict is None else strict
            met = int(np.count_nonzero(mask)) if step < reach else int(mask.any())
            if step < reach and met >= enough:
                return step, mask
            if met and first is None:
                first = step, mask
            if first is not None and step + 1 >= reach:
                return first
        assert strict is not None  # (a rule has at least its strict step)
        return 0, strict

    def _content_shares(
        self, counted: list[tuple[np.ndarray, bool]], exact: list[np.ndarray]
    ) -> list[tuple[int, np.float32]]:
        """The weight of each content word a document has as typed (an accented word in its
        own form, in either tone-mark placement) in its idf-weighted share of the query's
        content words: (index among ``counted``, weight), for the words some document has."""
        assert self.universe is None  # (it counts document frequencies here: _universe)
        found = [
            (i, bm25_idf(self.source.doc_count, df))
            for i, ((_, content), typed) in enumerate(zip(counted, exact))
            if content and (df := int(np.count_nonzero(typed)))
        ]
        total = sum(idf for _, idf in found)
        return [(i, np.float32(idf / total)) for i, idf in found]

    # -- the lead ---------------------------------------------------------------------
    def lead(self, syllable: str) -> tuple[np.ndarray | None, np.float32]:
        """The documents with the folded ``syllable`` in their lead (as the source keeps
        them: docnums, or bits) and its idf over live documents, as BM25's (0: none)."""
        df = _live_df(self.source, "body_fold", syllable)
        docs = self.source.lead_docs(syllable) if df else None
        return docs, np.float32(bm25_idf(self.source.doc_count, df) if df else 0.0)

    def lead_scores(
        self, leads: list[tuple[np.ndarray | None, np.float32]], docnums: np.ndarray
    ) -> np.ndarray:
        """The lead bonus of each of ``docnums`` (ascending docnums of the index): the
        idf of each syllable whose lead documents it is among (``leads``: :meth:`lead` of
        each syllable), summed in their order (float32 sums depend on it: sorted, as a
        set's order changes with the hash seed), times the lead weight."""
        lead = np.zeros(len(docnums), dtype=np.float32)
        if not len(docnums):
            return lead
        byte, shift = None, None
        for docs, idf in leads:
            if docs is None:
                continue
            if docs.dtype == np.uint8:  # (adding zeros elsewhere: cheaper than indexing a mask)
                if byte is None:  # where each docnum's bit is
                    byte, shift = docnums >> 3, (7 - (docnums & 7)).astype(np.uint8)
                lead += ((docs[byte] >> shift) & 1) * idf
            else:
                lead[shared_documents(docs, docnums)[1]] += idf  # (the few lead documents searched)
        return lead * np.float32(self.params.lead_weight)

    # -- bounding (_pruned) -----------------------------------------------------------
    def is_common(self, syllable: str) -> bool:
        """Whether a bare query syllable is in more than 1/_BOUND_ABOVE of the documents
        (in the form it is matched on: folded when that is scored)."""
        return (
            self.document_frequency(*_matched_form(syllable, self.params)) * _BOUND_ABOVE
            > self.source.doc_count
        )

    def presence(self, syllable: str) -> np.ndarray:
        """The documents :meth:`term` scores above zero (and, for an accented syllable,
        those it records in ``exact``), from the postings alone."""
        if syllable in self.present:
            mask, typed = self.present[syllable]
        elif self.universe is not None and syllable in self.present_everywhere:
            mask, typed = self.present_everywhere[syllable]
            mask, typed = mask[self.universe], None if typed is None else typed[self.universe]
            self.present[syllable] = mask, typed
        else:
            exact, folded = _scored_forms(syllable, None, self.params)
            mask = self._documents_mask(*folded) if folded else np.zeros(self.n, dtype=bool)
            typed = None if exact is None else self._documents_mask(*exact)
            if typed is not None:
                mask = mask | typed
            self.present[syllable] = mask, typed
        if typed is not None:
            self.exact[(syllable, None)] = typed
        return mask

    def _documents_mask(self, fields: Fields, term: str) -> np.ndarray:
        """The evaluator's documents with ``term`` in any of ``fields``."""
        lists = []
        every = []  # (a common term's frequencies: a pass over them, not a scatter of its documents)
        for name, _ in fields:
            found = self.source.frequencies(name, term) if self.universe is None else None
            if found is not None:
                every.append(found)
            elif (postings := self.postings(name, term)) is not None:
                lists.append(postings[0])
        mask = documents_mask(self.n, *lists)
        for found in every:
            mask |= found != 0
        return mask

    def ceiling(self, syllable: str) -> float:
        """The most :meth:`term` can score in a document: BM25's ``tf / (tf + length
        term)`` is below 1 (the length term is not negative: _pruned asks ``b <= 1``), so a
        form scores below ``idf * (k1 + 1)``, times its field's weight when it is scored
        in one field."""
        exact, folded = _scored_forms(syllable, None, self.params)
        total = 0.0
        for form, weight in ((exact, 1.0), (folded, 1.0 if exact is None else self.params.fold_weight)):
            if form is None:
                continue
            fields, term = form
            df = self.document_frequency(fields, term)
            if df:
                field_weight = fields[0][1] if len(fields) == 1 else 1.0
                total += weight * field_weight * bm25_idf(self.source.doc_count, df) * (self.params.k1 + 1)
        return total

    def _rule(self, counted: list[tuple[np.ndarray, bool]]) -> tuple[list[bool], list[float]]:
        """Whether each bare word counts in a document's coverage (its number of counted
        words), and the coverage a document needs, strictest first (the later ones are the
        relaxed steps).

        A short query needs every word. A long one (a question, a pasted title) needs a
        share of its significant words, so that a document phrasing one word otherwise
        still matches; a word that no document has does not count.
        """
        p = self.params
        if len(counted) <= p.short_query_words:
            n = len(counted)
            return [True] * n, [float(k) for k in range(n, 0, -1)]
        significant = (
            [content for _, content in counted] if any(c for _, c in counted) else [True] * len(counted)
        )
        counts = [keep and bool(m.any()) for (m, _), keep in zip(counted, significant)]
        total = sum(counts)
        shares = [p.long_query_coverage - 0.1 * k for k in range(int(p.long_query_coverage * 10 + 1e-9))]
        return counts, [share * total for share in shares if share > 0]

    def word_bonus(self, runs: list[list[str]]) -> tuple[np.ndarray, np.ndarray] | None:
        """The weighted BM25 of the query's compound words (runs of 2 to
        ``max_word_syllables`` syllables that are words of the index), summed per
        document where it is not zero: the documents, ascending, and their sums (None
        when no document has such a word)."""
        found = []
        limit = self.params.max_word_syllables
        for run in runs:
            for i in range(len(run)):
                for j in range(i + 2, min(len(run), i + limit) + 1):
                    word = "_".join(run[i:j])
                    folded = text.fold_diacritics(word)
                    field = "words" if folded != word else "words_fold"
                    scored = self.bm25_where(field, word if folded != word else folded)
                    if scored is not None:
                        found.append((scored[0], scored[1] * self.params.word_weight))
        return _summed_where(found) if found else None


def _summed_where(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Values given at ascending documents (``parts``: documents and their values), summed
    per document: the documents with any, ascending, and their sums, added in the parts'
    order (float32 sums depend on it)."""
    ids = ascending_union([some for some, _ in parts])
    total = np.zeros(len(ids), dtype=np.float32)
    for some, values in parts:
        total[np.searchsorted(ids, some)] += values
    return ids, total


def evaluate(
    parsed: ParsedQuery,
    source: PostingsSource,
    params: RankingParams = RankingParams(),
    within: np.ndarray | None = None,
    best: int | None = None,
) -> Match:
    """Scores and matches of ``parsed`` over all documents (deleted ones masked out), among
    the documents of ``within`` when given (the filters: relaxing looks only there).

    With ``best``, the caller reads only the ``best`` highest-scored documents (and the
    mask): those then have their scores, and a matching document that cannot be among
    them may score zero (:func:`_pruned`)."""
    allowed = source.live() if within is None else source.live() & within
    short = _short_words(parsed, source, params)
    universe = _universe(short, source, params, allowed) if short else None
    if universe is None and best is not None and _boundable(parsed.clauses, params):
        # (A short query without a universe has too many matches for them to narrow the
        # scoring: it is not matched first.)
        return _pruned(parsed, source, params, allowed, max(best, params.window_depth), short is None)
    ev = _Evaluator(source, params, universe)
    match = _before_window(ev, parsed, allowed)
    _add_window(ev, parsed, match)
    return _over_index(ev, match)


def _pruned(
    parsed: ParsedQuery,
    source: PostingsSource,
    params: RankingParams,
    allowed: np.ndarray,
    best: int,
    match_first: bool = True,
) -> Match:
    """The query's matches, and the scores of its ``best`` highest-scored ones, without
    scoring its common syllables in every document (MaxScore, Turtle & Flood 1995).

    Every part of a score is a sum of parts that are not negative, and a bare syllable's
    part has a ceiling (:meth:`_Evaluator.ceiling`). First the query is matched and
    scored without its bare syllables in many documents (the stop words, mostly, whose
    postings are the longest): that gives every document's matches exactly (the syllables'
    documents, not their scores, decide them) and a score that is at most the one it
    would have, by at most the sum of those syllables' ceilings. The ``best``-th highest of
    these partial scores is at most the ``best``-th highest score; a document whose partial
    score plus the ceilings is below it cannot be among the best (:func:`_contenders`,
    which then scores the left-out syllables among the others and cuts again). Those left
    are scored in full, as a universe (each gets exactly its score over the whole index),
    with the rule the whole index decided. MaxScore rather than WAND: the evaluation is by
    term over arrays, not by document, and the cuts leave few documents to score in full.

    With ``match_first`` (long queries: a short one without a universe has too many
    matches for this to pay), the query is matched before anything is scored, from its
    bare syllables' documents alone (which also decides the rule over the whole index);
    when the matches are under 1/_MATCHES_BELOW of the documents, the first pass scores
    only them, as a universe."""
    among, matching = None, None
    if match_first:
        matching = _Evaluator(source, params, bound_common=True, matches_only=True)
        matches = matching.clauses(parsed.clauses, allowed)
        matched = np.flatnonzero(matches.mask)
        if not len(matched):
            return matches
        among = matched if len(matched) * _MATCHES_BELOW <= len(allowed) else None
    bounded = _Evaluator(source, params, among, bound_common=True, first=matching)
    match = _before_window(bounded, parsed, allowed)
    if not bounded.left_out_syllables:  # no common syllable: these are the scores
        _add_window(bounded, parsed, match)
        return _over_index(bounded, match)
    match = _over_index(bounded, match)
    matched = _contenders(bounded, match, best)
    if not len(matched):
        return match
    # (Among many documents, finding them in each term's postings costs more than a pass
    # over the whole index, _universe; not among fewer than the first pass's.)
    few = len(matched) * _UNIVERSE_BELOW <= len(allowed) or among is not None
    universe = matched if few else None
    ev = _Evaluator(source, params, universe, first=bounded)
    full = _before_window(ev, parsed, allowed)
    _add_window(ev, parsed, full)
    full = _over_index(ev, full)
    full.mask = match.mask
    return full


def _contenders(bounded: _Evaluator, match: Match, best: int) -> np.ndarray:
    """The matches of ``match`` (scored without the syllables ``bounded`` left out) that can
    be among the ``best`` highest-scored once those syllables are scored: ascending docnums.

    Those whose partial score plus the ceilings left out reaches the ``best``-th highest
    partial score (a floor: every score is at least its partial one). The ceilings are
    loose (a syllable scores well below its ceiling in most documents), so many documents
    pass; the left-out syllables are then scored among them, and the cut made again with
    their scores instead of their ceilings, leaving about ``best`` documents to score in
    full. (MaxScore's last step: the terms left out scored only in the documents that can
    still enter the top k.)"""
    matched = np.flatnonzero(match.mask)
    if len(matched) <= best:
        return matched
    partial = match.scores[matched]
    # The highest ceilings first: scoring them tightens the cut the most.
    left = sorted(bounded.left_out_syllables, reverse=True)
    left_out = all_left_out = bounded.left_out
    while True:
        floor = kth_highest(partial, best)
        # (A margin for float32 rounding: the partial scores add their parts in another order.)
        margin = 1e-4 * (abs(float(floor)) + all_left_out + 1)
        keep = partial + np.float32(left_out + margin) >= floor
        matched, partial = matched[keep], partial[keep]
        if not left or len(matched) <= best:
            return matched
        _, kind, syllable = left.pop(0)
        if kind == _LEAD:
            partial = partial + bounded.lead_scores([bounded.lead(syllable)], matched)
        else:
            among = _Evaluator(bounded.source, bounded.params, matched, first=bounded)
            partial = partial + among.term(syllable, None)
        left_out = sum(c for c, _, _ in left)


def _boundable(clauses: list[Clause], params: RankingParams) -> bool:
    """Whether :func:`_pruned` applies: BM25 has its ceiling (``k1 >= 0``, ``0 <= b <=
    1``) and no group in parentheses decides its own rule from the documents it is
    evaluated over (a universe may lack a word the index has)."""

    def grouped(node) -> bool:
        return isinstance(node, Group) or (isinstance(node, AnyOf) and any(map(grouped, node.options)))

    return params.k1 >= 0 and 0 <= params.b <= 1 and not any(grouped(c.node) for c in clauses)


def _before_window(ev: _Evaluator, parsed: ParsedQuery, allowed: np.ndarray) -> Match:
    """Scores and matches of ``parsed`` over the evaluator's documents, all but the
    proximity step."""
    source, params = ev.source, ev.params
    match = ev.clauses(parsed.clauses, ev.local(allowed))
    scores, mask = match.scores, match.mask
    bonus = ev.word_bonus(parsed.runs)
    if bonus is not None:
        ids, values = bonus
        scores[ids] += values * mask[ids]
    if params.lead_weight:
        # Known-item evidence: the query's words in the article's lead (sapo, first
        # sentences), where news restates its headline. Among the matches only (the others
        # score zero). A bounding pass that left syllables out leaves out those in many
        # leads too, with their ceilings (a gather over every match per syllable is most
        # of its cost when nearly every document matches); _contenders adds them among
        # the few documents left.
        leads = []
        for syllable in sorted({text.fold_diacritics(s) for run in parsed.runs for s in run}):
            docs, idf = ev.lead(syllable)
            if ev.left_out_syllables and docs is not None and docs.dtype == np.uint8:  # (bits: many leads)
                ev.left_out_syllables.append((float(idf) * params.lead_weight, _LEAD, syllable))
            else:
                leads.append((docs, idf))
        if leads:
            matched = np.flatnonzero(mask)
            scores[matched] += ev.lead_scores(leads, ev.index_docs(matched))
    if params.pair_weight:
        for run in parsed.runs:
            for term in pair_terms([text.fold_diacritics(s) for s in run]):
                pair = ev.bm25_where(PAIRS_FIELD, term)
                if pair is not None:
                    ids, values = pair
                    scores[ids] += values * params.pair_weight * mask[ids]
    if params.number_weight:
        for figure in _figures(parsed.runs):
            if len(figure) > 1:
                found = ev.phrase_mask("body_fold", figure)
            else:
                postings = source.postings("body_fold", figure[0])
                found = documents_mask(source.doc_count_all, *([postings[0]] if postings else []))
            df = int(found.sum())
            found = ev.local(found)
            if df:
                scores += np.float32(params.number_weight * bm25_idf(source.doc_count, df)) * (found & mask)
    return match


def _add_window(ev: _Evaluator, parsed: ParsedQuery, match: Match) -> None:
    """The proximity step: the best-scored documents gain for their densest passage."""
    source, params = ev.source, ev.params
    if params.window_weight and params.window_depth:
        # Each syllable as typed: an accented one in its exact form (the passage is the
        # one about ``sông``, not ``sống``), an unaccented one folded.
        typed = sorted(
            {("body", s) if text.has_diacritics(s) else ("body_fold", s) for run in parsed.runs for s in run}
        )
        weights = {key: bm25_idf(source.doc_count, df) for key in typed if (df := _live_df(source, *key))}
        if len(weights) > 1:
            top = _best(match.scores, match.mask, params.window_depth)
            dense = _densest_passages(source, ev.index_docs(top), weights, params.window_syllables)
            match.scores[top] += dense * np.float32(params.window_weight)


def _over_index(ev: _Evaluator, match: Match) -> Match:
    """``match`` over the whole index, as the search reads it."""
    if ev.universe is None:
        return match
    scores = np.zeros(ev.source.doc_count_all, dtype=np.float32)
    scores[ev.universe] = match.scores
    mask = np.zeros(ev.source.doc_count_all, dtype=bool)
    mask[ev.universe] = match.mask
    match.scores, match.mask = scores, mask
    return match


def _figures(runs: list[list[str]]) -> list[list[str]]:
    """The query's figures: each run of adjacent number syllables (``2,7`` and ``20/5`` are
    split into ``2 7`` and ``20 5``), and each lone number of two digits or more.

    An exact figure (an amount, a date) is specific evidence that BM25 misses: it scores
    the pieces, and small numbers are in most articles."""
    figures = []
    for run in runs:
        i = 0
        while i < len(run):
            j = i
            while j < len(run) and run[j].isascii() and run[j].isdigit():
                j += 1
            if j - i > 1 or (j - i == 1 and len(run[i]) > 1):
                figures.append(run[i:j])
            i = max(j, i + 1)
    return figures


def best_first(matched: np.ndarray, scores: np.ndarray, wanted: int) -> np.ndarray:
    """The (up to) ``wanted`` highest-scored of the ``matched`` documents (ascending
    docnums), best first, ties in index order: also at the last place, so that which of
    equal documents is taken depends on nothing else the array holds (the same with
    scores computed for a few documents, _pruned, as for all)."""
    matched = leading(matched, scores[matched], wanted)
    return matched[np.lexsort((matched, -scores[matched]))][:wanted]


def leading(matched: np.ndarray, keys: np.ndarray, wanted: int) -> np.ndarray:
    """The ``matched`` documents that can be among the first ``wanted`` in the descending
    order of their ``keys`` (one per document): those whose key is at least the
    ``wanted``-th highest, every one tied with it included (all of them when there are
    no more than ``wanted``, none when none is wanted). What is left to sort is then about
    ``wanted`` documents, not every match."""
    if wanted <= 0:
        return matched[:0]
    if wanted >= len(matched):
        return matched
    return matched[keys >= kth_highest(keys, wanted)]


# kth_highest looks among at least this many blocks of the values for the k-th highest.
_SELECT_BLOCKS = 4096


def kth_highest(values: np.ndarray, k: int) -> np.generic:
    """The ``k``-th highest of ``values`` (``1 <= k <= len(values)``), as ``np.partition``
    finds it, at a cost that does not depend on how the values are spread.

    ``np.partition`` is many times slower when most values are equal and the rest spread
    (a query's partial scores, _pruned: its bounded syllables left out, most matches score
    the same; bench/selection.py), so it is asked only about the few values that can be
    among the ``k`` highest. Cut ``values`` into blocks, at least ``k`` of them: the
    ``k``-th highest of the blocks' maxima, ``low``, is at most the ``k``-th highest value
    (``k`` blocks each hold a value at least ``low``). If fewer than ``k`` values are above
    ``low``, ``low`` is the answer; else the answer is among the values above it, which
    come from fewer than ``k`` blocks."""

    def partitioned(some: np.ndarray) -> np.generic:
        return np.partition(some, len(some) - k)[len(some) - k]

    n = len(values)
    blocks = max(_SELECT_BLOCKS, 4 * k)
    if n <= 2 * blocks:
        return partitioned(values)
    low = partitioned(np.maximum.reduceat(values, np.arange(0, n, n // blocks)))
    above = values[values > low]
    return low if len(above) < k else partitioned(above)


def _best(scores: np.ndarray, mask: np.ndarray, depth: int) -> np.ndarray:
    """The (up to) ``depth`` matching documents with the highest scores, in docnum order."""
    return np.sort(best_first(np.flatnonzero(mask), scores, depth))


def _densest_passages(
    source: PostingsSource, docs: np.ndarray, idfs: dict[tuple[str, str], float], width: int
) -> np.ndarray:
    """For each of ``docs``: the largest idf sum of distinct query syllables (``idfs``:
    (field, syllable) → idf, the fields the body's) found together within ``width``
    consecutive syllables of its body.

    A document that only scatters the query's words over its length (a long article on
    a neighbouring subject) gets less than one with a passage about the query itself,
    such as the lead that restates a pasted headline or the sentence that answers a
    question.
    """
    best = np.zeros(len(docs), dtype=np.float32)
    if not len(docs):
        return best
    weights = np.array(list(idfs.values()), dtype=np.float64)
    found = [source.positions(field, term, docs) for field, term in idfs]
    doc_of = np.concatenate([d for d, _ in found])
    if not len(doc_of):  # (the documents have the words in their titles only)
        return best
    position = np.concatenate([p for _, p in found])
    term = np.repeat(np.arange(len(found)), [len(d) for d, _ in found])
    order = np.lexsort((position, doc_of))
    doc_of, position, term = doc_of[order], position[order], term[order]
    bounds = np.flatnonzero(np.diff(doc_of)) + 1
    for start, end in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [len(doc_of)]))):
        # For each occurrence, the last position up to it of every query syllable: the
        # window ending there holds the syllables whose last position is within ``width``.
        pos, terms = position[start:end], term[start:end]
        last = np.full((len(pos), len(weights)), -width, dtype=np.int64)
        last[np.arange(len(pos)), terms] = pos
        np.maximum.accumulate(last, axis=0, out=last)
        inside = last > (pos - width)[:, None]
        best[np.searchsorted(docs, doc_of[start])] = float((inside @ weights).max())
    return best
