"""The three queries pasted in the issue are answered, with a note, and find their articles.

A small news index holds the article each query is after and distractors that share some of
its words (another Hải Phòng article, another "ma tuý" arrest, a "quý I" report, a farming
article with "nông" and "thôn" apart). Each query goes through the Python API, the CLI
(typer's CliRunner) and the HTTP API (FastAPI's TestClient).
"""

from __future__ import annotations

import json

import pytest
from conftest import write_records

from searchkit import index_paths, open_index

TRUM_TITLE = 'Trùm "ma tuý" nổi tiếng Hải Phòng bị bắt'
NEWS = [
    {
        "id": "trum-ma-tuy-hai-phong",
        "title": TRUM_TITLE,
        "body": "Công an thành phố Hải Phòng vừa bắt giữ một trùm ma tuý nổi tiếng, thu giữ nhiều heroin "
        "và ma tuý tổng hợp. Nghi phạm bị bắt khi đang giao hàng ở quận Lê Chân.",
        "date": "2023-06-10T08:00:00+07:00",
        "author": "Nguyễn Hải",
        "category": "Pháp luật",
    },
    {
        "id": "gdp-quy-ii",
        "title": "Kinh tế tăng tốc",
        "body": "GDP quý II tăng 6,9% so với cùng kỳ, cao hơn dự báo. Xuất khẩu trong quý II phục hồi mạnh.",
        "date": "2023-07-01T08:00:00+07:00",
        "author": "Trần Minh",
        "category": "Kinh tế",
    },
    {
        "id": "nong-thon-moi",
        "title": "Nam Định về đích nông thôn mới",
        "body": "Tỉnh Nam Định hoàn thành chương trình xây dựng nông thôn mới, đời sống người dân "
        "nông thôn được nâng lên rõ rệt.",
        "date": "2023-05-01T08:00:00+07:00",
        "author": "Lê Thu",
        "category": "Xã hội",
    },
    # distractors
    {
        "id": "hai-phong-cang",
        "title": "Hải Phòng mở rộng cảng nước sâu nổi tiếng",
        "body": "Thành phố Hải Phòng khởi công mở rộng cảng Lạch Huyện, hàng hoá qua cảng tăng mạnh.",
        "date": "2023-06-11T08:00:00+07:00",
        "author": "Nguyễn Hải",
        "category": "Kinh tế",
    },
    {
        "id": "ma-tuy-ha-noi",
        "title": "Triệt phá đường dây ma tuý ở Hà Nội",
        "body": "Công an Hà Nội triệt phá đường dây buôn bán ma tuý, ba đối tượng bị bắt quả tang.",
        "date": "2023-06-12T08:00:00+07:00",
        "author": "Phạm Long",
        "category": "Pháp luật",
    },
    {
        "id": "xuat-khau-quy-i",
        "title": "Xuất khẩu quý I giảm nhẹ",
        "body": "Kim ngạch xuất khẩu quý I giảm nhẹ, doanh nghiệp kỳ vọng đơn hàng quay lại.",
        "date": "2023-04-01T08:00:00+07:00",
        "author": "Trần Minh",
        "category": "Kinh tế",
    },
    {
        "id": "nong-nghiep",
        "title": "Nông nghiệp công nghệ cao ở Lâm Đồng",
        "body": "Nông dân Lâm Đồng trồng rau trong nhà kính, mỗi thôn có một hợp tác xã.",
        "date": "2023-03-01T08:00:00+07:00",
        "author": "Lê Thu",
        "category": "Kinh tế",
    },
    {
        "id": "bat-trom",
        "title": "Kẻ trộm xe máy bị bắt",
        "body": "Một thanh niên trộm xe máy ở Hải Dương bị bắt sau ba ngày lẩn trốn.",
        "date": "2023-02-01T08:00:00+07:00",
        "author": "Phạm Long",
        "category": "Pháp luật",
    },
]
TITLES = {r["id"]: r["title"] for r in NEWS}

# (query as pasted, a part of the note it gets, the article it is after)
PASTED = [
    ('“Trùm "ma tuý nổi tiếng Hải Phòng bị bắt', "read mixed quotes", "trum-ma-tuy-hai-phong"),
    ("(quý II", 'ignored an unmatched "("', "gdp-quy-ii"),
    ("nông thôn OR", "ignored a dangling OR", "nong-thon-moi"),
]
# The article's own title pasted with its (balanced) quotes, and curly variants of it.
TITLE_PASTES = [
    TRUM_TITLE,
    "Trùm “ma tuý” nổi tiếng Hải Phòng bị bắt",
    f"“{TRUM_TITLE}”",
    'Trùm "ma tuý” nổi tiếng Hải Phòng bị bắt',  # (a headline retyped in part: mixed quotes)
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("pasted")
    write_records(root / "news.jsonl", NEWS)
    report = index_paths([root / "news.jsonl"], root / "index", jobs=1)
    assert report.added == len(NEWS) and not report.problems
    return root / "index"


@pytest.fixture(scope="module")
def ix(index_dir):
    with open_index(index_dir) as opened:
        yield opened


@pytest.fixture(scope="module")
def client(index_dir):
    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    with TestClient(create_app(index_dir)) as test_client:
        yield test_client


def invoke(*args: str):
    from typer.testing import CliRunner

    from searchkit.cli import app

    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1", "COLUMNS": "300"})


@pytest.mark.parametrize("query, note, want", PASTED)
def test_api_answers_with_a_note_and_the_article_first(ix, query, note, want):
    result = ix.search(query)
    assert result.notes and any(note in n for n in result.notes), result.notes
    assert len(result) >= 1 and result.total >= len(result)
    assert result[0].id == want, [h.id for h in result]
    assert result[0].title == TITLES[want]


@pytest.mark.parametrize("query, note, want", PASTED)
def test_cli_exits_0_and_prints_the_article_first(index_dir, query, note, want):
    done = invoke("query", "--index", str(index_dir), "--", query)
    assert done.exit_code == 0, done.output
    assert note in done.stdout.split(" results (")[0], done.stdout
    first = next(line for line in done.stdout.splitlines() if line.lstrip().startswith("1. "))
    assert TITLES[want] in first, done.stdout
    data = json.loads(invoke("query", "--index", str(index_dir), "--json", "--", query).stdout)
    assert data["hits"][0]["id"] == want and any(note in n for n in data["notes"]), data


@pytest.mark.parametrize("query, note, want", PASTED)
def test_http_search_is_200_with_the_article_first(client, query, note, want):
    r = client.get("/search", params={"q": query})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["hits"] and data["hits"][0]["id"] == want, data
    assert any(note in n for n in data["notes"]), data["notes"]
    page = client.get("/", params={"q": query})
    assert page.status_code == 200 and '<p class="note">' in page.text
    links = [page.text.find("/view/" + doc_id) for doc_id in TITLES]
    first_link = min(at for at in links if at >= 0)
    assert page.text.find("/view/" + want) == first_link, page.text


@pytest.mark.parametrize("query", TITLE_PASTES)
def test_the_articles_own_title_pasted_finds_it_first(ix, index_dir, client, query):
    want = "trum-ma-tuy-hai-phong"
    result = ix.search(query)
    assert result and result[0].id == want, [h.id for h in result]
    done = invoke("query", "--index", str(index_dir), "--json", "--", query)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["hits"][0]["id"] == want
    r = client.get("/search", params={"q": query})
    assert r.status_code == 200 and r.json()["hits"][0]["id"] == want, r.text


def test_the_targets_win_over_matching_distractors(ix):
    """ "First" means something: distractors sharing words match too and rank below."""
    for query, _, want in (PASTED[0], PASTED[2]):
        found = [h.id for h in ix.search(query, limit=20)]
        assert found[0] == want and len(found) > 1, found
    assert "xuat-khau-quy-i" not in {h.id for h in ix.search("(quý II")}  # "II" is required, not "I"


@pytest.mark.parametrize("mixed", ['"ma tuý” Hải Phòng', '“ma tuý" Hải Phòng'])
def test_a_phrase_in_mixed_quotes_finds_what_the_straight_phrase_finds(ix, mixed):
    straight = ix.search('"ma tuý" Hải Phòng')
    result = ix.search(mixed)
    assert [h.id for h in result] == [h.id for h in straight] == ["trum-ma-tuy-hai-phong"]
    assert result.total == straight.total == 1
    # A phrase, not two words: in the other order it finds nothing, as words it does.
    reordered = mixed.replace("ma tuý", "tuý ma")
    assert (
        ix.search(reordered).total == 0
        and ix.search(reordered.replace("”", "").replace("“", "").replace('"', "")).total == 1
    )
