"""Item pipelines: extract the article of a changed page, then record results in batches.

``ExtractArticlePipeline`` runs trafilatura in a thread (it is CPU-heavy and must not stall
the event loop) and settles whether the article changed. ``RecordPipeline`` hands results to
the recorder set in ``PALIMPSEST_RECORDER`` (a callable taking a list of CheckResults, run
in a thread) in batches of ``PALIMPSEST_RECORD_BATCH``, and whatever is left when the crawl
closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.check import NEW_VERSION, UNCHANGED, CheckResult
from scraper.extract import extract_article

Recorder = Callable[[list[CheckResult]], object]


class ExtractArticlePipeline:
    async def process_item(self, item: CheckResult) -> CheckResult:
        if item.html is None:
            return item
        html, item.html = item.html, None
        item.extraction = await asyncio.to_thread(extract_article, html, item.final_url)
        if item.extraction.fingerprint == item.target.latest_fingerprint:
            # Same article in different bytes (ads, nonces, timestamps): keep the hash only.
            item.outcome = UNCHANGED
            item.body = None
        else:
            item.outcome = NEW_VERSION
        return item


class RecordPipeline:
    def __init__(self, recorder: Recorder, batch_size: int) -> None:
        self.recorder = recorder
        self.batch_size = batch_size
        self.pending: list[CheckResult] = []
        self.lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecordPipeline:
        recorder = crawler.settings.get("PALIMPSEST_RECORDER")
        if recorder is None:
            raise NotConfigured("PALIMPSEST_RECORDER is not set")
        return cls(recorder, crawler.settings.getint("PALIMPSEST_RECORD_BATCH", 200))

    async def process_item(self, item: CheckResult) -> CheckResult:
        self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            await self.flush()
        return item

    async def close_spider(self) -> None:
        await self.flush()

    async def flush(self) -> None:
        async with self.lock:
            batch, self.pending = self.pending, []
            if batch:
                await asyncio.to_thread(self.recorder, batch)
