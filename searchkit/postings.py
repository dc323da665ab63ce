"""The inverted index of the text fields: our own postings files, written with numpy.

Why not Whoosh's postings: its writer spends pure Python per term and per posting
(pooling, sorting, block encoding), several times pyvi's segmentation, which is the one
cost indexing cannot avoid (bench/perf.py measures both). Here the worker
that analysed a document also counts its terms and turns each into a 64-bit key
(:func:`term_keys`, vectorised), so the single writer only appends arrays, and a part
is laid out with a few numpy sorts. Whoosh keeps everything else: stored documents,
ids, filters, deletions, the commit protocol and the lock (index.py ties a part to its
Whoosh segment).

A *part* holds the postings of a contiguous range of documents of one segment, in one
file of numpy arrays and a JSON header (the writer writes a part whenever its memory
budget is full, and merges a segment's parts into fewer, larger ones at its commit:
:func:`merge_parts`), read through mmap (nothing is decoded when
an index is opened, so a query's cold start does not grow with the archive). Every part
carries checksums: its header's, and one per :data:`BLOCK` bytes of its arrays, checked as
the reader first reads them (:class:`PartReader`). Per field (``uint*``: the narrowest
of uint16, uint32 and uint64 that holds the array's values):

==============  ========  ============================================================
array           dtype     meaning
==============  ========  ============================================================
``keys``        uint64    the terms' keys, ascending (the term dictionary)
``poff``        uint*     postings of term i are postings ``poff[i]`` to ``poff[i+1]``,
                          at least one (a term without postings is not kept)
``doff``        uint*     term i's documents are bytes ``doff[i]`` to ``doff[i+1]``
``docs``        bytes     each term's part-local documents: the first, then each
                          minus the one before, all in 1, 2 or 4 bytes (the fewest
                          that hold the term's largest; ``(doff[i+1]-doff[i])/df``)
``tf``          4 bits    occurrences of the term in the posting's document, two a
                          byte, the first in the low half
``len``         uint*     tokens per document (BM25's field length)
``xoff``        uint*     positions of term i are ``pos[xoff[i]:xoff[i+1]]``, ``tf``
                          per posting (positional fields only, as ``pos``)
``pos``         16 bits   the positions of each posting, ascending
``<s>_xi/_xv``  uint*     the exceptions of packed stream ``<s>`` (``tf``, ``pos``):
                          a value from ``2**bits - 1`` up is stored as that escape,
                          its index in the stream in ``_xi`` (ascending) and itself
                          in ``_xv``
``toff/tblob``  uint*/u8  each term's UTF-8 text in key order (``body`` only: the
                          vocabulary that "did you mean" and accent restoration read)
==============  ========  ============================================================

Positional fields are those the field table marks ``positional``; a field whose positions
are another's (``body_fold``: a folded syllable is where its accented forms are in
``body``, fields.py) stores none, and readers take them from those forms (reader.py).
Parts written before stored them for ``body_fold`` too, and are read as they are.

A term's postings are slices of these arrays: its documents decoded when read (a
cumulative sum of the slice), its frequencies and positions used as stored but where
the slice holds an escape (:meth:`PartReader.postings`, :meth:`PartReader.positions`).

Terms are found by their key alone. Two different terms with one key would share
postings; with 64-bit keys and a final avalanche step that is expected about once in
2**64 / n**2 (n terms): for ten million terms, odds of about one in 300,000.
"""

from __future__ import annotations

import functools
import itertools
import json
import mmap
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from zlib_ng.zlib_ng import crc32  # zlib's CRC-32, the same values, many times faster

from .errors import IndexDamagedError
from .fields import FIELD, TEXT_FIELDS

__all__ = [
    "FieldPostings",
    "FieldArrays",
    "BatchPostings",
    "Vocabulary",
    "count_field",
    "count_pairs",
    "term_keys",
    "key_of",
    "PartWriter",
    "PartReader",
    "remap_part",
    "merge_parts",
    "ascending_union",
    "documents_mask",
    "shared_documents",
    "ascending_intersection",
    "PART_SUFFIX",
]

PART_SUFFIX = ".skp"
# Version 3 added checksums (see _write_arrays); version 4 packs the postings (the table
# above) and writes the header last. A part is BLOCK bytes per checksum: small enough
# that verifying the blocks a query reads costs little next to reading them.
_MAGIC = b"SKPOSTS4"
_PREFIX = 16  # magic, header length (4 bytes), the header's CRC-32 (4 bytes)
BLOCK = 16 * 1024
_DOCUMENTS = "_documents/json"  # the array holding the part's documents' ids and sources
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_EMPTY_U64 = np.zeros(0, dtype=np.uint64)

# -- term keys -------------------------------------------------------------------------

_BASE = np.uint64(0x100000001B3)  # an odd multiplier for the polynomial over the bytes
_PAIR_MULTIPLIER = 0x9E3779B97F4A7C15


def _power_table(n: int) -> np.ndarray:
    """_BASE**0 .. _BASE**(n-1) modulo 2**64."""
    table = np.ones(n, dtype=np.uint64)
    table[1:] = np.cumprod(np.full(n - 1, _BASE, dtype=np.uint64))
    return table


_POWERS = _power_table(256)


def _powers(n: int) -> np.ndarray:
    global _POWERS
    if n > len(_POWERS):
        _POWERS = _power_table(max(n, 2 * len(_POWERS)))
    return _POWERS


def _avalanche(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit affects every output bit."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def term_keys(terms: Sequence[str]) -> np.ndarray:
    """The 64-bit key of each term (no newlines in terms): a polynomial hash of its
    UTF-8 bytes modulo 2**64, avalanched; computed for all terms at once with numpy."""
    if not terms:
        return _EMPTY_U64
    data = np.frombuffer(("\n".join(terms) + "\n").encode("utf-8"), dtype=np.uint8)
    ends = np.flatnonzero(data == 10)
    starts = np.zeros(len(ends), dtype=np.int64)
    starts[1:] = ends[:-1] + 1
    from_end = np.repeat(ends, ends - starts + 1) - np.arange(len(data))
    contrib = (data.astype(np.uint64) + np.uint64(1)) * _powers(int(from_end.max()) + 1)[from_end]
    with np.errstate(over="ignore"):
        return _avalanche(np.add.reduceat(contrib, starts) ^ (ends - starts).astype(np.uint64))


def pair_keys(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Keys of the pairs ``a_b`` from the keys of ``a`` and ``b`` (order matters)."""
    with np.errstate(over="ignore"):
        return _avalanche(first * np.uint64(_PAIR_MULTIPLIER) + second)


_MASK = (1 << 64) - 1


def _avalanche_int(h: int) -> int:
    """:func:`_avalanche` of one key, in Python integers."""
    h ^= h >> 30
    h = h * 0xBF58476D1CE4E5B9 & _MASK
    h ^= h >> 27
    h = h * 0x94D049BB133111EB & _MASK
    return h ^ (h >> 31)


def _term_key(term: str) -> int:
    """``term_keys([term])[0]`` in Python integers: for one term, several times faster
    than numpy's fixed costs (a query looks up dozens of new terms)."""
    data = term.encode("utf-8")
    h = 0
    for byte in data:  # Horner's rule for the sum of (byte + 1) * BASE**(bytes from the newline)
        h = (h + byte + 1) * int(_BASE) & _MASK
    return _avalanche_int(((h + 11) & _MASK) ^ len(data))  # 11: the newline's own term


@functools.lru_cache(maxsize=1 << 16)
def key_of(field: str, term: str) -> int:
    """The key under which ``term`` is stored in ``field`` (``a_b`` for pairs)."""
    if FIELD[field].terms == "pairs":  # pair keys combine their syllables' keys (pair_keys)
        a, _, b = term.partition("_")
        return _avalanche_int((_term_key(a) * _PAIR_MULTIPLIER + _term_key(b)) & _MASK)
    return _term_key(term)


# -- the fields of one document ----------------------------------------------------------


@dataclass
class FieldPostings:
    """One text field of a batch of documents, counted: one row per (document, term)."""

    keys: np.ndarray  # uint64 term key per posting
    docs: np.ndarray  # int32 batch-local document per posting, ascending
    tf: np.ndarray  # int32 occurrences per posting
    positions: np.ndarray | None  # int32, ``tf`` token positions per posting, in order
    lengths: np.ndarray  # int32 tokens per document
    texts: tuple[np.ndarray, list[str]] | None = None  # (keys, texts) of kept fields


@dataclass
class BatchPostings:
    """The text fields of consecutive documents: what a worker sends the writer."""

    ndocs: int
    fields: dict[str, FieldPostings]


@dataclass
class Vocabulary:
    """Tokens numbered by distinct term, with the terms' texts and keys."""

    ids: np.ndarray  # int64 per token
    terms: list[str]
    keys: np.ndarray  # uint64 per term

    @classmethod
    def of(cls, tokens: Sequence[str]) -> Vocabulary:
        number: dict[str, int] = {}
        ids = np.fromiter(
            map(number.setdefault, tokens, itertools.count()), dtype=np.int64, count=len(tokens)
        )
        # setdefault offered each token its own index: renumber first indices 0..n-1
        firsts = np.fromiter(number.values(), dtype=np.int64, count=len(number))
        rank = np.zeros(len(tokens), dtype=np.int64)
        rank[firsts] = np.arange(len(firsts), dtype=np.int64)
        terms = list(number)
        return cls(rank[ids] if len(ids) else ids, terms, term_keys(terms))

    def mapped(self, mapping: Callable[[str], str]) -> Vocabulary:
        """The tokens ``mapping(term)``; ``mapping`` runs once per distinct term."""
        number: dict[str, int] = {}
        table = np.fromiter(
            (number.setdefault(mapping(t), len(number)) for t in self.terms),
            dtype=np.int64,
            count=len(self.terms),
        )
        terms = list(number)
        return Vocabulary(table[self.ids] if len(self.ids) else self.ids, terms, term_keys(terms))


def _run_starts(ordered: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted ``ordered`` starts."""
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return np.flatnonzero(first)


def count_field(
    vocabulary: Vocabulary,
    select: np.ndarray | slice,
    docs: np.ndarray,
    positions: np.ndarray | None,
    ndocs: int,
    keep_texts: bool = False,
) -> FieldPostings:
    """Count the tokens ``vocabulary.ids[select]`` of documents ``docs`` (one per selected
    token, non-decreasing) into postings; ``positions`` are the tokens' positions in
    their document's field (kept only when given)."""
    ids = vocabulary.ids[select]
    lengths = (
        np.bincount(docs, minlength=ndocs).astype(np.int32) if len(docs) else np.zeros(ndocs, dtype=np.int32)
    )
    if not len(ids):
        return FieldPostings(
            _EMPTY_U64,
            _EMPTY_I32,
            _EMPTY_I32,
            _EMPTY_I32 if positions is not None else None,
            lengths,
            (_EMPTY_U64, []) if keep_texts else None,
        )
    codes = docs.astype(np.int64) * len(vocabulary.terms) + ids
    order = np.argsort(codes, kind="stable")  # by document, then term, then position
    ordered = codes[order]
    starts = _run_starts(ordered)
    tf = np.diff(np.append(starts, len(ordered))).astype(np.int32)
    post_docs, post_terms = np.divmod(ordered[starts], len(vocabulary.terms))
    texts = None
    if keep_texts:
        used = np.unique(post_terms)
        texts = (vocabulary.keys[used], [vocabulary.terms[i] for i in used.tolist()])
    return FieldPostings(
        vocabulary.keys[post_terms],
        post_docs.astype(np.int32),
        tf,
        positions[order].astype(np.int32) if positions is not None else None,
        lengths,
        texts,
    )


def count_pairs(vocabulary: Vocabulary, docs: np.ndarray, joined: np.ndarray, ndocs: int) -> FieldPostings:
    """Postings of adjacent token pairs ``a_b``: token i and i+1 pair where ``joined[i]``
    (same document, same text)."""
    ids = vocabulary.ids
    lengths = np.zeros(ndocs, dtype=np.int32)
    if len(ids) < 2 or not joined.any():
        return FieldPostings(_EMPTY_U64, _EMPTY_I32, _EMPTY_I32, None, lengths)
    n = len(vocabulary.terms)
    pair_docs = docs[:-1][joined]
    pairs = ids[:-1][joined] * n + ids[1:][joined]
    lengths = np.bincount(pair_docs, minlength=ndocs).astype(np.int32)
    codes = pair_docs.astype(np.int64) * (n * n) + pairs
    distinct, counts = np.unique(codes, return_counts=True)
    post_docs, pair_codes = np.divmod(distinct, n * n)
    firsts, seconds = np.divmod(pair_codes, n)
    keys = pair_keys(vocabulary.keys[firsts], vocabulary.keys[seconds])
    return FieldPostings(keys, post_docs.astype(np.int32), counts.astype(np.int32), None, lengths)


# -- writing -----------------------------------------------------------------------------


class PartWriter:
    """Collects batches of documents' postings and writes them as one part file.

    Memory is about :attr:`nbytes`.
    """

    def __init__(self, base: int):
        self.base = base  # segment-local number of the part's first document
        self.ndocs = 0
        names = [f.name for f in TEXT_FIELDS]
        self._keys: dict[str, list[np.ndarray]] = {f: [] for f in names}
        self._docs: dict[str, list[np.ndarray]] = {f: [] for f in names}
        self._tf: dict[str, list[np.ndarray]] = {f: [] for f in names}
        self._pos: dict[str, list[np.ndarray]] = {f.name: [] for f in TEXT_FIELDS if f.positional}
        self._len: dict[str, list[np.ndarray]] = {f: [] for f in names}
        self._texts: dict[str, dict[int, str]] = {f.name: {} for f in TEXT_FIELDS if f.keep_texts}
        self._documents: list[tuple[str, str]] = []
        self.nbytes = 0

    def add(self, batch: BatchPostings, documents: Sequence[tuple[str, str]] | None = None) -> None:
        """Add the batch's documents as the next ones (from ``base + ndocs``), with their
        ``(id, source)`` when known (kept in the part for ``searchkit check --repair``)."""
        if documents is not None:
            assert len(documents) == batch.ndocs, "one (id, source) per document"
            self._documents.extend(documents)
        for name in self._keys:
            fp = batch.fields.get(name)
            if fp is None:
                self._len[name].append(np.zeros(batch.ndocs, dtype=np.int32))
                continue
            self._keys[name].append(fp.keys)
            self._docs[name].append(fp.docs + np.int32(self.ndocs))
            self._tf[name].append(fp.tf)
            self._len[name].append(fp.lengths)
            self.nbytes += 16 * len(fp.keys)
            if name in self._pos:
                assert fp.positions is not None, f"{name} is positional"
                self._pos[name].append(fp.positions)
                self.nbytes += fp.positions.nbytes
            if name in self._texts and fp.texts is not None:
                texts = self._texts[name]
                before = len(texts)
                texts.update(zip(fp.texts[0].tolist(), fp.texts[1]))
                self.nbytes += 100 * (len(texts) - before)
        self.ndocs += batch.ndocs

    def write(self, path: str | Path) -> None:
        """Write the part; the file appears under ``path`` only once complete."""
        documents = self._documents if len(self._documents) == self.ndocs else None
        _write_part(Path(path), self.base, self.ndocs, self._fields(), documents)

    def _fields(self) -> Iterator[tuple[str, FieldArrays]]:
        for field in TEXT_FIELDS:
            name = field.name
            keys = np.concatenate(self._keys[name]) if self._keys[name] else _EMPTY_U64
            tf = np.concatenate(self._tf[name]) if self._tf[name] else _EMPTY_I32
            docs = np.concatenate(self._docs[name]) if self._docs[name] else _EMPTY_I32
            positions = None
            if field.positional:
                positions = np.concatenate(self._pos[name]) if self._pos[name] else _EMPTY_I32
            lengths = np.concatenate(self._len[name]) if self._len[name] else _EMPTY_I32
            arrays = _layout(keys, docs, tf, positions, lengths.astype(np.int32))
            if field.keep_texts:
                arrays = arrays._replace(**_texts(arrays.keys, self._texts[name]))
            yield name, arrays


class FieldArrays(NamedTuple):
    """One field of a part decoded: whole document numbers, frequencies and positions
    (what the writer lays out, a renumbering rewrites and :meth:`PartReader.field`
    returns; :func:`_encode` turns it into the arrays of the table at the top)."""

    keys: np.ndarray  # uint64 per term, ascending
    poff: np.ndarray  # int64: postings of term i are [poff[i], poff[i + 1]), at least one
    docs: np.ndarray  # int32 part-local document per posting, ascending within a term
    tf: np.ndarray  # int32 occurrences per posting
    len: np.ndarray  # int32 tokens per document
    pos: np.ndarray | None = None  # int32, ``tf`` positions per posting, in posting order
    xoff: np.ndarray | None = None  # int64: positions of term i are [xoff[i], xoff[i + 1])
    toff: np.ndarray | None = None  # with tblob: fields that keep their term texts
    tblob: np.ndarray | None = None


def _layout(
    keys: np.ndarray,
    docs: np.ndarray,
    tf: np.ndarray,
    positions: np.ndarray | None,
    lengths: np.ndarray,
) -> FieldArrays:
    """Arrays of one field from postings in document order."""
    order = np.argsort(keys, kind="stable")  # stable: documents stay ascending per term
    sorted_keys = keys[order]
    starts = _run_starts(sorted_keys)
    poff = np.append(starts, len(sorted_keys)).astype(np.int64)
    tf_sorted = tf[order].astype(np.int32)
    arrays = FieldArrays(sorted_keys[starts], poff, docs[order].astype(np.int32), tf_sorted, lengths)
    if positions is None:
        return arrays
    cum = np.zeros(len(tf_sorted) + 1, dtype=np.int64)
    np.cumsum(tf_sorted, out=cum[1:])
    return arrays._replace(pos=_runs(positions, tf, order), xoff=cum[poff])


def _texts(keys: np.ndarray, texts: dict[int, str]) -> dict[str, np.ndarray]:
    encoded = [texts[k].encode("utf-8") for k in keys.tolist()]
    toff = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=toff[1:])
    return {"toff": toff, "tblob": np.frombuffer(b"".join(encoded), dtype=np.uint8)}


def _runs(values: np.ndarray, sizes: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``values`` cut in consecutive runs of ``sizes``, the runs put in ``order``."""
    if not len(order):
        return _EMPTY_I32
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    sizes_o = sizes[order].astype(np.int64)
    new_starts = np.zeros(len(order), dtype=np.int64)
    np.cumsum(sizes_o[:-1], out=new_starts[1:])
    index = np.repeat(starts[order] - new_starts, sizes_o) + np.arange(int(sizes_o.sum()), dtype=np.int64)
    return values[index].astype(np.int32)


# -- the encoding ------------------------------------------------------------------------
#
# Why these widths: most frequencies are 1 or 2, and few documents are 65,535 syllables
# long. Each packed stream stores every value in a fixed width, so that a term's run is
# one slice of an array (a numpy view, aligned, used as it is), and the window and phrase
# steps read a few postings' positions by index; the rare value that does not fit is an
# exception. (Positions as gaps in 8 bits take a little less room, but the window step
# then decodes runs of them, which costs more than everything else it does.) Document
# gaps are small for a common term and large for every posting of a rare one (an
# exception each), so each term has its own width instead (and there is no need to read
# a posting's document by index: a term's documents are always read whole).

_BITS = {"tf": 4, "pos": 16}  # bits per value of each packed stream
_WIDTHS = (np.dtype("<u1"), np.dtype("<u2"), np.dtype("<u4"))  # of a term's documents
_EMPTY_U8 = np.zeros(0, dtype=np.uint8)
# The two 4-bit values of each byte (the first in its low half) as the two bytes of a
# little-endian uint16: _NIBBLES.take(bytes).view(np.uint8) are their values in order
# (take on a 1-D table: several times faster than a 2-D fancy index).
_NIBBLES = ((np.arange(256) & 15) | (np.arange(256) >> 4 << 8)).astype("<u2")


def _narrow(values: np.ndarray, bound: int | None = None) -> np.ndarray:
    """Non-negative ``values`` in the narrowest of uint16, uint32 and uint64 that holds
    ``bound`` (default: their largest)."""
    if bound is None:
        bound = int(values.max()) if len(values) else 0
    for dtype in (np.uint16, np.uint32):
        if bound <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values.astype(np.uint64)


class _Packer:
    """Writes a stream of non-negative integers at ``bits`` per value (4, 8 or 16), in as
    many calls as wanted: a value from the escape ``2**bits - 1`` up is written as the
    escape, and its index in the stream and its value are listed among the stream's
    exceptions (``<stream>_xi``, ascending, and ``<stream>_xv``). 4-bit values go two
    to a byte, the first in the low half."""

    def __init__(self, bits: int, length: int):
        self.bits = bits
        self.escape = (1 << bits) - 1
        self.count = 0
        self._length = length  # of the whole stream: the exceptions' index type
        self._at: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._odd = _EMPTY_U8  # 4 bits: a value waiting for the second half of its byte

    def pack(self, values: np.ndarray) -> np.ndarray:
        """The bytes of the next ``values`` (4 bits: all but an odd last one)."""
        big = np.flatnonzero(values >= self.escape)
        if len(big):
            self._at.append(_narrow(big + self.count, self._length))
            self._values.append(values[big].astype(np.uint32))  # (values below 2**31)
        self.count += len(values)
        low = np.minimum(values, self.escape).astype(np.uint16 if self.bits == 16 else np.uint8)
        if self.bits != 4:
            return low
        if len(self._odd):
            low = np.concatenate([self._odd, low])
        even = len(low) - len(low) % 2
        self._odd = low[even:]
        return low[0:even:2] | (low[1:even:2] << 4)

    def finish(self) -> np.ndarray:
        """The last byte of a 4-bit stream of an odd number of values (else nothing)."""
        odd, self._odd = self._odd, _EMPTY_U8
        assert self.count == self._length, "the stream's length was announced"
        return odd if self.bits != 16 else np.zeros(0, dtype=np.uint16)

    def exceptions(self) -> tuple[np.ndarray, np.ndarray]:
        at = np.concatenate(self._at) if self._at else _narrow(np.zeros(0, np.int64), self._length)
        values = np.concatenate(self._values) if self._values else np.zeros(0, np.uint32)
        return at, _narrow(values)


def _packed(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of the packed stream ``name`` holding ``values`` (see _Packer)."""
    pieces = _packed_pieces(name, len(values), iter([(0, 0, values)]))
    return {
        array: p if isinstance(p, np.ndarray) else np.concatenate(list(p())) for array, p in pieces.items()
    }


# (The decoding below calls array methods rather than numpy's functions: on the few
# values of a query's rare terms, the functions' own dispatch costs more than the work.)


def _running(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sums of ``values`` over each of their runs of ``counts`` (each at
    least 1), int64: the inverse of the differences, a run's first value kept whole."""
    counts = counts.astype(np.int64)
    heads = counts.cumsum() - counts
    total = values.astype(np.int64).cumsum()
    return total - (total[heads] - values[heads]).repeat(counts)


def _stored_bytes(counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """For runs of ``counts`` values taking ``sizes`` bytes (one width a run): which of
    each value's 4 little-endian bytes are stored, as a (values, 4) mask."""
    width = (sizes // np.maximum(counts, 1)).astype(np.uint8).repeat(counts)
    return np.arange(4, dtype=np.uint8) < width[:, None]


def _pack_runs(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``counts`` non-negative ``values`` (below 2**32; each run at least one)
    each in the fewest bytes of _WIDTHS that hold its largest: the bytes, and each run's
    size in bytes."""
    if not len(counts):
        return _EMPTY_U8, np.zeros(0, dtype=np.int64)
    largest = np.maximum.reduceat(values, counts.cumsum() - counts)
    sizes = np.where(largest < 1 << 8, 1, np.where(largest < 1 << 16, 2, 4)) * counts.astype(np.int64)
    every = values.astype("<u4").view(np.uint8).reshape(-1, 4)  # (each value's 4 bytes, in order)
    return every[_stored_bytes(counts, sizes)], sizes


def _unpack_runs(data: np.ndarray, counts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The values of _pack_runs (uint32) from its bytes and the runs' counts and sizes."""
    stored = _stored_bytes(counts, sizes)
    every = np.zeros(stored.shape, dtype=np.uint8)
    every[stored] = data
    return every.view("<u4").reshape(-1)


def _deltas(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each of ``values`` minus the one before in its run of ``counts``, a run's first
    value kept whole (the inverse of _running)."""
    deltas = np.diff(values, prepend=0)
    heads = counts.cumsum() - counts
    deltas[heads] = values[heads]
    return deltas


def _encode(arrays: FieldArrays) -> dict[str, np.ndarray]:
    """The arrays a part stores for one field (the table at the top)."""
    poff = arrays.poff.astype(np.int64)
    assert (np.diff(poff) > 0).all(), "every term has postings"
    counts = np.diff(poff)
    docs, sizes = _pack_runs(_deltas(arrays.docs, counts), counts)
    doff = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=doff[1:])
    stored = {"keys": arrays.keys, "poff": _narrow(poff), "doff": _narrow(doff), "docs": docs}
    stored["len"] = _narrow(arrays.len)
    stored.update(_packed("tf", arrays.tf))
    if arrays.pos is not None:
        assert arrays.xoff is not None, "positions come with their offsets"
        stored["xoff"] = _narrow(arrays.xoff)
        stored.update(_packed("pos", arrays.pos))
    if arrays.toff is not None and arrays.tblob is not None:
        stored.update(toff=_narrow(arrays.toff), tblob=arrays.tblob)
    return stored


def _write_part(
    path: Path,
    base: int,
    ndocs: int,
    fields: Iterable[tuple[str, FieldArrays]],
    documents: Sequence[tuple[str, str]] | None,
) -> None:
    """Write a part of ``fields``, encoded one after the other (each is dropped before the
    next is made, when they come from a generator)."""

    def arrays() -> Iterator[tuple[str, np.ndarray | _Pieces]]:
        for name, field in fields:
            encoded = _encode(field)
            del field  # (before the next field is made)
            yield from ((f"{name}/{array}", values) for array, values in encoded.items())
            del encoded
        if documents is not None:  # the documents' ids and sources, as JSON: read by repairs only
            listed = json.dumps([list(d) for d in documents], ensure_ascii=False).encode("utf-8")
            yield _DOCUMENTS, np.frombuffer(listed, dtype=np.uint8)

    _write_arrays(path, {"base": base, "docs": ndocs}, arrays())


# An array written piece by piece, as the callable yields them (a merge's output, never
# whole in memory); called only when its turn comes, so it may use what the arrays
# before it computed.
_Pieces = Callable[[], Iterable[np.ndarray]]


def _write_arrays(path: Path, meta: dict, arrays: Iterable[tuple[str, np.ndarray | _Pieces]]) -> None:
    """Write a part: the prefix (magic, header length, the header's CRC-32), the named
    arrays in order (8-byte aligned), the CRC-32 of every :data:`BLOCK` bytes of the
    arrays and the CRC-32 of that table, then the JSON header (last: it lists the arrays'
    sizes, known once they are written)."""
    layout = {}
    offset = 0
    sums = _BlockSums()
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as f:
            f.write(_MAGIC + b"\0" * (_PREFIX - len(_MAGIC)))
            for name, arr in arrays:
                written, dtype = 0, None
                for piece in arr() if callable(arr) else [arr]:
                    assert dtype is None or piece.dtype == dtype, name
                    dtype = piece.dtype
                    data = np.ascontiguousarray(piece).view(np.uint8).data
                    f.write(data)
                    sums.add(data)
                    written += len(data)
                assert dtype is not None, f"{name}: no piece"
                layout[name] = [offset, dtype.str, written // dtype.itemsize]
                padding = b"\0" * (-written % 8)
                f.write(padding)
                sums.add(padding)
                offset += written + len(padding)
            table = sums.table()
            f.write(table)
            f.write(crc32(table).to_bytes(4, "little") + b"\0" * 4)
            header = json.dumps({**meta, "arrays": layout, "data": offset, "block": BLOCK}).encode("utf-8")
            f.write(header)
            f.seek(len(_MAGIC))
            f.write(len(header).to_bytes(4, "little") + crc32(header).to_bytes(4, "little"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


class _BlockSums:
    """CRC-32 of each :data:`BLOCK` bytes of a stream written in chunks of any size."""

    def __init__(self) -> None:
        self._sums: list[int] = []
        self._crc = 0
        self._filled = 0

    def add(self, chunk: bytes | memoryview) -> None:
        view = memoryview(chunk)
        while len(view):
            take = min(len(view), BLOCK - self._filled)
            self._crc = crc32(view[:take], self._crc)
            self._filled += take
            view = view[take:]
            if self._filled == BLOCK:
                self._sums.append(self._crc)
                self._crc, self._filled = 0, 0

    def table(self) -> bytes:
        sums = self._sums + ([self._crc] if self._filled else [])
        return np.asarray(sums, dtype="<u4").tobytes()


# -- reading -----------------------------------------------------------------------------

# The arrays a field may have (the table at the top), each packed stream with its exceptions.
_ARRAYS = frozenset(
    ["keys", "poff", "doff", "docs", "len", "xoff", "toff", "tblob"]
    + [f"{stream}{suffix}" for stream in _BITS for suffix in ("", "_xi", "_xv")]
)


class PartReader:
    """A part file opened for reading (memory-mapped; nothing is decoded at open).

    Opening checks what costs nothing: the magic, the header's checksum, the file's size
    against the header, the block checksums' own checksum and that every array fits.
    The arrays' bytes are checked against their block checksums when first read (each
    block once per reader): a query reads only verified bytes, for about the cost of
    reading them, and :meth:`verify` checks the whole file (``searchkit check``).
    Damage raises :class:`IndexDamagedError` naming the file.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else None
        except FileNotFoundError:
            raise self._damaged("is missing") from None
        if self._map is None or size < _PREFIX or self._map[: len(_MAGIC)] != _MAGIC:
            old = self._map is not None and self._map[: len(_MAGIC) - 1] == _MAGIC[:-1]
            raise self._damaged("was written by an older searchkit" if old else "is not a postings file")
        header_size = int.from_bytes(self._map[8:12], "little")
        header = self._map[max(size - header_size, _PREFIX) : size]
        if len(header) != header_size or crc32(header) != int.from_bytes(self._map[12:16], "little"):
            raise self._damaged("has a damaged header (checksum mismatch)")
        try:
            meta = json.loads(header)
            self._data_bytes: int = int(meta["data"])
            self._block: int = int(meta["block"])
            self.base: int = int(meta["base"])
            self.ndocs: int = int(meta["docs"])
            if self._block <= 0 or self._data_bytes < 0:
                raise ValueError("bad sizes")
            listed = [(name, int(o), np.dtype(d), int(n)) for name, (o, d, n) in meta["arrays"].items()]
        except (ValueError, KeyError, TypeError) as exc:  # a header this searchkit did not write
            raise self._damaged(f"has an unreadable header ({exc})") from None
        self._data = _PREFIX
        nblocks = -(-self._data_bytes // self._block)
        table_at = self._data + self._data_bytes
        expected = table_at + 4 * nblocks + 8 + header_size
        if size != expected:
            raise self._damaged(f"is {size} bytes long, its header says {expected}: truncated or extended")
        table = self._map[table_at : table_at + 4 * nblocks]
        table_sum = self._map[table_at + 4 * nblocks : table_at + 4 * nblocks + 4]
        if crc32(table) != int.from_bytes(table_sum, "little"):
            raise self._damaged("has damaged block checksums")
        self._sums = np.frombuffer(table, dtype="<u4")
        self._verified = bytearray(nblocks)  # 1: the block was verified (bytes: C-fast find)
        self._view = memoryview(self._map)
        self._fields: dict[str, dict[str, np.ndarray]] = {}
        self._extent: dict[tuple[str, str], tuple[int, int]] = {}  # (data offset, itemsize)
        for name, offset, kind, count in listed:
            field, _, array = name.partition("/")
            if offset < 0 or count < 0 or offset + kind.itemsize * count > self._data_bytes:
                raise self._damaged(f"has a header whose array {name} lies outside the file")
            if name == _DOCUMENTS:
                self._extent[field, array] = (offset, count)
                continue
            if array not in _ARRAYS:
                raise self._damaged("has a header naming unknown arrays")
            self._fields.setdefault(field, {})[array] = np.frombuffer(
                self._map, dtype=kind, count=count, offset=self._data + offset
            )
            self._extent[field, array] = (offset, kind.itemsize)
        for name, arrays in self._fields.items():
            if not {"keys", "poff", "doff", "docs", "tf", "len"} <= arrays.keys():
                raise self._damaged(f"has no postings arrays in field {name}")
            if not len(arrays["poff"]) == len(arrays["doff"]) == len(arrays["keys"]) + 1:
                raise self._damaged(f"has inconsistent array sizes in field {name}")
            if len(arrays["len"]) != self.ndocs:
                raise self._damaged(f"has inconsistent array sizes in field {name}")
        self._arrays = {  # (field, array) -> (values, data offset, itemsize): the read path's lookup
            (name, array): (values, *self._extent[name, array])
            for name, arrays in self._fields.items()
            for array, values in arrays.items()
        }
        self._whole: set[tuple[str, str]] = set()  # arrays verified whole
        self._exception_arrays: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}  # verified
        # A field of the table this part was written without: it holds no terms.
        self._absent: dict[str, np.ndarray] = {
            "keys": _EMPTY_U64,
            "poff": np.zeros(1, np.int64),
            "doff": np.zeros(1, np.int64),
            "len": np.zeros(self.ndocs, np.int32),
            "xoff": np.zeros(1, np.int64),
        }

    def _damaged(self, problem: str) -> IndexDamagedError:
        return IndexDamagedError.in_file(self.path.parent, self.path.name, problem)

    def _verify_bytes(self, start: int, stop: int) -> None:
        """Check data bytes ``[start, stop)`` against their blocks' checksums (once per block)."""
        if stop <= start:
            return
        first, last = start // self._block, (stop - 1) // self._block + 1
        verified = self._verified
        block = verified.find(0, first, last)  # the first block not verified yet
        while block >= 0:
            lo = self._data + block * self._block
            hi = self._data + min((block + 1) * self._block, self._data_bytes)
            if crc32(self._view[lo:hi]) != int(self._sums[block]):
                raise self._damaged(f"fails its checksum (bytes {lo}–{hi})")
            verified[block] = 1
            block = verified.find(0, block + 1, last)

    def _checked(self, field: str, array: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Elements ``[start, stop)`` of one stored array, verified."""
        values, offset, itemsize = self._arrays[field, array]
        stop = len(values) if stop is None else stop
        if not 0 <= start <= stop <= len(values):
            raise self._damaged(f"has inconsistent {field}/{array} offsets")
        self._verify_bytes(offset + start * itemsize, offset + stop * itemsize)
        return values[start:stop]

    def _whole_array(self, field: str, array: str) -> np.ndarray | None:
        if field not in self._fields:
            return self._absent.get(array)
        if (field, array) not in self._whole:
            if array not in self._fields[field]:
                return None
            self._checked(field, array)
            self._whole.add((field, array))
        return self._fields[field][array]

    def array(self, field: str, name: str) -> np.ndarray | None:
        """One stored array of a field, verified whole (None: the field does not have it)."""
        return self._whole_array(field, name)

    def documents(self) -> list[tuple[str, str]] | None:
        """The ``(id, source)`` of each document of the part, verified (None: not kept)."""
        field, _, array = _DOCUMENTS.partition("/")
        if (field, array) not in self._extent:
            return None
        offset, size = self._extent[field, array]
        self._verify_bytes(offset, offset + size)
        start = self._data + offset
        try:
            return [(str(i), str(s)) for i, s in json.loads(self._view[start : start + size].tobytes())]
        except (ValueError, TypeError) as exc:
            raise self._damaged(f"has unreadable document ids ({exc})") from None

    def verify(self) -> None:
        """Check every byte of the part against its checksums (IndexDamagedError if not)."""
        self._verify_bytes(0, self._data_bytes)

    def positional(self, field: str) -> bool:
        return field not in self._fields or "xoff" in self._fields[field]

    # -- the packed streams
    def _values(self, field: str, stream: str, start: int, stop: int) -> np.ndarray:
        """Values ``[start, stop)`` of a packed stream: unsigned of the stream's width
        (a view, for 8 and 16 bits) or, where exceptions are among them, int32."""
        if _BITS[stream] == 4:
            pairs = self._checked(field, stream, start >> 1, (stop + 1) >> 1)
            skip = start & 1
            values = _NIBBLES.take(pairs).view(np.uint8)[skip : skip + stop - start]
        else:
            values = self._checked(field, stream, start, stop)
        return self._with_exceptions(field, stream, values, start, stop)

    def _values_at(self, field: str, stream: str, index: np.ndarray) -> np.ndarray:
        """Values at ``index`` (ascending) of a packed stream, as :meth:`_values`."""
        if not len(index):
            return _EMPTY_I32
        start, stop = int(index[0]), int(index[-1]) + 1
        if _BITS[stream] == 4:
            pairs = self._checked(field, stream, start >> 1, (stop + 1) >> 1)
            values = (pairs.take((index >> 1) - (start >> 1)) >> ((index & 1) << 2).astype(np.uint8)) & 15
        else:
            values = self._checked(field, stream, start, stop).take(index - start)
        return self._with_exceptions(field, stream, values, start, stop, index)

    def _with_exceptions(
        self,
        field: str,
        stream: str,
        values: np.ndarray,
        start: int,
        stop: int,
        index: np.ndarray | None = None,
    ) -> np.ndarray:
        """``values`` read from ``[start, stop)`` of a packed stream (those at ``index``
        when given, else all of them), with the exceptions among them put back (int32)."""
        at, big = self._exceptions(field, stream)
        if not len(at) or not len(values) or values.max() < (1 << _BITS[stream]) - 1:
            return values  # (no escape: no exception to look for)
        values = values.astype(np.int32)
        lo, hi = at.searchsorted(np.array((start, stop), dtype=at.dtype))  # (not at to int64)
        at, big = at[lo:hi], big[lo:hi]
        if index is None:
            values[at - start] = big
        else:
            j = np.minimum(at.searchsorted(index.astype(at.dtype)), len(at) - 1)
            hit = at[j] == index
            values[hit] = big[j[hit]]
        return values

    def _exceptions(self, field: str, stream: str) -> tuple[np.ndarray, np.ndarray]:
        found = self._exception_arrays.get((field, stream))
        if found is None:
            at, big = self._whole_array(field, stream + "_xi"), self._whole_array(field, stream + "_xv")
            if at is None or big is None or len(at) != len(big):
                raise self._damaged(f"has inconsistent {field}/{stream} exceptions")
            found = self._exception_arrays[field, stream] = at, big
        return found

    # -- terms
    def field(self, name: str) -> FieldArrays:
        """Every array of field ``name``, decoded whole and verified (for renumbering and
        checks: a query decodes only its terms)."""
        keys, poff = self._whole_array(name, "keys"), self._whole_array(name, "poff")
        lengths = self._whole_array(name, "len")
        assert keys is not None and poff is not None and lengths is not None
        poff = poff.astype(np.int64)
        n = int(poff[-1])
        if name not in self._fields:
            return FieldArrays(keys, poff, _EMPTY_I32, _EMPTY_I32, lengths, _EMPTY_I32, poff)
        docs = self.term_documents(name, 0, len(keys)).astype(np.int32)
        tf = self._values(name, "tf", 0, n).astype(np.int32)
        arrays = FieldArrays(keys, poff, docs, tf, lengths.astype(np.int32))
        if self.positional(name):
            xoff = self._whole_array(name, "xoff")
            assert xoff is not None
            xoff = xoff.astype(np.int64)
            pos = self._values(name, "pos", 0, int(xoff[-1])).astype(np.int32)
            arrays = arrays._replace(pos=pos, xoff=xoff)
        toff, tblob = self._whole_array(name, "toff"), self._whole_array(name, "tblob")
        if toff is not None:
            arrays = arrays._replace(toff=toff.astype(np.int64), tblob=tblob)
        return arrays

    def term_documents(self, field: str, lo: int, hi: int) -> np.ndarray:
        """The documents (int64) of terms ``lo`` to ``hi`` (exclusive), decoded, one term's
        after the other (for whole fields and merges: a query reads a term at a time,
        :meth:`postings`)."""
        poff, doff = self._whole_array(field, "poff"), self._whole_array(field, "doff")
        assert poff is not None and doff is not None
        counts = np.diff(poff[lo : hi + 1].astype(np.int64))
        sizes = np.diff(doff[lo : hi + 1].astype(np.int64))
        data = self._checked(field, "docs", int(doff[lo]), int(doff[hi]))
        return _running(_unpack_runs(data, counts, sizes), counts)

    def find(self, field: str, term: str, key: int | None = None) -> int:
        """The number of ``term`` (or of the term with ``key``) in ``field``, or -1."""
        keys = self._whole_array(field, "keys")
        if keys is None or not len(keys):
            return -1
        wanted = np.uint64(key_of(field, term) if key is None else key)
        i = int(np.searchsorted(keys, wanted))
        return i if i < len(keys) and keys[i] == wanted else -1

    def _range(self, field: str, offsets: str, i: int) -> tuple[int, int]:
        a, b = self._checked(field, offsets, i, i + 2).tolist()
        if not 0 <= a <= b:
            raise self._damaged(f"has inconsistent {field}/{offsets}")
        return a, b

    def postings(self, field: str, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Part-local document numbers (int32) and term frequencies (unsigned or int32)
        of term ``i``."""
        a, b = self._range(field, "poff", i)
        start, stop = self._range(field, "doff", i)
        width = (stop - start) // max(b - a, 1)
        if a == b or width not in (1, 2, 4) or width * (b - a) != stop - start:
            raise self._damaged(f"has inconsistent {field}/doff")
        docs = (
            self._checked(field, "docs", start, stop).view(_WIDTHS[width.bit_length() - 1]).astype(np.int32)
        )
        np.add.accumulate(docs, out=docs)  # (np.cumsum's own overhead is most of it on few postings)
        return docs, self._values(field, "tf", a, b)

    def first_positions(self, field: str, i: int) -> np.ndarray:
        """The first position of each of term ``i``'s postings (unsigned or int32)."""
        assert self.positional(field), f"{field} is not positional"
        a, b = self._range(field, "poff", i)
        x0, _ = self._range(field, "xoff", i)
        tf = self._values(field, "tf", a, b).astype(np.int64)
        return self._values_at(field, "pos", tf.cumsum() - tf + x0)

    def positions(
        self, field: str, i: int, rows: np.ndarray | None = None, ends: np.ndarray | None = None
    ) -> np.ndarray:
        """Positions of term ``i``'s postings ``rows`` (their numbers among the term's
        postings, ascending; default all), ``tf`` per posting, one posting after the
        other (unsigned or int32). ``ends``: the cumulative sum of the term's
        frequencies, when the caller keeps it (else it is computed)."""
        assert self.positional(field), f"{field} is not positional"
        if rows is None:
            return self._values(field, "pos", *self._range(field, "xoff", i))
        if ends is None:
            a, b = self._range(field, "poff", i)
            ends = self._values(field, "tf", a, b).astype(np.int64).cumsum()
        stop = ends[rows]
        counts = stop - ends[rows - 1] * (rows > 0)  # (ends[-1] for row 0, times 0)
        return self.positions_at(field, i, stop - counts, counts)

    def positions_at(self, field: str, i: int, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Positions of term ``i`` in runs: ``counts[k]`` of them from the ``starts[k]``-th
        of the term's positions (int64, ascending runs that do not overlap)."""
        assert self.positional(field), f"{field} is not positional"
        x0, x1 = self._range(field, "xoff", i)
        if len(counts) and int(starts[-1] + counts[-1]) > x1 - x0:
            raise self._damaged(f"has inconsistent {field}/xoff")
        before = counts.cumsum() - counts  # each run's first among the positions read
        index = (starts - before).repeat(counts) + np.arange(int(counts.sum()))
        return self._values_at(field, "pos", index + x0)

    def release(self) -> None:
        """Let the kernel drop the pages of the file this reader has touched from the
        process (they are read again, from the page cache, when next used): a merge reads
        whole parts once, and their pages would otherwise stay in its resident memory."""
        if self._map is not None and hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)

    def doc_frequency(self, field: str, term: str, key: int | None = None) -> int:
        i = self.find(field, term, key)
        if i < 0:
            return 0
        a, b = self._range(field, "poff", i)
        return b - a

    def lengths(self, field: str) -> np.ndarray:
        lengths = self._whole_array(field, "len")
        assert lengths is not None  # every field has lengths
        return lengths

    def terms(self, field: str) -> Iterator[tuple[str, int]]:
        """Every term of ``field`` (one that keeps its texts) with its document frequency here."""
        toff, tblob = self._whole_array(field, "toff"), self._whole_array(field, "tblob")
        if toff is None or tblob is None:
            return
        data = tblob.tobytes()
        poff = self._whole_array(field, "poff")
        assert poff is not None
        df = np.diff(poff.astype(np.int64)).tolist()
        bounds = toff.tolist()
        for i, n in enumerate(df):
            yield data[bounds[i] : bounds[i + 1]].decode("utf-8"), n


def remap_part(part: PartReader, mapping: np.ndarray, path: str | Path) -> bool:
    """Write ``part`` renumbered for a merged segment: ``mapping[d]`` is the new
    segment-local number of the part's document ``d`` or -1 (deleted); live documents
    keep their order, and terms left without postings are dropped. Returns False
    (nothing written) when no document is live."""
    live = mapping >= 0
    if not live.any():
        return False
    new_base = int(mapping[live][0])
    local = np.where(live, mapping - new_base, -1).astype(np.int32)

    def fields() -> Iterator[tuple[str, FieldArrays]]:  # one decoded at a time
        for field in TEXT_FIELDS:
            yield field.name, _remapped(part.field(field.name), live, local, field.positional)

    documents = part.documents()
    if documents is not None:
        documents = [d for d, keep in zip(documents, live.tolist()) if keep]
    _write_part(Path(path), new_base, int(live.sum()), fields(), documents)
    return True


def _remapped(old: FieldArrays, live: np.ndarray, local: np.ndarray, positional: bool) -> FieldArrays:
    """``old`` with the postings of ``live`` documents only, renumbered ``local``."""
    keep = live[old.docs] if len(old.docs) else np.zeros(0, dtype=bool)
    kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept_before[1:])
    poff = kept_before[old.poff]
    used = np.diff(poff) > 0
    bounds = np.append(used, True)  # the offsets of the terms kept, and the end
    tf = old.tf[keep]
    new = FieldArrays(old.keys[used], poff[bounds], local[old.docs[keep]], tf, old.len[live])
    if positional:
        assert old.pos is not None, "positional"
        pos_keep = np.repeat(keep, old.tf) if len(old.tf) else np.zeros(0, dtype=bool)
        cum = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(tf, out=cum[1:])
        new = new._replace(pos=old.pos[pos_keep], xoff=cum[poff][bounds])
    if old.toff is not None and old.tblob is not None:
        sizes = np.diff(old.toff)[used]
        toff = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=toff[1:])
        new = new._replace(toff=toff, tblob=old.tblob[np.repeat(used, np.diff(old.toff))])
    return new


# Values of one stream a merge holds at a time (besides one term's when it has more).
_MERGE_CHUNK = 1 << 22


def merge_parts(parts: Sequence[PartReader], path: str | Path) -> None:
    """Write the consecutive ``parts`` (of one segment, in order of their documents) as
    one part holding the same postings: each term's postings are those of the parts one
    after the other, as a reader concatenates them. The streams are decoded and encoded
    again in pieces of about :data:`_MERGE_CHUNK` values, so memory stays small whatever
    the parts' size."""
    assert parts and all(b.base == a.base + a.ndocs for a, b in zip(parts, parts[1:])), "consecutive parts"

    def arrays() -> Iterator[tuple[str, np.ndarray | _Pieces]]:
        # One field at a time: a field's merged keys and the parts' rows and offsets are
        # made when its turn comes and dropped before the next field's (the pairs field's
        # alone are hundreds of MB in a merge of 1 GiB of parts).
        for field in TEXT_FIELDS:
            merged = _merged_field(parts, field.name, field.positional)
            yield from ((f"{field.name}/{name}", values) for name, values in merged.items())
            del merged
        documents: list[list[str] | tuple[str, str]] = []
        for part in parts:
            listed = part.documents()
            if listed is None:  # (kept in all the parts or in none)
                return
            documents += [list(d) for d in listed]
        encoded = json.dumps(documents, ensure_ascii=False).encode("utf-8")
        yield _DOCUMENTS, np.frombuffer(encoded, dtype=np.uint8)

    meta = {"base": parts[0].base, "docs": sum(part.ndocs for part in parts)}
    _write_arrays(Path(path), meta, arrays())


def _merged_field(
    parts: Sequence[PartReader], name: str, positional: bool
) -> dict[str, np.ndarray | _Pieces]:
    """The arrays of field ``name`` of the merged part, its streams as pieces."""

    def whole(part: PartReader, array: str) -> np.ndarray:
        values = part.array(name, array)
        assert values is not None, f"{name}/{array}"
        return values.astype(np.int64) if array != "keys" else values

    starts = [part.base - parts[0].base for part in parts]  # each part's first document in the merged one
    keys = np.unique(np.concatenate([whole(part, "keys") for part in parts]))
    rows = [
        np.searchsorted(keys, whole(part, "keys")) for part in parts
    ]  # each part's terms, as merged terms
    poffs = [whole(part, "poff") for part in parts]
    poff = _merged_offsets(len(keys), rows, poffs)
    nterms = len(keys)
    merged: dict[str, np.ndarray | _Pieces] = {"keys": keys, "poff": _narrow(poff)}
    sizes = np.zeros(nterms, dtype=np.int64)  # bytes of each merged term's documents

    def read_docs(p: int, first: int, last: int, lo: int, hi: int) -> np.ndarray:
        return parts[p].term_documents(name, lo, hi) + starts[p]

    def docs() -> Iterator[np.ndarray]:
        for t0, t1, values in _merged_runs(parts, poff, rows, poffs, read_docs):
            counts = np.diff(poff[t0 : t1 + 1])
            data, sizes[t0:t1] = _pack_runs(_deltas(values, counts), counts)
            yield data
        yield _EMPTY_U8

    def doff() -> Iterator[np.ndarray]:  # (once the documents are written)
        offsets = np.zeros(nterms + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        yield _narrow(offsets)

    merged.update(docs=docs, doff=doff)
    merged.update(_packed_pieces("tf", int(poff[-1]), _merged_stream(parts, name, "tf", poff, rows, poffs)))
    merged["len"] = _narrow(np.concatenate([whole(part, "len") for part in parts]))
    if positional:
        xoffs = [whole(part, "xoff") for part in parts]
        xoff = _merged_offsets(nterms, rows, xoffs)
        merged["xoff"] = _narrow(xoff)
        positions = _merged_stream(parts, name, "pos", xoff, rows, xoffs)
        merged.update(_packed_pieces("pos", int(xoff[-1]), positions))
    toffs = [part.array(name, "toff") for part in parts]
    if any(toff is not None for toff in toffs):
        merged.update(_merged_texts(nterms, rows, parts, name))
    return merged


def _packed_pieces(
    stream: str, length: int, runs: Iterator[tuple[int, int, np.ndarray]]
) -> dict[str, np.ndarray | _Pieces]:
    """The arrays of packed ``stream`` (``length`` values, given in pieces by ``runs``),
    as pieces: its exceptions are known once its values are written."""
    packer = _Packer(_BITS[stream], length)

    def values() -> Iterator[np.ndarray]:
        for _, _, piece in runs:
            yield packer.pack(piece)
        yield packer.finish()

    return {
        stream: values,
        f"{stream}_xi": lambda: [packer.exceptions()[0]],
        f"{stream}_xv": lambda: [packer.exceptions()[1]],
    }


def _merged_offsets(nterms: int, rows: list[np.ndarray], offsets: list[np.ndarray]) -> np.ndarray:
    """Offsets of the merged terms' runs: each term's runs in every part, summed."""
    sizes = np.zeros(nterms, dtype=np.int64)
    for row, offset in zip(rows, offsets):
        sizes[row] += np.diff(offset)  # a part's rows are distinct: no two adds to one term
    merged = np.zeros(nterms + 1, dtype=np.int64)
    np.cumsum(sizes, out=merged[1:])
    return merged


def _merged_stream(
    parts: Sequence[PartReader],
    field: str,
    stream: str,
    merged: np.ndarray,
    rows: list[np.ndarray],
    offsets: list[np.ndarray],
) -> Iterator[tuple[int, int, np.ndarray]]:
    """The values of a packed stream that are the same in the merged part (frequencies,
    positions), laid out by the merged ``offsets``: see _merged_runs."""

    def read(p: int, first: int, last: int, lo: int, hi: int) -> np.ndarray:
        return parts[p]._values(field, stream, first, last)

    return _merged_runs(parts, merged, rows, offsets, read)


def _merged_runs(
    parts: Sequence[PartReader],
    merged: np.ndarray,
    rows: list[np.ndarray],
    offsets: list[np.ndarray],
    read: Callable[[int, int, int, int, int], np.ndarray],
) -> Iterator[tuple[int, int, np.ndarray]]:
    """The merged array of per-term runs, in pieces of whole terms ``[t0, t1)``:
    ``read(p, first, last, lo, hi)`` gives the values ``[first, last)`` of part ``p``
    (its terms ``lo`` to ``hi``: ``offsets[p]`` are its terms' runs), and they are laid
    out by the ``merged`` offsets, the parts' runs of each term one after the other."""
    nterms = len(merged) - 1
    t0 = 0
    while t0 < nterms:
        # whole terms, about _MERGE_CHUNK values (one term alone when it has more)
        t1 = max(int(np.searchsorted(merged, merged[t0] + _MERGE_CHUNK, side="right")) - 1, t0 + 1)
        out = np.zeros(int(merged[t1] - merged[t0]), dtype=np.int64)
        filled = np.zeros(t1 - t0, dtype=np.int64)  # values of each term placed so far
        for p, (row, offset) in enumerate(zip(rows, offsets)):
            lo, hi = np.searchsorted(row, [t0, t1])  # this part's terms in [t0, t1): consecutive
            if lo == hi:
                continue
            terms = row[lo:hi] - t0
            first, last = int(offset[lo]), int(offset[hi])
            sizes = np.diff(offset[lo : hi + 1])
            at = merged[terms + t0] - merged[t0] + filled[terms]  # where each run goes
            filled[terms] += sizes
            where = np.repeat(at - (offset[lo:hi] - first), sizes) + np.arange(last - first)
            out[where] = read(p, first, last, int(lo), int(hi))  # verified as it is read
        for part in parts:
            part.release()
        yield t0, t1, out
        t0 = t1


def _merged_texts(
    nterms: int, rows: list[np.ndarray], parts: Sequence[PartReader], field: str
) -> dict[str, np.ndarray]:
    """The merged terms' texts (``toff``, ``tblob``): each from the first part that has it."""
    owner = np.full(nterms, -1, dtype=np.int64)
    local = np.zeros(nterms, dtype=np.int64)
    for p in range(len(parts) - 1, -1, -1):
        owner[rows[p]] = p
        local[rows[p]] = np.arange(len(rows[p]))
    texts = [(part.array(field, "toff"), part.array(field, "tblob")) for part in parts]
    sizes = np.zeros(nterms, dtype=np.int64)
    for p, (toff, _) in enumerate(texts):
        if toff is not None:  # (a part without the field has no terms in it)
            mine = owner == p
            sizes[mine] = np.diff(toff.astype(np.int64))[local[mine]]
    toff_merged = np.zeros(nterms + 1, dtype=np.int64)
    np.cumsum(sizes, out=toff_merged[1:])
    tblob = np.empty(int(toff_merged[-1]), dtype=np.uint8)
    for p, (toff, blob) in enumerate(texts):
        terms = np.flatnonzero(owner == p)
        n = sizes[terms]
        if toff is None or blob is None or not n.sum():
            continue
        before = np.cumsum(n) - n  # where each term's bytes start among this part's
        span = np.arange(int(n.sum()))
        source = np.repeat(toff.astype(np.int64)[local[terms]] - before, n) + span
        tblob[np.repeat(toff_merged[terms] - before, n) + span] = blob[source]
    return {"toff": _narrow(toff_merged), "tblob": tblob}


def shared_documents(docs: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the documents two ascending arrays share are in ``docs`` and in ``ids``
    (a binary search in ``ids`` for each of ``docs``: cheap when ``docs`` are few)."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    at = np.minimum(np.searchsorted(ids, docs), len(ids) - 1)
    shared = np.flatnonzero(ids[at] == docs)
    return shared, at[shared]


def ascending_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values two ascending arrays of distinct values share, ascending: the shorter's
    searched for in the longer (np.intersect1d sorts both together: much slower when one
    is a common term's millions of postings)."""
    few, many = (a, b) if len(a) <= len(b) else (b, a)
    return few[shared_documents(few, many)[0]]


def documents_mask(size: int, *docs: np.ndarray) -> np.ndarray:
    """A boolean mask over ``size`` documents, true at each docnum of the arrays ``docs``."""
    mask = np.zeros(size, dtype=bool)
    for some in docs:
        mask[some] = True
    return mask


def ascending_union(found: list[np.ndarray]) -> np.ndarray:
    """The values of ascending arrays (a term's documents in parts, forms or fields), each
    once and ascending: their sorted runs merged by a stable sort (np.unique would hash
    every element: much slower); arrays that follow one another are only joined."""
    docs = np.concatenate(found) if len(found) > 1 else found[0]
    if len(found) > 1 and not (docs[1:] > docs[:-1]).all():
        docs = np.sort(docs, kind="stable")
        docs = docs[np.concatenate(([True], docs[1:] != docs[:-1]))]
    return docs
