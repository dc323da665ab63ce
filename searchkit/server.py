"""The HTTP server (``searchkit serve``): a JSON API and a small server-rendered search page.

Request handling and rendering only: every search and lookup goes through one
:class:`searchkit.search.Index` per app, which is thread-safe and refreshes its searcher
when another process (``searchkit index``) commits, so a running server sees re-indexing
without a restart.

JSON endpoints (see ``/docs`` or ``/openapi.json``):

* ``GET /search?q=&limit=&offset=&since=&until=&author=&category=&sort=&facets=&strict=``:
  ``SearchResult.to_dict()``, as ``searchkit query --json`` prints it (its ``notes`` say
  how a malformed query was read; ``strict=true`` makes one a 400 instead);
* ``GET /documents/{id}``: the stored article (``Index.get(id).to_dict()``, with its body);
* ``GET /documents/{id}/summary?sentences=N``: ``{"id", "summary"}``;
* ``POST /summarize`` ``{"text", "sentences", "method"}``: ``{"summary"}``;
* ``GET /health``: index path, document count, last update.

Errors are ``{"error": "message"}`` (validation errors add FastAPI's ``detail`` list):
400 a malformed query or an unknown summary method, 404 an unknown document or route,
422 a bad parameter. HTML pages: ``/`` (search) and ``/view/{id}`` (one document).

Document ids may contain ``/``; they are only ever looked up in the index, never used as
file paths, so ``../etc/passwd`` is simply an unknown document.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import Body, FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .errors import DocumentNotFoundError, InvalidParameterError, QuerySyntaxError, SearchkitError
from .query import MAX_QUERY_LENGTH
from .records import Document
from .search import Index, open_index
from .text import indexed_text

__all__ = ["create_app", "serve"]

MAX_LIMIT = 100
MAX_OFFSET = 100_000  # deeper paging is refused: each page sorts offset + limit hits
PAGE_SIZE = 10  # hits per HTML page
MAX_SUMMARY_SENTENCES = 100
MAX_SUMMARIZE_CHARS = 1_000_000  # POST /summarize text

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Security headers for the HTML pages: no script may run at all (the pages need none),
# on top of Jinja2's autoescaping of every document field and of the query.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# pyvi (used by summarize) is not known to be thread-safe; requests run in a thread pool.
_summarize_lock = threading.Lock()


# -- models (for the OpenAPI schema) ----------------------------------------------------


class ErrorMessage(BaseModel):
    error: str = Field(..., description="What went wrong, meant for the user as it is.")


class SummarizeRequest(BaseModel):
    text: str = Field(..., max_length=MAX_SUMMARIZE_CHARS, description="The text to summarise.")
    sentences: int = Field(3, ge=1, le=MAX_SUMMARY_SENTENCES, description="Sentences to return.")
    method: str | None = Field(
        None, max_length=100, description="Summary method (default: the learned ranker)."
    )
    title: str | None = Field(None, max_length=10_000, description="The text's title, if any.")


class SummaryResponse(BaseModel):
    summary: list[str]


class DocumentSummary(BaseModel):
    id: str
    summary: list[str]


class Health(BaseModel):
    status: str
    index: str
    documents: int
    last_modified: str


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorMessage, "description": "Malformed query"},
    422: {"model": ErrorMessage, "description": "Bad parameter"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "No document with this id"},
    422: {"model": ErrorMessage, "description": "Bad parameter"},
}


# -- helpers --------------------------------------------------------------------------


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith("/view/")


def _validation_message(errors: list[dict[str, Any]]) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        if len(loc) > 1 and loc[0] in ("query", "path", "header", "cookie", "body"):
            loc = loc[1:]
        name = ".".join(loc) or "request"
        parts.append(f"{name}: {err.get('msg', 'invalid value')}")
    return "invalid parameter: " + "; ".join(parts) if parts else "invalid request"


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


def _paragraphs(body: str) -> list[str]:
    return [line.strip() for line in (body or "").splitlines() if line.strip()]


def _view_url(doc_id: str) -> str:
    from urllib.parse import quote

    return "/view/" + quote(doc_id, safe="/")


def _int_param(value: str | None, default: int, low: int, high: int) -> int:
    """A lenient integer for the HTML page: anything unreadable is the default."""
    try:
        number = int(value) if value not in (None, "") else default
    except ValueError:
        return default
    return min(max(number, low), high)


def _flag(value: str | None) -> bool:
    """A lenient boolean for the HTML page: true, 1, yes or on (any case) is True."""
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
    return env


# -- the app --------------------------------------------------------------------------


def create_app(index_dir: str | Path) -> FastAPI:
    """The FastAPI app serving the index at ``index_dir``.

    The index is opened now: a missing index raises :class:`IndexNotFoundError` here,
    before any server starts.
    """
    index: Index = open_index(index_dir)
    templates = _environment()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        index.close()

    app = FastAPI(
        title="searchkit",
        version=__version__,
        description="Full-text search for Vietnamese news archives, with extractive summaries.",
        lifespan=lifespan,
    )
    app.state.index = index

    def render(template: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
        html = templates.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status_code, headers=_PAGE_HEADERS)

    def page_error(status: int, message: str, q: str = "") -> HTMLResponse:
        return render("error.html", status, status=status, message=message, q=q)

    # -- errors ---------------------------------------------------------------------

    @app.exception_handler(RequestValidationError)
    async def _on_validation(request: Request, exc: RequestValidationError):
        errors = jsonable_encoder(exc.errors(), custom_encoder={Exception: str})
        for err in errors:  # echoed input can be huge (a too-long query)
            if isinstance(err.get("input"), str) and len(err["input"]) > 200:
                err["input"] = err["input"][:200] + "…"
        message = _validation_message(errors)
        if _is_page(request):
            return page_error(422, message)
        return _error(422, message, detail=errors)

    # Registered apart from QuerySyntaxError (its base class): a bad date is a bad
    # parameter (422), not a malformed query (400).
    @app.exception_handler(InvalidParameterError)
    async def _on_bad_parameter(request: Request, exc: InvalidParameterError):
        detail = [{"loc": ["query", exc.name], "msg": str(exc), "type": "value_error"}]
        return _error(422, str(exc), detail=detail)

    @app.exception_handler(QuerySyntaxError)
    async def _on_query_error(request: Request, exc: QuerySyntaxError):
        return _error(400, str(exc))

    @app.exception_handler(DocumentNotFoundError)
    async def _on_not_found(request: Request, exc: DocumentNotFoundError):
        return _error(404, str(exc))

    @app.exception_handler(Exception)
    async def _on_bug(request: Request, exc: Exception):
        # A bug, not the user's doing: still one JSON (or HTML) message, and the
        # traceback in the server's log (Starlette re-raises it after this response).
        message = "internal error: the server could not handle this request (details are in its log)"
        if _is_page(request):
            return page_error(500, message)
        return _error(500, message)

    @app.exception_handler(StarletteHTTPException)
    async def _on_http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404:
            message = f"not found: {request.url.path}"
        return JSONResponse(
            {"error": message}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    # -- JSON API ---------------------------------------------------------------------

    @app.get("/search", responses=_ERRORS, tags=["search"])
    def search(
        q: str = Query(..., max_length=MAX_QUERY_LENGTH, description="The query (searchkit's query syntax)."),
        limit: int = Query(10, ge=1, le=MAX_LIMIT, description="Hits to return."),
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Hits to skip (paging)."),
        since: str | None = Query(None, max_length=40, description="Published on or after (YYYY-MM-DD)."),
        until: str | None = Query(None, max_length=40, description="Published on or before (YYYY-MM-DD)."),
        author: str | None = Query(None, max_length=200, description="Only articles by this author."),
        category: str | None = Query(None, max_length=200, description="Only articles in this category."),
        sort: Literal["relevance", "date"] = Query(
            "relevance", description="relevance, or date (newest first)."
        ),
        facets: bool = Query(False, description="Add counts per publication month and per category."),
        strict: bool = Query(
            False, description="Answer a malformed query with 400 instead of reading it leniently."
        ),
    ) -> dict[str, Any]:
        """Search: the same result as `searchkit query --json`, with `took_ms`."""
        result = index.search(
            q,
            limit=limit,
            offset=offset,
            since=since,
            until=until,
            author=author or None,
            category=category or None,
            sort=sort,
            facets=facets,
            strict=strict,
        )
        return result.to_dict()

    # The summary route first: {doc_id:path} would otherwise swallow "…/summary".
    @app.get(
        "/documents/{doc_id:path}/summary",
        responses=_NOT_FOUND,
        response_model=DocumentSummary,
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
    ) -> dict[str, Any]:
        """A document's summary: the stored one, or one of `sentences` sentences computed now."""
        doc = index.get(doc_id)
        if sentences is None:
            return {"id": doc.id, "summary": doc.summary}
        try:
            from .summary import summarize
        except ImportError:  # pragma: no cover - the summariser ships with searchkit
            return {"id": doc.id, "summary": doc.summary[:sentences]}
        text = indexed_text(doc.sapo, doc.body)
        with _summarize_lock:
            summary = summarize(text, sentences=sentences, title=doc.title or None)
        return {"id": doc.id, "summary": summary}

    @app.get("/documents/{doc_id:path}", responses=_NOT_FOUND, tags=["documents"])
    def document(doc_id: str) -> dict[str, Any]:
        """The stored article with its body and summary."""
        return index.get(doc_id).to_dict()

    @app.post(
        "/summarize",
        response_model=SummaryResponse,
        responses={400: {"model": ErrorMessage, "description": "Unknown method"}, 422: _ERRORS[422]},
        tags=["summaries"],
    )
    def summarize_text(payload: SummarizeRequest = Body(...)) -> dict[str, Any]:
        """Summarise any Vietnamese text (extractive: sentences of the text, in order)."""
        from .summary import summarize

        try:
            with _summarize_lock:
                summary = summarize(
                    payload.text,
                    sentences=payload.sentences,
                    method=payload.method or None,
                    title=payload.title,
                )
        except ValueError as exc:
            return _error(400, str(exc))  # type: ignore[return-value]
        return {"summary": summary}

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> dict[str, Any]:
        """The index being served, its document count and when it was last updated."""
        return {
            "status": "ok",
            "index": str(index.path.resolve()),
            "documents": index.doc_count,
            "last_modified": index.last_modified.isoformat(),
        }

    # -- HTML pages -----------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(
        q: str | None = None,
        offset: str | None = None,
        sort: str | None = None,
        since: str | None = None,
        until: str | None = None,
        author: str | None = None,
        category: str | None = None,
        strict: str | None = None,
    ) -> HTMLResponse:
        q = (q or "").strip()
        sort_by = "date" if sort == "date" else "relevance"
        filters = {
            k: v
            for k, v in (("since", since), ("until", until), ("author", author), ("category", category))
            if v
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
        except QuerySyntaxError as exc:
            context["error"] = str(exc)
            return render("search.html", 400, **context)
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
        )
        return render("search.html", **context)

    @app.get("/view/{doc_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def view(doc_id: str) -> HTMLResponse:
        try:
            doc: Document = index.get(doc_id)
        except DocumentNotFoundError as exc:
            return page_error(404, str(exc))
        return render(
            "document.html",
            doc=doc,
            q="",
            paragraphs=_paragraphs(doc.body),
            url=_safe_url(doc.url),
        )

    return app


# -- running it -------------------------------------------------------------------------


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one clear :class:`SearchkitError`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise SearchkitError(f"cannot listen on {host}:{port}: unknown host ({exc})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SearchkitError(f"port {port} on {host} is already in use (try another --port)") from None
        if exc.errno == errno.EACCES:
            raise SearchkitError(f"not allowed to listen on {host}:{port}: pick a port above 1023") from None
        raise SearchkitError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    index_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info"
) -> None:
    """Serve the index at ``index_dir`` until interrupted.

    Raises :class:`SearchkitError` (a one-line message) when the index is missing or the
    address cannot be bound, before anything is served.
    """
    import uvicorn

    app = create_app(index_dir)
    sock = _listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"searchkit: serving {Path(index_dir)}/ at http://{shown}:{sock.getsockname()[1]}/ (Ctrl+C to stop)",
        flush=True,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, server_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
