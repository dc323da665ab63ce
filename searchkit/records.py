"""The records searchkit hands out: a stored :class:`Document` and a search :class:`Hit`.

An article's fields are written out once, here. The indexer builds a Document from an
:class:`~searchkit.articles.Article` and its summary and stores :meth:`Document.stored`;
the reader rebuilds it with :meth:`Document.from_stored`; a Hit is a Document with the
score and the passage of one search. ``Index.get`` returns a Document, ``Index.search``
Hits, and the HTTP server's response models are generated from both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, overload

from .articles import Article

__all__ = ["Document", "Hit", "MatchedDocument", "SearchResult"]

_REQUIRED: Any = MISSING


def _described(description: str, default: Any = _REQUIRED, *, factory: Any = _REQUIRED) -> Any:
    """A dataclass field with its description, which the HTTP server's schema shows."""
    meta = {"description": description}
    if factory is not _REQUIRED:
        return field(default_factory=factory, metadata=meta)
    if default is not _REQUIRED:
        return field(default=default, metadata=meta)
    return field(metadata=meta)


@dataclass(frozen=True)
class Document:
    """One article as the index stores it, with its extractive summary."""

    id: str = _described("The document's id: a JSON record's own, or the text file's path.")
    title: str = _described("The headline.", "")
    sapo: str = _described("The lead paragraph, when the source has one apart from the body.", "")
    body: str = _described("The article's text, paragraphs separated by newlines.", "")
    date: str | None = _described("Publication time, ISO 8601 with the source's UTC offset.", None)
    author: str = _described("The byline.", "")
    url: str = _described("Where the article was published.", "")
    path: str = _described("The file it came from, relative to the indexed root.", "")
    category: str = _described("The section, as the source spells it.", "")
    tags: list[str] = _described("The source's tags.", factory=list)
    views: int | None = _described("The view count the page showed when saved.", None)
    photo_credit: str = _described("The photographer's credit line.", "")
    summary: list[str] = _described("The extractive summary: sentences of the body, in order.", factory=list)

    @classmethod
    def from_article(cls, article: Article, summary: list[str]) -> Document:
        values = {f.name: getattr(article, f.name) for f in fields(cls) if f.name not in ("date", "summary")}
        values["tags"] = list(article.tags)
        return cls(**values, date=article.date.isoformat() if article.date else None, summary=list(summary))

    def stored(self) -> dict[str, Any]:
        """The stored value kept in the index: every field but the id (a Whoosh field of its own)."""
        data = asdict(self)
        del data["id"]
        return data

    @classmethod
    def from_stored(cls, doc_id: str, stored: dict[str, Any]) -> Document:
        """The Document for a stored value (fields missing from an older index take their defaults)."""
        names = {f.name for f in fields(cls)} - {"id"}
        values = {k: v for k, v in stored.items() if k in names and v is not None}
        for listed in ("tags", "summary"):
            if listed in values:
                values[listed] = list(values[listed])
        return cls(id=doc_id, **values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_DOCUMENT_FIELDS = frozenset(f.name for f in fields(Document))


@dataclass(frozen=True)
class Hit:
    """One search result: a document, its score and the passage that matches.

    ``snippet`` is plain text; ``highlights`` are ``[start, end)`` character offsets into
    ``snippet`` of the matched words, for the surface to mark up as it likes. The
    document's fields read through (``hit.title`` is ``hit.document.title``).
    """

    document: Document
    score: float = _described("BM25F relevance: higher is better; comparable within one search only.")
    snippet: str = _described("The passage that matches the query, plain text.")
    highlights: list[tuple[int, int]] = _described(
        "[start, end) character offsets into snippet of the matched words.", factory=list
    )

    def __getattr__(self, name: str) -> Any:
        # Only called for names the Hit itself lacks; only the document's fields read through.
        if name in _DOCUMENT_FIELDS:
            return getattr(self.document, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """The document's fields but its body (a hit shows the passage instead), and the
        score and passage: one flat object, as ``--json`` and ``/search`` give it."""
        document = self.document.to_dict()
        del document["body"]
        first = {"id": document.pop("id"), "title": document.pop("title")}
        passage = {
            "score": self.score,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
        }
        return {**first, **passage, **document}


@dataclass(frozen=True)
class MatchedDocument:
    """A stored document read for a query: the hit it makes (its passage and the
    passage's highlights) and ``[start, end)`` offsets of the query's matched words in its
    ``title``, ``sapo`` and ``body`` as stored, for a page showing the whole article."""

    hit: Hit
    title_highlights: list[tuple[int, int]]
    sapo_highlights: list[tuple[int, int]]
    body_highlights: list[tuple[int, int]]

    @property
    def document(self) -> Document:
        return self.hit.document


@dataclass
class SearchResult(Sequence[Hit]):
    """A page of hits with the total number of matching documents.

    A sequence of its hits (``for hit in ix.search(q)``, ``len()``, indexing); ``total``
    counts every matching document, not only this page. ``notes`` say, in a line each,
    where the query was read other than as typed (a stray quote dropped, the match
    relaxed because no document has every word, or few have most of a long query's);
    ``relaxed`` is True in the latter case.
    """

    query: str = _described("The query as given.")
    total: int = _described("How many documents match (every page, not only this one).")
    hits: list[Hit] = _described("This page of hits, best first (or newest first).")
    offset: int = _described("Hits skipped before this page.", 0)
    suggestion: str | None = _described(
        "A query that would find more, when this one finds little (did you mean …?).", None
    )
    facets: dict[str, dict[str, int]] | None = _described(
        "With facets: matching documents per publication month, category and author.", None
    )
    took_ms: float = _described("How long the search took, in milliseconds.", 0.0)
    notes: list[str] = _described("How the query was read where not as typed, a line each.", factory=list)
    relaxed: bool = _described(
        "True when the match rule was relaxed: no document had what it asks for (for a long query, few did).",
        False,
    )

    def __len__(self) -> int:
        return len(self.hits)

    @overload
    def __getitem__(self, index: int) -> Hit: ...

    @overload
    def __getitem__(self, index: slice) -> list[Hit]: ...

    def __getitem__(self, index: int | slice) -> Hit | list[Hit]:
        return self.hits[index]

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            "notes": list(self.notes),
            "relaxed": self.relaxed,
            "took_ms": round(self.took_ms, 2),
        }
        if self.facets is not None:
            data["facets"] = self.facets
        return data
