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
file of numpy arrays behind a JSON header (the writer writes a part whenever its memory
budget is full, and merges a segment's parts into fewer, larger ones at its commit:
:func:`merge_parts`), read through mmap (nothing is decoded when
an index is opened, so a query's cold start does not grow with the archive). Every part
carries checksums: its header's, and one per :data:`BLOCK` bytes of its arrays, checked as
the reader first reads them (:class:`PartReader`). Per field:

==============  ========  ============================================================
array           dtype     meaning
==============  ========  ============================================================
``keys``        uint64    the terms' keys, ascending (the term dictionary)
``poff``        int64     postings of term i are ``docs/tf[poff[i]:poff[i+1]]``
``docs``        int32     part-local document numbers, ascending within a term
``tf``          int32     occurrences of the term in that document
``xoff/pos``    int64/i32 positions of term i's postings, ``pos[xoff[i]:xoff[i+1]]``,
                          ``tf`` of them per posting (positional fields only)
``len``         int32     tokens per document (BM25's field length)
``toff/tblob``  int64/u8  each term's UTF-8 text in key order (``body`` only: the
                          vocabulary that "did you mean" and accent restoration read)
==============  ========  ============================================================

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
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

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
    "PART_SUFFIX",
]

PART_SUFFIX = ".skp"
# Version 3 adds checksums (see _write_arrays). A part is BLOCK bytes per checksum: small
# enough that verifying the blocks a query reads costs little next to reading them.
_MAGIC = b"SKPOSTS3"
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
        fields: dict[str, FieldArrays] = {}
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
            fields[name] = arrays
        documents = self._documents if len(self._documents) == self.ndocs else None
        _write_part(Path(path), self.base, self.ndocs, fields, documents)


class FieldArrays(NamedTuple):
    """The arrays of one field in a part (the table at the top of this module); the
    part file names them ``<field>/<array>``."""

    keys: np.ndarray
    poff: np.ndarray
    docs: np.ndarray
    tf: np.ndarray
    len: np.ndarray
    pos: np.ndarray | None = None  # with xoff: positional fields only
    xoff: np.ndarray | None = None
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


def _write_part(
    path: Path,
    base: int,
    ndocs: int,
    fields: dict[str, FieldArrays],
    documents: Sequence[tuple[str, str]] | None,
) -> None:
    arrays = {
        f"{name}/{array}": values
        for name, field in fields.items()
        for array, values in field._asdict().items()
        if values is not None
    }
    if documents is not None:  # the documents' ids and sources, as JSON: read by repairs only
        encoded = json.dumps([list(d) for d in documents], ensure_ascii=False).encode("utf-8")
        arrays[_DOCUMENTS] = np.frombuffer(encoded, dtype=np.uint8)
    _write_arrays(path, {"base": base, "docs": ndocs}, arrays)


class _Pieces(NamedTuple):
    """An array written piece by piece (a merge's output, never whole in memory)."""

    dtype: np.dtype
    size: int
    pieces: Callable[[], Iterator[np.ndarray]]  # its values in order, in arrays of ``dtype``


def _write_arrays(path: Path, meta: dict, arrays: dict[str, np.ndarray | _Pieces]) -> None:
    """Write a part: the prefix (magic, header length, the header's CRC-32), the JSON
    header, the arrays (8-byte aligned), then the CRC-32 of every :data:`BLOCK` bytes of
    the arrays and the CRC-32 of that table."""
    layout = {}
    offset = 0
    for name, arr in arrays.items():
        layout[name] = [offset, np.dtype(arr.dtype).str, int(arr.size)]
        offset += (int(arr.size) * np.dtype(arr.dtype).itemsize + 7) // 8 * 8
    header = json.dumps({**meta, "arrays": layout, "data": offset, "block": BLOCK}).encode("utf-8")
    header += b" " * (-(_PREFIX + len(header)) % 8)
    sums = _BlockSums()
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb") as f:
            f.write(_MAGIC)
            f.write(len(header).to_bytes(4, "little") + zlib.crc32(header).to_bytes(4, "little"))
            f.write(header)
            for name, arr in arrays.items():
                written = 0
                for piece in arr.pieces() if isinstance(arr, _Pieces) else [arr]:
                    assert piece.dtype == arr.dtype, name
                    data = np.ascontiguousarray(piece).view(np.uint8).data
                    f.write(data)
                    sums.add(data)
                    written += len(data)
                assert written == int(arr.size) * np.dtype(arr.dtype).itemsize, name
                padding = b"\0" * (-written % 8)
                f.write(padding)
                sums.add(padding)
            table = sums.table()
            f.write(table)
            f.write(zlib.crc32(table).to_bytes(4, "little") + b"\0" * 4)
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
            self._crc = zlib.crc32(view[:take], self._crc)
            self._filled += take
            view = view[take:]
            if self._filled == BLOCK:
                self._sums.append(self._crc)
                self._crc, self._filled = 0, 0

    def table(self) -> bytes:
        sums = self._sums + ([self._crc] if self._filled else [])
        return np.asarray(sums, dtype="<u4").tobytes()


class PartReader:
    """A part file opened for reading (memory-mapped).

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
        header = self._map[_PREFIX : _PREFIX + header_size]
        if len(header) != header_size or zlib.crc32(header) != int.from_bytes(self._map[12:16], "little"):
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
        self._data = _PREFIX + header_size
        nblocks = -(-self._data_bytes // self._block)
        table_at = self._data + self._data_bytes
        expected = table_at + 4 * nblocks + 8
        if size != expected:
            raise self._damaged(f"is {size} bytes long, its header says {expected}: truncated or extended")
        table = self._map[table_at : table_at + 4 * nblocks]
        if zlib.crc32(table) != int.from_bytes(self._map[expected - 8 : expected - 4], "little"):
            raise self._damaged("has damaged block checksums")
        self._sums = np.frombuffer(table, dtype="<u4")
        self._verified = bytearray(nblocks)  # 1: the block was verified (bytes: C-fast find)
        self._view = memoryview(self._map)
        grouped: dict[str, dict[str, np.ndarray]] = {}
        self._extent: dict[tuple[str, str], tuple[int, int]] = {}  # (data offset, itemsize)
        for name, offset, kind, count in listed:
            field, _, array = name.partition("/")
            if offset < 0 or count < 0 or offset + kind.itemsize * count > self._data_bytes:
                raise self._damaged(f"has a header whose array {name} lies outside the file")
            if name == _DOCUMENTS:
                self._extent[field, array] = (offset, count)
                continue
            grouped.setdefault(field, {})[array] = np.frombuffer(
                self._map, dtype=kind, count=count, offset=self._data + offset
            )
            self._extent[field, array] = (offset, kind.itemsize)
        try:
            self._fields = {name: FieldArrays(**arrays) for name, arrays in grouped.items()}
        except TypeError:
            raise self._damaged("has a header naming unknown arrays") from None
        self._arrays = {  # (field, array) -> (values, data offset, itemsize): the read path's lookup
            (name, array): (values, *self._extent[name, array])
            for name, arrays in self._fields.items()
            for array, values in arrays._asdict().items()
            if values is not None
        }
        for name, arrays in self._fields.items():
            if len(arrays.poff) != len(arrays.keys) + 1 or len(arrays.len) != self.ndocs:
                raise self._damaged(f"has inconsistent array sizes in field {name}")
        self._whole: set[tuple[str, str]] = set()  # arrays verified whole
        # A field of the table this part was written without: it holds no terms.
        none = np.zeros(1, np.int64)
        self._none = FieldArrays(_EMPTY_U64, none, _EMPTY_I32, _EMPTY_I32, np.zeros(self.ndocs, np.int32))
        self._none = self._none._replace(pos=_EMPTY_I32, xoff=none)

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
            if zlib.crc32(self._view[lo:hi]) != int(self._sums[block]):
                raise self._damaged(f"fails its checksum (bytes {lo}–{hi})")
            verified[block] = 1
            block = verified.find(0, block + 1, last)

    def _checked(self, field: str, array: str, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Elements ``[start, stop)`` of one array, verified."""
        values, offset, itemsize = self._arrays[field, array]
        stop = len(values) if stop is None else stop
        self._verify_bytes(offset + start * itemsize, offset + stop * itemsize)
        return values[start:stop]

    def _whole_array(self, field: str, array: str) -> np.ndarray | None:
        if field not in self._fields:
            return getattr(self._none, array)
        if (field, array) not in self._whole:
            if getattr(self._fields[field], array) is None:
                return None
            self._checked(field, array)
            self._whole.add((field, array))
        return getattr(self._fields[field], array)

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

    def field(self, name: str) -> FieldArrays:
        """Every array of field ``name``, verified whole (for merges and checks)."""
        if name not in self._fields:
            return self._none
        arrays = self._fields[name]
        for array in arrays._fields:
            self._whole_array(name, array)
        return arrays

    def find(self, field: str, term: str, key: int | None = None) -> int:
        """The number of ``term`` (or of the term with ``key``) in ``field``, or -1."""
        keys = self._whole_array(field, "keys")
        if keys is None or not len(keys):
            return -1
        wanted = np.uint64(key_of(field, term) if key is None else key)
        i = int(np.searchsorted(keys, wanted))
        return i if i < len(keys) and keys[i] == wanted else -1

    def _range(self, field: str, offsets: str, i: int) -> tuple[int, int]:
        bounds = self._checked(field, offsets, i, i + 2)
        a, b = int(bounds[0]), int(bounds[1])
        if not 0 <= a <= b:
            raise self._damaged(f"has inconsistent {field}/{offsets}")
        return a, b

    def postings(self, field: str, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Part-local document numbers and term frequencies of term ``i``."""
        a, b = self._range(field, "poff", i)
        return self._checked(field, "docs", a, b), self._checked(field, "tf", a, b)

    def positions(self, field: str, i: int) -> np.ndarray:
        """Positions of term ``i``, ``tf`` per posting, in posting order."""
        assert self.field_arrays(field).pos is not None, f"{field} is not positional"
        a, b = self._range(field, "xoff", i)
        return self._checked(field, "pos", a, b)

    def array(self, field: str, name: str, start: int = 0, stop: int | None = None) -> np.ndarray | None:
        """Elements ``[start, stop)`` of one array of a field, verified (None: the field
        does not have it)."""
        if start == 0 and stop is None:
            return self._whole_array(field, name)
        return self._checked(field, name, start, stop)

    def release(self) -> None:
        """Let the kernel drop the pages of the file this reader has touched from the
        process (they are read again, from the page cache, when next used): a merge reads
        whole parts once, and their pages would otherwise stay in its resident memory."""
        if self._map is not None and hasattr(mmap, "MADV_DONTNEED"):
            self._map.madvise(mmap.MADV_DONTNEED)

    def field_arrays(self, name: str) -> FieldArrays:
        """The arrays of field ``name`` as stored, not verified: for their sizes only."""
        return self._fields.get(name, self._none)

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
        df = np.diff(poff).tolist()
        bounds = toff.tolist()
        for i, n in enumerate(df):
            if n:
                yield data[bounds[i] : bounds[i + 1]].decode("utf-8"), n


def remap_part(part: PartReader, mapping: np.ndarray, path: str | Path) -> bool:
    """Write ``part`` renumbered for a merged segment: ``mapping[d]`` is the new
    segment-local number of the part's document ``d`` or -1 (deleted); live documents
    keep their order. Returns False (nothing written) when no document is live."""
    live = mapping >= 0
    if not live.any():
        return False
    new_base = int(mapping[live][0])
    local = np.where(live, mapping - new_base, -1).astype(np.int32)
    fields: dict[str, FieldArrays] = {}
    for field in TEXT_FIELDS:
        old = part.field(field.name)
        keep = live[old.docs] if len(old.docs) else np.zeros(0, dtype=bool)
        kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        tf = old.tf[keep]
        new = FieldArrays(old.keys, kept_before[old.poff], local[old.docs[keep]], tf, old.len[live])
        if field.positional:
            assert old.pos is not None, f"{field.name} is positional"
            pos_keep = np.repeat(keep, old.tf) if len(old.tf) else np.zeros(0, dtype=bool)
            cum = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
            np.cumsum(tf, out=cum[1:])
            new = new._replace(pos=old.pos[pos_keep], xoff=cum[kept_before[old.poff]])
        fields[field.name] = new._replace(toff=old.toff, tblob=old.tblob)
    documents = part.documents()
    if documents is not None:
        documents = [d for d, keep in zip(documents, live.tolist()) if keep]
    _write_part(Path(path), new_base, int(live.sum()), fields, documents)
    return True


# Elements of one array a merge holds at a time (besides one term's postings when more).
_MERGE_CHUNK = 1 << 22


def merge_parts(parts: Sequence[PartReader], path: str | Path) -> None:
    """Write the consecutive ``parts`` (of one segment, in order of their documents) as
    one part holding the same postings: each term's postings are those of the parts one
    after the other, as a reader concatenates them. The arrays are written in pieces of
    about :data:`_MERGE_CHUNK` elements, so memory stays small whatever the parts' size."""
    assert parts and all(b.base == a.base + a.ndocs for a, b in zip(parts, parts[1:])), "consecutive parts"
    starts = [part.base - parts[0].base for part in parts]  # each part's first document in the merged one
    arrays: dict[str, np.ndarray | _Pieces] = {}
    for field in TEXT_FIELDS:
        # The arrays as stored: the small ones are verified here, the postings and
        # positions piece by piece as they are copied (_merged_values).
        olds = [part.field_arrays(field.name) for part in parts]
        for part in parts:
            for name in ("keys", "poff", "len", "xoff", "toff", "tblob"):
                part.array(field.name, name)
        keys = np.unique(np.concatenate([old.keys for old in olds]))
        rows = [np.searchsorted(keys, old.keys) for old in olds]  # each part's terms, as merged terms
        poffs = [old.poff for old in olds]
        poff = _merged_offsets(len(keys), rows, poffs)
        merged: dict[str, np.ndarray | _Pieces] = {"keys": keys, "poff": poff}
        merged["docs"] = _merged_values(parts, field.name, "docs", poff, rows, poffs, starts)
        merged["tf"] = _merged_values(parts, field.name, "tf", poff, rows, poffs)
        merged["len"] = np.concatenate([old.len for old in olds])
        if field.positional:
            xoffs = []
            for old in olds:
                assert old.xoff is not None, f"{field.name} is positional"
                xoffs.append(old.xoff)
            xoff = _merged_offsets(len(keys), rows, xoffs)
            merged["pos"] = _merged_values(parts, field.name, "pos", xoff, rows, xoffs)
            merged["xoff"] = xoff
        if field.keep_texts:
            merged.update(_merged_texts(len(keys), rows, olds))
        arrays.update({f"{field.name}/{name}": values for name, values in merged.items()})
    documents: list[list[str] | tuple[str, str]] = []
    for part in parts:
        listed = part.documents()
        if listed is None:  # (kept in all the parts or in none)
            break
        documents += [list(d) for d in listed]
    else:
        encoded = json.dumps(documents, ensure_ascii=False).encode("utf-8")
        arrays[_DOCUMENTS] = np.frombuffer(encoded, dtype=np.uint8)
    meta = {"base": parts[0].base, "docs": sum(part.ndocs for part in parts)}
    _write_arrays(Path(path), meta, arrays)


def _merged_offsets(nterms: int, rows: list[np.ndarray], offsets: list[np.ndarray]) -> np.ndarray:
    """Offsets of the merged terms' runs: each term's runs in every part, summed."""
    sizes = np.zeros(nterms, dtype=np.int64)
    for row, offset in zip(rows, offsets):
        sizes[row] += np.diff(offset)  # a part's rows are distinct: no two adds to one term
    merged = np.zeros(nterms + 1, dtype=np.int64)
    np.cumsum(sizes, out=merged[1:])
    return merged


def _merged_values(
    parts: Sequence[PartReader],
    field: str,
    array: str,
    merged: np.ndarray,
    rows: list[np.ndarray],
    offsets: list[np.ndarray],
    add: list[int] | None = None,
) -> _Pieces:
    """The merged array of per-term runs (``values[offsets[i]:offsets[i + 1]]`` of
    ``array`` is term ``i``'s run in a part, ``add`` added to it), laid out by the merged
    ``offsets``, in pieces of whole terms."""
    dtype = np.dtype(parts[0].field_arrays(field)._asdict()[array].dtype)

    def pieces() -> Iterator[np.ndarray]:
        nterms = len(merged) - 1
        t0 = 0
        while t0 < nterms:
            # whole terms, about _MERGE_CHUNK values (one term alone when it has more)
            t1 = max(int(np.searchsorted(merged, merged[t0] + _MERGE_CHUNK, side="right")) - 1, t0 + 1)
            out = np.empty(int(merged[t1] - merged[t0]), dtype=dtype)
            filled = np.zeros(t1 - t0, dtype=np.int64)  # values of each term placed so far
            for p, (part, row, offset) in enumerate(zip(parts, rows, offsets)):
                lo, hi = np.searchsorted(row, [t0, t1])  # this part's terms in [t0, t1): consecutive
                if lo == hi:
                    continue
                terms = row[lo:hi] - t0
                first, last = int(offset[lo]), int(offset[hi])
                sizes = np.diff(offset[lo : hi + 1])
                at = merged[terms + t0] - merged[t0] + filled[terms]  # where each run goes
                filled[terms] += sizes
                where = np.repeat(at - (offset[lo:hi] - first), sizes) + np.arange(last - first)
                value = part.array(field, array, first, last)  # verified as it is read
                assert value is not None
                out[where] = value + dtype.type(add[p]) if add else value
            for part in parts:
                part.release()
            yield out
            t0 = t1

    return _Pieces(dtype, int(merged[-1]), pieces)


def _merged_texts(nterms: int, rows: list[np.ndarray], olds: list[FieldArrays]) -> dict[str, np.ndarray]:
    """The merged terms' texts (``toff``, ``tblob``): each from the first part that has it."""
    owner = np.full(nterms, -1, dtype=np.int64)
    local = np.zeros(nterms, dtype=np.int64)
    for p in range(len(olds) - 1, -1, -1):
        owner[rows[p]] = p
        local[rows[p]] = np.arange(len(rows[p]))
    sizes = np.zeros(nterms, dtype=np.int64)
    for p, old in enumerate(olds):
        if old.toff is not None:  # (a part without the field has no terms in it)
            mine = owner == p
            sizes[mine] = np.diff(old.toff)[local[mine]]
    toff = np.zeros(nterms + 1, dtype=np.int64)
    np.cumsum(sizes, out=toff[1:])
    tblob = np.empty(int(toff[-1]), dtype=np.uint8)
    for p, old in enumerate(olds):
        terms = np.flatnonzero(owner == p)
        n = sizes[terms]
        if old.toff is None or old.tblob is None or not n.sum():
            continue
        before = np.cumsum(n) - n  # where each term's bytes start among this part's
        span = np.arange(int(n.sum()))
        source = np.repeat(old.toff[local[terms]] - before, n) + span
        tblob[np.repeat(toff[terms] - before, n) + span] = old.tblob[source]
    return {"toff": toff, "tblob": tblob}
