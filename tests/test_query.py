"""The query language parser (no index needed)."""

import pytest

from searchkit.errors import QuerySyntaxError
from searchkit.query import AnyOf, Group, Phrase, Term, parse_query


def nodes(q):
    return [(c.occur, c.node) for c in parse_query(q).clauses]


def test_bare_words_are_optional_syllables_in_one_run():
    parsed = parse_query("Nông thôn MỚI")
    assert nodes("Nông thôn MỚI") == [
        ("should", Term("nông")),
        ("should", Term("thôn")),
        ("should", Term("mới")),
    ]
    assert parsed.runs == [["nông", "thôn", "mới"]]


def test_phrases_exclusions_required_and_fields():
    assert nodes('"nông thôn" -hà +nội title:"văn hoá" author:Đào') == [
        ("must", Phrase(("nông", "thôn"))),
        ("not", Term("hà")),
        ("must", Term("nội")),
        ("must", Phrase(("văn", "hóa"), "title")),
        ("must", Phrase(("đào",), "author")),
    ]
    assert nodes('-"nông thôn" x')[0] == ("not", Phrase(("nông", "thôn")))


def test_or_joins_neighbours_and_parentheses_group():
    parsed = nodes("(hà nội OR hải phòng) cảng")
    assert parsed[1] == ("should", Term("cảng"))
    group = parsed[0][1]
    assert isinstance(group, Group)
    assert isinstance(group.clauses[1].node, AnyOf)
    assert group.clauses[1].node.options == [Term("nội"), Term("hải")]


def test_lone_dash_and_unknown_field_are_text():
    assert [n.syllable for _, n in nodes("kinh tế - xã hội")] == ["kinh", "tế", "xã", "hội"]
    assert [n.syllable for _, n in nodes("foo:bar")] == ["foo", "bar"]


def test_nfd_and_tone_variants_parse_the_same():
    import unicodedata

    assert nodes(unicodedata.normalize("NFD", "hoà bình")) == nodes("hòa bình")


@pytest.mark.parametrize(
    "query, message",
    [
        ('"nông thôn', "unbalanced quote"),
        ("(nông thôn", "unbalanced parenthesis"),
        ("nông thôn)", "unbalanced parenthesis"),
        ("OR nông", "OR needs"),
        ("nông OR", "OR needs"),
        ("nông OR OR thôn", "OR needs"),
        ("title:", "needs a value"),
        ("", "empty query"),
        ("  ... !!", "empty query"),
        ("-nông -thôn", "only excludes"),
        ("x" * 2000, "too long"),
    ],
)
def test_malformed_queries_raise_one_clear_error_in_strict_mode(query, message):
    with pytest.raises(QuerySyntaxError, match=message):
        parse_query(query, strict=True)


def test_well_formed_queries_have_no_notes_in_either_mode():
    for q in (
        "Nông thôn MỚI",
        '"nông thôn" -hà +nội title:"văn hoá" author:Đào',
        "(hà nội OR hải phòng) cảng",
        'kinh tế - xã hội "a b" +c',
    ):
        lenient, strict = parse_query(q), parse_query(q, strict=True)
        assert lenient.notes == strict.notes == []
        assert (lenient.clauses, lenient.runs) == (strict.clauses, strict.runs)
