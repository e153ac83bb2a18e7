"""The fast path: tell a page whose bytes changed but whose article did not, without trafilatura.

News pages change bytes on every fetch (ads, nonces, "most read" boxes, timestamps) while
the article stays put. A full extraction (trafilatura, stop list, fingerprint) costs tens of
milliseconds; this costs about one. After a full extraction, ``locate`` finds the element of
the page that holds the whole article text (the smallest one the page names uniquely: by id,
by class, or the only ``<article>``), and ``article_digest`` hashes, straight from the HTML
string (parsing a whole 170 KB page costs more than the budget), that element's text after
the stop list and the watch's ``--ignore`` regexes, together with every input trafilatura
takes the headline from (``<title>``, the title meta tags, JSON-LD, and the headings when no
``og:title`` settles it) and the paywall markup (JSON-LD, ``article:content_tier``,
``isAccessibleForFree``); and the element's markup as served with the same inputs (the raw
digest: when it is equal, so is the text, and the text need not be read). The hint
(``make_hint``) records both digests with the fingerprint of the version the full extraction
found, the extractor and its options.

A later fetch whose digest equals the hint's, while the watch's current version still has
the hint's fingerprint and the extractor and options are the same, is ``unchanged``; anything
else (the element missing or named twice, any difference) falls back to full extraction.
A digest is computed the same way from the same kind of input on both sides, so the
comparison needs no HTML parser to agree with lxml: only the element's text must cover the
extracted article, which ``covers`` checks when a hint is made.

>>> page = '<html><head><title>T</title></head><body><article id="a"><p>One.</p>' \\
...     '<p>Updated 3 minutes ago</p></article><aside>ad 1</aside></body></html>'
>>> later = page.replace("3 minutes", "9 minutes").replace("ad 1", "ad 2")
>>> locator = {"tag": "article", "attr": "id", "value": "a"}
>>> article_digest(page, locator)[0] == article_digest(later, locator)[0]
True
>>> article_digest(page.replace("One.", "Two."), locator)[0] == article_digest(page, locator)[0]
False
"""

from __future__ import annotations

import hashlib
import html as html_escapes
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, NamedTuple

from lxml import etree

from monitor.fingerprint import normalise_text
from monitor.noise import strip_noise

# The shape of a hint; a hint of another format is ignored (and replaced).
HINT_FORMAT = 2
# Hits are trusted for this long after the full extraction that made the hint; then one
# full extraction runs (and makes a new hint). It bounds what the fast path could miss:
# text a publisher adds outside the element it watches (a correction in a box of its own
# after the article's element) is found within this long.
RECHECK_AFTER = 6 * 3600.0

# Elements that may hold an article, smallest first is taken (see locate).
CONTAINERS = ("article", "main", "section", "div", "td", "span", "font", "center")
# An element named by its class is unique only if no other element of its tag has it; past
# this many occurrences of a value in the page it is not looked for.
MAX_OCCURRENCES = 20

_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*\Z")
_START_TAG = re.compile(
    r"<([a-zA-Z][^\s/>]*)((?:\s*[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?)*)\s*/?>"
)
_ATTRIBUTE = re.compile(r"([^\s=>/]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_INVISIBLE = re.compile(
    r"<(script|style|noscript|template|svg|textarea)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S
)
_BLOCK_TAGS = (
    "p|div|li|ul|ol|h[1-6]|br|hr|tr|td|th|table|thead|tbody|section|article|header|footer"
    "|aside|blockquote|pre|figure|figcaption|dd|dt|dl|main|nav|form|details|summary|address"
    "|center|fieldset|caption|picture|video|audio|iframe|button|label|option|select"
)
_BLOCK = re.compile(rf"</?(?:{_BLOCK_TAGS})\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_HEAD_END = re.compile(r"</head\s*>|<body[\s>]", re.I)
# The meta tags that can name the headline or the paywall state.
_META = re.compile(r"<meta\b(?=[^>]*(?:title|headline|content_tier|accessible))[^>]*>", re.I)
_OG_TITLE = re.compile(
    r"""property\s*=\s*["']?og:title["'\s/>].*content\s*=\s*["']?\s*[^\s"'/>]"""
    r"""|content\s*=\s*["']?\s*[^\s"'/>].*property\s*=\s*["']?og:title["'\s/>]""",
    re.I | re.S,
)
# The elements trafilatura may read the headline from, found in one pass (see _elements).
_OPENING = re.compile(r"<(title|script|h[1-3])\b([^>]*)>", re.I)
_CLOSING = {
    kind: re.compile(rf"</{kind}\s*>", re.I) for kind in ("title", "script", "h1", "h2", "h3")
}
_INVISIBLE_FORMAT = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_FREE_SPELLINGS = ("isAccessibleForFree", "isaccessibleforfree", "ISACCESSIBLEFORFREE")


class Digest(NamedTuple):
    """What ``article_digest`` finds in a page."""

    text: str  # the element's text (stop list, ``ignore``) and the headline inputs, hashed
    element_text: str  # that text (for ``covers``)
    raw: str  # the element's markup as served and the headline inputs, hashed


def article_digest(html: str, locator: dict[str, Any], ignore: Sequence[str] = ()) -> Digest | None:
    """The digests of ``html``'s article element, headline inputs and paywall markup, and
    that element's text; None when the element is missing or not unique."""
    found = _element_and_inputs(html, locator)
    if found is None:
        return None
    fragment, inputs = found
    text = element_text(fragment, ignore)
    return Digest(_text_digest(text, inputs), text, _raw_digest(fragment, inputs))


def _element_and_inputs(html: str, locator: dict[str, Any]) -> tuple[str, list[str]] | None:
    span = _element_span(html, locator)
    return None if span is None else (html[span[0] : span[1]], _headline_inputs(html))


def _text_digest(text: str, inputs: list[str]) -> str:
    return _hashed(str(HINT_FORMAT), "text", normalise_text(text), *inputs)


def _raw_digest(fragment: str, inputs: list[str]) -> str:
    """Equal raw digests mean equal text digests (the text is a function of the markup and
    the watch's options, which the hint is bound to): a page whose noise is all outside the
    element (in <head>, before </body>) is told without reading its text."""
    return _hashed(str(HINT_FORMAT), "raw", fragment, *inputs)


def _hashed(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:  # each part with its length: no two lists of parts hash alike
        data = part.encode("utf-8", "surrogatepass")
        digest.update(b"%d:" % len(data))
        digest.update(data)
    return digest.hexdigest()


def element_text(fragment: str, ignore: Sequence[str] = ()) -> str:
    """The text of an HTML fragment, one line per block, less the stop list and ``ignore``."""
    text = _INVISIBLE.sub("", fragment)
    text = _TAG.sub("", _BLOCK.sub("\n", text))
    return strip_noise(html_escapes.unescape(text), ignore)


def covers(element_text: str, article_text: str) -> bool:
    """Whether ``element_text`` holds the whole ``article_text`` (see _holds)."""
    return _holds(element_text, _paragraphs(article_text))


def _holds(text: str, paragraphs: list[str]) -> bool:
    """Whether ``text`` holds every one of ``paragraphs`` (normalised), compared without
    spaces (trafilatura and the HTML differ on where blocks and inline tags break words:
    "<td>1</td><td>2</td>", "<b>Up</b>date"); failing that, whether it holds all their words
    in order (trafilatura drops some inline elements from a paragraph, a link in a <span>)."""
    if not paragraphs:
        return False
    words = _normalised(text).split()
    haystack = "".join(words)
    if all("".join(p.split()) in haystack for p in paragraphs):
        return True
    remaining = iter(words)
    return all(word in remaining for p in paragraphs for word in p.split())


def _normalised(text: str) -> str:
    """``normalise_text`` without the invisible format characters the page may hold and
    trafilatura's text does not (soft hyphens, zero-width joiners)."""
    return normalise_text(text.translate(_INVISIBLE_FORMAT))


def _paragraphs(text: str) -> list[str]:
    return [p for p in (_normalised(line) for line in text.splitlines()) if p]


def locate(tree: Any, article_text: str) -> list[dict[str, Any]]:
    """Locators of the elements of ``tree`` (lxml) that hold the whole ``article_text``, from
    the smallest up, each naming an element that is alone in the tree to match it."""
    paragraphs = _paragraphs(article_text)
    if not paragraphs:
        return []
    needed = sum(len(p) for p in paragraphs) * 0.9
    # The deeper of two of one size (<main><article>) first.
    sized = sorted(entry for entry in _container_sizes(tree) if entry[0] >= needed)
    smallest = next((e for *_, e in sized if _holds(e.text_content(), paragraphs)), None)
    names = _Names(tree)
    locators = []
    element = smallest
    while element is not None and element.tag not in ("body", "html"):
        locator = names.unique_locator(element)
        if locator is not None:
            locators.append(locator)
        element = element.getparent()
    return locators


def _container_sizes(tree: Any) -> list[tuple[int, int, int, Any]]:
    """(length of its text, minus its depth, order, element) for each element of CONTAINERS,
    in one walk of the tree (``text_content()`` of each reads its subtree again)."""
    sizes, starts, count = [], [], 0
    for event, element in etree.iterwalk(tree, events=("start", "end")):
        real = isinstance(element.tag, str)
        if event == "start":
            starts.append(count)
            count += len(element.text or "") if real else 0
            continue
        begun = starts.pop()
        if real and element.tag in CONTAINERS:
            sizes.append((count - begun, -len(starts), len(sizes), element))
        count += len(element.tail or "")
    return sizes


class _Names:
    """How many elements of ``tree`` carry each id, class and tag, counted once."""

    def __init__(self, tree: Any) -> None:
        self.counts: dict[str, Counter[str]] = {"id": Counter(), "class": Counter()}
        self.tags: Counter[str] = Counter()
        for element in tree.iter(etree.Element):
            self.tags[element.tag] += 1
            for attr, counter in self.counts.items():
                if (value := element.get(attr)) is not None:
                    counter[value] += 1

    def unique_locator(self, element: Any) -> dict[str, Any] | None:
        tag = element.tag
        if not isinstance(tag, str) or not _IDENTIFIER.match(tag):
            return None
        for attr in ("id", "class"):
            value = element.get(attr)
            usable = value and value.strip() and len(value) <= 200
            if usable and self.counts[attr][value] == 1:
                return {"tag": tag, "attr": attr, "value": value}
        if self.tags[tag] == 1:
            return {"tag": tag, "attr": None, "value": None}
        return None


def make_hint(
    fingerprint: str,
    extractor: str,
    locator: dict[str, Any] | None,
    digest: str | None,
    raw: str | None = None,
) -> dict[str, Any]:
    """What the watch keeps (``watch.article_hint``) for the next fetches; a hint with no
    locator says "this version's page has no element to watch": not looked for again."""
    return {
        "format": HINT_FORMAT,
        "fingerprint": fingerprint,
        "extractor": extractor,
        "locator": locator,
        "digest": digest,
        "raw": raw,
    }


def hint_applies(hint: Any, fingerprint: str | None, extractor: str) -> bool:
    """Whether ``hint`` was made for the current version (``fingerprint``) by ``extractor``
    (its name, version and the watch's options, ``monitor.check.extractor_key``)."""
    return (
        isinstance(hint, dict)
        and hint.get("format") == HINT_FORMAT
        and fingerprint is not None
        and hint.get("fingerprint") == fingerprint
        and hint.get("extractor") == extractor
    )


def dated(hint: dict[str, Any] | None, at: float) -> dict[str, Any] | None:
    """``hint`` with when it was made (seconds since the epoch)."""
    return None if hint is None else {**hint, "made_at": at}


def is_fast_hit(
    hint: Any, html: str, fingerprint: str | None, extractor: str, ignore=(), now=None
) -> bool:
    """Whether ``html`` is, by ``hint``, the current version's page again; at ``now``
    (seconds since the epoch) only within RECHECK_AFTER of when the hint was made.

    >>> where = {"tag": "p", "attr": None, "value": None}
    >>> hint = dated(make_hint("f", "x", where, article_digest("<p>a</p>", where)[0]), 0)
    >>> [is_fast_hit(hint, "<p>a</p>", "f", "x", now=t) for t in (60, RECHECK_AFTER + 60)]
    [True, False]
    """
    if not hint_applies(hint, fingerprint, extractor) or not hint.get("locator"):
        return False
    age = None if now is None else now - hint.get("made_at", -math.inf)
    if age is not None and not 0 <= age <= RECHECK_AFTER:
        return False
    found = _element_and_inputs(html, hint["locator"])
    if found is None:
        return False
    fragment, inputs = found
    if hint.get("raw") is not None and _raw_digest(fragment, inputs) == hint["raw"]:
        return True
    return _text_digest(element_text(fragment, ignore), inputs) == hint.get("digest")


def _element_span(html: str, locator: dict[str, Any]) -> tuple[int, int] | None:
    """Where the one element ``locator`` names starts and ends in ``html``."""
    tag = str(locator.get("tag") or "")
    if not _IDENTIFIER.match(tag):
        return None
    attr, value = locator.get("attr"), locator.get("value")
    starts = _starts_by_attribute(html, tag, attr, value) if attr else _starts_by_tag(html, tag)
    if starts is None or len(starts) != 1:
        return None
    begin, inside = starts[0]
    depth = 1
    for match in re.compile(rf"<(/?){tag}(?=[\s/>])", re.I).finditer(html, inside):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return begin, match.start()
    return None  # never closed: not an element this can follow


def _starts_by_tag(html: str, tag: str) -> list[tuple[int, int]] | None:
    starts = []
    for match in re.compile(rf"<{tag}(?=[\s/>])", re.I).finditer(html):
        tag_match = _START_TAG.match(html, match.start())
        if tag_match is None or len(starts) >= MAX_OCCURRENCES:
            return None
        starts.append((match.start(), tag_match.end()))
    return starts


def _starts_by_attribute(
    html: str, tag: str, attr: str, value: str
) -> list[tuple[int, int]] | None:
    starts: dict[int, int] = {}
    at, seen = html.find(value), 0
    while at >= 0:
        if _assigned(html, at, at + len(value)):
            seen += 1
            if seen > MAX_OCCURRENCES:
                return None
            opening = html.rfind("<", 0, at)
            if opening > html.rfind(">", 0, at):
                match = _START_TAG.match(html, opening)
                if (
                    match is not None
                    and match.end() > at
                    and match.group(1).lower() == tag
                    and _attributes(match.group(2)).get(attr) == value
                ):
                    starts[opening] = match.end()
        at = html.find(value, at + 1)
    return list(starts.items())


def _assigned(html: str, start: int, end: int) -> bool:
    """Whether ``html[start:end]`` is written as a whole attribute value (``="…"``, ``='…'``
    or ``=…``): a value that is a common word ("main") or part of one ("ct") is found in
    many places that are not."""
    before = html[start - 1 : start]
    if before in ("'", '"'):
        if html[end : end + 1] != before:
            return False
        start -= 1
    elif html[end : end + 1] not in (">", "/") and not html[end : end + 1].isspace():
        return False
    while start > 0 and html[start - 1].isspace():
        start -= 1
    return html[start - 1 : start] == "="


def _attributes(raw: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        name = match.group(1).lower()
        if name not in values:
            quoted = next((g for g in match.groups()[1:] if g is not None), "")
            values[name] = html_escapes.unescape(quoted)
    return values


def _headline_inputs(html: str) -> list[str]:
    """What trafilatura takes the headline from, as written, and the paywall markup.

    The headings count only when no ``og:title`` in <head> gives the headline: trafilatura
    reads the meta tags first and looks at headings only when they name no title.
    """
    head_end = _HEAD_END.search(html)
    head = html[: head_end.start()] if head_end else ""
    metas = _META.findall(head)
    found = _elements(html)
    parts = ["meta", *metas, "title", *(inside for _, inside in found["title"])]
    parts += ["json-ld", *(inside for _, inside in found["script"])]
    parts += ["free", *_free_markup(html)]
    if not any(_OG_TITLE.search(meta) for meta in metas):
        for level in ("h1", "h2", "h3"):
            parts += ["headings", *(whole for whole, _ in found[level])]
    return parts


def _elements(html: str) -> dict[str, list[tuple[str, str]]]:
    """The <title>, JSON-LD <script> and <h1>-<h3> elements of ``html`` by kind, each whole
    and inside, as ``re.finditer(opening + "(.*?)" + closing, re.S)`` finds each kind, in
    one pass over the page instead of one per kind (each a few tenths of a millisecond on a
    large page), and never searching on for a closing tag once one was missing (none after
    it can close either: the regex did, 90 ms on a page with many "<h2" in its scripts)."""
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in _CLOSING}
    resume = dict.fromkeys(_CLOSING, 0)
    for opening in _OPENING.finditer(html):
        kind = opening.group(1).lower()
        if opening.start() < resume[kind]:
            continue
        if kind == "script" and "ld+json" not in opening.group(2).lower():
            continue
        closing = _CLOSING[kind].search(html, opening.end())
        if closing is None:
            resume[kind] = len(html) + 1
            continue
        found[kind].append(
            (html[opening.start() : closing.end()], html[opening.end() : closing.start()])
        )
        resume[kind] = closing.end()
    return found


def _free_markup(html: str) -> list[str]:
    """The tags (or JSON) around each ``isAccessibleForFree`` of the page."""
    found = []
    for spelling in _FREE_SPELLINGS:
        at = html.find(spelling)
        while at >= 0 and len(found) < MAX_OCCURRENCES:
            found.append(html[html.rfind("<", 0, at) + 1 : html.find(">", at)])
            at = html.find(spelling, at + 1)
    return found
