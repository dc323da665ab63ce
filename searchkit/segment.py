"""Vietnamese word segmentation with pyvi, aligned to our own syllables.

pyvi's ``ViTokenizer.tokenize`` returns a re-spaced string and no offsets, and its own
syllable splitter disagrees with ours on numbers, URLs and abbreviations. So we skip it:
we hand pyvi's CRF model *our* token sequence and read back one label per token. Each
word is then a run of our syllables, and its offsets come from them for free.

pyvi loads a scikit-learn CRF model at import (about 1.5 s), so it is imported lazily,
once per process, and only by code that segments documents (indexing, summaries), never
by the query path.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import Any, Sequence

from .text import Token

__all__ = ["load_model", "word_groups", "word_spans", "words"]

_PUNCTUATION = frozenset(string.punctuation)


@lru_cache(maxsize=1)
def _vi_tokenizer() -> Any:
    from pyvi.ViTokenizer import ViTokenizer  # slow import: the CRF model loads here

    return ViTokenizer


def load_model() -> None:
    """Load pyvi's model now (worker processes do it at start, while files are read)."""
    _vi_tokenizer()


def word_groups(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """Group the syllables of ``tokens`` into words.

    ``tokens`` is the output of :func:`searchkit.text.tokens` (syllables and punctuation,
    case kept). Returns ``(first, last_exclusive)`` index pairs into the list of *syllable*
    tokens (``is_word`` true), covering every syllable exactly once, in order.
    """
    if not tokens:
        return []
    vi = _vi_tokenizer()
    texts = [t.text for t in tokens]
    labels = vi.model.predict([vi.sent2features(texts, False)])[0]
    groups: list[tuple[int, int]] = []
    syllable_index = -1
    previous: str | None = None
    for token, label in zip(tokens, labels):
        if not token.is_word:
            previous = None
            continue
        syllable_index += 1
        text = token.text
        # pyvi's own joining rule (ViTokenizer.tokenize): an I_W label continues the word
        # unless digits or punctuation are involved or a capital follows a lower-case syllable.
        joins = (
            label == "I_W"
            and previous is not None
            and groups
            and text not in _PUNCTUATION
            and not text[0].isdigit()
            and not previous[0].isdigit()
            and not (text[0].istitle() and not previous[0].istitle())
        )
        if joins:
            groups[-1] = (groups[-1][0], syllable_index + 1)
        else:
            groups.append((syllable_index, syllable_index + 1))
        previous = text
    return groups


def word_spans(
    tokens: Sequence[Token], groups: Sequence[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """The ``(start, end)`` character span of every word of ``tokens``, in order.

    ``groups`` are :func:`word_groups` of the same tokens when the caller already has
    them (pyvi is the costly step: never run it twice on one text).
    """
    syllables = [t for t in tokens if t.is_word]
    if groups is None:
        groups = word_groups(tokens)
    return [(syllables[a].start, syllables[b - 1].end) for a, b in groups]


def words(text: str) -> list[str]:
    """The words of ``text`` as pyvi writes them, lower-cased: ``["nông_thôn", "mới"]``."""
    from .text import tokens as split_tokens

    toks = list(split_tokens(text))
    syl = [t.text.lower() for t in toks if t.is_word]
    return ["_".join(syl[a:b]) for a, b in word_groups(toks)]
