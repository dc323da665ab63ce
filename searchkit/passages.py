"""The passage of a hit: the sentence (or adjacent sentences) of the article that best
answers the query, with highlight offsets of the query's words.

Pure functions over the stored text (standard library only). Matching is redone here on
the text as stored, so the offsets are right for any normal form the source used.

Why sentences, not the densest window of matches: people ask the archive questions, and
the answer is a clause of the sentence that restates the question's words, usually
followed by what the question asks for; a window of matches cuts that clause. So the
sentences are scored by the query's words they cover, each weighted by its inverse
sentence frequency in the article (tf-isf, as in passage retrieval for question
answering: the article's topic words are in every sentence and tell them apart least),
and by the query's adjacent syllable pairs they hold (compounds and names said as in
the query); the best one then grows with the sentences
that follow it (where an answer usually continues), else those before it, while the
passage stays within :data:`MAX_SYLLABLES`; a sentence longer than that is cut, at word
boundaries, to the window that covers the most query weight. ``bench/answers.py``
measures each of these choices.
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from . import text
from .sentences import split_sentences

__all__ = ["Passage", "best_passage", "answering_sentences", "MAX_SYLLABLES", "PAIR_WEIGHT"]

MAX_SYLLABLES = 50  # a passage reads in a few seconds; longer, it is a summary
PAIR_WEIGHT = 0.5  # an adjacent query pair held, against its two syllables' weights apart


@dataclass(frozen=True)
class Passage:
    """Plain text and ``[start, end)`` offsets into it of the query's matched words."""

    text: str
    highlights: list[tuple[int, int]]


def _matches(source: str, syllables: Iterable[str]) -> list[tuple[int, int, str]]:
    """Spans in ``source`` of syllables matching the query's.

    An accented query syllable matches its exact (normalised) form only; an unaccented
    one matches any form that folds to it. Offsets are into ``source`` as stored, so
    they are right for NFD text and old-style tone marks too.

    Fast path: for NFC text, normalising, lower-casing and folding keep every offset, so
    one regular-expression scan over the whole transformed text finds the matches
    (tokenising each stored document syllable by syllable dominated query time).
    """
    exact = {s for s in syllables if text.has_diacritics(s)}
    folded = {s for s in syllables if not text.has_diacritics(s)}
    if not exact and not folded:
        return []
    found = _matches_in_nfc(source, exact, folded)
    return found if found is not None else _matches_by_syllable(source, exact, folded)


def _matches_in_nfc(source: str, exact: set[str], folded: set[str]) -> list[tuple[int, int, str]] | None:
    """The fast path of :func:`_matches`; None when the text's transforms would move offsets."""
    if not (source.isascii() or unicodedata.is_normalized("NFC", source)):
        return None
    lowered = text.normalize(source).lower()
    flat = text.fold_diacritics(lowered) if folded else lowered
    if not len(source) == len(lowered) == len(flat):
        return None
    # Keyed by start: a syllable matching both ways is reported once, as the exact form.
    found = (
        {m.start(): (m.start(), m.end(), m.group()) for m in _alternatives(folded).finditer(flat)}
        if folded
        else {}
    )
    if exact:
        found.update(
            (m.start(), (m.start(), m.end(), m.group())) for m in _alternatives(exact).finditer(lowered)
        )
    return sorted(found.values())


def _alternatives(words: set[str]) -> re.Pattern[str]:
    """Any of ``words`` as a whole syllable (not inside a longer run of letters/digits)."""
    body = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{body})(?![^\W_\u0300-\u036f])")


def _matches_by_syllable(source: str, exact: set[str], folded: set[str]) -> list[tuple[int, int, str]]:
    found = []
    for syl in text.syllables(source):
        if syl.text in exact:
            found.append((syl.start, syl.end, syl.text))
        elif folded:
            f = text.fold_diacritics(syl.text)
            if f in folded:
                found.append((syl.start, syl.end, f))
    return found


@dataclass
class _Scored:
    """An article's sentences scored against a query.

    Only the matches are looked at one by one; a passage is computed for every hit of
    every search, so syllables are counted only in the sentences a passage may show."""

    source: str
    spans: list[tuple[int, int]]  # sentence spans in the text
    matched: list[list[str]]  # per sentence, the query syllable of each match in it
    scores: list[float]
    matches: list[tuple[int, int, str]]  # every match in the text: start, end, query syllable
    weight: Callable[[str], float]

    def length(self, sentence: int) -> int:
        """The sentence's syllable count."""
        start, end = self.spans[sentence]
        return len(text.SYLLABLE_RE.findall(self.source, start, end))

    def ranked(self) -> list[int]:
        """Sentence indices, best first. Ties go to the sentence with more matches, then
        to one that ends as a sentence does (not a caption or a heading), then the earliest."""
        return sorted(
            range(len(self.spans)),
            key=lambda i: (-self.scores[i], -len(self.matched[i]), not self._ends_a_sentence(i), i),
        )

    def _ends_a_sentence(self, sentence: int) -> bool:
        start, end = self.spans[sentence]
        return self.source[start:end].rstrip().endswith(_SENTENCE_ENDS)


_SENTENCE_ENDS = tuple(".!?…\"'”’»)")
_SYLLABLE_BETWEEN = re.compile(r"[^\W_]")  # a letter or digit: another syllable in a gap


def _score(
    source: str,
    syllables: Sequence[str],
    pair_weight: float,
    sentence_weights: bool,
    sentences: list[tuple[int, int]] | None = None,
) -> _Scored:
    """Each sentence's score: the query syllables it holds, each weighted by its inverse
    sentence frequency (or 1), plus ``pair_weight`` times the weights of the query's
    adjacent pairs it holds as adjacent syllables."""
    spans = (sentences if sentences is not None else split_sentences(source)) or (
        [(0, len(source))] if source else []
    )
    sentence_starts = [start for start, _ in spans]
    matches = _matches(source, syllables)
    matched: list[list[str]] = [[] for _ in spans]
    placed = [
        (bisect.bisect_right(sentence_starts, start) - 1, start, end, key) for start, end, key in matches
    ]
    for sentence, _, _, key in placed:
        matched[sentence].append(key)
    weight = _sentence_weights(matched) if sentence_weights else lambda key: 1.0
    pairs = set(zip(syllables, syllables[1:]))
    held: list[set[tuple[str, str]]] = [set() for _ in spans]
    for (sentence, _, end, key), (next_sentence, next_start, _, next_key) in zip(placed, placed[1:]):
        if (
            next_sentence == sentence
            and (key, next_key) in pairs
            and not _SYLLABLE_BETWEEN.search(source, end, next_start)
        ):
            held[sentence].add((key, next_key))
    scores = [
        sum(map(weight, set(keys))) + pair_weight * sum(weight(a) + weight(b) for a, b in held_pairs)
        for keys, held_pairs in zip(matched, held)
    ]
    return _Scored(source, spans, matched, scores, matches, weight)


def best_passage(
    source: str,
    syllables: Sequence[str],
    max_syllables: int = MAX_SYLLABLES,
    *,
    pair_weight: float = PAIR_WEIGHT,
    sentence_weights: bool = True,
    grow: bool = True,
    sentences: list[tuple[int, int]] | None = None,
) -> Passage:
    """The passage of ``source`` that best answers a query of ``syllables`` (normalised,
    lower case; one typed without diacritics matches every accented form).

    ``sentences`` are the text's sentence spans when the caller has them (stored at
    indexing: sentences.stored_sentences); else the text is split here. A text without
    a match gives its first sentences. ``pair_weight``,
    ``sentence_weights`` and ``grow`` (whether the passage takes in neighbouring
    sentences) are there to measure what each is worth (bench/answers.py).
    """
    if sentences is None:
        source = source.strip()
    scored = _score(source, syllables, pair_weight, sentence_weights, sentences)
    spans = scored.spans
    if not spans:
        return Passage("", [])
    best = scored.ranked()[0]
    length = functools.cache(scored.length)

    def same_paragraph(sentence: int) -> bool:  # the sentence and the one after it
        return "\n" not in source[spans[sentence][1] : spans[sentence + 1][0]]

    # A passage stays within its paragraph: the next one is another caption, heading or topic.
    first, last, size = (
        _grow(best, len(spans), length, same_paragraph, max_syllables) if grow else (best, best, -1)
    )
    start, end = spans[first][0], spans[last][1]
    if size > max_syllables or size < 0:
        words = [m.span() for m in text.SYLLABLE_RE.finditer(source, start, end)]
        if len(words) > max_syllables:
            keys = {s: k for s, _, k in scored.matches}
            at = _densest(words, keys, scored.weight, max_syllables)
            start, end = words[at][0], words[at + max_syllables - 1][1]
    prefix = "…" if start > spans[first][0] else ""
    suffix = "…" if end < spans[last][1] else ""
    shift = len(prefix) - start
    highlights = [(s + shift, e + shift) for s, e, _ in scored.matches if s >= start and e <= end]
    return Passage(prefix + source[start:end] + suffix, highlights)


def answering_sentences(source: str, syllables: Sequence[str], count: int) -> list[tuple[int, int]]:
    """The spans of the ``count`` sentences of ``source`` that best answer a query of
    ``syllables``, in document order: a query-focused summary. Scored as passages are;
    when fewer sentences hold a query word, the earliest others make up the count."""
    scored = _score(source, syllables, PAIR_WEIGHT, True)
    return [scored.spans[i] for i in sorted(scored.ranked()[: max(count, 0)])]


def _sentence_weights(matched: list[list[str]]) -> Callable[[str], float]:
    """Each query syllable's inverse sentence frequency in this article: a word in every
    sentence (the article's topic) tells the sentences apart less than one in a few."""
    count = len(matched)
    frequency = Counter(k for found in matched for k in set(found))
    weights = {k: math.log((count + 1) / (n + 0.5)) for k, n in frequency.items()}
    return lambda key: weights.get(key, 0.0)


def _grow(
    best: int, count: int, length: Callable[[int], int], joined: Callable[[int], bool], limit: int
) -> tuple[int, int, int]:
    """The run of sentences the passage shows, and its syllable count: from ``best``, the
    next sentence of its paragraph (``joined(i)``: sentence i and i + 1 are) while it fits,
    else the one before (an answer follows the words that ask for it)."""
    first = last = best
    size = length(best)
    while True:
        if last + 1 < count and joined(last) and size + length(last + 1) <= limit:
            last += 1
            size += length(last)
        elif first > 0 and joined(first - 1) and size + length(first - 1) <= limit:
            first -= 1
            size += length(first)
        else:
            return first, last, size


def _densest(
    words: list[tuple[int, int]], keys: dict[int, str], weight: Callable[[str], float], width: int
) -> int:
    """The first word of the ``width``-word window covering the most query weight (the
    earliest on ties, so a passage starts where its sentence does when it can)."""
    best, best_score = 0, -1.0
    for at in range(len(words) - width + 1):
        covered = {keys[start] for start, _ in words[at : at + width] if start in keys}
        score = sum(map(weight, covered))
        if score > best_score:
            best, best_score = at, score
    return best
