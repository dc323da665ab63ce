"""Search over a real index: Vietnamese matching, query features, snippets, the API."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from conftest import SAMPLE_IDS

from searchkit import (
    Document,
    DocumentNotFoundError,
    IndexNotFoundError,
    QuerySyntaxError,
    index_paths,
    open_index,
    ranking,
)
from searchkit.query import parse_query
from searchkit.text import fold_diacritics, normalize_term


def ids(result):
    return [h.id for h in result.hits]


def test_nong_thon_moi_finds_both_sample_articles_in_every_form(ix):
    accented = ids(ix.search("nông thôn mới"))
    assert set(accented[:2]) == SAMPLE_IDS
    assert ids(ix.search(unicodedata.normalize("NFD", "nông thôn mới"))) == accented
    # Without diacritics "moi" also matches "mỗi" (another record), so compare the
    # sample articles' order; the CLI test checks identical lists on the sample corpus.
    unaccented = ids(ix.search("nong thon moi"))
    assert [i for i in unaccented if i in SAMPLE_IDS] == [i for i in accented if i in SAMPLE_IDS]


def test_tone_mark_conventions_give_the_same_results(ix):
    assert ids(ix.search("văn hoá")) == ids(ix.search("văn hóa"))
    assert ix.search("thuỷ điện hoà bình").hits[0].id == "thuy-dien"
    assert [h.score for h in ix.search("thuỷ điện hoà bình").hits] == [
        h.score for h in ix.search("thủy điện hòa bình").hits
    ]


def test_highlight_lands_on_the_original_old_style_spelling(ix):
    hit = next(h for h in ix.search("thể chế hóa").hits if h.id == "tao-du-dia-phat-trien-moi.txt")
    marked = [hit.snippet[s:e] for s, e in hit.highlights]
    assert "thể chế hoá" in hit.snippet
    assert {"thể", "chế", "hoá"} <= set(marked)


def test_every_highlight_offset_covers_a_query_syllable(ix):
    for query in ("nông thôn mới", "nong thon moi", "giao thông"):
        wanted = {fold_diacritics(normalize_term(w)) for w in query.split()}
        hits = ix.search(query).hits
        assert hits[0].highlights
        for hit in hits:
            for start, end in hit.highlights:
                assert fold_diacritics(normalize_term(hit.snippet[start:end])) in wanted


def test_accented_query_matches_the_exact_form_and_other_forms_only_when_none_has_it(ix):
    # "mới" and "mỗi" fold alike: the accented query matches the documents with the form
    # typed; a form no document has (a mistyped tone) falls back to the other forms.
    assert "hn-giao-thong" in ids(ix.search("mới")) and "moi-nguoi" not in ids(ix.search("mới"))
    assert ids(ix.search("mỗi"))[0] == "moi-nguoi"
    mistyped = ix.search("mởi người")
    assert ids(mistyped)[0] == "moi-nguoi" and mistyped.relaxed
    assert mistyped.notes == [
        "no document has the words with the diacritics typed: showing those with other diacritics"
    ]


def test_title_matches_outrank_body_matches(ix):
    assert ids(ix.search("cảng"))[0] == "hp-cang"


def test_phrase_requires_adjacent_words(ix):
    assert ids(ix.search('"cảng hải phòng"')) == ["hp-cang"]
    assert ids(ix.search('"hai phong cang"')) == []


def test_exclusion(ix):
    assert "hn-giao-thong" in ids(ix.search("giao thông"))
    result = ids(ix.search('giao thông -"hà nội"'))
    assert "hn-giao-thong" not in result and "hp-cang" in result


def test_or_and_groups(ix):
    assert set(ids(ix.search('"hà nội" OR "hải phòng"'))) == {"hn-giao-thong", "hp-cang"}
    assert ids(ix.search('("hà nội" OR "hải phòng") +container')) == ["hp-cang"]


def test_fields(ix):
    assert ids(ix.search("title:cảng")) == ["hp-cang"]
    assert ids(ix.search('author:"tran thi binh" giao thông')) == ["hp-cang"]
    assert ids(ix.search("title:mới")) != ids(ix.search("mới"))


def test_date_filters_and_sort(ix):
    assert len(ids(ix.search("giao thông"))) > 2
    window = ids(ix.search("giao thông", since="2023-01-15", until="2023-02-20"))
    assert set(window) == {"hn-giao-thong", "hp-cang"}  # both bounds inclusive
    assert ids(ix.search("điện", until="2022-12-01")) == ["thuy-dien"]
    by_date = ix.search('title:"mở rộng" OR "thuỷ điện"', sort="date")
    assert ids(by_date) == ["hp-cang", "thuy-dien"]


def test_author_and_category_filters(ix):
    assert ids(ix.search("mở rộng", category="kinh te")) == ids(ix.search("mở rộng", category="Kinh tế"))
    assert set(ids(ix.search("mở rộng", category="Kinh tế"))) == {"hp-cang", "thuy-dien"}
    assert ids(ix.search("mở rộng", author="Lê Văn Cường")) == ["thuy-dien"]


def test_facets_count_all_matches(ix):
    result = ix.search('title:"mở rộng" OR "thuỷ điện"', facets=True)
    assert result.facets["category"] == {"Kinh tế": 2}  # as the articles spell it
    assert result.facets["month"] == {"2022-12": 1, "2023-02": 1}
    assert result.facets["author"] == {"Lê Văn Cường": 1, "Trần Thị Bình": 1}
    # each author value narrows to that author's matches
    for author, count in result.facets["author"].items():
        assert ix.search('title:"mở rộng" OR "thuỷ điện"', author=author).total == count


def test_paging(ix):
    full = ids(ix.search("nông thôn mới giao thông", limit=10))
    assert ids(ix.search("nông thôn mới giao thông", limit=2, offset=1)) == full[1:3]
    assert ix.search("nông thôn mới giao thông", limit=2).total == len(full)


def test_get_returns_the_stored_article(ix):
    doc = ix.get("doi-moi-tu-duy-hanh-dong-quyet-liet.txt")
    assert doc.title == "Đổi mới tư duy, hành động quyết liệt"
    assert isinstance(doc, Document) and "nông thôn mới" in doc.body
    with pytest.raises(DocumentNotFoundError):
        ix.get("../etc/passwd")


def test_malformed_query_raises(ix):
    with pytest.raises(QuerySyntaxError):
        ix.search('"unbalanced', strict=True)


def test_result_dict_shape(ix):
    data = ix.search("nông thôn mới").to_dict()
    assert {"query", "total", "hits"} <= set(data)
    for hit in data["hits"]:
        assert {"id", "title", "date", "author", "url", "path", "score", "snippet", "summary"} <= set(hit)


def test_missing_index(tmp_path):
    with pytest.raises(IndexNotFoundError, match="searchkit index"):
        open_index(tmp_path / "nothing")


def test_did_you_mean_only_when_it_finds_more(ix):
    # Typed without diacritics, a query already matches every accented form: no suggestion.
    for query in ("nong thon", "cang hai phong", "giao thong ha noi", "nông thôn mới", '"nong thon"'):
        assert ix.search(query).suggestion is None, query


def test_did_you_mean_fixes_a_mistyped_syllable(ix):
    result = ix.search("cangg hai phong")
    assert result.suggestion == "cảng hải phòng"  # shown with its likely diacritics
    assert ix.search(result.suggestion).hits[0].id == "hp-cang"
    # a mistyped tone: found only with other diacritics, the correction finds it as typed
    assert ix.search("thôn mơi").suggestion == "thôn mới"


def test_did_you_mean_keeps_the_marks_typed(ix):
    """A syllable typed with diacritics is corrected only to a form one letter away as
    typed: ``thủy`` is not ``thực`` (its letters without marks are one edit apart)."""
    from searchkit.suggest import _one_edit

    assert _one_edit("thủy", "thủy") and _one_edit("mởi", "mới") and _one_edit("cangg", "cang")
    assert not _one_edit("thủy", "thực") and not _one_edit("ab", "ba c")
    assert ix.search("thủy").suggestion != "thực"
    assert ix.search("cảnng").suggestion == "cảng"


def test_a_syllable_matching_two_query_forms_is_highlighted_once(ix):
    # "mới" matches both the exact "mới" and the unaccented "moi" of the query.
    hits = ix.search("mới moi").hits
    assert hits
    for hit in hits:
        assert len(set(hit.highlights)) == len(hit.highlights), hit.id


def test_facet_labels_are_spelled_as_most_articles_spell_them(tmp_path):
    """Spellings that differ in case or tone-mark placement count as one category, shown
    as most of its articles write it (not lower-cased)."""
    from conftest import write_records

    records = [
        {"id": f"a{i}", "title": "Hợp tác xã", "body": "Hợp tác xã kiểu mới.", "category": category}
        for i, category in enumerate(
            ["Kinh tế", "Kinh tế", "kinh tế", "Văn hoá", "Văn hóa", "Văn hóa", "VĂN HÓA"]
        )
    ]
    write_records(tmp_path / "c.jsonl", records)
    index_paths([tmp_path / "c.jsonl"], tmp_path / "index", jobs=1)
    with open_index(tmp_path / "index") as ix:
        result = ix.search("hợp tác xã", facets=True)
        assert result.facets is not None
        assert result.facets["category"] == {"Kinh tế": 3, "Văn hóa": 4}
        assert ix.search("hợp tác xã", category="van hoa").total == 4


def test_hits_read_their_sentences_from_the_index(ix, monkeypatch):
    """Passages use the sentence spans stored at indexing, and they are the spans the
    splitter gives (so a passage is the same whether they were stored or not)."""
    from searchkit import search, sentences

    calls = []
    real = sentences.split_sentences
    monkeypatch.setattr(sentences, "split_sentences", lambda t: calls.append(t) or real(t))
    stored = [(h.id, h.snippet, h.highlights) for h in ix.search("nông thôn mới")]
    assert stored and not calls  # nothing split at search time
    monkeypatch.setattr(search, "stored_sentence_ends", lambda source, ends: None)
    assert [(h.id, h.snippet, h.highlights) for h in ix.search("nông thôn mới")] == stored


def test_an_index_made_before_the_author_facet_still_reads_and_updates(tmp_path, monkeypatch):
    """Its schema has no author column: it counts no authors, and indexing more into it works."""
    from conftest import RECORDS, write_records

    from searchkit import index as index_module, store

    def old_schema():
        schema = store.schema()
        schema.remove("author_name")
        return schema

    write_records(tmp_path / "a.jsonl", RECORDS[:2])
    with monkeypatch.context() as patched:
        patched.setattr(index_module, "schema", old_schema)
        index_paths([tmp_path], tmp_path / "index", jobs=1)
    write_records(tmp_path / "b.jsonl", RECORDS[2:])
    report = index_paths([tmp_path], tmp_path / "index", jobs=1)  # with today's code
    assert report.added == len(RECORDS) - 2 and not report.problems
    with open_index(tmp_path / "index") as old:
        assert "author_name" not in old._searcher.schema
        result = old.search("mở rộng OR giao thông", facets=True)
        assert result.total == 3 and result.facets is not None
        assert result.facets["author"] == {} and result.facets["category"] == {"Kinh tế": 2, "Xã hội": 1}
        assert old.search("mở rộng", author="Lê Văn Cường").total == 1  # the filter still works


@pytest.mark.parametrize(
    "query", ["nông thôn mới", "nong thon moi", "khoai sắn", "cảng hải phòng mở rộng", "title:cảng", "điện"]
)
def test_bm25f_over_the_documents_with_the_term_is_bm25f_over_all(ix, monkeypatch, query):
    """BM25F sums a rare term's fields over its documents' ids and a common one's over a
    dense array (ranking._SPARSE_BELOW): the scores are the same to the bit either way."""
    reader = ix._current()
    parsed = parse_query(query)
    monkeypatch.setattr(ranking, "_SPARSE_BELOW", 10**9)  # always dense
    dense = ranking.evaluate(parsed, reader, ix.params)
    monkeypatch.setattr(ranking, "_SPARSE_BELOW", 0)  # always over the ids
    sparse = ranking.evaluate(parsed, reader, ix.params)
    assert np.array_equal(dense.mask, sparse.mask)
    assert np.array_equal(dense.scores, sparse.scores)
    assert dense.mask.any()
