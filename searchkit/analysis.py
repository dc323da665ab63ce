"""Text analysis for the index: Whoosh analyzers and the per-article analysis.

Two faces:

* Whoosh analyzers built the Whoosh way, ``SyllableTokenizer() | FoldFilter()``, for
  the small fields Whoosh indexes itself (author);
* :func:`analyze_batch`, the expensive part of indexing (segmentation, summary), a
  plain function over plain data so it can run in worker processes. Its output is each
  text field's terms already counted (:class:`searchkit.postings.BatchPostings`), which
  the writer lays out in postings files with little work of its own.

The text fields, their zones and their terms are one table, :data:`searchkit.fields.TEXT_FIELDS`;
:func:`_batch_postings` counts whatever it lists.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress

import numpy as np
from whoosh.analysis import Filter, Tokenizer
from whoosh.analysis.acore import Token as WhooshToken

from . import postings, segment, text
from .articles import Article
from .fields import TEXT_FIELDS, ZONES
from .postings import BatchPostings
from .sentences import encode_sentence_ends, split_sentences
from .summary import IndexedText, summarize_indexed_batch

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
    sentence_ends: bytes = b""  # of its indexed text (sentences.encode_sentence_ends), for passages


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
class _Zone:
    """The token streams of one zone of an article (fields.ZONES) that its text fields are made of."""

    syllables: list[str]
    words: list[str]  # compounds of 2+ syllables, "_"-joined


def _segmented(article: Article) -> tuple[_Segmented, _Segmented | None, _Segmented]:
    """Title, sapo and body, segmented (the body with its word spans, for the summary)."""
    return (
        _segment(article.title),
        _segment(article.sapo) if article.sapo else None,
        _segment(article.body, spans=True),
    )


def _sentence_ends(article: Article, normalised_body: str, body_sentences: list[tuple[int, int]]) -> bytes:
    """``encode_sentence_ends`` of the article's indexed text (sapo, then body, stripped),
    reusing the body's split: every newline ends a sentence and lines are split on their
    own, so the text's sentences are the sapo's, then the body's moved past the sapo and
    its newline. The body's split is that of its normal form, which only stands for the
    body as given when normalising changed nothing; otherwise the text is split again."""
    indexed = text.indexed_text(article.sapo, article.body)
    if normalised_body != article.body:
        return encode_sentence_ends(indexed.strip())
    ends = [end for _, end in split_sentences(article.sapo)] if article.sapo else []
    offset = len(indexed) - len(article.body)
    stripped = len(indexed) - len(indexed.lstrip())  # spans never start in that whitespace
    ends += [offset + end for _, end in body_sentences]
    return array("I", [end - stripped for end in ends]).tobytes()


def analyze_batch(articles: Sequence[Article]) -> AnalyzedBatch:
    """Analyse ``articles`` (the costly step: runs pyvi) and count their text fields.

    pyvi runs over the whole batch first and the summaries after it: its CRF model's
    tables then stay in the processor's caches instead of being evicted article by
    article. Counting works on the whole batch at once, a few numpy calls per field
    rather than per article: per-call overhead, not arithmetic, is what small arrays cost.
    """
    segmented = [_segmented(a) for a in articles]
    # The body is split into sentences once, for its summary and for its stored ends.
    body_sentences = [split_sentences(body.text) for _, _, body in segmented]
    # The summaries reuse the body's segmentation: pyvi is the costly step, run it once.
    # summarize_indexed_batch applies the one document-summary rule (body helped by the
    # title, sapo left out), the rule every other surface applies too, to the whole batch
    # at once: each article gets the summary it would get alone.
    summaries = summarize_indexed_batch(
        [
            IndexedText(article, body.text, body.word_spans, body.forms, title.syllables, sentences)
            for article, (title, _, body), sentences in zip(articles, segmented, body_sentences)
        ]
    )
    analysed, texts = [], []
    for article, (title, sapo, body), sentences, summary in zip(
        articles, segmented, body_sentences, summaries
    ):
        ends = _sentence_ends(article, body.text, sentences)
        analysed.append(AnalyzedArticle(article, summary, ends))
        zones = {
            "title": _Zone(title.syllables, title.words),
            "body": _Zone(
                (sapo.syllables if sapo else []) + body.syllables, (sapo.words if sapo else []) + body.words
            ),
        }
        texts.append([zones[name] for name in ZONES])
    return AnalyzedBatch(analysed, _batch_postings(texts))


def _batch_postings(texts: list[list[_Zone]]) -> BatchPostings:
    """Count every text field of the table for a batch; ``texts`` holds each article's
    zones in the order of fields.ZONES."""
    n = len(texts)
    fold = text.fold_diacritics
    # Every zone's syllables of every article as one stream, numbered once; the folded
    # forms, each field's selection and positions and the pairs are derived from it
    # with numpy, as are the compound words from the stream of words.
    # Terms in their one spelling (text.canonical_spelling: i/y, numbers), as queries look them up.
    spell = text.canonical_spelling
    syllables = postings.Vocabulary.of([s for zones in texts for zone in zones for s in zone.syllables])
    syllables = syllables.mapped(spell)
    zone_of, docs, positions = _stream_layout([[len(z.syllables) for z in zones] for zones in texts])
    words = postings.Vocabulary.of([w for zones in texts for zone in zones for w in zone.words]).mapped(spell)
    word_zone, word_docs, _ = _stream_layout([[len(z.words) for z in zones] for zones in texts])
    vocabularies: dict[str, postings.Vocabulary] = {}

    def vocabulary(terms: str) -> postings.Vocabulary:
        if terms not in vocabularies:
            vocabularies[terms] = {
                "syllables": lambda: syllables,
                "folded": lambda: syllables.mapped(fold),
                "words": lambda: words,
                "folded_words": lambda: words.mapped(fold),
            }[terms]()
        return vocabularies[terms]

    counted = {}
    for text_field in TEXT_FIELDS:
        if text_field.terms == "pairs":
            # Adjacent syllables, folded (``vo_nho``): a cheap proximity signal at query
            # time, for neighbours that are not one word (``vỏ nho``) as much as for those
            # that are. Never across articles or zones.
            joined = (docs[:-1] == docs[1:]) & (zone_of[:-1] == zone_of[1:])
            if text_field.zone is not None:
                joined &= zone_of[:-1] == ZONES.index(text_field.zone)
            counted[text_field.name] = postings.count_pairs(vocabulary("folded"), docs, joined, n)
            continue
        in_words = text_field.terms in ("words", "folded_words")
        zone, field_docs = (word_zone, word_docs) if in_words else (zone_of, docs)
        select: np.ndarray | slice = (
            slice(None) if text_field.zone is None else zone == ZONES.index(text_field.zone)
        )
        if text_field.first is not None:  # (syllable fields only: fields.py)
            leading = positions < text_field.first
            select = leading if isinstance(select, slice) else select & leading
        kept = positions[select] if text_field.positional and not in_words else None
        counted[text_field.name] = postings.count_field(
            vocabulary(text_field.terms),
            select,
            field_docs[select],
            kept,
            n,
            keep_texts=text_field.keep_texts,
        )
    return BatchPostings(n, counted)


def _stream_layout(sizes: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a stream of tokens made of each document's zones of ``sizes[doc][zone]``
    tokens: each token's zone number, document and position within its zone."""
    n = len(sizes)
    per_zone = np.array(sizes, dtype=np.int64).reshape(n, len(ZONES)).ravel()
    zone_of = np.tile(np.arange(len(ZONES), dtype=np.int64), n).repeat(per_zone)
    docs = np.repeat(np.arange(n, dtype=np.int32), per_zone.reshape(n, len(ZONES)).sum(axis=1))
    zone_start = np.zeros(len(per_zone), dtype=np.int64)
    np.cumsum(per_zone[:-1], out=zone_start[1:])
    positions = np.arange(int(per_zone.sum()), dtype=np.int64) - np.repeat(zone_start, per_zone)
    return zone_of, docs, positions
