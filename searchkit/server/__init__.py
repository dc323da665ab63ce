"""The HTTP server (``searchkit serve``): a JSON API and a small server-rendered search page.

One :class:`searchkit.search.Index` per app serves both routers: ``api`` (the JSON API,
documented at ``/docs`` and ``/openapi.json``) and ``pages`` (``/`` and ``/view/{id}``).
Every error goes through one handler (``errors``): ``{"error": message}`` with the status
the error carries, or the same message as a page on a page route. The Index is
thread-safe and refreshes when another process (``searchkit index``) commits, so a running
server sees re-indexing without a restart.

Document ids may contain ``/``; they are only ever looked up in the index, never used as
file paths, so ``../etc/passwd`` is simply an unknown document.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from .. import __version__
from ..errors import SearchkitError
from ..search import open_index
from . import api, pages
from .errors import install_error_handler
from .pages import highlight_parts

__all__ = ["create_app", "serve", "highlight_parts"]


def create_app(index_dir: str | Path) -> FastAPI:
    """The FastAPI app serving the index at ``index_dir``.

    The index is opened now: a missing index raises :class:`IndexNotFoundError` here,
    before any server starts.
    """
    index = open_index(index_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        index.close()

    app = FastAPI(
        title="searchkit",
        version=__version__,
        description="Full-text search for Vietnamese news archives, with extractive summaries.",
        lifespan=lifespan,
    )
    app.state.index = index
    install_error_handler(app, render_page=pages.error_page_renderer)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app


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
