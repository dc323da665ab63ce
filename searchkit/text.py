"""Pure functions on Vietnamese text: normalisation, folding, syllables with offsets.

Everything here is standard library only and cheap to import, because the query path
(``searchkit query``) must not pay for pyvi or Whoosh before it needs them.

Normal form used everywhere (documents and queries alike):

* Unicode NFC, so ``e`` + U+0302 + U+0323 and ``ệ`` are the same letter;
* ``Ð`` (U+00D0, Icelandic eth, common in scraped text) becomes ``Đ``;
* one tone-mark placement: the *modern* one, with the mark on the first vowel of an
  open ``oa``/``oe``/``uy`` syllable (``hòa``, ``khỏe``, ``thủy``), which is what the
  Vietnamese Wikipedia and most news sites write today. ``hoà``, ``khoẻ``, ``thuỷ`` are
  rewritten to it. After ``q`` the ``u`` belongs to the consonant (``quý``, ``quà``),
  so those syllables are left alone.

Case is kept by :func:`normalize` (pyvi's segmentation depends on it) and removed by
:func:`normalize_term`, which is what index terms and query terms use.

Index and query terms also take one spelling of what Vietnamese writes two ways
(:func:`canonical_spelling`): the syllables written with a final ``i`` or ``y`` alike after
``h``, ``k``, ``l``, ``m``, ``s`` or ``t`` (``kỹ``/``kĩ``, ``lý``/``lí``, ``tỷ``/``tỉ``, ``sỹ``/``sĩ``,
``Mỹ``/``Mĩ``), and numbers with or without their thousands dots and a day's or month's
leading zero (``5.000``/``5000``, ``06``/``6``). The text pyvi segments and every stored
text keep the writer's spelling (pyvi segments both). The tokeniser reads ``ôtô`` and
``môtô`` as the two syllables of ``ô tô`` and ``mô tô`` (:data:`JOINED_RE`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple

__all__ = [
    "Syllable",
    "normalize",
    "normalize_term",
    "canonical_spelling",
    "spellings",
    "fold_diacritics",
    "has_diacritics",
    "syllables",
    "tokens",
    "token_texts",
    "token_table",
    "indexed_text",
    "SYLLABLE_RE",
    "JOINED_RE",
    "JOINED_SYLLABLES",
]

# The five tone marks as combining characters: grave, acute, tilde, hook above, dot below.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"


def _with_tone(base: str, mark: str) -> str:
    return unicodedata.normalize("NFC", base + mark)


def _build_tone_moves() -> dict[str, str]:
    """Map an old-style syllable ending (``oà``) to the modern one (``òa``), both cases."""
    moves: dict[str, str] = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in _TONE_MARKS:
            for f, s in ((first, second), (first.upper(), second.upper()), (first.upper(), second)):
                moves[f + _with_tone(s, mark)] = _with_tone(f, mark) + s
    return moves


_TONE_MOVES = _build_tone_moves()
# Old-style ending at the end of a syllable (no letter follows), not after q/Q. Every
# ending is two characters, o/u then a toned vowel: a pattern that starts with a plain
# character class lets the regex engine skip ahead fast (the alternation of the 45
# endings, tried at every position, made this ten times slower).
_OLD_TONE_RE = re.compile(
    "[oOuU](?<![qQ].)[" + "".join(sorted({k[1] for k in _TONE_MOVES})) + r"](?![^\W\d_])"
)
_ETH_TABLE = str.maketrans({"\u00d0": "\u0110"})


def _modern_tone(match: re.Match[str]) -> str:
    return _TONE_MOVES.get(match.group(), match.group())  # "uà" etc. are not endings we move


def normalize(text: str) -> str:
    """Return ``text`` in NFC with ``Ð``→``Đ`` and modern tone-mark placement; case is kept.

    >>> normalize("Hoà bình, thuỷ lợi") == "Hòa bình, thủy lợi"
    True
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if "\u00d0" in text:  # a cheap scan first: translate() walks the text in Python
            text = text.translate(_ETH_TABLE)
        text = _OLD_TONE_RE.sub(_modern_tone, text)
    return text


def normalize_term(text: str) -> str:
    """Normalise and lower-case: the form of every exact index and query term."""
    return normalize(text).lower()


# The i of the official orthography (1984, and school books since) for the y that most
# news still writes: one spelling either way, so the choice only shows where a term is
# shown as it is indexed ("did you mean"). Not after other consonants: ``Vy``, ``Thy``, ``Ny``
# are names beside ``vi``, ``thi``, ``ni``; nor ``quy``/``qui``, where the u is a vowel's
# glide in ``quy`` and the modern spelling is settled.
_I_FOR_Y = {consonant + y: consonant + i for consonant in "hklmst" for y, i in zip("yýỳỷỹỵ", "iíìỉĩị")}


_Y_FOR_I = {i: y for y, i in _I_FOR_Y.items()}


def _canonical_syllable(syllable: str) -> str:
    if syllable[:1].isdigit():
        if "." in syllable:  # (only a number grouped by thousands holds one)
            return syllable.replace(".", "")
        if len(syllable) == 2 and syllable[0] == "0" and syllable[1].isdigit():
            return syllable[1]  # 06/12 is 6/12, 08:30 is 8:30
        return syllable
    return _I_FOR_Y.get(syllable, syllable)


def canonical_spelling(term: str) -> str:
    """``term`` (normalised, lower case: a syllable or ``_``-joined word, accented or
    folded) with each syllable in its one spelling: a final i or y written alike in its
    i spelling (``kỹ_thuật`` → ``kĩ_thuật``, ``ty`` → ``ti``), a number without its
    thousands dots (``5.000`` → ``5000``) and a two-digit one without its leading zero
    (``06`` → ``6``). Commutes with :func:`fold_diacritics`."""
    if "_" not in term:
        return _canonical_syllable(term)
    return "_".join(map(_canonical_syllable, term.split("_")))


def spellings(syllable: str) -> tuple[str, ...]:
    """The spellings a text may have of a syllable in its :func:`canonical_spelling`:
    itself, and its y spelling (``kĩ``: ``kỹ``), thousands dots (``5000``: ``5.000``) or
    leading zero (``6``: ``06``) if it has one."""
    other = _Y_FOR_I.get(syllable)
    if syllable.isascii() and syllable.isdigit():
        if len(syllable) == 1:
            other = "0" + syllable
        elif len(syllable) > 3 and syllable[0] != "0":
            other = f"{int(syllable):,}".replace(",", ".")
    return (syllable,) if other is None else (syllable, other)


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {0x0110: "D", 0x0111: "d", 0x00D0: "D"}
    for code in range(0x00C0, 0x2000):
        ch = chr(code)
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0]
        if len(decomposed) > 1 and base.isascii() and base.isalpha():
            table[code] = base
    for mark in range(0x0300, 0x0370):  # stray combining marks (NFD input) vanish
        table[mark] = ""
    return table


_FOLD_TABLE = _build_fold_table()


def fold_diacritics(text: str) -> str:
    """Remove every diacritic, mapping ``đ``→``d`` explicitly (NFD does not decompose it).

    Works on NFC and NFD input alike: ``fold_diacritics("Đường")`` is ``"Duong"``.
    """
    return text.translate(_FOLD_TABLE)


def has_diacritics(text: str) -> bool:
    """True when folding would change ``text`` (it carries at least one Vietnamese mark or đ)."""
    return not text.isascii() and fold_diacritics(text) != text


class Syllable(NamedTuple):
    """One syllable: its normalised lower-case form and its span in the ORIGINAL text."""

    text: str
    start: int
    end: int


class Token(NamedTuple):
    """A syllable or a punctuation mark with its span in the original text.

    ``text`` is normalised but keeps its case (pyvi needs the case); ``is_word`` is
    False for punctuation.
    """

    text: str
    start: int
    end: int
    is_word: bool


# A syllable: a letter or digit followed by letters, digits and combining marks (so NFD
# text stays in one piece, unlike Whoosh's default \w+). "_" is neither: pyvi joins words
# with it, and `nông_thôn` in a document must give the same syllables as `nông thôn`.
# Or a number grouped by thousands as Vietnamese writes them (``5.000``, ``1.500.000``:
# dots, each group of three digits), one syllable, which canonical_spelling writes as
# typed in a search box (``5000``); a comma is the decimal mark (``2,7`` stays two).
# And ``ôtô``, ``môtô``, as some papers write ``ô tô``, ``mô tô`` (and ``oto`` typed without
# diacritics): two syllables, ``ô`` then ``tô`` (the second found by the general
# pattern), so that either spelling is the other.
# Punctuation: any other visible character.
_JOINED_PATTERN = r"(?<![^\W_])[mM]?[ôÔoO](?=[tT][ôÔoO](?![^\W_\u0300-\u036f]))"
_SYLLABLE_PATTERN = (
    rf"{_JOINED_PATTERN}|[0-9]{{1,3}}(?:\.[0-9]{{3}})+(?![0-9])|[^\W_](?:[^\W_]|[\u0300-\u036f])*"
)
_MARK_PATTERN = r"[^\w\s\u0300-\u036f]"
_TOKEN_RE = re.compile(f"({_SYLLABLE_PATTERN})|({_MARK_PATTERN})")  # group 1: a syllable
SYLLABLE_RE = re.compile(_SYLLABLE_PATTERN)  # one syllable, for scans that need only spans
JOINED_RE = re.compile(_JOINED_PATTERN)  # the first syllable of a joined ``ôtô``/``môtô``
# The syllables JOINED_RE splits such a word into, accented and folded.
JOINED_SYLLABLES = frozenset({"ô", "mô", "tô", "o", "mo", "to"})
# The same tokens as one group, for re.split: what lies between tokens, then a token, ...
_TOKEN_SPLIT_RE = re.compile(f"((?:{_SYLLABLE_PATTERN})|{_MARK_PATTERN})")


def tokens(text: str) -> Iterator[Token]:
    """Yield syllables and punctuation of ``text`` with offsets into ``text`` itself.

    Offsets always refer to the string passed in, whatever its normal form: when the text
    is already NFC it is normalised as a whole (``Ð``→``Đ`` and moving a tone mark never
    change a length), otherwise each token is normalised on its own so the span stays exact.
    """
    whole_nfc = text.isascii() or unicodedata.is_normalized("NFC", text)
    source = normalize(text) if whole_nfc else text
    for match in _TOKEN_RE.finditer(source):
        piece = match.group()
        if not whole_nfc:
            piece = normalize(piece)
        yield Token(piece, match.start(), match.end(), match.lastindex == 1)


def token_texts(text: str) -> tuple[list[str], list[bool]]:
    """:func:`tokens` of ``text`` as two plain lists: each token's text and whether it is
    a syllable. ``text`` must be in normal form already (``normalize(text) == text``).

    The indexer's fast path: C-level splitting and no :class:`Token` per match, which
    cost about three times as much.
    """
    pieces = _TOKEN_SPLIT_RE.split(text)[1::2]
    return pieces, _syllable_flags(pieces)


def token_table(text: str) -> tuple[list[str], list[bool], list[tuple[int, int]]]:
    """:func:`token_texts` of ``text`` and the ``(start, end)`` span of each token."""
    parts = _TOKEN_SPLIT_RE.split(text)  # text between tokens, token, text between, ...
    pieces = parts[1::2]
    ends = list(accumulate(map(len, parts)))  # parts[i] ends at ends[i]
    return pieces, _syllable_flags(pieces), list(zip(ends[::2], ends[1::2]))


def _syllable_flags(pieces: list[str]) -> list[bool]:
    # A syllable starts with a letter or digit ([^\W_] is exactly str.isalnum); a mark
    # never is one.
    return list(map(str.isalnum, map(itemgetter(0), pieces)))


def syllables(text: str) -> list[Syllable]:
    """The syllables of ``text``, normalised and lower-cased, with spans into ``text``."""
    return [Syllable(t.text.lower(), t.start, t.end) for t in tokens(text) if t.is_word]


def indexed_text(sapo: str, body: str) -> str:
    """The text indexed as an article's body: its sapo (when it has one apart from the
    body), then the body. Snippets and highlights are computed on this same string."""
    return f"{sapo}\n{body}" if sapo else body
