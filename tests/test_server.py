"""The HTTP server (`searchkit serve`), started for real in a subprocess and queried with httpx2."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest
from conftest import RECORDS, SAMPLE_CORPUS, SAMPLE_IDS, write_records
from hypothesis import HealthCheck, example, given, settings
from test_query_lenient import QUERY_WITH_A_WORD

SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]
XSS = "<script>alert(1)</script>"
XSS_RECORD = {
    "id": "tin/xss-<b>1</b>",
    "title": f"Cảnh báo {XSS} bảo mật",
    "body": f"Đoạn mã {XSS} được chèn vào bài báo. Hệ thống phải hiển thị nó như chữ thường.",
    "author": "<b>Kẻ Tấn Công</b>",
    "url": "javascript:alert(2)",
    "date": "2023-04-01T09:00:00+07:00",
    "category": "Công nghệ",
}
# Enough matches for "đường sắt" to page through (10 hits a page on the HTML page).
RAIL_RECORDS = [
    {
        "id": f"duong-sat-{i:02d}",
        "title": f"Đường sắt tốc độ cao, bài {i}",
        "body": f"Dự án đường sắt số {i} được khởi công. Tuyến đường sắt nối các tỉnh.",
        "date": f"2023-05-{i + 1:02d}T08:00:00+07:00",
        "author": "Võ Thị Hoa",
        "category": "Giao thông",
    }
    for i in range(12)
]
NESTED_ID = "sub/dir/a.txt"
NESTED_TEXT = "Phố cổ Hội An đón khách\n\nPhố cổ Hội An đón hàng nghìn lượt khách du lịch trong dịp lễ.\n"
RAIL = '"đường sắt"'  # the phrase: only the rail records have it
ALL_RECORDS = RECORDS + [XSS_RECORD] + RAIL_RECORDS
DOC_COUNT = len(SAMPLE_IDS) + len(ALL_RECORDS) + 1


# -- helpers shared with test_browser.py -----------------------------------------------


def build_corpus(root: Path) -> tuple[Path, Path]:
    """The sample corpus plus RECORDS, the <script> record, the rail records and a nested
    text file, indexed into ``root/index``; returns ``(corpus, index)``."""
    from searchkit import index_paths

    corpus, index_dir = root / "corpus", root / "index"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    for f in corpus.iterdir():
        f.chmod(0o644)
    write_records(corpus / "records.jsonl", ALL_RECORDS)
    (corpus / "sub" / "dir").mkdir(parents=True)
    (corpus / NESTED_ID).write_text(NESTED_TEXT, encoding="utf-8")
    report = index_paths([corpus], index_dir, jobs=1)
    assert report.added == DOC_COUNT and not report.problems, report.summary()
    return corpus, index_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`searchkit serve` in a subprocess on 127.0.0.1, its output in a log file."""

    def __init__(self, index_dir: Path, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [
                    *SEARCHKIT,
                    "serve",
                    "--index",
                    str(index_dir),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, NO_COLOR="1"),
            )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"the server did not answer /health:\n{self.output()}")
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- fixtures -------------------------------------------------------------------------------


@contextmanager
def served_corpus(root: Path) -> Iterator[tuple[Path, Path, Server]]:
    """:func:`build_corpus` in ``root``, served: (corpus, index directory, server)."""
    corpus, index_dir = build_corpus(root)
    with Server(index_dir, root / "server.log") as server:
        yield corpus, index_dir, server


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with served_corpus(tmp_path_factory.mktemp("server")) as (corpus, index_dir, server):
        yield {"corpus": corpus, "index": index_dir, "server": server}
    assert "Traceback" not in server.output(), server.output()


@pytest.fixture(scope="module")
def client(site):
    with httpx.Client(base_url=site["server"].url, timeout=60) as c:
        yield c


def assert_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()
    message = data.get("error") or data.get("detail")
    assert message, data
    return str(message)


# -- /health and /search -------------------------------------------------------------------


def test_health(client, site):
    r = client.get("/health")
    assert r.status_code == 200
    data = r.json()
    assert data["documents"] == DOC_COUNT
    assert Path(data["index"]) == site["index"].resolve()
    modified = datetime.fromisoformat(data["last_modified"])
    assert modified.tzinfo is not None and abs(time.time() - modified.timestamp()) < 3600


def test_search_is_the_cli_json_plus_time(client, site):
    r = client.get("/search?q=n%C3%B4ng+th%C3%B4n")  # the README's example
    assert r.status_code == 200
    data = r.json()
    assert data["query"] == "nông thôn"
    assert isinstance(data["took_ms"], (int, float)) and data["took_ms"] >= 0
    assert {h["id"] for h in data["hits"]} == SAMPLE_IDS
    done = subprocess.run(
        [*SEARCHKIT, "query", "nông thôn", "--index", str(site["index"]), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)
    del cli["took_ms"], data["took_ms"]
    assert data == cli


def test_search_paging_filters_sort_and_facets(client):
    everything = client.get("/search", params={"q": RAIL, "limit": 100}).json()
    assert everything["total"] == len(RAIL_RECORDS)
    ids = [h["id"] for h in everything["hits"]]
    page = client.get("/search", params={"q": RAIL, "limit": 5, "offset": 5}).json()
    assert page["offset"] == 5 and page["total"] == len(RAIL_RECORDS)
    assert [h["id"] for h in page["hits"]] == ids[5:10]

    dated = client.get("/search", params={"q": RAIL, "since": "2023-05-03", "until": "2023-05-04"}).json()
    assert {h["id"] for h in dated["hits"]} == {"duong-sat-02", "duong-sat-03"}

    by_author = client.get("/search", params={"q": "hà nội OR hải phòng", "author": "Tran Thi Binh"}).json()
    assert [h["id"] for h in by_author["hits"]] == ["hp-cang"]
    by_category = client.get("/search", params={"q": "giao thông", "category": "xã hội"}).json()
    assert {h["id"] for h in by_category["hits"]} == {"hn-giao-thong"}

    faceted = client.get("/search", params={"q": RAIL, "facets": "true"}).json()
    assert faceted["facets"]["month"] == {"2023-05": len(RAIL_RECORDS)}
    assert "facets" not in everything


def test_search_sorted_by_date(client):
    """Newest first; the index also holds a document without a date (sub/dir/a.txt)."""
    r = client.get("/search", params={"q": RAIL, "sort": "date", "limit": 3})
    assert r.status_code == 200, r.text
    assert [h["id"] for h in r.json()["hits"]] == ["duong-sat-11", "duong-sat-10", "duong-sat-09"]
    r = client.get("/search", params={"q": "phố cổ OR đường sắt", "sort": "date", "limit": 100})
    assert r.status_code == 200, r.text
    ids = [h["id"] for h in r.json()["hits"]]
    assert ids[0] == "duong-sat-11" and NESTED_ID in ids


MALFORMED = {  # query: the note lenient mode reads it with
    '"nông thôn': 'unbalanced quote: read "nông thôn" to the end of the query as a phrase',
    "(hà nội": 'ignored an unmatched "("',
    "hà nội OR": "ignored a dangling OR",
    "title: giao thông": "title: has no value: ignored",
    "-thuế": "the query only excluded words: searched for them instead",
}
WITHOUT_WORDS = ["", "title:", "OR", "()", "-- ++", '""']


@pytest.mark.parametrize("q", [*MALFORMED, "title:", ""])
def test_malformed_query_is_400_with_strict(client, q):
    message = assert_error(client.get("/search", params={"q": q, "strict": "true"}), 400)
    assert len(message) < 300


@pytest.mark.parametrize("q, note", MALFORMED.items())
def test_malformed_query_is_read_leniently_with_a_note(client, q, note):
    r = client.get("/search", params={"q": q})
    assert r.status_code == 200, r.text
    data = r.json()
    assert note in data["notes"] and isinstance(data["relaxed"], bool)
    assert client.get("/search", params={"q": q, "strict": "false"}).json()["notes"] == data["notes"]


@pytest.mark.parametrize("q", WITHOUT_WORDS)
@pytest.mark.parametrize("strict", ["false", "true"])
def test_a_query_without_words_is_400_in_both_modes(client, q, strict):
    message = assert_error(client.get("/search", params={"q": q, "strict": strict}), 400)
    assert len(message) < 300


def test_well_formed_query_has_no_notes(client):
    assert client.get("/search", params={"q": RAIL}).json()["notes"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "nông thôn", "limit": 0},
        {"q": "nông thôn", "limit": 1000},
        {"q": "nông thôn", "limit": "ten"},
        {"q": "a " * 600},
        {"q": "nông thôn", "offset": -1},
        {"q": "nông thôn", "offset": 10**30},
        {"q": "nông thôn", "sort": "random"},
        {"q": "nông thôn", "since": "yesterday"},
        {"q": "nông thôn", "since": "0001-01-01"},
        {"q": "nông thôn", "until": "2023-13-01"},
        {},
    ],
    ids=[
        "limit-0",
        "limit-1000",
        "limit-text",
        "too-long",
        "offset-negative",
        "offset-huge",
        "sort",
        "since-text",
        "since-year-1",
        "until-month-13",
        "no-q",
    ],
)
def test_bad_parameters_are_422(client, params):
    message = assert_error(client.get("/search", params=params), 422)
    assert len(message) < 500


def test_limit_bounds_are_accepted(client):
    assert client.get("/search", params={"q": "nông thôn", "limit": 1}).status_code == 200
    assert client.get("/search", params={"q": "nông thôn", "limit": 100}).status_code == 200
    from searchkit.query import MAX_QUERY_LENGTH

    longest = ("nông thôn " * MAX_QUERY_LENGTH)[:MAX_QUERY_LENGTH].strip()
    assert client.get("/search", params={"q": longest}).status_code == 200


# -- documents and summaries ---------------------------------------------------------------


def test_document_with_body_and_summary(client):
    r = client.get("/documents/hp-cang")
    assert r.status_code == 200
    doc = r.json()
    assert doc["id"] == "hp-cang" and doc["title"] == "Cảng Hải Phòng mở rộng bến container"
    assert doc["body"].startswith("Cảng Hải Phòng khởi công")
    assert doc["author"] == "Trần Thị Bình" and "score" not in doc and "snippet" not in doc
    assert isinstance(doc["summary"], list) and doc["summary"]


def test_document_ids_with_slashes(client):
    for path in (f"/documents/{NESTED_ID}", "/documents/" + quote(NESTED_ID, safe="")):
        r = client.get(path)
        assert r.status_code == 200, r.text
        assert r.json()["id"] == NESTED_ID and r.json()["title"] == "Phố cổ Hội An đón khách"
    r = client.get(f"/documents/{NESTED_ID}/summary")
    assert r.status_code == 200 and r.json()["id"] == NESTED_ID
    r = client.get("/documents/" + quote(XSS_RECORD["id"], safe="/"))
    assert r.status_code == 200 and r.json()["title"] == XSS_RECORD["title"]


@pytest.mark.parametrize(
    "path",
    [
        "/documents/no-such-document",
        "/documents/sub/dir",
        "/documents/..%2F..%2F..%2Fetc%2Fpasswd",
        "/documents/%2Fetc%2Fpasswd",
        "/documents//etc/passwd",
        "/documents/no-such-document/summary",
        "/documents/..%2Fetc%2Fpasswd/summary?sentences=2",
    ],
)
def test_unknown_documents_are_404(client, path):
    assert "no document" in assert_error(client.get(path), 404)


def test_raw_dot_dot_paths_are_not_found(site):
    """Dot segments sent as they are (httpx would normalise them away)."""
    conn = http.client.HTTPConnection("127.0.0.1", site["server"].port, timeout=30)
    try:
        for path in (
            "/documents/../../../../etc/passwd",
            "/documents/sub/../../etc/passwd",
            "/view/../../etc/passwd",
        ):
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read().decode()
            assert response.status == 404, (path, body)
            assert "root:" not in body
    finally:
        conn.close()


def test_document_summary_stored_and_computed(client):
    stored = client.get("/documents/hp-cang").json()["summary"]
    r = client.get("/documents/hp-cang/summary")
    assert r.status_code == 200 and r.json() == {"id": "hp-cang", "summary": stored}
    doc = client.get("/documents/doi-moi-tu-duy-hanh-dong-quyet-liet.txt").json()
    r = client.get("/documents/doi-moi-tu-duy-hanh-dong-quyet-liet.txt/summary", params={"sentences": 2})
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert r.json()["id"] == doc["id"] and len(summary) == 2
    assert all(s and s in doc["body"] for s in summary)
    one = client.get(
        "/documents/doi-moi-tu-duy-hanh-dong-quyet-liet.txt/summary", params={"sentences": 1}
    ).json()
    assert len(one["summary"]) == 1
    for bad in (0, -1, 1000, "two"):
        assert_error(client.get("/documents/hp-cang/summary", params={"sentences": bad}), 422)


def test_summarize_endpoint(client):
    text = (
        "Hà Nội khởi công tuyến đường sắt đô thị mới. Dự án dài 20 km, đi qua năm quận. "
        "Thành phố dự kiến hoàn thành vào năm 2027. Người dân kỳ vọng giảm ùn tắc giao thông."
    )
    r = client.post("/summarize", json={"text": text, "sentences": 2})
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert len(summary) == 2 and all(s in text for s in summary)
    r = client.post("/summarize", json={"text": text, "sentences": 1, "method": "lead"})
    assert r.json() == {"summary": ["Hà Nội khởi công tuyến đường sắt đô thị mới."]}
    assert client.post("/summarize", json={"text": "", "sentences": 2}).json() == {"summary": []}
    assert "nope" in assert_error(client.post("/summarize", json={"text": text, "method": "nope"}), 422)
    assert_error(client.post("/summarize", json={"sentences": 2}), 422)
    assert_error(client.post("/summarize", json={"text": text, "sentences": 0}), 422)
    assert_error(client.post("/summarize", json={"text": 5}), 422)
    assert_error(
        client.post("/summarize", content=b"{not json", headers={"content-type": "application/json"}), 422
    )
    assert_error(client.post("/summarize"), 422)


def test_unknown_route_is_json_404(client):
    assert_error(client.get("/no/such/route"), 404)
    assert client.post("/health").status_code == 405


def test_openapi_schema(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    paths = schema["paths"]
    assert {"/search", "/documents/{doc_id}", "/documents/{doc_id}/summary", "/summarize", "/health"} <= set(
        paths
    )
    assert "/" not in paths and not any(p.startswith("/view") for p in paths)
    params = {p["name"]: p for p in paths["/search"]["get"]["parameters"]}
    expected = {"q", "limit", "offset", "since", "until", "author", "category", "sort", "facets", "strict"}
    assert expected <= set(params)
    assert params["limit"]["schema"]["minimum"] == 1 and params["limit"]["schema"]["maximum"] == 100
    from searchkit.query import MAX_QUERY_LENGTH

    assert params["q"]["schema"]["maxLength"] == MAX_QUERY_LENGTH
    assert "requestBody" in paths["/summarize"]["post"]
    assert client.get("/docs").status_code == 200


# -- the HTML pages ------------------------------------------------------------------------


def test_search_page_form(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<meta name="viewport"' in html
    assert '<form class="search" method="get" action="/"' in html and 'name="q"' in html
    assert "<script" not in html  # the pages need no JavaScript
    assert "script-src" not in r.headers["content-security-policy"]  # so none may run


def test_search_page_results(client):
    r = client.get("/", params={"q": "nông thôn"})
    assert r.status_code == 200
    html = r.text
    assert "Đổi mới tư duy, hành động quyết liệt" in html
    # the article page, with the search it was found by (its words marked, a way back)
    assert 'href="/view/doi-moi-tu-duy-hanh-dong-quyet-liet.txt?q=n%C3%B4ng+th%C3%B4n"' in html
    assert "<mark>nông</mark> <mark>thôn</mark>" in html
    assert "Đào Quyên" in html and "2023-03-09" in html
    assert 'value="nông thôn"' in html
    # the stored summary is shown
    summary = client.get("/documents/doi-moi-tu-duy-hanh-dong-quyet-liet.txt").json()["summary"]
    assert summary and summary[0].replace('"', "&#34;").replace("'", "&#39;") in html


def test_search_page_paging(client):
    first = client.get("/", params={"q": RAIL}).text
    assert first.count('<li>\n      <h2><a href="/view/duong-sat-') == 10
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert "offset=10" in first
    second = client.get("/", params={"q": RAIL, "offset": 10}).text
    assert second.count('<h2><a href="/view/duong-sat-') == 2
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # an unreadable offset on the page is the first page, not an error
    assert client.get("/", params={"q": RAIL, "offset": "abc"}).status_code == 200


def test_search_page_escapes_documents_and_query(client):
    html = client.get("/", params={"q": "alert"}).text
    assert "Cảnh báo &lt;script&gt;alert(1)&lt;/script&gt; bảo mật" in html
    assert "&lt;b&gt;Kẻ Tấn Công&lt;/b&gt;" in html
    assert "<script>alert" not in html and "<b>Kẻ" not in html
    html = client.get("/", params={"q": f"{XSS} giao thông"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; giao thông" in html
    assert "<script>alert" not in html


def test_search_page_malformed_query_with_strict(client):
    r = client.get("/", params={"q": '"<script>alert(1)</script>', "strict": "1"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert '<p class="error" role="alert">Thiếu dấu &#34;' in r.text
    assert "<script>alert" not in r.text


def test_search_page_shows_notes_escaped(client):
    r = client.get("/", params={"q": '"<script>alert(1)</script>'})
    assert r.status_code == 200
    assert (
        '<p class="note">Thiếu dấu &#34; đóng: đã đọc &#34;&lt;script&gt;alert(1)&lt;/script&gt;&#34;'
        in r.text
    )
    assert "<script>alert" not in r.text and 'class="error"' not in r.text
    r = client.get("/", params={"q": "giao thông OR"})
    assert '<p class="note">Đã bỏ qua OR thiếu từ ở một bên.</p>' in r.text and "Giao thông Hà Nội" in r.text
    assert 'class="note"' not in client.get("/", params={"q": "giao thông"}).text


def test_search_page_keeps_strict_in_the_form_and_paging(client):
    html = client.get("/", params={"q": RAIL, "strict": "true"}).text
    assert '<input type="hidden" name="strict" value="true">' in html
    assert "strict=true" in html.split('rel="next"')[0].rsplit("<a ", 1)[1]
    assert 'name="strict"' not in client.get("/", params={"q": RAIL}).text


def test_search_page_without_results(client):
    r = client.get("/", params={"q": "xyzzyqwerty"})
    assert r.status_code == 200 and "xyzzyqwerty" in r.text and "<mark>" not in r.text


def test_document_page(client):
    r = client.get("/view/hp-cang")
    assert r.status_code == 200
    html = r.text
    assert "<h1>Cảng Hải Phòng mở rộng bến container</h1>" in html
    assert "Trần Thị Bình" in html and "2023-02-20" in html
    assert "<p>Cảng Hải Phòng khởi công mở rộng bến." in html
    assert 'class="summary"' in html
    nested = client.get(f"/view/{NESTED_ID}")
    assert nested.status_code == 200 and "Phố cổ Hội An đón khách" in nested.text


def test_document_page_escapes_and_drops_script_links(client):
    r = client.get("/view/" + quote(XSS_RECORD["id"], safe="/"))
    assert r.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<script>alert" not in r.text and "javascript:" not in r.text


def test_document_page_not_found(client):
    r = client.get("/view/..%2F..%2Fetc%2Fpasswd")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Không có bài nào mang mã" in r.text


# -- rendering details, in-process ----------------------------------------------------------


def test_highlight_parts_escape_and_bad_offsets():
    from searchkit.server import highlight_parts

    assert highlight_parts("a <b> c", [(2, 5)]) == [("a ", False), ("<b>", True), (" c", False)]
    # overlapping, reversed, out-of-range and empty spans never break the page
    assert highlight_parts("abcdef", [(4, 99), (1, 3), (2, 4), (5, 5), (-3, 0)]) == [
        ("a", False),
        ("bc", True),
        ("d", True),
        ("ef", True),
    ]
    assert highlight_parts("", [(0, 3)]) == []


def test_did_you_mean_is_a_link(site):
    import asyncio

    from searchkit.server import create_app

    app = create_app(site["index"])
    ix = app.state.index
    real = ix.search

    def with_suggestion(query, *args, **kwargs):
        result = real(query, *args, **kwargs)
        result.suggestion = "nông thôn <mới>"
        return result

    ix.search = with_suggestion

    async def fetch() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as local:
            return (await local.get("/", params={"q": "nong thon"})).text

    try:
        html = asyncio.run(fetch())
    finally:
        ix.close()
    assert 'href="/?q=n%C3%B4ng+th%C3%B4n+%3Cm%E1%BB%9Bi%3E"' in html
    assert "nông thôn &lt;mới&gt;</a>" in html


# -- lenient queries, in-process ---------------------------------------------------------------

PASTED = {
    '“Trùm "ma tuý nổi tiếng Hải Phòng bị bắt': "read mixed quotes",
    "(quý II": 'ignored an unmatched "("',
    "nông thôn OR": "ignored a dangling OR",
}


@pytest.fixture(scope="module")
def local(built_index):
    """The app in-process (no server): fast enough for property tests."""
    from fastapi.testclient import TestClient

    from searchkit.server import create_app

    with TestClient(create_app(built_index)) as test_client:
        yield test_client


@pytest.mark.parametrize("q, note", PASTED.items())
def test_pasted_queries_are_200_with_a_note(local, q, note):
    r = local.get("/search", params={"q": q})
    assert r.status_code == 200, r.text
    assert any(note in n for n in r.json()["notes"]), r.json()["notes"]
    page = local.get("/", params={"q": q})
    assert page.status_code == 200 and '<p class="note">' in page.text
    assert local.get("/search", params={"q": q, "strict": "true"}).status_code == 400


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=QUERY_WITH_A_WORD)
@example(q="-thuế")
def test_any_query_with_a_word_is_200(local, q):
    r = local.get("/search", params={"q": q, "limit": 3})
    assert r.status_code == 200, (q, r.text)
    assert isinstance(r.json()["notes"], list)


# -- one error handler, schemas from the records, in-process -----------------------------------


def test_every_error_is_one_json_message_with_its_status(local):
    """422 bodies are {"error": …} like every other error, and never echo the input."""
    cases = [
        (local.get("/search", params={"q": "x" * 1001}), 422, "q"),
        (local.get("/search", params={"q": "a", "limit": 0}), 422, "limit"),
        (local.get("/search", params={"q": "a", "since": "tomorrow"}), 422, "since"),
        (local.get("/search", params={"q": "()"}), 400, "search for"),
        (local.get("/documents/nope"), 404, "nope"),
        (local.get("/nowhere"), 404, "/nowhere"),
        (local.post("/summarize", json={"text": "Một câu.", "method": "nope"}), 422, "nope"),
    ]
    for response, status, mentioned in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert list(body) == ["error"] and mentioned in body["error"], body
        assert len(response.text) < 400, response.text


def test_stored_document_summary_validates_its_method(local):
    doc_id = local.get("/search", params={"q": "nông thôn"}).json()["hits"][0]["id"]
    r = local.get(f"/documents/{doc_id}/summary", params={"method": "foo"})
    assert r.status_code == 422 and "foo" in r.json()["error"]
    lead = local.get(f"/documents/{doc_id}/summary", params={"method": "lead", "sentences": 1}).json()
    body = local.get(f"/documents/{doc_id}").json()["body"]
    assert len(lead["summary"]) == 1 and body.startswith(lead["summary"][0])


def test_page_errors_are_pages(local):
    r = local.get("/view/no/such/doc")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Không có bài nào mang mã &#39;no/such/doc&#39;." in r.text
    assert '<p class="error" role="alert">' in r.text


def test_schema_documents_every_field_of_the_records(local):
    from dataclasses import fields

    from searchkit.records import Document, Hit, SearchResult

    schemas = local.get("/openapi.json").json()["components"]["schemas"]
    expected = {
        "Document": {f.name for f in fields(Document)},
        "Hit": {f.name for f in fields(Document)} - {"body"} | {f.name for f in fields(Hit)} - {"document"},
        "SearchResult": {f.name for f in fields(SearchResult)},
    }
    for name, names in expected.items():
        properties = schemas[name]["properties"]
        assert set(properties) == names, name
        assert all(p.get("description") for p in properties.values()), name
    # and a real response has exactly the fields the schema promises
    hit = local.get("/search", params={"q": "nông thôn"}).json()["hits"][0]
    assert set(hit) == expected["Hit"]
    paths = local.get("/openapi.json").json()["paths"]
    error_ref = "#/components/schemas/ErrorMessage"
    for path, operations in paths.items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": error_ref}, (path, status)


# -- the page speaks Vietnamese ------------------------------------------------------------------

# Queries (with page parameters) that make the library say each of its notes and errors.
PAGE_MESSAGES = [
    ({"q": "“nông thôn mới"}, "note"),
    ({"q": '"nông thôn” mới'}, "note"),
    ({"q": '"nông thôn'}, "note"),
    ({"q": 'nông "'}, "note"),
    ({"q": 'nông"thôn'}, "note"),
    ({"q": "nông thôn)"}, "note"),
    ({"q": "(nông thôn"}, "note"),
    ({"q": "nông OR"}, "note"),
    ({"q": "title: nông"}, "note"),
    ({"q": "-nông"}, "note"),
    ({"q": "thôn mơi"}, "note"),
    ({"q": "nông thôn xyzzy"}, "note"),
    ({"q": '+"nông thôn" xyzzy'}, "note"),
    ({"q": "ùn tắc container cây xanh phân luồng bến container tổ máy kéo dài"}, "note"),
    ({"q": 'Dự án "đường sắt" số 3 được khởi công ở các tỉnh'}, "note"),
    ({"q": "ủn tấc cọntainer cay xảnh phản luống bên tờ mày kẹo dai"}, "note"),
    ({"q": 'nông "', "strict": "1"}, "error"),
    ({"q": 'nông"thôn', "strict": "1"}, "error"),
    ({"q": "nông)", "strict": "1"}, "error"),
    ({"q": "(nông", "strict": "1"}, "error"),
    ({"q": "nông OR", "strict": "1"}, "error"),
    ({"q": "title: nông", "strict": "1"}, "error"),
    ({"q": "-nông", "strict": "1"}, "error"),
    ({"q": "()"}, "error"),
    ({"q": "nông " * 250}, "error"),
    ({"q": "nông", "since": "soon"}, "error"),
]
ENGLISH = re.compile(r"\b(the|query|ignored|document|phrase|needs|showing|those|words?|date|quotes?|read)\b")


def test_the_page_says_every_note_and_error_in_vietnamese(local):
    import html as html_module

    from searchkit.errors import QuerySyntaxError
    from searchkit.server.messages import _CATALOGUE, in_vietnamese

    said: list[str] = []
    for params, kind in PAGE_MESSAGES:
        page = local.get("/", params=params).text
        shown = [html_module.unescape(m) for m in re.findall(rf'<p class="{kind}"[^>]*>(.*?)</p>', page)]
        assert shown, (params, kind)
        for message in shown:
            assert not ENGLISH.search(message), (params, message)
        try:  # what the library said, in English
            result = local.app.state.index.search(
                params["q"], strict="strict" in params, since=params.get("since"), until=params.get("until")
            )
            said += result.notes
        except QuerySyntaxError as exc:
            said.append(str(exc))
    # every wording of the catalogue is reached by some query above, so none is dead
    for pattern, _ in _CATALOGUE[:-4]:  # the last: a date out of range and the error page
        assert any(re.fullmatch(pattern, message) for message in said), pattern
    assert in_vietnamese("something new") == "something new"  # unknown: shown as it is


def test_a_page_without_results_gives_hints(local):
    page = local.get("/", params={"q": 'xyzzy "qwerty asdf"', "author": "Ai Đó"}).text
    hints = re.findall(r"<li>(.*?)</li>", page.split('class="hints"')[1])
    assert len(hints) == 4 and any("bộ lọc" in h for h in hints) and any("ngoặc kép" in h for h in hints)


# -- starting up -------------------------------------------------------------------------------


def test_missing_index_is_one_line_and_exit_1(tmp_path):
    done = subprocess.run(
        [*SEARCHKIT, "serve", "--index", str(tmp_path / "none"), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, COLUMNS="200"),
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no index" in lines[0], done.stderr


def test_port_in_use_is_one_line_and_non_zero(site):
    done = subprocess.run(
        [*SEARCHKIT, "serve", "--index", str(site["index"]), "--port", str(site["server"].port)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, COLUMNS="200"),
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "in use" in lines[0], done.stderr


def test_bad_port_is_usage_error(site):
    done = subprocess.run(
        [*SEARCHKIT, "serve", "--index", str(site["index"]), "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr


# -- re-indexing while serving (keep last: it changes the index) -----------------------------


def test_reindex_is_seen_without_restart(client, site):
    from searchkit import index_paths

    before = client.get("/health").json()
    assert client.get("/search", params={"q": '"kỳ lân"'}).json()["total"] == 0
    (site["corpus"] / "ky-lan.txt").write_text(
        "Kỳ lân xuất hiện ở Thanh Hóa\n\nNgười dân Thanh Hóa kể chuyện kỳ lân trong lễ hội đầu năm.\n",
        encoding="utf-8",
    )
    time.sleep(0.05)  # a distinct commit time
    report = index_paths([site["corpus"]], site["index"], jobs=1)
    assert report.added == 1, report.summary()

    found = client.get("/search", params={"q": '"kỳ lân"'}).json()
    assert [h["id"] for h in found["hits"]] == ["ky-lan.txt"]
    after = client.get("/health").json()
    assert after["documents"] == before["documents"] + 1
    assert after["last_modified"] >= before["last_modified"]
    assert client.get("/documents/ky-lan.txt").json()["title"] == "Kỳ lân xuất hiện ở Thanh Hóa"
    assert "Kỳ lân xuất hiện ở Thanh Hóa" in client.get("/", params={"q": '"ky lan"'}).text


# -- filters, timeline, article and export on the page (issue 19) ---------------------------------

BUILD = "khởi công"  # hp-cang (Kinh tế, 02/2023, Trần Thị Bình) and the 12 rail records (Giao thông, 05/2023)


def _total(html: str) -> int:
    found = re.search(r'<strong class="total">([\d.]+)</strong>', html)
    assert found, html
    return int(found.group(1).replace(".", ""))


def _links(html: str, css_class: str) -> dict[str, str]:
    """Facet links of one facet section: the value shown → its href (unescaped)."""
    import html as html_module

    section = html.split(f'aria-labelledby="facet-{css_class}"', 1)[1].split("</section>", 1)[0]
    return {
        html_module.unescape(value): html_module.unescape(href)
        for href, value in re.findall(r'<a href="([^"]*)"[^>]*><span class="value">([^<]*)</span>', section)
    }


def test_search_page_facets_narrow_and_come_off(client):
    page = client.get("/", params={"q": BUILD}).text
    assert _total(page) == 13
    categories = _links(page, "category")
    assert set(categories) == {"Giao thông", "Kinh tế"}
    assert re.search(r"Giao thông</span><span class=\"count\">12<", page)
    narrowed = client.get(categories["Kinh tế"]).text
    assert _total(narrowed) == 1 and "Cảng Hải Phòng mở rộng bến container" in narrowed
    # the filter in force is shown with a link that takes it off
    chip = re.search(r'<li>Chuyên mục: Kinh tế <a href="([^"]*)"', narrowed)
    assert chip
    assert _total(client.get(chip.group(1).replace("&amp;", "&")).text) == 13
    authors = _links(page, "author")
    assert _total(client.get(authors["Võ Thị Hoa"]).text) == 12
    months = _links(page, "month")
    assert list(months) == ["05/2023", "02/2023"]  # newest first
    assert "since=2023-05-01&until=2023-05-31" in months["05/2023"]
    in_may = client.get(months["05/2023"]).text
    assert _total(in_may) == 12 and "Tháng 05/2023" in in_may


def test_search_page_timeline_bars_link_to_months(client):
    page = client.get("/", params={"q": BUILD, "sort": "date"}).text
    svg = page.split('<figure class="timeline">', 1)[1].split("</figure>", 1)[0]
    bars = dict(
        (label, href.replace("&amp;", "&"))
        for href, label in re.findall(r'<a href="([^"]*)" aria-label="([^"]*)"', svg)
    )
    # every month, empty ones too (the axis is time), over a year at least: 10/2022–09/2023
    months = [f"{m:02d}/2022" for m in (10, 11, 12)] + [f"{m:02d}/2023" for m in range(1, 10)]
    assert [label.split(":")[0] for label in bars] == months
    assert {label for label in bars if not label.endswith(": 0 kết quả")} == {
        "02/2023: 1 kết quả",
        "05/2023: 12 kết quả",
    }
    may = bars["05/2023: 12 kết quả"]
    assert "since=2023-05-01" in may and "until=2023-05-31" in may and "sort=date" in may
    in_may = client.get(may).text
    assert _total(in_may) == 12
    # narrowed to May, the timeline still shows every month of the query, May chosen
    svg = in_may.split('<figure class="timeline">', 1)[1].split("</figure>", 1)[0]
    assert 'aria-label="02/2023: 1 kết quả"' in svg and "mọi ngày" in in_may
    assert re.findall(r'aria-label="([^"]*)" class="chosen"', svg) == ["05/2023: 12 kết quả"]


def test_timeline_counts_years_over_a_long_span():
    from searchkit.server.pages import SearchState, timeline

    drawn = timeline({"2001-01": 2, "2001-07": 1, "2015-03": 4}, SearchState(q="x"))
    assert drawn is not None and drawn["yearly"]
    assert [b["label"] for b in drawn["bars"]] == [str(y) for y in range(2001, 2016)]
    assert drawn["bars"][0]["count"] == 3 and "since=2001-01-01&until=2001-12-31" in drawn["bars"][0]["url"]
    one = timeline({"2023-01": 5}, SearchState(q="x"))
    assert one is not None and [b["label"] for b in one["bars"]][::11] == ["08/2022", "07/2023"]
    assert timeline({}, SearchState(q="x")) is None


def test_search_page_numbers_and_dates_as_vietnamese_write_them(client):
    from searchkit.server.pages import _display_date, _number

    assert _number(133877) == "133.877" and _number(7) == "7" and _number(1234567) == "1.234.567"
    assert _display_date("2023-03-09T08:21:54+07:00") == "09/03/2023"
    assert _display_date("2023-03-09T08:21:54+07:00", with_time=True) == "09/03/2023 08:21"
    page = client.get("/", params={"q": "nông thôn"}).text
    assert '<time datetime="2023-03-09T08:21:54+07:00">09/03/2023</time>' in page


def test_search_page_date_range_and_sort_are_in_the_url(client):
    page = client.get("/", params={"q": BUILD, "since": "2023-05-03", "until": "2023-05-04"}).text
    assert _total(page) == 2
    assert 'name="since" value="2023-05-03"' in page and 'name="until" value="2023-05-04"' in page
    assert "Từ 03/05/2023" in page and "Đến 04/05/2023" in page
    assert 'href="/?q=kh%E1%BB%9Fi+c%C3%B4ng&amp;sort=date&amp;since=2023-05-03&amp;until=2023-05-04"' in page


def test_search_page_export_link_has_the_same_matches(client):
    page = client.get("/", params={"q": BUILD, "category": "Giao thông", "sort": "date"}).text
    link = re.search(r'<a href="(/export[^"]*format=csv[^"]*)" download>', page)
    assert link
    export = client.get(link.group(1).replace("&amp;", "&"))
    assert export.status_code == 200
    import csv
    import io

    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["id", "title", "date"] and len(rows) == 1 + 12
    assert [row[0] for row in rows[1:3]] == ["duong-sat-11", "duong-sat-10"]  # newest first, as the page


def test_article_page_marks_the_query_and_links_back(client):
    r = client.get("/view/hp-cang", params={"q": BUILD, "category": "Kinh tế", "offset": "0"})
    assert r.status_code == 200
    html = r.text
    body = html.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    assert "<p>Cảng Hải Phòng <mark>khởi</mark> <mark>công</mark> mở rộng bến." in body
    passage = html.split('<aside class="passage"', 1)[1].split("</aside>", 1)[0]
    assert "<mark>khởi</mark>" in passage and "Đoạn khớp với “khởi công”" in passage
    assert 'href="/?q=kh%E1%BB%9Fi+c%C3%B4ng&amp;category=Kinh+t%E1%BA%BF"' in html  # back to the results
    assert "Tóm tắt" in html and "Trần Thị Bình" in html and "20/02/2023 09:30" in html
    # accent-free queries mark every accented form; titles are marked too
    html = client.get("/view/hp-cang", params={"q": "cang hai phong"}).text
    assert "<h1><mark>Cảng</mark> <mark>Hải</mark> <mark>Phòng</mark> mở rộng bến container</h1>" in html
    # without a query, or with one that has no word, the article as it is
    for params in ({}, {"q": "( -- )"}):
        plain = client.get("/view/hp-cang", params=params)
        assert plain.status_code == 200 and "<mark>" not in plain.text


def test_article_page_marks_nfd_text_on_its_own_characters(tmp_path):
    """Offsets are on the stored text: NFD bodies are marked on the right characters."""
    import unicodedata

    from fastapi.testclient import TestClient

    from searchkit import index_paths
    from searchkit.server import create_app

    body = unicodedata.normalize("NFD", "Xây dựng nông thôn mới ở Thái Bình.\nNông dân phấn khởi.")
    write_records(tmp_path / "nfd.jsonl", [{"id": "nfd", "title": "Bài NFD", "body": body}])
    index_paths([tmp_path / "nfd.jsonl"], tmp_path / "index", jobs=1)
    with TestClient(create_app(tmp_path / "index")) as local_client:
        html = local_client.get("/view/nfd", params={"q": "nông"}).text
    marks = re.findall(r"<mark>(.*?)</mark>", html.split('<div class="body">', 1)[1])
    assert [unicodedata.normalize("NFC", m) for m in marks] == ["nông", "Nông"]
