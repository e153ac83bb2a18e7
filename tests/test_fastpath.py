"""The fast path for noisy but unchanged pages: its digest (plain strings), the pipeline that
uses it (a real extraction of the local publisher's noisy pages), and the hint's life in the
database (both backends). That it changes no change event is proven end to end by the
detection timelines, run with the fast path on and off (tests/conftest.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from db.recording import record_results
from db.watches import add_watch, claim_watches
from monitor.check import NEW_VERSION, UNCHANGED, CheckResult, FetchTarget
from monitor.fastpath import article_digest, covers, hint_applies, is_fast_hit, make_hint
from monitor.fingerprint import raw_hash
from monitor.schedule import Policy
from palimpsest.localsite import with_noise
from scraper import extract
from scraper.pipelines import judge_page
from tests.scenarios import REWRITTEN, TITLE, full

ARTICLE = {"tag": "article", "attr": None, "value": None}
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def page(
    paragraphs=("The council met on Tuesday.", "It voted to close the bridge."),
    *,
    title="Bridge to close",
    head='<meta property="og:title" content="Bridge to close">',
    inside="",
    outside="",
) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title>{head}</head><body><nav>Home</nav>"
        f"<article><h1>{title}</h1>{inside}{body}</article>{outside}</body></html>"
    )


def digest(html: str, locator=ARTICLE, ignore=()) -> str | None:
    found = article_digest(html, locator, ignore)
    return found[0] if found else None


def test_noise_outside_the_article_and_date_lines_inside_it_leave_the_digest_alone():
    first = page(inside="<p>Updated 3 minutes ago</p>", outside="<aside>Ad 81f2</aside>")
    later = page(
        inside="<p>Updated 9 minutes ago</p>",
        outside='<aside>Ad 03c9</aside><script>nonce="x"</script><h3 class="title">Top</h3>',
    )
    assert digest(first) == digest(later) is not None
    ignored = page(inside="<p>Viewers: 12</p>"), page(inside="<p>Viewers: 340</p>")
    assert digest(ignored[0]) != digest(ignored[1])
    assert digest(ignored[0], ignore=[r"Viewers: \d+"]) == digest(
        ignored[1], ignore=[r"Viewers: \d+"]
    )


def test_whatever_could_change_the_fingerprint_or_paywall_changes_the_digest():
    base = digest(page())
    changed = {
        "a paragraph": page(("The council met on Monday.", "It voted to close the bridge.")),
        "the <title>": page().replace("<title>Bridge to close", "<title>Bridge closes"),
        "og:title": page(head='<meta property="og:title" content="Bridge closes">'),
        "JSON-LD": page(head='<script type="application/ld+json">{"isAccessibleForFree": false}'),
        "content tier": page(head='<meta property="article:content_tier" content="locked">'),
        "microdata": page(outside='<meta itemprop="isAccessibleForFree" content="False">'),
    }
    for what, html in changed.items():
        assert digest(html) != base, what
    # Without og:title, trafilatura may take the headline from any heading: they count then.
    bare = page(head="")
    assert digest(bare.replace("</body>", "<h2>Most read</h2></body>")) != digest(bare)
    assert digest(page().replace("</body>", "<h2>Most read</h2></body>")) == base


def test_a_missing_or_repeated_element_gives_no_digest_and_the_digest_needs_the_whole_text():
    assert digest(page().replace("article>", "div>")) is None
    assert digest(page(outside="<article><p>Related</p></article>")) is None
    named = page().replace("<article>", '<article class="story">')
    assert digest(named, {"tag": "article", "attr": "class", "value": "story"}) is not None
    assert digest(named, {"tag": "article", "attr": "class", "value": "other"}) is None
    assert digest(page() + "<article>", ARTICLE) is None  # opened twice
    text = article_digest(page(), ARTICLE)[1]
    assert covers(text, "The council met on Tuesday.\nIt voted to close the bridge.")
    assert not covers(text, "The council met on Tuesday.\nA paragraph from elsewhere.")
    assert not covers(text, "")


def test_the_element_is_found_where_trafilatura_and_the_html_break_words_differently():
    text = "The council met on Tuesday.\nIt voted to close the bridge."
    # A soft hyphen and zero-width joiners in the page, not in trafilatura's text.
    assert covers("The coun\u00adcil met on \u200cTuesday.\nIt voted to close the bridge.", text)
    # Inline tags and table cells: where one text has a space the other may not.
    assert covers("The council met on Tues day.It voted to close the bridge.", text)
    # trafilatura dropped a link from the paragraph: its words are all there, in order.
    assert covers("The council, reports say, met on Tuesday. It voted to close the bridge.", text)
    assert not covers("On Tuesday the council met. It voted to close the bridge.", text)
    assert not covers("The council met on Tuesday. It voted to open the bridge.", text)


def test_an_element_named_by_a_common_word_is_found_however_often_the_word_is_in_the_page():
    words = "<p>The main road and the main square: the main thing.</p>" * 30
    named = page(outside=words).replace("<article>", '<article id="main">')
    where = {"tag": "article", "attr": "id", "value": "main"}
    assert digest(named, where) == digest(named.replace("</body>", "<p>ad 2</p></body>"), where)
    assert digest(named.replace("<article>", "<article id='main'>"), where) is not None
    assert digest(named.replace("<p>The main road", '<p id="main">The main road'), where) is None


def test_unclosed_tags_in_scripts_do_not_hide_a_headline_change():
    scripts = "<script>var t = '<title' + '>'; var h = '<h2 class=x>';</script>" * 50
    bare = page(head="", outside=scripts)
    assert digest(bare.replace("<title>Bridge to close", "<title>Bridge closes")) != digest(bare)
    assert digest(bare.replace("<h1>Bridge to close", "<h1>Bridge closes")) != digest(bare)
    assert digest(bare.replace("</body>", "<p>ad</p></body>")) == digest(bare)


def test_the_raw_digest_tells_a_page_whose_noise_is_outside_the_element_without_its_text():
    first = page(inside="<p>Updated 3 minutes ago</p>")
    found = article_digest(first, ARTICLE)
    hint = make_hint("f", "x", ARTICLE, found.text, found.raw)
    noisy = first.replace("</body>", "<aside>Ad 03c9</aside></body>")
    assert is_fast_hit(hint, noisy, "f", "x")
    # Only the raw digest can have matched: the text digest in this hint is wrong.
    assert is_fast_hit({**hint, "digest": "wrong"}, noisy, "f", "x")
    # Noise inside the element: the markup differs, the text after the stop list does not.
    inside = first.replace("3 minutes", "9 minutes")
    assert article_digest(inside, ARTICLE).raw != found.raw
    assert is_fast_hit(hint, inside, "f", "x")
    assert not is_fast_hit({**hint, "digest": "wrong"}, inside, "f", "x")
    # The article or the headline changed: neither digest matches.
    for changed in (first.replace("Tuesday", "Monday"), first.replace("<title>Bridge", "<title>A")):
        assert not is_fast_hit(hint, changed, "f", "x")


def test_a_hint_is_for_one_version_made_by_one_extractor():
    hint = make_hint("f1", "trafilatura 2 {}", ARTICLE, "d")
    assert hint_applies(hint, "f1", "trafilatura 2 {}")
    assert not hint_applies(hint, "f2", "trafilatura 2 {}")  # the version changed
    assert not hint_applies(hint, "f1", "trafilatura 3 {}")  # another extractor or options
    assert not hint_applies({**hint, "format": 0}, "f1", "trafilatura 2 {}")
    assert not hint_applies(None, "f1", "trafilatura 2 {}")


def check(html: str, target: FetchTarget, fast_path: bool = True) -> CheckResult:
    result = CheckResult(
        target=target,
        fetched_at=T0,
        outcome=NEW_VERSION,
        http_status=200,
        final_url=target.url,
        body=html.encode(),
        body_sha256=raw_hash(html.encode()),
    )
    judge_page(html, result, fast_path)
    return result


@pytest.fixture
def extractions(monkeypatch) -> list[str]:
    """Counts the full extractions (trafilatura runs) of the pages judged."""
    calls: list[str] = []
    real = extract.trafilatura.bare_extraction

    def counted(*args, **kwargs):
        calls.append("extract")
        return real(*args, **kwargs)

    monkeypatch.setattr(extract.trafilatura, "bare_extraction", counted)
    return calls


def noisy(html: str) -> str:
    return with_noise(html.encode()).decode()


def test_a_noisy_fetch_of_the_same_article_is_unchanged_without_extraction(extractions):
    first = check(noisy(full()), FetchTarget(watch_id=1, url="http://news.example/a"))
    assert first.outcome == NEW_VERSION and first.article_hint["locator"] == ARTICLE
    fingerprint = first.extraction.fingerprint
    target = FetchTarget(1, "http://news.example/a", latest_fingerprint=fingerprint)
    target = replace(target, article_hint=first.article_hint)
    extractions.clear()

    again = check(noisy(full()), target)
    assert (again.outcome, again.fast_path, again.extraction, again.body) == (
        UNCHANGED,
        True,
        None,
        None,
    )
    assert extractions == []

    rewritten = check(noisy(full(paragraphs=REWRITTEN)), target)
    retitled = check(noisy(full(title="Harbour bridge closes")), target)
    assert [r.outcome for r in (rewritten, retitled)] == [NEW_VERSION, NEW_VERSION]
    assert not rewritten.fast_path and rewritten.extraction.article.title == TITLE
    assert rewritten.article_hint["fingerprint"] == rewritten.extraction.fingerprint
    assert len(extractions) >= 2

    # Another version current, other options, or the fast path off: extracted in full.
    for other in (
        replace(target, latest_fingerprint="another version"),
        replace(target, options={"ignore": ["Most read"]}),
    ):
        extractions.clear()
        assert not check(noisy(full()), other).fast_path and extractions
    extractions.clear()
    off = check(noisy(full()), target, fast_path=False)
    assert (off.outcome, off.fast_path, off.article_hint) == (UNCHANGED, False, None)
    assert extractions


def test_the_hint_is_kept_in_the_database_and_goes_out_with_each_claim(sessions):
    with sessions.begin() as s:
        watch_id = add_watch(s, "http://news.example/a", T0)[0].id
    html = noisy(full())
    with sessions.begin() as s:
        (target,) = claim_watches(s, [watch_id], "w", T0, timedelta(minutes=5))
    assert target.article_hint is None
    first = check(html, target)
    with sessions.begin() as s:
        record_results(s, [first], T0, Policy())
    with sessions.begin() as s:
        (target,) = claim_watches(s, [watch_id], "w", T0, timedelta(minutes=5))
    assert target.article_hint == first.article_hint
    assert target.latest_fingerprint == first.article_hint["fingerprint"]

    again = check(noisy(full()), target)
    assert again.fast_path
    with sessions.begin() as s:
        record_results(s, [again], T0 + timedelta(minutes=1), Policy())
        (target,) = claim_watches(s, [watch_id], "w", T0, timedelta(minutes=5))
    assert target.article_hint == first.article_hint  # seen again: kept as it was

    changed = check(noisy(full(paragraphs=REWRITTEN)), target)
    changed.article_hint = None  # a new version whose page has no element to follow
    with sessions.begin() as s:
        record_results(s, [changed], T0 + timedelta(minutes=2), Policy())
        (target,) = claim_watches(s, [watch_id], "w", T0, timedelta(minutes=5))
    assert (
        target.article_hint is None
        and target.latest_fingerprint != first.article_hint["fingerprint"]
    )
