"""Errors a user can cause. Every surface turns them into one clear message.

Each class carries how the surfaces report it, so that no surface keeps its own table:
``http_status`` for the server's one error handler and ``exit_code`` for the CLI (1 an
error, 2 bad usage, as the README's exit statuses say).
"""

from __future__ import annotations


class SearchkitError(Exception):
    """Base class: the message is meant for the user as it is."""

    http_status: int = 500
    exit_code: int = 1


class IndexNotFoundError(SearchkitError):
    """There is no index at the given path."""

    http_status = 503


class IndexLockedError(SearchkitError):
    """Another process is writing the index."""

    http_status = 503


class QuerySyntaxError(SearchkitError):
    """The query string cannot be parsed (or has nothing to search for)."""

    http_status = 400


class InvalidParameterError(QuerySyntaxError):
    """A parameter other than the query text is invalid (a ``since`` date, a sort order, a
    summary method, …).

    A QuerySyntaxError, so code catching malformed searches catches it; ``name`` says
    which parameter, for surfaces that report parameters apart (HTTP 422, CLI usage)."""

    http_status = 422
    exit_code = 2

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


class DocumentNotFoundError(SearchkitError):
    """No document has the given id."""

    http_status = 404
