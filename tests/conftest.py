"""Shared fixtures: the sample corpus and a small index built from it plus a few JSON records."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = REPO / "corpus"
SAMPLE_IDS = {"doi-moi-tu-duy-hanh-dong-quyet-liet.txt", "tao-du-dia-phat-trien-moi.txt"}

# Small, hand-made records exercising the query features; each test asserts which come back.
RECORDS = [
    {
        "id": "hn-giao-thong",
        "title": "Giao thông Hà Nội ùn tắc giờ cao điểm",
        "body": "Nhiều tuyến phố ở Hà Nội ùn tắc kéo dài. Sở Giao thông vận tải đề xuất phân luồng mới.",
        "date": "2023-01-15T08:00:00+07:00",
        "author": "Nguyễn Văn An",
        "category": "Xã hội",
    },
    {
        "id": "hp-cang",
        "title": "Cảng Hải Phòng mở rộng bến container",
        "body": (
            "Cảng Hải Phòng khởi công mở rộng bến. "
            "Hàng hóa qua cảng tăng mạnh, giao thông đường thủy thuận lợi."
        ),
        "date": "2023-02-20T09:30:00+07:00",
        "author": "Trần Thị Bình",
        "category": "Kinh tế",
    },
    {
        "id": "thuy-dien",
        "title": "Thuỷ điện Hoà Bình phát điện tổ máy mới",
        "body": "Nhà máy thuỷ điện Hoà Bình mở rộng đã hòa lưới điện quốc gia tổ máy đầu tiên.",
        "date": "2022-12-01T10:00:00+07:00",
        "author": "Lê Văn Cường",
        "category": "Kinh tế",
    },
    {
        "id": "moi-nguoi",
        "title": "Mỗi người một việc làm sạch đường làng",
        "body": "Mỗi người dân góp một ngày công để sửa đường làng, mỗi hộ một cây xanh.",
        "date": "2023-03-05T07:00:00+07:00",
        "author": "Phạm Minh Đức",
        "category": "Xã hội",
    },
]


def write_records(path: Path, records=RECORDS) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def open_records_index(tmp_path_factory, name: str, records):
    """An open index (a context manager) of ``records`` written as one JSON Lines file."""
    from searchkit import index_paths, open_index

    root = tmp_path_factory.mktemp(name)
    write_records(root / "news.jsonl", records)
    index_paths([root / "news.jsonl"], root / "index", jobs=1)
    return open_index(root / "index")


def records_fixture(name: str, records):
    """A module-scoped fixture: an open index of ``records`` (open_records_index)."""

    @pytest.fixture(scope="module")
    def ix(tmp_path_factory):
        with open_records_index(tmp_path_factory, name, records) as opened:
            yield opened

    return ix


def found_ids(result) -> list[str]:
    """The ids of a search's hits, sorted: which documents came back, in any order."""
    return sorted(hit.id for hit in result)


@contextmanager
def ranking_params(ix, **changes) -> Iterator[None]:
    """``ix`` ranking with ``changes`` to its parameters, restored afterwards."""
    params = ix.params
    ix.params = dataclasses.replace(params, **changes)
    try:
        yield
    finally:
        ix.params = params


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A writable copy of the sample corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, target)
    for f in target.iterdir():
        f.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """An index of the two sample articles and RECORDS, built once for the session."""
    from searchkit import index_paths

    root = tmp_path_factory.mktemp("built")
    corpus = root / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    write_records(corpus / "records.jsonl")
    report = index_paths([corpus], root / "index", jobs=1)
    assert report.added == 2 + len(RECORDS) and not report.problems
    return root / "index"


@pytest.fixture(scope="session")
def ix(built_index):
    from searchkit import open_index

    with open_index(built_index) as opened:
        yield opened
