"""Article extraction with trafilatura: title, byline, dates, main text and paywall signals.

The text leaves without its stop-list lines (``monitor.noise``) and a first line repeating
the headline. A watch may name a CSS selector for the body and regexes to ignore. The
extractor's name, version and options go with every version it makes, so that an upgrade
of the extractor can be told apart from an edit by the publisher.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from importlib.metadata import version as package_version
from typing import Any

import trafilatura
from lxml import etree
from lxml.html import HtmlElement, HTMLParser, fromstring
from trafilatura.settings import Document
from trafilatura.utils import HTML_PARSER, load_html, repair_faulty_html

from monitor.article import Article
from monitor.check import Extraction, extractor_key
from monitor.fastpath import article_digest, covers, hint_applies, locate, make_hint
from monitor.fingerprint import normalise_text, text_fingerprint
from monitor.noise import strip_noise
from monitor.paywall import BLOCK_PHRASES, METER_PHRASES, PROMPT_PHRASES, find_phrase
from scraper.evidence import page_signals
from scraper.related import discover_related

EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = package_version("trafilatura")
OPTIONS = {
    "fast": False,
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
}
# A text under RESCUE_BELOW characters is redone without favor_precision, and that text kept
# if RESCUE_RATIO times as long (bench/extraction.py: precision alone cut 1 page in 181 to a
# teaser; with this rescue mean token F1 is 0.971 against 0.961 in balanced mode).
RESCUE_BELOW, RESCUE_RATIO = 500, 2.0

PROMPTS = (BLOCK_PHRASES, PROMPT_PHRASES, METER_PHRASES)
PROMPT_MAX_WORDS = 40
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

# A page is extracted up to its first MAX_TEXT_CHARS characters of text (scripts and styles
# aside), and up to the element where the depths of its elements add up to MAX_NESTING_WORK;
# the rest of the page is dropped before extraction. A 9 MB page of text took 7 s and 330 MB
# in trafilatura (1,000,000 characters, some 150,000 words, is past any article: 1 s), and
# trafilatura looks at every ancestor of every paragraph: 20,000 paragraphs 2,000 elements
# deep took 13 s (1.2 s capped). On the 181 pages of bench/extraction.py they add up to 24,000
# at most (nothing is cut). And while one page is extracted, every other page waits.
MAX_TEXT_CHARS = 1_000_000
MAX_NESTING_WORK = 5_000_000
_NOT_TEXT = frozenset({"script", "style"})
# The width of version.modified: a longer value is no date, and PostgreSQL refused it ("value
# too long"), which failed the recording of the whole batch of results.
MODIFIED_MAX = 64

# libxml2 stops parsing at 256 nested elements or at a text node of 10 MB (an inline script)
# and keeps what came before: the article after it was silently lost, a version holding the
# navigation alone. Such a page is parsed again with huge_tree (2,048 levels, text nodes up
# to 1 GB); a page nested deeper still is an UnreadablePage, recorded as an error.
_HUGE_PARSER = HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
)


class UnreadablePage(ValueError):
    """HTML the parser gives up on part way: an error, rather than a version of a part."""


_MODIFIED_XPATH = (
    '//meta[@property="article:modified_time" or @itemprop="dateModified"'
    ' or @name="last-modified"]/@content'
)


def extract_article(
    html: str,
    url: str | None = None,
    selector: str | None = None,
    ignore: Sequence[str] = (),
    known_fingerprint: str | None = None,
    *,
    with_hint: bool = False,
    previous_hint: dict[str, Any] | None = None,
) -> Extraction:
    """Extract the article of ``html``; a page with no article gives an empty text.

    When the article's fingerprint equals ``known_fingerprint`` (the current version's), the
    paywall evidence and related pages are not looked for: nothing changed that they describe,
    and they cost more than trafilatura itself on a typical page. ``with_hint`` also makes
    the fast path's hint for this article (``monitor.fastpath``; ``previous_hint``'s element
    is tried first). Raises UnreadablePage for HTML nested too deeply to parse.
    """
    tree = load_page(html)
    signals, related, hint = [], {}, None
    if tree is None:
        article = Article(title=None, text="", url=url)
        fingerprint = text_fingerprint("", None)
    else:
        article = _article(tree, url, selector, ignore)
        untrimmed = article.text
        article = replace(article, text=without_prompts(untrimmed))
        fingerprint = text_fingerprint(article.text, article.title)
        if fingerprint != known_fingerprint:
            signals = page_signals(tree, untrimmed)
            related = discover_related(tree, url) if url else {}
    options = extractor_options(selector, ignore)
    if with_hint and tree is not None:
        key = extractor_key(EXTRACTOR, EXTRACTOR_VERSION, options)
        hint = _article_hint(html, tree, article.text, fingerprint, key, ignore, previous_hint)
    return Extraction(
        article=article,
        fingerprint=fingerprint,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        extractor_options=options,
        paywall_evidence=tuple(signals),
        related=tuple(related.items()),
        article_hint=hint,
    )


def extractor_options(selector: str | None = None, ignore: Sequence[str] = ()) -> dict[str, Any]:
    """The options a version records as made with: the extractor's, and the watch's."""
    options: dict[str, Any] = {**OPTIONS, "rescue_below": RESCUE_BELOW}
    options["rescue_ratio"] = RESCUE_RATIO
    if selector:
        options["selector"] = selector
    if ignore:
        options["ignore"] = list(ignore)
    return options


def current_extractor(selector: str | None = None, ignore: Sequence[str] = ()) -> str:
    """The extractor key (``monitor.check.extractor_key``) a watch's page is extracted with."""
    return extractor_key(EXTRACTOR, EXTRACTOR_VERSION, extractor_options(selector, ignore))


def _article_hint(
    html: str,
    tree: HtmlElement,
    text: str,
    fingerprint: str,
    key: str,
    ignore: Sequence[str],
    previous: dict[str, Any] | None,
) -> dict[str, Any] | None:
    """The fast path's hint for this article: its element, found again or anew, and the
    digest; None (keep the watch's hint) when the previous one already says "no element"
    for this very version."""
    tried = []
    if isinstance(previous, dict) and previous.get("extractor") == key:
        if previous.get("locator") is None:
            if hint_applies(previous, fingerprint, key):
                return None
        else:
            tried.append(previous["locator"])
    for locator in _then_located(tried, tree, text):
        found = article_digest(html, locator, ignore)
        if found is not None and covers(found[1], text):
            return make_hint(fingerprint, key, locator, found.text, found.raw)
    return make_hint(fingerprint, key, None, None)


def _then_located(first: list[dict[str, Any]], tree: HtmlElement, text: str):
    yield from first
    yield from (locator for locator in locate(tree, text) if locator not in first)


def load_page(html: str) -> HtmlElement | None:
    """``html`` parsed as trafilatura does, whole (see _HUGE_PARSER) and capped (see
    MAX_TEXT_CHARS); None for a page with nothing in it."""
    tree = load_html(html)
    if _gave_up(HTML_PARSER):
        repaired = repair_faulty_html(html, html[:50].lower())
        try:
            tree = fromstring(repaired, parser=_HUGE_PARSER)
        except ValueError:  # a str that declares its encoding (an XML prologue)
            tree = fromstring(repaired.encode("utf-8", "surrogatepass"), parser=_HUGE_PARSER)
        if reason := _gave_up(_HUGE_PARSER):
            raise UnreadablePage(reason)
    if tree is None:
        return None
    # lxml.html.fromstring returns the one element of a page that reads as a fragment: for
    # '<iframe src=<!doctype html>…' an <iframe> inside <body>, which htmldate's cleaning
    # then failed to drop (an AssertionError out of trafilatura). The whole document it is.
    return _capped(tree.getroottree().getroot())


def _gave_up(parser: HTMLParser) -> str | None:
    """Why the last parse by ``parser`` stopped before the end of the page, if it did."""
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            if "depth" in entry.message:
                return "the HTML is nested too deeply to read (more than 2,048 levels)"
            return f"the HTML is beyond the parser's limits: {' '.join(entry.message.split())}"
    return None


def _capped(tree: HtmlElement) -> HtmlElement:
    """``tree`` less what follows MAX_TEXT_CHARS characters of text or MAX_NESTING_WORK."""
    text_left, work_left, depth = MAX_TEXT_CHARS, MAX_NESTING_WORK, 0
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        if event == "start":
            depth += 1
            work_left -= depth
            text = element.text if element.tag not in _NOT_TEXT else None
            if text and len(text) >= text_left:
                element.text, text_left = text[:text_left], 0
            elif text:
                text_left -= len(text)
            if text_left <= 0 or work_left <= 0:  # the page stops in this element's text
                for child in list(element):
                    element.remove(child)
                element.tail = None
                break
        else:
            depth -= 1
            tail = element.tail
            if tail and len(tail) >= text_left:  # the page stops in this element's tail
                element.tail = tail[:text_left]
                break
            text_left -= len(tail or "")
    else:
        return tree
    node = element  # what follows it goes
    while (parent := node.getparent()) is not None:
        for sibling in list(node.itersiblings()):
            parent.remove(sibling)
        node = parent
    return tree


def _article(
    tree: HtmlElement, url: str | None, selector: str | None, ignore: Sequence[str]
) -> Article:
    modified = tree.xpath(_MODIFIED_XPATH)
    document = _bare_extraction(tree, url)
    if document is None:
        titles = tree.xpath("//title/text()")
        title, text, byline, published = (_clean(titles[0]) if titles else None), "", None, None
    else:
        title, text = _clean(document.title), (document.text or "").strip()
        byline, published = _clean(document.author), document.date
    if selector:
        text = _selected_text(tree, selector)
    return Article(
        title=title,
        text=_without_headline(strip_noise(text, ignore), title),
        byline=byline,
        published=published,
        modified=_modified(modified),
        url=url,
    )


def _selected_text(tree: HtmlElement, selector: str) -> str:
    """The text of the elements ``selector`` matches, one line each, MAX_TEXT_CHARS at most.

    A match inside a match repeats its text: with "div", 500 nested <div>s around 216 KB of
    text made an article of 108 MB (1.7 GB of memory); 2,000 of them, an out-of-memory crash.
    """
    lines, left = [], MAX_TEXT_CHARS
    for element in tree.cssselect(selector):
        if left <= 0:
            break
        lines.append(" ".join(element.text_content().split())[:left])
        left -= len(lines[-1]) + 1
    return "\n".join(lines)


def _bare_extraction(tree: HtmlElement, url: str | None) -> Document | None:
    """trafilatura favouring precision; a near-empty result is redone in its balanced mode."""
    run = partial(trafilatura.bare_extraction, tree, url=url, with_metadata=True)
    document = run(**OPTIONS)
    length = len(document.text or "") if document else 0
    if length < RESCUE_BELOW:
        balanced = run(**{**OPTIONS, "favor_precision": False})
        if balanced is not None and len(balanced.text or "") >= RESCUE_RATIO * length:
            return balanced
    return document


def without_prompts(text: str) -> str:
    """The text less the subscription prompt a gated page ends with: it is not the article.

    The prompt is the earliest sentence within the last PROMPT_MAX_WORDS words that says
    "subscribe to continue" or the like; it is cut with everything after it. A short stub
    may share its paragraph with the prompt, so the cut is by sentence, not by line.

    >>> without_prompts("The council met.\\nSubscribe to continue reading. Already a subscriber?")
    'The council met.'
    >>> without_prompts("The council met. Subscribe to continue reading. Sign in.")
    'The council met.'
    """
    units = [
        (number, sentence)
        for number, paragraph in enumerate(text.splitlines())
        for sentence in _SENTENCE_END.split(paragraph.strip())
        if sentence
    ]
    cut, tail_words = None, 0
    for index in range(len(units) - 1, -1, -1):
        tail_words += len(units[index][1].split())
        if tail_words > PROMPT_MAX_WORDS:
            break
        if any(find_phrase(pattern, units[index][1]) for pattern in PROMPTS):
            cut = index
    if cut is None:
        return text
    paragraphs: dict[int, list[str]] = {}
    for number, sentence in units[:cut]:
        paragraphs.setdefault(number, []).append(sentence)
    return "\n".join(" ".join(sentences) for sentences in paragraphs.values())


def _without_headline(text: str, title: str | None) -> str:
    """The text less a first line that repeats the headline: the title is a field of its own."""
    first, _, rest = text.partition("\n")
    if title and normalise_text(first) == normalise_text(title):
        return rest.strip()
    return text


def _modified(values: list[str]) -> str | None:
    value = _clean(values[0]) if values else None
    return value if value is None or len(value) <= MODIFIED_MAX else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None
