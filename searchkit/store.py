"""The on-disk layout of an index, shared by the writer (index.py) and the reader (search.py).

An index directory holds a Whoosh index named :data:`INDEX_NAME` (stored documents, ids,
file signatures, the author, category and date fields, deletions, the write lock and the
table of contents naming the live segments) and, beside each Whoosh segment, the postings
parts of its text fields (``<segment>-<first document>.skp``, see postings.py).

This module knows that layout and nothing else: it imports neither the writer nor the
reader, so a query never loads the indexing code.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from whoosh import columns, fields, index as whoosh_index
from whoosh.filedb import compound, structfile
from whoosh.filedb.filestore import FileStorage
from zlib_ng.zlib_ng import crc32  # zlib's CRC-32, the same values, many times faster

from . import analysis, postings
from .errors import IndexDamagedError, IndexNotFoundError, SearchkitError

__all__ = [
    "DEFAULT_INDEX_DIR",
    "INDEX_NAME",
    "SCHEMA_VERSION",
    "FORMAT_FILE",
    "write_format_version",
    "toc_name",
    "index_exists",
    "WRITE_LOCK",
    "UNDATED",
    "epoch_seconds",
    "schema",
    "open_whoosh_index",
    "part_path",
    "CHECKSUMS_SUFFIX",
    "checksums_path",
    "whoosh_files",
    "write_checksums",
    "read_checksums",
    "verify_whoosh_files",
    "segment_parts",
]


class _LazyBufferFile(structfile.BufferFile):
    """Whoosh's file inside a compound segment (a view of the segment's memory map) that
    copies the view into a BytesIO only when read as a stream.

    Whoosh's own BufferFile copies it when opened, although its columns read the view
    directly (``get``, ``get_array``): opening the stored-documents column of a segment
    copied every stored article of the segment into memory, for one hit's fields.
    """

    def __init__(self, buf, name=None, onclose=None):  # no super(): it would make the copy
        self._buf = buf
        self._name = name
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False
        self._stream: BytesIO | None = None

    @property
    def file(self) -> BytesIO:
        if self._stream is None:
            self._stream = BytesIO(self._buf)
        return self._stream

    def close(self) -> None:
        if self.is_closed:
            raise ValueError("This file is already closed")
        if self.onclose:
            self.onclose(self)
        if self._stream is not None:
            self._stream.close()
        self.is_closed = True


# Whoosh's compound segments open their files through this name.
compound.BufferFile = _LazyBufferFile

DEFAULT_INDEX_DIR = "index"
INDEX_NAME = "searchkit"
# The on-disk format's version, written in FORMAT_FILE when an index is created and checked
# when one is opened, so that a format change says "rebuild" instead of misreading an index.
# Version 2: text fields moved from Whoosh to postings parts (postings.py). Version 1 had no
# FORMAT_FILE (it is told apart by its Whoosh schema); nor had version 2 before this file.
# Version 3: postings parts carry checksums. Version 4: packed postings (postings.py).
# Version 5: the lead field (fields.LEAD_FIELD; a version 4 part would read as no leads).
# Version 6: terms in one spelling of i/y (text.canonical_spelling: ``kỹ`` is ``kĩ``).
# Version 7: and of numbers (``5.000``, one syllable now, is ``5000``; ``06`` is ``6``).
# Version 8: ``ôtô`` is read as the two syllables of ``ô tô`` (text.JOINED_RE).
SCHEMA_VERSION = 8
FORMAT_FILE = "searchkit-format"
# The name of Whoosh's write lock for INDEX_NAME (taken by hand while creating an index).
WRITE_LOCK = f"{INDEX_NAME}_WRITELOCK"

# The date column's value for an article without a date (sorts after every real date).
UNDATED = -(2**63)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the epoch, as the date column holds them; a naive ``moment``
    is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return math.floor(moment.timestamp())


def schema() -> fields.Schema:
    """The Whoosh schema: stored documents, ids, filters and sort keys. The text fields
    (fields.py) live in postings parts beside each segment."""
    fold = analysis.folded_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        source=fields.ID(sortable=True),  # resolved path of the file the document came from
        signature=fields.STORED(),  # "mtime_ns:size" of that file when it was read
        author=fields.TEXT(analyzer=fold, phrase=True),  # what --author matches
        author_name=fields.ID(sortable=True),  # the byline as spelt: facet values
        category=fields.ID(sortable=True),  # normalised, lower case: facet values
        category_fold=fields.ID(),  # folded too: what --category matches
        # Seconds since the epoch, a column only: sorting and date filters read it as an
        # array. (A DATETIME field also indexes 8 terms per date, most of them unique:
        # seconds of commit time on an archive, for a range query the column does too.)
        date=fields.COLUMN(columns.NumericColumn("q", default=UNDATED)),
        month=fields.ID(sortable=True),
        doc=fields.STORED(),
        # Where the sentences of the indexed text end (passages.encode_sentence_ends):
        # found once here, so that a search need not split every hit's text again.
        sentences=fields.STORED(),
    )


def open_whoosh_index(index_dir: str | Path, *, memory_map: bool = True) -> whoosh_index.Index:
    """Open an existing index or raise :class:`IndexNotFoundError` with a hint.

    ``memory_map=False`` reads segment files with plain reads: for reading every stored
    document once (an export), where a memory map would keep each page it touched
    resident, growing the process by the size of the stored documents."""
    path = Path(index_dir)
    if not index_exists(path):
        raise IndexNotFoundError(f"no index at {path}/ — run `searchkit index PATH` first to build it")
    try:
        ix = FileStorage(str(path), supports_mmap=memory_map).open_index(INDEX_NAME)
    except Exception as exc:  # a damaged TOC file (Whoosh raises anything from struct to pickle)
        problem = f"cannot be read ({type(exc).__name__}: {exc})"
        raise IndexDamagedError.in_file(path, toc_name(path), problem) from None
    version = 1 if "body" in ix.schema.names() else _format_version(path)  # v1: text in Whoosh
    if version < SCHEMA_VERSION:
        raise SearchkitError(
            f"the index at {path}/ was built by an older searchkit; "
            "rebuild it with `searchkit index --rebuild PATH`"
        )
    if version > SCHEMA_VERSION:
        raise SearchkitError(
            f"the index at {path}/ was built by a newer searchkit (format {version}, this one reads "
            f"{SCHEMA_VERSION}); upgrade searchkit or rebuild it with `searchkit index --rebuild PATH`"
        )
    return ix


def _format_version(index_dir: Path) -> int:
    try:
        text = (index_dir / FORMAT_FILE).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return 2  # made before FORMAT_FILE existed, and after version 1
    except (OSError, UnicodeDecodeError) as exc:
        raise SearchkitError(f"cannot read {index_dir / FORMAT_FILE}: {exc}") from None
    if not text.isdigit():
        raise IndexDamagedError.in_file(index_dir, FORMAT_FILE, "is not a format number")
    return int(text)


def index_exists(index_dir: str | Path) -> bool:
    """Whether ``index_dir`` holds an index (a TOC file, readable or not: Whoosh's own
    ``exists_in`` reads it, and raises anything on a damaged one)."""
    try:
        return any(_TOC_PATTERN.match(name) for name in os.listdir(index_dir))
    except OSError:  # no such directory, or not a directory
        return False


def toc_name(index_dir: str | Path) -> str:
    """The file name of the index's table of contents (its latest generation)."""
    generations = [int(m.group(1)) for m in map(_TOC_PATTERN.match, os.listdir(index_dir)) if m is not None]
    return f"_{INDEX_NAME}_{max(generations, default=0)}.toc"


_TOC_PATTERN = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")


def write_format_version(index_dir: str | Path) -> None:
    """Record :data:`SCHEMA_VERSION` in a new index (the writer calls it on creation)."""
    (Path(index_dir) / FORMAT_FILE).write_text(f"{SCHEMA_VERSION}\n", encoding="ascii")


def part_path(index_dir: str | Path, segment_id: str, base: int) -> Path:
    """The postings part of segment ``segment_id`` starting at its document ``base``.

    Not ``<segment id>.<ext>``: Whoosh would fold such a file into its compound segment
    file and delete it as its own when cleaning up."""
    return Path(index_dir) / f"{segment_id}-{base}{postings.PART_SUFFIX}"


CHECKSUMS_SUFFIX = "-whoosh.skc"


def checksums_path(index_dir: str | Path, segment_id: str) -> Path:
    """The file recording the sizes and CRC-32s of a Whoosh segment's files (Whoosh keeps
    none). Not ``<segment id>.<ext>``, for the reason :func:`part_path` gives."""
    return Path(index_dir) / f"{segment_id}{CHECKSUMS_SUFFIX}"


def whoosh_files(index_dir: str | Path, segment_id: str, names: Iterable[str] | None = None) -> list[str]:
    """The names of a Whoosh segment's own files (``<segment id>.<ext>``)."""
    prefix = segment_id + "."
    return sorted(n for n in (names if names is not None else os.listdir(index_dir)) if n.startswith(prefix))


def write_checksums(index_dir: str | Path, segment_id: str) -> None:
    """Record the size and CRC-32 of each file of a committed (hence final) Whoosh segment:
    a JSON line, then the CRC-32 of that line."""
    files = {}
    for name in whoosh_files(index_dir, segment_id):
        files[name] = [*_size_and_crc(Path(index_dir) / name)]
    line = json.dumps({"files": files})
    path = checksums_path(index_dir, segment_id)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(f"{line}\n{crc32(line.encode()):08x}\n", encoding="ascii")
    os.replace(temporary, path)


def read_checksums(index_dir: str | Path, segment_id: str) -> dict[str, tuple[int, int]] | None:
    """What :func:`write_checksums` recorded: ``{file: (size, crc32)}``, None if nothing was
    (a segment committed by a run killed just after its commit); IndexDamagedError if the
    record itself is damaged."""
    path = checksums_path(index_dir, segment_id)
    try:
        line, crc = path.read_text(encoding="ascii").split("\n")[:2]
        if f"{crc32(line.encode()):08x}" != crc:
            raise ValueError("checksum mismatch")
        return {name: (int(size), int(sum_)) for name, (size, sum_) in json.loads(line)["files"].items()}
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexDamagedError.in_file(index_dir, path.name, f"is damaged ({exc})") from None


def _size_and_crc(path: Path) -> tuple[int, int]:
    crc = 0
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def verify_whoosh_files(index_dir: str | Path, segment_id: str, full: bool) -> None:
    """Check a segment's Whoosh files against their recorded sizes (and, ``full``, their
    checksums); IndexDamagedError naming the first that differs. Nothing recorded: no check."""
    recorded = read_checksums(index_dir, segment_id)
    for name, (size, crc) in (recorded or {}).items():
        path = Path(index_dir) / name
        try:
            actual = path.stat().st_size
        except FileNotFoundError:
            raise IndexDamagedError.in_file(index_dir, name, "is missing") from None
        if actual != size:
            raise IndexDamagedError.in_file(index_dir, name, f"is {actual} bytes long, not {size}")
        if full and _size_and_crc(path)[1] != crc:
            raise IndexDamagedError.in_file(index_dir, name, "fails its checksum")


def segment_parts(index_dir: str | Path, segment_id: str, names: Iterable[str] | None = None) -> list[Path]:
    """The postings parts of one segment, in document order (``names``: a listing of
    ``index_dir`` when the caller has one)."""
    prefix = segment_id + "-"
    found: list[tuple[int, Path]] = []
    for name in names if names is not None else os.listdir(index_dir):
        if name.startswith(prefix) and name.endswith(postings.PART_SUFFIX):
            base = name[len(prefix) : -len(postings.PART_SUFFIX)]
            if base.isdigit():
                found.append((int(base), Path(index_dir) / name))
    return [path for _, path in sorted(found)]
