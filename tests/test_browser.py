"""The web UI in a real browser: headless Chromium (Debian's) driven by Playwright.

A screenshot of the diff page is saved in test-output/ for people to look at.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.articles import PARAGRAPHS, story_page
from tests.webserver import serve

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
MARKUP = "The mayor wrote <script>alert('x')</script> & <b>signed</b> it."


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is needed for the browser test (apt-get install chromium)")
    return found


@pytest.mark.backends("sqlite")  # the pages read what the API reads; both backends test that
def test_a_reader_opens_a_story_compares_two_versions_and_sees_the_changed_words(cli, site, db_url):
    path = f"ui-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, story_page(paragraphs=[*PARAGRAPHS, MARKUP]))
    cli("add", url, "--tag", "politics")
    cli("check", url)
    edited = [PARAGRAPHS[0].replace("on Monday", "on Tuesday"), *PARAGRAPHS[1:], MARKUP]
    site.publish(path, story_page(paragraphs=edited))
    cli("check", url)
    OUTPUT.mkdir(exist_ok=True)
    for base in serve(db_url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium())
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(f"{base}/?tag=politics")
            page.get_by_role("link", name="Springfield mayor resigns").click()
            assert page.get_by_role("heading", level=1).inner_text() == "Springfield mayor resigns"
            article = page.locator("article")
            assert MARKUP in article.inner_text(), "markup in an article shows as text"
            assert article.locator("script, b").count() == 0
            page.select_option("#from", "1")
            page.select_option("#to", "2")
            page.click("#compare")
            page.wait_for_url(f"{base}/watches/*/diff/1/2")
            inserted = [t.strip() for t in page.locator("#side-by-side ins").all_inner_texts()]
            deleted = [t.strip() for t in page.locator("#side-by-side del").all_inner_texts()]
            assert "Tuesday" in inserted and "Monday" in deleted, (inserted, deleted)
            page.screenshot(path=OUTPUT / "diff.png", full_page=True)
            phone = browser.new_page(viewport={"width": 390, "height": 800})
            phone.goto(page.url)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            phone.screenshot(path=OUTPUT / "diff-phone.png")
            browser.close()
    assert (OUTPUT / "diff.png").stat().st_size > 10_000
