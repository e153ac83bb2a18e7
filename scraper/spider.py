"""The watch spider: one conditional GET per claimed watch, one CheckResult per answer.

It sends ``If-None-Match`` / ``If-Modified-Since`` from the validators of the last check and
lets every status but a redirect reach the callback, so a 304 is an outcome and an HTTP
error is a row.
A body whose bytes equal the last one is ``unchanged`` at once; an HTML body that differs goes
on to the pipelines for extraction.
"""

from __future__ import annotations

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
from scraper.failures import describe_failure

# Statuses a bot wall, a CAPTCHA or an "access denied" page come with.
WALL_STATUSES = (401, 403, 429, 503)

# Every status reaches the callback except redirects, which RedirectMiddleware follows.
STATUSES_TO_CALLBACK = [304, *range(400, 600)]


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
        return scrapy.Request(
            target.url,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"target": target, "handle_httpstatus_list": STATUSES_TO_CALLBACK},
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
        if result.body_sha256 == result.target.last_body_sha256:
            result.outcome = UNCHANGED
        elif isinstance(response, HtmlResponse):
            result.outcome = NEW_VERSION  # until extraction says whether the article changed
            result.body = response.body
            result.html = response.text
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


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _latency_ms(meta: dict[str, Any]) -> float | None:
    latency = meta.get("download_latency")
    return round(latency * 1000, 2) if latency is not None else None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
