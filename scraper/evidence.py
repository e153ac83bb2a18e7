"""Read a page's paywall evidence: declarations, subscription blocks, vendors, scrambled text.

:func:`page_signals` looks at a parsed page (``trafilatura.utils.load_html``) and at the text
extracted from it, and returns :class:`monitor.paywall.Signal` values for
:func:`monitor.paywall.decide`. Subscription phrases count only where the article ends (the
end of the extracted text, the page text right after it, or the part declared not free),
never in navigation or footers, which say "subscribe" on every page.

>>> from trafilatura.utils import load_html
>>> page = load_html(
...     '<html><head><meta property="article:content_tier" content="locked">'
...     '<script src="https://cdn.tinypass.com/api/tinypass.min.js"></script></head>'
...     "<body><article><p>The council met.</p><p>Subscribe to continue reading.</p>"
...     "</article><footer>Subscribe to our newsletter</footer></body></html>"
... )
>>> [s.name for s in page_signals(page, "The council met.")]
['content_tier:locked', 'subscription_block', 'vendor_script']
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate

from cssselect import ExpressionError, SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from monitor.paywall import BLOCK_PHRASES as BLOCK
from monitor.paywall import METER_PHRASES as METER
from monitor.paywall import PROMPT_PHRASES as PROMPT
from monitor.paywall import Signal, find_phrase, looks_scrambled, signal

TIERS = {"free": "free", "metered": "metered", "locked": "locked", "premium": "locked"}
TIERS |= {"paid": "locked", "subscriber": "locked", "subscribers": "locked"}
_TIER_XPATH = '//meta[@property="article:content_tier" or @name="article:content_tier"]/@content'
# Paywall vendors and what their scripts leave in a page (script URLs, inline code), lower case.
VENDORS = {"piano": ("piano.io", "tinypass"), "steady": ("steadyhq",)}
VENDORS |= {name: (name,) for name in ("poool", "zephr", "pelcro", "laterpay", "memberful")}
VENDORS |= {name: (name,) for name in ("evolok", "cleeng", "axate", "wallkit")}
VENDORS["leaky paywall"] = ("leaky-paywall", "leaky_paywall")
_CODE = {"script", "style", "noscript", "template", "svg", "head"}
_CHROME = {"nav", "footer", "header", "aside"}
_BOILERPLATE = re.compile(
    r"footer|\bnav|menu|newsletter|cookie|consent|related|recommend|most-?read|popular|trending",
    re.I,
)
_SPACE = re.compile(r"\s+")
_MODAL = re.compile(r"modal|overlay|popup|pop-up|dialog|lightbox|interstitial", re.I)
_SCRAMBLED = re.compile(r"blur|scrambl|obfusc|encrypt", re.I)
_FREE_AT = re.compile(r'"isAccessibleForFree"\s*:\s*\[?\s*"?(\w+)', re.I)
END_CHARS = 400  # how much text counts as "where the article ends"
PART_TEXT, PART_EMPTY = 100, 20  # words: a not-free part that holds its text / holds nothing
TAIL_WORDS = 60  # words at the end of the text tested for shuffled letters
# Characters of element text that each search below reads at most: an element's text holds
# its descendants', so 2,000 nested modals round 400 KB of text had 800 MB read and
# normalised (a minute in one page's extraction, the extraction thread stalled meanwhile).
EXAMINED_CHARS = 2_000_000

# A piece of the page's text, with the boilerplate elements (nav, footer, modal…) it sits in.
_Chunk = tuple[str, tuple[etree._Element, ...]]


def page_signals(tree: etree._Element, article_text: str) -> list[Signal]:
    """The paywall evidence of a parsed page whose extracted article text is ``article_text``."""
    signals: list[Signal] = []
    declared: dict[bool, str] = {}
    selectors: list[str] = []
    for free, where, selector in _declarations(tree, signals):
        declared.setdefault(free, where)
        if not free and selector:
            selectors.append(selector)
    if False in declared:
        signals.append(signal("isAccessibleForFree:false", declared[False]))
    elif True in declared:
        signals.append(signal("isAccessibleForFree:true", declared[True]))
    tiers = tree.xpath(_TIER_XPATH)
    tier = next((t.strip() for t in tiers if t.strip().lower() in TIERS), None)
    if tier:
        signals.append(signal(f"content_tier:{TIERS[tier.lower()]}", tier))
    chunks = _page_chunks(tree)
    windows = _end_windows(tree, chunks, article_text)
    signals.extend(_part_signals(tree, selectors, windows) if selectors else [])
    signals.extend(_block_signals(windows))
    signals.extend(_page_text_signals(tree, chunks))
    sources = tree.xpath("//script/@src | //link/@href | //iframe/@src | //script/text()")
    code = "\n".join(sources).lower()
    vendors = [name for name, marks in VENDORS.items() if any(mark in code for mark in marks)]
    if vendors:
        signals.append(signal("vendor_script", ", ".join(vendors)))
    scrambled = _scrambled(tree, article_text)
    return signals + ([signal("scrambled_text", scrambled)] if scrambled else [])


def _declarations(tree, signals: list[Signal]) -> Iterator[tuple[bool, str, str | None]]:
    """(free?, where, cssSelector of a part or None) of every isAccessibleForFree."""
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = script.text or ""
        data = _load_json(raw)
        if data is None:
            if raw.strip():
                signals.append(signal("json-ld:unparsable", " ".join(raw.split())[:60]))
            for value in _FREE_AT.findall(raw):
                free = _free_value(value)
                if free is not None:
                    yield free, "unparsable JSON-LD", None
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                stack.extend(v for v in node.values() if isinstance(v, dict | list))
                free = _free_value(node.get("isAccessibleForFree"))
                if free is None:
                    continue
                kind = node.get("@type", "?")
                # "@type": [null] or [1] failed the join, and with it the page's extraction.
                kind = ",".join(map(str, kind)) if isinstance(kind, list) else str(kind)
                yield free, f"JSON-LD {kind}", _selector(node.get("cssSelector"))
    for element in tree.xpath('//*[contains(@itemprop, "isAccessibleForFree")]'):
        free = _free_value(element.get("content") or element.get("href") or element.text_content())
        if free is None:
            continue
        scope = element.xpath("ancestor::*[@itemscope][1]")
        marks = f"{scope[0].get('itemprop')} {scope[0].get('itemtype')}" if scope else ""
        part = "hasPart" in marks or "WebPageElement" in marks
        css = scope[0].xpath('.//*[contains(@itemprop, "cssSelector")]') if part else []
        yield free, "microdata", _selector([c.get("content") or c.text_content() for c in css])


def _load_json(raw: str):
    """A JSON-LD script's JSON, despite comments, CDATA, trailing commas or garbage; or None."""
    for attempt in (raw, _repaired(raw)):
        try:
            return json.loads(attempt, strict=False)
        except json.JSONDecodeError as error:
            if error.msg.startswith("Extra data"):  # a second object or stray text after one
                return _load_json(attempt[: error.pos])
        except ValueError:  # not a JSONDecodeError (no .msg): an int of over 4,300 digits
            continue
        except RecursionError:
            return None
    return None


def _repaired(raw: str) -> str:
    raw = re.sub(r"<!--|-->|(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>", "", raw)
    raw = _without_block_comments(raw)
    raw = re.sub(r"^\s*//.*$|(?<=[,{\[])[ \t]*//.*$", "", raw, flags=re.M)
    return re.sub(r",\s*([}\]])", r"\1", raw)


def _without_block_comments(raw: str) -> str:
    """``raw`` less its /* comments */ (an unclosed one stays), in linear time.

    The regex this replaces rescanned to the end from every "/*" left open: a JSON-LD script
    of 1 MB of "/* " took a quarter of an hour.
    """
    kept, at = [], 0
    while (start := raw.find("/*", at)) >= 0 and (end := raw.find("*/", start + 2)) >= 0:
        kept.append(raw[at:start])
        at = end + 2
    kept.append(raw[at:])
    return "".join(kept)


def _free_value(value) -> bool | None:
    """True, False or None (unsaid) from the shapes publishers use: bools, strings, lists."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return _free_value(value.get("@value"))
    if isinstance(value, list):
        values = {_free_value(v) for v in value}
        return False if False in values else (True if True in values else None)
    word = ("" if value is None else str(value)).strip().rsplit("/", 1)[-1].lower()
    return {"false": False, "no": False, "0": False, "true": True, "yes": True, "1": True}.get(word)


def _selector(value) -> str | None:
    values = value if isinstance(value, list) else [value]
    selectors = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    return ", ".join(selectors) or None


def _part_signals(tree, selectors: list[str], windows: list[tuple[str, str]]) -> list[Signal]:
    """Whether the parts declared not free hold their text; a part's text joins ``windows``."""
    found: dict[etree._Element, None] = {}
    for selector in selectors:
        try:
            found.update(dict.fromkeys(CSSSelector(selector, translator="html")(tree)))
        except (SelectorError, ExpressionError, ValueError, etree.LxmlError):
            # ValueError: a "\1" escape makes a control character, which lxml refuses in XPath.
            continue
    detail = ", ".join(dict.fromkeys(selectors))
    if not found:
        return [signal("paywalled_part:absent", detail)]
    text = " ".join(" ".join(text.split()) for _, text in _texts(found))
    windows.append(("the part declared not free", text[: 2 * END_CHARS] + " " + text[-END_CHARS:]))
    words = len(text.split())
    if PART_EMPTY <= words < PART_TEXT:
        return []
    name = "paywalled_part:text" if words >= PART_TEXT else "paywalled_part:empty"
    return [signal(name, f"{detail}: {words} words")]


def _end_windows(tree, chunks: list[_Chunk], article_text: str) -> list[tuple[str, str]]:
    """Where the article ends: the end of the extracted text, and the page text after it.

    The page text after it skips navigation, footers, related links and modals, unless the
    article itself sits inside such an element (a page-wide wrapper with an unlucky class).
    """
    paragraphs = [p.strip() for p in article_text.splitlines() if p.strip()]
    if not paragraphs:  # no text to find the end of: the end of the <article> or <main>
        main = tree.xpath("(//article | //main | //*[@role='main'])[last()]")
        text = _SPACE.sub(" ", main[0].text_content()) if main else ""
        return [("the end of the <article>", text[-END_CHARS:])]
    windows = [("the end of the text", article_text[-END_CHARS:])]
    page = "".join(text for text, _ in chunks)
    starts = list(accumulate((len(text) for text, _ in chunks), initial=0))
    last = " ".join(paragraphs[-1].split())
    at = next((i + len(p) for p in (last[-40:], last[-20:]) if (i := page.rfind(p)) >= 0), -1)
    if at < 0:
        return windows
    index = bisect_right(starts, at - 1) - 1
    around = set(chunks[index][1])
    after = [page[at : starts[index + 1]]]
    for text, inside in chunks[index + 1 :]:
        if len("".join(after)) >= END_CHARS:
            break
        if around.issuperset(inside):
            after.append(text)
    windows.append(("the page after the text", "".join(after)[:END_CHARS]))
    return windows


def _block_signals(windows: list[tuple[str, str]]) -> list[Signal]:
    """A subscription block (strong phrase) or prompt (weak) where the article ends; but a
    window that also counts free articles ("2 free articles left") is a meter, not a wall."""
    windows = [(where, text) for where, text in windows if not find_phrase(METER, text)]
    for name, phrases in (("subscription_block", BLOCK), ("subscription_prompt", PROMPT)):
        for where, text in windows:
            if phrase := find_phrase(phrases, text):
                return [signal(name, f"{where}: {phrase!r}")]
    return []


def _page_text_signals(tree, chunks: list[_Chunk]) -> list[Signal]:
    """A meter's count anywhere on the page; a modal that asks to subscribe (and counts none)."""
    signals = []
    meter = find_phrase(METER, "".join(text for text, _ in chunks))
    if meter:
        signals.append(signal("meter_notice", repr(meter)))
    modals = filter(_is_modal, tree.xpath("//body//*[@class or @id or @role or @aria-modal]"))
    for _, text in _texts(modals):
        phrase = find_phrase(BLOCK, text)
        if phrase and not find_phrase(METER, text):
            signals.append(signal("paywall_modal", repr(phrase)))
            break
    return signals


def _scrambled(tree, article_text: str) -> str | None:
    """Where shuffled letters sit: the end of the text, or a blurred or obfuscated element."""
    tail: list[str] = []
    for paragraph in reversed(article_text.splitlines()):
        tail.insert(0, paragraph)
        if len(" ".join(tail).split()) >= TAIL_WORDS:
            break
    if looks_scrambled(" ".join(tail)):
        return "the end of the text"
    marked = (
        element
        for element in tree.xpath("//body//*[@class or @id]")
        if _SCRAMBLED.search(f"{element.get('class', '')} {element.get('id', '')}")
    )
    for element, text in _texts(marked):
        if looks_scrambled(text):
            return f"<{element.tag} class={element.get('class', '')!r}>"
    return None


def _texts(elements) -> Iterator[tuple[etree._Element, str]]:
    """(element, its text) for ``elements`` until EXAMINED_CHARS characters have been read."""
    budget = EXAMINED_CHARS
    for element in elements:
        text = element.text_content()
        yield element, text
        budget -= len(text)
        if budget <= 0:
            return


def _page_chunks(tree) -> list[_Chunk]:
    """The page's text in document order, without scripts and styles, one space at most."""
    body = tree.find(".//body")
    if body is None:
        return []
    chunks: list[_Chunk] = []
    inside: list[etree._Element] = []
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "end":
            if inside and inside[-1] is element:
                inside.pop()
            text = element.tail if element is not body else None
        elif not tag or tag in _CODE:
            walker.skip_subtree()
            continue
        else:
            if element is not body and _is_boilerplate(element):
                inside.append(element)
            text = element.text
        text = _SPACE.sub(" ", text or "")
        if chunks and chunks[-1][0].endswith(" "):
            text = text.lstrip()
        if text:  # kept as written: an inline element's text joins its neighbours unspaced
            chunks.append((text, tuple(inside)))
    return chunks


def _is_modal(element) -> bool:
    marks = f"{element.get('class', '')} {element.get('id', '')} {element.get('role', '')}"
    return element.get("aria-modal") == "true" or bool(_MODAL.search(marks))


def _is_boilerplate(element) -> bool:
    if element.tag in _CHROME or not element.attrib:
        return element.tag in _CHROME
    marks = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(_BOILERPLATE.search(marks)) or _is_modal(element)
