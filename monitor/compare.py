"""Classify what changed between two versions of an article into change kinds.

>>> from monitor.article import Article
>>> old = Article(title="Mayor resigns", text="The mayor resigned on Monday.")
>>> classify(old, Article(title="Mayor quits", text="The mayor resigned on Monday."))
['title_changed']
>>> classify(old, Article(title="Mayor resigns", text="The mayor resigned on Tuesday."))
['text_changed']
>>> classify(old, Article(title="Mayor resigns!", text="The  mayor resigned on Monday"))
[]
"""

from __future__ import annotations

from monitor.article import Article
from monitor.fingerprint import normalise_text

TEXT_CHANGED = "text_changed"
TITLE_CHANGED = "title_changed"

# Every change kind, in the order a change event lists them. Later kinds join here.
KINDS: tuple[str, ...] = (TITLE_CHANGED, TEXT_CHANGED)


def classify(old: Article, new: Article) -> list[str]:
    """The change kinds between ``old`` and ``new``; an empty list means nothing that matters."""
    kinds = []
    if normalise_text(old.title or "") != normalise_text(new.title or ""):
        kinds.append(TITLE_CHANGED)
    if normalise_text(old.text) != normalise_text(new.text):
        kinds.append(TEXT_CHANGED)
    return kinds
