"""Abbreviations that Vietnamese news writes in its headlines and spells out in its text
(``UBND`` for ``ủy ban nhân dân``, ``HLV`` for ``huấn luyện viên``): a query's abbreviation
also finds the articles that write its words (query.py reads it as both).

The list is ``data/abbreviations.txt``, kept to abbreviations with one established
reading in the press: one with two (``ĐT``: ``đội tuyển`` or ``điện thoại``) would add the
wrong articles as often as the right ones.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .text import canonical_spelling, normalize_term, syllables

__all__ = ["spelled_out"]

_LIST = Path(__file__).resolve().parent / "data" / "abbreviations.txt"


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, ...]]:
    table = {}
    for line in _LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            short, words = line.split("\t")
            table[canonical_spelling(normalize_term(short))] = tuple(
                canonical_spelling(s.text) for s in syllables(words)
            )
    return table


def spelled_out(syllable: str) -> tuple[str, ...] | None:
    """The words of the abbreviation ``syllable`` (a query term: normalised, lower case),
    as query terms; None for a syllable that is not one."""
    return _table().get(syllable)
