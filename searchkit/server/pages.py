"""The HTML pages: the search page (``/``) and one article (``/view/{id}``), rendered on
the server with Jinja2 and working without JavaScript. Parameters are read leniently (a
page never answers 422): anything unreadable takes its default."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from .. import __version__
from ..errors import QuerySyntaxError
from ..search import Index
from .api import MAX_OFFSET, current_index
from .messages import in_vietnamese, no_result_hints

__all__ = ["router", "page_route", "highlight_parts", "error_page_renderer"]

PAGE_SIZE = 10  # hits per page
TEMPLATES = Path(__file__).resolve().parent / "templates"

# No script may run at all (the pages need none), on top of Jinja2's autoescaping of every
# document field and of the query.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def page_route(endpoint: _Endpoint) -> _Endpoint:
    """Mark ``endpoint`` as a page, so that the error handler answers it with HTML."""
    endpoint.is_page = True  # type: ignore[attr-defined]
    return endpoint


def highlight_parts(
    snippet: str, highlights: list[tuple[int, int]] | list[list[int]]
) -> list[tuple[str, bool]]:
    """``snippet`` cut into ``(text, highlighted)`` pieces from ``[start, end)`` offsets.

    Offsets out of range or overlapping an earlier span are clamped or dropped, so a bad
    offset can never break the page; the template escapes every piece.
    """
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted((int(s), int(e)) for s, e in highlights):
        start, end = max(start, at), min(end, len(snippet))
        if start >= end:
            continue
        if start > at:
            parts.append((snippet[at:start], False))
        parts.append((snippet[start:end], True))
        at = end
    if at < len(snippet):
        parts.append((snippet[at:], False))
    return parts


def _display_date(iso: str | None) -> str:
    """``2023-03-09T08:21:54+07:00`` → ``2023-03-09 08:21``."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:16].replace("T", " ")
    if moment.hour == moment.minute == moment.second == 0:
        return moment.strftime("%Y-%m-%d")
    return moment.strftime("%Y-%m-%d %H:%M")


def _safe_url(url: str) -> str | None:
    """Only http(s) links are rendered (a ``javascript:`` URL in a document must not be)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def _view_url(doc_id: str) -> str:
    return "/view/" + quote(doc_id, safe="/")


def _int_param(value: str | None, default: int, low: int, high: int) -> int:
    """A lenient integer: anything unreadable is the default."""
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return min(max(number, low), high)


def _flag(value: str | None) -> bool:
    """A lenient boolean: true, 1, yes or on (any case) is True."""
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every document field and the query are escaped
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(view_url=_view_url, display_date=_display_date, version=__version__)
    env.filters["vi"] = in_vietnamese
    return env


_templates = _environment()


def render(template: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    html = _templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def error_page_renderer(status: int, message: str) -> HTMLResponse:
    """The page the error handler shows for an error on a page route."""
    return render("error.html", status, status=status, message=message, q="")


router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@page_route
def search_page(
    q: str | None = None,
    offset: str | None = None,
    sort: str | None = None,
    since: str | None = None,
    until: str | None = None,
    author: str | None = None,
    category: str | None = None,
    strict: str | None = None,
    index: Index = Depends(current_index),
) -> HTMLResponse:
    q = (q or "").strip()
    sort_by = "date" if sort == "date" else "relevance"
    filters = {
        k: v for k, v in (("since", since), ("until", until), ("author", author), ("category", category)) if v
    }
    if _flag(strict):  # kept, like the filters, in the form and the paging links
        filters["strict"] = "true"
    context: dict[str, Any] = {"q": q, "sort": sort_by, "filters": filters, "result": None, "error": None}
    if not q:
        return render("search.html", **context)
    start = _int_param(offset, 0, 0, MAX_OFFSET)
    started = time.perf_counter()
    try:
        result = index.search(
            q,
            limit=PAGE_SIZE,
            offset=start,
            since=since or None,
            until=until or None,
            author=author or None,
            category=category or None,
            sort=sort_by,  # type: ignore[arg-type]
            strict="strict" in filters,
        )
    except QuerySyntaxError as exc:  # shown in the page, with the form to correct it
        context["error"] = str(exc)
        return render("search.html", exc.http_status, **context)
    context["took_ms"] = (time.perf_counter() - started) * 1000

    def link(**changes: Any) -> str:
        params = {"q": q, **({"sort": sort_by} if sort_by != "relevance" else {}), **filters, **changes}
        return "/?" + urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})

    context.update(
        result=result,
        hits=[
            {"hit": hit, "parts": highlight_parts(hit.snippet.replace("\n", " "), hit.highlights)}
            for hit in result.hits
        ],
        first=start + 1,
        last=start + len(result.hits),
        prev_url=link(offset=max(0, start - PAGE_SIZE)) if start > 0 else None,
        next_url=link(offset=start + PAGE_SIZE) if start + len(result.hits) < result.total else None,
        suggestion_url=("/?" + urlencode({"q": result.suggestion})) if result.suggestion else None,
        hints=no_result_hints(q, filtered=bool(set(filters) - {"strict"})) if not result.total else [],
    )
    return render("search.html", **context)


@router.get("/view/{doc_id:path}", response_class=HTMLResponse)
@page_route
def article_page(doc_id: str, index: Index = Depends(current_index)) -> HTMLResponse:
    doc = index.get(doc_id)  # an unknown id: the error handler's 404 page
    paragraphs = [line.strip() for line in doc.body.splitlines() if line.strip()]
    return render("document.html", doc=doc, q="", paragraphs=paragraphs, url=_safe_url(doc.url))
