"""Searching an index: query expansion, ranking, filters, facets and highlighting.

This module is the only reader of an index; the CLI, the Python API and the HTTP server
all go through :class:`Index`.

How a bare query word is matched (one "scoring unit" per syllable):

* with diacritics (``mới``): the exact-form fields (``title``, ``body``) at full weight,
  plus the folded fields (``title_fold``, ``body_fold``) at ``FOLD_WEIGHT``, so a document
  that only has ``mỗi`` still matches but ranks below one with ``mới``;
* without diacritics (``moi``): the folded fields at full weight, because the user may
  mean any accented form.

Adjacent query syllables that form a word known to the index (``nông thôn`` →
``nông_thôn``) add a match on the ``words`` fields, which rewards documents where the
compound occurs as a word, not as two unrelated syllables. The lookup uses the index's
own vocabulary, so queries never need pyvi (and never pay its 1.5 s model load).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Literal

from whoosh import query as wq
from whoosh import matching, scoring, sorting

from . import text
from .errors import DocumentNotFoundError, QuerySyntaxError
from .index import open_whoosh_index
from .query import AnyOf, Clause, Group, ParsedQuery, Phrase, Term, parse_query

__all__ = ["Index", "Hit", "SearchResult", "open_index", "Snippet", "make_snippet"]

TITLE_WEIGHT = 2.0  # a query word in the title counts this much more than in the body
FOLD_WEIGHT = 0.3  # folded-only match of an accented query word, relative to exact
WORD_WEIGHT = 1.0  # a compound word matched as a whole, on top of its syllables
MAX_WORD_SYLLABLES = 4  # longest compound looked up in the words fields
SNIPPET_CHARS = 220
# Dates without a zone (from users or sources) are Vietnamese local time.
VIETNAM = timezone(timedelta(hours=7))

Sort = Literal["relevance", "date"]


@dataclass
class Hit:
    """One search result (or a document fetched by id, then ``score`` is None).

    ``snippet`` is plain text; ``highlights`` are ``[start, end)`` character offsets into
    ``snippet`` of the matched words, for the surface to mark up as it likes.
    """

    id: str
    title: str
    score: float | None
    snippet: str
    highlights: list[tuple[int, int]]
    date: str | None  # ISO 8601 with the source's UTC offset
    author: str
    url: str
    path: str
    summary: list[str]
    sapo: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    views: int | None = None
    photo_credit: str = ""
    body: str | None = None  # only for documents fetched with Index.get

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(h) for h in self.highlights]
        if self.body is None:
            del data["body"]
        return data


@dataclass
class SearchResult:
    """A page of hits with the total number of matching documents."""

    query: str
    total: int
    hits: list[Hit]
    offset: int = 0
    suggestion: str | None = None
    facets: dict[str, dict[str, int]] | None = None
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            "took_ms": round(self.took_ms, 2),
        }
        if self.facets is not None:
            data["facets"] = self.facets
        return data


# -- query building -----------------------------------------------------------------

class _Compiler:
    """Turns a ParsedQuery into a Whoosh query, consulting the index vocabulary."""

    def __init__(self, reader):
        self.reader = reader

    def compile(self, parsed: ParsedQuery) -> wq.Query:
        main = self._combine(parsed.clauses)
        bonus = [self._word(run[i:j]) for run in parsed.runs for i in range(len(run))
                 for j in range(i + 2, min(len(run), i + MAX_WORD_SYLLABLES) + 1)]
        bonus = [b for b in bonus if b is not None]
        if bonus:
            main = wq.AndMaybe(main, wq.Or(bonus))
        return main

    def _combine(self, clauses: list[Clause]) -> wq.Query:
        must = [self._node(c.node) for c in clauses if c.occur == "must"]
        should = [self._node(c.node) for c in clauses if c.occur == "should"]
        nots = [self._node(c.node) for c in clauses if c.occur == "not"]
        if must and should:
            query: wq.Query = wq.AndMaybe(_and(must), wq.Or(should))
        elif must:
            query = _and(must)
        elif should:
            query = wq.Or(should) if len(should) > 1 else should[0]
        else:
            query = wq.Every()
        if nots:
            query = _AndNot(query, wq.Or(nots))
        return query

    def _node(self, node) -> wq.Query:
        if isinstance(node, Term):
            return self._term(node.syllable, node.field)
        if isinstance(node, Phrase):
            return self._phrase(node.syllables, node.field)
        if isinstance(node, Group):
            return self._combine(node.clauses)
        if isinstance(node, AnyOf):
            return wq.Or([self._node(n) for n in node.options])
        raise TypeError(node)  # pragma: no cover

    def _fields(self, field_name: str | None) -> list[tuple[str, float]]:
        if field_name == "title":
            return [("title", 1.0)]
        return [("title", TITLE_WEIGHT), ("body", 1.0)]

    def _term(self, syllable: str, field_name: str | None) -> wq.Query:
        folded = text.fold_diacritics(syllable)
        subs: list[wq.Query] = []
        for name, weight in self._fields(field_name):
            if folded != syllable:
                subs.append(wq.Term(name, syllable, boost=weight))
                subs.append(wq.Term(name + "_fold", folded, boost=weight * FOLD_WEIGHT))
            else:
                subs.append(wq.Term(name + "_fold", folded, boost=weight))
        return wq.Or(subs) if len(subs) > 1 else subs[0]

    def _phrase(self, syllables: tuple[str, ...], field_name: str | None) -> wq.Query:
        if field_name == "author":
            return wq.Phrase("author", [text.fold_diacritics(s) for s in syllables])
        if len(syllables) == 1:
            return self._term(syllables[0], field_name)
        accented = any(text.has_diacritics(s) for s in syllables)
        subs = []
        for name, weight in self._fields(field_name):
            if accented:
                subs.append(wq.Phrase(name, list(syllables), boost=weight))
            else:
                subs.append(wq.Phrase(name + "_fold", list(syllables), boost=weight))
        return wq.Or(subs)

    def _word(self, syllables: list[str]) -> wq.Query | None:
        word = "_".join(syllables)
        folded = text.fold_diacritics(word)
        if folded != word and self.reader.doc_frequency("words", word):
            return wq.Term("words", word, boost=WORD_WEIGHT)
        if folded == word and self.reader.doc_frequency("words_fold", folded):
            return wq.Term("words_fold", folded, boost=WORD_WEIGHT)
        return None


class _AndNotMatcher(matching.AndNotMatcher):
    """Whoosh's AndNotMatcher, fixed: it misses an excluded document when the excluded
    matcher starts *before* the first positive match (its ``_find_first`` only looks
    at equal ids), so ``a -b`` returned documents containing ``b``."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(wq.AndNot):
    def matcher(self, searcher, context=None):
        positive = self.a.matcher(searcher, context)
        negative = self.b.matcher(searcher, searcher.boolean_context())
        return _AndNotMatcher(positive, negative)


def _and(queries: list[wq.Query]) -> wq.Query:
    return wq.And(queries) if len(queries) > 1 else queries[0]


# -- snippets -------------------------------------------------------------------------

@dataclass
class Snippet:
    text: str
    highlights: list[tuple[int, int]]


def _matches(source: str, syllables: Iterable[str]) -> list[tuple[int, int, str]]:
    """Spans in ``source`` of syllables matching the query's.

    An accented query syllable matches its exact (normalised) form only; an unaccented
    one matches any form that folds to it. Offsets are into ``source`` as stored, so
    they are right for NFD text and old-style tone marks too.
    """
    exact = {s for s in syllables if text.has_diacritics(s)}
    folded = {s for s in syllables if not text.has_diacritics(s)}
    found = []
    for syl in text.syllables(source):
        if syl.text in exact:
            found.append((syl.start, syl.end, syl.text))
        elif folded:
            f = text.fold_diacritics(syl.text)
            if f in folded:
                found.append((syl.start, syl.end, f))
    return found


def make_snippet(source: str, syllables: list[str], width: int = SNIPPET_CHARS) -> Snippet:
    """The ``width``-character passage of ``source`` with the most distinct query words."""
    source = source.strip()
    matches = _matches(source, syllables)
    if not matches:
        end = _cut_end(source, 0, width)
        return Snippet(source[:end] + ("…" if end < len(source) else ""), [])
    best, best_score = 0, (-1, -1)
    for i, (start, _, _) in enumerate(matches):
        in_window = [m for m in matches[i:] if m[1] <= start + width]
        score = (len({m[2] for m in in_window}), len(in_window))
        if score > best_score:
            best, best_score = i, score
    anchor = matches[best][0]
    start = _cut_start(source, max(0, anchor - width // 5), anchor)
    end = _cut_end(source, start, width)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(source) else ""
    shift = len(prefix) - start
    highlights = [(s + shift, e + shift) for s, e, _ in matches if s >= start and e <= end]
    return Snippet(prefix + source[start:end] + suffix, highlights)


def _cut_start(source: str, start: int, anchor: int) -> int:
    """Move ``start`` forward to a sentence or word boundary before ``anchor``."""
    if start == 0:
        return 0
    for mark in (". ", "\n"):
        at = source.rfind(mark, start, anchor)
        if at >= 0:
            return at + len(mark)
    space = source.find(" ", start, anchor)
    return space + 1 if space >= 0 else start


def _cut_end(source: str, start: int, width: int) -> int:
    end = start + width
    if end >= len(source):
        return len(source)
    space = source.rfind(" ", start + width // 2, end)
    return space if space > 0 else end


# -- the index ------------------------------------------------------------------------

def _date_bound(value: date | datetime | str | None, end: bool) -> datetime | None:
    """A UTC-naive datetime for a --since/--until value (a date means the whole day)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        except ValueError as exc:
            raise QuerySyntaxError(f"invalid date {value!r}: use YYYY-MM-DD") from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, dtime.max if end else dtime.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


class Index:
    """A searchkit index opened for reading. Thread-safe; sees re-indexing as it happens.

    >>> ix = open_index("index/")            # doctest: +SKIP
    >>> ix.search("nông thôn mới").hits[0].title  # doctest: +SKIP
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ix = open_whoosh_index(self.path)
        self._searcher = self._ix.searcher(weighting=scoring.BM25F())
        self._lock = threading.Lock()

    def _current(self):
        """The searcher, refreshed if another process committed since it was opened."""
        if not self._searcher.up_to_date():
            self._searcher = self._searcher.refresh()
        return self._searcher

    def close(self) -> None:
        self._searcher.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def doc_count(self) -> int:
        with self._lock:
            return self._current().doc_count()

    @property
    def last_modified(self) -> datetime:
        """When the index was last committed (UTC)."""
        return datetime.fromtimestamp(self._ix.last_modified(), tz=timezone.utc)

    def search(
        self,
        query: str,
        limit: int = 10,
        offset: int = 0,
        *,
        since: date | datetime | str | None = None,
        until: date | datetime | str | None = None,
        author: str | None = None,
        category: str | None = None,
        sort: Sort = "relevance",
        facets: bool = False,
    ) -> SearchResult:
        """Search the index. Raises :class:`QuerySyntaxError` for a malformed query.

        ``since``/``until`` bound the publication date (inclusive; a date means the
        whole day in Vietnam's time zone); ``author`` and ``category`` filter;
        ``sort="date"`` orders newest first; ``facets`` adds counts per publication
        month and per category over all matching documents.
        """
        started = time.perf_counter()
        if limit < 0 or offset < 0:
            raise QuerySyntaxError("limit and offset must not be negative")
        if sort not in ("relevance", "date"):
            raise QuerySyntaxError(f"unknown sort {sort!r}: use relevance or date")
        parsed = parse_query(query)
        with self._lock:
            searcher = self._current()
            compiled = _Compiler(searcher.reader()).compile(parsed)
            filters = self._filters(since, until, author, category)
            kwargs: dict[str, Any] = {"limit": max(1, offset + limit), "filter": filters}
            if sort == "date":
                kwargs["sortedby"] = "date"
                kwargs["reverse"] = True
            if facets:
                kwargs["groupedby"] = {
                    "month": sorting.FieldFacet("month", maptype=sorting.Count),
                    "category": sorting.FieldFacet("category", maptype=sorting.Count),
                }
            results = searcher.search(compiled, **kwargs)
            syllables = parsed.syllables()
            hits = [self._hit(r.fields(), r.score, syllables) for r in results[offset : offset + limit]]
            total = len(results)
            facet_counts = None
            if facets:
                facet_counts = {
                    name: {str(k): v for k, v in sorted(results.groups(name).items(), key=lambda kv: str(kv[0])) if k}
                    for name in ("month", "category")
                }
        return SearchResult(
            query=query,
            total=total,
            hits=hits,
            offset=offset,
            facets=facet_counts,
            took_ms=(time.perf_counter() - started) * 1000,
        )

    def _filters(self, since, until, author, category) -> wq.Query | None:
        parts: list[wq.Query] = []
        start, end = _date_bound(since, False), _date_bound(until, True)
        if start or end:
            parts.append(wq.DateRange("date", start, end))
        if author:
            names = [text.fold_diacritics(s.text) for s in text.syllables(author)]
            if names:
                parts.append(wq.Phrase("author", names) if len(names) > 1 else wq.Term("author", names[0]))
        if category:
            parts.append(wq.Term("category_fold", text.fold_diacritics(text.normalize_term(category)).strip()))
        if not parts:
            return None
        return _and(parts)

    def _hit(self, stored: dict, score: float | None, syllables: list[str], with_body: bool = False) -> Hit:
        doc = stored.get("doc", {})
        sapo, body = doc.get("sapo", ""), doc.get("body", "")
        snippet = make_snippet(f"{sapo}\n{body}" if sapo else body, syllables)
        return Hit(
            id=stored["id"],
            title=doc.get("title", ""),
            score=round(score, 4) if score is not None else None,
            snippet=snippet.text,
            highlights=snippet.highlights,
            date=doc.get("date"),
            author=doc.get("author", ""),
            url=doc.get("url", ""),
            path=doc.get("path", ""),
            summary=list(doc.get("summary") or []),
            sapo=sapo,
            category=doc.get("category", ""),
            tags=list(doc.get("tags") or []),
            views=doc.get("views"),
            photo_credit=doc.get("photo_credit", ""),
            body=body if with_body else None,
        )

    def get(self, doc_id: str) -> Hit:
        """The stored document with id ``doc_id`` (with its body), or DocumentNotFoundError."""
        with self._lock:
            stored = self._current().document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return self._hit(stored, None, [], with_body=True)


def open_index(path: str | Path = "index") -> Index:
    """Open the index at ``path`` for searching (IndexNotFoundError if there is none)."""
    return Index(path)
