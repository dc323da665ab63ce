"""Text analysis for the index: Whoosh analyzers and the per-article analysis.

Two faces:

* Whoosh analyzers built the Whoosh way, ``SyllableTokenizer() | FoldFilter()``, for
  the small fields Whoosh indexes itself (author);
* :func:`analyze_batch`, the expensive part of indexing (segmentation, summary), a
  plain function over plain data so it can run in worker processes. Its output is each
  text field's terms already counted (:class:`searchkit.postings.BatchPostings`), which
  the writer lays out in postings files with little work of its own.

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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress

import numpy as np
from whoosh.analysis import Filter, Tokenizer
from whoosh.analysis.acore import Token as WhooshToken

from . import postings, segment, text
from .articles import Article
from .postings import BatchPostings
from .summary import summarize_segmented

SUMMARY_SENTENCES = 3  # stored with each article; the same default as summarize()

__all__ = [
    "SyllableTokenizer",
    "FoldFilter",
    "folded_analyzer",
    "AnalyzedArticle",
    "AnalyzedBatch",
    "analyze_batch",
]


class SyllableTokenizer(Tokenizer):
    """Yields normalised lower-case syllables with character offsets into the input."""

    def __call__(
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


def folded_analyzer() -> object:
    return SyllableTokenizer() | FoldFilter()


@dataclass
class AnalyzedArticle:
    """An article with its summary (its text fields are in the batch's postings)."""

    article: Article
    summary: list[str] = field(default_factory=list)


@dataclass
class AnalyzedBatch:
    """Analysed articles and the postings of their text fields, in the same order."""

    articles: list[AnalyzedArticle]
    postings: BatchPostings


@dataclass
class _Segmented:
    """One text, normalised, with its syllable terms and pyvi word spans."""

    text: str  # normalize(original); same length as the original when that was NFC
    syllables: list[str]
    words: list[str]  # compounds of 2+ syllables, "_"-joined
    forms: list[str]  # every word, compound or not, "_"-joined (what the summary counts)
    word_spans: list[tuple[int, int]]  # every word (compound or not), spans into ``text``; only if asked


def _segment(original: str, spans: bool = False) -> _Segmented:
    """Tokenise and segment ``original`` once; everything else is derived from that."""
    normalised = text.normalize(original)
    if spans:
        pieces, is_word, token_spans = text.token_table(normalised)
    else:
        pieces, is_word = text.token_texts(normalised)
    syllables = list(map(str.lower, compress(pieces, is_word)))
    groups = segment.group_words(pieces, is_word)
    forms = [syllables[a] if b - a == 1 else "_".join(syllables[a:b]) for a, b in groups]
    words = [form for form in forms if "_" in form]  # syllables never contain "_"
    word_spans = segment.spans_of_words(list(compress(token_spans, is_word)), groups) if spans else []
    return _Segmented(normalised, syllables, words, forms, word_spans)


@dataclass
class _Texts:
    """The token streams of one article that its text fields are made of."""

    title: list[str]  # syllables
    body: list[str]  # syllables of sapo and body
    words: list[str]  # compounds of title, sapo and body


def _segmented(article: Article) -> tuple[_Segmented, _Segmented | None, _Segmented]:
    """Title, sapo and body, segmented (the body with its word spans, for the summary)."""
    return (
        _segment(article.title),
        _segment(article.sapo) if article.sapo else None,
        _segment(article.body, spans=True),
    )


def analyze_batch(articles: Sequence[Article]) -> AnalyzedBatch:
    """Analyse ``articles`` (the costly step: runs pyvi) and count their text fields.

    pyvi runs over the whole batch first and the summaries after it: its CRF model's
    tables then stay in the processor's caches instead of being evicted article by
    article. Counting works on the whole batch at once, a few numpy calls per field
    rather than per article: per-call overhead, not arithmetic, is what small arrays cost.
    """
    segmented = [_segmented(a) for a in articles]
    analysed, texts = [], []
    for article, (title, sapo, body) in zip(articles, segmented):
        # The summary reuses the body's segmentation: pyvi is the costly step, run it
        # once. It summarises the body only: a reader already sees the sapo.
        summary = summarize_segmented(
            body.text,
            body.word_spans,
            sentences=SUMMARY_SENTENCES,
            title=article.title,
            forms=body.forms,
            title_syllables=title.syllables,
        )
        analysed.append(AnalyzedArticle(article, summary))
        texts.append(
            _Texts(
                title=title.syllables,
                body=(sapo.syllables if sapo else []) + body.syllables,
                words=title.words + (sapo.words if sapo else []) + body.words,
            )
        )
    return AnalyzedBatch(analysed, _batch_postings(texts))


def _batch_postings(texts: list[_Texts]) -> BatchPostings:
    n = len(texts)
    fold = text.fold_diacritics
    # Title and body syllables of all articles as one stream, numbered once; folded
    # forms, the fields and the pairs are derived from it with numpy.
    title_len = np.array([len(t.title) for t in texts], dtype=np.int64)
    body_len = np.array([len(t.body) for t in texts], dtype=np.int64)
    stream = [s for t in texts for s in (t.title + t.body)]
    syllables = postings.Vocabulary.of(stream)
    folded = syllables.mapped(fold)
    per_doc = title_len + body_len
    docs = np.repeat(np.arange(n, dtype=np.int32), per_doc)
    doc_start = np.zeros(n, dtype=np.int64)
    np.cumsum(per_doc[:-1], out=doc_start[1:])
    local = np.arange(len(stream), dtype=np.int64) - doc_start[docs]  # index in title+body
    in_title = local < title_len[docs]
    in_body = ~in_title
    body_pos = local - title_len[docs]
    # Adjacent syllables, folded (``vo_nho``): a cheap proximity signal at query time,
    # for neighbours that are not one word (``vỏ nho``) as much as for those that are.
    # Not across articles, nor across the title/body boundary.
    joined = (docs[:-1] == docs[1:]) & (in_title[:-1] == in_title[1:])
    compounds = postings.Vocabulary.of([w for t in texts for w in t.words])
    word_docs = np.repeat(np.arange(n, dtype=np.int32), [len(t.words) for t in texts])
    count = postings.count_field
    fields = {
        "title": count(syllables, in_title, docs[in_title], local[in_title], n),
        "title_fold": count(folded, in_title, docs[in_title], local[in_title], n),
        "body": count(syllables, in_body, docs[in_body], body_pos[in_body], n, keep_texts=True),
        "body_fold": count(folded, in_body, docs[in_body], body_pos[in_body], n),
        "words": count(compounds, slice(None), word_docs, None, n),
        "words_fold": count(compounds.mapped(fold), slice(None), word_docs, None, n),
        "pairs": postings.count_pairs(folded, docs, joined, n),
    }
    return BatchPostings(n, fields)
