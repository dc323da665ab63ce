"""The text fields of an index: one table that the analysis, the postings parts and the
ranking all read.

An article is analysed into *zones*, each a stream of syllables and of pyvi's compound
words: ``title`` (the title) and ``body`` (the sapo, then the body). A text field takes
one kind of term from one zone, or from every zone when ``zone`` is None:

=================  ==========================================  ====================
``terms``          a term is                                    for "Nông thôn"
=================  ==========================================  ====================
``syllables``      a syllable, normalised and lower case        ``nông``, ``thôn``
``folded``         the same folded to ASCII (đ→d)               ``nong``, ``thon``
``words``          a pyvi word of 2+ syllables, ``_``-joined    ``nông_thôn``
``folded_words``   the same folded                              ``nong_thon``
``pairs``          two adjacent syllables of a zone, folded     ``nong_thon``
=================  ==========================================  ====================

A field may also take only the first ``first`` syllables of its zone: ``lead_fold`` holds
the folded syllables of an article's lead (the first :data:`LEAD_SYLLABLES` of its sapo
and body, where news restates its headline), so that ranking reads which articles have a
query word in their lead as one term's documents instead of from every accented form's
positions in every part.

Single-syllable words are not repeated as ``words``: the syllable fields already hold
them, and a field of compounds only is smaller and sharper as a ranking signal.

Adding a field is a line in :data:`TEXT_FIELDS`: the workers count it, the parts store
it, readers find it (a part written before it existed reads as having none of its
terms), and with a ``weight`` a bare query word is scored in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "TextField",
    "TEXT_FIELDS",
    "ZONES",
    "FIELD",
    "LEAD_FIELD",
    "LEAD_SYLLABLES",
    "PAIRS_FIELD",
    "pair_terms",
    "folded_twin",
    "searched_fields",
]

Terms = Literal["syllables", "folded", "words", "folded_words", "pairs"]

# The zones of an article, in the order the analysis streams them.
ZONES: tuple[str, ...] = ("title", "body")
# An article's lead: its body zone's first syllables (the sapo and the first sentences).
LEAD_SYLLABLES = 80


@dataclass(frozen=True)
class TextField:
    name: str
    terms: Terms
    zone: str | None = None  # None: every zone (terms never span two zones)
    positional: bool = False  # positions kept: phrases and the lead can be matched in it
    # Or: its positions are those of this field's terms that fold to its term (read from
    # them, not stored twice: a folded syllable is where its accented forms are).
    positions_from: str | None = None
    first: int | None = None  # only the zone's first ``first`` syllables (None: all)
    keep_texts: bool = False  # term texts kept beside their keys: the vocabulary readers list
    # BM25F weight of a bare query word's syllable in this field relative to the others
    # (syllable fields only; 0: bare words are not scored in it).
    weight: float = 0.0

    @property
    def folded(self) -> bool:
        return self.terms in ("folded", "folded_words", "pairs")


TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("title", "syllables", "title", positional=True, weight=1.5),
    TextField("title_fold", "folded", "title", positional=True),
    TextField("body", "syllables", "body", positional=True, keep_texts=True, weight=1.0),
    TextField("body_fold", "folded", "body", positions_from="body"),
    TextField("words", "words"),
    TextField("words_fold", "folded_words"),
    TextField("pairs", "pairs"),
    TextField("lead_fold", "folded", "body", first=LEAD_SYLLABLES),
)
LEAD_FIELD = "lead_fold"
PAIRS_FIELD = "pairs"


def pair_terms(folded: list[str]) -> list[str]:
    """The terms of ``PAIRS_FIELD`` for a run of adjacent syllables, folded: each
    syllable with the next (``nong thon moi`` → ``nong_thon``, ``thon_moi``)."""
    return [f"{first}_{second}" for first, second in zip(folded, folded[1:])]


FIELD: dict[str, TextField] = {f.name: f for f in TEXT_FIELDS}
# Readers find a folded syllable's forms in the vocabulary of the field its positions are
# read from (IndexReader.accented_forms): that field must keep its term texts.
assert all(f.positions_from is None or FIELD[f.positions_from].keep_texts for f in TEXT_FIELDS)
# A zone's first syllables are counted by their positions: syllable fields only.
assert all(f.first is None or f.terms in ("syllables", "folded") for f in TEXT_FIELDS)

_FOLDED_TERMS = {"syllables": "folded", "words": "folded_words"}


def folded_twin(name: str) -> str:
    """The field holding ``name``'s terms folded (``title`` → ``title_fold``)."""
    field = FIELD[name]
    wanted = _FOLDED_TERMS[field.terms]
    return next(f.name for f in TEXT_FIELDS if f.terms == wanted and f.zone == field.zone and f.first is None)


def searched_fields() -> tuple[tuple[str, float], ...]:
    """The exact syllable fields a bare query word is scored in, with their weights."""
    return tuple((f.name, f.weight) for f in TEXT_FIELDS if f.terms == "syllables" and f.weight)
