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
    """An article's sentences scored against a query."""

    spans: list[tuple[int, int]]  # sentence spans in the text
    words: list[list[text.Syllable]]  # each sentence's syllables, spans in the text
    matched: list[list[str | None]]  # each syllable's query syllable, or None
    scores: list[float]
    matches: list[tuple[int, int, str]]  # every match in the text: start, end, query syllable
    weight: Callable[[str], float]

    def ranked(self, source: str) -> list[int]:
        """Sentence indices, best first. Ties go to the sentence with more matches, then
        to one that ends as a sentence does (not a caption or a heading), then the earliest."""
        return sorted(
            range(len(self.spans)),
            key=lambda i: (
                -self.scores[i],
                -sum(1 for k in self.matched[i] if k),
                not _ends_a_sentence(source, self.spans[i]),
                i,
            ),
        )


def _score(source: str, syllables: Sequence[str], pair_weight: float, sentence_weights: bool) -> _Scored:
    """Each sentence's score: the query syllables it holds, each weighted by its inverse
    sentence frequency (or 1), plus ``pair_weight`` times the weights of the query's
    adjacent pairs it holds as adjacent syllables."""
    spans = split_sentences(source) or ([(0, len(source))] if source else [])
    matches = _matches(source, syllables)
    keys = {start: key for start, _, key in matches}  # a matched syllable's start -> its query syllable
    words: list[list[text.Syllable]] = []
    matched: list[list[str | None]] = []
    for start, end in spans:
        found = [
            text.Syllable(w.text, w.start + start, w.end + start) for w in text.syllables(source[start:end])
        ]
        words.append(found)
        matched.append([keys.get(w.start) for w in found])
    weight = _sentence_weights(matched) if sentence_weights else lambda key: 1.0
    pairs = set(zip(syllables, syllables[1:]))
    scores = []
    for found_keys in matched:
        covered = {k for k in found_keys if k}
        held = {(a, b) for a, b in zip(found_keys, found_keys[1:]) if a and b and (a, b) in pairs}
        scores.append(sum(map(weight, covered)) + pair_weight * sum(weight(a) + weight(b) for a, b in held))
    return _Scored(spans, words, matched, scores, matches, weight)


def best_passage(
    source: str,
    syllables: Sequence[str],
    max_syllables: int = MAX_SYLLABLES,
    *,
    pair_weight: float = PAIR_WEIGHT,
    sentence_weights: bool = True,
    grow: bool = True,
) -> Passage:
    """The passage of ``source`` that best answers a query of ``syllables`` (normalised,
    lower case; one typed without diacritics matches every accented form).

    A text without a match gives its first sentences. ``pair_weight``,
    ``sentence_weights`` and ``grow`` (whether the passage takes in neighbouring
    sentences) are there to measure what each is worth (bench/answers.py).
    """
    source = source.strip()
    scored = _score(source, syllables, pair_weight, sentence_weights)
    spans = scored.spans
    if not spans:
        return Passage("", [])
    best = scored.ranked(source)[0]
    lengths = [len(words) for words in scored.words]
    # A passage stays within its paragraph: the next one is another caption, heading or topic.
    paragraph = [source.count("\n", 0, start) for start, _ in spans]
    first, last = _grow(best, lengths, paragraph, max_syllables) if grow else (best, best)
    words = [w for i in range(first, last + 1) for w in scored.words[i]]
    start, end = spans[first][0], spans[last][1]
    if len(words) > max_syllables:
        keys = {s: k for s, _, k in scored.matches}
        at = _densest(words, keys, scored.weight, max_syllables)
        start, end = words[at].start, words[at + max_syllables - 1].end
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
    return [scored.spans[i] for i in sorted(scored.ranked(source)[: max(count, 0)])]


def _sentence_weights(matched: list[list[str | None]]) -> Callable[[str], float]:
    """Each query syllable's inverse sentence frequency in this article: a word in every
    sentence (the article's topic) tells the sentences apart less than one in a few."""
    count = len(matched)
    frequency = Counter(k for found in matched for k in set(found) if k)
    weights = {k: math.log((count + 1) / (n + 0.5)) for k, n in frequency.items()}
    return lambda key: weights.get(key, 0.0)


def _ends_a_sentence(source: str, span: tuple[int, int]) -> bool:
    return source[span[0] : span[1]].rstrip().endswith(_SENTENCE_ENDS)


_SENTENCE_ENDS = tuple(".!?…\"'”’»)")


def _grow(best: int, lengths: list[int], paragraph: list[int], limit: int) -> tuple[int, int]:
    """The run of sentences the passage shows: from ``best``, the next sentence of its
    paragraph while it fits, else the one before (an answer follows the words that ask
    for it)."""
    first = last = best
    size = lengths[best]
    while True:
        if (
            last + 1 < len(lengths)
            and paragraph[last + 1] == paragraph[best]
            and size + lengths[last + 1] <= limit
        ):
            last += 1
            size += lengths[last]
        elif first > 0 and paragraph[first - 1] == paragraph[best] and size + lengths[first - 1] <= limit:
            first -= 1
            size += lengths[first]
        else:
            return first, last


def _densest(
    words: list[text.Syllable], keys: dict[int, str], weight: Callable[[str], float], width: int
) -> int:
    """The first word of the ``width``-word window covering the most query weight (the
    earliest on ties, so a passage starts where its sentence does when it can)."""
    best, best_score = 0, -1.0
    for at in range(len(words) - width + 1):
        covered = {keys[w.start] for w in words[at : at + width] if w.start in keys}
        score = sum(map(weight, covered))
        if score > best_score:
            best, best_score = at, score
    return best
