"""Fuzzing the parsing of pages: extraction, paywall evidence, related pages, walls.

Hypothesis mutates real-looking article pages (the fixtures' stories, with JSON-LD, microdata,
subscription blocks and meters): byte ranges deleted, duplicated or swapped, random bytes
(NULs, invalid UTF-8) and unbalanced tags inserted, the page cut short or nested deeply, its
JSON-LD and head mangled. Whatever the page, the parsers return well-typed values and raise
nothing but UnreadablePage (HTML nested too deeply to read, recorded as an error).

The examples are derandomized, so CI runs the same ones every time, in under a minute on two
cores. ``PALIMPSEST_FUZZ_EXAMPLES=5000`` runs that many random (not derandomized) examples
per test, for a longer hunt. Everything runs in this one thread: trafilatura used from
several threads at once crashes the process.
"""

from __future__ import annotations

import json
import os
import re
import string
from urllib.parse import urlsplit

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from monitor.article import Article
from monitor.blocked import blocked_reason
from monitor.fingerprint import normalise_text, text_fingerprint
from monitor.paywall import (
    BLOCK_PHRASES,
    SIGNALS,
    STATES,
    Signal,
    decide,
    find_phrase,
    looks_scrambled,
    signal,
)
from palimpsest.localsite import CYRILLIC_PAGE, _unicode_page
from scraper.evidence import page_signals
from scraper.extract import UnreadablePage, extract_article, load_page
from scraper.related import MAX_HOST_CHARS, MAX_RELATED, discover_related
from scraper.spider import _page_text, _wall
from tests.articles import story_page
from tests.scenarios import full, gated, metered

_EXTRA = int(os.environ.get("PALIMPSEST_FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int):
    """``examples`` derandomized examples, or PALIMPSEST_FUZZ_EXAMPLES random ones."""
    return settings(
        max_examples=_EXTRA or examples,
        derandomize=not _EXTRA,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


URL = "https://news.example/2024/05/harbour-bridge"
WALLS = ("bot wall", "captcha", "access denied", "consent wall", "rate limited")
PART = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paywall"}
MICRODATA = (
    '<div itemscope itemtype="http://schema.org/NewsArticle">'
    '<meta itemprop="isAccessibleForFree" content="false">'
    '<span itemprop="hasPart" itemscope itemtype="http://schema.org/WebPageElement">'
    '<meta itemprop="isAccessibleForFree" content="false">'
    '<meta itemprop="cssSelector" content=".meteredContent"></span></div>'
)
PAYWALLED_PART = '<script type="application/ld+json">{}</script>'.format(
    json.dumps({"@type": "NewsArticle", "isAccessibleForFree": False, "hasPart": PART})
)
RELATED = (
    '<link rel="canonical" href="/2024/05/harbour-bridge?ref=home">'
    '<link rel="amphtml" href="https://amp.news.example/harbour-bridge">'
    '<meta property="og:url" content="https://news.example/harbour-bridge">'
    '<link rel="alternate" media="print" href="/print/harbour-bridge">'
    '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
    '<meta property="article:modified_time" content="2024-05-02T10:00:00Z">'
    '<meta property="article:content_tier" content="metered">'
    '<script src="https://cdn.tinypass.com/api/tinypass.min.js"></script>'
)
# Real-looking pages: a plain story, a free one, a gated one with a declared paywalled part,
# a metered one with a modal, microdata, a UTF-8 page in French and Russian, a windows-1251.
SEEDS = [
    story_page().encode(),
    full().encode(),
    gated(head=RELATED + PAYWALLED_PART).encode(),
    metered(2).encode(),
    story_page(after=MICRODATA, head=RELATED).encode(),
    _unicode_page(head=RELATED).encode(),
    CYRILLIC_PAGE,
]
CONTENT_TYPES = [
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=iso-8859-1",
    "text/html; charset=windows-1251",
    "text/html; charset=utf-16",
    "text/html; charset=no-such-charset",
]
ODD_BYTES = [
    b"\0",
    b"\0\0\0\0",
    b"\xff",
    b"\xfe\xff",
    b"\xc3",  # a lone UTF-8 lead byte
    b"\xed\xa0\x80",  # a UTF-8 encoded surrogate
    b"\xef\xbb\xbf",  # a BOM, mid-page
    b"&#0;",
    b"&#xD800;",
    b"&#99999999;",
    b"&amp",
    b"\r",
    b"\x1b[31m",
    b"\x0b\x0c",
]
TAGS = [
    "<div>",
    "</div>",
    "<p>",
    "</p>",
    "<article>",
    "</article>",
    "</main>",
    "<table><tr><td>",
    "</td></tr>",
    "<script>",
    "</script>",
    '<script type="application/ld+json">',
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<title>",
    "</title>",
    "<html>",
    "</html>",
    "<head>",
    "<body>",
    "</body>",
    "<svg><foreignObject>",
    "<math>",
    "<template>",
    "<noscript>",
    "<select>",
    "<textarea>",
    "<plaintext>",
    "<xmp>",
    "<frameset>",
    "<iframe src=",
    '<div class="paywall modal">Subscribe to continue reading.',
    '<meta charset="utf-16">',
    '<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">',
    '<?xml version="1.0" encoding="utf-8"?>',
    "<!DOCTYPE html/>",
    "<html/>",
    "<a href='http://[::1'>",
    "<",
    ">",
    '"',
    "&",
]
CSS = [".paywall", "#rest", "div > p:nth-child(2n+1)", "a[", ":nth-child(", "::before", "*"]
CSS += [":contains('x')", "p:has(a)", "[itemprop~=x]", "", "}}", "\\", ":not(", "a:hover"]
CSS += ["\\1", "\\0 p", "a\\7f", "p:nth-of-type(99999999999999999999)"]
HREFS = ["http://[::1", "http://[zz]/", "//[", "javascript:alert(1)", "http://a:99999999/"]
HREFS += ["", "#", "//", "https://" + "h" * 300 + ".example/", "data:text/html,x", " /x "]
VALUES = ["false", "true", "False", "no", "1", "0", "", "locked", "premium", "free", "x" * 200]
FREE = [False, True, "False", "true", "no", None, [], [False, True], {"@value": "false"}, 0]
WEIRD_JSON = [
    "[" * 100_000,
    '{"isAccessibleForFree": false, "n": ' + "1" * 5000 + "}",
    '{"isAccessibleForFree": false,}',
    "/* c */ {'a': 1}",
    '<!-- //<![CDATA[\n{"isAccessibleForFree": "False"}\n//]]> -->',
    '{"a": 1} {"b": 2} trailing',
    '{"isAccessibleForFree": NaN, "x": Infinity}',
    '{"@type": [null, 1, {}], "isAccessibleForFree": false, "cssSelector": "\\\\1"}',
    '{"@type": "A\\u0000B", "isAccessibleForFree": "false", "cssSelector": ["\\u0000"]}',
    "/* " * 20_000,
    "",
    "null",
    '"\\ud800"',
]


def _at(draw, page: bytearray) -> int:
    return draw(st.integers(0, len(page)))


def _span(draw, page: bytearray) -> tuple[int, int]:
    start = _at(draw, page)
    return start, min(len(page), start + draw(st.integers(0, 400)))


def delete(draw, page: bytearray) -> bytearray:
    start, end = _span(draw, page)
    return page[:start] + page[end:]


def duplicate(draw, page: bytearray) -> bytearray:
    start, end = _span(draw, page)
    return page[:end] + page[start:end] * draw(st.integers(1, 20)) + page[end:]


def swap(draw, page: bytearray) -> bytearray:
    (a, b), (c, d) = sorted([_span(draw, page), _span(draw, page)])
    if c < b:
        return page
    return page[:a] + page[c:d] + page[b:c] + page[a:b] + page[d:]


def insert_bytes(draw, page: bytearray) -> bytearray:
    at = _at(draw, page)
    junk = draw(st.one_of(st.sampled_from(ODD_BYTES), st.binary(min_size=1, max_size=64)))
    return page[:at] + junk + page[at:]


def insert_tags(draw, page: bytearray) -> bytearray:
    at = _at(draw, page)
    tags = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=8))
    return page[:at] + "".join(tags).encode() + page[at:]


def truncate(draw, page: bytearray) -> bytearray:
    return page[: _at(draw, page)]


def nest(draw, page: bytearray) -> bytearray:
    start, end = _span(draw, page)
    tag = draw(st.sampled_from(["div", "b", "span", "section", "table", "p", "li"]))
    depth = draw(st.sampled_from([10, 255, 256, 300, 2047, 2100, 20_000]))
    closed = draw(st.booleans())
    opening, closing = f"<{tag}>".encode() * depth, f"</{tag}>".encode() * depth * closed
    return page[:start] + opening + page[start:end] + closing + page[end:]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["@type", "isAccessibleForFree", "hasPart", "cssSelector", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


def mangle_json_ld(draw, page: bytearray) -> bytearray:
    kind = draw(st.sampled_from(["structure", "text", "weird"]))
    if kind == "structure":
        data = draw(json_values)
        if isinstance(data, dict) and draw(st.booleans()):
            data["isAccessibleForFree"] = draw(st.sampled_from(FREE))
            data["cssSelector"] = draw(st.sampled_from(CSS) | st.lists(st.sampled_from(CSS)))
        script = json.dumps(data)
    elif kind == "text":
        script = json.dumps({"@type": "NewsArticle", "isAccessibleForFree": False, "hasPart": PART})
        at = draw(st.integers(0, len(script)))
        script = script[:at] + draw(st.text(string.printable, max_size=10)) + script[at + 3 :]
    else:
        script = draw(st.sampled_from(WEIRD_JSON))
    html = bytes(page).decode("utf-8", "surrogateescape")
    found = re.search(r"(<script type=\"application/ld\+json\">)(.*?)(</script>)", html, re.S)
    if found:
        html = html[: found.start(2)] + script + html[found.end(2) :]
    else:
        html = html.replace("</head>", f'<script type="application/ld+json">{script}</script>', 1)
    return bytearray(html.encode("utf-8", "surrogateescape"))


def mangle_head(draw, page: bytearray) -> bytearray:
    """Links and metas the parsers read, with odd values: related pages, tiers, dates, parts."""
    value = draw(st.sampled_from(VALUES + HREFS) | st.text(max_size=30))
    element = draw(
        st.sampled_from(
            [
                '<link rel="canonical" href="{}">',
                '<link rel="amphtml" href="{}">',
                '<a rel="alternate" href="print{}">print</a>',
                '<meta property="og:url" content="{}">',
                '<meta property="article:content_tier" content="{}">',
                '<meta property="article:modified_time" content="{}">',
                '<meta itemprop="isAccessibleForFree" content="{}">',
                '<div itemscope itemprop="hasPart"><meta itemprop="isAccessibleForFree" '
                'content="false"><meta itemprop="cssSelector" content="{}"></div>',
            ]
        )
    )
    at = _at(draw, page)
    return page[:at] + element.format(value.replace('"', "&quot;")).encode() + page[at:]


MUTATIONS = [delete, duplicate, swap, insert_bytes, insert_tags, truncate, nest]
MUTATIONS += [mangle_json_ld, mangle_head]


@st.composite
def mutated_pages(draw) -> bytes:
    page = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 5))):
        page = draw(st.sampled_from(MUTATIONS))(draw, page)
    return bytes(page)


@st.composite
def decoded_pages(draw) -> str:
    """A mutated page decoded as the spider decodes it, under one of CONTENT_TYPES."""
    headers = {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))}
    return _page_text(HtmlResponse(URL, body=draw(mutated_pages()), headers=headers))


def no_nul(*values: str | None) -> bool:
    return not any(value and "\0" in value for value in values)


def check_signals(signals) -> None:
    """Known signals. (A detail may quote a NUL from JSON-LD: stored as JSON, it is escaped.)"""
    assert isinstance(signals, list | tuple)
    for s in signals:
        assert isinstance(s, Signal) and s.name in SIGNALS and isinstance(s.detail, str)


def check_related(related: dict[str, str] | tuple) -> None:
    pairs = related.items() if isinstance(related, dict) else related
    assert len(pairs) <= MAX_RELATED
    for url, relation in pairs:
        assert isinstance(url, str) and url.startswith(("http://", "https://")), url
        assert relation in ("canonical", "amp", "og:url", "print", "feed") and no_nul(url)
        assert len(urlsplit(url).netloc.rpartition("@")[2]) <= MAX_HOST_CHARS  # fits watch.domain


@fuzz_settings(2000)
@given(
    html=decoded_pages(),
    longest=st.none() | st.integers(0, 5000),
    selector=st.sampled_from([None, None, None, "article p", "div", "main, .paywall"]),
)
def test_extraction_of_a_mutated_page_gives_a_well_typed_article(html, longest, selector):
    try:
        extraction = extract_article(html, URL, selector, ignore=[r"Most read.*"])
    except UnreadablePage as exc:
        assert str(exc) and "\n" not in str(exc)
        event("unreadable")
        return
    article = extraction.article
    event("no text" if not article.text else f"{len(article.text.split()) // 100 * 100}+ words")
    assert isinstance(article, Article) and isinstance(article.text, str)
    for value in (article.title, article.byline, article.published, article.modified):
        assert value is None or (isinstance(value, str) and value.strip())
    assert no_nul(article.title, article.text, article.byline, article.published)
    assert no_nul(article.modified) and len(article.modified or "") <= 64
    assert re.fullmatch(r"[0-9a-f]{64}", extraction.fingerprint)
    assert extraction.fingerprint == text_fingerprint(article.text, article.title)
    check_signals(extraction.paywall_evidence)
    check_related(extraction.related)
    state, evidence = decide(
        list(extraction.paywall_evidence), words=article.word_count, longest_words=longest
    )
    assert state in STATES
    check_signals(evidence)
    event(f"paywall {state}")
    assert blocked_reason(200, article.title, article.text) in (None, *WALLS)


@fuzz_settings(2000)
@given(html=decoded_pages(), data=st.data())
def test_paywall_evidence_and_related_pages_of_a_mutated_page(html, data):
    try:
        tree = load_page(html)
    except UnreadablePage:
        return
    if tree is None:
        return
    text = data.draw(
        st.sampled_from(["", tree.text_content()[-2000:], "Subscribe to continue reading."])
        | st.text(max_size=300)
    )
    check_signals(page_signals(tree, text))
    page_url = data.draw(st.sampled_from([URL, "https://news.example", "http://[::1]/x"]))
    check_related(discover_related(tree, page_url))


@fuzz_settings(500)
@given(page=mutated_pages(), status=st.sampled_from([401, 403, 429, 503]))
def test_a_mutated_error_page_is_judged_wall_or_not(page, status):
    response = HtmlResponse(URL, status=status, body=page, headers={"Content-Type": "text/html"})
    assert _wall(response) in (None, *WALLS)


signals = st.builds(signal, st.sampled_from(sorted(SIGNALS)), st.text(max_size=20))
word_counts = st.none() | st.integers(0, 10**7)


@fuzz_settings(500)
@given(
    evidence=st.lists(signals, max_size=12),
    words=st.integers(0, 10**7),
    longest=word_counts,
    related=word_counts,
)
def test_any_evidence_decides_one_known_state(evidence, words, longest, related):
    state, out = decide(evidence, words=words, longest_words=longest, related_words=related)
    assert state in STATES
    check_signals(out)
    assert decide(out, words=words, longest_words=longest, related_words=related)[0] == state


@fuzz_settings(500)
@given(
    status=st.none() | st.sampled_from([200, 401, 403, 429, 503]) | st.integers(100, 599),
    title=st.none() | st.text(max_size=60),
    text=st.text(max_size=2000),
)
def test_any_text_is_judged_without_failing(status, title, text):
    assert blocked_reason(status, title, text) in (None, *WALLS)
    phrase = find_phrase(BLOCK_PHRASES, text)
    assert phrase is None or isinstance(phrase, str)
    assert isinstance(looks_scrambled(text), bool)
    assert re.fullmatch(r"[0-9a-f]{64}", text_fingerprint(text, title))
    assert isinstance(normalise_text(text), str)
