"""Property-based tests (hypothesis): queries of any shape either parse/search or fail with
one clean QuerySyntaxError; the normaliser is idempotent and blind to NFC/NFD."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, example, given, settings, strategies as st

from searchkit.errors import QuerySyntaxError, SearchkitError
from searchkit.query import MAX_QUERY_LENGTH, parse_query
from searchkit.text import fold_diacritics, normalize

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_TONES = "\u0300\u0301\u0303\u0309\u0323"
_VOWELS = "aăâeêioôơuưy"
VIETNAMESE_LETTERS = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS + _VOWELS.upper() for t in ("", *_TONES)}
    | set("bcdđghklmnpqrstvxBCDĐGHKLMNPQRSTVX")
)
vietnamese_text = st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS + [" ", ",", "-"]), max_size=60)

# Query pieces: words (with and without diacritics, NFD too), operators, quotes, fields.
WORDS = [
    "nông",
    "thôn",
    "mới",
    "nong",
    "thon",
    "moi",
    "hà",
    "nội",
    "hoà",
    "thuỷ",
    "điện",
    "giao",
    "thông",
    unicodedata.normalize("NFD", "Đường"),
    "kinh",
    "tế",
    "covid-19",
    "a",
    "x" * 50,
]
OPERATORS = [
    '"',
    "(",
    ")",
    "OR",
    "or",
    "-",
    "+",
    "title:",
    "author:",
    "category:",
    ":",
    "*",
    "?",
    "\\",
    "'",
    "AND",
    "NOT",
    "~",
    "^2",
    "&&",
    "||",
    "\x00",
    "\u200b",
    "\ufeff",
    "\u0301",
    "🙂",
    "\u2028",
]
piece = st.one_of(st.sampled_from(WORDS), st.sampled_from(OPERATORS), st.text(max_size=5))
structured_query = st.lists(piece, max_size=25).map(lambda parts: "".join(parts)) | st.lists(
    piece, max_size=25
).map(" ".join)
any_query = st.one_of(
    st.text(max_size=200),
    structured_query,
    st.text(min_size=MAX_QUERY_LENGTH - 5, max_size=MAX_QUERY_LENGTH + 5),
    st.text(alphabet=st.sampled_from(VIETNAMESE_LETTERS + [" ", '"', "(", ")"]), max_size=300),
)


@SETTINGS
@given(any_query)
@example('"nông thôn')
@example("((((hà nội")
@example("a OR OR b")
@example("title:")
@example("-thuế")
@example("x" * (MAX_QUERY_LENGTH + 1))
@example("\u0301\u0301 \u0323")
def test_parse_query_parses_or_raises_query_syntax_error(query):
    try:
        parsed = parse_query(query)
    except QuerySyntaxError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert parsed.clauses
    assert not all(c.occur == "not" for c in parsed.clauses)


@SETTINGS
@given(
    query=any_query,
    limit=st.integers(0, 30),
    offset=st.integers(0, 30),
    sort=st.sampled_from(["relevance", "date"]),
    facets=st.booleans(),
    author=st.none() | st.text(max_size=20),
    category=st.none() | st.text(max_size=20),
)
@example(
    query='"nông thôn mới"', limit=10, offset=0, sort="relevance", facets=True, author=None, category=None
)
@example(query="nong thon moi", limit=1, offset=1, sort="date", facets=False, author="Đào", category="xã hội")
def test_index_search_returns_results_or_query_syntax_error(
    ix, query, limit, offset, sort, facets, author, category
):
    try:
        result = ix.search(
            query, limit=limit, offset=offset, sort=sort, facets=facets, author=author, category=category
        )
    except QuerySyntaxError as exc:
        assert str(exc)
        return
    assert result.total >= len(result.hits)
    assert len(result.hits) <= limit
    assert len({h.id for h in result.hits}) == len(result.hits)
    for hit in result.hits:
        assert ix.get(hit.id).id == hit.id
        for start, end in hit.highlights:
            assert 0 <= start < end <= len(hit.snippet)
    if facets:
        assert result.facets is not None


@SETTINGS
@given(st.text(max_size=300))
def test_search_never_raises_anything_but_searchkit_errors(ix, query):
    try:
        ix.search(query)
    except SearchkitError:
        pass


@SETTINGS
@given(st.text(max_size=300) | vietnamese_text)
@example("Hoà bình, thuỷ lợi, ĐÐ")
@example("ooà uuỳ qoà")
def test_normalize_is_idempotent(s):
    once = normalize(s)
    assert normalize(once) == once
    assert unicodedata.is_normalized("NFC", once)


@SETTINGS
@given(vietnamese_text)
@example("Nông thôn mới, Đường Hoà Bình, thuỷ")
def test_normalize_is_blind_to_nfc_and_nfd(s):
    expected = normalize(s)
    for form in ("NFD", "NFC", "NFKD", "NFKC"):
        assert normalize(unicodedata.normalize(form, s)) == expected
    assert fold_diacritics(unicodedata.normalize("NFD", s)) == fold_diacritics(s) == fold_diacritics(expected)


@SETTINGS
@given(st.text(max_size=300))
def test_normalize_nfd_equivalence_on_any_text(s):
    assert normalize(unicodedata.normalize("NFD", s)) == normalize(s)
