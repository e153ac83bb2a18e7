"""When to check a watch next, and why: the adaptive schedule. Pure: plain values in and out.

News changes most in its first hours, then rarely. So a new article is checked often (every
``fast`` seconds during its first ``fast_for``); after that, each check that finds nothing
new multiplies the interval by ``growth``; a change brings it back to ``fast``. The interval
never exceeds the cap for the article's age (by default at most 1 h in its first day, 6 h in
its first week, 1 day after), and ``jitter`` spreads checks so that watches added together
do not stay in step. A watch with a fixed interval (``--every``) keeps it. A watch whose
article has not changed for ``retire_after`` is retired (no longer checked) unless pinned.

>>> policy = Policy()
>>> due = policy.next_check(None, 3000.0, changed=False, age=30 * 86400, silence=86400)
>>> due.interval, due.reason
(4500.0, 'unchanged: 50m x 1.5 = 1h15m')
>>> policy.next_check(None, 4500.0, changed=True, age=30 * 86400, silence=0).reason
'changed: back to 10m'
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.durations import format_duration

DAY = 86400.0


@dataclass(frozen=True)
class Due:
    interval: float  # the interval the next check comes after (before jitter)
    delay: float  # seconds from now to the next check (with jitter)
    reason: str  # why, in a few words, for `palimpsest list`
    retire: bool = False


@dataclass(frozen=True)
class Policy:
    fast: float = 600.0
    fast_for: float = 6 * 3600.0
    growth: float = 1.5
    jitter: float = 0.1
    # (age below which, longest interval), in order; an older article gets the last cap.
    caps: tuple[tuple[float, float], ...] = ((DAY, 3600.0), (7 * DAY, 6 * 3600.0))
    cap_after: float = DAY
    retire_after: float | None = 60 * DAY

    def cap(self, age: float) -> float:
        """The longest interval for an article ``age`` seconds old.

        >>> [Policy().cap(a) for a in (3600, 2 * DAY, 30 * DAY)]
        [3600.0, 21600.0, 86400.0]
        """
        return next((cap for below, cap in self.caps if age < below), self.cap_after)

    def next_check(
        self,
        fixed: float | None,
        interval: float | None,
        *,
        changed: bool,
        age: float,
        silence: float,
        pinned: bool = False,
        rng: random.Random | None = None,
    ) -> Due:
        """The next check of a watch that was just checked.

        ``fixed`` is the watch's ``--every``; ``interval`` the adaptive interval used last
        (None before the first check); ``changed`` whether this check found a new version;
        ``age`` how old the article is; ``silence`` how long since it last changed.
        """
        if not pinned and self.retire_after is not None and silence >= self.retire_after:
            return Due(0.0, 0.0, f"retired: unchanged for {format_duration(silence)}", True)
        if fixed:
            return Due(fixed, fixed, f"fixed: every {format_duration(fixed)}")
        if interval is None:
            chosen, reason = self.fast, f"new watch: every {format_duration(self.fast)}"
        elif changed:
            chosen, reason = self.fast, f"changed: back to {format_duration(self.fast)}"
        elif age < self.fast_for:
            chosen, reason = self.fast, f"new article: every {format_duration(self.fast)}"
        else:
            chosen = interval * self.growth
            reason = (
                f"unchanged: {format_duration(interval)} x {self.growth:g}"
                f" = {format_duration(chosen)}"
            )
        cap = self.cap(age)
        if chosen > cap:
            chosen = cap
            reason = f"capped at {format_duration(cap)} for an article {_age_words(age)} old"
        spread = 1.0 + self.jitter * (2.0 * (rng or random).random() - 1.0)
        return Due(chosen, chosen * spread, reason)


def _age_words(age: float) -> str:
    """``age`` rounded for people: ``5h``, ``3d``.

    >>> _age_words(5 * 3600 + 59), _age_words(3.4 * DAY)
    ('5h', '3d')
    """
    if age < DAY:
        return format_duration(max(60.0, math.floor(age / 3600) * 3600 or 60.0))
    return format_duration(math.floor(age / DAY) * DAY)


def parse_published(text: str | None) -> datetime | None:
    """An article's publication date as pages give it (ISO 8601, a date alone), or None.

    >>> parse_published("2026-11-20T08:15:00+01:00").isoformat()
    '2026-11-20T07:15:00+00:00'
    >>> parse_published("2026-11-20").isoformat(), parse_published("last Tuesday")
    ('2026-11-20T00:00:00+00:00', None)
    """
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
