"""Proximity in the ranking: among the best documents, one with the query's words together
in one passage ranks above one that scatters the same words over its body
(``RankingParams.window_weight``, ranking.py's ``_densest_passages``)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import open_records_index, ranking_params

from searchkit.ranking import _densest_passages

# Filler with none of the query's syllables in any form (folded ones included).
FILLER = "một hai ba bốn năm sáu bảy tám chín mười. "


def _filler(sentences: int) -> str:
    return FILLER * sentences


ARTICLES = [
    {
        # The three words in one sentence, past the lead.
        "id": "together",
        "title": "Chuyện cũ",
        "body": _filler(12) + "Đàn hươu ăn khoai trong rừng. " + _filler(30),
    },
    {
        # The same words once each, far apart, in a slightly shorter body (plain BM25
        # favours it).
        "id": "scattered",
        "title": "Chuyện khác",
        "body": _filler(12) + "Đàn hươu. " + _filler(14) + "Ăn khoai. " + _filler(14) + "Trong rừng. ",
    },
    {"id": "other", "title": "Tin khác", "body": _filler(5) + "Chợ quê."},
    {
        # "sông" far from the others; beside them "sống", which folds to the same "song".
        "id": "other-form",
        "title": "Chuyện cũ",
        "body": _filler(12) + "Đàn nai ăn sắn để sống. " + _filler(15) + "Bên sông. ",
    },
    {
        "id": "as-typed",
        "title": "Chuyện cũ",
        "body": _filler(12) + "Đàn nai ăn sắn bên sông. " + _filler(16),
    },
]


@pytest.fixture(scope="module")
def window_index(tmp_path_factory):
    with open_records_index(tmp_path_factory, "window", ARTICLES) as ix:
        yield ix


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


@pytest.mark.parametrize("query", ["hươu khoai rừng", "huou khoai rung"])
def test_the_words_together_rank_above_the_same_words_scattered(window_index, query):
    assert ids(window_index.search(query)) == ["together", "scattered"]


def test_without_the_proximity_weight_the_shorter_body_ranks_first(window_index):
    # The same query and documents: what puts "together" first is the densest passage.
    with ranking_params(window_index, window_weight=0.0):
        assert ids(window_index.search("hươu khoai rừng")) == ["scattered", "together"]


class _Positions:
    """A PostingsSource's ``positions`` over fixed occurrences: {term: [(doc, position)]}."""

    def __init__(self, occurrences: dict[str, list[tuple[int, int]]]):
        self.occurrences = occurrences

    def positions(self, field: str, term: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        found = [(d, p) for d, p in self.occurrences.get(term, []) if d in set(docs.tolist())]
        doc_of, position = zip(*found) if found else ((), ())
        return np.array(doc_of, dtype=np.int64), np.array(position, dtype=np.int64)


def test_the_densest_passage_counts_each_word_once_within_the_width():
    source = _Positions(
        {
            "a": [(0, 0), (0, 1), (0, 2), (1, 100)],  # doc 0: "a" three times, one passage
            "b": [(0, 50), (1, 103)],
            "c": [(1, 139), (1, 140)],
        }
    )
    idfs = {("body_fold", "a"): 1.0, ("body_fold", "b"): 2.0, ("body", "c"): 4.0}
    dense = _densest_passages(source, np.array([0, 1]), idfs, width=40)  # type: ignore[arg-type]
    # doc 0: "a" (once, however often) or "b", never both within 40; doc 1: all three
    # within positions 100..139, "c" at 140 being 41 past "a".
    assert dense.tolist() == [2.0, 7.0]


def test_documents_without_the_words_in_their_body_have_no_passage():
    # The best documents may match in their titles only: none has a position in the body.
    source = _Positions({"a": [], "b": []})
    idfs = {("body_fold", "a"): 1.0, ("body_fold", "b"): 2.0}
    dense = _densest_passages(source, np.array([3, 7]), idfs, width=40)  # type: ignore[arg-type]
    assert dense.tolist() == [0.0, 0.0]


def test_a_query_found_only_in_a_title_is_answered(tmp_path_factory):
    # Other articles have some of the words in their bodies, so the proximity step runs.
    records = [
        {"id": "camp", "title": "Dựng lều cắm trại", "body": "Hoạt động ngoài trời cuối tuần."},
        {"id": "tent", "title": "Mua sắm", "body": "Cách dựng lều trên núi."},
        {"id": "site", "title": "Du lịch", "body": "Khu cắm trại ven hồ."},
    ]
    with open_records_index(tmp_path_factory, "title-only", records) as ix:
        assert [hit.id for hit in ix.search("dựng lều cắm trại")] == ["camp"]


def test_an_accented_word_counts_in_the_passage_in_its_own_form(window_index):
    # Both documents have "sông" (the match rule asks for it as typed); only "as-typed"
    # has it beside "nai" and "sắn". Without diacritics both passages count.
    assert ids(window_index.search("nai sắn sông")) == ["as-typed", "other-form"]


def test_reader_positions_of_some_documents_are_those_of_all_filtered(window_index):
    # The reader gathers only the wanted documents' runs of positions; the reference
    # expands every posting and filters.
    reader = window_index._current()
    everyone = np.arange(reader.doc_count_all)
    # (In ``body``: ``body_fold`` reads its positions from these forms, test_postings.py.)
    forms = [form for folded in ("khoai", "mot", "hai", "song") for form, _ in reader.accented_forms(folded)]
    assert len(forms) > 4
    for term in forms:
        docs_all, positions_all = [], []
        for part, base in reader.parts:
            i = part.find("body", term)
            if i >= 0:
                local, tf = part.postings("body", i)
                docs_all.append(np.repeat(local.astype(np.int64) + base, tf))
                positions_all.append(part.positions("body", i).astype(np.int64))
        expected_docs, expected_positions = np.concatenate(docs_all), np.concatenate(positions_all)
        for wanted in (everyone, everyone[::2], everyone[1:2], everyone[:0]):
            docs, positions = reader.positions("body", term, wanted)
            keep = np.isin(expected_docs, wanted)
            assert docs.tolist() == expected_docs[keep].tolist(), (term, wanted)
            assert positions.tolist() == expected_positions[keep].tolist(), (term, wanted)
