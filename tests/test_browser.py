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
