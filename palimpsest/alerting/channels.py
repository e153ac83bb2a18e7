"""Channels are Apprise URLs: check one, mask its secrets, pick its message format, send.

Apprise does the sending (email, Slack, Discord, Telegram, Matrix, ntfy, webhooks and about a
hundred more). A channel URL often holds a password or token, so it is only ever shown as
Apprise's own privacy form (``mailto://user:****@host``), and Apprise's messages about a
failure are scrubbed of the URL's secrets before anyone sees them. Apprise's log lines are
kept out of ours: what a failed try says is recorded with the try.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import apprise
from apprise import NotifyFormat

from palimpsest.errors import InvalidChannel

# Apprise's own log lines would repeat, unscrubbed, what we record per attempt.
_apprise_log = logging.getLogger(apprise.LOGGER_NAME)
_apprise_log.propagate = False
_apprise_log.addHandler(logging.NullHandler())

TEXT, MARKDOWN, HTML = "text", "markdown", "html"
FORMATS = (TEXT, MARKDOWN, HTML)
WIKI = "https://github.com/caronc/apprise/wiki"


@lru_cache(maxsize=256)
def _plugin(url: str) -> apprise.NotifyBase | None:
    """Apprise's service object for ``url``, kept for what it says of the service (format,
    length limit, masked form): parsing a URL costs about 0.5 ms. Never used to send."""
    return apprise.Apprise.instantiate(url.strip()) if "://" in url else None


def plugin_for(url: str) -> apprise.NotifyBase:
    """The Apprise service behind ``url``, or InvalidChannel (with the URL masked)."""
    plugin = _plugin(url)
    if plugin is None:
        raise InvalidChannel(
            f"not a channel URL Apprise understands: {_blind(url)} (see {WIKI} for the URL forms)"
        )
    return plugin


# Arguments Apprise adds to every URL it prints, left out when they hold their defaults.
_DEFAULT_ARGS = re.compile(r"(?<=[?&])(overflow=upstream|retry=0|wait=0\.5|optional=no)(&|$)")


def masked(url: str) -> str:
    """``url`` with its secrets hidden, as Apprise itself prints it.

    >>> masked("mailto://me:s3cretpass@smtp.example.com?to=desk@example.com")
    'mailto://me:****@smtp.example.com/desk%40example.com?cto=15.0'
    """
    plugin = _plugin(url)
    if plugin is None:
        return _blind(url)
    return _DEFAULT_ARGS.sub("", plugin.url(privacy=True)).rstrip("?&")


def _blind(url: str) -> str:
    scheme, sep, _rest = url.partition("://")
    return f"{scheme}://…" if sep else "…"


def preferred_format(url: str) -> str:
    """The richest format the service takes natively: html for email, markdown for Slack…"""
    native = plugin_for(url).notify_format
    first = native[0] if isinstance(native, tuple | list) else native
    return str(first.value if isinstance(first, NotifyFormat) else first)


def body_limit(url: str) -> int:
    return int(plugin_for(url).body_maxlen)


def scrub(text: str, url: str) -> str:
    """``text`` without the pieces of ``url`` that its masked form hides.

    >>> scrub("login failed for s3cretpass at smtp", "mailto://me:s3cretpass@smtp.example.com")
    'login failed for **** at smtp'
    """
    shown = set(_pieces(masked(url)))
    for piece in sorted(set(_pieces(url)) - shown, key=len, reverse=True):
        if len(piece) >= 4:
            text = text.replace(piece, "****")
    return text


def _pieces(url: str) -> list[str]:
    return [p for p in re.split(r"[/:@?&=#,]+", url) if p]


@dataclass(frozen=True)
class Sent:
    ok: bool
    error: str | None
    elapsed_ms: float


def send(url: str, title: str, body: str, body_format: str, timeout: float = 60.0) -> Sent:
    """Send one message through Apprise; ``error`` is one scrubbed line when it failed."""
    # A fresh service object per message: a reused email one waits 5 s on its second send.
    notifier = apprise.Apprise()
    if not notifier.add(url):
        return Sent(False, f"not a channel URL Apprise understands: {masked(url)}", 0.0)
    started = time.perf_counter()
    try:
        result = notifier.notify(
            body=body,
            title=title,
            body_format=body_format,
            timeout=timeout,
            log_level=logging.WARNING,
        )
    except Exception as exc:  # a plugin's bug must not take the delivery job down
        elapsed = (time.perf_counter() - started) * 1000
        return Sent(False, scrub(f"{type(exc).__name__}: {exc}", url), elapsed)
    elapsed = (time.perf_counter() - started) * 1000
    if result:
        return Sent(True, None, elapsed)
    said = [e.message for r in result.results for a in r.attempts for e in a.logs]
    error = said[-1] if said else f"the service refused the message ({result.status.name})"
    return Sent(False, scrub(" ".join(error.split()), url), elapsed)
