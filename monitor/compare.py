"""Judge a freshly extracted article against the versions already seen: what happened?

The answer is a Verdict: ``unchanged`` (same fingerprint as the current version),
``reverted`` (same as one of the recent versions: a flip-flop, recorded and not announced,
unless the paywall state flipped with it), or ``new_version`` with the change kinds.

Kinds list what happened and nothing more: a lifted paywall is ``paywall_lifted`` alone
(the text growing is the lift, not an edit), unless the part readable before was edited.

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

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.article import Article
from monitor.check import NEW_VERSION, REVERTED, UNCHANGED
from monitor.fingerprint import normalise_text
from monitor.paywall import GATED, READABLE
from monitor.significance import significance
from monitor.textdiff import diff_texts

TITLE_CHANGED = "title_changed"
TEXT_CHANGED = "text_changed"
PAYWALL_LIFTED = "paywall_lifted"
PAYWALL_ADDED = "paywall_added"
REMOVED = "removed"
RESTORED = "restored"
MOVED = "moved"

# Every change kind, in the order a change event lists them.
KINDS: tuple[str, ...] = (
    PAYWALL_LIFTED,
    PAYWALL_ADDED,
    REMOVED,
    RESTORED,
    MOVED,
    TITLE_CHANGED,
    TEXT_CHANGED,
)

# How many recent versions the flip-flop guard looks back at.
RECENT_VERSIONS = 5


@dataclass(frozen=True)
class Seen:
    """A stored version, as judging needs it."""

    version_id: int
    seq: int
    fingerprint: str
    article: Article
    paywall: str
    extractor: str = ""  # monitor.check.extractor_key of the extractor that made it


@dataclass(frozen=True)
class Verdict:
    outcome: str
    kinds: tuple[str, ...] = ()
    same_as: Seen | None = None  # the version this content equals (unchanged, reverted)
    significance: float = 0.0
    words_added: int = 0
    words_removed: int = 0


def classify(old: Article, new: Article, old_paywall: str = "", new_paywall: str = "") -> list[str]:
    """The change kinds between ``old`` and ``new``; empty means nothing that matters."""
    kinds = []
    lifted = old_paywall == GATED and new_paywall in READABLE
    added = old_paywall in READABLE and new_paywall == GATED
    if lifted:
        kinds.append(PAYWALL_LIFTED)
    if added:
        kinds.append(PAYWALL_ADDED)
    if normalise_text(old.title or "") != normalise_text(new.title or ""):
        kinds.append(TITLE_CHANGED)
    if lifted:
        edited = not _contains_all(new.text, old.paragraphs)
    elif added:
        edited = not _contains_all(old.text, new.paragraphs)
    else:
        edited = normalise_text(old.text) != normalise_text(new.text)
    if edited:
        kinds.append(TEXT_CHANGED)
    return kinds


def judge(
    current: Seen | None,
    recent: Sequence[Seen],
    article: Article,
    fingerprint: str,
    paywall: str,
    extractor: str = "",
) -> Verdict:
    """What a new extraction is, given the current version and the recent ones.

    A text that differs only because the extractor (its version or options) changed since the
    current version is a new version, announced as nothing: the publisher did not edit it.
    """
    if current is None:
        return Verdict(NEW_VERSION)
    if fingerprint == current.fingerprint:
        return Verdict(UNCHANGED, same_as=current)
    if extractor and current.extractor and extractor != current.extractor:
        return Verdict(NEW_VERSION)
    earlier = next((s for s in recent if s.fingerprint == fingerprint), None)
    if earlier is not None:
        kinds = tuple(
            k
            for k in classify(current.article, article, current.paywall, paywall)
            if k in (PAYWALL_LIFTED, PAYWALL_ADDED)
        )
        return _verdict(REVERTED, current, article, kinds, same_as=earlier)
    kinds = tuple(classify(current.article, article, current.paywall, paywall))
    return _verdict(NEW_VERSION, current, article, kinds)


def _verdict(
    outcome: str, current: Seen, article: Article, kinds: tuple[str, ...], same_as=None
) -> Verdict:
    if not kinds:
        return Verdict(outcome, same_as=same_as)
    text_diff = diff_texts(current.article.text, article.text)
    return Verdict(
        outcome,
        kinds=kinds,
        same_as=same_as,
        significance=significance(current.article, article, text_diff),
        words_added=int(text_diff.stats["words_added"]),
        words_removed=int(text_diff.stats["words_removed"]),
    )


def _contains_all(text: str, paragraphs: Sequence[str]) -> bool:
    """Whether every paragraph (normalised) appears in ``text`` (normalised)."""
    haystack = normalise_text(text)
    return all(normalise_text(p) in haystack for p in paragraphs)
