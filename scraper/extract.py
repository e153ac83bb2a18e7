"""Article extraction with trafilatura: title, byline, dates and the main text of a page.

The extractor's name, version and options go with every version it makes, so that an
upgrade of the extractor can be told apart from an edit by the publisher.
"""

from __future__ import annotations

from importlib.metadata import version as package_version

import trafilatura
from trafilatura.utils import load_html

from monitor.article import Article
from monitor.check import Extraction
from monitor.fingerprint import normalise_text, text_fingerprint

EXTRACTOR = "trafilatura"
EXTRACTOR_VERSION = package_version("trafilatura")
OPTIONS = {"fast": False, "include_comments": False, "include_tables": True}

_MODIFIED_XPATH = (
    '//meta[@property="article:modified_time" or @itemprop="dateModified"'
    ' or @name="last-modified"]/@content'
)


def extract_article(html: str, url: str | None = None) -> Extraction:
    """Extract the article of ``html``; a page with no article gives an empty text."""
    tree = load_html(html)
    if tree is None:
        article = Article(title=None, text="", url=url)
    else:
        modified = tree.xpath(_MODIFIED_XPATH)
        document = trafilatura.bare_extraction(tree, url=url, with_metadata=True, **OPTIONS)
        if document is None:
            titles = tree.xpath("//title/text()")
            article = Article(title=_clean(titles[0]) if titles else None, text="", url=url)
        else:
            title = _clean(document.title)
            article = Article(
                title=title,
                text=_without_headline((document.text or "").strip(), title),
                byline=_clean(document.author),
                published=document.date,
                modified=_clean(modified[0]) if modified else None,
                url=url,
            )
    return Extraction(
        article=article,
        fingerprint=text_fingerprint(article.text, article.title),
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
        extractor_options=dict(OPTIONS),
    )


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
