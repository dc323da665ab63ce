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


class IndexDamagedError(SearchkitError):
    """A file of the index is missing, truncated or fails its checksum: the message names
    it and says how to repair (``searchkit check --repair``) or rebuild the index.

    503 as for a missing index: the server keeps running and answers again once the index
    is repaired or rebuilt."""

    http_status = 503

    @classmethod
    def in_file(cls, index_dir: object, name: str, problem: str) -> IndexDamagedError:
        """The one-line error for the damaged file ``name`` of the index at ``index_dir``."""
        error = cls(
            f"the index at {index_dir}/ is damaged: {name} {problem}; run `searchkit check "
            f"--index {index_dir} --repair`, or rebuild it with `searchkit index --rebuild`"
        )
        error.file, error.problem = name, problem
        return error

    file: str = ""  # the damaged file's name, and what is wrong with it
    problem: str = ""
