"""Incremental indexing: change, delete and add files; bad files are skipped, nothing lost."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import RECORDS, SAMPLE_IDS, write_records

from searchkit import index_paths, open_index


def _touch_later(path: Path) -> None:
    """Make sure the modification time moves even on coarse-grained file systems."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_incremental_add_change_delete(corpus_dir, tmp_path):
    index_dir = tmp_path / "index"
    first = index_paths([corpus_dir], index_dir, jobs=1)
    assert (first.added, first.updated, first.removed, first.unchanged) == (2, 0, 0, 0)

    again = index_paths([corpus_dir], index_dir, jobs=1)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 2)

    changed = corpus_dir / "doi-moi-tu-duy-hanh-dong-quyet-liet.txt"
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\nĐoạn mới về hợp tác xã kiểu mẫu.", encoding="utf-8"
    )
    _touch_later(changed)
    (corpus_dir / "tao-du-dia-phat-trien-moi.txt").unlink()
    write_records(corpus_dir / "more.jsonl", RECORDS[:1])

    report = index_paths([corpus_dir], index_dir, jobs=1)
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 0)
    assert report.documents == 2
    with open_index(index_dir) as ix:
        assert [h.id for h in ix.search("hợp tác xã kiểu mẫu").hits][
            0
        ] == "doi-moi-tu-duy-hanh-dong-quyet-liet.txt"
        assert ix.search('"thể chế hoá"').total == 0  # only the deleted article had it
        assert ix.search("ùn tắc").hits[0].id == "hn-giao-thong"


def test_rebuild_starts_over(corpus_dir, tmp_path):
    index_dir = tmp_path / "index"
    index_paths([corpus_dir], index_dir, jobs=1)
    report = index_paths([corpus_dir], index_dir, rebuild=True, jobs=1)
    assert (report.added, report.unchanged, report.documents) == (2, 0, 2)


def test_bad_files_are_reported_and_skipped(corpus_dir, tmp_path):
    # Windows-1258 bytes: "Tin tức hôm nay" with tức written as t + 0xE6 + c (invalid UTF-8)
    (corpus_dir / "legacy.txt").write_bytes(b"Tin t\xe6c h\xf4m nay\n\nN\xf4i dung b\xe0i")
    (corpus_dir / "image.txt").write_bytes(bytes(range(256)) * 4)
    (corpus_dir / "empty.txt").write_text("")
    (corpus_dir / "broken.jsonl").write_text(
        '{"id": "ok-1", "title": "Bài một", "body": "Thử nghiệm một"}\n'
        "{not json\n"
        '{"id": "ok-2", "title": "Bài hai", "body": "Thử nghiệm hai"}\n',
        encoding="utf-8",
    )
    index_dir = tmp_path / "index"
    report = index_paths([corpus_dir], index_dir, jobs=1)
    named = " ".join(str(p) for p in report.problems)
    assert (
        "legacy.txt" in named and "image.txt" in named and "empty.txt" in named and "broken.jsonl:2" in named
    )
    assert report.skipped == len(report.problems) == 4
    assert report.added == 4  # the two sample articles and the two good JSON lines
    with open_index(index_dir) as ix:
        assert {h.id for h in ix.search("nông thôn mới").hits} == SAMPLE_IDS
        assert {h.id for h in ix.search('"thử nghiệm"').hits} == {"ok-1", "ok-2"}


def test_a_file_that_becomes_unreadable_keeps_its_documents(corpus_dir, tmp_path):
    index_dir = tmp_path / "index"
    index_paths([corpus_dir], index_dir, jobs=1)
    article = corpus_dir / "tao-du-dia-phat-trien-moi.txt"
    article.write_bytes(b"\xff\xfe\x00broken\xc3")  # now garbage
    _touch_later(article)
    report = index_paths([corpus_dir], index_dir, jobs=1)
    assert report.skipped == 1 and report.removed == 0
    with open_index(index_dir) as ix:
        assert ix.doc_count == 2


def test_duplicate_ids_across_files_keep_the_first(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    write_records(corpus / "a.jsonl", [{"id": "same", "title": "Bản thứ nhất", "body": "một"}])
    write_records(corpus / "b.jsonl", [{"id": "same", "title": "Bản thứ hai", "body": "hai"}])
    report = index_paths([corpus], tmp_path / "index", jobs=1)
    assert report.added == 1 and report.skipped == 1
    assert "duplicate id" in str(report.problems[0])
    with open_index(tmp_path / "index") as ix:
        assert ix.get("same").title == "Bản thứ nhất"


def test_worker_processes_give_the_same_index(corpus_dir, tmp_path):
    write_records(corpus_dir / "records.jsonl")
    index_paths([corpus_dir], tmp_path / "one", jobs=1)
    index_paths([corpus_dir], tmp_path / "two", jobs=2)
    with open_index(tmp_path / "one") as a, open_index(tmp_path / "two") as b:
        for q in ("nông thôn mới", "giao thông", "thuy dien"):
            assert [(h.id, h.score) for h in a.search(q).hits] == [(h.id, h.score) for h in b.search(q).hits]


def test_the_last_commit_comes_after_the_workers_exit(tmp_path, monkeypatch):
    # The last commit merges the segment's parts, the run's largest use of memory: not
    # beside the workers'. A single file, whose end would otherwise be committed while
    # the workers still hold its last batches, is committed once, after they exit.
    import multiprocessing

    import searchkit.index as indexing

    monkeypatch.setattr(indexing, "COMMIT_EVERY_DOCS", 1)  # a commit at every file boundary
    monkeypatch.setattr(indexing, "BATCH_ARTICLES", 2)  # more batches than the workers hold
    workers_at_commits: list[int] = []
    commit = indexing._Writer.commit

    def recorded(self, merge: bool) -> None:
        workers_at_commits.append(len(multiprocessing.active_children()))
        commit(self, merge)

    monkeypatch.setattr(indexing._Writer, "commit", recorded)
    records = [dict(r, id=f"{r['id']}-{n}") for n in range(3) for r in RECORDS]
    write_records(tmp_path / "news.jsonl", records)
    report = index_paths([tmp_path / "news.jsonl"], tmp_path / "index", jobs=2)
    assert report.added == len(records)
    assert workers_at_commits == [0]
    with open_index(tmp_path / "index") as ix:
        assert ix.search("thuỷ điện").total == 3


def test_the_format_version_is_written_and_checked(corpus_dir, tmp_path):
    """An index records its format; one from a newer searchkit is refused with a clear
    message instead of being misread, and a rebuild makes it current again."""
    import pytest

    from searchkit.errors import SearchkitError
    from searchkit.store import FORMAT_FILE, SCHEMA_VERSION

    index_dir = tmp_path / "index"
    index_paths([corpus_dir], index_dir, jobs=1)
    assert (index_dir / FORMAT_FILE).read_text().strip() == str(SCHEMA_VERSION)
    (index_dir / FORMAT_FILE).write_text(f"{SCHEMA_VERSION + 1}\n")
    with pytest.raises(SearchkitError, match="newer searchkit"):
        open_index(index_dir)
    with pytest.raises(SearchkitError, match="newer searchkit"):
        index_paths([corpus_dir], index_dir, jobs=1)
    index_paths([corpus_dir], index_dir, jobs=1, rebuild=True)
    with open_index(index_dir) as ix:
        assert ix.doc_count == len(SAMPLE_IDS)


def test_two_archives_with_the_same_layout_both_index(tmp_path):
    """Ids made from paths cannot collide silently: the second archive's text files (and
    its records without ids) get their root's name in front; ids a source gives collide
    as before (reported and skipped)."""
    for name in ("hanoi", "hue"):
        (tmp_path / name / "2023").mkdir(parents=True)
        (tmp_path / name / "2023" / "tin.txt").write_text(
            f"Tin {name}\n\nBài báo của {name} về nông thôn mới.\n", encoding="utf-8"
        )
        write_records(tmp_path / name / "r.jsonl", [{"title": f"Ghi {name}", "body": "Hợp tác xã."}])
        write_records(tmp_path / name / "own.jsonl", [{"id": "same", "title": name, "body": "Hợp tác xã."}])
    report = index_paths([tmp_path / "hanoi", tmp_path / "hue"], tmp_path / "index", jobs=1)
    assert report.added == 5 and len(report.problems) == 1, report.summary()
    assert "duplicate id 'same'" in str(report.problems[0])
    with open_index(tmp_path / "index") as ix:
        assert ix.get("2023/tin.txt").title == "Tin hanoi"
        assert ix.get("hue/2023/tin.txt").title == "Tin hue"
        assert ix.get("hue/r.jsonl#1").title == "Ghi hue"
    again = index_paths([tmp_path / "hanoi", tmp_path / "hue"], tmp_path / "index", jobs=1)
    assert (again.added, again.updated, again.unchanged, len(again.problems)) == (0, 0, 5, 1), again.summary()
