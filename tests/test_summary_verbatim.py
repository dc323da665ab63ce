"""A summary is a quotation: sentences come back exactly as written (in NFC), whatever
normal form the analysis ran on, and the stored summary follows the one document rule."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from searchkit import index_paths, open_index, summary
from searchkit.articles import Article
from searchkit.text import normalize

# Old-style tone marks (hoà, thuỷ, khoẻ, Hoá), an eth (U+00D0) for Đ, and a sapo-less body.
OLD_STYLE = (
    "Thuỷ điện Hoà Bình hoà lưới điện quốc gia tổ máy đầu tiên. "
    "Ðây là công trình thuỷ lợi lớn, góp phần bảo vệ sức khoẻ người dân. "
    "Công suất toàn nhà máy tăng thêm 480 MW, theo Bộ Công Thương. "
    "Việc hoà lưới đúng tiến độ được đánh giá cao. "
    "Hoá đơn tiền điện của người dân không bị ảnh hưởng."
)
TITLE = "Thuỷ điện Hoà Bình mở rộng hoà lưới"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def assert_quoted(result: list[str], text: str) -> None:
    """Each sentence is an exact substring of the NFC input, in document order."""
    source, position = nfc(text), 0
    for sentence in result:
        found = source.find(sentence, position)
        assert found >= 0, f"{sentence!r} is not quoted from the input"
        position = found + len(sentence)


@pytest.mark.parametrize("method", summary.METHODS)
@pytest.mark.parametrize("form", ["NFC", "NFD"])
@pytest.mark.parametrize("title", [TITLE, None])
def test_sentences_are_quoted_not_normalised(method: str, form: str, title: str | None) -> None:
    text = unicodedata.normalize(form, OLD_STYLE)
    assert normalize(text) != nfc(text)  # the analysis does see another form
    result = summary.summarize(text, 3, method=method, title=title)
    assert 1 <= len(result) <= 3
    assert_quoted(result, text)


def test_lead_quotes_the_writers_forms() -> None:
    text = unicodedata.normalize("NFD", OLD_STYLE)
    assert summary.summarize(text, 2, method="lead") == [
        "Thuỷ điện Hoà Bình hoà lưới điện quốc gia tổ máy đầu tiên.",
        "Ðây là công trình thuỷ lợi lớn, góp phần bảo vệ sức khoẻ người dân.",
    ]


# Letters where normalisation differs from NFC: old-style o/u + toned vowel, Ð, and
# combining marks that NFC composes (or cannot compose).
_ALPHABET = st.sampled_from(
    list("oOuUqQaAeEyYđĐÐ hn.,\n") + ["oà", "Oá", "uỷ", "UỶ", "oẻ", "qua", "\u0300", "\u0309", "\u0323", "ê"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_normalisation_keeps_the_length_of_nfc_text(text: str) -> None:
    """What lets spans found on the normal form cut the NFC text (summary.nfc)."""
    source = summary.nfc(text)
    assert source == nfc(text)
    assert len(normalize(source)) == len(source)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Hoà bình. ", "Thuỷ lợi tốt. ", "Ðà Nẵng mưa. ", "Khoẻ mạnh! ", "\n"]), max_size=8
    )
)
def test_every_sentence_is_quoted(parts: list[str]) -> None:
    text = unicodedata.normalize("NFD", "".join(parts))
    assert_quoted(summary.summarize(text, 3), text)


# ---------------------------------------------------------------- one document-summary rule

RECORDS = [
    {"id": "old-style", "title": TITLE, "body": OLD_STYLE},
    {"id": "nfd", "title": nfc("Giá xăng tăng"), "body": unicodedata.normalize("NFD", OLD_STYLE)},
    {
        "id": "paragraphs",
        "title": "Khởi tố hai nhân viên công ty địa ốc",
        "sapo": "Hai nhân viên công ty địa ốc bị khởi tố vì chống lệnh cưỡng chế.",
        "body": (
            "Ngày 22/6, cơ quan CSĐT Công an TP. Vũng Tàu đã khởi tố vụ án.\n"
            "Hai nhân viên bị tạm giam về hành vi cố ý làm hư hỏng tài sản. Tuy nhiên, họ chưa nhận tội.\n"
            "Ảnh: Nhân viên công ty tập trung ngăn cản lực lượng chức năng\n"
            "Theo hồ sơ, sáng 13/6, UBND xã phối hợp với các cơ quan chức năng tiến hành cưỡng chế."
        ),
    },
    {
        "id": "no-body",
        "title": "Thuỷ điện Hoà Bình hoà lưới. Ðây là tin vắn. Công suất tăng 480 MW.",
        "body": "",
    },
    {"id": "no-title", "title": "", "body": "Khoẻ mạnh là vốn quý. Ai cũng cần giữ gìn sức khoẻ. Hoà bình."},
]


def test_the_stored_summary_is_summarize_article(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "records.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS), encoding="utf-8"
    )
    # A plain text of one paragraph: read as a title without body, it is its own body.
    (corpus / "one-paragraph.txt").write_text(
        "Giá vàng hoà vốn sau phiên tăng mạnh. Người mua thuỷ chung với vàng miếng.\n", encoding="utf-8"
    )
    index_paths([corpus], tmp_path / "index", jobs=1)
    with open_index(tmp_path / "index") as ix:
        ids = [r["id"] for r in RECORDS] + ["one-paragraph.txt"]
        for doc_id in ids:
            doc = ix.get(doc_id)
            assert doc.summary, doc_id
            assert doc.summary == summary.summarize_article(doc, summary.SUMMARY_SENTENCES), doc_id
            assert_quoted(doc.summary, doc.body if doc.body.strip() else doc.title)
        assert not ix.get("no-body").body.strip()
        assert ix.get("one-paragraph.txt").summary[0] == "Giá vàng hoà vốn sau phiên tăng mạnh."
        assert "Thuỷ điện Hoà Bình hoà lưới." in ix.get("no-body").summary


def test_article_rule_leaves_the_sapo_out() -> None:
    article = Article(id="a", title=TITLE, body=OLD_STYLE, sapo="Tóm tắt. Hoà lưới thành công.")
    result = summary.summarize_article(article, 5, method="lead")
    assert result == summary.summarize(OLD_STYLE, 5, method="lead")
    assert not any("Tóm tắt" in s for s in result)
