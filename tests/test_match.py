"""Which documents a query matches: the rule behind ``total``, facets, date order and paging.

Each test asserts the documents that come back and the ``total`` (README, "Which documents
match").
"""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import open_records_index, ranking_params, records_fixture

NEWS = [
    {
        "id": "gia-xang",
        "title": "Giá xăng tăng",
        "body": "Giá xăng tăng mạnh từ chiều nay.",
        "date": "2024-05-01T08:00:00+07:00",
        "category": "Kinh tế",
    },
    {
        "id": "la-vang",
        "title": "Lá vàng rơi",
        "body": "Mùa thu lá vàng rơi đầy phố.",
        "date": "2023-10-01T08:00:00+07:00",
        "category": "Văn hóa",
    },
    {
        "id": "gia-vang",
        "title": "Giá vàng lập đỉnh",
        "body": "Giá vàng trong nước hôm nay lập đỉnh mới.",
        "date": "2022-01-01T08:00:00+07:00",
        "category": "Kinh tế",
    },
]

# A longer archive for the coverage rule of long queries.
LONG = NEWS + [
    {
        "id": "benh-vien",
        "title": "Bệnh viện mở khoa mới",
        "body": "Bệnh viện tỉnh vừa mở khoa tim mạch, bệnh nhân được điều trị miễn phí.",
        "date": "2023-04-01T08:00:00+07:00",
    },
    {
        "id": "ong-binh",
        "title": "Câu chuyện của ông Bình",
        "body": "Cách đây ba năm ông Bình mắc bệnh tiểu đường, nay ông đã khỏe lại nhờ tập luyện.",
        "date": "2023-06-01T08:00:00+07:00",
    },
    {
        "id": "ong-an",
        "title": "Ông An trồng rau",
        "body": "Ông An ở Hà Nam trồng rau sạch, ba năm nay bán khắp tỉnh.",
        "date": "2023-07-01T08:00:00+07:00",
    },
    {
        "id": "ha-noi",
        "title": "Hà Nội cấm xe máy",
        "body": "Hà Nội sẽ cấm xe máy ở các quận trung tâm.",
        "date": "2023-08-01T08:00:00+07:00",
    },
    {
        "id": "hai-phong",
        "title": "Hải Phòng mở cảng mới",
        "body": "Thành phố Hải Phòng khánh thành cảng nước sâu.",
        "date": "2023-09-01T08:00:00+07:00",
    },
    {
        "id": "gia-dinh",
        "title": "Gia đình làm vườn",
        "body": "Gia đình ông Sáu trồng cúc vàng bán Tết.",
        "date": "2023-09-03T08:00:00+07:00",
    },
    {
        "id": "tien-hai",
        "title": "Tiền Hải làm đường",
        "body": "Huyện Tiền Hải công bố nội dung dự án làm đường.",
        "date": "2023-09-02T08:00:00+07:00",
    },
]


_index = open_records_index


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    with _index(tmp_path_factory, "news", NEWS) as ix:
        yield ix


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    with _index(tmp_path_factory, "archive", LONG) as ix:
        yield ix


def ids(result):
    return [hit.id for hit in result]


def test_a_short_query_needs_every_word_in_relevance_and_date_order(news):
    for sort in ("relevance", "date"):
        result = news.search("giá vàng", sort=sort)
        assert ids(result) == ["gia-vang"] and result.total == 1
        assert not result.relaxed and result.notes == []


def test_every_word_in_any_of_its_forms(news):
    # Without diacritics, in NFD, and in the old tone-mark placement: the same single match.
    for query in ("gia vang", "gia\u0301 va\u0300ng", "GIÁ VÀNG"):
        result = news.search(query)
        assert ids(result) == ["gia-vang"] and result.total == 1


def test_one_word_matches_every_document_with_it(news):
    result = news.search("vàng", sort="date")
    assert ids(result) == ["la-vang", "gia-vang"] and result.total == 2


def test_facets_count_the_matches_only(news):
    result = news.search("giá vàng", facets=True)
    assert result.facets == {"month": {"2022-01": 1}, "category": {"Kinh tế": 1}, "author": {}}


def test_paging_pages_through_the_matches(news):
    assert news.search("giá", limit=1).total == 2
    assert ids(news.search("giá", limit=1, offset=1)) == ids(news.search("giá"))[1:]
    assert ids(news.search("giá vàng", offset=1)) == [] and news.search("giá vàng", offset=1).total == 1


def test_a_word_no_document_has_relaxes_the_match_and_says_so(news):
    result = news.search("giá vàng xyzzy")
    assert ids(result) == ["gia-vang"] and result.total == 1
    assert result.relaxed and result.notes == [
        "no document has all 3 words of the query: showing those with 2"
    ]


def test_relaxing_looks_only_inside_the_filters(news):
    # No 2024 article has both words: the match relaxes within 2024, never outside it.
    result = news.search("giá vàng", since="2024-01-01")
    assert ids(result) == ["gia-xang"] and result.relaxed


def test_phrases_required_words_and_exclusions_keep_their_meaning(news):
    assert ids(news.search('"giá vàng"')) == ["gia-vang"]
    assert ids(news.search('"vàng giá"')) == []
    assert ids(news.search("giá -vàng")) == ["gia-xang"]
    assert set(ids(news.search("giá OR lá"))) == {"gia-xang", "la-vang", "gia-vang"}
    assert ids(news.search("+giá tăng")) == ["gia-xang"]
    # A phrase plus a word no match has: the phrase alone, said so.
    result = news.search('"giá vàng" rơi')
    assert ids(result) == ["gia-vang"] and result.relaxed


def test_a_word_typed_with_diacritics_counts_in_that_form(archive):
    # "Gia đình … vàng" folds to the same letters as "giá vàng" but is not about it.
    assert ids(archive.search("giá vàng")) == ["gia-vang"]
    assert set(ids(archive.search("gia vang"))) == {"gia-vang", "gia-dinh"}


def test_the_words_in_an_articles_lead_rank_it_first(tmp_path_factory):
    filler = "Người dân trong xã vẫn làm ruộng như mọi năm. " * 12
    records = [
        {"id": "deep", "title": "", "body": filler + "Nhà máy thép mới ở Quảng Ngãi khởi công xây dựng."},
        {"id": "lead", "title": "", "body": "Nhà máy thép mới ở Quảng Ngãi khởi công xây dựng. " + filler},
    ]
    with _index(tmp_path_factory, "lead", records) as ix:
        assert ids(ix.search("khởi công nhà máy thép mới tại Quảng Ngãi")) == ["lead", "deep"]


def test_a_long_query_ranks_the_article_with_all_its_words_first(tmp_path_factory):
    # A pasted headline: its own article says every word once, deep in a longer text; a
    # neighbouring story repeats most of them but never says "dã man người giúp việc".
    records = [
        {"id": "neighbour", "title": "", "body": "Công an Gia Lai điều tra vụ tra tấn. " * 3},
        {
            "id": "source",
            "title": "",
            "body": "Người dân trong xã vẫn làm ruộng như mọi năm. " * 4
            + "Công an Gia Lai điều tra vụ tra tấn dã man người giúp việc.",
        },
        {"id": "other", "title": "", "body": "Một vụ cướp dã man ở Hà Nội; người giúp việc báo công an."},
    ]
    query = "Công an Gia Lai điều tra vụ tra tấn dã man người giúp việc"
    bm25_only = {"lead_weight": 0.0, "pair_weight": 0.0, "window_weight": 0.0, "word_weight": 0.0}
    with _index(tmp_path_factory, "coverage", records) as ix:
        assert ids(ix.search(query)) == ["source", "neighbour", "other"]
        with ranking_params(ix, **bm25_only):
            assert ids(ix.search(query)) == ["source", "neighbour", "other"]
        # BM25 alone prefers the repetitions; the share of the query's words reverses it.
        with ranking_params(ix, coverage_weight=0.0, **bm25_only):
            assert ids(ix.search(query)) == ["neighbour", "source", "other"]


def test_question_words_are_not_required(archive):
    result = archive.search("giá vàng hôm nay bao nhiêu")
    assert ids(result) == ["gia-vang"] and not result.relaxed


def test_a_long_query_needs_most_of_its_significant_words(archive):
    # Six significant words (cách, đây, năm and ông are stop words, gì asks): a document
    # with half of them or more matches; one that shares only "ba năm" and "ông" does not.
    result = archive.search("Cách đây 3 năm ông Bình mắc bệnh tiểu đường gì?")
    assert ids(result) == ["ong-binh"] and result.total == 1 and not result.relaxed


def test_a_query_of_hundreds_of_words_counts_each_of_them(tmp_path_factory):
    # A pasted passage of 300 distinct words: the document with all of them matches, one
    # with a hundred (a third) does not. (The counts are kept in small integers: they
    # must hold more than 255 words.)
    consonants, vowels = "bcdghklmnpqrstvx", "aeiouy"
    words = [c + v for c in consonants for v in vowels] + [v + c for v in vowels for c in consonants]
    words += [v + w for v in vowels for w in vowels if v != w]  # 96 + 96 + 30: two letters each
    words += [c + v + "n" for c in consonants for v in vowels][: 300 - len(words)]
    records = [
        {"id": "all", "title": "Tất cả", "body": " ".join(words) + "."},
        {"id": "third", "title": "Một phần", "body": " ".join(words[:100]) + "."},
    ]
    with open_records_index(tmp_path_factory, "many-words", records) as ix:
        result = ix.search(" ".join(words))
        assert ids(result) == ["all"] and result.total == 1 and not result.relaxed


def test_a_long_query_relaxes_step_by_step(archive):
    # Eleven significant words that the archive has (the words it has nowhere do not
    # count); no article has half of them, the autumn one has five.
    result = archive.search("bệnh nhân tim mạch ăn rau sạch, uống trà xanh, đi bộ mùa thu khi lá vàng rơi")
    assert ids(result) == ["la-vang"] and result.relaxed
    assert result.notes == ["few documents have most of the query's words: showing those with fewer"]


FRUIT = "xoài mít ổi chuối cam bưởi nhãn vải dừa mận"


# Ten fruit a long query names: one article has half of them, one four, one two.
orchard = records_fixture(
    "orchard",
    [
        {"id": "half", "title": "Chợ trái cây", "body": "Chợ bán xoài, mít, ổi, chuối và cam."},
        {"id": "four", "title": "Vườn nhà", "body": "Vườn nhà trồng bưởi, nhãn, vải và dừa."},
        {"id": "two", "title": "Quà quê", "body": "Quà quê có mận và xoài."},
    ],
)


def test_a_long_query_relaxes_by_one_share_while_few_documents_qualify(orchard):
    # Only "half" has half of the ten words. With two documents asked for, the query
    # relaxes to the next share (four of ten): "four" joins, ranked below; "two", a fifth,
    # never does (relaxing for enough goes one share down, not to a few of the words).
    with ranking_params(orchard, long_query_enough=2):
        result = orchard.search(FRUIT)
    assert ids(result) == ["half", "four"] and result.total == 2 and result.relaxed
    assert result.notes == ["few documents have most of the query's words: showing those with fewer"]
    # Where one share down does not qualify enough, the strict rule stays (a small archive).
    for enough in (3, 100):
        with ranking_params(orchard, long_query_enough=enough):
            result = orchard.search(FRUIT)
        assert ids(result) == ["half"] and result.total == 1 and not result.relaxed


def test_a_short_query_never_relaxes_while_a_document_has_every_word(news):
    with ranking_params(news, long_query_enough=3):
        result = news.search("giá vàng")
    assert ids(result) == ["gia-vang"] and result.total == 1 and not result.relaxed


def test_or_takes_the_whole_words_on_each_side(archive):
    # Not "hà (nội OR hải) phòng": "Tiền Hải" and "nội dung" are not what was meant.
    assert set(ids(archive.search("hà nội OR hải phòng"))) == {"ha-noi", "hai-phong"}
    assert set(ids(archive.search("ha noi OR hai phong"))) == {"ha-noi", "hai-phong"}
    assert ids(archive.search("(hà nội OR hải phòng) cảng")) == ["hai-phong"]


def test_or_between_words_the_index_does_not_know(tmp_path_factory):
    # Neither "hà nội" nor "hải phòng" is in this archive: OR still joins the two words,
    # as many syllables on each side as the shorter side has, not "nội OR hải".
    records = [
        {
            "id": "tien-hai",
            "title": "Huyện Tiền Hải",
            "body": "Nội dung họp ở phòng truyền thống huyện Tiền Hải.",
        },
        {"id": "ha-giang", "title": "Hà Giang", "body": "Hà Giang mở phòng trưng bày, nội dung phong phú."},
    ]
    with _index(tmp_path_factory, "or-unknown", records) as ix:
        for query in ("hà nội OR hải phòng", "ha noi OR hai phong"):
            result = ix.search(query)
            assert ids(result) == [] and result.total == 0, query
        assert set(ids(ix.search("tiền hải OR hà giang"))) == {"tien-hai", "ha-giang"}
        assert ids(ix.search("huyện tiền OR hà")) == ["tien-hai"]  # huyện (tiền OR hà)


def test_a_long_pasted_title_reads_its_quotes_as_words(archive):
    # The article says "lập đỉnh mới", not the title's quoted "đỉnh cao chưa từng có".
    pasted = 'Giá vàng trong nước hôm nay "đỉnh cao chưa từng có" khiến người mua lo ngại'
    result = archive.search(pasted)
    assert ids(result)[0] == "gia-vang"
    assert any("quotes are read as words" in note for note in result.notes)
    # A short query keeps its phrase required, and so does +"…" in a long one.
    assert ids(archive.search('"đỉnh cao chưa từng có"')) == []
    assert (
        ids(archive.search('Giá vàng trong nước hôm nay +"đỉnh cao chưa từng có" khiến người mua lo')) == []
    )


def test_search_result_is_a_sequence_of_its_hits(news):
    result = news.search("vàng")
    assert len(result) == 2 == len(result.hits)
    assert [hit.id for hit in result] == ids(result) and result[0] is result.hits[0]
    assert result[-1].id == result.hits[-1].id and list(result[:1]) == result.hits[:1]
    assert len(news.search("giá", limit=1)) == 1 and news.search("giá", limit=1).total == 2


SHORT_QUERIES = [
    "giá vàng",
    "gia vang",
    "vàng",
    "ông bình",
    "ong binh nam",
    "hà nội",
    "hai phong cang",
    "ba năm",
    "trồng rau sạch",
    "của ông",
    "gì",
    "lá vàng 2023",  # (dates are not words of the text)
    "giá vàng đỉnh mới",
    "ông xăng",  # no document has both: relaxed, over the whole index
    "giả vàng",  # no document has both as typed: among those with both in any form
    "gia vàng",
]


def _same_in_universe(ix, monkeypatch, within: bool) -> set[str]:
    """Each of SHORT_QUERIES evaluated among the documents with all its words and over the
    whole index: the same mask, scores and relaxation (asserted); the queries that were
    scored over the whole index all the same (returned)."""
    import numpy as np

    from searchkit import ranking
    from searchkit.query import parse_query

    monkeypatch.setattr(ranking, "_UNIVERSE_BELOW", 0)  # (a small index: every query would be too many)
    monkeypatch.setattr(ranking, "_RAREST_BELOW", 0)
    reader = ix._current()
    mask = reader.date_mask(datetime(2023, 1, 1), None) if within else None
    found = {}
    real = ranking._universe
    for restricted in (True, False):
        if not restricted:
            monkeypatch.setattr(ranking, "_universe", lambda *args: None)
        found[restricted] = [ranking.evaluate(parse_query(q), reader, ix.params, mask) for q in SHORT_QUERIES]
    monkeypatch.setattr(ranking, "_universe", real)
    for q, a, b in zip(SHORT_QUERIES, found[True], found[False]):
        assert np.array_equal(a.mask, b.mask), q
        assert np.array_equal(a.scores, b.scores), q
        assert (a.relaxed, a.words, a.other_diacritics) == (b.relaxed, b.words, b.other_diacritics), q
    shorts = {q: ranking._short_words(parse_query(q), reader, ix.params) for q in SHORT_QUERIES}
    live = reader.live()
    return {q for q, short in shorts.items() if not short or real(short, reader, ix.params, live) is None}


@pytest.mark.parametrize("within", [False, True])
def test_a_short_query_scores_the_same_among_the_documents_with_every_word(archive, monkeypatch, within):
    """A short query of bare words is scored among the documents that have all its words
    (ranking._universe): each gets the score and match it has over the whole index."""
    whole = _same_in_universe(archive, monkeypatch, within)
    assert whole == {"gì", "ông xăng", "lá vàng 2023"}  # question words only; no document with every word


def test_a_short_query_scores_the_same_among_its_documents_with_deletions(tmp_path, monkeypatch):
    """The same where re-indexing has deleted documents (changed and removed articles)."""
    import os

    from conftest import write_records

    from searchkit import index_paths, open_index

    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_records(first, LONG[:6])
    write_records(second, LONG[6:])
    index_paths([tmp_path], tmp_path / "index", jobs=1)
    changed = [{**LONG[0], "body": LONG[0]["body"] + " Giá vàng thế giới giảm."}] + LONG[2:6]  # (one removed)
    write_records(first, changed)
    st = first.stat()  # (the modification time must move, even on coarse file systems)
    os.utime(first, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    index_paths([tmp_path], tmp_path / "index", jobs=1)
    with open_index(tmp_path / "index") as ix:
        assert ix._current()._deletions  # (the case under test)
        whole = _same_in_universe(ix, monkeypatch, within=False)
    assert "giá vàng" not in whole


@pytest.mark.parametrize("universe", [False, True])
def test_a_lead_kept_as_bits_or_as_documents_scores_the_same(archive, monkeypatch, universe):
    """The searcher keeps a common syllable's lead as a bit per document and a rare one's as
    its documents (reader.LEAD_BITS_ABOVE); both add the same to every document's score,
    over the whole index and among a short query's documents."""
    import numpy as np

    from searchkit import ranking, reader
    from searchkit.query import parse_query

    if universe:
        monkeypatch.setattr(ranking, "_UNIVERSE_BELOW", 0)
        monkeypatch.setattr(ranking, "_RAREST_BELOW", 0)
    queries = SHORT_QUERIES + ["ông Bình mắc bệnh gì ba năm trước", "Hải Phòng khánh thành cảng nước sâu"]
    found = {}
    for above in (10**9, 1):  # every lead as bits, then every lead as documents
        monkeypatch.setattr(reader, "LEAD_BITS_ABOVE", above)
        source = archive._current()
        source._lead.clear()
        found[above] = [ranking.evaluate(parse_query(q), source, archive.params) for q in queries]
        kinds = {source.lead_docs(s).dtype.kind for s in ("ong", "hai", "nam")}
        assert kinds == ({"u"} if above > 1 else {"i"})
    for q, a, b in zip(queries, found[10**9], found[1]):
        assert np.array_equal(a.scores, b.scores), q


# Many articles restating a few sentences: queries with many matches, words in most of them.
SENTENCES = [
    "Giá vàng trong nước hôm nay tăng mạnh.",
    "Thành phố Hải Phòng khánh thành cảng nước sâu.",
    "Bệnh viện tỉnh mở khoa tim mạch cho bệnh nhân nghèo.",
    "Ông An trồng rau sạch bán khắp tỉnh.",
    "Hà Nội cấm xe máy ở các quận trung tâm từ năm sau.",
    "Người dân được hỗ trợ vay vốn làm nhà.",
    "Các nhà khoa học tìm ra loài cá mới ở sông Mê Kông.",
    "Giá xăng giảm lần thứ ba trong năm.",
    "Học sinh được nghỉ Tết từ ngày mai.",
    "Ông Bình mắc bệnh tiểu đường ba năm trước.",
    "Hàng giả bán tràn lan ở chợ trong nước.",  # (``giả`` and ``giá``: one folded syllable)
]
QUERIES = [
    "giá vàng",
    "bệnh viện",
    "năm",
    "của các",
    "ông Bình mắc bệnh gì ba năm trước",
    "Hải Phòng khánh thành cảng nước sâu ở đâu",
    "bệnh viện tỉnh mở khoa tim mạch cho người bệnh",
    "người dân được hỗ trợ gì khi làm nhà",
    "gia vang trong nuoc hom nay tang manh",
    "giả vàng trong nước hôm nay tăng mạnh",  # (``giả``: a form no document has, ``giá`` folded)
    "giá bán hàng giả ở chợ",  # (either form, where the other is in many documents)
    "các nhà khoa học tìm ra loài cá nào ở sông",
]


@pytest.fixture(scope="module")
def restated(tmp_path_factory):
    import random

    pick = random.Random(7)
    records = [
        {
            "id": f"r{i}",
            "title": pick.choice(SENTENCES).rstrip("."),
            "body": " ".join(pick.sample(SENTENCES, pick.randint(1, 4))),
            "date": f"202{i % 4}-0{1 + i % 9}-01T08:00:00+07:00",
        }
        for i in range(120)
    ]
    with _index(tmp_path_factory, "restated", records) as ix:
        yield ix


@pytest.mark.parametrize("common", [2, 5])
@pytest.mark.parametrize("among_matches", [False, True])
@pytest.mark.parametrize("universe", [False, True])
@pytest.mark.parametrize("within", [False, True])
def test_the_best_documents_score_the_same_when_common_syllables_are_bounded(
    restated, monkeypatch, within, universe, among_matches, common
):
    """A search that reads only the best documents scores its common syllables only where
    their ceilings could still lift a document among them (ranking._pruned): the same
    matches, and the same best documents with the same scores, as scoring every document
    (those documents scored among themselves, as a universe, or over the whole index; the
    first pass over the matches alone or over the whole index)."""
    import dataclasses

    import numpy as np

    from searchkit import ranking
    from searchkit.query import parse_query

    monkeypatch.setattr(ranking, "_UNIVERSE_BELOW", 1 if universe else 10**9)
    monkeypatch.setattr(ranking, "_MATCHES_BELOW", 1 if among_matches else 10**9)
    monkeypatch.setattr(ranking, "_BOUND_ABOVE", common)  # (syllables in over a half or a fifth)
    params = dataclasses.replace(restated.params, window_depth=3)  # (fewer than the matches)
    reader = restated._current()
    mask = reader.date_mask(datetime(2021, 1, 1), None) if within else None
    unscored = 0
    left_out = set()  # what the first passes left out: syllables' scores, leads' bonuses
    contenders = ranking._contenders

    def spied(bounded, match, best):
        left_out.update(kind for _, kind, _ in bounded.left_out_syllables)
        return contenders(bounded, match, best)

    monkeypatch.setattr(ranking, "_contenders", spied)
    for q in QUERIES:
        parsed = parse_query(q)
        every = ranking.evaluate(parsed, reader, params, mask)
        for best in (1, 5):
            some = ranking.evaluate(parsed, reader, params, mask, best)
            assert np.array_equal(some.mask, every.mask), q
            assert (some.relaxed, some.words, some.other_diacritics) == (
                every.relaxed,
                every.words,
                every.other_diacritics,
            ), q
            matched = np.flatnonzero(every.mask)
            top = ranking.best_first(matched, every.scores, best)
            assert np.array_equal(ranking.best_first(matched, some.scores, best), top), q
            assert np.array_equal(some.scores[top], every.scores[top]), q
            unscored += int(np.count_nonzero(every.scores[matched] != some.scores[matched]))
    # (The case under test: some matches were not scored in full; a whole-index pass scores
    # all, and a first pass among the matches is followed by a second among the fewer left.)
    assert bool(unscored) == (universe or among_matches)
    assert left_out == {ranking._TERM, ranking._LEAD}


def test_a_universe_finds_its_documents_by_search_or_by_map():
    """_Evaluator._shared: the universe's documents among a term's, found by binary
    searches (of the universe's documents among the term's, or of the term's in the
    universe) or a map of the universe, whichever is cheaper, the same every way (the
    cases below take each of the three)."""
    import numpy as np

    from searchkit import ranking

    class Source:
        doc_count_all = doc_count = 5000
        cache: dict = {}

    pick = np.random.default_rng(3)
    for size, found in ((5, 3000), (3000, 5), (1000, 1000), (40, 0), (0, 40)):
        universe = np.sort(pick.choice(5000, size, replace=False))
        docs = np.sort(pick.choice(5000, found, replace=False))
        ev = ranking._Evaluator(Source(), ranking.RankingParams(), universe)  # type: ignore[arg-type]
        at, rows = ev._shared(docs)
        assert np.array_equal(universe[at], docs[rows])
        assert np.array_equal(docs[rows], np.intersect1d(universe, docs))


def test_a_syllables_ceiling_is_at_least_its_score_in_every_document(restated):
    """What _pruned leaves out of a first pass is bounded by the syllables' ceilings."""
    from searchkit import ranking, text

    reader = restated._current()
    ev = ranking._Evaluator(reader, restated.params)
    syllables = {s for q in QUERIES for s in text.normalize(q).lower().replace("?", "").split()}
    highest = {s: float(ev.term(s, None).max()) for s in syllables}
    assert all(0 < highest[s] <= ev.ceiling(s) for s in syllables if highest[s])
    assert max(highest[s] / ev.ceiling(s) for s in syllables if highest[s]) > 0.6  # (not a loose bound)


@pytest.mark.parametrize("spread", ["distinct", "mostly equal", "a few values", "ties at the top"])
@pytest.mark.parametrize("size", [1, 7, 8192, 8193, 50_000])
def test_the_kth_highest_is_numpys_however_the_values_are_spread(spread, size):
    """ranking.kth_highest, which looks only among the blocks that can hold the k highest
    values (np.partition is ten times slower on mostly equal values), finds what
    np.partition finds, for every k from 1 to 100 and the last."""
    import numpy as np

    from searchkit.ranking import kth_highest

    pick = np.random.default_rng(size)
    values = {
        "distinct": pick.random(size),
        "mostly equal": np.where(pick.random(size) < 0.02, pick.random(size), 0.0),
        "a few values": pick.integers(0, 3, size).astype(float),
        "ties at the top": np.where(pick.random(size) < 0.3, 2.0, pick.random(size)),
    }[spread].astype(np.float32)
    for k in sorted({*range(1, min(size, 100) + 1), size}):
        assert kth_highest(values, k) == np.partition(values, size - k)[size - k], (spread, size, k)


@pytest.mark.parametrize("wanted", [0, 1, 3, 10, 500, 9000, 20_000])
def test_the_newest_first_are_those_a_sort_of_every_match_puts_first(wanted):
    """Sorting by date sorts only the matches that can be among the ``wanted`` newest (those
    from the ``wanted``-th newest date on): the same hits, in the same order, as sorting
    them all (many share a date and a score; some have no date)."""
    import numpy as np

    from searchkit.search import _ranked
    from searchkit.store import UNDATED

    pick = np.random.default_rng(wanted)
    size = 12_000
    dates = pick.integers(0, 50, size) * 86_400
    dates[pick.random(size) < 0.2] = UNDATED
    scores = pick.integers(0, 4, size).astype(np.float32)
    matched = np.sort(pick.choice(size, 9000, replace=False))
    every = matched[np.lexsort((matched, -scores[matched], ~dates[matched]))][:wanted]
    assert _ranked(matched, scores, dates, wanted) == every.tolist()


def test_documents_tied_at_the_last_hit_are_taken_in_index_order():
    """Which of equal documents make the last hits depends on their order in the index,
    not on the scores of others (the same when scores are computed for a few, _pruned)."""
    import numpy as np

    from searchkit.ranking import best_first

    scores = np.full(40, 3, dtype=np.float32)
    scores[20] = 5
    assert best_first(np.arange(40), scores, 3).tolist() == [20, 0, 1]
    scores[30:] = 0  # (documents that cannot be among the best, left unscored)
    assert best_first(np.arange(40), scores, 3).tolist() == [20, 0, 1]
    assert best_first(np.arange(40), scores, 0).tolist() == []
    assert best_first(np.arange(3), scores, 5).tolist() == [0, 1, 2]
