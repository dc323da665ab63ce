"""The passage each hit shows: the sentences that answer the query, within 50 syllables,
with highlights on the original characters."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st

from searchkit import text
from searchkit.passages import MAX_SYLLABLES, best_passage

ARTICLE = (
    "Hội nghị tổng kết năm diễn ra tại Hà Nội. "
    "Nhiều đại biểu phát biểu về kinh tế. "
    "Resveratrol là một hợp chất trong vỏ nho có khả năng chống oxy hóa. "
    "Nó còn chống nấm mốc và ký sinh trùng. "
    "Các nhà khoa học sẽ thử nghiệm thêm trên người vào năm sau."
)


def syllables_of(query: str) -> list[str]:
    return [s.text for s in text.syllables(query)]


def marked(passage) -> list[str]:
    return [passage.text[a:b] for a, b in passage.highlights]


def test_the_sentence_that_answers_then_the_one_after_it():
    passage = best_passage(ARTICLE, syllables_of("Chất trong vỏ nho có tác dụng gì?"), max_syllables=30)
    assert passage.text.startswith("Resveratrol là một hợp chất trong vỏ nho")
    assert passage.text.endswith("chống nấm mốc và ký sinh trùng.")  # the next sentence fits
    alone = best_passage(ARTICLE, syllables_of("Chất trong vỏ nho có tác dụng gì?"), grow=False)
    assert alone.text == "Resveratrol là một hợp chất trong vỏ nho có khả năng chống oxy hóa."
    assert len(text.syllables(best_passage(ARTICLE * 3, syllables_of("vỏ nho")).text)) <= MAX_SYLLABLES
    assert set(marked(passage)) >= {"chất", "trong", "vỏ", "nho", "có"}


def test_words_in_few_sentences_outweigh_the_articles_topic():
    """tf-isf: "nho" is in every sentence (the topic) and "vỏ" in three; "mốc" is in one."""
    article = "Vỏ nho đỏ. Vỏ nho xanh. Vỏ nho tím. Nho chống mốc. Nho rẻ."
    query = syllables_of("vỏ nho mốc")
    assert best_passage(article, query, grow=False).text == "Nho chống mốc."
    flat = best_passage(article, query, grow=False, sentence_weights=False)
    assert flat.text == "Vỏ nho đỏ."  # every word counting 1, the topic wins


def test_adjacent_query_pairs_count():
    article = "Tàu hỏa chạy qua cầu. Cầu mới cho tàu và xe hỏa tốc. Hai câu khác."
    with_pairs = best_passage(article, syllables_of("cầu tàu hỏa"), grow=False)
    assert with_pairs.text == "Tàu hỏa chạy qua cầu."
    without = best_passage(article, syllables_of("cầu tàu hỏa"), grow=False, pair_weight=0.0)
    assert without.text == "Tàu hỏa chạy qua cầu."  # a tie: the earlier sentence
    reordered = "Cầu mới cho tàu và xe hỏa tốc. Tàu hỏa chạy qua cầu. Hai câu khác."
    assert best_passage(reordered, syllables_of("cầu tàu hỏa"), grow=False).text == "Tàu hỏa chạy qua cầu."
    assert best_passage(reordered, syllables_of("cầu tàu hỏa"), grow=False, pair_weight=0.0).text.startswith(
        "Cầu mới"
    )


def test_a_long_sentence_is_cut_around_its_matches_at_word_boundaries():
    filler = " ".join(["các", "đơn", "vị", "đã", "làm", "việc"] * 15)
    article = f"Mở đầu {filler} rồi vắc xin phòng bệnh sởi được tiêm miễn phí {filler} hết."
    passage = best_passage(article, syllables_of("vắc xin sởi"))
    assert passage.text.startswith("…") and passage.text.endswith("…")
    assert len(text.syllables(passage.text)) == MAX_SYLLABLES
    assert marked(passage) == ["vắc", "xin", "sởi"]
    inner = passage.text.strip("…")
    assert inner in article and article[article.index(inner) - 1] == " "  # whole words


def test_highlights_land_on_the_original_characters_nfd_and_old_tone_marks():
    source = "Thuỷ điện Hoà Bình phát điện. Một câu khác nữa về thời tiết ở miền núi phía bắc."
    for variant in (source, unicodedata.normalize("NFD", source)):
        passage = best_passage(variant, syllables_of("thủy điện hòa bình"), grow=False)
        assert passage.text == variant[: variant.index(".") + 1]
        words = [unicodedata.normalize("NFC", w) for w in marked(passage)]
        assert words == ["Thuỷ", "điện", "Hoà", "Bình", "điện"]


def test_typed_without_diacritics_matches_every_accented_form():
    passage = best_passage(ARTICLE, syllables_of("vo nho chong oxy hoa"), grow=False)
    assert passage.text.startswith("Resveratrol")
    assert marked(passage) == ["vỏ", "nho", "chống", "oxy", "hóa"]


def test_no_match_gives_the_first_sentences_and_empty_text_gives_nothing():
    passage = best_passage(ARTICLE, syllables_of("xyzzy"))
    assert passage.text.startswith("Hội nghị tổng kết") and passage.highlights == []
    assert best_passage("  ", syllables_of("a")).text == ""


def test_answering_sentences_are_the_best_in_document_order():
    from searchkit.passages import answering_sentences

    spans = answering_sentences(ARTICLE, syllables_of("nho chống mốc thử nghiệm"), 2)
    chosen = [ARTICLE[a:b] for a, b in spans]
    # the pair "thử nghiệm" ranks its sentence first; of the two sentences with two query
    # words each (a tie), the earlier; then back in document order
    assert chosen == [
        "Resveratrol là một hợp chất trong vỏ nho có khả năng chống oxy hóa.",
        "Các nhà khoa học sẽ thử nghiệm thêm trên người vào năm sau.",
    ]
    assert answering_sentences(ARTICLE, syllables_of("xyzzy"), 1) == [(0, ARTICLE.index(".") + 1)]
    assert answering_sentences(ARTICLE, syllables_of("nho"), 0) == []


WORDS = "Thuỷ điện Hoà Bình khởi công năm 1979 nhà máy có tám tổ Việt Nam ĐÀ NẴNG nghiêng ưu tiên".split()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(WORDS + [".", ", ", "\n", "Ð"]), min_size=1, max_size=40), st.data())
def test_decomposed_text_matches_in_one_scan_as_syllable_by_syllable(pieces, data):
    """The one-scan path for NFD text finds exactly what tokenising it syllable by
    syllable finds, at the same offsets."""
    from searchkit import passages

    source = unicodedata.normalize("NFD", " ".join(pieces))
    query = data.draw(
        st.lists(st.sampled_from([w.lower() for w in WORDS] + ["viet", "nam", "da"]), max_size=5)
    )
    exact = {s for s in query if text.has_diacritics(s)}
    folded = set(query) - exact
    fast = passages._matches_in_composed(source, exact, folded)
    assert fast is not None
    assert fast == passages._matches_by_syllable(source, exact, folded)


# Syllables sharing their consonants: the pattern of one typed without diacritics takes
# any letter for a vowel or d, so these are the candidates it must then turn away.
LOOK_ALIKES = "nông nóng nong nang năng nắng nung lá lo lê lũ đá da dè đi đổ do".split()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(LOOK_ALIKES + ["Nông", "NẮNG", ".", ", ", "_"]), min_size=1, max_size=30),
    st.data(),
)
def test_one_scan_keeps_only_the_syllables_that_fold_to_the_query(pieces, data):
    """The one-scan path for NFC text finds exactly what tokenising it syllable by
    syllable finds, look-alike syllables of the same consonants turned away."""
    from searchkit import passages

    source = " ".join(pieces)
    query = data.draw(
        st.lists(st.sampled_from(LOOK_ALIKES + ["nong", "nang", "la", "lo", "da", "do", "di"]), max_size=5)
    )
    exact = {s for s in query if text.has_diacritics(s)}
    folded = set(query) - exact
    fast = passages._matches_in_nfc(source, exact, folded)
    assert fast is not None
    assert fast == passages._matches_by_syllable(source, exact, folded)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", None, None]), min_size=1, max_size=30), st.integers(1, 10))
def test_the_sliding_window_finds_the_window_a_full_recount_finds(found, width):
    from searchkit.passages import _densest

    width = min(width, len(found))
    words = [(2 * i, 2 * i + 1) for i in range(len(found))]
    keys = {2 * i: k for i, k in enumerate(found) if k}
    weights = {"a": 1.0, "b": 2.5, "c": 0.25}

    def recount(at: int) -> float:
        return sum(weights[k] for k in {k for k in found[at : at + width] if k})

    scores = [recount(at) for at in range(len(found) - width + 1)]
    assert _densest(words, keys, weights.__getitem__, width) == scores.index(max(scores))


def test_every_surface_highlights_the_original_characters(tmp_path_factory):
    # An article stored in NFD with old-style tone marks, queried in the new style: the
    # library, the CLI's JSON and the HTTP API mark the article's own characters.
    import json

    from conftest import open_records_index
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from searchkit.cli import app
    from searchkit.server import create_app

    body = unicodedata.normalize("NFD", "Thuỷ điện Hoà Bình phát điện. Trời mưa to ở miền núi phía bắc.")
    records = [
        {"id": "hb", "title": "Tin thủy điện", "body": body},
        {"id": "x", "title": "Khác", "body": "Chợ."},
    ]
    query = "thủy điện hòa bình"
    with open_records_index(tmp_path_factory, "surfaces", records) as ix:
        folder = ix.path
        (hit,) = ix.search(query).hits
        shown = [("library", hit.snippet, hit.highlights)]
    done = CliRunner().invoke(app, ["query", query, "--index", str(folder), "--json"])
    (cli_hit,) = json.loads(done.stdout)["hits"]
    shown.append(("cli", cli_hit["snippet"], cli_hit["highlights"]))
    with TestClient(create_app(folder)) as client:
        (http_hit,) = client.get("/search", params={"q": query}).json()["hits"]
    shown.append(("http", http_hit["snippet"], http_hit["highlights"]))
    for surface, snippet, highlights in shown:
        words = [unicodedata.normalize("NFC", snippet[a:b]) for a, b in highlights]
        assert words[:4] == ["Thuỷ", "điện", "Hoà", "Bình"], (surface, snippet, words)
