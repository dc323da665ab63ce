"""Checking an index, and repairing a damaged one (``searchkit check [--repair]``).

:func:`check_index` verifies every segment the table of contents (TOC) names: its Whoosh
files match the sizes and checksums recorded when it was committed (store.py) and are
readable (every stored document, the id, source and date columns, every term and posting
of the small fields), its postings parts are present, cover its documents exactly and
match their checksums byte for byte (postings.py), and its deletions are in range. It
reports one :class:`Problem` per damaged file.

Repairing drops the damaged segments: a segment's documents live in its Whoosh files and
its parts together, and neither can be rebuilt without the articles. The report lists
the ids of the documents dropped (when the damaged segment still says which they were),
so that they can be indexed again from their files: ``searchkit index`` compares each
file's signature with the one stored beside its documents, and a dropped document takes
its signature with it, so the next run of ``searchkit index`` over the same paths reads
those files again. A file's documents are all dropped together (also those in healthy
segments, which an interrupted update can leave), so that its signature is gone with them.

When the TOC itself cannot be read, repairing writes a new one naming the segments found
on disk that pass every check (their document counts are their parts'). Deletions
recorded only in the lost TOC cannot be recovered: where two segments hold a document
with one id, the copy from the most recently modified file is kept and the other deleted,
and documents of files since removed may reappear until the next ``searchkit index``.

Both check and repair take the index's write lock, so they never see a run's half-made
segments and no run writes while they repair.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files
from whoosh.reading import SegmentReader

from . import postings
from .errors import IndexDamagedError, IndexLockedError, IndexNotFoundError, SearchkitError
from .reader import open_parts
from .store import (
    CHECKSUMS_SUFFIX,
    FORMAT_FILE,
    INDEX_NAME,
    SCHEMA_VERSION,
    WRITE_LOCK,
    index_exists,
    schema,
    segment_parts,
    toc_name,
    verify_whoosh_files,
    write_format_version,
)

__all__ = ["Problem", "CheckReport", "check_index"]


@dataclass(frozen=True)
class Problem:
    """One damaged file (or the TOC's view of one segment)."""

    file: str  # a file name in the index directory
    message: str
    segment: str | None = None  # the segment it belongs to, when it belongs to one

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


@dataclass
class CheckReport:
    """What :func:`check_index` found, and what ``repair`` did about it."""

    path: Path
    segments: int = 0  # segments named by the TOC (or found on disk, when the TOC is lost)
    documents: int = 0  # live documents in the healthy segments
    problems: list[Problem] = field(default_factory=list)
    repaired: bool = False
    dropped_segments: list[str] = field(default_factory=list)
    lost_ids: list[str] = field(default_factory=list)  # documents dropped by the repair
    unknown_lost: int = 0  # documents dropped whose ids could not be read
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.healthy:
            return (
                f"{self.path}/ is healthy: {_count(self.segments, 'segment')}, "
                f"{_count(self.documents, 'document')}, "
                f"checked in {self.seconds:.1f} s"
            )
        if not self.repaired:
            return (
                f"{self.path}/ is damaged: {_count(len(self.problems), 'problem')} in "
                f"{_count(self.segments, 'segment')}; "
                "run `searchkit check --repair` to drop the damaged segments, or rebuild with "
                "`searchkit index --rebuild`"
            )
        lost = len(self.lost_ids) + self.unknown_lost
        return (
            f"repaired {self.path}/: dropped {_count(len(self.dropped_segments), 'damaged segment')} "
            f"and {_count(lost, 'document')}; {_count(self.documents, 'document')} remain"
            + ("; run `searchkit index` over the same paths to index the dropped ones again" if lost else "")
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def check_index(path: str | Path, repair: bool = False) -> CheckReport:
    """Verify the index at ``path`` in full; with ``repair``, drop what is damaged.

    Raises :class:`IndexNotFoundError` when there is no index, :class:`IndexLockedError`
    when an indexing run holds it, and :class:`SearchkitError` for an index of another
    format version (rebuild it).
    """
    started = time.perf_counter()
    folder = Path(path)
    if not index_exists(folder):
        raise IndexNotFoundError(f"no index at {folder}/ — run `searchkit index PATH` first to build it")
    report = CheckReport(folder)
    storage = FileStorage(str(folder))
    with _locked(storage, folder):
        format_ok = _check_format(folder, report)
        try:
            toc: Any = TOC.read(storage, INDEX_NAME)
        except Exception as exc:  # a damaged TOC: Whoosh raises anything from struct to pickle
            toc = None
            report.problems.append(Problem(toc_name(folder), f"cannot be read ({type(exc).__name__}: {exc})"))
        candidates = toc.segments if toc is not None else _segments_on_disk(folder)
        report.segments = len(candidates)
        names = os.listdir(folder)
        healthy: list[Any] = []
        damaged: list[Any] = []
        for segment in candidates:
            problems = _check_segment(storage, folder, segment, names)
            report.problems += problems
            (damaged if problems else healthy).append(segment)
        report.documents = sum(s.doc_count() for s in healthy)
        if repair and report.problems:
            _repair(storage, folder, toc, healthy, damaged, report)
            if not format_ok:
                write_format_version(folder)
            report.documents = sum(s.doc_count() for s in healthy)
            report.repaired = True
    report.seconds = time.perf_counter() - started
    return report


_TOC = re.compile(rf"^_{INDEX_NAME}_([0-9]+)\.toc$")
_SEGMENT_FILE = re.compile(rf"^({INDEX_NAME}_[0-9a-z]+)[.-]")


@contextmanager
def _locked(storage: FileStorage, folder: Path) -> Iterator[None]:
    lock = storage.lock(WRITE_LOCK)
    if not lock.acquire(blocking=False):
        raise IndexLockedError(f"a searchkit index run is writing {folder}/; check it when the run is over")
    try:
        yield
    finally:
        lock.release()


def _check_format(folder: Path, report: CheckReport) -> bool:
    try:
        text = (folder / FORMAT_FILE).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError):
        text = "?"
    if not text.isdigit():
        report.problems.append(Problem(FORMAT_FILE, "is missing or damaged (the repair writes it again)"))
        return False
    if int(text) != SCHEMA_VERSION:
        raise SearchkitError(
            f"the index at {folder}/ is in format {text}, this searchkit checks format {SCHEMA_VERSION}; "
            "rebuild it with `searchkit index --rebuild PATH`"
        )
    return True


def _check_segment(storage: FileStorage, folder: Path, segment: Any, names: list[str]) -> list[Problem]:
    """Every problem of one segment (none: it is healthy)."""
    segid = segment.segment_id()
    problems: list[Problem] = []

    def problem(file: str, message: str) -> None:
        problems.append(Problem(file, message, segid))

    count = segment.doc_count_all()
    if count == 0:  # (only a segment rebuilt from disk: its parts are what counts it)
        problem(f"{segid}-0{postings.PART_SUFFIX}", "is missing or damaged: the segment's documents are lost")
        return problems
    deleted = list(segment.deleted_docs())
    if any(not 0 <= d < count for d in deleted):
        problem(toc_name(folder), f"deletes documents outside segment {segid} (0–{count - 1})")
    try:
        verify_whoosh_files(folder, segid, full=True)
    except IndexDamagedError as exc:
        problem(exc.file or segid, exc.problem or str(exc))
        whoosh_damaged = True
    else:
        whoosh_damaged = False
    try:
        parts = open_parts(folder, segment, names)
        for part in parts:
            part.verify()
    except IndexDamagedError as exc:
        if not any(p.file == exc.file for p in problems):
            problem(exc.file or segid, exc.problem or str(exc))
    whoosh_file = segment.make_filename(".seg") if segment.is_compound() else segid + ".*"
    if whoosh_damaged:  # (said above: reading them would only say it again)
        return problems
    try:
        reader = SegmentReader(storage, schema(), segment)
        try:
            stored = sum(1 for _ in map(reader.stored_fields, range(count)))
            for column in ("id", "source", "date"):
                if reader.has_column(column):
                    values = reader.column_reader(column)
                    if len(values) != count:
                        problem(whoosh_file, f"has {len(values)} values in its {column} column, not {count}")
                    for _ in values:
                        pass
            for fieldname, term in reader.all_terms():  # and every posting of the small fields
                reader.postings(fieldname, term).all_ids()
        finally:
            reader.close()
        if stored != count:
            problem(whoosh_file, f"holds {stored} stored documents, its TOC entry {count}")
    except Exception as exc:  # noqa: BLE001 - Whoosh raises anything on a damaged file
        problem(_missing_name(exc) or whoosh_file, f"cannot be read ({type(exc).__name__}: {exc})")
    return problems


def _missing_name(exc: Exception) -> str | None:
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return Path(exc.filename).name
    return None


def _segments_on_disk(folder: Path) -> list[Any]:
    """Segments rebuilt from the files on disk when the TOC is lost: every segment id with
    Whoosh files, its document count taken from its parts (which cover it from 0)."""
    segments = []
    names = os.listdir(folder)
    ids = sorted({m.group(1) for m in map(_SEGMENT_FILE.match, names) if m is not None})
    codec = W3Codec()
    for segment_id in ids:
        if not any(n.startswith(segment_id + ".") for n in names):
            continue  # parts alone: a run killed before its segment was written
        count = 0
        for path in segment_parts(folder, segment_id, names):
            try:
                part = postings.PartReader(path)
            except IndexDamagedError:
                break
            if part.base != count:
                break
            count += part.ndocs
        segment = W3Segment(codec, INDEX_NAME, count, segid=segment_id[len(INDEX_NAME) + 1 :])
        segment.compound = (segment_id + ".seg") in names
        segments.append(segment)
    return segments


def _repair(
    storage: FileStorage, folder: Path, toc: Any, healthy: list, damaged: list, report: CheckReport
) -> None:
    """Write a TOC naming only the healthy segments, and remove the damaged ones' files."""
    lost_sources: set[str] = set()
    for segment in damaged:
        report.dropped_segments.append(segment.segment_id())
        found = _live_documents(storage, folder, segment)
        if found is None:
            report.unknown_lost += segment.doc_count()
            report.notes.append(
                f"segment {segment.segment_id()}: the ids of its {segment.doc_count()} documents cannot be "
                "read; index all the paths again to restore them"
            )
            continue
        for doc_id, source, _ in found:
            report.lost_ids.append(doc_id)
            lost_sources.add(source)
    if toc is None:
        _resolve_duplicates(storage, healthy, report)
    # A file's documents go together: its documents left in healthy segments are dropped
    # too, so that its signature goes and the next run reads the file again.
    for segment in healthy:
        for docnum, (doc_id, source, _) in _numbered_documents(storage, segment):
            if source in lost_sources:
                segment.delete_document(docnum)
                report.lost_ids.append(doc_id)
    generation = (toc.generation if toc is not None else _latest_generation(folder)) + 1
    TOC(schema(), healthy, generation).write(storage, INDEX_NAME)
    clean_files(storage, INDEX_NAME, generation, healthy)
    keep = {segment.segment_id() for segment in healthy}
    for name in os.listdir(folder):
        if name.endswith((postings.PART_SUFFIX, CHECKSUMS_SUFFIX)) and name.rsplit("-", 1)[0] not in keep:
            (folder / name).unlink(missing_ok=True)
    report.lost_ids.sort()


def _latest_generation(folder: Path) -> int:
    return max((int(m.group(1)) for m in map(_TOC.match, os.listdir(folder)) if m), default=0)


Document = tuple[str, str, str]  # id, source, signature


def _numbered_documents(storage: FileStorage, segment: Any) -> list[tuple[int, Document]]:
    """The live documents of a readable segment, with their numbers."""
    reader = SegmentReader(storage, schema(), segment)
    try:
        ids, sources = reader.column_reader("id"), reader.column_reader("source")
        return [
            (d, (ids[d], sources[d], reader.stored_fields(d).get("signature", "")))
            for d in range(segment.doc_count_all())
            if not segment.is_deleted(d)
        ]
    finally:
        reader.close()


def _live_documents(storage: FileStorage, folder: Path, segment: Any) -> list[Document] | None:
    """The live documents of a damaged segment, as its Whoosh files say, or else as its
    parts do (they keep their documents' ids and sources); None when neither can."""
    try:
        return [document for _, document in _numbered_documents(storage, segment)]
    except Exception:  # noqa: BLE001 - its Whoosh files are what is damaged: ask the parts
        pass
    found: list[Document] = []
    for path in segment_parts(folder, segment.segment_id()):
        try:
            part = postings.PartReader(path)
            documents = part.documents()
        except IndexDamagedError:
            return None
        if documents is None:
            return None
        found += [
            (doc_id, source, "")
            for n, (doc_id, source) in enumerate(documents)
            if not segment.is_deleted(part.base + n)
        ]
    return found if len(found) == segment.doc_count() else None


def _resolve_duplicates(storage: FileStorage, segments: list, report: CheckReport) -> None:
    """With the TOC lost, so are its deletions: where segments hold one id more than
    once, keep the copy read from the newest file (by its signature's mtime)."""
    best: dict[str, tuple[int, Any, int]] = {}  # id -> (mtime, segment, docnum)
    dropped = 0
    for segment in segments:
        for docnum, (doc_id, _, signature) in _numbered_documents(storage, segment):
            mtime = _mtime(signature)
            held = best.get(doc_id)
            if held is None:
                best[doc_id] = (mtime, segment, docnum)
                continue
            loser = (segment, docnum) if mtime < held[0] else (held[1], held[2])
            if mtime >= held[0]:
                best[doc_id] = (mtime, segment, docnum)
            loser[0].delete_document(loser[1])
            dropped += 1
    report.notes.append(
        "the table of contents was rebuilt from the segments on disk; its deletions were lost: "
        f"{dropped} older copies of documents were deleted again, and documents of files removed "
        "since may be back until the next `searchkit index` over the same paths"
    )


def _mtime(signature: str) -> int:
    head = signature.split(":", 1)[0]
    return int(head) if head.isdigit() else -1


def report_lines(report: CheckReport, echo: Callable[[str], None]) -> None:
    """Hand ``echo`` the report's lines: one per problem, the notes, the lost ids, the summary."""
    for problem in report.problems:
        echo(f"damaged: {problem}")
    for note in report.notes:
        echo(note)
    if report.lost_ids:
        echo(f"lost documents ({len(report.lost_ids)}): " + ", ".join(report.lost_ids))
    echo(report.summary())
