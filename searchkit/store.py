"""The on-disk layout of an index, shared by the writer (index.py) and the reader (search.py).

An index directory holds a Whoosh index named :data:`INDEX_NAME` (stored documents, ids,
file signatures, the author, category and date fields, deletions, the write lock and the
table of contents naming the live segments) and, beside each Whoosh segment, the postings
parts of its text fields (``<segment>-<first document>.skp``, see postings.py).

This module knows that layout and nothing else: it imports neither the writer nor the
reader, so a query never loads the indexing code.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

from whoosh import columns, fields, index as whoosh_index

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
    "segment_parts",
]

DEFAULT_INDEX_DIR = "index"
INDEX_NAME = "searchkit"
# The on-disk format's version, written in FORMAT_FILE when an index is created and checked
# when one is opened, so that a format change says "rebuild" instead of misreading an index.
# Version 2: text fields moved from Whoosh to postings parts (postings.py). Version 1 had no
# FORMAT_FILE (it is told apart by its Whoosh schema); nor had version 2 before this file.
# Version 3: postings parts carry checksums.
SCHEMA_VERSION = 3
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
        author=fields.TEXT(analyzer=fold, phrase=True),
        category=fields.ID(sortable=True),  # normalised, lower case: facet values
        category_fold=fields.ID(),  # folded too: what --category matches
        # Seconds since the epoch, a column only: sorting and date filters read it as an
        # array. (A DATETIME field also indexes 8 terms per date, most of them unique:
        # seconds of commit time on an archive, for a range query the column does too.)
        date=fields.COLUMN(columns.NumericColumn("q", default=UNDATED)),
        month=fields.ID(sortable=True),
        doc=fields.STORED(),
    )


def open_whoosh_index(index_dir: str | Path) -> whoosh_index.Index:
    """Open an existing index or raise :class:`IndexNotFoundError` with a hint."""
    path = Path(index_dir)
    if not index_exists(path):
        raise IndexNotFoundError(f"no index at {path}/ — run `searchkit index PATH` first to build it")
    try:
        ix = whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
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
