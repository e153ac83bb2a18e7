"""Durations as people type them: ``45s``, ``15m``, ``2h``, ``1d``, or several (``1h30m``).

>>> parse_duration("15m")
datetime.timedelta(seconds=900)
>>> format_duration(5400)
'1h30m'
"""

from __future__ import annotations

import re
from datetime import timedelta

from palimpsest.errors import BadDuration

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str) -> timedelta:
    """Parse ``45s``, ``15m``, ``2h``, ``1d``, ``1w`` or sums (``1h30m``); bare numbers: seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", cleaned):
        seconds = float(cleaned)
    else:
        parts = _PART.findall(cleaned)
        if not parts or "".join(n + u for n, u in parts) != cleaned:
            raise BadDuration(
                f"bad duration {text!r}: use a number and a unit, like 45s, 15m, 2h, 1d"
            )
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise BadDuration(f"bad duration {text!r}: it must be more than zero")
    return timedelta(seconds=seconds)


def format_duration(seconds: float) -> str:
    """The shortest ``1d2h3m4s`` spelling of a whole number of seconds."""
    rest = round(seconds)
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out) or "0s"
