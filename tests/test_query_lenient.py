"""Lenient query parsing: what people type and paste is read, with a note, not refused.

Each repair is checked three ways: the clauses it gives, its note, and that strict mode
still raises the error it always did. Surfaces (CLI, HTTP) are tested in test_cli.py and
test_server.py.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from searchkit.errors import QuerySyntaxError
from searchkit.query import MAX_QUERY_LENGTH, AnyOf, Clause, Group, Phrase, Term, parse_query

DANGLING_OR = "ignored a dangling OR"
ONLY_EXCLUDED = "the query only excluded words: searched for them instead"


def nodes(parsed):
    return [(c.occur, c.node) for c in parsed.clauses]


def should(*syllables):
    return [("should", Term(s)) for s in syllables]


def group(*syllables):
    return ("should", Group([Clause(Term(s), "should") for s in syllables]))


# (query, clauses, runs, notes, the error strict mode raises)
REPAIRS = [
    pytest.param(
        '"nông thôn',
        [("must", Phrase(("nông", "thôn")))],
        [],
        ['unbalanced quote: read "nông thôn" to the end of the query as a phrase'],
        "unbalanced quote",
        id="quote-to-the-end",
    ),
    pytest.param(
        'giá "',
        should("giá"),
        [["giá"]],
        ['ignored an unmatched "'],
        "unbalanced quote",
        id="quote-at-the-end",
    ),
    pytest.param(
        'ab"cd',
        should("ab", "cd"),
        [["ab", "cd"]],
        ['ignored a " inside a word'],
        "must start a phrase",
        id="quote-inside-a-word",
    ),
    pytest.param(
        "(quý II",
        should("quý", "ii"),
        [["quý", "ii"]],
        ['ignored an unmatched "("'],
        "never closed",
        id="open-bracket",
    ),
    pytest.param(
        "giá ) vàng",
        should("giá", "vàng"),
        [["giá", "vàng"]],
        ['ignored an unmatched ")"'],
        "has no '('",
        id="close-bracket",
    ),
    pytest.param(
        "(giá (vàng) x",
        [*should("giá"), group("vàng"), *should("x")],
        [["giá"], ["vàng"], ["x"]],
        ['ignored an unmatched "("'],
        "never closed",
        id="outer-bracket-unmatched",
    ),
    pytest.param(
        "nông thôn OR",
        should("nông", "thôn"),
        [["nông", "thôn"]],
        [DANGLING_OR],
        "OR needs",
        id="or-at-the-end",
    ),
    pytest.param("OR giá", should("giá"), [["giá"]], [DANGLING_OR], "OR needs", id="or-at-the-start"),
    pytest.param(
        "giá OR OR vàng",
        [("should", AnyOf([Term("giá"), Term("vàng")]))],
        [["giá"], ["vàng"]],
        [DANGLING_OR],
        "OR needs",
        id="or-next-to-or",
    ),
    pytest.param(
        "(OR giá) vàng",
        [group("giá"), *should("vàng")],
        [["giá"], ["vàng"]],
        [DANGLING_OR],
        "OR needs",
        id="or-after-bracket",
    ),
    pytest.param(
        "(giá OR) vàng",
        [group("giá"), *should("vàng")],
        [["giá"], ["vàng"]],
        [DANGLING_OR],
        "OR needs",
        id="or-before-bracket",
    ),
    pytest.param(
        "giá OR -vàng",
        [*should("giá"), ("not", Term("vàng"))],
        [["giá"]],
        [DANGLING_OR],
        "OR needs",
        id="or-before-exclusion",
    ),
    pytest.param(
        "giá -vàng OR x",
        [*should("giá"), ("not", Term("vàng")), *should("x")],
        [["giá"], ["x"]],
        [DANGLING_OR],
        "OR needs",
        id="or-after-exclusion",
    ),
    pytest.param(
        "title: kinh tế",
        should("kinh", "tế"),
        [["kinh", "tế"]],
        ["title: has no value: ignored"],
        "needs a value",
        id="title-without-value",
    ),
    pytest.param(
        "(author:) Đào",
        [*should("đào")],
        [["đào"]],
        ["author: has no value: ignored"],
        "needs a value",
        id="author-without-value",
    ),
    pytest.param("-thuế", should("thuế"), [["thuế"]], [ONLY_EXCLUDED], "only excludes", id="only-exclusion"),
    pytest.param(
        '-"hà nội" -thuế',
        [("must", Phrase(("hà", "nội"))), *should("thuế")],
        [["thuế"]],
        [ONLY_EXCLUDED],
        "only excludes",
        id="only-exclusions",
    ),
    pytest.param(
        "-title:kinh",
        [("must", Term("kinh", "title"))],
        [],
        [ONLY_EXCLUDED],
        "only excludes",
        id="only-excluded-field",
    ),
    pytest.param(
        "-giá OR -vàng",
        should("giá", "vàng"),
        [["giá"], ["vàng"]],
        [DANGLING_OR, ONLY_EXCLUDED],
        "OR needs",
        id="two-repairs-two-notes",
    ),
]


@pytest.mark.parametrize("query, clauses, runs, notes, error", REPAIRS)
def test_each_repair_reads_the_query_and_notes_it(query, clauses, runs, notes, error):
    parsed = parse_query(query)
    assert nodes(parsed) == clauses
    assert parsed.runs == runs
    assert parsed.notes == notes


@pytest.mark.parametrize("query, clauses, runs, notes, error", REPAIRS)
def test_strict_mode_still_raises_each(query, clauses, runs, notes, error):
    with pytest.raises(QuerySyntaxError, match=re.escape(error)):
        parse_query(query, strict=True)


def test_the_pasted_examples_are_answered_with_a_note():
    headline = parse_query('“Trùm "ma tuý nổi tiếng Hải Phòng bị bắt')
    assert nodes(headline) == [
        ("must", Term("trùm")),
        *should("ma", "túy", "nổi", "tiếng", "hải", "phòng", "bị", "bắt"),
    ]
    assert headline.notes == [MIXED_QUOTES]
    assert parse_query("(quý II").notes == ['ignored an unmatched "("']
    assert parse_query("nông thôn OR").notes == [DANGLING_OR]


def test_a_long_phrase_is_shortened_in_its_note():
    words = "giá vàng hôm nay tăng mạnh trên thị trường thế giới và trong nước"
    (note,) = parse_query('"' + words).notes
    assert note.startswith('unbalanced quote: read "giá vàng hôm nay') and "…" in note and words not in note
    assert nodes(parse_query('"' + words))[0][1] == Phrase(tuple(words.split()))


def test_curly_quotes_in_pairs_are_quotes():
    parsed = parse_query("“nông thôn” mới “hà nội”")
    assert nodes(parsed) == [
        ("must", Phrase(("nông", "thôn"))),
        *should("mới"),
        ("must", Phrase(("hà", "nội"))),
    ]
    assert parsed.notes == []
    assert nodes(parse_query("-“hà nội” x")) == [("not", Phrase(("hà", "nội"))), *should("x")]


MIXED_QUOTES = 'read mixed quotes (" with “ or ”) as pairs'


@pytest.mark.parametrize(
    "query, clauses",
    [
        ('"giá vàng” tăng', [("must", Phrase(("giá", "vàng"))), *should("tăng")]),
        ('“giá vàng" tăng', [("must", Phrase(("giá", "vàng"))), *should("tăng")]),
        (
            'tăng “giá vàng" “sjc”',
            [*should("tăng"), ("must", Phrase(("giá", "vàng"))), ("must", Term("sjc"))],
        ),
        ('-"hà nội” x', [("not", Phrase(("hà", "nội"))), *should("x")]),
        ('title:"hà nội” x', [("must", Phrase(("hà", "nội"), "title")), *should("x")]),
    ],
)
def test_a_straight_and_a_curly_quote_pair_up_when_every_quote_does(query, clauses):
    parsed = parse_query(query)
    assert nodes(parsed) == clauses
    assert parsed.notes == [MIXED_QUOTES]


@pytest.mark.parametrize(
    "query, words",
    [
        ('5"x ”y', ("5", "x", "y")),  # (a straight quote inside a word opens nothing)
        ('nhà:"x” y', ("nhà", "x", "y")),  # (nor after an unknown name and a colon)
        ('xtitle:"x” y', ("xtitle", "x", "y")),  # (nor after a field's name inside a word)
        ('”giá vàng" tăng', ("giá", "vàng", "tăng")),  # (a closing curly quote opens nothing)
    ],
)
def test_a_straight_quote_that_cannot_open_a_phrase_pairs_with_no_curly_one(query, words):
    parsed = parse_query(query)
    assert nodes(parsed) == should(*words)
    assert "ignored unmatched curly quotes (“ ”)" in parsed.notes and MIXED_QUOTES not in parsed.notes


@pytest.mark.parametrize("query", ["“nông thôn", "nông thôn”", "”nông thôn“", "“nông “thôn”"])
def test_curly_quotes_that_do_not_pair_up_are_ignored(query):
    parsed = parse_query(query)
    assert nodes(parsed) == should("nông", "thôn")
    assert parsed.notes == ["ignored unmatched curly quotes (“ ”)"]


def test_strict_mode_reads_curly_quotes_as_punctuation_as_before():
    strict = parse_query("“nông thôn”", strict=True)
    assert nodes(strict) == should("nông", "thôn") and strict.notes == []


def test_a_repair_made_twice_is_noted_once():
    parsed = parse_query('a"b c"d OR')
    assert nodes(parsed) == should("a", "b", "c", "d")
    assert parsed.notes == ['ignored a " inside a word', DANGLING_OR]
    assert parse_query("a ) b ) c").notes == ['ignored an unmatched ")"']
    assert parse_query("OR a OR OR b OR").notes == [DANGLING_OR]


WITHOUT_WORDS = [
    "",
    "   ",
    '""',
    "()",
    "( )",
    "-- ++",
    "OR",
    "OR OR",
    "( OR )",
    '"',
    "title:",
    "author: ...",
    "“”",
    '- "" +',
]


@pytest.mark.parametrize("query", WITHOUT_WORDS)
@pytest.mark.parametrize("strict", [False, True])
def test_a_query_without_any_word_raises_in_both_modes(query, strict):
    with pytest.raises(QuerySyntaxError) as raised:
        parse_query(query, strict=strict)
    if not strict:  # one clear message, whatever the query's shape
        assert str(raised.value) == "empty query: give at least one word to search for"


@pytest.mark.parametrize("strict", [False, True])
def test_a_too_long_query_raises_in_both_modes(strict):
    with pytest.raises(QuerySyntaxError, match="too long"):
        parse_query("giá " * MAX_QUERY_LENGTH, strict=strict)


# -- properties ---------------------------------------------------------------------------

# Words: none can become an operator when pieces are glued together (no O/R capitals, and
# none of t, l, e, so no "title"/"author" can form), so each word piece stays searchable.
_LETTERS = "àáảãạăằắẳẵặâầấẩẫậđìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựýỳỷỹỵbcdgkmnpqsvx"
WORDS = st.one_of(
    st.sampled_from(["giá", "vàng", "Hải", "x", "quý", "Phòng", "bị", "bắc"]),
    st.text(alphabet=_LETTERS, min_size=1, max_size=4),
)
OPERATORS = st.sampled_from(['"', "(", ")", "-", "+", "OR", ":", "title:", "author:", " ", "  ", "“", "”"])
PIECES = st.lists(st.one_of(WORDS.map(lambda w: (w, True)), OPERATORS.map(lambda o: (o, False))), max_size=16)


def _around_a_word(parts: tuple[list[str], str, list[str], str]) -> str:
    before, word, after, separator = parts
    return separator.join([*before, word, *after])


# For the surfaces (test_cli.py, test_server.py): a query with at least one word.
QUERY_WITH_A_WORD = st.tuples(
    st.lists(WORDS | OPERATORS, max_size=10),
    WORDS,
    st.lists(WORDS | OPERATORS, max_size=10),
    st.sampled_from(["", " "]),
).map(_around_a_word)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def glued(pieces: list[tuple[str, bool]], separator: str) -> str:
    return separator.join(p for p, _ in pieces)


@SETTINGS
@given(PIECES.filter(lambda ps: any(is_word for _, is_word in ps)), st.sampled_from(["", " "]))
@example([("“", False), ("Trùm", True), ('"', False), ("ma tuý", True)], " ")
@example([("(", False), ("quý", True), ("II", True)], " ")
@example([("OR", False), ("giá", True), ("OR", False), (")", False), ("-", False), ("vàng", True)], " ")
@example([("title:", False), ("-", False), ("x", True), ('"', False)], "")
def test_a_query_with_a_word_never_raises_in_lenient_mode(pieces, separator):
    query = glued(pieces, separator)
    parsed = parse_query(query)
    assert any(c.occur != "not" for c in parsed.clauses), query
    assert len(parsed.notes) == len(set(parsed.notes))
    assert all(note and "\n" not in note and len(note) < 120 for note in parsed.notes)


@SETTINGS
@given(PIECES, st.sampled_from(["", " "]))
def test_lenient_mode_reads_every_query_strict_mode_accepts_the_same_way(pieces, separator):
    query = glued(pieces, separator)
    try:
        strict = parse_query(query, strict=True)
    except QuerySyntaxError:
        return
    lenient = parse_query(query)
    if "“" in query or "”" in query:  # the one difference: curly quotes
        return
    assert (lenient.clauses, lenient.runs, lenient.notes) == (strict.clauses, strict.runs, [])


def test_quotes_as_words_reads_plain_phrases_as_their_words():
    parsed = parse_query('giá "vàng miếng" +"sjc 9999" -"hà nội"', quotes_as_words=True)
    kinds = [(type(c.node).__name__, c.occur) for c in parsed.clauses]
    assert kinds == [
        ("Term", "should"),
        ("Term", "should"),
        ("Term", "should"),
        ("Phrase", "must"),
        ("Phrase", "not"),
    ]
    assert parsed.runs == [["giá", "vàng", "miếng"]]
    assert [type(c.node).__name__ for c in parse_query('giá "vàng miếng"').clauses] == ["Term", "Phrase"]
