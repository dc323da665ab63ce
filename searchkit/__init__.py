"""searchkit: full-text search for Vietnamese news archives, with extractive summaries.

The public API::

    import searchkit
    report = searchkit.index_paths(["corpus/"], "index/")   # build or update
    ix = searchkit.open_index("index/")
    for hit in ix.search("nông thôn mới", limit=10).hits:
        print(hit.id, hit.title, hit.score, hit.snippet)
    ix.get("doi-moi-tu-duy-hanh-dong-quyet-liet.txt")

Names are imported on first use, so ``import searchkit`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "Article",
    "Hit",
    "Index",
    "IndexReport",
    "SearchResult",
    "SearchkitError",
    "IndexNotFoundError",
    "QuerySyntaxError",
    "DocumentNotFoundError",
    "index_paths",
    "open_index",
    "summarize",
]

_WHERE = {
    "Article": "articles",
    "Hit": "search",
    "Index": "search",
    "SearchResult": "search",
    "open_index": "search",
    "summarize": "summary",
    "IndexReport": "index",
    "index_paths": "index",
    "SearchkitError": "errors",
    "IndexNotFoundError": "errors",
    "QuerySyntaxError": "errors",
    "DocumentNotFoundError": "errors",
}

if TYPE_CHECKING:
    from .articles import Article
    from .errors import DocumentNotFoundError, IndexNotFoundError, QuerySyntaxError, SearchkitError
    from .index import IndexReport, index_paths
    from .search import Hit, Index, SearchResult, open_index
    from .summary import summarize


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'searchkit' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
