"""Alert rules and delivery policy: which changes a channel gets, when to retry, when a
digest is due. Pure: plain values in, plain values out.

A rule passes a change when every filter it sets passes: its kinds (any of them), its
minimum significance, its tags (any of them) and its watch. The minimum significance
measures how much of the text changed, so it only holds back text and title edits: a
paywall lifted or added, a removed, restored or moved article always passes it.

>>> rule = Rule(kinds=frozenset({"paywall_lifted", "text_changed"}), min_significance=0.05)
>>> rule.passes(Event(kinds=("text_changed",), significance=0.01, watch_id=1))
False
>>> rule.passes(Event(kinds=("paywall_lifted", "text_changed"), significance=0.01, watch_id=1))
True
>>> [retry_delay(n, first=30, cap=3600) for n in (1, 2, 3, 8)]
[30, 60, 120, 3600]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.compare import KINDS, TEXT_CHANGED, TITLE_CHANGED
from monitor.durations import parse_duration

# Kinds measured by significance; the others are events that always matter.
GRADED_KINDS = frozenset({TEXT_CHANGED, TITLE_CHANGED})
DIGEST_PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 604800.0}


@dataclass(frozen=True)
class Event:
    """A change event as a rule sees it; ``story_id`` is the article a related page serves."""

    kinds: tuple[str, ...]
    significance: float
    watch_id: int
    story_id: int | None = None
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    kinds: frozenset[str] | None = None  # None: every kind
    min_significance: float = 0.0
    tags: frozenset[str] = frozenset()  # any of them; empty: any watch
    watch_id: int | None = None  # the watch, or the story it belongs to

    def passes(self, event: Event) -> bool:
        if self.kinds is not None and not self.kinds.intersection(event.kinds):
            return False
        if self.tags and not self.tags.intersection(event.tags):
            return False
        if self.watch_id is not None and self.watch_id not in (event.watch_id, event.story_id):
            return False
        kinds = set(event.kinds) if self.kinds is None else self.kinds.intersection(event.kinds)
        graded_only = kinds <= GRADED_KINDS
        return not graded_only or event.significance >= self.min_significance


def parse_kinds(text: str) -> frozenset[str]:
    """``"paywall_lifted,text_changed"`` → the kinds; an unknown kind is a ValueError.

    >>> sorted(parse_kinds("removed, moved"))
    ['moved', 'removed']
    """
    kinds = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = sorted(kinds.difference(KINDS))
    if unknown or not kinds:
        raise ValueError(
            f"unknown change kind {', '.join(unknown) or repr(text)} (known: {', '.join(KINDS)})"
        )
    return kinds


def parse_digest(text: str) -> float:
    """``hourly``, ``daily``, ``weekly`` or a duration (``30m``), in seconds.

    >>> parse_digest("daily"), parse_digest("90m")
    (86400.0, 5400.0)
    """
    return DIGEST_PERIODS.get(text) or parse_duration(text).total_seconds()


def retry_delay(attempts: int, first: float, cap: float) -> float:
    """Seconds to wait after failure number ``attempts``: doubling from ``first``, up to ``cap``."""
    return min(cap, first * 2 ** max(0, attempts - 1))


def next_digest(now: datetime, period_seconds: float) -> datetime:
    """The next period boundary after ``now``, counted from the Unix epoch in UTC: a daily
    digest goes at 00:00 UTC, an hourly one on the hour.

    >>> next_digest(datetime(2026, 11, 28, 15, 30, tzinfo=UTC), 3600).isoformat()
    '2026-11-28T16:00:00+00:00'
    """
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    elapsed = (now - epoch).total_seconds()
    periods = int(elapsed // period_seconds) + 1
    return epoch + timedelta(seconds=periods * period_seconds)
