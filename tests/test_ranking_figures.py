"""Figures in the ranking: a query's exact figure (an amount, a date), which the analyser
splits into number syllables (``20/5/2017`` → ``20 5 2017``), ranks a document with the
whole figure above one with its pieces elsewhere (``RankingParams.number_weight``)."""

from __future__ import annotations

import pytest
from conftest import open_records_index, ranking_params

from searchkit.ranking import _figures

ARTICLES = [
    {
        "id": "figure",
        "title": "Thời tiết",
        "body": "Cơn bão đổ bộ vào đất liền ngày 20/5/2017, gây mưa lớn ở nhiều tỉnh miền Trung.",
    },
    {
        # The same pieces (and the same adjacent pairs, 20 5 and 5 2017), but not the date:
        # a shorter text with "5" twice, which plain BM25 prefers.
        "id": "pieces",
        "title": "Thời tiết",
        "body": "Cơn bão đổ bộ ngày 20/5, sớm hơn tin tháng 5/2017.",
    },
    {"id": "other", "title": "Chợ quê", "body": "Chợ quê họp sáng sớm ngày 3/2."},
]


@pytest.fixture(scope="module")
def figures_index(tmp_path_factory):
    with open_records_index(tmp_path_factory, "figures", ARTICLES) as ix:
        yield ix


def ids(result) -> list[str]:
    return [h.id for h in result.hits]


@pytest.mark.parametrize("query", ["bão 20/5/2017", "bao 20-5-2017"])
def test_the_whole_figure_ranks_first(figures_index, query):
    assert ids(figures_index.search(query)) == ["figure", "pieces"]


def test_without_the_figure_weight_the_pieces_rank_first(figures_index):
    with ranking_params(figures_index, number_weight=0.0):
        assert ids(figures_index.search("bão 20/5/2017")) == ["pieces", "figure"]


def test_figures_are_number_runs_and_numbers_of_two_digits():
    runs = [["lừa", "2", "7", "tỷ", "đồng", "lớp", "9"], ["năm", "2017"], ["8x", "13", "tuổi"]]
    assert _figures(runs) == [["2", "7"], ["2017"], ["13"]]
