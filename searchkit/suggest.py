"""Suggestions: "did you mean" for a query that finds little, and the likely accented
reading of syllables typed without diacritics, both from the index's own vocabulary."""

from __future__ import annotations

import math

from . import text
from .postings import ascending_intersection
from .query import ParsedQuery
from .ranking import PostingsSource

__all__ = ["SUGGEST_BELOW", "suggest", "likely_reading"]

# A query with fewer hits than this gets a "did you mean" suggestion when one exists.
SUGGEST_BELOW = 10


def suggest(parsed: ParsedQuery, source: PostingsSource) -> str | None:
    """A corrected query from the index's vocabulary, or None.

    For plain word queries only: each syllable the index does not know is replaced by
    the most frequent known one at one edit (``thonn`` → ``thon``; a syllable typed with
    diacritics only by a form at one edit of it as typed, so ``thủy`` never becomes
    ``thực``), and the corrected query is shown with its syllables typed without
    diacritics given their likely accented reading (``nong thonn moi`` → ``nông thôn
    mới``). Restoring diacritics alone is no suggestion: a query without them already
    matches every accented form. The caller still checks that the suggestion finds more.
    A syllable kept as typed is shown in the user's spelling (``kỹ``, ``5.000``), not in
    the one the index matches it by (``kĩ``, ``5000``: ParsedQuery.typed).
    """
    bare = [s for run in parsed.runs for s in run]
    if not bare or len(bare) != len(parsed.clauses):
        return None
    runs = [[_known_or_corrected(s, source) for s in run] for run in parsed.runs]
    if [s for run in runs for s in run] == bare:
        return None
    reading = [
        w
        for run in runs
        for w in (run if all(map(text.has_diacritics, run)) else likely_reading(run, source))
    ]
    return " ".join(parsed.typed.get(w, w) for w in reading)


_EDIT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _one_edit(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with one letter deleted, inserted, replaced or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _known_or_corrected(syllable: str, source: PostingsSource) -> str:
    folded = text.fold_diacritics(syllable)
    accented = text.has_diacritics(syllable)
    if source.accented_forms(folded) and (not accented or source.doc_frequency("body", syllable)):
        return syllable
    splits = [(folded[:i], folded[i:]) for i in range(len(folded) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _EDIT_ALPHABET}
    edits |= {a + c + b for a, b in splits for c in _EDIT_ALPHABET}
    edits.add(folded)  # the same letters with other marks: only if one mark apart, below
    known = [
        (df, form)
        for edit in edits
        for form, df in source.accented_forms(edit)
        if form != syllable and (not accented or _one_edit(syllable, form))
    ]
    if not accented:  # typed without marks: a correction is typed without them too
        known = [(df, text.fold_diacritics(form)) for df, form in known]
    return max(known)[1] if known else syllable


# How many accented forms of each unaccented syllable the reading search considers.
READING_CANDIDATES = 6


def _together(source: PostingsSource, a: str, b: str) -> int:
    """How many documents contain both exact syllables in their body."""
    pa, pb = source.postings("body", a), source.postings("body", b)
    if pa is None or pb is None:
        return 0
    return len(ascending_intersection(pa[0], pb[0]))


def likely_reading(syllables: list[str], source: PostingsSource) -> list[str]:
    """The most likely accented reading of unaccented ``syllables`` (``nong thon moi`` →
    ``nông thôn mới``), from the index's own vocabulary.

    A Viterbi search over the accented forms of each syllable: a pair of neighbours
    scores by how many documents contain it as a word (``nông_thôn``), as adjacent
    syllables (a phrase query: costly, which is why suggestions are only made for
    queries that find little) and anywhere together; a syllable alone (a little) by how
    many contain it. So context picks ``thôn mới`` over the commoner ``mỗi``.
    Syllables with diacritics already, or with no accented form, stay as they are.
    """
    options: list[list[tuple[str, float]]] = []
    for syl in syllables:
        forms = source.accented_forms(syl) if not text.has_diacritics(syl) else []
        forms = forms[:READING_CANDIDATES] or [(syl, 1)]
        options.append([(form, 0.1 * math.log1p(df)) for form, df in forms])
    # best[i][form] = (score, previous form)
    best: list[dict[str, tuple[float, str | None]]] = [{f: (u, None) for f, u in options[0]}]
    for i in range(1, len(options)):
        layer: dict[str, tuple[float, str | None]] = {}
        for form, unigram in options[i]:
            choices = []
            for prev, (score, _) in best[-1].items():
                evidence = (
                    math.log1p(source.doc_frequency("words", f"{prev}_{form}"))
                    + 2 * math.log1p(source.phrase_mask("body", [prev, form]).sum())
                    + 0.5 * math.log1p(_together(source, prev, form))
                )
                choices.append((score + unigram + evidence, prev))
            layer[form] = max(choices)
        best.append(layer)
    form = max(best[-1], key=lambda f: best[-1][f][0])
    reading = [form]
    for i in range(len(best) - 1, 0, -1):
        form = best[i][form][1]  # type: ignore[assignment]
        reading.append(form)
    return reading[::-1]
