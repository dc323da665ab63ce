"""The records searchkit hands out: a stored :class:`Document` and a search :class:`Hit`.

An article's fields are written out once, here. The indexer builds a Document from an
:class:`~searchkit.articles.Article` and its summary and stores :meth:`Document.stored`;
the reader rebuilds it with :meth:`Document.from_stored`; a Hit is a Document with the
score and the passage of one search. ``Index.get`` returns a Document, ``Index.search``
Hits, and the HTTP server's response models are generated from both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .articles import Article

__all__ = ["Document", "Hit"]


@dataclass(frozen=True)
class Document:
    """One article as the index stores it, with its extractive summary."""

    id: str
    title: str = ""
    sapo: str = ""  # the lead paragraph, when the source has one apart from the body
    body: str = ""  # paragraphs separated by "\n"
    date: str | None = None  # ISO 8601 with the source's UTC offset
    author: str = ""
    url: str = ""
    path: str = ""  # the file it came from, relative to the indexed root
    category: str = ""
    tags: list[str] = field(default_factory=list)
    views: int | None = None
    photo_credit: str = ""
    summary: list[str] = field(default_factory=list)

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
    score: float
    snippet: str
    highlights: list[tuple[int, int]] = field(default_factory=list)

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
