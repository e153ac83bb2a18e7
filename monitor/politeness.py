"""Politeness towards a site, as plain rules: which answers mean "slow down", how long to
wait after them, and how many of a site's due watches one claim may take.

>>> failing_answer(503, "HTTP 503 Service Unavailable"), failing_answer(404, "HTTP 404")
(True, False)
>>> [backoff(n, first=60, cap=21600) for n in (1, 2, 3, 10)]
[60, 120, 240, 21600]
>>> retry_after("120"), retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), retry_after("soon")
(120.0, 0.0, None)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# The most a Retry-After is believed: a site asking for a week gets a day.
RETRY_AFTER_MAX = 86400.0


def failing_answer(status: int | None, error: str | None) -> bool:
    """Whether a check's answer says the site is struggling: no answer at all (refused,
    timed out, cut off, DNS), 429, or a 5xx. A 404 or a bot wall is about one page."""
    if status is None:
        return error is not None and not error.startswith("refused:")
    return status == 429 or 500 <= status < 600


def backoff(failures: int, first: float, cap: float) -> float:
    """Seconds to leave a site alone after ``failures`` failing answers in a row."""
    return min(cap, first * 2 ** max(0, failures - 1))


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header in seconds (delta-seconds or an HTTP date), None if unusable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_MAX)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(0.0, seconds), RETRY_AFTER_MAX)


def per_claim(delay: float, window: float) -> int | None:
    """How many watches of one site a claim may take: as many as the download delay lets
    through in ``window`` seconds (None: no delay, no limit).

    >>> per_claim(1.0, 5.0), per_claim(0.0, 5.0), per_claim(10.0, 5.0)
    (5, None, 1)
    """
    if delay <= 0:
        return None
    return max(1, math.ceil(window / delay))
