"""The web UI in a real browser: headless Chromium (Debian's) driven by Playwright.

Screenshots (the diff, the paywall strip, the management page) are saved in test-output/
for people to look at. Every page visited is checked for what a screen-reader or keyboard
user needs (``assert_accessible``).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.articles import PARAGRAPHS, story_page
from tests.conftest import wait_for
from tests.receivers import WebhookReceiver
from tests.scenarios import TITLE, full, gated
from tests.webserver import TOKEN, get, request, serve

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
MARKUP = "The mayor wrote <script>alert('x')</script> & <b>signed</b> it."
PHONE = {"width": 390, "height": 800}
# Roles a user operates; each needs an accessible name (Chromium's own computation).
CONTROLS = {"textbox", "searchbox", "combobox", "checkbox", "button", "spinbutton", "link"}

# What the eye checks, in the page: lang, one main, a banner and a nav, the skip link first,
# one h1 and no skipped heading level, scoped table headers, and WCAG AA contrast of text.
PAGE_PROBLEMS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("no lang on <html>");
  const mains = document.querySelectorAll("main");
  if (mains.length !== 1 || mains[0].id !== "main") problems.push("not one <main id=main>");
  if (!document.querySelector("body > header, body > header nav")) problems.push("no header");
  if (!document.querySelector("nav")) problems.push("no nav");
  const first = document.querySelector("a[href], button, input:not([type=hidden]), select");
  if (!first || first.getAttribute("href") !== "#main") problems.push("skip link is not first");
  if (document.querySelectorAll("h1").length !== 1) problems.push("not one h1");
  let level = 0;
  for (const h of document.querySelectorAll("h1,h2,h3,h4,h5,h6")) {
    const next = +h.tagName[1];
    if (next > level + 1) problems.push(`${h.tagName} "${h.textContent.trim()}" after h${level}`);
    level = next;
  }
  for (const th of document.querySelectorAll("th:not([scope])"))
    problems.push(`th without scope: ${th.textContent.trim()}`);
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => v / 255).map((v) =>
      v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const [a, b] = [lum(rgb(style.color).slice(0, 3)), lum(background(el))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = +style.fontWeight >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5))
      problems.push(`contrast ${ratio.toFixed(2)} for "${el.textContent.trim().slice(0, 40)}"`);
  }
  return problems;
}"""


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is needed for the browser test (apt-get install chromium)")
    return found


def assert_accessible(page: Page) -> None:
    """The page as it is now, at its width and then at a phone's: landmarks, skip link,
    names of controls, headings, table headers, contrast, visible focus, no sideways scroll."""
    url = page.url
    problems = page.evaluate(PAGE_PROBLEMS)
    cdp = page.context.new_cdp_session(page)
    for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
        role = node.get("role", {}).get("value")
        named = str(node.get("name", {}).get("value", "")).strip()
        if role in CONTROLS and not node.get("ignored") and not named:
            problems.append(f"a {role} without an accessible name")
    cdp.detach()
    page.goto(url.split("#")[0])  # a fresh load: keyboard focus starts at the top
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => { const e = document.activeElement, s = getComputedStyle(e),"
        " r = e.getBoundingClientRect();"
        " return [e.getAttribute('href'), s.outlineStyle, parseFloat(s.outlineWidth), r.left]; }"
    )
    if focused[0] != "#main" or focused[1] == "none" or focused[2] < 2 or focused[3] < 0:
        problems.append(f"the first Tab does not show the skip link with a focus ring: {focused}")
    # The same page, with the same cookies, on a phone.
    phone = page.context.browser.new_context(
        viewport=PHONE, storage_state=page.context.storage_state()
    )
    small = phone.new_page()
    small.goto(url)
    width = small.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{width} px wide on a 390 px phone")
    phone.close()
    assert not problems, (url, problems)


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
            assert_accessible(page)
            page.get_by_role("link", name="Springfield mayor resigns").click()
            assert page.get_by_role("heading", level=1).inner_text() == "Springfield mayor resigns"
            assert_accessible(page)
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
            assert_accessible(page)
            phone = browser.new_page(viewport=PHONE)
            phone.goto(page.url)
            phone.screenshot(path=OUTPUT / "diff-phone.png")
            page.goto(f"{base}/changes")
            assert_accessible(page)
            browser.close()
    assert (OUTPUT / "diff.png").stat().st_size > 10_000


def test_the_story_page_shows_the_paywall_state_over_time(cli, site, db_url):
    path = f"wall-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, gated())
    cli("add", url)
    cli("check", url)
    site.publish(path, full())
    cli("check", url)
    site.publish(path, gated())
    cli("check", url)
    OUTPUT.mkdir(exist_ok=True)
    for base in serve(db_url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium())
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(base)
            page.get_by_role("link", name=TITLE).click()
            strip = page.locator("#paywall-strip > li")
            expect(strip).to_have_count(3)
            states = [s.strip() for s in page.locator("#paywall-strip strong").all_inner_texts()]
            assert states == ["gated", "free", "gated"], "the states are words, not colours only"
            texts = strip.all_inner_texts()
            assert "version 1" in texts[0] and "paywall lifted" in texts[1], texts
            assert "paywall added" in texts[2] and "→ now" in texts[2], texts
            strip.nth(1).get_by_role("link", name="diff 1 → 2").click()
            page.wait_for_url(f"{base}/watches/*/diff/1/2")
            page.go_back()
            page.locator("#paywall-strip").screenshot(path=OUTPUT / "paywall-strip.png")
            assert_accessible(page)
            phone = browser.new_page(viewport=PHONE)
            phone.goto(page.url)
            phone.locator("#paywall-strip").screenshot(path=OUTPUT / "paywall-strip-phone.png")
            boxes = [phone.locator("#paywall-strip > li").nth(i).bounding_box() for i in range(3)]
            assert all(b["x"] + b["width"] <= PHONE["width"] for b in boxes)
            assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"], "stacked on a phone"
            browser.close()
    assert (OUTPUT / "paywall-strip.png").stat().st_size > 2_000


def _post_form(url: str, fields: dict[str, str], cookie: str | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_an_editor_signs_in_and_manages_watches_and_alert_channels(cli, site, db_url):
    tag = uuid.uuid4().hex[:8]
    other = site.publish(f"m-other-{tag}", story_page())
    cli("add", other)
    url = site.publish(f"m-new-{tag}", story_page(title="Harbour opens"))
    OUTPUT.mkdir(exist_ok=True)
    with WebhookReceiver() as receiver:
        for base in serve(db_url, PALIMPSEST_API_TOKEN=TOKEN):
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium())
                context = browser.new_context(viewport={"width": 1100, "height": 900})
                page = context.new_page()
                page.goto(f"{base}/manage")
                page.wait_for_url(f"{base}/signin?next=/manage")
                assert_accessible(page)
                page.get_by_label("API token").fill("not-the-token")
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("alert")).to_contain_text("Wrong token")
                page.get_by_label("API token").fill(TOKEN)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url(f"{base}/manage")
                expect(page.get_by_role("status")).to_have_text("Signed in.")
                [session] = [c for c in context.cookies() if c["name"] == "palimpsest_session"]
                assert session["httpOnly"] and session["sameSite"] == "Strict"
                assert TOKEN not in session["value"], "the cookie holds an HMAC, not the token"

                # A watch: a bad URL is one line on the page, then a good one is added.
                page.get_by_label("Article URL").fill("ftp://example.com/story")
                page.get_by_role("button", name="Add watch").click()
                expect(page.get_by_role("alert")).to_contain_text("only http and https")
                assert page.get_by_label("Article URL").input_value() == "ftp://example.com/story"
                page.get_by_label("Article URL").fill(url)
                page.get_by_label("Tags").first.fill("harbour")
                page.get_by_role("button", name="Add watch").click()
                page.wait_for_url(f"{base}/watches/*")
                watch = int(page.url.rsplit("/", 1)[1])
                expect(page.get_by_role("status")).to_have_text(f"Added watch {watch}.")
                assert_accessible(page)
                page.get_by_role("button", name="Pause").click()
                expect(page.get_by_role("status")).to_have_text("Paused.")
                expect(page.get_by_role("button", name="Resume")).to_be_visible()
                assert request("GET", f"{base}/api/v1/watches/{watch}")[1]["status"] == "paused"

                # The status filter on the dashboard.
                page.goto(base)
                page.get_by_label("Status").select_option("paused")
                page.get_by_role("button", name="Filter").click()
                rows = page.locator("tbody tr")
                expect(rows).to_have_count(1)
                expect(rows).to_contain_text(url)
                expect(rows).to_contain_text("paused")
                page.get_by_label("Status").select_option("ok")
                page.get_by_role("button", name="Filter").click()
                expect(page.locator("tbody")).to_contain_text(other)
                expect(page.locator("tbody")).not_to_contain_text(url)
                assert_accessible(page)

                # Alert channels: an unknown scheme is refused, a webhook added and tested.
                page.goto(f"{base}/manage")
                page.get_by_label("Apprise URL").fill("nope://example.com/x")
                page.get_by_role("button", name="Add channel").click()
                expect(page.get_by_role("alert")).to_contain_text("not a channel URL Apprise")
                page.get_by_label("Apprise URL").fill(receiver.url("desk"))
                page.get_by_label("paywall lifted").check()
                page.get_by_role("button", name="Add channel").click()
                expect(page.get_by_role("status")).to_contain_text("Added alert channel")
                [channel] = request("GET", f"{base}/api/v1/channels")[1]
                assert channel["kinds"] == ["paywall_lifted"]
                expect(page.locator(f"#channel-{channel['id']}")).to_contain_text(
                    f"127.0.0.1:{receiver.port}"
                )
                page.get_by_role(
                    "button", name=f"Send a test alert to channel {channel['id']}"
                ).click()
                expect(page.get_by_role("status")).to_contain_text("Sent a test alert")
                wait_for(lambda: receiver.received, 10, "the test alert")
                assert receiver.paths() == ["/desk"] and "[test]" in receiver.messages()[0]
                page.screenshot(path=OUTPUT / "manage.png", full_page=True)
                assert_accessible(page)

                # Refused, and nothing changed: no cookie, or a wrong or missing CSRF token.
                csrf = page.locator("input[name=csrf]").first.get_attribute("value")
                remove = f"{base}/watches/{watch}/remove"
                status, body = _post_form(remove, {"csrf": csrf, "confirm": "1"})
                assert status == 403 and "sign in first" in body
                cookie = f"palimpsest_session={session['value']}"
                for fields in ({"csrf": "forged", "confirm": "1"}, {"confirm": "1"}):
                    status, body = _post_form(remove, fields, cookie)
                    assert status == 403 and "CSRF token is missing or wrong" in body
                drop = f"{base}/manage/channels/{channel['id']}/remove"
                assert _post_form(drop, {"csrf": "forged"}, cookie)[0] == 403
                forged = page.request.post(drop, form={"csrf": csrf + "0"})
                assert forged.status == 403
                assert request("GET", f"{base}/api/v1/watches/{watch}")[0] == 200
                assert len(request("GET", f"{base}/api/v1/channels")[1]) == 1

                page.get_by_role("button", name=f"Remove channel {channel['id']}").click()
                expect(page.get_by_role("status")).to_contain_text("Removed alert channel")
                expect(page.locator("#channels ~ table, section table").first).to_contain_text(
                    "No alert channel yet."
                )
                assert request("GET", f"{base}/api/v1/channels")[1] == []
                page.goto(f"{base}/watches/{watch}")
                page.get_by_label("Yes, remove it and its history").check()
                page.get_by_role("button", name="Remove").click()
                page.wait_for_url(f"{base}/")
                expect(page.get_by_role("status")).to_contain_text(f"Removed watch {watch}")
                assert request("GET", f"{base}/api/v1/watches/{watch}")[0] == 404
                page.get_by_role("button", name="Sign out").click()
                page.goto(f"{base}/manage")
                page.wait_for_url(f"{base}/signin?next=/manage")
                browser.close()
    assert (OUTPUT / "manage.png").stat().st_size > 10_000


def test_without_a_token_the_pages_say_how_to_enable_writes(db_url):
    for base in serve(db_url):
        status, _, page = get(f"{base}/manage")
        assert status == 200 and "Writes are disabled: set PALIMPSEST_API_TOKEN" in page
        assert "<form" not in page.split("<main", 1)[1]
        status, body = _post_form(f"{base}/manage/watches", {"url": "https://e.com/", "csrf": ""})
        assert status == 403 and "PALIMPSEST_API_TOKEN" in body
        assert json.loads(get(f"{base}/api/v1/watches")[2]) == []
