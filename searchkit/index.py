"""Build and update an index: the schema, the incremental writer and the worker processes.

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

import multiprocessing
import os
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from whoosh import fields, index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.util.filelock import try_for
from whoosh.writing import LockError

from . import analysis, text
from .analysis import AnalyzedArticle
from . import articles as _articles
from .articles import Article, ReadProblem
from .errors import IndexLockedError, IndexNotFoundError, SearchkitError

__all__ = ["IndexReport", "index_paths", "schema", "open_whoosh_index", "DEFAULT_INDEX_DIR"]

DEFAULT_INDEX_DIR = "index"
INDEX_NAME = "searchkit"
SCHEMA_VERSION = 1

# Commit at the first file boundary after this many new documents: a crash then loses at
# most this much work, and each commit is a cheap segment flush, not a full merge.
COMMIT_EVERY_DOCS = 20_000
# Articles per batch sent to a worker: large enough to amortise pickling, small enough
# that the batches in flight (2 per worker) bound memory on any corpus size.
BATCH_ARTICLES = 64

ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) as files are finished."""


def schema() -> fields.Schema:
    """The index schema. Text fields receive pre-analysed term lists (see analysis.py)."""
    syl = analysis.syllable_analyzer()
    fold = analysis.folded_analyzer()
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        source=fields.ID(sortable=True),  # resolved path of the file the document came from
        signature=fields.STORED(),  # "mtime_ns:size" of that file when it was read
        title=fields.TEXT(analyzer=syl, phrase=True, field_boost=1.0),
        title_fold=fields.TEXT(analyzer=fold, phrase=True),
        body=fields.TEXT(analyzer=syl, phrase=True),
        body_fold=fields.TEXT(analyzer=fold, phrase=True),
        words=fields.TEXT(analyzer=syl, phrase=False),
        words_fold=fields.TEXT(analyzer=fold, phrase=False),
        pairs=fields.TEXT(analyzer=fold, phrase=False),
        author=fields.TEXT(analyzer=fold, phrase=True),
        category=fields.ID(sortable=True),  # normalised, lower case: facet values
        category_fold=fields.ID(),  # folded too: what --category matches
        date=fields.DATETIME(sortable=True),
        month=fields.ID(sortable=True),
        doc=fields.STORED(),
    )


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


def open_whoosh_index(index_dir: str | Path) -> whoosh_index.Index:
    """Open an existing index or raise :class:`IndexNotFoundError` with a hint."""
    path = Path(index_dir)
    if not path.is_dir() or not whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        raise IndexNotFoundError(
            f"no index at {path}/ — run `searchkit index PATH` first to build it"
        )
    try:
        return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
    except Exception as exc:  # a damaged TOC file, an index from another program
        raise SearchkitError(f"cannot open the index at {path}/: {exc}") from exc


def _create_or_open(path: Path, rebuild: bool) -> whoosh_index.Index:
    path.mkdir(parents=True, exist_ok=True)
    if rebuild or not whoosh_index.exists_in(str(path), indexname=INDEX_NAME):
        storage = FileStorage(str(path))
        # Creating under the writer lock: a concurrent run must not see a half-made index.
        lock = storage.lock(f"{INDEX_NAME}_WRITELOCK")
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
        return ix.writer(limitmb=128)
    except LockError:
        pass
    if on_wait:
        on_wait("another searchkit index is writing this index; waiting for it to finish")
    writer = None

    def attempt() -> bool:
        nonlocal writer
        try:
            writer = ix.writer(limitmb=128)
            return True
        except LockError:
            return False

    if not try_for(attempt, timeout=wait, delay=0.5):
        raise IndexLockedError(
            f"the index is still locked by another searchkit index after {wait:.0f} s"
        )
    return writer


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


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _document(analyzed: AnalyzedArticle, source: str, signature: str) -> dict:
    """The Whoosh document for one analysed article."""
    art = analyzed.article
    stored = {
        "title": art.title,
        "sapo": art.sapo,
        "body": art.body,
        "author": art.author,
        "url": art.url,
        "path": art.path,
        "category": art.category,
        "tags": list(art.tags),
        "views": art.views,
        "photo_credit": art.photo_credit,
        "date": art.date.isoformat() if art.date else None,
        "summary": list(analyzed.summary),
    }
    doc = {
        "id": art.id,
        "source": source,
        "signature": signature,
        "title": analyzed.title,
        "title_fold": analyzed.title_fold,
        "body": analyzed.body,
        "body_fold": analyzed.body_fold,
        "words": analyzed.words,
        "words_fold": analyzed.words_fold,
        "pairs": analyzed.pairs,
        "doc": stored,
    }
    if art.author:
        doc["author"] = art.author
    if art.category:
        doc["category"] = text.normalize_term(art.category).strip()
        doc["category_fold"] = text.fold_diacritics(doc["category"])
    if art.date:
        doc["date"] = _utc_naive(art.date)
        doc["month"] = art.date.strftime("%Y-%m")
    return doc


def _analyze_batch(articles: list[Article]) -> list[AnalyzedArticle]:
    return [analysis.analyze_article(a) for a in articles]


class _Analyzer:
    """Runs analysis in order, in worker processes when ``jobs > 1``, with bounded memory.

    At most ``2 * jobs`` batches are in flight, so memory does not grow with the corpus.
    """

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool = None
        if jobs > 1:
            # fork keeps start-up cheap (the parent has imported everything but pyvi,
            # which each worker loads once on its first batch).
            ctx = multiprocessing.get_context("fork")
            self.pool = ctx.Pool(jobs)

    def run(self, batches: Iterable[tuple[object, list[Article]]]) -> Iterator[tuple[object, list[AnalyzedArticle]]]:
        if self.pool is None:
            for tag, batch in batches:
                yield tag, _analyze_batch(batch)
            return
        pending: deque = deque()
        for tag, batch in batches:
            pending.append((tag, self.pool.apply_async(_analyze_batch, (batch,))))
            while len(pending) >= 2 * self.jobs:
                done_tag, result = pending.popleft()
                yield done_tag, result.get()
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
) -> IndexReport:
    """Build or update the index at ``index_dir`` from files and directories in ``paths``.

    Only new and changed files are analysed; documents of files gone from under
    ``paths`` are removed. ``jobs`` worker processes analyse articles (default: the
    number of CPUs). ``progress`` receives (bytes done, bytes total); ``on_problem``
    each skipped file or record as it is found; ``on_wait`` a message when another run
    holds the index and this one waits (up to ``wait`` seconds).
    """
    started = time.perf_counter()
    jobs = max(1, jobs if jobs is not None else (os.cpu_count() or 1))
    report = IndexReport()

    def problem(p: ReadProblem) -> None:
        report.problems.append(p)
        if on_problem:
            on_problem(p)

    ix = _create_or_open(Path(index_dir), rebuild)
    writer = _writer(ix, wait, on_wait)
    analyzer: _Analyzer | None = None
    try:
        existing = _existing_state(writer.reader())
        walk_problems: list[ReadProblem] = []
        files = list(_articles.source_files(paths, walk_problems))
        for p in walk_problems:
            problem(p)
            report.skipped += 1
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

        def batches() -> Iterator[tuple[tuple[_FileJob, bool], list[Article]]]:
            """Batches of articles to analyse, tagged with their file and whether it is the last."""
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
                read = _articles.read_file(f, root)
                for p in read.problems:
                    problem(p)
                report.skipped += len(read.problems)
                if not read.articles:
                    # Unreadable now: keep whatever the index holds for this file.
                    report.unchanged += len(old_ids)
                    advance(sizes[f])
                    continue
                accepted = []
                for art in read.articles:
                    owner = claimed.get(art.id)
                    if owner is not None and owner != source:
                        problem(ReadProblem(art.path, None, f"duplicate id {art.id!r}, already indexed from {owner}; record skipped"))
                        report.skipped += 1
                        continue
                    claimed[art.id] = source
                    accepted.append(art)
                job = _FileJob(source, signature or "", sizes[f], old_ids)
                starts = range(0, len(accepted), BATCH_ARTICLES) or [0]
                for start in starts:
                    yield (job, start == starts[-1]), accepted[start : start + BATCH_ARTICLES]

        analyzer = _Analyzer(jobs)
        for (job, last), analyzed in analyzer.run(batches()):
            # Documents go to the writer as their batch arrives (its pool spills to disk,
            # so memory stays bounded); the commit still happens only at file boundaries.
            if job.old_ids and not job.deleted_old:
                writer.delete_by_term("source", job.source)
                job.deleted_old = True
            for a in analyzed:
                writer.add_document(**_document(a, job.source, job.signature))
                job.new_ids.add(a.article.id)
            if not last:
                continue
            report.updated += len(job.new_ids & job.old_ids)
            report.added += len(job.new_ids - job.old_ids)
            report.removed += len(job.old_ids - job.new_ids)
            pending_docs += len(job.new_ids)
            advance(job.size)
            if pending_docs >= COMMIT_EVERY_DOCS:
                writer.commit(merge=False)
                writer = _writer(ix, wait, on_wait)
                pending_docs = 0
        analyzer.close()

        for source, ids in existing.ids_by_source.items():
            if source not in seen_sources and _under(source, roots) and not os.path.exists(source):
                writer.delete_by_term("source", source)
                report.removed += len(ids)
        writer.commit(optimize=False)
    except BaseException:
        if analyzer is not None:
            analyzer.terminate()
        writer.cancel()
        raise
    with ix.searcher() as searcher:
        report.documents = searcher.doc_count()
    report.seconds = time.perf_counter() - started
    return report
