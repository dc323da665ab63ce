"""Query-focused summaries through all four entry points: the sentences that best answer
the query, in document order, as the text spells them."""

from __future__ import annotations

import json
import unicodedata

import pytest

import searchkit

TEXT = (
    "Thuỷ điện Hoà Bình khởi công năm 1979. "
    "Nhà máy có tám tổ máy. "
    "Mỗi năm nhà máy phát khoảng 8,1 tỷ kWh điện. "
    "Hồ chứa còn giúp chống lũ cho đồng bằng sông Hồng."
)


def test_the_library_keeps_the_spelling_and_the_order():
    summary = searchkit.summarize(TEXT, 2, query="thủy điện hòa bình phát bao nhiêu điện")
    assert summary == [
        "Thuỷ điện Hoà Bình khởi công năm 1979.",
        "Mỗi năm nhà máy phát khoảng 8,1 tỷ kWh điện.",
    ]
    nfd = unicodedata.normalize("NFD", TEXT)
    assert searchkit.summarize(nfd, 1, query="chống lũ") == [
        "Hồ chứa còn giúp chống lũ cho đồng bằng sông Hồng."
    ]
    with pytest.raises(searchkit.InvalidParameterError):
        searchkit.summarize(TEXT, 1, method="lead", query="lũ")


def test_the_command(tmp_path):
    from typer.testing import CliRunner

    from searchkit.cli import app

    article = tmp_path / "hoa-binh.txt"
    article.write_text("Thuỷ điện Hoà Bình\n\n" + TEXT + "\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["summarize", str(article), "-n", "1", "--query", "tổ máy", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["summary"] == ["Nhà máy có tám tổ máy."]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from conftest import write_records
    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    root = tmp_path_factory.mktemp("focused")
    write_records(root / "r.jsonl", [{"id": "hb", "title": "Thuỷ điện Hoà Bình", "body": TEXT}])
    searchkit.index_paths([root / "r.jsonl"], root / "index", jobs=1)
    with TestClient(create_app(root / "index")) as test_client:
        yield test_client


def test_the_http_api(client):
    posted = client.post("/summarize", json={"text": TEXT, "sentences": 1, "query": "chống lũ"})
    assert posted.json() == {"summary": ["Hồ chứa còn giúp chống lũ cho đồng bằng sông Hồng."]}
    stored = client.get("/documents/hb/summary", params={"q": "Hòa Bình khởi công năm nào", "sentences": 1})
    assert stored.json() == {"id": "hb", "summary": ["Thuỷ điện Hoà Bình khởi công năm 1979."]}
    both = client.post("/summarize", json={"text": TEXT, "query": "lũ", "method": "lead"})
    assert both.status_code == 422
