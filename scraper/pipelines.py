"""Item pipelines: extract the article of a changed page, then record results in batches.

``ExtractArticlePipeline`` runs trafilatura in a thread of its own (it is CPU-heavy and must
not stall the event loop), one page at a time: pages extracted in several threads at once
crash the process now and then (SIGSEGV, "munmap_chunk(): invalid pointer"; trafilatura
issues #840, #925), and under the GIL more threads would not extract faster. It settles
whether the article changed. ``RecordPipeline`` hands results to the recorder set in
``PALIMPSEST_RECORDER`` (a callable taking a list of CheckResults, run in a thread) in
batches of ``PALIMPSEST_RECORD_BATCH``, and whatever is left when the crawl closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.check import NEW_VERSION, UNCHANGED, CheckResult
from scraper.extract import extract_article

Recorder = Callable[[list[CheckResult]], object]

# The one thread that extracts articles, for every crawl in the process (its thread starts
# with the first page to extract).
EXTRACTION = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")


class ExtractArticlePipeline:
    async def process_item(self, item: CheckResult) -> CheckResult:
        if item.html is None:
            return item
        html, item.html = item.html, None
        loop = asyncio.get_running_loop()
        item.extraction = await loop.run_in_executor(
            EXTRACTION, extract_article, html, item.final_url
        )
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
