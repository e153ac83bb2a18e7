"""Which URLs can be watched: http or https with a host.

>>> check_url("https://example.com/story")
'https://example.com/story'
>>> check_url("ftp://example.com/x")
Traceback (most recent call last):
...
palimpsest.errors.InvalidURL: invalid URL 'ftp://example.com/x': only http and https can be watched
"""

from __future__ import annotations

from urllib.parse import urlsplit

from palimpsest.errors import InvalidURL


def check_url(url: str) -> str:
    """Return ``url`` stripped of surrounding space, or raise InvalidURL saying why."""
    candidate = url.strip()
    try:
        parts = urlsplit(candidate)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidURL(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidURL(f"invalid URL {url!r}: only http and https can be watched")
    if not parts.hostname or any(c.isspace() for c in candidate):
        raise InvalidURL(f"invalid URL {url!r}: it needs a host name and no spaces")
    del port
    return candidate
