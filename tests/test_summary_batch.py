"""The indexer summarises a batch of articles at once (summary.summarize_indexed_batch):
each article must get exactly the summary, and the features, it gets alone."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from searchkit import analysis, summary
from searchkit.articles import Article
from searchkit.sentences import split_sentences

NEWS = (
    "Sáng 6/2, UBND TP. Hà Nội tổ chức hội nghị tổng kết công tác phòng chống dịch bệnh năm 2016. "
    "Theo báo cáo, năm qua thành phố không để dịch lớn xảy ra, số ca mắc sốt xuất huyết giảm 30%. "
    "Tuy nhiên, nguy cơ dịch cúm gia cầm lây sang người vẫn còn cao.\n"
    "Ông Nguyễn Văn A. cho biết: “Thành phố sẽ tăng cường kiểm tra vệ sinh an toàn thực phẩm”. "
    "Hội nghị cũng đề ra 5 nhiệm vụ trọng tâm cho năm 2017.\n"
    "Ảnh minh họa"
)
OLD_STYLE = (
    "Thuỷ điện Hoà Bình hoà lưới điện quốc gia tổ máy đầu tiên. "
    "Ðây là công trình thuỷ lợi lớn, góp phần bảo vệ sức khoẻ người dân. "
    "Công suất toàn nhà máy tăng thêm 480 MW, theo Bộ Công Thương. "
    "Việc hoà lưới đúng tiến độ được đánh giá cao."
)
LONG = " ".join(
    [f"Trời hôm nay nắng nhẹ ở xã số {i}, bà con ra đồng gặt lúa." for i in range(summary._MAX_RANKED)]
    + [f"Giá lúa gạo tăng mạnh lần thứ {i} trong năm." for i in range(40)]
)
MEDIUM = "\n".join(
    f"Giá xăng dầu kỳ {i} tăng {i % 7} phần trăm, theo Bộ Công Thương và Bộ Tài chính. "
    f"Người dân {'Hà Nội' if i % 2 else 'TP. HCM'} lo lắng về giá cả tháng {i % 12 + 1}."
    for i in range(45)
)

ARTICLES = [
    Article(id="news", title="Hà Nội tổng kết phòng chống dịch bệnh", body=NEWS, sapo="Tin tổng hợp."),
    Article(id="untitled", title="", body=NEWS),
    Article(id="old-nfc", title="Thuỷ điện Hoà Bình hoà lưới", body=OLD_STYLE),
    Article(
        id="old-nfd",
        title=unicodedata.normalize("NFD", "Thuỷ điện Hoà Bình"),
        body=unicodedata.normalize("NFD", OLD_STYLE),
    ),
    Article(id="long", title="Giá lúa gạo tăng mạnh trong năm", body=LONG),
    Article(id="medium", title="Giá xăng dầu tăng", body=MEDIUM),
    Article(id="one", title="Một câu", body="Chỉ có một câu thôi."),
    Article(id="one-unterminated", title="", body="Ảnh: Nguyễn Văn B"),
    Article(id="no-body", title="Bão số 3 đổ bộ vào Quảng Ninh, gió giật cấp 12", body=""),
    Article(id="blank-body", title="Tiêu đề", body="  \n "),
    Article(id="empty", title="", body=""),
    Article(id="punctuation", title="Dấu", body="... !!! ???\n— — —"),
    Article(id="numbers", title="Số", body="2016. 2017. 8,26%.\n1.500.000 đồng."),
]


def indexed(article: Article) -> summary.IndexedText:
    """What the indexer hands the summariser for ``article`` (analysis.analyze_batch)."""
    title, _, body = analysis._segmented(article)  # noqa: SLF001 - the indexer's own analysis
    return summary.IndexedText(
        article, body.text, body.word_spans, body.forms, title.syllables, split_sentences(body.text)
    )


def alone(article: Article) -> list[str]:
    return summary.summarize_indexed_batch([indexed(article)])[0]


def test_a_batch_gives_each_article_its_summary_alone() -> None:
    expected = [summary.summarize_article(a) for a in ARTICLES]
    assert [alone(a) for a in ARTICLES] == expected
    assert summary.summarize_indexed_batch([indexed(a) for a in ARTICLES]) == expected
    assert summary.summarize_indexed_batch([indexed(a) for a in reversed(ARTICLES)]) == expected[::-1]
    assert any(len(s) == 3 for s in expected) and [] in expected  # (the cases are exercised)


def test_batches_cut_for_memory_give_the_same_summaries(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = summary.summarize_indexed_batch([indexed(a) for a in ARTICLES])
    monkeypatch.setattr(summary, "_MAX_PAIR_CELLS", 50)  # every document in a run of its own
    assert summary.summarize_indexed_batch([indexed(a) for a in ARTICLES]) == whole


def test_the_analysed_batch_stores_each_articles_own_summary() -> None:
    batch = analysis.analyze_batch(ARTICLES)
    assert [a.summary for a in batch.articles] == [summary.summarize_article(a) for a in ARTICLES]


def prepared() -> list[summary.Prepared]:
    docs = []
    for article in ARTICLES:
        if article.body.strip():
            doc = summary._prepare_indexed(indexed(article))  # noqa: SLF001 - as the indexer prepares it
            if doc is not None and doc.spans:
                docs.append(summary._ranked(doc))  # noqa: SLF001
    return docs


def test_batched_features_are_each_documents_own_to_the_bit() -> None:
    docs = prepared()
    x, shared = summary._features_batch(docs)  # noqa: SLF001
    at = 0
    for doc, block in zip(docs, shared):
        own_x, own_shared = summary._features(doc)  # noqa: SLF001
        assert np.array_equal(x[at : at + len(doc.spans)], own_x)
        assert np.array_equal(block, own_shared)
        at += len(doc.spans)
    assert at == len(x)


def test_the_shared_word_matrix_counts_content_words_two_sentences_share() -> None:
    """What the pair counting computes, written out with sets."""
    stops = summary.stop_words()
    for doc in prepared():
        _, shared = summary._features(doc)  # noqa: SLF001
        words = [set(summary._content(ws, stops)) for ws in doc.words]  # noqa: SLF001
        expected = np.array([[len(a & b) for b in words] for a in words], dtype=float)
        assert np.array_equal(shared, expected)


def test_pair_chunks_bound_the_padded_cells() -> None:
    sizes = [3, 400, 1, 50, 50, 7, 200, 0, 12]
    chunks = summary._pair_chunks(sizes)  # noqa: SLF001
    assert sorted(i for chunk in chunks for i in chunk) == list(range(len(sizes)))
    for chunk in chunks:
        widest = max(sizes[i] for i in chunk)
        assert len(chunk) == 1 or len(chunk) * widest * widest <= summary._MAX_PAIR_CELLS  # noqa: SLF001
