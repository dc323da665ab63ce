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
from collections.abc import Callable, Iterable, Sequence, Set as AbstractSet
from dataclasses import dataclass

from . import text
from .sentences import split_sentences

__all__ = ["Passage", "best_passage", "answering_sentences", "match_spans", "MAX_SYLLABLES", "PAIR_WEIGHT"]

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
    exact, folded = _exact_and_folded(tuple(syllables))
    if not exact and not folded:
        return []
    found = _matches_in_nfc(source, exact, folded)
    if found is None:
        found = _matches_in_composed(source, exact, folded)
    return found if found is not None else _matches_by_syllable(source, exact, folded)


def match_spans(source: str, syllables: Iterable[str]) -> list[tuple[int, int]]:
    """``[start, end)`` offsets in ``source`` as given of the syllables matching a query's
    ``syllables``, as a passage highlights them: to mark them in a whole text."""
    return [(start, end) for start, end, _ in _matches(source, syllables)]


@functools.lru_cache(maxsize=64)
def _exact_and_folded(syllables: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """The query syllables typed with diacritics, and those typed without (every hit of a
    search asks for the same split)."""
    syllables = tuple(map(text.canonical_spelling, syllables))  # (as the index spells them)
    exact = frozenset(s for s in syllables if text.has_diacritics(s))
    return exact, frozenset(syllables) - exact


_COMBINING = re.compile("[\u0300-\u036f]")


def _matches_in_composed(
    source: str, exact: AbstractSet[str], folded: AbstractSet[str]
) -> list[tuple[int, int, str]] | None:
    """:func:`_matches` for decomposed (NFD) text, still in one scan: NFC composes every
    combining mark of Vietnamese with the letter before it, so the composed text is the
    source less its marks, and an offset in it moves right by the marks before it. None
    when composing does anything else."""
    composed = unicodedata.normalize("NFC", source)
    marks = [m.start() for m in _COMBINING.finditer(source)]
    if len(composed) != len(source) - len(marks) or _COMBINING.search(composed):
        return None
    found = _matches_in_nfc(composed, exact, folded)
    if found is None:
        return None
    # After composing, mark i follows the letter at composed offset marks[i] - i - 1.
    after = [at - i for i, at in enumerate(marks)]
    return [
        (start + bisect.bisect_right(after, start), end + bisect.bisect_right(after, end), key)
        for start, end, key in found
    ]


def _matches_in_nfc(
    source: str, exact: AbstractSet[str], folded: AbstractSet[str]
) -> list[tuple[int, int, str]] | None:
    """The fast path of :func:`_matches`; None when the text's transforms would move offsets."""
    if not (source.isascii() or unicodedata.is_normalized("NFC", source)):
        return None
    lowered = text.normalize(source).lower()
    if len(source) != len(lowered):
        return None
    if not exact and not folded:
        return []
    if (exact | folded) & text.JOINED_SYLLABLES and text.JOINED_RE.search(lowered):
        return None  # (ôtô is two syllables, ô and tô, that the scan's lookarounds keep whole)
    # One scan finds both kinds: a syllable typed without diacritics is looked for in all
    # its forms at once, so the text is never folded (folding a whole article costs more
    # than the scan); only the candidates the pattern finds are.
    found = []
    for m in _candidates(frozenset(exact), frozenset(folded)).finditer(lowered):
        syllable = text.canonical_spelling(m.group())  # (the query's are: _exact_and_folded)
        if syllable in exact:
            found.append((*m.span(), syllable))
        elif folded:
            key = text.fold_diacritics(syllable)
            if key in folded and len(key) == len(syllable):
                found.append((*m.span(), key))
    return found


# The letters Vietnamese writes with diacritics (vowels and đ). In the pattern of a syllable
# typed without diacritics, each of them stands for any letter, and a candidate is kept
# when it folds to the syllable. A class of every accented form of each letter would need
# no check, but compiling one takes milliseconds for every new query, more than the check
# costs; other letters (``ñ``, ``ç``: not Vietnamese) are matched as typed.
_MARKED_LETTERS = frozenset("aeiouyd")
_ANY_LETTER = r"[^\W\d_]"


@functools.lru_cache(maxsize=128)
def _candidates(exact: frozenset[str], folded: frozenset[str]) -> re.Pattern[str]:
    """Whole syllables that may be one of ``exact`` or fold to one of ``folded``.

    A match is always a whole run of letters and digits (the lookarounds), so which
    alternative matched does not matter: :func:`_matches_in_nfc` checks the syllable."""
    spelled = {re.escape(form) for w in exact for form in text.spellings(w)} | {
        "".join(_ANY_LETTER if c in _MARKED_LETTERS else re.escape(c) for c in form)
        for w in folded
        for form in text.spellings(w)
    }
    return re.compile(rf"{_NOT_AFTER}(?:{'|'.join(sorted(spelled))}){_NOT_BEFORE}")


# A candidate is a whole syllable as text.tokens reads them: no letter or digit on either
# side, and not a group of a number grouped by thousands (the 500 of 1.500.000, one
# syllable there).
_GROUP = r"[0-9]{3}(?![0-9])"
_NOT_AFTER = rf"(?<![^\W_])(?:(?<![0-9]\.)|(?!{_GROUP}))"
_NOT_BEFORE = rf"(?![^\W_\u0300-\u036f])(?!\.{_GROUP})"


def _matches_by_syllable(
    source: str, exact: AbstractSet[str], folded: AbstractSet[str]
) -> list[tuple[int, int, str]]:
    found = []
    for syl in text.syllables(source):
        syllable = text.canonical_spelling(syl.text)
        if syllable in exact:
            found.append((syl.start, syl.end, syllable))
        elif folded:
            f = text.fold_diacritics(syllable)
            if f in folded:
                found.append((syl.start, syl.end, f))
    return found


@dataclass
class _Scored:
    """An article's sentences scored against a query.

    A passage is computed for every hit of every search, so only the matches are looked
    at one by one and only the sentences that hold one are scored; a sentence's start and
    syllable count are found when a passage may show it."""

    source: str
    ends: list[int]  # where each sentence ends; the text between two is whitespace
    matched: dict[int, list[str]]  # sentence -> the query syllable of each match in it
    scores: dict[int, float]  # of the sentences with a match
    matches: list[tuple[int, int, str]]  # every match in the text: start, end, query syllable
    weight: Callable[[str], float]

    def start(self, sentence: int) -> int:
        at = self.ends[sentence - 1] if sentence else 0
        gap = self.source[at : self.ends[sentence]]
        return at + len(gap) - len(gap.lstrip())

    def span(self, sentence: int) -> tuple[int, int]:
        return self.start(sentence), self.ends[sentence]

    def length(self, sentence: int) -> int:
        """The sentence's syllable count."""
        return len(text.SYLLABLE_RE.findall(self.source, self.start(sentence), self.ends[sentence]))

    def ranked(self) -> list[int]:
        """The sentences with a match, best first, then the others in text order. Ties go to
        the sentence with more matches, then to one that ends as a sentence does (not a
        caption or a heading), then the earliest."""
        best = sorted(
            self.scores,
            key=lambda i: (-self.scores[i], -len(self.matched[i]), not self._ends_a_sentence(i), i),
        )
        return best + [i for i in range(len(self.ends)) if i not in self.scores]

    def _ends_a_sentence(self, sentence: int) -> bool:
        return self.source[: self.ends[sentence]].endswith(_SENTENCE_ENDS)


_SENTENCE_ENDS = tuple(".!?…\"'”’»)")
_SYLLABLE_BETWEEN = re.compile(r"[^\W_]")  # a letter or digit: another syllable in a gap


def _score(
    source: str,
    syllables: Sequence[str],
    pair_weight: float,
    sentence_weights: bool,
    ends: list[int] | None = None,
) -> _Scored:
    """Each sentence's score: the query syllables it holds, each weighted by its inverse
    sentence frequency (or 1), plus ``pair_weight`` times the weights of the query's
    adjacent pairs it holds as adjacent syllables."""
    if ends is None:
        ends = [end for _, end in split_sentences(source)] or ([len(source)] if source else [])
    matches = _matches(source, syllables)
    matched: dict[int, list[str]] = {}
    placed = [(bisect.bisect_right(ends, start), start, end, key) for start, end, key in matches]
    for sentence, _, _, key in placed:
        matched.setdefault(sentence, []).append(key)
    weight = _sentence_weights(matched, len(ends)) if sentence_weights else lambda key: 1.0
    pairs = set(zip(syllables, syllables[1:]))
    held: dict[int, set[tuple[str, str]]] = {}
    for (sentence, _, end, key), (next_sentence, next_start, _, next_key) in zip(placed, placed[1:]):
        if (
            next_sentence == sentence
            and (key, next_key) in pairs
            and not _SYLLABLE_BETWEEN.search(source, end, next_start)
        ):
            held.setdefault(sentence, set()).add((key, next_key))
    # Summed in sorted order: a float sum depends on its order, and a set's follows the
    # process's hash seed; the same search must show the same passage in every process.
    scores = {
        sentence: sum(map(weight, sorted(set(keys))))
        + pair_weight * sum(weight(a) + weight(b) for a, b in sorted(held.get(sentence, ())))
        for sentence, keys in matched.items()
    }
    return _Scored(source, ends, matched, scores, matches, weight)


def best_passage(
    source: str,
    syllables: Sequence[str],
    max_syllables: int = MAX_SYLLABLES,
    *,
    pair_weight: float = PAIR_WEIGHT,
    sentence_weights: bool = True,
    grow: bool = True,
    sentence_ends: list[int] | None = None,
) -> Passage:
    """The passage of ``source`` that best answers a query of ``syllables`` (normalised,
    lower case; one typed without diacritics matches every accented form).

    ``sentence_ends`` are where the text's sentences end when the caller has them (stored
    at indexing: sentences.stored_sentence_ends); else the text is split here. A text
    without a match gives its first sentences. ``pair_weight``, ``sentence_weights`` and
    ``grow`` (whether the passage takes in neighbouring sentences) are there to measure
    what each is worth (bench/answers.py).
    """
    if sentence_ends is None:
        source = source.strip()
    scored = _score(source, syllables, pair_weight, sentence_weights, sentence_ends)
    if not scored.ends:
        return Passage("", [])
    best = scored.ranked()[0]
    length = functools.cache(scored.length)

    def same_paragraph(sentence: int) -> bool:  # the sentence and the one after it
        return "\n" not in source[scored.ends[sentence] : scored.start(sentence + 1)]

    # A passage stays within its paragraph: the next one is another caption, heading or topic.
    count = len(scored.ends)
    first, last, size = (
        _grow(best, count, length, same_paragraph, max_syllables) if grow else (best, best, -1)
    )
    start, end = scored.start(first), scored.ends[last]
    shown_from = start
    if size > max_syllables or size < 0:
        words = [m.span() for m in text.SYLLABLE_RE.finditer(source, start, end)]
        if len(words) > max_syllables:
            keys = {s: k for s, _, k in scored.matches}
            at = _densest(words, keys, scored.weight, max_syllables)
            start, end = words[at][0], words[at + max_syllables - 1][1]
    prefix = "…" if start > shown_from else ""
    suffix = "…" if end < scored.ends[last] else ""
    shift = len(prefix) - start
    highlights = [(s + shift, e + shift) for s, e, _ in scored.matches if s >= start and e <= end]
    return Passage(prefix + source[start:end] + suffix, highlights)


def answering_sentences(source: str, syllables: Sequence[str], count: int) -> list[tuple[int, int]]:
    """The spans of the ``count`` sentences of ``source`` that best answer a query of
    ``syllables``, in document order: a query-focused summary. Scored as passages are;
    when fewer sentences hold a query word, the earliest others make up the count."""
    scored = _score(source, syllables, PAIR_WEIGHT, True)
    return [scored.span(i) for i in sorted(scored.ranked()[: max(count, 0)])]


def _sentence_weights(matched: dict[int, list[str]], count: int) -> Callable[[str], float]:
    """Each query syllable's inverse sentence frequency in this article (of ``count``
    sentences): a word in every sentence (the article's topic) tells the sentences apart
    less than one in a few."""
    frequency = Counter(k for found in matched.values() for k in set(found))
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
    found = [keys.get(start) for start, _ in words]
    inside: Counter[str] = Counter(k for k in found[:width] if k)
    score = sum(map(weight, inside))
    best, best_score = 0, score
    for at in range(1, len(words) - width + 1):  # slide by one word: out goes one, in comes one
        gone, come = found[at - 1], found[at + width - 1]
        if gone:
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
                score -= weight(gone)
        if come:
            if not inside[come]:
                score += weight(come)
            inside[come] += 1
        if score > best_score + 1e-12:
            best, best_score = at, score
    return best
