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

import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
from whoosh import query as wq

from . import text
from .errors import (
    DocumentNotFoundError,
    IndexNotFoundError,
    InvalidParameterError,
    QuerySyntaxError,
    SearchkitError,
)
from .fields import FIELD
from .postings import PartReader, key_of
from .query import parse_query
from .ranking import Match, RankingParams, evaluate, likely_reading
from .records import Document, Hit
from .snippets import make_snippet
from .store import DEFAULT_INDEX_DIR, UNDATED, VIETNAM, epoch_seconds, open_whoosh_index, segment_parts

__all__ = ["Index", "Document", "Hit", "SearchResult", "open_index"]

Sort = Literal["relevance", "date"]


@dataclass
class SearchResult(Sequence[Hit]):
    """A page of hits with the total number of matching documents.

    A sequence of its hits (``for hit in ix.search(q)``, ``len()``, indexing); ``total``
    counts every matching document, not only this page. ``notes`` say, in a line each,
    where the query was read other than as typed (a stray quote dropped, the match
    relaxed because no document has every word); ``relaxed`` is True in the latter case.
    """

    query: str
    total: int
    hits: list[Hit]
    offset: int = 0
    suggestion: str | None = None
    facets: dict[str, dict[str, int]] | None = None
    took_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    relaxed: bool = False

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index):
        return self.hits[index]

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "query": self.query,
            "total": self.total,
            "offset": self.offset,
            "hits": [h.to_dict() for h in self.hits],
            "suggestion": self.suggestion,
            "notes": list(self.notes),
            "relaxed": self.relaxed,
            "took_ms": round(self.took_ms, 2),
        }
        if self.facets is not None:
            data["facets"] = self.facets
        return data


# -- postings as arrays ----------------------------------------------------------------

# Decoded postings kept per searcher, in number of postings (8 bytes each): enough for
# the vocabulary of typical queries on a large archive, bounded on any archive.
POSTINGS_CACHE = 8_000_000


class _Postings:
    """A :class:`searchkit.ranking.PostingsSource` over one Whoosh searcher and the
    postings parts of its segments (postings.py).

    The text fields' postings come from the parts as numpy arrays (slices of memory
    maps) and are cached until the searcher is refreshed; filters on the small fields
    (dates, category, author) are Whoosh queries.
    """

    def __init__(self, searcher, folder: Path):
        self.searcher = searcher
        reader = searcher.reader()
        self.leaves = reader.leaf_readers()
        self.doc_count_all = reader.doc_count_all()
        self.doc_count = reader.doc_count()
        self._live = np.ones(self.doc_count_all, dtype=bool)
        names = os.listdir(folder)
        self.parts: list[tuple[PartReader, int]] = []  # with the global number of its first document
        for leaf, offset in self.leaves:
            if leaf.segment() is None:  # an index with no documents yet: Whoosh's empty reader
                continue
            deleted = list(leaf.segment().deleted_docs()) if leaf.has_deletions() else []
            if deleted:
                self._live[offset + np.asarray(deleted, dtype=np.int64)] = False
            for path in segment_parts(folder, leaf.segment().segment_id(), names):
                part = PartReader(path)
                self.parts.append((part, offset + part.base))
        self._lengths: dict[str, np.ndarray] = {}
        self._cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = OrderedDict()
        self._cached = 0
        self._columns: dict[str, list] = {}
        self._dates: np.ndarray | None = None
        self._forms: dict[str, list[tuple[str, int]]] | None = None
        self.cache: dict = {}

    def live(self) -> np.ndarray:
        return self._live.copy()

    def average_length(self, field: str) -> float:
        return float(self.lengths(field)[self._live].sum()) / max(self.doc_count, 1)

    def lengths(self, field: str) -> np.ndarray:
        if field not in self._lengths:
            lengths = np.zeros(self.doc_count_all, dtype=np.float32)
            for part, base in self.parts:
                lengths[base : base + part.ndocs] = part.lengths(field)
            self._lengths[field] = lengths
        return self._lengths[field]

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        key = (field, term)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self._read(field, term)
        self._cache[key] = found
        self._cached += len(found[0]) if found else 0
        while self._cached > POSTINGS_CACHE and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cached -= len(old[0]) if old else 0
        return found

    def _read(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        id_parts, tf_parts = [], []
        key = key_of(field, term)
        for part, base in self.parts:
            i = part.find(field, term, key)
            if i >= 0:
                docs, tf = part.postings(field, i)
                id_parts.append(docs.astype(np.int64) + base)
                tf_parts.append(tf.astype(np.float32))
        if not id_parts:
            return None
        ids_all = np.concatenate(id_parts)
        tf_all = np.concatenate(tf_parts)
        keep = self._live[ids_all]
        if not keep.all():
            ids_all, tf_all = ids_all[keep], tf_all[keep]
        return (ids_all, tf_all) if len(ids_all) else None

    def lead_docs(self, field: str, term: str, within: int) -> np.ndarray | None:
        """Live documents where ``term`` occurs among the first ``within`` positions of
        ``field`` (the article's lead: its sapo and first sentences)."""
        key = ("#lead", field, term, within)
        if key in self.cache:
            return self.cache[key]
        found = []
        term_key = key_of(field, term)
        for part, base in self.parts:
            i = part.find(field, term, term_key)
            if i < 0:
                continue
            docs, tf = part.postings(field, i)
            positions = part.positions(field, i)
            starts = np.zeros(len(tf), dtype=np.int64)
            np.cumsum(tf[:-1], out=starts[1:])
            first = np.minimum.reduceat(positions, starts) if len(positions) else positions
            found.append(docs[first < within].astype(np.int64) + base)
        docs_all = np.concatenate(found) if found else None
        if docs_all is not None:
            docs_all = docs_all[self._live[docs_all]]
        if len(self.cache) < 4096:
            self.cache[key] = docs_all
        return docs_all

    def phrase_mask(self, field: str, syllables: list[str]) -> np.ndarray:
        if field not in FIELD:  # author: a small Whoosh field
            query = wq.Phrase(field, syllables) if len(syllables) > 1 else wq.Term(field, syllables[0])
            return self.mask_of(query)
        mask = np.zeros(self.doc_count_all, dtype=bool)
        keys = [key_of(field, s) for s in syllables]
        for part, base in self.parts:
            docs = _phrase_docs(part, field, syllables, keys)
            if docs is not None and len(docs):
                mask[docs.astype(np.int64) + base] = True
        return mask & self._live

    def mask_of(self, query: wq.Query) -> np.ndarray:
        mask = np.zeros(self.doc_count_all, dtype=bool)
        docs = list(self.searcher.docs_for_query(query))
        if docs:
            mask[np.asarray(docs, dtype=np.int64)] = True
        return mask

    def doc_frequency(self, field: str, term: str) -> int:
        if field in FIELD:
            key = key_of(field, term)
            return sum(part.doc_frequency(field, term, key) for part, _ in self.parts)
        return self.searcher.reader().doc_frequency(field, term)

    def accented_forms(self, folded: str) -> list[tuple[str, int]]:
        if self._forms is None:
            # One pass over the syllable vocabulary (tens of thousands of terms), once
            # per searcher: fold → exact forms by document frequency.
            frequency: Counter[str] = Counter()
            for part, _ in self.parts:
                for term, df in part.terms("body"):
                    frequency[term] += df
            forms: dict[str, list[tuple[str, int]]] = {}
            for term, df in frequency.items():
                forms.setdefault(text.fold_diacritics(term), []).append((term, df))
            for entries in forms.values():
                entries.sort(key=lambda e: -e[1])
            self._forms = forms
        return self._forms.get(folded, [])

    def _leaf_columns(self, field: str, translate: bool, missing) -> list:
        """A column over all segments, by global docnum; ``missing`` where a segment has
        no such column (e.g. none of its documents had a date)."""
        values: list = []
        for leaf, _ in self.leaves:
            if leaf.has_column(field):
                values.extend(leaf.column_reader(field, translate=translate))
            else:
                values.extend([missing] * leaf.doc_count_all())
        return values

    def dates(self) -> np.ndarray:
        """Publication dates as seconds since the epoch (UNDATED when unknown), by docnum."""
        if self._dates is None:
            self._dates = np.asarray(self._leaf_columns("date", False, UNDATED), dtype=np.int64)
        return self._dates

    def date_mask(self, start: datetime | None, end: datetime | None) -> np.ndarray:
        """Documents dated within [start, end] (naive UTC bounds; None: open)."""
        dates = self.dates()
        mask = dates != UNDATED
        if start is not None:
            mask &= dates >= epoch_seconds(start)
        if end is not None:
            mask &= dates <= epoch_seconds(end)
        return mask

    def column(self, field: str) -> list:
        """All values of a sortable field's column, by docnum."""
        if field not in self._columns:
            self._columns[field] = self._leaf_columns(field, True, None)
        return self._columns[field]


# Phrase positions are keyed as document << _POSITION_BITS | (position + _PHRASE_SLACK -
# offset in the phrase): positions stay below 2**21 (articles are at most 1,000,000
# characters) and queries below 1,000 characters, so keys never collide.
_POSITION_BITS = 22
_PHRASE_SLACK = 1024


def _phrase_docs(part: PartReader, field: str, syllables: list[str], keys: list[int]) -> np.ndarray | None:
    """Part-local documents where ``syllables`` (with their ``keys``) occur
    consecutively in ``field``."""
    entries = [part.find(field, s, key) for s, key in zip(syllables, keys)]
    if any(i < 0 for i in entries):
        return None
    candidates, _ = part.postings(field, entries[0])
    for i in entries[1:]:  # documents holding every syllable first: cheap, and narrows a lot
        docs, _ = part.postings(field, i)
        candidates = np.intersect1d(candidates, docs, assume_unique=True)
    if len(syllables) == 1 or not len(candidates):
        return candidates
    found: np.ndarray | None = None  # position keys of the phrase so far
    for k, i in enumerate(entries):
        docs, tf = part.postings(field, i)
        positions = part.positions(field, i)
        wanted = np.repeat(np.isin(docs, candidates, assume_unique=True), tf)
        doc_of = np.repeat(docs, tf)[wanted].astype(np.int64)
        key = (doc_of << _POSITION_BITS) | (positions[wanted].astype(np.int64) + _PHRASE_SLACK - k)
        found = key if found is None else np.intersect1d(found, key, assume_unique=True)
        if not len(found):
            break
    assert found is not None  # entries has two or more here
    return np.unique(found >> _POSITION_BITS)


# -- the index ------------------------------------------------------------------------


def _date_bound(value: date | datetime | str | None, name: str) -> datetime | None:
    """A UTC-naive datetime for the ``since``/``until`` value (a date means the whole
    day: its start for ``since``, its end for ``until``), or InvalidParameterError."""
    end = name == "until"
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = (
                datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
            )
        except (ValueError, OverflowError) as exc:
            raise InvalidParameterError(name, f"invalid {name} date {value!r}: use YYYY-MM-DD") from exc
    if not isinstance(value, datetime):
        value = datetime.combine(value, dtime.max if end else dtime.min)
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    try:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError as exc:
        raise InvalidParameterError(name, f"{name} date out of range: {value.date().isoformat()}") from exc


def _match_notes(match: Match) -> list[str]:
    """A line saying that the bare-word rule was relaxed, if it was."""
    if not match.relaxed:
        return []
    if match.other_diacritics:
        return ["no document has the words with the diacritics typed: showing those with other diacritics"]
    if match.short and match.words:
        return [f"no document has all {match.counted} words of the query: showing those with {match.words}"]
    if match.short:
        return [
            "no document has every word of the query besides its required terms: "
            "showing those with the required terms"
        ]
    return ["few documents have most of the query's words: showing those with fewer"]


# A query with fewer hits than this gets a "did you mean" suggestion when one exists.
SUGGEST_BELOW = 10


def _suggest(parsed, postings: _Postings) -> str | None:
    """A corrected query from the index's vocabulary, or None.

    For plain word queries only: each syllable the index does not know is replaced by
    the most frequent known one at one edit (``thonn`` → ``thon``), then syllables typed
    without diacritics get their likely accented reading (``nong thon moi`` →
    ``nông thôn mới``).
    """
    bare = [s for run in parsed.runs for s in run]
    if not bare or len(bare) != len(parsed.clauses):
        return None
    runs = [[_known_or_corrected(s, postings) for s in run] for run in parsed.runs]
    reading = [
        w
        for run in runs
        for w in (run if all(map(text.has_diacritics, run)) else likely_reading(run, postings))
    ]
    return " ".join(reading) if reading != bare else None


_EDIT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _known_or_corrected(syllable: str, postings: _Postings) -> str:
    folded = text.fold_diacritics(syllable)
    if postings.accented_forms(folded):
        return syllable
    splits = [(folded[:i], folded[i:]) for i in range(len(folded) + 1)]
    edits = {a + b[1:] for a, b in splits if b}
    edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + c + b[1:] for a, b in splits if b for c in _EDIT_ALPHABET}
    edits |= {a + c + b for a, b in splits for c in _EDIT_ALPHABET}
    known = [(forms[0][1], edit) for edit in edits if (forms := postings.accented_forms(edit))]
    return max(known)[1] if known else syllable


class Index:
    """A searchkit index opened for reading. Thread-safe; sees re-indexing as it happens.

    >>> ix = open_index("index/")            # doctest: +SKIP
    >>> ix.search("nông thôn mới").hits[0].title  # doctest: +SKIP
    """

    def __init__(self, path: str | Path, params: RankingParams | None = None):
        self.path = Path(path)
        self.params = params or RankingParams()
        self._ix = open_whoosh_index(self.path)
        self._searcher, self._postings = self._open()
        self._lock = threading.Lock()

    def _open(self, attempts: int = 5):
        """A searcher and its postings. A commit between reading the TOC and opening a
        part can delete the part (its segment merged away): then open the new state."""
        for attempt in range(1, attempts + 1):
            searcher = self._ix.searcher()
            try:
                return searcher, _Postings(searcher, self.path)
            except FileNotFoundError:
                searcher.close()
                if attempt == attempts:
                    raise
                time.sleep(0.05 * attempt)
            except SearchkitError:  # a damaged part (PartReader says so)
                searcher.close()
                raise

    def _current(self) -> _Postings:
        """Postings of the current searcher, refreshed if another process committed."""
        try:
            if not self._searcher.up_to_date():
                # A new searcher, not Searcher.refresh(): refresh reuses the reader of a
                # segment whose name is unchanged and so misses deletions committed to it.
                old = self._searcher
                self._searcher, self._postings = self._open()
                old.close()
        except Exception as exc:  # the index directory was deleted or damaged under us
            raise IndexNotFoundError(
                f"the index at {self.path}/ is gone or unreadable ({exc}); run `searchkit index`"
            ) from exc
        return self._postings

    def close(self) -> None:
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
        month and per category over all matching documents. ``strict`` raises
        QuerySyntaxError for malformed syntax instead of reading it leniently.
        """
        started = time.perf_counter()
        if limit < 0 or offset < 0:
            raise QuerySyntaxError("limit and offset must not be negative")
        if sort not in ("relevance", "date"):
            raise QuerySyntaxError(f"unknown sort {sort!r}: use relevance or date")
        parsed = parse_query(query, strict=strict)
        if not strict and len(parsed.syllables()) > self.params.soft_quotes_above:
            # Long pasted text (a title, a sentence) quotes what the article's author quoted,
            # which the article itself often words otherwise: its quotes are read as words.
            as_words = parse_query(query, quotes_as_words=True)
            if as_words.clauses != parsed.clauses:
                parsed = as_words
                parsed.notes.append('a long query\'s quotes are read as words: +"…" requires a phrase')
        with self._lock:
            postings = self._current()
            within = self._filter_mask(postings, since, until, author, category)
            match = evaluate(
                parsed, postings, self.params, within if isinstance(within, np.ndarray) else None
            )
            scores, mask = match.scores, match.mask
            matched = np.flatnonzero(mask)
            total = len(matched)
            wanted = min(offset + limit, total)
            if sort == "date":
                # Newest first (undated last), then by score, ties in index order. ``~`` turns
                # ascending into descending without the overflow of negating UNDATED.
                order = matched[np.lexsort((matched, -scores[matched], ~postings.dates()[matched]))][
                    :wanted
                ].tolist()
            elif wanted:
                top = (
                    matched[np.argpartition(-scores[matched], wanted - 1)[:wanted]]
                    if wanted < total
                    else matched
                )
                order = top[np.lexsort((top, -scores[top]))].tolist()  # ties: index order
            else:
                order = []
            syllables = parsed.syllables()
            searcher = self._searcher
            hits = [
                self._hit(searcher.stored_fields(d), float(scores[d]), syllables)
                for d in order[offset:wanted]
            ]
            facet_counts = self._facets(postings, matched) if facets else None
            suggestion = _suggest(parsed, postings) if total < SUGGEST_BELOW else None
        return SearchResult(
            query=query,
            total=total,
            hits=hits,
            offset=offset,
            facets=facet_counts,
            suggestion=suggestion,
            took_ms=(time.perf_counter() - started) * 1000,
            notes=list(parsed.notes) + _match_notes(match),
            relaxed=match.relaxed,
        )

    @staticmethod
    def _facets(postings: _Postings, matched: np.ndarray) -> dict[str, dict[str, int]]:
        counts = {}
        for name in ("month", "category"):
            column = postings.column(name)
            tally = Counter(column[d] for d in matched.tolist())
            counts[name] = dict(sorted((k, v) for k, v in tally.items() if k))
        return counts

    @staticmethod
    def _filter_mask(postings: _Postings, since, until, author, category) -> np.ndarray | bool:
        """Documents passing every filter given (True when there is none)."""
        mask: np.ndarray | bool = True
        start, end = _date_bound(since, "since"), _date_bound(until, "until")
        if start or end:
            mask &= postings.date_mask(start, end)
        if author:
            names = [text.fold_diacritics(s.text) for s in text.syllables(author)]
            if names:
                mask &= postings.phrase_mask("author", names)
        if category:
            mask &= postings.mask_of(
                wq.Term("category_fold", text.fold_diacritics(text.normalize_term(category)).strip())
            )
        return mask

    def _hit(self, stored: dict, score: float, syllables: list[str]) -> Hit:
        document = Document.from_stored(stored["id"], stored.get("doc", {}))
        snippet = make_snippet(text.indexed_text(document.sapo, document.body), syllables)
        return Hit(document, round(score, 4), snippet.text, snippet.highlights)

    def get(self, doc_id: str) -> Document:
        """The stored document with id ``doc_id``, or DocumentNotFoundError."""
        with self._lock:
            self._current()
            stored = self._searcher.document(id=doc_id)
        if stored is None:
            raise DocumentNotFoundError(f"no document with id {doc_id!r}")
        return Document.from_stored(stored["id"], stored.get("doc", {}))


def open_index(path: str | Path = DEFAULT_INDEX_DIR) -> Index:
    """Open the index at ``path`` for searching (IndexNotFoundError if there is none)."""
    return Index(path)
