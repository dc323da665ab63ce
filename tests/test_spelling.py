"""What Vietnamese writes two ways is found either way, as one word: i/y (``kỹ``/``kĩ``,
``tỷ``/``tỉ``), numbers with or without thousands dots (``5.000``/``5000``) and a leading
zero (``06/12``/``6/12``), and ``ôtô``/``ô tô``.

News writes both (one paper ``5.000 tỉ đồng``, the next ``5.000 tỷ đồng``), and readers type
``5000 tỷ``; text.canonical_spelling is the one spelling the index and the query share."""

from __future__ import annotations

import pytest
from conftest import found_ids, records_fixture

RECORDS = [
    {"id": "ti", "title": "Doanh thu", "body": "Doanh thu đạt 5.000 tỉ đồng nhờ kĩ thuật mới của công ti."},
    {"id": "ty", "title": "Lợi nhuận", "body": "Lợi nhuận 3.000 tỷ đồng, kỹ thuật cao, bác sỹ nói lý do."},
    {"id": "other", "title": "Thể thao", "body": "Cô Vy thi đấu ở Mỹ, lí do là hi sinh thầm lặng."},
    {"id": "vi", "title": "Vi phạm", "body": "Nhiều vi phạm giao thông bị xử phạt."},
    {"id": "padded", "title": "Lịch", "body": "Hội nghị khai mạc ngày 06/12 tại Hà Nội, chi 1.500.000 đồng."},
    {"id": "plain", "title": "Lịch", "body": "Lễ hội mở cửa ngày 6/12 ở Huế, vé 1500000 đồng, năm 2019."},
    {"id": "joined", "title": "Tai nạn", "body": "Xe ôtô tải tông môtô trên quốc lộ."},
    {"id": "apart", "title": "Tai nạn", "body": "Chiếc ô tô tải tông xe mô tô ở ngã tư."},
]


ix = records_fixture("spelling", RECORDS)
ids = found_ids


@pytest.mark.parametrize(
    "query", ["tỷ đồng", "tỉ đồng", "ty dong", "ti dong", "kỹ thuật", "kĩ thuật", "ki thuat"]
)
def test_either_spelling_finds_both_as_the_same_word(ix, query):
    result = ix.search(query)
    assert ids(result) == ["ti", "ty"]
    assert result.total == 2
    assert not result.notes  # matched as typed: not a relaxed or respelt reading


def test_both_spellings_score_alike(ix):
    # The same term in each document: ``tỷ`` typed does not favour the ``tỷ`` article.
    by_y = {hit.id: hit.score for hit in ix.search("tỷ đồng")}
    by_i = {hit.id: hit.score for hit in ix.search("tỉ đồng")}
    assert by_y == pytest.approx(by_i)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("công ty", ["ti"]),
        ("bác sĩ", ["ty"]),
        ("Mĩ", ["other"]),
        ("lý do", ["other", "ty"]),
        ("hy sinh", ["other"]),
    ],
)
def test_words_and_names_in_either_spelling(ix, query, expected):
    result = ix.search(query)
    assert ids(result) == expected
    assert not result.notes  # every word found as typed, not a relaxed reading


def test_names_spelt_with_y_after_other_letters_stay_apart(ix):
    assert ids(ix.search("Vy")) == ["other"]
    assert ids(ix.search("vi phạm")) == ["vi"]


def test_the_highlight_marks_the_word_as_the_article_writes_it(ix):
    hit = next(h for h in ix.search("tỷ kỹ") if h.id == "ti")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["tỉ", "kĩ"]
    hit = next(h for h in ix.search('"tỉ đồng"') if h.id == "ty")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["tỷ", "đồng"]


@pytest.mark.parametrize(
    ("query", "expected"), [("5000 tỷ", ["ti"]), ("5.000 tỉ", ["ti"]), ("3000 ty", ["ty"])]
)
def test_a_number_with_or_without_its_thousands_dots(ix, query, expected):
    result = ix.search(query)
    assert ids(result) == expected
    assert not result.notes


@pytest.mark.parametrize("query", ["ngày 6/12", "ngày 06/12", "1500000 đồng", "1.500.000 đồng"])
def test_dates_with_or_without_leading_zeros_and_amounts_either_way(ix, query):
    result = ix.search(query)
    assert ids(result) == ["padded", "plain"]
    assert not result.notes


def test_a_number_is_not_found_by_a_piece_of_it(ix):
    # 1.500.000 is one number: 500 or 000 typed alone are other numbers.
    assert ids(ix.search("500")) == []
    assert ids(ix.search("2019")) == ["plain"]


def test_the_highlight_marks_the_number_as_written(ix):
    hit = next(h for h in ix.search("5000 tỷ") if h.id == "ti")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["5.000", "tỉ"]
    hit = next(h for h in ix.search("ngày 6/12 1500000") if h.id == "padded")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["ngày", "06", "12", "1.500.000"]


@pytest.mark.parametrize("query", ["ô tô tải", "ôtô tải", "Ôtô tải", "o to tai", "oto tai", "mô tô", "môtô"])
def test_a_car_written_in_one_piece_or_two(ix, query):
    result = ix.search(query)
    assert ids(result) == ["apart", "joined"]
    assert not result.notes


def test_the_highlight_marks_both_syllables_of_the_joined_spelling(ix):
    hit = next(h for h in ix.search("ô tô tải") if h.id == "joined")
    # (and the tô of môtô, a syllable of the query too)
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["ô", "tô", "tải", "tô"]


def test_a_suggestion_keeps_the_spelling_typed(ix):
    # The mistyped syllable is corrected; the others stay as typed (``kỹ``, ``5.000``),
    # not in the spelling the index matches them by (``kĩ``, ``5000``).
    assert ix.search("kỹ thuậtt").suggestion == "kỹ thuật"
    assert ix.search("5.000 tỷ đồnng").suggestion == "5.000 tỷ đồng"
    assert ix.search("kĩ thuậtt").suggestion == "kĩ thuật"
