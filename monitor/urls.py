"""Which URLs can be watched: http or https with a host.

>>> check_url("https://example.com/story")
'https://example.com/story'
>>> domain_of("https://News.Example.com:8443/story?id=1")
'news.example.com:8443'
>>> check_url("ftp://example.com/x")
Traceback (most recent call last):
...
palimpsest.errors.InvalidURL: invalid URL 'ftp://example.com/x': only http and https can be watched
"""

from __future__ import annotations

from urllib.parse import urlsplit

from palimpsest.errors import InvalidURL

MAX_HOST = 253  # the longest DNS name


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
    if len(parts.hostname) > MAX_HOST:
        raise InvalidURL(f"invalid URL {url[:80]!r}…: its host name is over {MAX_HOST} characters")
    del port
    return candidate


def domain_of(url: str) -> str:
    """The host (and port, when one is given) that politeness is counted per."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host
