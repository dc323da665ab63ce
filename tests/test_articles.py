"""The readers: newspaper .txt pages, JSON / JSON Lines records, encodings and the walk."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from searchkit import articles as articles_module
from searchkit.articles import (
    SUPPORTED_SUFFIXES,
    Article,
    ArticleReader,
    ReadProblem,
    read_file,
    source_files,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
VN = timezone(timedelta(hours=7))


def read_one(path: Path, root: Path | None = None) -> Article:
    read = read_file(path, root)
    assert read.problems == [] and len(read.articles) == 1
    return read.articles[0]


def only_problem(path: Path, root: Path | None = None) -> ReadProblem:
    read = read_file(path, root)
    assert read.articles == [] and len(read.problems) == 1
    return read.problems[0]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ------------------------------------------------------------------ newspaper pages

NOT_BODY = ("Video:", "Tin cùng chuyên mục", "Xem tin theo ngày", "Đào Quyên", "Ảnh:", "lượt xem", "[GMT+7]")


def test_sample_article_without_photo_credit():
    art = read_one(CORPUS / "doi-moi-tu-duy-hanh-dong-quyet-liet.txt", CORPUS)
    assert art.id == art.path == "doi-moi-tu-duy-hanh-dong-quyet-liet.txt"
    assert art.title == "Đổi mới tư duy, hành động quyết liệt"
    assert art.date == datetime(2023, 3, 9, 8, 21, 54, tzinfo=VN)
    assert art.date.utcoffset() == timedelta(hours=7)
    assert art.views == 546
    assert (art.author, art.photo_credit) == ("Đào Quyên", "")
    paragraphs = art.body.split("\n")
    assert paragraphs[0].startswith("Năm 2023 là năm có ý nghĩa quan trọng")
    assert paragraphs[-1].endswith("mạnh mẽ hơn trong thời gian tới.")
    assert "Phát huy nội lực" in paragraphs  # a sub-heading is body, not a byline
    assert all(p == p.strip() and p for p in paragraphs)
    assert not any(marker in art.body for marker in NOT_BODY)


def test_sample_article_with_video_byline_photo_credit_and_navigation():
    art = read_one(CORPUS / "tao-du-dia-phat-trien-moi.txt", CORPUS)
    assert art.id == "tao-du-dia-phat-trien-moi.txt"
    assert art.title == "Tạo dư địa phát triển mới để tỉnh bứt phá vươn lên mạnh mẽ"
    assert art.date == datetime(2023, 4, 4, 16, 10, 37, tzinfo=VN)
    assert art.views == 20037
    assert (art.author, art.photo_credit) == ("Đào Quyên", "Thành Tâm")
    paragraphs = art.body.split("\n")
    assert paragraphs[0].startswith("Sáng ngày 4/4, Ban Chấp hành Đảng bộ tỉnh")
    assert paragraphs[-1].startswith("Cũng tại hội nghị")
    assert "Đại biểu dự hội nghị." in paragraphs  # captions stay
    assert len(paragraphs) == len(set(paragraphs))
    assert not any(marker in art.body for marker in NOT_BODY)


def test_block_repeated_after_the_byline_is_not_duplicated(tmp_path):
    sample = (CORPUS / "tao-du-dia-phat-trien-moi.txt").read_text(encoding="utf-8")
    original = read_one(CORPUS / "tao-du-dia-phat-trien-moi.txt")
    repeated = "\n\n".join(original.body.split("\n")[-3:])
    page = sample.replace("Ảnh: Thành Tâm\n", f"Ảnh: Thành Tâm\n\n{repeated}\n")
    assert page != sample
    (tmp_path / "x.txt").write_text(page, encoding="utf-8")
    art = read_one(tmp_path / "x.txt")
    assert art.body == original.body
    assert (art.author, art.photo_credit) == ("Đào Quyên", "Thành Tâm")


def test_unique_text_after_the_byline_is_kept(tmp_path):
    sample = (CORPUS / "doi-moi-tu-duy-hanh-dong-quyet-liet.txt").read_text(encoding="utf-8")
    (tmp_path / "x.txt").write_text(sample + "\n\nĐoạn mới về hợp tác xã kiểu mẫu.", encoding="utf-8")
    art = read_one(tmp_path / "x.txt")
    assert art.author == "Đào Quyên" and "Đào Quyên" not in art.body
    assert art.body.endswith("trong thời gian tới.\nĐoạn mới về hợp tác xã kiểu mẫu.")


def test_no_byline_keeps_the_text_and_drops_a_trailing_photo_credit(tmp_path):
    page = (
        "Tiêu đề\nThứ 2, 03/04/2023 | 10:00\nMột.\n\nHai.\n\nMột.\n\nẢnh: TTXVN\n\n"
        "Tin cùng chuyên mục\n\nBài khác"
    )
    (tmp_path / "x.txt").write_text(page, encoding="utf-8")
    art = read_one(tmp_path / "x.txt")
    assert (art.body, art.author, art.photo_credit) == ("Một.\nHai.\nMột.", "", "TTXVN")


def test_header_variants_weekday_names_and_no_seconds(tmp_path):
    page = (
        "Chủ nhật, 05/03/2023 | 07:05\nTiêu đề bài\n1.234 lượt xem\nĐoạn một.\n\nĐoạn hai.\n\nNguyễn Văn An\n"
    )
    (tmp_path / "a.txt").write_text(page, encoding="utf-8")
    art = read_one(tmp_path / "a.txt")
    assert (art.title, art.views, art.author) == ("Tiêu đề bài", 1234, "Nguyễn Văn An")
    assert art.date == datetime(2023, 3, 5, 7, 5, tzinfo=VN)
    assert art.body == "Đoạn một.\nĐoạn hai."
    (tmp_path / "b.txt").write_text(
        "Thứ Bảy, 30/07/2024, 05:20[GMT+7]\n\nTin\n\nThứ Hai, 01/05/2023 | 09:00:01\nNội dung.",
        encoding="utf-8",
    )
    art = read_one(tmp_path / "b.txt")
    assert (art.title, art.body, art.date) == ("Tin", "Nội dung.", datetime(2023, 5, 1, 9, 0, 1, tzinfo=VN))


def test_plain_text_falls_back_to_first_line_as_title(tmp_path):
    (tmp_path / "plain.txt").write_text(
        "\n\n  Một tiêu đề  \n\nDòng một.\r\n\r\n  Dòng hai.\nHà Nội\n", encoding="utf-8"
    )
    art = read_one(tmp_path / "plain.txt")
    assert art.title == "Một tiêu đề"
    assert art.body == "Dòng một.\nDòng hai.\nHà Nội"  # no byline guessing outside the newspaper layout
    assert (art.author, art.date, art.views) == ("", None, None)


def test_txt_ids_are_paths_relative_to_the_root(tmp_path):
    (tmp_path / "sub" / "dir").mkdir(parents=True)
    f = tmp_path / "sub" / "dir" / "x.txt"
    f.write_text("Tiêu đề\nNội dung", encoding="utf-8")
    assert read_one(f, tmp_path).id == "sub/dir/x.txt"
    assert read_one(f).id == "x.txt"
    assert read_one(f, f).id == "x.txt"


# ------------------------------------------------------------------ JSON records


def test_jsonl_bad_line_in_the_middle_costs_only_that_line(tmp_path):
    f = write_jsonl(
        tmp_path / "a.jsonl",
        [
            json.dumps({"id": "a", "title": "Bài A", "body": "Nội dung A"}, ensure_ascii=False),
            "",
            "{not json",
            json.dumps(["a list"]),
            json.dumps({"id": "d", "title": ["wrong"], "body": "x"}),
            json.dumps({"id": "e", "url": "http://x"}),
            json.dumps({"id": "a", "title": "Bài A lần hai", "body": "trùng id"}, ensure_ascii=False),
            json.dumps({"id": "b", "title": "Bài B", "body": "Nội dung B"}, ensure_ascii=False),
        ],
    )
    read = read_file(f, tmp_path)
    assert [a.id for a in read.articles] == ["a", "b"]
    assert [p.line for p in read.problems] == [3, 4, 5, 6, 7]
    assert all(p.path == "a.jsonl" for p in read.problems)
    messages = [p.message for p in read.problems]
    assert "not valid JSON" in messages[0] and "object" in messages[1] and "'title'" in messages[2]
    assert "no title and no body" in messages[3] and "duplicate id 'a'" in messages[4]
    assert str(read.problems[0]).startswith("a.jsonl:3: ")


def test_ids_from_id_underscore_id_or_record_number(tmp_path):
    f = write_jsonl(
        tmp_path / "ids.jsonl",
        [
            json.dumps({"id": 42, "title": "t", "body": "b"}),
            json.dumps({"_id": "dev_0001", "title": "t", "text": "b"}),
            "",
            json.dumps({"title": "t", "content": ["p1", "p2"]}),
        ],
    )
    read = read_file(f, tmp_path)
    assert read.problems == []
    assert [a.id for a in read.articles] == ["42", "dev_0001", "ids.jsonl#3"]
    assert read.articles[2].body == "p1\np2"


def test_record_fields_are_read_and_coerced(tmp_path):
    record = {
        "id": "x",
        "title": " Tiêu   đề ",
        "sapo": "Tóm tắt.",
        "body": "Một.\n\n  Hai.  ",
        "abstract": "not indexed",
        "date": "2023-04-04T16:10:37",
        "author": "Đào Quyên",
        "url": "http://e.vn/x",
        "category": "Xã hội",
        "tags": "nông thôn, kinh tế ,",
        "views": "1,234",
    }
    f = write_jsonl(tmp_path / "r.jsonl", [json.dumps(record, ensure_ascii=False)])
    art = read_one(f)
    assert (art.title, art.sapo, art.body) == ("Tiêu đề", "Tóm tắt.", "Một.\nHai.")
    assert art.date == datetime(2023, 4, 4, 16, 10, 37, tzinfo=VN)
    assert (art.author, art.url, art.category, art.tags, art.views) == (
        "Đào Quyên",
        "http://e.vn/x",
        "Xã hội",
        ["nông thôn", "kinh tế"],
        1234,
    )
    assert art.path == "r.jsonl"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2023-01-15T08:00:00+07:00", datetime(2023, 1, 15, 8, tzinfo=VN)),
        ("2023-01-15T01:00:00Z", datetime(2023, 1, 15, 8, tzinfo=VN)),
        ("2023-01-15", datetime(2023, 1, 15, tzinfo=VN)),
        (1673744400, datetime(2023, 1, 15, 8, tzinfo=VN)),
        (1673744400000, datetime(2023, 1, 15, 8, tzinfo=VN)),
        ("15/01/2023 08:00", datetime(2023, 1, 15, 8, tzinfo=VN)),
    ],
)
def test_dates(tmp_path, value, expected):
    f = write_jsonl(tmp_path / "d.jsonl", [json.dumps({"title": "t", "date": value})])
    art = read_one(f)
    assert art.date == expected and art.date.tzinfo is not None


def test_uncoercible_fields_are_a_problem_for_that_record(tmp_path):
    f = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            json.dumps({"title": "t", "date": "hôm qua"}),
            json.dumps({"title": "t", "views": "nhiều"}),
            json.dumps({"title": "t", "id": 1.5}),
            json.dumps({"title": 7}),
            json.dumps({"title": "t", "tags": [{"a": 1}]}),
            json.dumps({"title": "ok"}),
        ],
    )
    read = read_file(f)
    assert [a.title for a in read.articles] == ["ok"]
    assert [p.line for p in read.problems] == [1, 2, 3, 4, 5]


def test_json_list_and_object(tmp_path):
    (tmp_path / "list.json").write_text(
        json.dumps(
            [
                {"id": "a", "title": "A", "body": "x"},
                "nope",
                {"title": "C", "body": "z"},
            ]
        ),
        encoding="utf-8",
    )
    read = read_file(tmp_path / "list.json", tmp_path)
    assert [a.id for a in read.articles] == ["a", "list.json#3"]
    assert read.problems == [ReadProblem("list.json", None, read.problems[0].message)]
    assert read.problems[0].message.startswith("item 2: ")
    (tmp_path / "one.json").write_text(
        json.dumps({"_id": 7, "title": "Một", "text": "Hai"}), encoding="utf-8"
    )
    art = read_one(tmp_path / "one.json")
    assert (art.id, art.title, art.body) == ("7", "Một", "Hai")
    (tmp_path / "broken.json").write_text('{"title": "x",\n "body": }', encoding="utf-8")
    problem = only_problem(tmp_path / "broken.json")
    assert problem.line == 2 and "not valid JSON" in problem.message
    (tmp_path / "scalar.json").write_text("3", encoding="utf-8")
    assert "list of objects" in only_problem(tmp_path / "scalar.json").message


def test_gzipped_jsonl(tmp_path):
    lines = "".join(
        json.dumps({"id": f"r{i}", "title": f"Bài {i}", "body": "Nội dung"}, ensure_ascii=False) + "\n"
        for i in range(3)
    )
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(lines.encode("utf-8")))
    read = read_file(tmp_path / "a.jsonl.gz", tmp_path)
    assert read.problems == [] and [a.id for a in read.articles] == ["r0", "r1", "r2"]
    assert read.articles[0].path == "a.jsonl.gz"
    (tmp_path / "b.json.gz").write_bytes(gzip.compress(b"[]")[:-5])
    assert "gzip" in only_problem(tmp_path / "b.json.gz").message


def test_json_lines_stream_one_record_at_a_time(tmp_path):
    records = [
        json.dumps({"id": f"r{i}", "title": f"Bài {i}", "body": "Nội dung"}, ensure_ascii=False)
        for i in range(4)
    ]
    path = write_jsonl(tmp_path / "a.jsonl", records[:2] + ["{broken"] + records[2:])
    problems: list[ReadProblem] = []
    reader = iter(ArticleReader(path, tmp_path, problems.append))
    assert next(reader).id == "r0"
    assert problems == []  # line 3 not parsed yet: records come as they are read
    assert [a.id for a in reader] == ["r1", "r2", "r3"]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [(3, "not valid JSON")]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_json_lines_checked_whole_before_any_record(tmp_path, monkeypatch, suffix):
    """A file unreadable anywhere gives no record at all, even when its start is fine;
    checked in small chunks so that characters and errors straddle chunk boundaries."""
    monkeypatch.setattr(articles_module, "_CHUNK_BYTES", 7)
    good = "".join(
        json.dumps({"id": f"r{i}", "title": "Đường về nông thôn mới"}, ensure_ascii=False) + "\n"
        for i in range(3)
    ).encode()

    def write(data: bytes):
        path = tmp_path / f"x{suffix}"
        path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
        return path

    assert [a.id for a in read_file(write(good)).articles] == ["r0", "r1", "r2"]
    offset = len(good) - 10
    bad = good[:offset] + b"\xfd" + good[offset + 1 :]
    assert f"invalid byte 0xFD at offset {offset}" in only_problem(write(bad)).message
    assert (
        f"control byte 0x00 at offset {offset}"
        in only_problem(write(good[:offset] + b"\x00" + good[offset + 1 :])).message
    )
    # A multi-byte character cut off by the end of the file.
    assert f"invalid byte 0xC3 at offset {len(good)}" in only_problem(write(good + b"\xc3")).message
    if suffix.endswith(".gz"):
        (tmp_path / "cut.jsonl.gz").write_bytes(gzip.compress(good)[:-12])
        assert "corrupt gzip" in only_problem(tmp_path / "cut.jsonl.gz").message


def test_reader_reports_how_far_it_has_read(tmp_path):
    records = [json.dumps({"id": f"r{i}", "title": "t", "body": "x" * 1000}) for i in range(300)]
    path = write_jsonl(tmp_path / "a.jsonl", records)
    reader = ArticleReader(path, tmp_path)
    positions = [reader.bytes_read for _ in reader]
    assert positions == sorted(positions) and 0 < positions[0] < positions[-1] <= path.stat().st_size
    assert reader.bytes_read == path.stat().st_size


# ------------------------------------------------------------------ encodings and bad files


def test_utf8_bom_and_utf16_with_bom(tmp_path):
    text = "Tiêu đề có dấu\n\nNội dung bài viết."
    for name, data in [
        ("bom8.txt", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("le.txt", b"\xff\xfe" + text.encode("utf-16-le")),
        ("be.txt", b"\xfe\xff" + text.encode("utf-16-be")),
    ]:
        (tmp_path / name).write_bytes(data)
        art = read_one(tmp_path / name)
        assert (art.title, art.body) == ("Tiêu đề có dấu", "Nội dung bài viết.")
    (tmp_path / "bom.jsonl").write_bytes(
        b"\xef\xbb\xbf" + json.dumps({"id": "x", "title": "t"}).encode() + b"\n"
    )
    assert read_one(tmp_path / "bom.jsonl").id == "x"


def test_windows_1258_is_refused_with_a_hint(tmp_path):
    # "Tin tức hôm nay\n\nNội dung bài" as Windows-1258 writes it: base letter, then a tone-mark byte.
    legacy = b"Tin t\xfd\xecc h\xf4m nay\n\nN\xf4\xf2i dung ba\xcci"
    assert unicodedata.normalize("NFC", legacy.decode("cp1258")) == "Tin tức hôm nay\n\nNội dung bài"
    (tmp_path / "legacy.txt").write_bytes(legacy)
    problem = only_problem(tmp_path / "legacy.txt", tmp_path)
    assert problem.path == "legacy.txt" and problem.line is None
    assert (
        "not UTF-8 or UTF-16 text (invalid byte 0x" in problem.message
        and "0xFD at offset 5" in problem.message
    )
    assert "convert it to UTF-8" in problem.message


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,
        b"Title\n\x00\x00\x00body",
        b"\xff\xfe\x00broken\xc3",  # a UTF-16 BOM in front of bytes that are not text
        b"\xff\xfe\x00\xd8",  # an unpaired surrogate
    ],
)
def test_binary_is_refused(tmp_path, data):
    (tmp_path / "image.txt").write_bytes(data)
    problem = only_problem(tmp_path / "image.txt")
    assert problem.path == "image.txt" and "text" in problem.message


@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path, content):
    (tmp_path / "empty.jsonl").write_bytes(content)
    assert only_problem(tmp_path / "empty.jsonl").message == "empty file"


def test_missing_and_unsupported_files_are_problems_not_exceptions(tmp_path):
    assert "cannot read" in only_problem(tmp_path / "gone.txt").message
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    assert "unsupported" in only_problem(tmp_path / "notes.md").message


def test_header_only_page_is_a_problem(tmp_path):
    (tmp_path / "h.txt").write_text("Thứ 3, 04/04/2023 | 16:10:37\n20 lượt xem\n", encoding="utf-8")
    assert "no headline" in only_problem(tmp_path / "h.txt").message


# ------------------------------------------------------------------ walking


def rel(pairs) -> list[str]:
    return [f.relative_to(root).as_posix() if f != root else f.name for root, f in pairs]


def test_source_files_recursion_order_suffixes_and_hidden(tmp_path):
    for name in [
        "b.txt",
        "a.jsonl",
        "c.JSON",
        "d.json.gz",
        "e.jsonl.gz",
        "f.md",
        "g.txt.bak",
        ".hidden.txt",
        "sub/z.txt",
        "sub/deeper/y.json",
        ".git/x.txt",
        "sub/.cache/w.txt",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    pairs = list(source_files([tmp_path]))
    assert all(root == tmp_path for root, _ in pairs)
    assert rel(pairs) == [
        "a.jsonl",
        "b.txt",
        "c.JSON",
        "d.json.gz",
        "e.jsonl.gz",
        "sub/deeper/y.json",
        "sub/z.txt",
    ]
    assert SUPPORTED_SUFFIXES == (".txt", ".json", ".jsonl", ".json.gz", ".jsonl.gz")


def test_source_files_file_root_and_missing_root(tmp_path):
    f = tmp_path / "one.txt"
    f.write_text("x", encoding="utf-8")
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    problems: list[ReadProblem] = []
    pairs = list(source_files([str(f), tmp_path / "missing", tmp_path / "notes.md"], problems))
    assert pairs == [(f, f)]
    assert len(problems) == 2
    assert "missing" in problems[0].path and "no such file" in problems[0].message
    assert "unsupported" in problems[1].message
    assert list(source_files([tmp_path / "missing"])) == []  # without a list: silently nothing


def test_source_files_follows_symlinks_once_and_stops_loops(tmp_path):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "o.txt").write_text("x", encoding="utf-8")
    os.symlink(root, root / "a" / "loop")  # back to the root: a loop
    os.symlink(root / "a", root / "b")  # a second name for a/: walked once
    os.symlink(tmp_path / "outside", root / "c")  # outside the root: followed
    os.symlink(tmp_path / "nowhere.txt", root / "dangling.txt")
    problems: list[ReadProblem] = []
    pairs = list(source_files([root], problems))
    assert rel(pairs) == ["a/x.txt", "c/o.txt"]
    messages = {p.path: p.message for p in problems}
    assert "loop" in messages["a/loop"] and "broken" in messages["dangling.txt"]


def test_source_files_unreadable_directory(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "y.txt").write_text("x", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # chmod 0 does not stop root, so refuse the way the kernel would
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr("searchkit.articles.os.scandir", scandir)
    problems: list[ReadProblem] = []
    assert rel(source_files([tmp_path], problems)) == ["y.txt"]
    assert problems == [ReadProblem("locked", None, "cannot read directory: Permission denied")]


def test_source_files_and_read_file_survive_entries_that_vanish(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.txt").write_text("x", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("x", encoding="utf-8")
    problems: list[ReadProblem] = []
    walk = source_files([tmp_path], problems)
    assert rel([next(walk)]) == ["a.txt"]
    (tmp_path / "b.txt").unlink()  # gone after the directory was listed
    shutil.rmtree(tmp_path / "sub")
    rest = list(walk)
    assert rel(rest) in (["b.txt"], [])  # a vanished file may still be listed ...
    for root, f in rest:
        assert "cannot read" in only_problem(f, root).message  # ... and reading it is a problem
    assert problems == []
