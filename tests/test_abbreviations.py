"""A headline's abbreviation finds the articles that spell it out (abbreviations.py)."""

from __future__ import annotations

import pytest
from conftest import found_ids, records_fixture

from searchkit.abbreviations import _table, spelled_out
from searchkit.query import AnyOf, Phrase, Term, parse_query

RECORDS = [
    {"id": "spelled", "title": "Họp", "body": "Ủy ban nhân dân thành phố Hồ Chí Minh họp về quy hoạch."},
    {"id": "short", "title": "Họp", "body": "UBND TP.HCM công bố quy hoạch mới."},
    {"id": "council", "title": "Họp", "body": "Hội đồng nhân dân tỉnh họp về quy hoạch."},
    {"id": "coach", "title": "Bóng đá", "body": "Huấn luyện viên Park Hang-seo gọi 23 cầu thủ."},
]


ix = records_fixture("abbreviations", RECORDS)
ids = found_ids


def test_a_bare_abbreviation_reads_as_itself_or_its_words():
    clause = parse_query("UBND").clauses[0]
    assert isinstance(clause.node, AnyOf) and clause.node.abbreviation
    assert clause.node.options == [Term("ubnd"), Phrase(("ủy", "ban", "nhân", "dân"))]
    assert parse_query("hà nội").clauses[0].node == Term("hà")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("UBND TP.HCM", ["short", "spelled"]),
        ("ubnd", ["short", "spelled"]),
        ("HLV Park", ["coach"]),
        ("UBND OR HĐND quy hoạch", ["council", "short", "spelled"]),
    ],
)
def test_an_abbreviation_finds_its_words(ix, query, expected):
    result = ix.search(query)
    assert ids(result) == expected
    assert result.total == len(expected)


def test_quoted_or_excluded_an_abbreviation_is_only_itself(ix):
    assert ids(ix.search('"UBND"')) == ["short"]
    assert ids(ix.search("-UBND quy hoạch")) == ["council", "spelled"]


def test_the_words_found_are_highlighted(ix):
    hit = next(h for h in ix.search("UBND") if h.id == "spelled")
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["Ủy", "ban", "nhân", "dân"]


def test_the_list_reads_whole():
    table = _table()
    assert len(table) > 30
    assert all(words and " " not in "".join(words) for words in table.values())
    assert spelled_out("đbqh") == ("đại", "biểu", "quốc", "hội")
    assert spelled_out("tt") is None  # several readings (tổng thống, thông tư): left out


def test_an_abbreviation_is_one_word_long_as_typed(ix):
    # A short query's quotes are the user's: spelling out UBND TP.HCM does not make the
    # query long enough for its quotes to be read as words (search: soft_quotes_above).
    parsed = parse_query('"công bố quy hoạch" UBND TP.HCM')
    assert len(parsed.syllables(spelled_out=False)) == 7 < len(parsed.syllables())
    result = ix.search('"công bố quy hoạch" UBND TP.HCM')
    assert ids(result) == ["short"]
    assert not result.notes
