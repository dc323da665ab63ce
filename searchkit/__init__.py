"""searchkit: full-text search for Vietnamese news archives, with extractive summaries.

The public API::

    import searchkit
    report = searchkit.index_paths(["corpus/"], "index/")   # build or update
    ix = searchkit.open_index("index/")
    for hit in ix.search("nông thôn mới", limit=10).hits:
        print(hit.id, hit.title, hit.score, hit.snippet)
    ix.get("doi-moi-tu-duy-hanh-dong-quyet-liet.txt")   # a Document

Names are imported on first use, so ``import searchkit`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# The public API, one explicit list: each name and the module it is imported from on
# first use. ``__all__`` is this table's keys (tests/test_structure.py checks every
# name resolves).
_WHERE = {
    "Article": "articles",
    "Document": "records",
    "Hit": "records",
    "Index": "search",
    "SearchResult": "records",
    "open_index": "search",
    "summarize": "summary",
    "IndexReport": "index",
    "index_paths": "index",
    "SearchkitError": "errors",
    "IndexNotFoundError": "errors",
    "IndexLockedError": "errors",
    "IndexDamagedError": "errors",
    "QuerySyntaxError": "errors",
    "InvalidParameterError": "errors",
    "DocumentNotFoundError": "errors",
}

__all__ = list(_WHERE)

if TYPE_CHECKING:  # the same names for type checkers ("X as X": re-exported)
    from .articles import Article as Article
    from .errors import (
        DocumentNotFoundError as DocumentNotFoundError,
        IndexDamagedError as IndexDamagedError,
        IndexLockedError as IndexLockedError,
        IndexNotFoundError as IndexNotFoundError,
        InvalidParameterError as InvalidParameterError,
        QuerySyntaxError as QuerySyntaxError,
        SearchkitError as SearchkitError,
    )
    from .index import IndexReport as IndexReport, index_paths as index_paths
    from .records import Document as Document, Hit as Hit, SearchResult as SearchResult
    from .search import Index as Index, open_index as open_index
    from .summary import summarize as summarize


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
