"""How much a change matters, from 0 (nothing) to 1 (a different article).

The share of words changed, raised when the headline or the lede changed, and when numbers
or quotations changed (a "7" becoming "70", a quote reworded): small edits that matter.

>>> from monitor.article import Article
>>> old = Article("Budget passes", 'The council voted 7 to 2.\\nThe mayor said "we are pleased".')
>>> round(significance(old, old), 2)
0.0
>>> round(significance(old, Article("Budget passes", old.text.replace("7 to 2", "6 to 3"))), 2)
0.42
"""

from __future__ import annotations

import re

from monitor.article import Article
from monitor.fingerprint import normalise_text
from monitor.textdiff import TextDiff, diff_texts

TITLE_WEIGHT = 0.3
LEDE_WEIGHT = 0.15
NUMBERS_WEIGHT = 0.1
QUOTES_WEIGHT = 0.1

_NUMBER = re.compile(r"\d[\d.,:%]*")
_QUOTE = re.compile(r"[\"“”«»„]([^\"“”«»„]{3,})[\"“”«»„]")


def significance(old: Article, new: Article, text_diff: TextDiff | None = None) -> float:
    """The score of the change from ``old`` to ``new`` (``text_diff``: theirs, if at hand)."""
    if text_diff is None:
        text_diff = diff_texts(old.text, new.text)
    score = float(text_diff.stats["share_changed"])
    if normalise_text(old.title or "") != normalise_text(new.title or ""):
        score += TITLE_WEIGHT
    old_lede, new_lede = _lede(old), _lede(new)
    if normalise_text(old_lede) != normalise_text(new_lede):
        score += LEDE_WEIGHT
    if _NUMBER.findall(old.text) != _NUMBER.findall(new.text):
        score += NUMBERS_WEIGHT
    if _quotes(old.text) != _quotes(new.text):
        score += QUOTES_WEIGHT
    return round(min(1.0, score), 3)


def _lede(article: Article) -> str:
    paragraphs = article.paragraphs
    return paragraphs[0] if paragraphs else ""


def _quotes(text: str) -> list[str]:
    return [normalise_text(q) for q in _QUOTE.findall(text)]
