"""The Vietnamese sentence splitter, on sentences of the kind found in news articles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from searchkit import sentences
from searchkit.sentences import split_sentences


def split(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    "text",
    [
        # Abbreviations of places, titles and degrees.
        "Khu đất này do ông Nguyễn Thế Lực (trú tại TP. HCM) làm chủ.",
        "Vụ việc xảy ra tại phường 5, Q. Bình Thạnh vào chiều qua.",
        "Ông được PGS. TS. Nguyễn Văn Hùng và GS. Trần Đức Minh hướng dẫn.",
        "Theo ThS. Lê Thị Hoa, TS. Phạm Văn Nam, bệnh nhân đã ổn định.",
        "Đoàn khách tham quan nhà thờ St. Peter ở Rome.",
        "Chợ bán đủ thứ rau, thịt, cá v.v. Người mua đông nhất vào buổi sáng.",
        # Initials of names.
        "Bị can Nguyễn Văn A. Sinh năm 1990, trú tại xã Tóc Tiên.",
        # Numbers: decimals, thousands, dates.
        "Lạm phát tháng 3 tăng 8,26% so với cùng kỳ, giá xăng 23.500 đồng mỗi lít.",
        "Dự án có tổng vốn 1.500 tỷ đồng, lãi suất 6.5% một năm.",
        "Ngày 4/4/2023 công an đã khởi tố vụ án.",
        # URLs and abbreviations written without a space.
        "Thông tin chi tiết xem tại https://vnexpress.net/thoi-su.html?id=1. hoặc gọi điện.",
        "Viện kiểm sát T X.Phú Mỹ đã phê chuẩn quyết định khởi tố bị can.",
        # Quotes and brackets.
        'Ông nói: "Chúng tôi sẽ làm rõ. Ai sai sẽ xử lý." với phóng viên.',
        "Bệnh nhân (đã xuất viện. Hiện khỏe mạnh) cho biết như vậy.",
        "Bà chia sẻ: “Tôi rất vui. Cảm ơn mọi người!” trong nước mắt.",
        # An ellipsis before a lower-case word continues the sentence.
        "Anh ấy im lặng... rồi bỏ đi. ",
        "Cô ngập ngừng… mãi mới nói được.",
    ],
)
def test_one_sentence(text: str) -> None:
    assert split(text) == [text.strip()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Ngày 22/6, công an khởi tố vụ án. Hai nhân viên bị tạm giam.",
            ["Ngày 22/6, công an khởi tố vụ án.", "Hai nhân viên bị tạm giam."],
        ),
        (
            "Ông sống ở TP. HCM. Bà sống ở Hà Nội!",
            ["Ông sống ở TP. HCM.", "Bà sống ở Hà Nội!"],
        ),
        (
            "Lãi suất là 8,26%. 3 ngân hàng đã tăng lãi suất?",
            ["Lãi suất là 8,26%.", "3 ngân hàng đã tăng lãi suất?"],
        ),
        (
            'Ông nói: "Tôi sẽ đi. Anh ở lại." Sau đó ông rời đi.',
            ['Ông nói: "Tôi sẽ đi. Anh ở lại."', "Sau đó ông rời đi."],
        ),
        (
            "Mọi người chờ đợi... Cuối cùng xe cũng đến.",
            ["Mọi người chờ đợi...", "Cuối cùng xe cũng đến."],
        ),
        (
            "Mọi người chờ đợi… Cuối cùng xe cũng đến.",
            ["Mọi người chờ đợi…", "Cuối cùng xe cũng đến."],
        ),
        (
            "Ngày 4/4/2023. Công an đã vào cuộc.",
            ["Ngày 4/4/2023.", "Công an đã vào cuộc."],
        ),
        (
            "Xem tại https://vnexpress.net/a.html. Bài viết được chia sẻ nhiều.",
            ["Xem tại https://vnexpress.net/a.html.", "Bài viết được chia sẻ nhiều."],
        ),
        (
            "Vụ án đang được điều tra (ảnh: CTV). “Chúng tôi chưa kết luận”, ông nói.",
            ["Vụ án đang được điều tra (ảnh: CTV).", "“Chúng tôi chưa kết luận”, ông nói."],
        ),
    ],
)
def test_splits(text: str, expected: list[str]) -> None:
    assert split(text) == expected


def test_newlines_always_end_a_sentence() -> None:
    text = "Tiêu đề không có dấu chấm\nĐoạn một câu một.  \n\n  Đoạn hai, không dấu chấm cuối"
    assert split(text) == [
        "Tiêu đề không có dấu chấm",
        "Đoạn một câu một.",
        "Đoạn hai, không dấu chấm cuối",
    ]


def test_unmatched_quote_does_not_swallow_the_rest() -> None:
    text = 'Anh ta hét lên "dừng lại. Mọi người bỏ chạy. Xe dừng hẳn.'
    assert split(text) == ['Anh ta hét lên "dừng lại.', "Mọi người bỏ chạy.", "Xe dừng hẳn."]


def test_spans_are_stripped_offsets_into_the_text() -> None:
    text = "  Câu một.   Câu hai.\t\n"
    spans = split_sentences(text)
    assert spans == [(2, 10), (13, 21)]
    assert all(text[a:b] == text[a:b].strip() for a, b in spans)


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "..."])
def test_empty_or_blank(text: str) -> None:
    assert split(text) == ([] if not text.strip() else [text.strip()])


def test_long_paragraph_is_split_everywhere() -> None:
    sentences = [f"Câu số {i} nói về Hà Nội." for i in range(200)]
    assert split(" ".join(sentences)) == sentences


@pytest.mark.parametrize(
    "text",
    [
        "Ông A",
        "TP",
        "v.v",
        "U.S",
        "T X.Phú",
        "8,26%",
        "(ảnh",
        "x²",
        "½",
        "a\tb",
        "ab  ",
        "..a",
        "a..b.c",
        "_ab",
        "a" * 30,
    ],
)
def test_word_before_is_what_the_search_finds(text: str) -> None:
    """The fast path of ``_word_before`` gives the regular expression's answer."""
    for end in range(len(text) + 1):
        found = sentences._WORD_BEFORE_DOT.search(text, max(0, end - sentences._LOOK_BACK), end)
        assert sentences._word_before(text, end) == (found.group() if found else None)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*'ab cĐ.!?\n“”"…', "TP. ", "8,26", " Câu"]), max_size=60))
def test_stored_sentence_ends_give_back_the_same_spans(pieces):
    value = "".join(pieces)
    from searchkit.sentences import encode_sentence_ends, stored_sentence_ends

    text = value.strip()
    ends = stored_sentence_ends(text, encode_sentence_ends(text))
    assert ends == ([end for _, end in split_sentences(text)] or None)
    assert stored_sentence_ends(text, None) is None  # nothing stored: the caller splits


def test_stored_sentence_ends_that_do_not_fit_the_text_are_not_used():
    from searchkit.sentences import encode_sentence_ends, stored_sentence_ends

    stale = encode_sentence_ends("Một câu rất dài ở đây. Câu hai cũng dài.")
    assert stored_sentence_ends("Ngắn. Hai.", stale) is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*'ab cĐ.!?\n“”"…', "TP. ", "8,26", " Câu", "hoà", "Ð"]), max_size=30),
    st.lists(st.sampled_from([*'ab cĐ.!?\n“”"…', "TP. ", " Câu", " "]), max_size=12),
)
def test_the_indexer_stores_the_ends_of_the_indexed_text(body_pieces, sapo_pieces):
    """The indexer splits a body once, for its summary and its stored ends; what it stores
    is still where the sentences of the indexed text (sapo, newline, body, stripped) end."""
    from searchkit.analysis import _segment, _sentence_ends
    from searchkit.articles import Article
    from searchkit.sentences import encode_sentence_ends
    from searchkit.text import indexed_text

    article = Article(id="a", title="T", body="".join(body_pieces), sapo="".join(sapo_pieces))
    body = _segment(article.body, spans=True)
    stored = _sentence_ends(article, body.text, split_sentences(body.text))
    assert stored == encode_sentence_ends(indexed_text(article.sapo, article.body).strip())
