"""Errors a user can cause. Every surface turns them into one clear message."""

from __future__ import annotations


class SearchkitError(Exception):
    """Base class: the message is meant for the user as it is."""


class IndexNotFoundError(SearchkitError):
    """There is no index at the given path."""


class IndexLockedError(SearchkitError):
    """Another process is writing the index."""


class QuerySyntaxError(SearchkitError):
    """The query string cannot be parsed."""


class InvalidParameterError(QuerySyntaxError):
    """A search parameter other than the query text is invalid (a ``since`` date, …).

    A QuerySyntaxError, so code catching malformed searches catches it; ``name`` says
    which parameter, for surfaces that report parameters apart (HTTP 422)."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


class DocumentNotFoundError(SearchkitError):
    """No document has the given id."""
