"""The search page in a real browser: headless Chromium driven by Selenium, against the real server."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from test_server import RAIL, XSS, XSS_RECORD, served_corpus

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and Path(p).exists()), None)
CHROMEDRIVER = next(
    (p for p in (shutil.which("chromedriver"), "/usr/bin/chromedriver") if p and Path(p).exists()), None
)

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_corpus(tmp_path_factory.mktemp("browser")) as (_, _, running):
        yield running


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    try:
        yield browser
    finally:
        browser.quit()


def no_alert(driver) -> bool:
    try:
        _ = driver.switch_to.alert  # raises when there is none
    except NoAlertPresentException:
        return True
    return False


def search_from_box(driver, base: str, query: str) -> None:
    driver.get(base + "/")
    box = driver.find_element(By.NAME, "q")
    box.clear()
    box.send_keys(query)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 30).until(EC.url_contains("q="))
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "main")))


def test_type_a_query_and_see_highlighted_results(driver, server):
    search_from_box(driver, server.url, "nông thôn")
    titles = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "ol.hits h2 a")]
    assert "Đổi mới tư duy, hành động quyết liệt" in titles
    assert "Tạo dư địa phát triển mới để tỉnh bứt phá vươn lên mạnh mẽ" in titles
    marks = {m.text.lower() for m in driver.find_elements(By.CSS_SELECTOR, "ol.hits .snippet mark")}
    assert {"nông", "thôn"} <= marks
    assert driver.find_element(By.NAME, "q").get_attribute("value") == "nông thôn"
    # the title links to the document page
    driver.find_element(By.LINK_TEXT, "Đổi mới tư duy, hành động quyết liệt").click()
    WebDriverWait(driver, 30).until(EC.url_contains("/view/"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Đổi mới tư duy, hành động quyết liệt"
    assert "Đào Quyên" in driver.find_element(By.CSS_SELECTOR, "article .meta").text


def test_paging_links(driver, server):
    search_from_box(driver, server.url, RAIL)
    assert len(driver.find_elements(By.CSS_SELECTOR, "ol.hits > li")) == 10
    driver.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    WebDriverWait(driver, 30).until(EC.url_contains("offset=10"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "ol.hits > li")) == 2
    assert driver.find_elements(By.CSS_SELECTOR, "a[rel=prev]")


def test_script_in_documents_and_query_stays_text(driver, server):
    search_from_box(driver, server.url, f"{XSS} alert")
    assert no_alert(driver)
    body = driver.find_element(By.TAG_NAME, "body").text
    assert XSS_RECORD["title"] in body  # "<script>alert(1)</script>" shown as text
    assert XSS in driver.find_element(By.CSS_SELECTOR, "ol.hits .snippet").text
    assert driver.find_element(By.NAME, "q").get_attribute("value") == f"{XSS} alert"
    assert not driver.find_elements(By.TAG_NAME, "script")
    assert driver.execute_script("return document.querySelectorAll('ol.hits mark').length") > 0

    driver.get(server.url + "/view/" + quote(XSS_RECORD["id"], safe="/"))
    assert no_alert(driver)
    assert driver.find_element(By.TAG_NAME, "h1").text == XSS_RECORD["title"]
    assert XSS in driver.find_element(By.TAG_NAME, "article").text
    assert not driver.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")


def test_a_malformed_query_is_read_leniently_and_explained(driver, server):
    search_from_box(driver, server.url, '"nông thôn')
    assert 'Thiếu dấu " đóng' in driver.find_element(By.CSS_SELECTOR, ".note").text
    assert driver.find_elements(By.CSS_SELECTOR, "ol.hits li")
    assert no_alert(driver)


def test_a_query_without_a_word_shows_the_error(driver, server):
    search_from_box(driver, server.url, "( -- )")
    assert "Truy vấn trống" in driver.find_element(By.CSS_SELECTOR, ".error").text
    assert no_alert(driver)


def test_fits_a_phone_screen(driver, server):
    driver.set_window_size(375, 812)
    try:
        driver.get(server.url + "/?q=" + quote("nông thôn"))
        fits = driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
        )
        assert fits, "the page scrolls sideways on a phone"
        box = driver.find_element(By.NAME, "q")
        assert box.size["width"] > 150
    finally:
        driver.set_window_size(1280, 900)


# -- filters, timeline, article page, accessibility, screenshots (issue 19) ---------------------

BUILD = "khởi công"  # hp-cang (Kinh tế, 02/2023) and the 12 rail records (Giao thông, 05/2023)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"  # git-ignored: look at them


def total(driver) -> int:
    return int(driver.find_element(By.CSS_SELECTOR, ".stats .total").text.replace(".", ""))


def follow(driver, element, expected_in_url: str) -> None:
    element.click()
    WebDriverWait(driver, 30).until(EC.url_contains(expected_in_url))
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.TAG_NAME, "footer")))


def test_a_facet_click_narrows_the_count_and_the_chip_takes_it_off(driver, server):
    search_from_box(driver, server.url, BUILD)
    assert total(driver) == 13
    link = driver.find_element(
        By.XPATH, "//section[@aria-labelledby='facet-category']//a[span[@class='value']='Kinh tế']"
    )
    assert link.find_element(By.CSS_SELECTOR, ".count").text == "1"
    follow(driver, link, "category=")
    assert total(driver) == 1
    assert [h.text for h in driver.find_elements(By.CSS_SELECTOR, "ol.hits h2")] == [
        "Cảng Hải Phòng mở rộng bến container"
    ]
    # the counts beside the results are those of the narrowed search
    authors = driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby='facet-author'] li")
    assert [a.text.split("\n") for a in authors] == [["Trần Thị Bình", "1"]]
    chip = driver.find_element(By.CSS_SELECTOR, "ul.chosen a")
    assert chip.get_attribute("aria-label") == "Bỏ lọc Chuyên mục: Kinh tế"
    chip.click()
    WebDriverWait(driver, 30).until(lambda d: "category=" not in d.current_url)
    assert total(driver) == 13


def test_timeline_bars_link_to_their_months(driver, server):
    search_from_box(driver, server.url, BUILD)
    bars = driver.find_elements(By.CSS_SELECTOR, "figure.timeline svg a")
    labels = [b.get_attribute("aria-label") for b in bars]
    assert len(labels) == 12 and labels[0] == "10/2022: 0 kết quả" and labels[-1] == "09/2023: 0 kết quả"
    assert [label for label in labels if not label.endswith(": 0 kết quả")] == [
        "02/2023: 1 kết quả",
        "05/2023: 12 kết quả",
    ]
    # the bars are drawn to scale: May's is twelve times February's
    heights = [
        float(r.get_attribute("height")) for r in driver.find_elements(By.CSS_SELECTOR, "svg rect.bar")
    ]
    assert heights == [pytest.approx(100 / 12), 100]
    follow(driver, bars[labels.index("05/2023: 12 kết quả")], "since=2023-05-01")
    assert "until=2023-05-31" in driver.current_url
    assert total(driver) == 12
    assert "Tháng 05/2023" in driver.find_element(By.CSS_SELECTOR, "ul.chosen").text
    chosen = driver.find_elements(By.CSS_SELECTOR, "figure.timeline svg a[aria-current]")
    assert [c.get_attribute("aria-label") for c in chosen] == ["05/2023: 12 kết quả"]


def test_the_article_page_marks_the_query_in_the_body_and_leads_back(driver, server):
    search_from_box(driver, server.url, "cang hai phong")  # typed without diacritics
    follow(driver, driver.find_element(By.LINK_TEXT, "Cảng Hải Phòng mở rộng bến container"), "/view/")
    marks = [m.text for m in driver.find_elements(By.CSS_SELECTOR, "article .body mark")]
    assert marks[:3] == ["Cảng", "Hải", "Phòng"] and "cảng" in marks  # every accented form, in place
    assert driver.find_elements(By.CSS_SELECTOR, "article h1 mark")
    assert "Trần Thị Bình" in driver.find_element(By.CSS_SELECTOR, "article .meta").text
    assert driver.find_element(By.CSS_SELECTOR, "aside.summary li").text
    assert driver.find_elements(By.CSS_SELECTOR, "aside.passage mark")
    follow(driver, driver.find_element(By.CSS_SELECTOR, "p.back a"), "/?q=")
    assert driver.find_element(By.NAME, "q").get_attribute("value") == "cang hai phong"


def axe_violations(driver) -> list[dict]:
    """axe-core's violations on the page, run in the browser (the package's bundled copy)."""
    from axe_core_python.selenium import Axe

    return Axe().run(driver)["violations"]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}): {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )


def test_the_accessibility_audit_finds_what_it_should(driver, server):
    """The audit is not blind: a page with an image without text and an unlabelled field fails."""
    pytest.importorskip("axe_core_python")
    driver.get("data:text/html;charset=utf-8,<html><body><img src='x.png'><input type='text'></body></html>")
    grave = {v["id"] for v in axe_violations(driver) if v["impact"] in ("serious", "critical")}
    assert {"image-alt", "label"} <= grave, grave


@pytest.mark.parametrize(
    "path",
    [
        "/?q=" + quote(BUILD),
        "/?q=" + quote(BUILD) + "&category=" + quote("Kinh tế") + "&since=2023-02-01&until=2023-02-28",
        "/view/hp-cang?q=" + quote(BUILD),
        "/?q=xyzzyqwerty",
    ],
)
def test_no_serious_or_critical_accessibility_violations(driver, server, path):
    pytest.importorskip("axe_core_python")
    for width in (1280, 390):
        driver.set_window_size(width, 900)
        try:
            driver.get(server.url + path)
            violations = axe_violations(driver)
        finally:
            driver.set_window_size(1280, 900)
        if violations:
            print(f"axe at {width}px on {path}:\n{describe(violations)}")
        grave = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not grave, describe(grave)


def full_page_screenshot(driver, path: Path, width: int) -> None:
    """The whole page at ``width`` CSS pixels, as a PNG at ``path``."""
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 120, 6000))
    driver.save_screenshot(str(path))


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_and_no_sideways_scrolling(driver, server, width):
    ARTIFACTS.mkdir(exist_ok=True)
    pages = {
        "results": "/?q=" + quote(BUILD),
        "results-filtered": "/?q=" + quote(BUILD) + "&sort=date&since=2023-05-01&until=2023-05-31",
        "article": "/view/doi-moi-tu-duy-hanh-dong-quyet-liet.txt?q=" + quote("nông thôn mới"),
    }
    try:
        for name, path in pages.items():
            driver.set_window_size(width, 900)
            driver.get(server.url + path)
            fits = driver.execute_script(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"
            )
            assert fits, f"{name} scrolls sideways at {width}px"
            if width < 500:  # the first screen, as a phone shows it
                driver.set_window_size(width, 844)
                driver.save_screenshot(str(ARTIFACTS / f"{name}-{width}-first-screen.png"))
            shot = ARTIFACTS / f"{name}-{width}.png"
            full_page_screenshot(driver, shot, width)
            assert shot.stat().st_size > 10_000
            print(f"screenshot: {shot}")
    finally:
        driver.set_window_size(1280, 900)
