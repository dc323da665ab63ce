"""Reading one committed state of an index: postings as numpy arrays, phrases, columns.

:class:`IndexReader` is what the ranking reads (``ranking.PostingsSource``) and what the
filters, facets and sort ask for dates and columns. It opens the postings parts of the
Whoosh searcher's segments (memory-mapped, postings.py) and caches what queries decode,
until the searcher is replaced by a newer one.
"""

from __future__ import annotations

import bisect
import contextlib
import os
from collections import Counter
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from pathlib import Path

import numpy as np
from cachetools import LFUCache, LRUCache
from whoosh import query as wq

from . import text
from .errors import IndexDamagedError
from .fields import FIELD, LEAD_FIELD, PAIRS_FIELD, pair_terms
from .postings import (
    PartReader,
    ascending_intersection,
    ascending_union,
    documents_mask,
    key_of,
    shared_documents,
)
from .store import UNDATED, epoch_seconds, part_path, segment_parts, verify_whoosh_files

__all__ = ["IndexReader", "POSTINGS_CACHE", "open_parts"]

# Decoded postings kept per searcher, in number of postings (12 bytes each: an int64
# document, which numpy indexes with no conversion, and a float32 frequency), so that the
# passes of a query and the queries that follow decode a term once; memory is bounded on
# any archive (the stop words that most queries share are kept apart: FREQUENCIES_CACHE).
POSTINGS_CACHE = 16_000_000
# Lead lookups kept per searcher, in bytes: a rare syllable's lead as its documents (8
# bytes each), a common one's as a bit per document of the index, so that the leads of
# the few hundred common syllables that questions share stay decoded on a large archive.
LEAD_CACHE = 64_000_000
# A lead with more than 1/LEAD_BITS_ABOVE of the index's documents is kept as bits (then
# smaller than their docnums).
LEAD_BITS_ABOVE = 64
# A term in more than 1/FREQUENCIES_ABOVE of the documents is also kept as its frequency
# in every document (a byte or two each, fewer than its postings' 12 bytes): a stop word's
# frequencies in a few documents are then a lookup, not a pass over its postings, and the
# stop words that most queries share stay decoded (in bytes, per searcher).
FREQUENCIES_CACHE = 160_000_000
FREQUENCIES_ABOVE = 2
# Phrase masks kept per searcher, in bytes (a bit per document of the index): reading
# positions makes a phrase costly, and the phrases queries share (an abbreviation's words,
# abbreviations.py: ``thành phố hồ chí minh``) recur.
PHRASE_CACHE = 32_000_000
# The running sums of a term's frequencies in a part are kept every _STRIDE entries (per
# searcher, in bytes: RUNNING_CACHE), so that where a few documents' positions start
# costs a lookup and a short sum each, not a pass over the part (IndexReader._runs).
RUNNING_CACHE = 16_000_000
_STRIDE = 64
# What the ranking derives and keeps per searcher (IndexReader.cache), in bytes: BM25's
# length terms (4 bytes a document per field set) and document frequencies.
DERIVED_CACHE = 64_000_000


class IndexReader:
    """One committed state of an index, for reading: a :class:`searchkit.ranking.PostingsSource`
    over one Whoosh searcher and the postings parts of its segments (postings.py).

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
            self.parts += [(part, offset + part.base) for part in open_parts(folder, leaf.segment(), names)]
        self._deletions = not self._live.all()  # (else reading postings skips the live mask)
        self._lengths: dict[str, np.ndarray] = {}
        self._average: dict[str, float] = {}
        # Per (field, row, part): the part-local documents and where each posting's
        # positions end (cumulative tf), so that the positions of a few documents cost no
        # pass over a common term's postings (12 bytes per posting: a third as many
        # postings as the postings cache, 64 MB at most).
        self._local: LRUCache[tuple[str, int, int], tuple[np.ndarray, np.ndarray]] = LRUCache(
            POSTINGS_CACHE // 3, getsizeof=lambda found: len(found[0])
        )
        # Size-bounded in postings; a term's absence (None) costs one.
        self._postings: LRUCache[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = LRUCache(
            POSTINGS_CACHE, getsizeof=lambda found: len(found[0]) if found else 1
        )
        self._lead: LRUCache[str, np.ndarray | None] = LRUCache(LEAD_CACHE, getsizeof=_nbytes)
        self._phrases: LRUCache[tuple[str, tuple[str, ...]], np.ndarray] = LRUCache(
            PHRASE_CACHE, getsizeof=_nbytes
        )
        self._running: LRUCache[tuple[str, str, int, bool], np.ndarray] = LRUCache(
            RUNNING_CACHE, getsizeof=_nbytes
        )
        # Least frequently used first out: the stop words most queries share stay.
        self._frequencies: LFUCache[tuple[str, str], np.ndarray | None] = LFUCache(
            FREQUENCIES_CACHE, getsizeof=_nbytes
        )
        self._columns: dict[str, list] = {}
        self._dates: np.ndarray | None = None
        self._forms: tuple[list[str], list[str], list[int]] | None = None  # accented_forms
        self.cache: MutableMapping = LRUCache(DERIVED_CACHE, getsizeof=_nbytes)

    def live(self) -> np.ndarray:
        return self._live.copy()

    def average_length(self, field: str) -> float:
        if field not in self._average:
            self._average[field] = float(self.lengths(field)[self._live].sum()) / max(self.doc_count, 1)
        return self._average[field]

    def lengths(self, field: str) -> np.ndarray:
        if field not in self._lengths:
            lengths = np.zeros(self.doc_count_all, dtype=np.float32)
            for part, base in self.parts:
                lengths[base : base + part.ndocs] = part.lengths(field)
            self._lengths[field] = lengths
        return self._lengths[field]

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        key = (field, term)
        if key in self._postings:
            return self._postings[key]
        found = self._read(field, term)
        with contextlib.suppress(ValueError):  # postings larger than the whole cache
            self._postings[key] = found
        return found

    def frequencies(self, field: str, term: str) -> np.ndarray | None:
        key = (field, term)
        if key in self._frequencies:
            return self._frequencies[key]
        found = None
        if field in FIELD and self.doc_frequency(field, term) * FREQUENCIES_ABOVE > self.doc_count_all:
            postings = self._postings.get(key) or self._read(field, term)  # (not cached twice)
            if postings is not None:
                docs, tf = postings
                top = int(tf.max())
                kind = np.uint8 if top <= 0xFF else np.uint16 if top <= 0xFFFF else np.uint32
                found = np.zeros(self.doc_count_all, dtype=kind)
                found[docs] = tf
        with contextlib.suppress(ValueError):  # larger than the whole cache
            self._frequencies[key] = found
        return found

    def _term_in_parts(self, field: str, term: str) -> Iterator[tuple[PartReader, int, int]]:
        """Each part that has ``term`` in ``field``: the part, its first docnum and the
        term's row in it."""
        key = key_of(field, term)
        for part, base in self.parts:
            i = part.find(field, term, key)
            if i >= 0:
                yield part, base, i

    def _read(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        found = [(base, *part.postings(field, i)) for part, base, i in self._term_in_parts(field, term)]
        if not found:
            return None
        # Written into arrays of the whole length, each part's in one pass (no concatenation).
        ids_all = np.empty(sum(len(docs) for _, docs, _ in found), dtype=np.int64)
        tf_all = np.empty(len(ids_all), dtype=np.float32)
        start = 0
        for base, docs, tf in found:
            stop = start + len(docs)
            np.add(docs, base, out=ids_all[start:stop], dtype=np.int64)
            tf_all[start:stop] = tf
            start = stop
        if self._deletions:
            keep = self._live[ids_all]
            ids_all, tf_all = ids_all[keep], tf_all[keep]
        return (ids_all, tf_all) if len(ids_all) else None

    def _position_rows(self, field: str, term: str) -> list[tuple[PartReader, int, str, int, str]]:
        """Where the positions of ``term`` in ``field`` are kept, part by part: the part,
        its first docnum, and the field, row and term holding them: the term's own row,
        or, for a field whose positions are those of another's terms (``body_fold``: of
        its accented forms in ``body``), the rows of those terms there."""
        source = FIELD[field].positions_from if field in FIELD else None
        own = key_of(field, term)
        forms: list[tuple[str, int]] | None = None  # (form, key), looked up once if needed
        found = []
        for part, base in self.parts:
            if source is None or part.positional(field):  # (a part written before stored them)
                i = part.find(field, term, own)
                found += [(part, base, field, i, term)] if i >= 0 else []
                continue
            if forms is None:
                forms = [(form, key_of(source, form)) for form, _ in self.accented_forms(term)]
            found += [
                (part, base, source, i, form)
                for form, key in forms
                if (i := part.find(source, form, key)) >= 0
            ]
        return found

    def lead_docs(self, term: str) -> np.ndarray | None:
        """Live documents with the folded syllable ``term`` in their lead (fields.LEAD_FIELD):
        ascending docnums, or, when that would take more memory than a bit per document of
        the index, those bits (``np.packbits`` of a mask over all docnums)."""
        if term in self._lead:
            return self._lead[term]
        found = self._read(LEAD_FIELD, term)  # (not through the postings cache: kept here)
        kept = None if found is None else found[0]
        if kept is not None and len(kept) * LEAD_BITS_ABOVE > self.doc_count_all:
            kept = np.packbits(documents_mask(self.doc_count_all, kept))
        with contextlib.suppress(ValueError):  # larger than the whole cache
            self._lead[term] = kept
        return kept

    def positions(self, field: str, term: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where ``term`` occurs in ``field`` of the documents ``docs``: the document and
        the position of each occurrence (two arrays of one length, empty if none; by
        document, or by form and then document where a field's positions are its
        forms')."""
        found_docs, found_positions = [], []
        for part, base, name, i, form in self._position_rows(field, term):
            inside = docs[(docs >= base) & (docs < base + part.ndocs)]
            if not len(inside):
                continue
            held = None if self._deletions else self._runs(name, form, base, part.ndocs, inside)
            if held is not None:
                local, starts, counts = held
                if len(local):
                    found_docs.append((local + base).repeat(counts))
                    found_positions.append(part.positions_at(name, i, starts, counts).astype(np.int64))
                continue
            key = (name, i, base)
            cached = self._local.get(key)
            if cached is None:
                local, tf = part.postings(name, i)
                cached = local, tf.astype(np.int64).cumsum()
                with contextlib.suppress(ValueError):  # larger than the whole cache
                    self._local[key] = cached
            local, ends = cached
            wanted = (inside - base).astype(local.dtype)  # (not the postings to int64: O(postings))
            rows = shared_documents(wanted, local)[1]
            if not len(rows):
                continue
            # Only the wanted documents' runs of positions: a common syllable has far more.
            counts = ends[rows] - ends[rows - 1] * (rows > 0)  # (ends[-1] for row 0, times 0)
            found_docs.append((local[rows].astype(np.int64) + base).repeat(counts))
            found_positions.append(part.positions(name, i, rows, ends).astype(np.int64))
        if not found_docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_docs), np.concatenate(found_positions)

    def _runs(
        self, field: str, term: str, base: int, size: int, docs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """For ``docs`` (ascending, in the part of ``size`` documents from ``base``): those
        with ``term`` in ``field`` (part-local), where their runs of positions start among
        the term's positions in the part, and how long they are. Read from what the
        searcher holds of the term over every part (its frequencies, or its postings
        decoded), so that a few documents' positions cost no decoding of the part's
        postings; None when it holds neither. (Only without deletions: what it holds
        leaves deleted documents out, the part's positions do not.)"""
        every = self.frequencies(field, term)
        if every is not None:
            frequencies = every[base : base + size]  # (one per document of the part)
            at = docs - base
            counts = frequencies[at].astype(np.int64)
            local = at = at[counts > 0]
            counts = counts[counts > 0]
        else:
            held = self._postings.get((field, term))
            if held is None:
                return None
            ids, tf = held
            lo, hi = ids.searchsorted((base, base + size))
            ids, frequencies = ids[lo:hi], tf[lo:hi]  # (one per posting in the part)
            if not len(ids):
                return None
            at = shared_documents(docs, ids)[1]
            local, counts = ids[at] - base, frequencies[at].astype(np.int64)
        if not len(at):
            return local, counts, counts
        key = (field, term, base, every is not None)
        return local, self._sums_before(key, frequencies, at), counts

    def _sums_before(
        self, key: tuple[str, str, int, bool], frequencies: np.ndarray, at: np.ndarray
    ) -> np.ndarray:
        """``frequencies[:k].sum()`` for each ``k`` of ``at`` (ascending): where each run of
        positions starts. From the running sums kept every _STRIDE entries and the few
        entries since, when ``at`` is short; else in one pass over the entries before its
        last. ``key``: the field, term and part, and whether ``frequencies`` has one entry
        per document of the part (else one per posting)."""
        if len(at) * _STRIDE > len(frequencies):
            between = np.add.reduceat(frequencies[: at[-1]], at[:-1], dtype=np.float64)
            first = frequencies[: at[0]].sum(dtype=np.float64)
            return (first + np.concatenate(([0], np.cumsum(between)))).astype(np.int64)
        running = self._running.get(key)
        if running is None:
            strides = np.add.reduceat(frequencies, np.arange(0, len(frequencies), _STRIDE), dtype=np.int64)
            running = np.concatenate(([0], np.cumsum(strides)))
            with contextlib.suppress(ValueError):  # larger than the whole cache
                self._running[key] = running
        block = at // _STRIDE
        index = block[:, None] * _STRIDE + np.arange(_STRIDE)
        since = np.where(index < at[:, None], frequencies[np.minimum(index, len(frequencies) - 1)], 0)
        return running[block] + since.sum(axis=1, dtype=np.int64)

    def phrase_mask(self, field: str, syllables: list[str]) -> np.ndarray:
        if field not in FIELD:  # author: a small Whoosh field
            query = wq.Phrase(field, syllables) if len(syllables) > 1 else wq.Term(field, syllables[0])
            return self.mask_of(query)
        key = (field, tuple(syllables))
        kept = self._phrases.get(key)
        if kept is not None:
            return np.unpackbits(kept, count=self.doc_count_all).view(bool)
        mask = self._phrase_mask(field, syllables)
        with contextlib.suppress(ValueError):  # larger than the whole cache
            self._phrases[key] = np.packbits(mask)
        return mask

    def _phrase_mask(self, field: str, syllables: list[str]) -> np.ndarray:
        mask = np.zeros(self.doc_count_all, dtype=bool)
        rows = [self._position_rows(field, s) for s in syllables]
        pairs = pair_terms([text.fold_diacritics(s) for s in syllables])
        for part, base in self.parts:
            docs = _phrase_docs(
                part, [[row[2:4] for row in found if row[0] is part] for found in rows], pairs
            )
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
            # Once per searcher (the first query that needs it pays): the syllable
            # vocabulary folded in one call and sorted by folded form, then by document
            # frequency; a lookup is a bisection. (A dict of lists, a Python step per term,
            # cost several times as much on a large vocabulary.)
            frequency: Counter[str] = Counter()
            for part, _ in self.parts:
                frequency.update(dict(part.terms("body")))
            terms = list(frequency)
            plain = np.array(text.fold_diacritics("\n".join(terms)).split("\n") if terms else [], dtype=str)
            counts = np.fromiter(frequency.values(), dtype=np.int64, count=len(terms))
            by_count = np.argsort(-counts, kind="stable")
            order = by_count[np.argsort(plain[by_count], kind="stable")]
            self._forms = (plain[order].tolist(), [terms[k] for k in order.tolist()], counts[order].tolist())
        keys, forms, dfs = self._forms
        lo, hi = bisect.bisect_left(keys, folded), bisect.bisect_right(keys, folded)
        return list(zip(forms[lo:hi], dfs[lo:hi]))

    def _leaf_columns(self, field: str, translate: bool, missing) -> list:
        """A column over all segments, by global docnum; ``missing`` where a segment has
        no such column (e.g. none of its documents had a date)."""
        values: list = []
        known = field in self.searcher.schema  # not in an index made before the field was
        for leaf, _ in self.leaves:
            if known and leaf.has_column(field):
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


def open_parts(folder: Path, segment, names: list[str] | None = None) -> list[PartReader]:
    """The postings parts of a Whoosh ``segment``, opened (cheap checks, postings.py), or
    IndexDamagedError naming the first missing part (they must cover its documents exactly)
    or a Whoosh file of the segment whose size is not the one recorded at its commit."""
    verify_whoosh_files(folder, segment.segment_id(), full=False)  # sizes only: a stat each
    parts = []
    expected = 0
    for path in segment_parts(folder, segment.segment_id(), names):
        part = PartReader(path)
        if part.base != expected:
            break
        parts.append(part)
        expected += part.ndocs
    if expected != segment.doc_count_all():
        name = part_path(folder, segment.segment_id(), expected).name
        count = segment.doc_count_all()
        raise IndexDamagedError.in_file(
            folder, name, f"is missing (segment {segment.segment_id()} has {count} documents)"
        )
    return parts


# Phrase positions are keyed as document << _POSITION_BITS | (position + _PHRASE_SLACK -
# offset in the phrase): positions stay below 2**21 (articles are at most 1,000,000
# characters) and queries below 1,000 characters, so keys never collide.
_POSITION_BITS = 22
_PHRASE_SLACK = 1024


def _phrase_docs(
    part: PartReader, syllables: list[list[tuple[str, int]]], pairs: list[str]
) -> np.ndarray | None:
    """Part-local documents where the phrase occurs: ``syllables`` gives, for each of its
    syllables in order, the (field, row) of the terms holding its positions (one, or its
    forms: _position_rows); ``pairs``, its adjacent syllables folded (``a_b``)."""
    if any(not rows for rows in syllables):
        return None
    if len(syllables) == 1:
        return ascending_union([part.postings(name, i)[0] for name, i in syllables[0]])
    # Only documents with each of the phrase's pairs (fields.py: adjacent syllables of a
    # zone, folded, in any zone) can hold it: far fewer than those with each of its
    # syllables when these are common (``1,2 tỷ``: ``1`` and ``2`` are in most articles),
    # so the positions read are few.
    candidates: np.ndarray | None = None
    for pair in pairs:
        row = part.find(PAIRS_FIELD, pair)
        if row < 0:
            return None
        docs = part.postings(PAIRS_FIELD, row)[0]
        candidates = docs if candidates is None else ascending_intersection(candidates, docs)
    assert candidates is not None  # (two syllables or more: a pair at least)
    if not len(candidates):
        return candidates
    found: np.ndarray | None = None  # position keys of the phrase so far
    for k, rows in enumerate(syllables):
        keys = []
        for name, i in rows:
            docs, tf = part.postings(name, i)
            wanted = shared_documents(candidates, docs)[1]  # (their positions only)
            doc_of = np.repeat(docs[wanted], tf[wanted]).astype(np.int64)
            positions = part.positions(name, i, wanted, tf.astype(np.int64).cumsum()).astype(np.int64)
            keys.append((doc_of << _POSITION_BITS) | (positions + _PHRASE_SLACK - k))
        key = ascending_union(keys)  # (each form's keys ascend: by document, then position)
        found = key if found is None else ascending_intersection(found, key)
        if not len(found):
            break
    assert found is not None  # two syllables or more here
    return np.unique(found >> _POSITION_BITS)


def _nbytes(value) -> int:
    """The bytes of the arrays in ``value`` (an array or a tuple of them); for anything
    else, about what a small entry of a dict costs."""
    if isinstance(value, tuple):
        return sum(_nbytes(item) for item in value)
    return value.nbytes if isinstance(value, np.ndarray) else 256
