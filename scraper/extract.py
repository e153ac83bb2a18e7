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

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from monitor.article import Article
from monitor.check import Extraction
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
) -> Extraction:
    """Extract the article of ``html``; a page with no article gives an empty text.

    When the article's fingerprint equals ``known_fingerprint`` (the current version's), the
    paywall evidence and related pages are not looked for: nothing changed that they describe,
    and they cost more than trafilatura itself on a typical page.
    """
    tree = load_html(html)
    signals, related = [], {}
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
    options = {**OPTIONS, "rescue_below": RESCUE_BELOW, "rescue_ratio": RESCUE_RATIO}
    if selector:
        options["selector"] = selector
    if ignore:
        options["ignore"] = list(ignore)
    return Extraction(
        article=article,
        fingerprint=fingerprint,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        extractor_options=options,
        paywall_evidence=tuple(signals),
        related=tuple(related.items()),
    )


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
        text = "\n".join(
            " ".join(element.text_content().split()) for element in tree.cssselect(selector)
        )
    return Article(
        title=title,
        text=_without_headline(strip_noise(text, ignore), title),
        byline=byline,
        published=published,
        modified=_clean(modified[0]) if modified else None,
        url=url,
    )


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


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None
