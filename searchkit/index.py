"""Build and update an index: the incremental writer and the worker processes.

This module is the only writer of an index. One run of :func:`index_paths`:

1. walks the given paths (:func:`searchkit.articles.source_files`);
2. compares each file's signature (``mtime_ns:size``) with the one stored beside its
   documents, so unchanged files cost a ``stat`` and nothing else;
3. reads new and changed files in this process and hands their articles, in batches,
   to worker processes that run the expensive analysis (pyvi, summaries);
4. writes the analysed documents from this process, the single Whoosh writer;
5. deletes the documents of files that are gone from the indexed roots;
6. commits at file boundaries only, so a killed run leaves the index in the state of
   its last commit, in which every file is either fully indexed with its signature or
   not at all, and the next run finishes the work.

Rules, all reported as problems and counted as ``skipped``:

* a file that cannot be read is skipped and its documents already in the index stay;
* a record whose id is already held by a document of *another* file is skipped: the
  first file to claim an id keeps it (already indexed first, then walk order).
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.pool
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.util import fib
from whoosh.util.filelock import try_for
from whoosh.writing import LockError

from . import analysis, articles as _articles, postings, segment, text
from .analysis import AnalyzedArticle
from .articles import Article, ReadProblem
from .errors import IndexLockedError
from .records import Document
from .store import (
    DEFAULT_INDEX_DIR,
    INDEX_NAME,
    WRITE_LOCK,
    epoch_seconds,
    open_whoosh_index,
    part_path,
    schema,
    segment_parts,
)

__all__ = ["IndexReport", "index_paths"]

# Commit at the first file boundary after this many new documents: a crash then loses at
# most this much work, and each commit is a cheap segment flush, not a full merge.
COMMIT_EVERY_DOCS = 20_000
# Articles per batch sent to a worker: large enough to amortise pickling, small enough
# that the batches in flight (2 per worker) bound memory on any corpus size.
BATCH_ARTICLES = 64
# Default bound on the writer's memory: postings collected for a part before it is
# written out (the workers and the Whoosh writer's own pool come on top, ~150 MB).
DEFAULT_MEMORY_MB = 512
# Whoosh now pools only the small fields (ids, author, category, dates).
WHOOSH_POOL_MB = 32

Tag = TypeVar("Tag")  # what a caller of _Analyzer.run tags its batches with

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


def _create_or_open(path: Path, rebuild: bool) -> whoosh_index.Index:
    path.mkdir(parents=True, exist_ok=True)
    if rebuild or not whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        storage = FileStorage(str(path))
        # Creating under the writer lock: a concurrent run must not see a half-made index.
        lock = storage.lock(WRITE_LOCK)
        if not lock.acquire(blocking=False):
            raise IndexLockedError(f"another searchkit index is writing {path}/")
        try:
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
    the next commit. Merges go through :meth:`_merge_small`, which renumbers the parts
    of merged segments the way Whoosh renumbers their documents.
    """

    def __init__(self, ix: whoosh_index.Index, wait: float, on_wait, memory_mb: int):
        self.ix = ix
        self.whoosh = _writer(ix, wait, on_wait)
        self.folder = Path(ix.storage.folder)
        self.segment_id = self.whoosh.newsegment.segment_id()
        # A part is laid out (sorted) in a thread while the next one fills, and laying
        # out needs about its size again: four part budgets in all.
        self.part_bytes = memory_mb * 1024 * 1024 // 4
        self.part = postings.PartWriter(0)
        self._writing: Future | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="searchkit-part")

    def reader(self):
        return self.whoosh.reader()

    def delete_by_term(self, fieldname: str, value: str) -> None:
        self.whoosh.delete_by_term(fieldname, value)

    def add(self, documents: list[dict], text_fields: postings.BatchPostings) -> None:
        """Add documents with the postings of their text fields (in the same order)."""
        for document in documents:
            self.whoosh.add_document(**document)
        self.part.add(text_fields)
        if self.part.nbytes >= self.part_bytes:
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
        self.whoosh.commit(mergetype=self._merge_small if merge else self._no_merge)

    def cancel(self) -> None:
        try:
            self._wait_for_write()
        except Exception:  # noqa: BLE001 - cancelling anyway; the part is deleted below
            pass
        self._thread.shutdown()
        self.whoosh.cancel()
        for path in segment_parts(self.folder, self.segment_id):
            path.unlink(missing_ok=True)

    def _no_merge(self, writer, segments: list) -> list:
        self._remove_unused_parts(segments)
        return segments

    def _merge_small(self, writer, segments: list) -> list:
        """Whoosh's MERGE_SMALL policy (merge the smallest segments while their total is
        under a Fibonacci bound), with the merged segments' parts carried over."""
        ordered = sorted(segments, key=lambda seg: seg.doc_count_all())
        to_merge, kept, total, found = [], [], 0, False
        for i, seg in enumerate(ordered):
            if found:
                kept.append(seg)
                continue
            total += seg.doc_count_all()
            to_merge.append(seg)
            if i > 3 and total < fib(i + 5):
                found = True
        if not (found and len(to_merge) > 1):
            kept, to_merge = segments, []
        for seg in to_merge:
            self._merge_segment(writer, seg)
        self._remove_unused_parts(kept)
        return kept

    def _merge_segment(self, writer, seg) -> None:
        from whoosh.reading import SegmentReader

        reader = SegmentReader(writer.storage, writer.schema, seg)
        try:
            live = np.ones(seg.doc_count_all(), dtype=bool)
            deleted = list(seg.deleted_docs())
            if deleted:
                live[deleted] = False
            # Whoosh's add_reader appends the live documents in order from writer.docnum.
            mapping = np.where(live, writer.docnum + np.cumsum(live) - 1, -1)
            writer.add_reader(reader)
        finally:
            reader.close()
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
            if name.endswith(postings.PART_SUFFIX) or name.endswith(postings.PART_SUFFIX + ".tmp"):
                if name.rsplit("-", 1)[0] not in keep:
                    (self.folder / name).unlink(missing_ok=True)


def _signature(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{st.st_mtime_ns}:{st.st_size}"


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


def _document(analyzed: AnalyzedArticle, source: str, signature: str) -> dict:
    """The Whoosh document for one analysed article (its text fields go to the parts)."""
    art = analyzed.article
    doc: dict[str, Any] = {
        "id": art.id,
        "source": source,
        "signature": signature,
        "doc": Document.from_article(art, analyzed.summary).stored(),
    }
    if art.author:
        doc["author"] = art.author
    if art.category:
        doc["category"] = text.normalize_term(art.category).strip()
        doc["category_fold"] = text.fold_diacritics(doc["category"])
    if art.date:
        doc["date"] = epoch_seconds(art.date)
        doc["month"] = art.date.strftime("%Y-%m")
    return doc


def _start_worker() -> None:
    """A worker process's start: pyvi's model, then every object so far (the parent's
    modules and the model) out of the garbage collector's sight. Full collections then
    walk only the analysis's own objects (measured: 0.23 -> 0.14 ms per article), and
    they no longer touch, hence copy, pages shared with the parent."""
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
        self,
        batches: Iterable[tuple[Tag, list[Article]]],
        on_drained: Callable[[], None] | None = None,
    ) -> Iterator[tuple[Tag, analysis.AnalyzedBatch]]:
        """Analysed batches, in order. ``on_drained`` is called once every batch has been
        handed to the workers, while they still work on the last ones."""
        if self.jobs == 1:
            for tag, batch in batches:
                yield tag, analysis.analyze_batch(batch)
            return
        pending: deque[tuple[Tag, AsyncResult[analysis.AnalyzedBatch]]] = deque()
        for tag, batch in batches:
            self.start()
            assert self.pool is not None  # started: jobs > 1
            pending.append((tag, self.pool.apply_async(analysis.analyze_batch, (batch,))))
            while len(pending) >= 2 * self.jobs:
                done_tag, result = pending.popleft()
                yield done_tag, result.get()
        if on_drained is not None:
            on_drained()
        while pending:
            done_tag, result = pending.popleft()
            yield done_tag, result.get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()

    def terminate(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


@dataclass
class _FileJob:
    """A file whose articles are being analysed; written once its last batch is back."""

    source: str
    signature: str
    size: int
    old_ids: set[str]  # ids of this source already in the index (empty: a new file)
    new_ids: set[str] = field(default_factory=set)
    deleted_old: bool = False
    reported: int = 0  # bytes of this file already reported as done


def _under(source: str, roots: Sequence[str]) -> bool:
    return any(source == r or source.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


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
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    memory_mb = DEFAULT_MEMORY_MB if memory_mb is None else memory_mb
    report = IndexReport()

    def skipped(p: ReadProblem) -> None:
        report.problems.append(p)
        report.skipped += 1
        if on_problem:
            on_problem(p)

    ix = _create_or_open(Path(index_dir), rebuild)
    writer = _Writer(ix, wait, on_wait, memory_mb)
    analyzer = _Analyzer(jobs)  # its workers start with the first file to analyse
    try:
        existing = _existing_state(writer.reader())
        walk_problems: list[ReadProblem] = []
        files = list(_articles.source_files(paths, walk_problems))
        for p in walk_problems:
            skipped(p)
        roots = [str(Path(p).resolve()) for p in paths if Path(p).exists()]

        sizes = {}
        for _, f in files:
            try:
                sizes[f] = f.stat().st_size
            except OSError:
                sizes[f] = 0
        total_bytes = sum(sizes.values())
        done_bytes = 0
        seen_sources: set[str] = set()
        claimed: dict[str, str] = dict(existing.id_source)
        pending_docs = 0

        def advance(nbytes: int) -> None:
            nonlocal done_bytes
            done_bytes += nbytes
            if progress:
                progress(done_bytes, total_bytes)

        def batches() -> Iterator[tuple[tuple[_FileJob, bool, int], list[Article]]]:
            """Batches of articles to analyse, tagged with their file, whether it is the
            file's last and how far into the file (bytes on disk) reading had got."""
            for root, f in files:
                source = str(f.resolve())
                if source in seen_sources:  # the same file reached through two roots
                    advance(sizes[f])
                    continue
                seen_sources.add(source)
                signature = _signature(f)
                old = existing.signatures.get(source)
                old_ids = existing.ids_by_source.get(source, set())
                if signature is not None and signature == old:
                    report.unchanged += len(old_ids)
                    advance(sizes[f])
                    continue
                analyzer.start()
                reader = _articles.ArticleReader(f, root, on_problem=skipped)
                job = _FileJob(source, signature or "", sizes[f], old_ids)
                # Articles stream in: a batch is held back until the next article (or the
                # end of the file) shows whether it is the file's last.
                batch: list[Article] = []
                read_any = False
                for art in reader:
                    read_any = True
                    owner = claimed.get(art.id)
                    if owner is not None and owner != source:
                        skipped(
                            ReadProblem(
                                art.path,
                                None,
                                f"duplicate id {art.id!r}, already indexed from {owner}; record skipped",
                            )
                        )
                        continue
                    claimed[art.id] = source
                    if len(batch) == BATCH_ARTICLES:
                        yield (job, False, reader.bytes_read), batch
                        batch = []
                    batch.append(art)
                if read_any:
                    yield (job, True, job.size), batch
                else:
                    # Unreadable now: keep whatever the index holds for this file.
                    report.unchanged += len(old_ids)
                    advance(sizes[f])

        # When the workers have their last batches, write out what the writer holds in
        # the background: the part left for the final commit is then a few batches.
        def write_out() -> None:  # the writer of the moment: each commit replaces it
            writer.write_part()

        for (job, last, read_to), analyzed in analyzer.run(batches(), on_drained=write_out):
            # Documents go to the writer as their batch arrives (its pool spills to disk,
            # so memory stays bounded); the commit still happens only at file boundaries.
            if job.old_ids and not job.deleted_old:
                writer.delete_by_term("source", job.source)
                job.deleted_old = True
            writer.add(
                [_document(a, job.source, job.signature) for a in analyzed.articles], analyzed.postings
            )
            job.new_ids.update(a.article.id for a in analyzed.articles)
            if not last:  # progress within a large file, by how far it had been read
                share = max(0, min(read_to, job.size) - job.reported)
                job.reported += share
                advance(share)
                continue
            report.updated += len(job.new_ids & job.old_ids)
            report.added += len(job.new_ids - job.old_ids)
            report.removed += len(job.old_ids - job.new_ids)
            pending_docs += len(job.new_ids)
            advance(job.size - job.reported)
            if pending_docs >= COMMIT_EVERY_DOCS:
                writer.commit(merge=False)
                writer = _Writer(ix, wait, on_wait, memory_mb)
                pending_docs = 0
        analyzer.close()

        for source, ids in existing.ids_by_source.items():
            if source not in seen_sources and _under(source, roots) and not os.path.exists(source):
                writer.delete_by_term("source", source)
                report.removed += len(ids)
        writer.commit(merge=True)
    except BaseException:
        analyzer.terminate()
        writer.cancel()
        raise
    with ix.searcher() as searcher:
        report.documents = searcher.doc_count()
    report.seconds = time.perf_counter() - started
    return report
