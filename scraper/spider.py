"""The watch spider: one conditional GET per claimed watch, one CheckResult per answer.

It sends ``If-None-Match`` / ``If-Modified-Since`` from the validators of the last check and
lets every status but a redirect reach the callback, so a 304 is an outcome and an HTTP
error is a row.
A body whose bytes equal the last one is ``unchanged`` at once; an HTML body that differs goes
on to the pipelines for extraction.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse
from twisted.python.failure import Failure

from monitor.blocked import blocked_reason
from monitor.check import (
    BLOCKED,
    ERROR,
    NEW_VERSION,
    NOT_HTML,
    NOT_MODIFIED,
    UNCHANGED,
    CheckResult,
    FetchTarget,
)
from monitor.fingerprint import raw_hash
from monitor.politeness import retry_after
from scraper.failures import describe_failure

# Statuses a bot wall, a CAPTCHA or an "access denied" page come with.
WALL_STATUSES = (401, 403, 429, 503)

# Every status reaches the callback except redirects, which RedirectMiddleware follows.
STATUSES_TO_CALLBACK = [304, *range(400, 600)]

# Charsets a server names by default, whatever its pages are in: UTF-8 bytes served as one
# of these are UTF-8 (see _page_text).
_SERVER_DEFAULTS = {"ascii", "latin-1", "iso8859-1", "cp1252", "iso8859-15"}
# Header values are stored in text columns: PostgreSQL refuses a NUL in one, and one bad
# header made the whole batch of results unrecordable. Control characters go.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTENT_TYPE_MAX = 200  # the width of snapshot.content_type; a longer value failed the batch


class WatchSpider(scrapy.Spider):
    name = "watch"

    def __init__(self, targets: Iterable[FetchTarget] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for target in self.targets:
            yield self.request_for(target)

    def request_for(self, target: FetchTarget) -> scrapy.Request:
        headers = {}
        if target.etag:
            headers["If-None-Match"] = target.etag
        if target.last_modified:
            headers["If-Modified-Since"] = target.last_modified
        meta = {"target": target, "handle_httpstatus_list": STATUSES_TO_CALLBACK}
        if not target.obey_robots:
            meta["dont_obey_robotstxt"] = True
            self.logger.warning("watch %d ignores robots.txt (its own override)", target.watch_id)
        return scrapy.Request(
            target.url,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta=meta,
        )

    def parse(self, response: Response) -> Iterable[CheckResult]:
        target: FetchTarget = response.meta["target"]
        result = CheckResult(
            target=target,
            fetched_at=datetime.now(UTC),
            outcome=ERROR,
            http_status=response.status,
            final_url=response.url,
            elapsed_ms=_latency_ms(response.meta),
            content_type=_header(response, b"Content-Type"),
        )
        if _moved_permanently(response):
            result.moved_to = response.url
        if response.status == 304:
            result.outcome = NOT_MODIFIED
        elif not 200 <= response.status < 300:
            result.error = f"HTTP {response.status} {_reason(response.status)}"
            if response.status in (429, 503):
                result.retry_after = retry_after(_header(response, b"Retry-After"))
            if response.status in WALL_STATUSES and isinstance(response, TextResponse):
                result.blocked = _wall(response)
                result.outcome = BLOCKED if result.blocked else ERROR
        else:
            self._read_body(response, result)
        yield result

    def _read_body(self, response: Response, result: CheckResult) -> None:
        result.etag = _header(response, b"ETag")
        result.last_modified = _header(response, b"Last-Modified")
        result.body_sha256 = raw_hash(response.body)
        if not response.body or response.body.isspace():  # no copy of a 100 KB body
            # An empty 200 is a glitch, not an article whose text was all deleted: as a
            # version it made a change event (and another when the text came back).
            result.error = "empty body"
        elif result.body_sha256 == result.target.last_body_sha256:
            result.outcome = UNCHANGED
        elif isinstance(response, HtmlResponse):
            result.outcome = NEW_VERSION  # until extraction says whether the article changed
            result.body = response.body
            result.html = _page_text(response)
        else:
            result.outcome = NOT_HTML
            result.body = response.body

    def failed(self, failure: Failure) -> Iterable[CheckResult]:
        request = failure.request  # type: ignore[attr-defined]
        target: FetchTarget = request.meta["target"]
        response = getattr(failure.value, "response", None)
        yield CheckResult(
            target=target,
            fetched_at=datetime.now(UTC),
            outcome=ERROR,
            http_status=getattr(response, "status", None),
            final_url=request.url,
            error=describe_failure(failure),
        )


def _moved_permanently(response: Response) -> bool:
    """Whether every redirect that led to ``response`` was permanent (301, 308)."""
    reasons = response.meta.get("redirect_reasons") or []
    return bool(reasons) and all(r in (301, 308) for r in reasons)


def _wall(response: TextResponse) -> str | None:
    title = response.xpath("//title/text()").get()
    text = " ".join(response.xpath("//body//text()[not(ancestor::script)]").getall())
    return blocked_reason(response.status, title, " ".join(text.split()))


def _page_text(response: HtmlResponse) -> str:
    """The page decoded; as UTF-8 when the charset said is a server default it cannot be.

    Servers that name ISO-8859-1 (or windows-1252) for every page, whatever it is in, are
    common; Scrapy believes the header and UTF-8 text became "Ã©lection". Bytes that are not
    ASCII and yet valid UTF-8 are almost never Latin-1 text, so they are read as UTF-8.
    """
    declared = codecs.lookup(response.encoding).name
    if declared in _SERVER_DEFAULTS and not response.body.isascii():
        try:
            return response.body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return response.text


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    text = _CONTROL.sub("", value.decode("latin-1"))
    return text[:CONTENT_TYPE_MAX] if name == b"Content-Type" else text


def _latency_ms(meta: dict[str, Any]) -> float | None:
    latency = meta.get("download_latency")
    return round(latency * 1000, 2) if latency is not None else None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
