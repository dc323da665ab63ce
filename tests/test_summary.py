"""Extractive summaries: every method returns whole sentences of the normalised input."""

from __future__ import annotations

import unicodedata

import pytest

from searchkit import segment, summary
from searchkit.errors import InvalidParameterError
from searchkit.text import normalize, tokens

TITLE = "Khởi tố hai nhân viên công ty địa ốc chống lệnh cưỡng chế"
ARTICLE = (
    "Ngày 22/6, cơ quan CSĐT Công an TP. Vũng Tàu đã khởi tố vụ án gây rối trật tự công cộng. "
    "Hai nhân viên công ty địa ốc bị tạm giam về hành vi cố ý làm hư hỏng tài sản. "
    "Theo hồ sơ, sáng 13/6, UBND xã phối hợp với các cơ quan chức năng tiến hành cưỡng chế. "
    "Khoảng 60 – 70 người mặc áo của công ty địa ốc đã tập trung lại, hò hét và cản trở. "
    "Đoàn cưỡng chế đã giải thích rõ nhiệm vụ và yêu cầu đám đông chấp hành. "
    "Tuy nhiên, đám đông vẫn cương quyết chống đối, đập phá chiếc máy múc. "
    "Tại cơ quan điều tra, các bị can khai nhận hành vi cố ý làm hư hỏng tài sản.\n"
    "Ảnh: Nhân viên công ty địa ốc tập trung ngăn cản lực lượng chức năng"
)


def sentences_of(text: str) -> list[str]:
    from searchkit.sentences import split_sentences

    normalised = normalize(text)
    return [normalised[a:b] for a, b in split_sentences(normalised)]


def assert_in_order_substrings(result: list[str], text: str) -> None:
    normalised = unicodedata.normalize("NFC", text)
    position = 0
    for sentence in result:
        found = normalised.find(sentence, position)
        assert found >= 0, f"{sentence!r} is not a substring after offset {position}"
        position = found + len(sentence)


def test_method_names() -> None:
    expected = {"lsa", "luhn", "edmundson", "lex-rank", "text-rank", "sum-basic", "kl", "reduction", "random"}
    assert expected | {"lead"} <= set(summary.METHODS)
    assert summary.DEFAULT_METHOD in summary.METHODS
    assert summary.DEFAULT_METHOD != "lead"


@pytest.mark.parametrize("method", summary.METHODS)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_exact_substrings_in_document_order(method: str, count: int) -> None:
    result = summary.summarize(ARTICLE, count, method=method, title=TITLE)
    assert 1 <= len(result) <= count
    assert len(set(result)) == len(result)
    assert set(result) <= set(sentences_of(ARTICLE))
    assert_in_order_substrings(result, ARTICLE)


def test_default_and_lead() -> None:
    assert summary.summarize(ARTICLE, 2, method="lead") == sentences_of(ARTICLE)[:2]
    assert summary.summarize(ARTICLE, 2) == summary.summarize(ARTICLE, 2, method=summary.DEFAULT_METHOD)


@pytest.mark.parametrize("method", summary.METHODS)
def test_more_sentences_asked_than_there_are(method: str) -> None:
    text = "Hà Nội mưa to suốt đêm qua. Nhiều tuyến phố bị ngập sâu. Giao thông ùn tắc kéo dài."
    assert summary.summarize(text, 10, method=method) == sentences_of(text)


@pytest.mark.parametrize("method", summary.METHODS)
@pytest.mark.parametrize("text", ["", "   \n  "])
def test_empty_input(method: str, text: str) -> None:
    assert summary.summarize(text, 3, method=method) == []


@pytest.mark.parametrize("method", summary.METHODS)
def test_one_sentence(method: str) -> None:
    text = "Công an TP. HCM khởi tố vụ án lừa đảo chiếm đoạt 1.500 tỷ đồng."
    assert summary.summarize(text, 3, method=method, title="Khởi tố vụ án") == [text]


@pytest.mark.parametrize("method", summary.METHODS)
def test_no_final_punctuation(method: str) -> None:
    text = "Giá xăng tăng mạnh từ chiều nay. Người dân đổ xô đi mua xăng. Cửa hàng xăng dầu đông nghịt người"
    result = summary.summarize(text, 3, method=method)
    assert result == sentences_of(text)
    assert result[-1] == "Cửa hàng xăng dầu đông nghịt người"


def test_zero_sentences() -> None:
    assert summary.summarize(ARTICLE, 0) == []


def test_unknown_method_lists_the_methods() -> None:
    # A SearchkitError: every surface reports it as a bad parameter (HTTP 422, exit 2).
    with pytest.raises(InvalidParameterError) as error:
        summary.summarize(ARTICLE, 2, method="bert")
    for name in summary.METHODS:
        assert name in str(error.value)


def test_input_is_quoted() -> None:
    """Old tone marks and NFD input: results are substrings of the NFC text, not normalised."""
    text = unicodedata.normalize("NFD", "Thuỷ điện Hoà Bình phát điện. Công suất tăng mạnh. Dân vui mừng.")
    result = summary.summarize(text, 2, method="lead")
    assert result == ["Thuỷ điện Hoà Bình phát điện.", "Công suất tăng mạnh."]
    assert_in_order_substrings(summary.summarize(text, 2), text)


def _word_spans(text: str) -> list[tuple[int, int]]:
    return segment.word_spans(list(tokens(text)))


@pytest.mark.parametrize("method", summary.METHODS)
def test_segmented_entry_does_not_run_pyvi(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = normalize(ARTICLE)
    spans = _word_spans(text)

    def no_pyvi() -> None:
        raise AssertionError("pyvi must not run again")

    monkeypatch.setattr(segment, "_vi_tokenizer", no_pyvi)
    result = summary.summarize_segmented(text, spans, 2, method=method, title=TITLE)
    assert 1 <= len(result) <= 2
    assert_in_order_substrings(result, text)


def test_prepare_uses_pyvi_words() -> None:
    text = normalize("Người dân nông thôn ở Hà Nội. Họ trồng lúa.")
    doc = summary.prepare(text, _word_spans(text), title="Nông thôn Hà Nội")
    assert "nông_thôn" in doc.words[0]
    assert "hà_nội" in doc.words[0]
    assert doc.title_words == ["nông_thôn", "hà_nội"]  # segmented against the body's words
    assert len(summary.sentence_features(doc)[0]) == len(summary.FEATURES)


def test_the_indexers_forms_are_those_prepare_computes() -> None:
    """analyze_batch hands prepare the body's word forms and the title's syllables."""
    from searchkit.analysis import _segment

    body, title = _segment(ARTICLE, spans=True), _segment(TITLE)
    assert summary.prepare(
        body.text, body.word_spans, forms=body.forms, title_syllables=title.syllables
    ) == summary.prepare(body.text, body.word_spans, TITLE)


def test_stop_words_are_pyvi_forms() -> None:
    words = summary.stop_words()
    assert len(words) > 1900
    assert "ai_nấy" in words and "bao_giờ" in words


def test_tokenizer_works_with_sumy_parsers() -> None:
    from sumy.parsers.plaintext import PlaintextParser

    tokenizer = summary.VietnameseTokenizer()
    parser = PlaintextParser.from_string("Ông sống ở TP. HCM. Bà sống ở nông thôn.", tokenizer)
    sentences = [str(s) for s in parser.document.sentences]
    assert sentences == ["Ông sống ở TP. HCM.", "Bà sống ở nông thôn."]
    assert "nông_thôn" in parser.document.sentences[1].words


# ---------------------------------------------------------------- the learned ranker


def test_forest_walks_every_tree_to_its_leaf() -> None:
    """Two hand-made trees: a stump on feature 0 and a depth-2 tree on features 1 then 0."""
    import numpy as np

    nodes = 5
    feature = np.zeros((2, nodes), dtype=np.intp)
    threshold = np.zeros((2, nodes))
    left = np.tile(np.arange(nodes), (2, 1))
    right = left.copy()
    value = np.zeros((2, nodes))
    # Tree 0: x0 <= 0.5 → 1.0 else 2.0 (nodes 1, 2 are leaves; 3, 4 padding).
    threshold[0, 0], left[0, 0], right[0, 0] = 0.5, 1, 2
    value[0, 1], value[0, 2] = 1.0, 2.0
    # Tree 1: x1 <= 0 → (x0 <= 2 → 10 else 20) else 30.
    feature[1, 0], threshold[1, 0], left[1, 0], right[1, 0] = 1, 0.0, 1, 4
    feature[1, 1], threshold[1, 1], left[1, 1], right[1, 1] = 0, 2.0, 2, 3
    value[1, 2], value[1, 3], value[1, 4] = 10.0, 20.0, 30.0
    forest = summary.Forest(feature, threshold, left, right, value, depth=2)
    x = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.5, 1.0]])
    assert forest.predict(x).tolist() == [11.0, 12.0, 22.0, 31.0]


def test_the_shipped_model_loads_for_both_settings() -> None:
    rankers = summary._model()
    assert set(rankers) == {True, False}
    for ranker in rankers.values():
        assert {1, 2, 3} <= set(ranker.selection)
        for forest in (ranker.unigrams, ranker.bigrams):
            assert forest.feature.max() < len(summary.FEATURES)
    assert set(rankers[False].sets) == {1, 2}  # without a title, sets of one and two are scored
    for forest in (rankers[True].unigrams, rankers[True].bigrams):  # no salience with a title
        assert forest.feature.max() < summary.TITLED_FEATURES
    assert summary._salience_forest().feature.max() < len(summary.WORD_FEATURES)


@pytest.mark.parametrize("size", [1, 2])
def test_a_set_forest_reads_every_column_of_its_rows(size: int) -> None:
    import math

    import numpy as np

    text = normalize(ARTICLE)
    doc = summary.prepare(text, _word_spans(text))
    x, shared = summary._features(doc)
    n = len(x)
    shares = np.linspace(0.1, 0.5, n)
    syllables = np.rint(np.expm1(x[:, summary.FEATURES.index("log_length")]))
    sets, rows = summary._set_rows(x, shared, shares, shares / 2, syllables, np.arange(n), size)
    assert len(sets) == len(rows) == math.comb(n, size)
    assert (np.diff(sets, axis=1) > 0).all()  # each set in document order
    assert summary._model()[False].sets[size].feature.max() < rows.shape[1]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("title", [TITLE, None])
def test_learned_returns_as_many_distinct_sentences_as_asked(count: int, title: str | None) -> None:
    text = normalize(ARTICLE)
    doc = summary.prepare(text, _word_spans(text), title)
    chosen = summary._learned(doc, count)
    assert len(chosen) == len(set(chosen)) == min(count, len(doc.spans))
    assert all(0 <= i < len(doc.spans) for i in chosen)


def test_untitled_text_uses_the_untitled_ranker(monkeypatch: pytest.MonkeyPatch) -> None:
    used = []
    real = summary._model()

    class Spy(dict):
        def __getitem__(self, titled: bool) -> summary.Ranker:
            used.append(titled)
            return real[titled]

    monkeypatch.setattr(summary, "_model", lambda: Spy(real))
    summary.summarize(ARTICLE, 2)
    summary.summarize(ARTICLE, 2, title=TITLE)
    assert used == [False, True]


def test_a_very_long_text_is_ranked_on_its_start() -> None:
    """Beyond _MAX_RANKED sentences the rest is not ranked (pair features are quadratic),
    however much it matches the title."""
    start = [f"Trời hôm nay nắng nhẹ ở xã số {i}." for i in range(summary._MAX_RANKED)]
    rest = [f"Giá lúa gạo tăng mạnh lần thứ {i} trong năm." for i in range(60)]
    result = summary.summarize(" ".join(start + rest), 3, title="Giá lúa gạo tăng mạnh trong năm")
    assert len(result) == 3
    assert set(result) <= set(start)


@pytest.mark.parametrize("title", [TITLE, None])
def test_features_are_what_each_sentence_reads(title: str | None) -> None:
    """The ranker computes its features for the whole text at once; read one sentence at a
    time, the cosines, centralities, keywords and counts are the same."""
    import math
    import re
    from collections import Counter

    text = normalize(ARTICLE)
    doc = summary.prepare(text, _word_spans(text), title)
    x = summary.sentence_features(doc)
    column = {name: x[:, k] for k, name in enumerate(summary.FEATURES)}
    stops = summary.stop_words()
    content = [[w for w in words if w not in stops] for words in doc.words]
    sets = [set(words) for words in content]
    n = len(sets)

    def cosine(a: set[str], b: set[str]) -> float:
        return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0

    doc_tf = Counter(w for words in content for w in words)
    keywords = {w for w, _ in sorted(doc_tf.items(), key=lambda item: -item[1])[:8]}
    for i, (start, end) in enumerate(doc.spans):
        own = Counter(content[i])
        dot = sum(c * (doc_tf[w] - c) for w, c in own.items())
        own2 = sum(c * c for c in own.values())
        rest2 = sum((doc_tf[w] - own[w]) ** 2 for w in doc_tf)
        assert column["centrality"][i] == pytest.approx(dot / math.sqrt(own2 * rest2))
        later = sum(cosine(sets[i], sets[j]) for j in range(i + 1, n))
        earlier = sum(cosine(sets[i], sets[j]) for j in range(i))
        assert column["forward_centrality"][i] == pytest.approx(later / (n - 1))
        assert column["backward_centrality"][i] == pytest.approx(earlier / (n - 1))
        assert column["similarity_to_first"][i] == pytest.approx(cosine(sets[i], sets[0]) if i else 0.0)
        assert column["keyword_recall"][i] == pytest.approx(len(sets[i] & keywords) / len(keywords))
        numbers = re.findall(r"\d[\d.,/]*", text[start:end])
        assert column["digit_share"][i] == pytest.approx(len(numbers) / len(doc.words[i]))
        syllables = sum(w.count("_") + 1 for w in doc.words[i])
        assert column["log_length"][i] == pytest.approx(math.log1p(syllables))
    assert column["keyword_first"].sum() == pytest.approx(1.0)
    assert (column["title_recall"] > 0).any() == bool(title)


def test_the_redundancy_discount_prefers_sentences_that_say_different_things(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every sentence predicted alike and as long: without the discount the first pair
    wins the tie; with it, two sentences sharing their words are not chosen together."""
    import numpy as np

    def constant(value: float) -> summary.Forest:
        zero = np.zeros((1, 1), dtype=np.intp)
        return summary.Forest(zero, np.zeros((1, 1)), zero, zero, np.full((1, 1), value), depth=0)

    text = normalize(
        "Giá xăng dầu tăng mạnh trong tháng này. Giá xăng dầu tăng cao khiến dân lo. "
        "Nông dân miền Tây thu hoạch lúa sớm. Học sinh Hà Nội nghỉ học vì rét."
    )
    doc = summary.prepare(text, _word_spans(text))
    lengths = summary.sentence_features(doc)[:, summary.FEATURES.index("log_length")]
    assert len(set(lengths.tolist())) == 1

    def chosen(redundancy: float) -> list[int]:
        selection = summary.Selection(20.0, 1.0, 8, redundancy=redundancy)
        ranker = summary.Ranker(constant(0.5), constant(0.3), {2: selection})
        monkeypatch.setattr(summary, "_model", lambda: {True: ranker, False: ranker})
        return sorted(summary._learned(doc, 2))

    assert chosen(0.0) == [0, 1]
    assert chosen(1.0) != [0, 1]
