"""Related pages of an article: canonical, AMP, og:url, print version, RSS/Atom feeds.

They become watches linked to the article, checked with it; when one of them carries much
more of the story than a gated article page, that is paywall evidence.

>>> from lxml.html import fromstring
>>> tree = fromstring('<html><head><link rel="amphtml" href="/s.amp">'
...                   '<link rel="alternate" type="application/rss+xml" href="/feed.xml">'
...                   '</head><body></body></html>')
>>> discover_related(tree, "https://news.example/s")
{'https://news.example/s.amp': 'amp', 'https://news.example/feed.xml': 'feed'}
"""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

from lxml import etree

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")

# (relation, XPath of the URL), first match wins for a URL.
_PLACES: tuple[tuple[str, str], ...] = (
    ("canonical", '//link[@rel="canonical"]/@href'),
    ("amp", '//link[@rel="amphtml"]/@href'),
    ("og:url", '//meta[@property="og:url"]/@content'),
    ("print", '//link[@rel="alternate"][@media="print"]/@href'),
    ("print", '//a[@rel="alternate"][contains(@href, "print")]/@href'),
    (
        "feed",
        "//link[@rel='alternate'][" + " or ".join(f"@type='{t}'" for t in FEED_TYPES) + "]/@href",
    ),
)

MAX_RELATED = 6
# A DNS name has at most 253 characters. A longer host:port made a related watch whose domain
# column (255 wide) PostgreSQL refused, and the whole batch of check results with it.
MAX_HOST_CHARS = 253


def discover_related(tree: etree._Element, page_url: str) -> dict[str, str]:
    """{absolute URL: relation} of the pages related to this one, itself excluded."""
    own = urldefrag(page_url).url
    found: dict[str, str] = {}
    for relation, xpath in _PLACES:
        for href in tree.xpath(xpath):
            try:
                url = urldefrag(urljoin(page_url, str(href).strip())).url
            except ValueError:  # "http://[::1": urlsplit raises, and extraction failed with it
                continue
            if not url.startswith(("http://", "https://")) or url == own or url in found:
                continue
            if len(urlsplit(url).netloc.rpartition("@")[2]) <= MAX_HOST_CHARS:
                found[url] = relation
            if len(found) >= MAX_RELATED:
                return found
    return found
