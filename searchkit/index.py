"""Build and update an index: the incremental writer and the worker processes.

This module is the only writer of an index. One run of :func:`index_paths` is a
pipeline of four stages:

1. **plan** (:func:`_plan`): walk the given paths (:func:`searchkit.articles.source_files`)
   and compare each file's signature (``mtime_ns:size``) with the one stored beside its
   documents, so unchanged files cost a ``stat`` and nothing else; files gone from the
   indexed roots are planned for removal;
2. **read** (:func:`_read_batches`): read new and changed files in this process, in
   batches of articles;
3. **analyse** (:class:`_Analyzer`): worker processes run the expensive analysis (pyvi,
   summaries) on the batches;
4. **apply** (:class:`_Apply`): write the analysed documents from this process, the single
   Whoosh writer, delete the documents of removed files, and commit when
   :class:`_CommitPolicy` says so: at file boundaries only, so a killed run leaves the
   index in the state of its last commit, in which every file is either fully indexed
   with its signature or not at all, and the next run finishes the work.

:class:`_Tally` owns the report and the progress: every count and every progress call
is made there.

Rules, all reported as problems and counted as ``skipped``:

* a file that cannot be read is skipped and its documents already in the index stay;
* a record whose id is already held by a document of *another* file is skipped: the
  first file to claim an id keeps it (already indexed first, then walk order).
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import gc
import multiprocessing
import multiprocessing.pool
import os
import signal
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.util.filelock import try_for
from whoosh.writing import MERGE_SMALL, NO_MERGE, LockError

from . import analysis, articles as _articles, postings, segment, text
from .analysis import AnalyzedArticle
from .articles import Article, ReadProblem
from .errors import IndexLockedError, SearchkitError
from .records import Document
from .store import (
    CHECKSUMS_SUFFIX,
    DEFAULT_INDEX_DIR,
    INDEX_NAME,
    WRITE_LOCK,
    epoch_seconds,
    index_exists,
    open_whoosh_index,
    part_path,
    schema,
    segment_parts,
    whoosh_files,
    write_checksums,
    write_format_version,
)

__all__ = ["IndexReport", "IndexInterrupted", "index_paths"]

# Commit at the first file boundary after this many new documents: a crash then loses at
# most this much work, and each commit is a cheap segment flush, not a full merge.
COMMIT_EVERY_DOCS = 20_000
# Articles per batch sent to a worker: large enough to amortise pickling, small enough
# that the batches in flight (2 per worker) bound memory on any corpus size.
BATCH_ARTICLES = 64
# Default bound on the writer's memory: postings collected for a part before it is
# written out (the workers and the Whoosh writer's own pool come on top, ~150 MB).
DEFAULT_MEMORY_MB = 512
# Parts of a segment are merged at its commit into parts of up to this many bytes: few
# parts for queries to look in, each small enough for a later merge of segments to
# renumber (postings.remap_part holds one field of a part in memory, decoded).
MERGED_PART_BYTES = 1 << 30
# Whoosh now pools only the small fields (ids, author, category, dates).
WHOOSH_POOL_MB = 32

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) as files are finished."""


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    documents: int = 0  # documents in the index after the run
    seconds: float = 0.0
    problems: list[ReadProblem] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged, {self.skipped} skipped; "
            f"{self.documents} documents in {self.seconds:.1f} s"
        )


# -- the commit policy -----------------------------------------------------------------


@dataclass(frozen=True)
class _CommitPolicy:
    """When the writer writes out a part, commits and merges: the rules that bound its
    memory and the work a crash can lose, in one place."""

    part_bytes: int  # postings held before they are written out as a part
    commit_docs: int  # documents written before the next file boundary commits

    @classmethod
    def for_memory(cls, memory_mb: int) -> _CommitPolicy:
        # A part is laid out (sorted) in a thread while the next one fills, and laying
        # out needs about its size again: four part budgets in all. COMMIT_EVERY_DOCS is
        # read now, not at import, so that a test can lower it.
        return cls(part_bytes=memory_mb * 1024 * 1024 // 4, commit_docs=COMMIT_EVERY_DOCS)

    def part_full(self, part_nbytes: int) -> bool:
        return part_nbytes >= self.part_bytes

    def commit_due(self, uncommitted_docs: int, drained: bool) -> bool:
        """Asked at file boundaries only: a commit inside a file would leave it half indexed.
        Once every batch is with the workers (``drained``), the files still to come wait for
        the last commit: it merges the segment's parts, the run's largest use of memory,
        and it runs after the workers have exited (a single large file would otherwise be
        committed, and its parts merged, while they hold their memory)."""
        return uncommitted_docs >= self.commit_docs and not drained

    @staticmethod
    def merges(last_commit: bool) -> bool:
        """Commits during the run only flush a segment; the last one also merges small
        segments (Whoosh's MERGE_SMALL), so a run pays for merging once."""
        return last_commit


# -- the writer: a Whoosh segment and its postings parts -------------------------------


def _create_or_open(path: Path, rebuild: bool) -> whoosh_index.Index:
    path.mkdir(parents=True, exist_ok=True)
    if rebuild or not index_exists(path):
        storage = FileStorage(str(path))
        # Creating under the writer lock: a concurrent run must not see a half-made index.
        lock = storage.lock(WRITE_LOCK)
        if not lock.acquire(blocking=False):
            raise IndexLockedError(f"another searchkit index is writing {path}/")
        try:
            write_format_version(path)
            return storage.create_index(schema(), indexname=INDEX_NAME)
        finally:
            lock.release()
    return open_whoosh_index(path)


def _writer(ix: whoosh_index.Index, wait: float, on_wait: Callable[[str], None] | None):
    """A writer, waiting up to ``wait`` seconds for a concurrent run to finish."""
    try:
        return ix.writer(limitmb=WHOOSH_POOL_MB)
    except LockError:
        pass
    if on_wait:
        on_wait("another searchkit index is writing this index; waiting for it to finish")
    writer = None

    def attempt() -> bool:
        nonlocal writer
        try:
            writer = ix.writer(limitmb=WHOOSH_POOL_MB)
            return True
        except LockError:
            return False

    if not try_for(attempt, timeout=wait, delay=0.5):
        raise IndexLockedError(f"the index is still locked by another searchkit index after {wait:.0f} s")
    return writer


class _Writer:
    """The Whoosh writer of one new segment and the postings parts of its documents.

    Document ``n`` of the Whoosh segment is document ``n`` of its parts. Parts are
    written before Whoosh writes the TOC that names the segment, so a committed segment
    always has its parts; parts of a segment no TOC names (a killed run) are deleted at
    the next commit. Merges are Whoosh's own policies, run through :class:`_MergingWriter`,
    which renumbers the parts of merged segments the way Whoosh renumbers their documents.
    """

    def __init__(self, ix: whoosh_index.Index, wait: float, on_wait, policy: _CommitPolicy):
        self.ix = ix
        self.whoosh = _writer(ix, wait, on_wait)
        self.folder = Path(ix.storage.folder)
        self.segment_id = self.whoosh.newsegment.segment_id()
        self.policy = policy
        self.part = postings.PartWriter(0)
        self._writing: Future | None = None
        self._committed = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="searchkit-part")

    def reader(self):
        return self.whoosh.reader()

    def delete_by_term(self, fieldname: str, value: str) -> None:
        self.whoosh.delete_by_term(fieldname, value)

    def add(self, documents: list[dict], text_fields: postings.BatchPostings) -> None:
        """Add documents with the postings of their text fields (in the same order)."""
        # An index made before sentence ends were stored keeps its schema: its hits split
        # their text at search time instead (sentences.stored_sentences).
        # Likewise one made before the author facet: its facets have no authors until rebuilt.
        unknown = {"sentences", "author_name"} - set(self.whoosh.schema.names())
        for document in documents:
            if unknown:
                document = {k: v for k, v in document.items() if k not in unknown}
            self.whoosh.add_document(**document)
        self.part.add(text_fields, [(d["id"], d["source"]) for d in documents])
        if self.policy.part_full(self.part.nbytes):
            self.write_part()

    def write_part(self) -> None:
        """Write the filling part in the background (numpy's sorts release the GIL, so
        documents keep coming meanwhile); one part in writing at a time."""
        self._wait_for_write()
        if self.part.ndocs:
            self._writing = self._thread.submit(
                self.part.write, part_path(self.folder, self.segment_id, self.part.base)
            )
            self.part = postings.PartWriter(self.part.base + self.part.ndocs)

    def _wait_for_write(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()  # re-raises an error of the write (disk full, ...)

    def commit(self, merge: bool) -> None:
        try:
            self.write_part()
            self._wait_for_write()
        finally:
            self._thread.shutdown()
        policy = MERGE_SMALL if merge else NO_MERGE
        self.whoosh.commit(mergetype=functools.partial(self._merge, policy))
        self._committed = True
        if whoosh_files(self.folder, self.segment_id):  # (no new segment: nothing was added)
            write_checksums(self.folder, self.segment_id)

    def cancel(self) -> None:
        if self._committed:  # nothing of its own left to undo (its files are the index's now)
            return
        try:
            self._wait_for_write()
        except Exception:  # noqa: BLE001 - cancelling anyway; the part is deleted below
            pass
        self._thread.shutdown()
        self.whoosh.cancel()
        # The segment's own files too (Whoosh leaves them to the next commit's clean-up):
        # no TOC names this segment, so nothing reads them.
        for name in os.listdir(self.folder):
            if name.startswith(self.segment_id + ".") or name.startswith(self.segment_id + "-"):
                (self.folder / name).unlink(missing_ok=True)

    def _merge(self, whoosh_policy: Callable[[Any, list], list], writer, segments: list) -> list:
        """A Whoosh merge policy (``mergetype``) whose merged segments bring their parts,
        and after which the parts that the new TOC will not name are deleted."""
        kept = whoosh_policy(_MergingWriter(self, writer), segments)
        self._merge_parts()
        self._remove_unused_parts(kept)
        return kept

    def _merge_parts(self) -> None:
        """Merge the new segment's parts (written as memory allowed, and carried over
        from merged segments) into as few as :data:`MERGED_PART_BYTES` allows: a query
        looks a term up once per part, so a bulk load's dozens of parts cost every query
        (bench/scale.py). Runs before the TOC names the segment: a crash meanwhile leaves
        files that the next commit deletes."""
        paths = segment_parts(self.folder, self.segment_id)
        groups: list[list[Path]] = []
        size = 0
        for path in paths:
            bytes_ = path.stat().st_size
            if not groups or size + bytes_ > MERGED_PART_BYTES:
                groups.append([])
                size = 0
            groups[-1].append(path)
            size += bytes_
        for group in groups:
            if len(group) > 1:
                postings.merge_parts([postings.PartReader(path) for path in group], group[0])
                for path in group[1:]:
                    path.unlink()

    def merge_segment(self, writer, reader) -> None:
        """Merge one segment into ``writer`` (Whoosh's ``add_reader``) with its parts."""
        seg = reader.segment()
        live = np.ones(seg.doc_count_all(), dtype=bool)
        deleted = list(seg.deleted_docs())
        if deleted:
            live[deleted] = False
        # Whoosh's add_reader appends the live documents in order from writer.docnum.
        mapping = np.where(live, writer.docnum + np.cumsum(live) - 1, -1)
        writer.add_reader(reader)
        for path in segment_parts(self.folder, seg.segment_id()):
            part = postings.PartReader(path)
            sub = mapping[part.base : part.base + part.ndocs]
            if (sub >= 0).any():
                postings.remap_part(part, sub, part_path(self.folder, self.segment_id, int(sub[sub >= 0][0])))

    def _remove_unused_parts(self, kept_segments: list) -> None:
        """Delete parts of segments that the TOC about to be written does not name: of
        merged segments, and of runs killed before their commit. Runs under the lock."""
        keep = {seg.segment_id() for seg in kept_segments} | {self.segment_id}
        for name in os.listdir(self.folder):
            if name.endswith((postings.PART_SUFFIX, postings.PART_SUFFIX + ".tmp", CHECKSUMS_SUFFIX)):
                if name.rsplit("-", 1)[0] not in keep:
                    (self.folder / name).unlink(missing_ok=True)


class _MergingWriter:
    """The Whoosh writer as a merge policy sees it, but merging a segment into it
    (``add_reader``, which the policy calls with a reader of each segment it merges)
    also carries that segment's parts over. Everything else is the writer's own.

    Wrapping the writer rather than copying a policy keeps the merge rules Whoosh's own
    (MERGE_SMALL's Fibonacci bound); only the parts are ours to carry.
    """

    def __init__(self, parts: _Writer, writer) -> None:
        self._parts = parts
        self._writer = writer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)

    def add_reader(self, reader) -> None:
        self._parts.merge_segment(self._writer, reader)


# -- 1. plan ---------------------------------------------------------------------------


def _stat(path: Path) -> tuple[int, str | None]:
    """A file's size (0 if it cannot be stat'ed) and its signature (None then)."""
    try:
        st = path.stat()
    except OSError:
        return 0, None
    return st.st_size, f"{st.st_mtime_ns}:{st.st_size}"


@dataclass
class _Existing:
    """What the index holds before the run: per source its signature and ids."""

    signatures: dict[str, str] = field(default_factory=dict)
    ids_by_source: dict[str, set[str]] = field(default_factory=dict)
    id_source: dict[str, str] = field(default_factory=dict)


def _existing_state(reader) -> _Existing:
    state = _Existing()
    if reader.doc_count() == 0:
        return state
    sources = reader.column_reader("source")
    ids = reader.column_reader("id")
    for docnum in reader.all_doc_ids():  # live documents only
        source = sources[docnum]
        doc_id = ids[docnum]
        state.id_source[doc_id] = source
        state.ids_by_source.setdefault(source, set()).add(doc_id)
        if source not in state.signatures:
            state.signatures[source] = reader.stored_fields(docnum).get("signature", "")
    return state


class _Change(enum.Enum):
    """What a walked file is to the index."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REPEATED = "repeated"  # the same file reached again, through another root


@dataclass(frozen=True)
class _PlannedFile:
    root: Path
    path: Path
    source: str  # the resolved path, as the index stores it
    size: int  # bytes on disk, for progress
    signature: str  # "" when the file cannot be stat'ed: it is read, and its problem reported
    old_ids: Set[str]  # ids of this source already in the index (none for a repeated file)
    change: _Change

    @property
    def to_read(self) -> bool:
        return self.change in (_Change.NEW, _Change.CHANGED)


@dataclass(frozen=True)
class _Plan:
    files: tuple[_PlannedFile, ...]  # in walk order
    removed: tuple[tuple[str, int], ...]  # (source, its documents): files gone from the roots
    problems: tuple[ReadProblem, ...]  # of the walk
    indexed_ids: Mapping[str, str]  # id -> source of the documents in the index
    total_bytes: int


def _under(source: str, roots: Sequence[str]) -> bool:
    return any(source == r or source.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _plan(paths: Sequence[str | Path], existing: _Existing) -> _Plan:
    """What the run is to do with each file under ``paths``, against the index's state."""
    walk_problems: list[ReadProblem] = []
    files: list[_PlannedFile] = []
    seen: set[str] = set()
    for root, path in _articles.source_files(paths, walk_problems):
        # The signature is taken before the file is read: a file that changes meanwhile
        # is stored with the older one, so the next run reads it again.
        size, signature = _stat(path)
        source = str(path.resolve())
        old_ids = existing.ids_by_source.get(source, set())
        if source in seen:
            change, old_ids = _Change.REPEATED, set()  # its documents count with its first reaching
        elif signature is not None and signature == existing.signatures.get(source):
            change = _Change.UNCHANGED
        else:
            change = _Change.CHANGED if old_ids else _Change.NEW
        seen.add(source)
        files.append(_PlannedFile(root, path, source, size, signature or "", old_ids, change))
    roots = [str(Path(p).resolve()) for p in paths if Path(p).exists()]
    removed = tuple(
        (source, len(ids))
        for source, ids in existing.ids_by_source.items()
        if source not in seen and _under(source, roots) and not os.path.exists(source)
    )
    # A path walked twice counts once in the total (and twice as it is done), as it
    # always has: the total is by path.
    total_bytes = sum({f.path: f.size for f in files}.values())
    return _Plan(tuple(files), removed, tuple(walk_problems), existing.id_source, total_bytes)


# -- the report and the progress -------------------------------------------------------


class _Tally:
    """The run's report and its progress: every count and every progress call is here.

    Progress is in bytes on disk and advances as files are finished (within a large file,
    as far as reading had got when a batch is written), in walk order.
    """

    def __init__(self, progress: ProgressCallback | None, on_problem: Callable[[ReadProblem], None] | None):
        self.report = IndexReport()
        self._progress = progress
        self._on_problem = on_problem
        self._total = 0
        self._done = 0
        # The file being written: its ids so far and its bytes already counted as done.
        self._file_ids: set[str] = set()
        self._file_done = 0

    def planned(self, plan: _Plan) -> None:
        self._total = plan.total_bytes
        for problem in plan.problems:
            self.skipped(problem)

    def skipped(self, problem: ReadProblem) -> None:
        self.report.problems.append(problem)
        self.report.skipped += 1
        if self._on_problem:
            self._on_problem(problem)

    def passed(self, file: _PlannedFile) -> None:
        """A file not written: unchanged, repeated, or unreadable now (its documents stay)."""
        self.report.unchanged += len(file.old_ids)
        self._advance(file.size)

    def written(self, batch: _Batch, ids: Iterable[str]) -> int:
        """``batch``, of documents ``ids``, is in the writer: how many distinct ids its
        file has given so far."""
        if batch.first:
            self._file_ids, self._file_done = set(), 0
        self._file_ids.update(ids)
        if batch.last:
            old, new = batch.file.old_ids, self._file_ids
            self.report.updated += len(new & old)
            self.report.added += len(new - old)
            self.report.removed += len(old - new)
        self._advance_file(batch.file.size if batch.last else min(batch.read_to, batch.file.size))
        return len(self._file_ids)

    def removed(self, ndocs: int) -> None:
        self.report.removed += ndocs

    def finished(self, documents: int, seconds: float) -> IndexReport:
        self.report.documents = documents
        self.report.seconds = seconds
        return self.report

    def _advance_file(self, done_to: int) -> None:
        share = max(0, done_to - self._file_done)
        self._file_done += share
        self._advance(share)

    def _advance(self, nbytes: int) -> None:
        self._done += nbytes
        if self._progress:
            self._progress(self._done, self._total)


# -- 2. read ---------------------------------------------------------------------------


class _Batch(NamedTuple):
    """Articles of one file to analyse and write together."""

    file: _PlannedFile
    articles: list[Article]
    number: int  # 0 for the file's first batch
    last: bool  # the file's last batch: the file is written once it is
    read_to: int  # how far into the file (bytes on disk) reading had got

    @property
    def first(self) -> bool:
        return self.number == 0


def _read_batches(plan: _Plan, tally: _Tally) -> Iterator[_Batch]:
    """The batches of the files to (re)index, in walk order. Files left as they are
    count as done when the reading reaches them, so progress keeps to the walk."""
    claimed = dict(plan.indexed_ids)  # id -> source, updated as files claim their ids
    for file in plan.files:
        if file.to_read:
            yield from _file_batches(file, claimed, tally)
        else:
            tally.passed(file)


def _file_batches(file: _PlannedFile, claimed: dict[str, str], tally: _Tally) -> Iterator[_Batch]:
    reader = _articles.ArticleReader(file.path, file.root, on_problem=tally.skipped)
    # Articles stream in: a batch is held back until the next article (or the end of the
    # file) shows whether it is the file's last.
    batch: list[Article] = []
    number = 0
    read_any = False
    for art in reader:
        read_any = True
        owner = claimed.get(art.id)
        if owner is not None and owner != file.source and _id_from_path(art):
            # Two archives with the same layout (a/2023/x.txt, b/2023/x.txt): an id made
            # from the path gets the name of its indexed root in front (b/2023/x.txt).
            art = dataclasses.replace(art, id=f"{file.root.name}/{art.id}")
            owner = claimed.get(art.id)
        if owner is not None and owner != file.source:
            tally.skipped(
                ReadProblem(
                    art.path, None, f"duplicate id {art.id!r}, already indexed from {owner}; record skipped"
                )
            )
            continue
        claimed[art.id] = file.source
        if len(batch) == BATCH_ARTICLES:
            yield _Batch(file, batch, number, False, reader.bytes_read)
            batch, number = [], number + 1
        batch.append(art)
    if read_any:
        yield _Batch(file, batch, number, True, file.size)
    else:
        tally.passed(file)  # unreadable now: keep whatever the index holds for this file


def _id_from_path(article: Article) -> bool:
    """Whether the article's id was made from its file's path (a text file, or a JSON
    record without an id of its own: ``FILE#N``), not given by the source."""
    return article.id == article.path or article.id.startswith(article.path + "#")


# -- 3. analyse ------------------------------------------------------------------------


def _start_worker() -> None:
    """A worker process's start: pyvi's model, then every object so far (the parent's
    modules and the model) out of the garbage collector's sight. Full collections then
    walk only the analysis's own objects, and they no longer touch, hence copy, pages
    shared with the parent.

    Signals first: the parent stops the workers itself (Pool.terminate) when it is
    interrupted, so a worker ignores the terminal's Ctrl+C (sent to the whole process
    group) and dies at once on SIGTERM instead of running the parent's handler."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    segment.load_model()
    gc.freeze()


class _Analyzer:
    """Runs analysis in order, in worker processes when ``jobs > 1``, with bounded memory.

    At most ``2 * jobs`` batches are in flight, so memory does not grow with the corpus.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool: multiprocessing.pool.Pool | None = None

    def start(self) -> None:
        """Start the workers (once): called before the first file to analyse is read,
        so that their pyvi model load (1.5–3 s) overlaps the reading; never when no
        file changed, so an update with nothing to do does not pay for it."""
        if self.jobs > 1 and self.pool is None:
            # fork keeps start-up cheap: the parent has imported everything but pyvi.
            ctx = multiprocessing.get_context("fork")
            self.pool = ctx.Pool(self.jobs, initializer=_start_worker)

    def run(
        self, batches: Iterable[_Batch], on_drained: Callable[[], None] | None = None
    ) -> Iterator[tuple[_Batch, analysis.AnalyzedBatch]]:
        """Analysed batches, in order. ``on_drained`` is called once every batch has been
        handed to the workers, while they still work on the last ones."""
        if self.jobs == 1:
            for batch in batches:
                yield batch, analysis.analyze_batch(batch.articles)
            return
        pending: deque[tuple[_Batch, AsyncResult[analysis.AnalyzedBatch]]] = deque()
        for batch in batches:
            self.start()
            assert self.pool is not None  # started: jobs > 1
            pending.append((batch, self.pool.apply_async(analysis.analyze_batch, (batch.articles,))))
            while len(pending) >= 2 * self.jobs:
                done_batch, result = pending.popleft()
                yield done_batch, result.get()
        if on_drained is not None:
            on_drained()
        while pending:
            done_batch, result = pending.popleft()
            yield done_batch, result.get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()

    def terminate(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


# -- 4. apply --------------------------------------------------------------------------


def _document(analyzed: AnalyzedArticle, source: str, signature: str) -> dict:
    """The Whoosh document for one analysed article (its text fields go to the parts)."""
    art = analyzed.article
    doc: dict[str, Any] = {
        "id": art.id,
        "source": source,
        "signature": signature,
        "doc": Document.from_article(art, analyzed.summary).stored(),
        "sentences": analyzed.sentence_ends,
    }
    if art.author:
        doc["author"] = art.author
        # The facet shows the byline as the source spells it; the filter matches it folded.
        doc["author_name"] = " ".join(unicodedata.normalize("NFC", art.author).split())
    if art.category:
        # The facet shows the category as the source spells it; the filter matches it folded.
        doc["category"] = " ".join(unicodedata.normalize("NFC", art.category).split())
        doc["category_fold"] = text.fold_diacritics(text.normalize_term(art.category).strip())
    if art.date:
        doc["date"] = epoch_seconds(art.date)
        doc["month"] = art.date.strftime("%Y-%m")
    return doc


class _Apply:
    """Analysed batches into the index: deletes, documents, parts and commits.

    Documents go to the writer as their batch arrives (its pool spills to disk, so memory
    stays bounded); commits happen only at file boundaries, when the policy says so, each
    with a new writer for what follows.
    """

    def __init__(
        self,
        ix: whoosh_index.Index,
        policy: _CommitPolicy,
        tally: _Tally,
        wait: float,
        on_wait,
        uninterrupted: Callable[[bool], AbstractContextManager] = nullcontext,
    ):
        self._ix = ix
        self._policy = policy
        self._tally = tally
        self._wait = wait
        self._on_wait = on_wait
        self._uninterrupted = uninterrupted  # what a commit runs in (no stop halfway)
        self.writer = self._new_writer()
        self._uncommitted = 0  # documents of the files written since the last commit
        self.committed = 0  # documents of the files committed so far by this run
        self._drained = False  # every batch is with the workers (_CommitPolicy.commit_due)

    def _new_writer(self) -> _Writer:
        return _Writer(self._ix, self._wait, self._on_wait, self._policy)

    def batch(self, batch: _Batch, analyzed: analysis.AnalyzedBatch) -> None:
        file = batch.file
        if batch.first and file.old_ids:
            self.writer.delete_by_term("source", file.source)
        self.writer.add(
            [_document(a, file.source, file.signature) for a in analyzed.articles], analyzed.postings
        )
        file_docs = self._tally.written(batch, (a.article.id for a in analyzed.articles))
        if batch.last:
            self._uncommitted += file_docs
            if self._policy.commit_due(self._uncommitted, self._drained):
                with self._uninterrupted(False):
                    self.writer.commit(merge=self._policy.merges(last_commit=False))
                    self.committed += self._uncommitted
                    self._uncommitted = 0
                    self.writer = self._new_writer()

    def drained(self) -> None:
        """Every batch is with the workers: write out what the writer holds, in the
        background; the files still to come wait for the last commit (the policy's)."""
        self._drained = True
        self.writer.write_part()

    def finish(self, removed: Iterable[tuple[str, int]]) -> None:
        """Delete the documents of removed files, and the last commit."""
        for source, ndocs in removed:
            self.writer.delete_by_term("source", source)
            self._tally.removed(ndocs)
        with self._uninterrupted(True):  # the last commit: the run completes
            self.writer.commit(merge=self._policy.merges(last_commit=True))
            self.committed += self._uncommitted
            self._uncommitted = 0

    def cancel(self) -> None:
        self.writer.cancel()


# -- stopping on SIGINT / SIGTERM ---------------------------------------------------------


class IndexInterrupted(SearchkitError):
    """SIGINT or SIGTERM stopped an indexing run. What was committed before stays; the
    work since the last commit is discarded (the next run does it again). ``exit_code`` is
    the shell's convention for the signal: 130 for SIGINT, 143 for SIGTERM."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class _Stop(BaseException):
    """Raised in the main thread by the signal handler (a BaseException, so that no
    ``except Exception`` on the way swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """While a run lasts (in the main thread only: Python handles signals there), SIGINT
    and SIGTERM raise :class:`_Stop`, once; a commit in progress is let finish first
    (:meth:`deferred`), so that a stop never leaves a commit half made."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._deferred = 0
        self._raised = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        if self.received is None:
            self.received = signum
        self._raise_if_due()

    def _raise_if_due(self) -> None:
        if self.received is not None and not self._deferred and not self._raised:
            self._raised = True  # a second signal during the clean-up must not cut it short
            raise _Stop(self.received)

    @contextmanager
    def deferred(self, last: bool = False) -> Iterator[None]:
        """No stop while the block runs; a signal received meanwhile stops the run right
        after it, unless it is the ``last`` commit: from then on the run completes."""
        if last:
            self._raised = True
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
        self._raise_if_due()


def index_paths(
    paths: Sequence[str | Path],
    index_dir: str | Path = DEFAULT_INDEX_DIR,
    *,
    rebuild: bool = False,
    jobs: int | None = None,
    progress: ProgressCallback | None = None,
    on_problem: Callable[[ReadProblem], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    wait: float = 600.0,
    memory_mb: int | None = None,
) -> IndexReport:
    """Build or update the index at ``index_dir`` from files and directories in ``paths``.

    Only new and changed files are analysed; documents of files gone from under
    ``paths`` are removed. ``jobs`` worker processes analyse articles (default: the
    number of CPUs). ``progress`` receives (bytes done, bytes total); ``on_problem``
    each skipped file or record as it is found; ``on_wait`` a message when another run
    holds the index and this one waits (up to ``wait`` seconds). ``memory_mb`` bounds
    the postings the writer holds before writing them out (default DEFAULT_MEMORY_MB).
    """
    started = time.perf_counter()
    # A path given that does not exist is a typo or an unmounted disk: an error before
    # anything is done, not a skipped file (its documents must not look removed either).
    missing = [str(p) for p in paths if not os.path.lexists(p)]
    if missing:
        raise SearchkitError(f"no such file or directory: {', '.join(missing)}")
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    policy = _CommitPolicy.for_memory(DEFAULT_MEMORY_MB if memory_mb is None else memory_mb)
    tally = _Tally(progress, on_problem)
    with _Signals() as signals:
        try:
            ix = _create_or_open(Path(index_dir), rebuild)
            apply = _Apply(ix, policy, tally, wait, on_wait, uninterrupted=signals.deferred)
        except _Stop as stop:
            raise _interrupted(stop.signum, index_dir, 0, None) from None
        analyzer = _Analyzer(jobs)
        try:
            # The plan reads the index's state under the writer's lock: no other run changes it.
            plan = _plan(paths, _existing_state(apply.writer.reader()))
            tally.planned(plan)
            if any(file.to_read for file in plan.files):
                analyzer.start()
            # When the workers have their last batches, the writer writes out what it holds
            # meanwhile (the part left for the last commit is then a few batches), and the
            # last commit waits for them to exit.
            for batch, analyzed in analyzer.run(_read_batches(plan, tally), on_drained=apply.drained):
                apply.batch(batch, analyzed)
            analyzer.close()
            apply.finish(plan.removed)
        except BaseException as exc:
            analyzer.terminate()
            apply.cancel()
            if isinstance(exc, _Stop):
                raise _interrupted(exc.signum, index_dir, apply.committed, ix) from None
            raise
    with ix.searcher() as searcher:
        documents = searcher.doc_count()
    return tally.finished(documents, time.perf_counter() - started)


def _interrupted(signum: int, index_dir: str | Path, committed: int, ix) -> IndexInterrupted:
    """The error saying what a stopped run committed."""
    name = signal.Signals(signum).name
    if ix is None:
        return IndexInterrupted(f"interrupted by {name} before indexing started; nothing changed", signum)
    with ix.searcher() as searcher:
        documents = searcher.doc_count()
    return IndexInterrupted(
        f"interrupted by {name}: this run committed {committed} documents, its work since its last "
        f"commit was discarded; {index_dir}/ holds {documents} documents; "
        "run the same command again to finish",
        signum,
    )
