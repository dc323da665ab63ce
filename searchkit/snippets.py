"""Snippets: the passage of a document that best shows why it matched.

Pure functions over the stored text (standard library only). Matching is redone here on
the text as stored, so the offsets are right for any normal form the source used.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from . import text

__all__ = ["Snippet", "make_snippet", "SNIPPET_CHARS"]

SNIPPET_CHARS = 220


@dataclass
class Snippet:
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


def make_snippet(source: str, syllables: list[str], width: int = SNIPPET_CHARS) -> Snippet:
    """The ``width``-character passage of ``source`` with the most distinct query words."""
    source = source.strip()
    matches = _matches(source, syllables)
    if not matches:
        end = _cut_end(source, 0, width)
        return Snippet(source[:end] + ("…" if end < len(source) else ""), [])
    ends = [m[1] for m in matches]  # increasing: matches do not overlap
    best, best_score = 0, (-1, -1)
    for i, (start, _, _) in enumerate(matches):
        in_window = matches[i : bisect.bisect_right(ends, start + width)]
        score = (len({m[2] for m in in_window}), len(in_window))
        if score > best_score:
            best, best_score = i, score
    anchor = matches[best][0]
    start = _cut_start(source, max(0, anchor - width // 5), anchor)
    end = _cut_end(source, start, width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(source) else ""
    shift = len(prefix) - start
    highlights = [(s + shift, e + shift) for s, e, _ in matches if s >= start and e <= end]
    return Snippet(prefix + source[start:end] + suffix, highlights)


def _cut_start(source: str, start: int, anchor: int) -> int:
    """Move ``start`` forward to a sentence or word boundary before ``anchor``."""
    if start == 0:
        return 0
    for mark in (". ", "\n"):
        at = source.rfind(mark, start, anchor)
        if at >= 0:
            return at + len(mark)
    space = source.find(" ", start, anchor)
    return space + 1 if space >= 0 else start


def _cut_end(source: str, start: int, width: int) -> int:
    end = start + width
    if end >= len(source):
        return len(source)
    space = source.rfind(" ", start + width // 2, end)
    return space if space > 0 else end
