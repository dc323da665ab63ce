"""The JSON API: ``/search``, ``/export``, ``/documents/{id}``, ``/documents/{id}/summary``,
``/summarize`` and ``/health``. Handlers only read parameters and call the library; errors
are raised as they come and rendered by the one handler (errors.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import StreamingResponse

from ..export import MEDIA_TYPES, export_text
from ..query import MAX_QUERY_LENGTH
from ..search import Index
from ..summary import SUMMARY_SENTENCES, summarize, summarize_article
from .models import (
    MAX_SUMMARY_SENTENCES,
    DocumentModel,
    DocumentSummary,
    ErrorMessage,
    Health,
    SearchResultModel,
    SummarizeRequest,
    SummaryResponse,
)

__all__ = ["router", "current_index", "MAX_LIMIT", "MAX_OFFSET"]

MAX_LIMIT = 100
MAX_OFFSET = 100_000  # deeper paging is refused: each page sorts offset + limit hits

# pyvi's tagger holds state between calls and requests run in a thread pool.
_summarize_lock = threading.Lock()


def current_index(request: Request) -> Index:
    """The app's one Index (thread-safe; it refreshes when another process commits)."""
    index: Index = request.app.state.index
    return index


def search_parameters(
    q: str = Query(..., max_length=MAX_QUERY_LENGTH, description="The query (searchkit's query syntax)."),
    since: str | None = Query(None, max_length=40, description="Published on or after (YYYY-MM-DD)."),
    until: str | None = Query(None, max_length=40, description="Published on or before (YYYY-MM-DD)."),
    author: str | None = Query(None, max_length=200, description="Only articles by this author."),
    category: str | None = Query(None, max_length=200, description="Only articles in this category."),
    sort: Literal["relevance", "date"] = Query("relevance", description="relevance, or date (newest first)."),
    strict: bool = Query(
        False, description="Answer a malformed query with 400 instead of reading it leniently."
    ),
) -> dict[str, Any]:
    """The query, filters and order shared by `/search` and `/export`, as the keyword
    arguments of `Index.search` and `Index.search_all` (so both read them alike)."""
    return {
        "query": q,
        "since": since,
        "until": until,
        "author": author or None,
        "category": category or None,
        "sort": sort,
        "strict": strict,
    }


def _error(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorMessage, "description": description}}


_BAD_PARAMETER = _error(422, "Bad parameter")
_NOT_FOUND = _error(404, "No document with this id")

router = APIRouter(responses=_BAD_PARAMETER)  # every route's 422 is {"error": …}


@router.get(
    "/search",
    response_model=SearchResultModel,
    response_model_exclude_unset=True,  # facets only when asked for, as in `query --json`
    responses={**_error(400, "Malformed query, or no word to search for"), **_BAD_PARAMETER},
    tags=["search"],
)
def search(
    limit: int = Query(10, ge=1, le=MAX_LIMIT, description="Hits to return."),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Hits to skip (paging)."),
    facets: bool = Query(False, description="Add counts per publication month, category and author."),
    search: dict[str, Any] = Depends(search_parameters),
    index: Index = Depends(current_index),
) -> dict[str, Any]:
    """Search: the same result as `searchkit query --json`, with `took_ms`."""
    result = index.search(**search, limit=limit, offset=offset, facets=facets)
    return result.to_dict()


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every match: JSON Lines, or CSV (UTF-8 with a byte-order mark).",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
        **_error(400, "Malformed query, or no word to search for"),
        **_BAD_PARAMETER,
    },
    tags=["search"],
)
def export(
    format: Literal["jsonl", "csv"] = Query("jsonl", description="jsonl (JSON Lines) or csv."),
    search: dict[str, Any] = Depends(search_parameters),
    index: Index = Depends(current_index),
) -> StreamingResponse:
    """Every match of a search, streamed: a row per hit with its id, title, date, author,
    url, score, passage and summary. The same matches, in the same order, as paging
    through `/search` with the same parameters."""
    matches = index.search_all(**search)

    def pieces() -> Iterator[bytes]:
        try:
            for piece in export_text(matches, format):
                yield piece.encode("utf-8")
        finally:
            matches.close()

    return StreamingResponse(
        pieces(),
        media_type=MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="searchkit-export.{format}"',
            "X-Total-Count": str(matches.total),
        },
    )


# The summary route first: {doc_id:path} would otherwise swallow "…/summary".
@router.get(
    "/documents/{doc_id:path}/summary",
    response_model=DocumentSummary,
    responses={**_NOT_FOUND, **_BAD_PARAMETER},
    tags=["documents"],
)
def document_summary(
    doc_id: str,
    sentences: int | None = Query(
        None,
        ge=1,
        le=MAX_SUMMARY_SENTENCES,
        description="Compute a summary of this many sentences (default: the stored summary).",
    ),
    method: str | None = Query(None, max_length=100, description="Summary method (default: learned)."),
    q: str | None = Query(
        None,
        max_length=MAX_QUERY_LENGTH,
        description="Summarise for this query: the sentences that answer it.",
    ),
    index: Index = Depends(current_index),
) -> dict[str, Any]:
    """A document's summary: the stored one, or one computed now by the same rule (for a
    query, with `q`)."""
    doc = index.get(doc_id)
    if sentences is None and method is None and q is None:
        return {"id": doc.id, "summary": doc.summary}
    with _summarize_lock:
        summary = summarize_article(doc, sentences or SUMMARY_SENTENCES, method, query=q)
    return {"id": doc.id, "summary": summary}


@router.get(
    "/documents/{doc_id:path}", response_model=DocumentModel, responses=_NOT_FOUND, tags=["documents"]
)
def document(doc_id: str, index: Index = Depends(current_index)) -> dict[str, Any]:
    """The stored article with its body and summary."""
    return index.get(doc_id).to_dict()


@router.post("/summarize", response_model=SummaryResponse, responses=_BAD_PARAMETER, tags=["summaries"])
def summarize_text(payload: SummarizeRequest = Body(...)) -> dict[str, Any]:
    """Summarise any Vietnamese text (extractive: sentences of the text, in order)."""
    with _summarize_lock:
        summary = summarize(
            payload.text, payload.sentences, payload.method or None, title=payload.title, query=payload.query
        )
    return {"summary": summary}


@router.get("/health", response_model=Health, tags=["service"])
def health(index: Index = Depends(current_index)) -> dict[str, Any]:
    """The index being served, its document count and when it was last updated."""
    return {
        "status": "ok",
        "index": str(index.path.resolve()),
        "documents": index.doc_count,
        "last_modified": index.last_modified.isoformat(),
    }
