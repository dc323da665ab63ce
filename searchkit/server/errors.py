"""The server's one error handler: every error becomes ``{"error": message}`` with its HTTP
status (a page route gets the same message as an HTML page).

Statuses come from the errors themselves (``SearchkitError.http_status``); FastAPI's
validation errors are bad parameters (422), Starlette's HTTP errors keep their status, and
anything else is a bug: 500 with a generic message, the traceback in the server's log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import SearchkitError

__all__ = ["install_error_handler", "error_status_and_message"]

BUG_MESSAGE = "internal error: the server could not handle this request (details are in its log)"


def _validation_message(errors: list[Any]) -> str:
    """``invalid parameter: limit: Input should be greater than or equal to 1`` (FastAPI's
    own list would echo the whole input, a too-long query included)."""
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        if len(loc) > 1 and loc[0] in ("query", "path", "header", "cookie", "body"):
            loc = loc[1:]
        parts.append(f"{'.'.join(loc) or 'request'}: {err.get('msg', 'invalid value')}")
    return "invalid parameter: " + "; ".join(parts) if parts else "invalid request"


def error_status_and_message(request: Request, exc: Exception) -> tuple[int, str]:
    """The HTTP status and the one-line message for ``exc``."""
    if isinstance(exc, SearchkitError):
        return exc.http_status, str(exc)
    if isinstance(exc, RequestValidationError):
        return 422, _validation_message(list(exc.errors()))
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            return 404, f"not found: {request.url.path}"
        return exc.status_code, exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return 500, BUG_MESSAGE


def install_error_handler(app: FastAPI, render_page: Callable[[int, str], Response]) -> None:
    """Route every error of ``app`` through one handler. On a page route (one whose
    endpoint is marked ``is_page``, see :func:`searchkit.server.pages.page_route`) the
    message is rendered by ``render_page(status, message)``."""

    async def handle(request: Request, exc: Exception) -> Response:
        status, message = error_status_and_message(request, exc)
        if _is_page(request):
            return render_page(status, message)
        headers = getattr(exc, "headers", None) if isinstance(exc, StarletteHTTPException) else None
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    # Exception covers bugs (Starlette then re-raises them into the server's log).
    for kind in (SearchkitError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, handle)


def _is_page(request: Request) -> bool:
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    return bool(getattr(endpoint, "is_page", False))
