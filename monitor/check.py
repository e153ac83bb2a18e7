"""The values one check passes along: what to fetch, and what came of it.

A check's *outcome* is one of OUTCOMES:

- ``new_version``: the article differs from the latest version (or there was none yet);
- ``unchanged``: a body came back, and its bytes or its article text equal the latest;
- ``not_modified``: the server answered 304 to our conditional request;
- ``not_html``: a body that is no web page (an image, a PDF, binary): kept, not extracted;
- ``reverted``: the article went back to one of its recent versions (a flip-flop);
- ``blocked``: a bot wall, CAPTCHA, consent or "access denied" page stood in the way;
- ``error``: no usable answer (network error, time-out, HTTP error, body too large).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.article import Article
from monitor.paywall import Signal

NEW_VERSION = "new_version"
UNCHANGED = "unchanged"
NOT_MODIFIED = "not_modified"
NOT_HTML = "not_html"
REVERTED = "reverted"
BLOCKED = "blocked"
ERROR = "error"
OUTCOMES = (NEW_VERSION, UNCHANGED, NOT_MODIFIED, NOT_HTML, REVERTED, BLOCKED, ERROR)


@dataclass(frozen=True)
class FetchTarget:
    """A claimed watch, with what the last checks left behind to compare the next one with."""

    watch_id: int
    url: str  # where to fetch: the watch's URL, or where it moved to
    etag: str | None = None
    last_modified: str | None = None
    last_body_sha256: str | None = None
    latest_version_id: int | None = None  # the current version
    latest_fingerprint: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    longest_words: int | None = None  # the longest version of this story ever seen
    related_words: int | None = None  # the longest current version of its related pages
    obey_robots: bool = True  # False: this watch's robots.txt override (logged at each check)
    article_hint: dict[str, Any] | None = None  # the fast path's (monitor.fastpath), if any


@dataclass(frozen=True)
class Extraction:
    """An extracted article with its fingerprint and the extractor that made it."""

    article: Article
    fingerprint: str
    extractor: str
    extractor_version: str
    extractor_options: dict[str, Any] = field(default_factory=dict)
    paywall: str = "unknown"
    paywall_evidence: tuple[Signal, ...] = ()
    related: tuple[tuple[str, str], ...] = ()  # (url, relation): canonical, amp, feed, …
    article_hint: dict[str, Any] | None = None  # made with it for the fast path, if asked

    @property
    def extractor_key(self) -> str:
        return extractor_key(self.extractor, self.extractor_version, self.extractor_options)


def extractor_key(name: str, version: str, options: dict[str, Any]) -> str:
    """Who made a version: two versions made by different extractors are not comparable."""
    return f"{name} {version} {json.dumps(options, sort_keys=True)}"


@dataclass
class CheckResult:
    """What one fetch of one watch gave. The storage layer turns it into rows."""

    target: FetchTarget
    fetched_at: datetime
    outcome: str
    http_status: int | None = None
    final_url: str | None = None
    elapsed_ms: float | None = None
    content_type: str | None = None
    error: str | None = None
    body: bytes | None = None
    body_sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    extraction: Extraction | None = None
    moved_to: str | None = None  # set when a permanent redirect led elsewhere
    blocked: str | None = None  # why the page was a wall (bot wall, captcha, …)
    retry_after: float | None = None  # seconds a 429/503 asked us to wait (Retry-After)
    # A new fast-path hint for the watch (monitor.fastpath), from this check's extraction.
    article_hint: dict[str, Any] | None = None
    fast_path: bool = False  # unchanged by the fast path, without extraction
    # The decoded page, for extraction only; never stored.
    html: str | None = field(default=None, repr=False)
