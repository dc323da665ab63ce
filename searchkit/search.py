"""Searching an index: the one search core the CLI, the Python API and the HTTP server
share (:class:`Index`).

A search reads the query (query.py), narrows to the filters (filters.py), scores and
matches over the index's postings (ranking.py, reading reader.py), orders, takes the page
and makes each hit (records.py) with its passage (passages.py); a query that finds little
gets a suggestion (suggest.py). How a bare word matches and scores is README's "Which
documents match" and ranking.py's docstring.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np

from . import text
from .errors import (
    DocumentNotFoundError,
    IndexDamagedError,
    IndexNotFoundError,
    InvalidParameterError,
    SearchkitError,
)
from .filters import Filters, facet_counts
from .passages import best_passage, match_spans
from .query import ParsedQuery, parse_query
from .ranking import Match, RankingParams, best_first, evaluate, leading
from .reader import IndexReader
from .records import Document, Hit, MatchedDocument, SearchResult
from .sentences import stored_sentence_ends
from .store import DEFAULT_INDEX_DIR, open_whoosh_index, verify_whoosh_files
from .suggest import SUGGEST_BELOW, suggest

__all__ = ["Index", "Document", "Hit", "SearchResult", "AllMatches", "open_index"]

Sort = Literal["relevance", "date"]


# -- the index ------------------------------------------------------------------------


def _ranked(matched: np.ndarray, scores: np.ndarray, dates: np.ndarray | None, wanted: int) -> list[int]:
    """The first ``wanted`` of the ``matched`` documents, best score first, or newest first
    (undated last, then by score) when their ``dates`` are given; ties in index order."""
    if dates is not None:
        matched = leading(matched, dates[matched], wanted)  # (only the newest can come first)
        # ``~`` turns ascending into descending without the overflow of negating UNDATED.
        return matched[np.lexsort((matched, -scores[matched], ~dates[matched]))][:wanted].tolist()
    return best_first(matched, scores, wanted).tolist()


def _notes(parsed: ParsedQuery, match: Match) -> list[str]:
    """What the query parser read differently, then a line saying that the bare-word rule
    was relaxed, if it was."""
    return list(parsed.notes) + _relaxed_note(match)


def _relaxed_note(match: Match) -> list[str]:
    if not match.relaxed:
        return []
    if match.other_diacritics and match.short:
        return ["no document has the words with the diacritics typed: showing those with other diacritics"]
    if match.other_diacritics:
        return ["few documents have most of the query's words as typed: showing those with other diacritics"]
    if match.short and match.words:
        return [f"no document has all {match.counted} words of the query: showing those with {match.words}"]
    if match.short:
        return [
            "no document has every word of the query besides its required terms: "
            "showing those with the required terms"
        ]
    return ["few documents have most of the query's words: showing those with fewer"]


class Index:
    """A searchkit index opened for reading. Thread-safe; sees re-indexing as it happens.

    >>> ix = open_index("index/")            # doctest: +SKIP
    >>> ix.search("nông thôn mới").hits[0].title  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, params: RankingParams | None = None):
        self.path = Path(path)
        self.params = params or RankingParams()
        self._lock = threading.Lock()
        self._ix: Any = None
        self._searcher: Any = None
        self._postings: IndexReader | None = None
        self._damage: IndexDamagedError | None = None
        try:
            self._ix = open_whoosh_index(self.path)
            self._searcher, self._postings = self._open()
        except IndexDamagedError as exc:
            # Kept, not raised: every use raises it until the index is repaired or rebuilt,
            # so a server keeps running (503) and answers again once it is.
            self._damage = exc

    def _open(self, ix: Any = None, attempts: int = 5):
        """A searcher of ``ix`` (default: the index's own) and its postings. A commit
        between reading the TOC and opening a part can delete the part (its segment
        merged away): then open the new state."""
        ix = ix if ix is not None else self._ix
        for attempt in range(1, attempts + 1):
            generation = ix.latest_generation()
            try:
                searcher = ix.searcher()
            except FileNotFoundError as exc:  # a Whoosh segment file named by the TOC
                if attempt == attempts or ix.latest_generation() == generation:
                    name = Path(exc.filename or "?").name
                    raise IndexDamagedError.in_file(self.path, name, "is missing") from None
                time.sleep(0.05 * attempt)
                continue
            except Exception as exc:  # a damaged segment file: Whoosh raises anything
                for segment in ix._segments():  # which one (its size is not as committed)?
                    verify_whoosh_files(self.path, segment.segment_id(), full=False)
                raise IndexDamagedError.in_file(
                    self.path, "a segment file", f"cannot be read ({type(exc).__name__}: {exc})"
                ) from None
            try:
                return searcher, IndexReader(searcher, self.path)
            except (FileNotFoundError, IndexDamagedError) as exc:
                searcher.close()
                if attempt == attempts or not self._searcher_is_stale(searcher):
                    if isinstance(exc, FileNotFoundError):
                        raise IndexDamagedError.in_file(
                            self.path, Path(exc.filename or "?").name, "is missing"
                        ) from None
                    raise
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _searcher_is_stale(self, searcher) -> bool:
        """Whether another commit came after ``searcher`` (its missing files may be merged away)."""
        try:
            return not searcher.up_to_date()
        except Exception:  # noqa: BLE001 - a TOC unreadable now: not a newer state
            return False

    def _current(self) -> IndexReader:
        """Postings of the current searcher, refreshed if another process committed;
        IndexDamagedError while the index is damaged (retried on every call)."""
        try:
            if self._damage is not None or self._searcher is None or not self._searcher.up_to_date():
                # A new searcher, not Searcher.refresh(): refresh reuses the reader of a
                # segment whose name is unchanged and so misses deletions committed to it.
                old = self._searcher
                self._ix = open_whoosh_index(self.path)
                self._searcher, self._postings = self._open()
                self._damage = None
                if old is not None:
                    old.close()
        except IndexDamagedError as exc:
            self._damage = exc
            raise
        except SearchkitError:
            raise
        except Exception as exc:  # the index directory was deleted under us
            raise IndexNotFoundError(
                f"the index at {self.path}/ is gone or unreadable ({exc}); run `searchkit index`"
            ) from exc
        assert self._postings is not None
        return self._postings

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def doc_count(self) -> int:
        with self._lock:
            return self._current().doc_count

    @property
    def last_modified(self) -> datetime:
        """When the index was last committed (UTC)."""
        with self._lock:
            self._current()
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
        strict: bool = False,
    ) -> SearchResult:
        """Search the index. Raises :class:`QuerySyntaxError` for a malformed query.

        ``since``/``until`` bound the publication date (inclusive; a date means the
        whole day in Vietnam's time zone); ``author`` and ``category`` filter;
        ``sort="date"`` orders newest first; ``facets`` adds counts per publication
        month, category and author over all matching documents. ``strict`` raises
        QuerySyntaxError for malformed syntax instead of reading it leniently.
        """
        started = time.perf_counter()
        if limit < 0:
            raise InvalidParameterError("limit", "limit must not be negative")
        if offset < 0:
            raise InvalidParameterError("offset", "offset must not be negative")
        _check_sort(sort)
        parsed = self._parse(query, strict)
        filters = Filters(since, until, author, category)
        with self._lock:
            reader = self._current()
            match, matched, order = self._ordered(parsed, reader, filters, sort, offset + limit)
            page = order[offset:]
            syllables = parsed.syllables()
            hits = [self._hit(self._stored(d), float(match.scores[d]), syllables) for d in page]
            counts = facet_counts(reader, matched) if facets else None
            suggestion = self._suggestion(parsed, reader, filters, match)
        return SearchResult(
            query=query,
            total=len(matched),
            hits=hits,
            offset=offset,
            facets=counts,
            suggestion=suggestion,
            took_ms=(time.perf_counter() - started) * 1000,
            notes=_notes(parsed, match),
            relaxed=match.relaxed,
        )

    def search_all(
        self,
        query: str,
        *,
        since: date | datetime | str | None = None,
        until: date | datetime | str | None = None,
        author: str | None = None,
        category: str | None = None,
        sort: Sort = "relevance",
        strict: bool = False,
    ) -> AllMatches:
        """Every match of a search, in the order :meth:`search` pages through them, as an
        iterable of hits made one at a time (passage and summary included): for exports
        of any size, in flat memory.

        The query is read, filtered and matched now (errors are raised here, before any
        hit); the hits then come from a snapshot of the index taken now, so a re-index
        running meanwhile neither shifts nor repeats them. Close the result (or use it
        as a context manager) to release the snapshot early.
        """
        _check_sort(sort)
        parsed = self._parse(query, strict)
        filters = Filters(since, until, author, category)
        with self._lock:
            self._current()  # a damaged or vanished index: its one error, now
            # A searcher of its own: the stream outlives this call, while the shared one
            # serves other searches (Whoosh searchers are not shared between threads).
            # Without memory maps: every stored document is read once, and the pages of
            # a map would stay resident, growing with the number of hits.
            searcher, reader = self._open(open_whoosh_index(self.path, memory_map=False))
        try:
            match, _, ranked = self._ordered(parsed, reader, filters, sort, None)
            order = np.asarray(ranked, dtype=np.int64)
            scores = match.scores[order]
        except BaseException:
            searcher.close()
            raise
        return AllMatches(
            query=query,
            total=len(order),
            notes=_notes(parsed, match),
            relaxed=match.relaxed,
            hits=self._stream(searcher, reader, order, scores, parsed.syllables()),
            close=searcher.close,
        )

    def _ordered(
        self, parsed: ParsedQuery, reader: IndexReader, filters: Filters, sort: Sort, wanted: int | None
    ) -> tuple[Match, np.ndarray, list[int]]:
        """The query's match, its matching documents, and the first ``wanted`` of them
        (all when None) in the order ``sort`` asks for."""
        best = wanted if sort == "relevance" else None
        match = evaluate(parsed, reader, self.params, filters.mask(reader), best)
        matched = np.flatnonzero(match.mask)
        count = len(matched) if wanted is None else min(wanted, len(matched))
        dates = reader.dates() if sort == "date" else None
        return match, matched, _ranked(matched, match.scores, dates, count)

    def _stream(
        self, searcher: Any, reader: IndexReader, order: np.ndarray, scores: np.ndarray, syllables: list[str]
    ) -> Iterator[Hit]:
        for docnum, score in zip(order.tolist(), scores.tolist()):
            yield self._hit(_stored_fields(self.path, searcher, reader, docnum), score, syllables)

    def _suggestion(
        self, parsed: ParsedQuery, reader: IndexReader, filters: Filters, match: Match
    ) -> str | None:
        """A corrected query for one that finds little, offered only when it finds more
        documents, or finds with every word what the query found only by relaxing."""
        matched = int(match.mask.sum())
        if matched >= SUGGEST_BELOW:
            return None
        suggestion = suggest(parsed, reader)
        if suggestion is None:
            return None
        better = evaluate(parse_query(suggestion), reader, self.params, filters.mask(reader))
        found = int(better.mask.sum())
        if found > matched or (match.relaxed and not better.relaxed and found):
            return suggestion
        return None

    def _stored(self, docnum: int) -> dict:
        """Document ``docnum``'s stored fields (IndexDamagedError if its segment is damaged)."""
        return _stored_fields(self.path, self._searcher, self._postings, docnum)

    def _parse(self, query: str, strict: bool) -> ParsedQuery:
        parsed = parse_query(query, strict=strict)
        if not strict and len(parsed.syllables(spelled_out=False)) > self.params.soft_quotes_above:
            # Long pasted text (a title, a sentence) quotes what the article's author quoted,
            # which the article itself often words otherwise: its quotes are read as words.
            as_words = parse_query(query, quotes_as_words=True)
            if as_words.clauses != parsed.clauses:
                parsed = as_words
                parsed.notes.append('a long query\'s quotes are read as words: +"…" requires a phrase')
        return parsed

    def _hit(self, stored: dict, score: float, syllables: list[str]) -> Hit:
        document = Document.from_stored(stored["id"], stored.get("doc", {}))
        source = text.indexed_text(document.sapo, document.body).strip()
        ends = stored_sentence_ends(source, stored.get("sentences"))
        passage = best_passage(source, syllables, sentence_ends=ends)
        return Hit(document, round(score, 4), passage.text, passage.highlights)

    def get_matched(self, doc_id: str, query: str) -> MatchedDocument:
        """The stored document ``doc_id`` read for ``query``: the hit it makes (passage
        included; score 0, a score means something only among a search's hits) and where
        the query's words are in its title, sapo and body. DocumentNotFoundError for an
        unknown id, QuerySyntaxError for a query with no word to look for."""
        syllables = self._parse(query, strict=False).syllables()
        hit = self._hit(self._stored_by_id(doc_id), 0.0, syllables)
        document = hit.document
        return MatchedDocument(
            hit=hit,
            title_highlights=match_spans(document.title, syllables),
            sapo_highlights=match_spans(document.sapo, syllables),
            body_highlights=match_spans(document.body, syllables),
        )

    def get(self, doc_id: str) -> Document:
        """The stored document with id ``doc_id``, or DocumentNotFoundError."""
        return Document.from_stored(doc_id, self._stored_by_id(doc_id).get("doc", {}))

    def _stored_by_id(self, doc_id: str) -> dict:
        with self._lock:
            reader = self._current()
            try:
                docnum = self._searcher.document_number(id=doc_id)
            except Exception as exc:  # noqa: BLE001 - a damaged term index: Whoosh raises anything
                raise _whoosh_damage(self.path, reader, None, exc) from None
            stored = None if docnum is None else self._stored(docnum)
        if stored is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return stored


class AllMatches:
    """Every match of one search (:meth:`Index.search_all`): ``total``, ``notes`` and
    ``relaxed`` as in a :class:`SearchResult`, and the hits, best first (or newest
    first), made as they are iterated. Iterable once; ``close()`` releases its snapshot
    of the index (also done when it is used as a context manager)."""

    def __init__(
        self,
        *,
        query: str,
        total: int,
        notes: list[str],
        relaxed: bool,
        hits: Iterator[Hit],
        close: Any,
    ):
        self.query, self.total, self.notes, self.relaxed = query, total, notes, relaxed
        self._hits = hits
        self._close = close
        self.closed = False

    def __iter__(self) -> Iterator[Hit]:
        return self._hits

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> AllMatches:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_sort(sort: str) -> None:
    if sort not in ("relevance", "date"):
        raise InvalidParameterError("sort", f"unknown sort {sort!r}: use relevance or date")


def _stored_fields(path: Path, searcher: Any, reader: IndexReader | None, docnum: int) -> dict:
    """Document ``docnum``'s stored fields (IndexDamagedError if its segment is damaged)."""
    try:
        return searcher.stored_fields(docnum)
    except Exception as exc:  # noqa: BLE001 - a damaged segment file: Whoosh raises anything
        raise _whoosh_damage(path, reader, docnum, exc) from None


def _whoosh_damage(path: Path, reader: IndexReader | None, docnum: int | None, exc: Exception):
    """The error for a Whoosh segment that failed to read (the one holding ``docnum``)."""
    name = "a segment file"
    if reader is not None and docnum is not None:
        for leaf, offset in reader.leaves:
            if offset <= docnum < offset + leaf.doc_count_all() and leaf.segment() is not None:
                segment = leaf.segment()
                name = segment.make_filename(".seg") if segment.is_compound() else segment.segment_id()
    return IndexDamagedError.in_file(path, name, f"cannot be read ({type(exc).__name__}: {exc})")


def open_index(path: str | Path = DEFAULT_INDEX_DIR) -> Index:
    """Open the index at ``path`` for searching (IndexNotFoundError if there is none)."""
    return Index(path)
