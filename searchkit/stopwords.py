"""Vietnamese stop words and question words, as the summariser and the query matcher use them.

Words are in pyvi's form, syllables joined by ``_`` (``bao_nhiêu``). The stop-word list is
``data/vietnamese-stopwords.txt`` (MIT, see its LICENSE file beside it).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .text import canonical_spelling, fold_diacritics, has_diacritics

__all__ = ["stop_words", "QUESTION_WORDS", "covered_syllables", "accented_forms_of"]

_DATA = Path(__file__).resolve().parent / "data"

# What a question asks for rather than what it is about: a document answering
# "ông Bình mắc bệnh gì" does not contain "gì". Most are in the stop-word list too; these
# are kept apart because a short keyword query requires its stop words but never these.
QUESTION_WORDS = frozenset(
    "gì nào đâu ai sao mấy bao_nhiêu bao_giờ bao_lâu khi_nào lúc_nào thế_nào như_thế_nào "
    "tại_sao vì_sao làm_sao ra_sao là_gì ở_đâu năm_nào ngày_nào chừng_nào".split()
)

_LONGEST = 4  # syllables in the longest entry worth looking for in a query


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """The Vietnamese stop words as pyvi word forms (``ai_nấy``), loaded once."""
    lines = (_DATA / "vietnamese-stopwords.txt").read_text(encoding="utf-8").splitlines()
    words = {"_".join(line.split()) for line in lines if line.strip()}
    # Also in the index's spelling of i/y (text.canonical_spelling), as queries are
    # written: ``lý_do`` is ``lí_do`` there. The summariser reads the writer's spelling.
    return frozenset(words | {canonical_spelling(word) for word in words})


@lru_cache(maxsize=8)
def _folded(words: frozenset[str]) -> frozenset[str]:
    return frozenset(fold_diacritics(w) for w in words)


def covered_syllables(syllables: list[str], words: frozenset[str]) -> set[int]:
    """Positions of ``syllables`` (normalised, lower case) that belong to a run forming one
    of ``words``. A run of two or more syllables typed without diacritics is compared
    folded (``bao nhieu``); a single one is too ambiguous (``ao`` is ``áo`` as often as a
    stop word), and is left to the caller, who may know its likely reading."""
    folded_words = _folded(words)
    covered: set[int] = set()
    for i in range(len(syllables)):
        for j in range(i + 1, min(len(syllables), i + _LONGEST) + 1):
            run = syllables[i:j]
            word = "_".join(run)
            if word in words or (j - i > 1 and not any(map(has_diacritics, run)) and word in folded_words):
                covered.update(range(i, j))
    return covered


@lru_cache(maxsize=8)
def _by_fold(words: frozenset[str]) -> dict[str, tuple[str, ...]]:
    forms: dict[str, list[str]] = {}
    for word in words:
        if "_" not in word:
            forms.setdefault(fold_diacritics(word), []).append(word)
    return {folded: tuple(sorted(f)) for folded, f in forms.items()}


def accented_forms_of(folded: str, words: frozenset[str]) -> tuple[str, ...]:
    """The one-syllable entries of ``words`` that fold to ``folded`` (``gi`` → ``gì``)."""
    return _by_fold(words).get(folded, ())
