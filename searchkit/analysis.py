"""Text analysis for the index: Whoosh analyzers and the per-article analysis.

Two faces:

* Whoosh analyzers built the Whoosh way, ``SyllableTokenizer() | FoldFilter()``, so a
  field can analyse a plain string itself (and the schema says what its terms are);
* :func:`analyze_article`, the expensive part of indexing (segmentation, summary), a
  plain function over plain data so it can run in worker processes. Its output is lists
  of terms that the writer hands to Whoosh as pre-analysed values.

Terms of each field:

=============  ==========================================  =========================
field          term                                         example for "Nông thôn"
=============  ==========================================  =========================
title, body    syllable, normalised, lower case, positions  ``nông``, ``thôn``
*_fold         the same folded to ASCII (đ→d)               ``nong``, ``thon``
words          pyvi words of 2+ syllables, ``_``-joined     ``nông_thôn``
words_fold     the same folded                              ``nong_thon``
pairs          adjacent syllables, folded, no positions      ``nong_thon``
=============  ==========================================  =========================

Single-syllable words are not repeated in ``words``: the syllable fields already hold
them, and a words field of compounds only is smaller and sharper as a ranking signal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from whoosh.analysis import Filter, Tokenizer
from whoosh.analysis.acore import Token as WhooshToken

from . import segment, text
from .articles import Article
from .summary import summarize_segmented

SUMMARY_SENTENCES = 3  # stored with each article; the same default as summarize()

__all__ = [
    "SyllableTokenizer",
    "FoldFilter",
    "syllable_analyzer",
    "folded_analyzer",
    "AnalyzedArticle",
    "analyze_article",
]


class SyllableTokenizer(Tokenizer):
    """Yields normalised lower-case syllables with character offsets into the input."""

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: object,
    ) -> Iterator[WhooshToken]:
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, syl in enumerate(text.syllables(value), start_pos):
            token.text = syl.text
            token.boost = 1.0
            if keeporiginal:
                token.original = value[syl.start : syl.end]
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + syl.start
                token.endchar = start_char + syl.end
            yield token


class FoldFilter(Filter):
    """Replaces each token's text by its diacritic-free form (``đường`` → ``duong``)."""

    def __call__(self, tokens: Iterator[WhooshToken]) -> Iterator[WhooshToken]:
        for token in tokens:
            token.text = text.fold_diacritics(token.text)
            yield token


def syllable_analyzer() -> Tokenizer:
    return SyllableTokenizer()


def folded_analyzer() -> object:
    return SyllableTokenizer() | FoldFilter()


@dataclass
class AnalyzedArticle:
    """An article with the terms of every indexed field, ready for the writer."""

    article: Article
    title: list[str] = field(default_factory=list)
    title_fold: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    body_fold: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    words_fold: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


@dataclass
class _Segmented:
    """One text, normalised, with its syllable terms and pyvi word spans."""

    text: str  # normalize(original); same length as the original when that was NFC
    syllables: list[str]
    words: list[str]  # compounds of 2+ syllables, "_"-joined
    word_spans: list[tuple[int, int]]  # every word (compound or not), spans into ``text``


def _segment(original: str) -> _Segmented:
    """Tokenise and segment ``original`` once; everything else is derived from that."""
    normalised = text.normalize(original)
    toks = list(text.tokens(normalised))
    syllables = [t.text.lower() for t in toks if t.is_word]
    groups = segment.word_groups(toks)
    words = ["_".join(syllables[a:b]) for a, b in groups if b - a > 1]
    return _Segmented(normalised, syllables, words, segment.word_spans(toks, groups))


def _pairs(syllables: list[str]) -> list[str]:
    """Adjacent syllable pairs, folded (``vo_nho``): a cheap proximity signal at query
    time, for neighbours that are not one word (``vỏ nho``) as much as for those that are."""
    folded = [text.fold_diacritics(s) for s in syllables]
    return [f"{a}_{b}" for a, b in zip(folded, folded[1:])]


def analyze_article(article: Article) -> AnalyzedArticle:
    """Compute every field's terms for ``article`` (the costly step: runs pyvi)."""
    title = _segment(article.title)
    sapo = _segment(article.sapo) if article.sapo else None
    body = _segment(article.body)
    body_terms = (sapo.syllables if sapo else []) + body.syllables
    words = title.words + (sapo.words if sapo else []) + body.words
    # The summary reuses the body's segmentation: pyvi is the costly step, run it once.
    # It summarises the body only: a reader already sees the sapo.
    summary = summarize_segmented(body.text, body.word_spans, sentences=SUMMARY_SENTENCES, title=article.title)
    return AnalyzedArticle(
        article=article,
        title=title.syllables,
        title_fold=[text.fold_diacritics(t) for t in title.syllables],
        body=body_terms,
        body_fold=[text.fold_diacritics(t) for t in body_terms],
        words=words,
        words_fold=[text.fold_diacritics(w) for w in words],
        pairs=_pairs(title.syllables) + _pairs(body_terms),
        summary=summary,
    )
