"""Item pipelines: judge the page of a changed body, then record results in batches.

``ExtractArticlePipeline`` runs extraction in a thread of its own, one page at a time
(trafilatura is CPU-heavy and must not stall the event loop; pages extracted in several
threads at once crash the process now and then: SIGSEGV, "double free or corruption",
"munmap_chunk(): invalid pointer", trafilatura issues #840 and #925; and under the GIL more
threads would not extract faster), recognises walls (bot, CAPTCHA, consent: ``blocked``),
settles the paywall state and whether the article changed. ``RecordPipeline`` hands results
to the recorder set in ``PALIMPSEST_RECORDER`` (a callable taking a list of CheckResults,
run in a thread) in batches of ``PALIMPSEST_RECORD_BATCH``, and whatever is left when the
crawl closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from monitor.blocked import blocked_reason
from monitor.check import BLOCKED, ERROR, NEW_VERSION, UNCHANGED, CheckResult, Extraction
from monitor.paywall import decide
from scraper.extract import UnreadablePage, extract_article

log = logging.getLogger(__name__)

Recorder = Callable[[list[CheckResult]], object]

# The one thread that extracts pages, for every crawl in the process (it starts with the
# first page to extract).
EXTRACTION = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")


def judge_page(html: str, result: CheckResult) -> None:
    """Extract ``html`` into ``result``: blocked, unchanged, a candidate new version, or an
    error when the page cannot be read (a check always ends in a recorded outcome)."""
    options = result.target.options
    try:
        extraction = extract_article(
            html,
            result.final_url,
            options.get("selector"),
            options.get("ignore", ()),
            known_fingerprint=result.target.latest_fingerprint,
        )
    except UnreadablePage as exc:
        result.outcome, result.error, result.body = ERROR, str(exc), None
        return
    except Exception as exc:
        # A bug of ours or of trafilatura on a hostile page: before this, the item was lost
        # with a traceback in the log and the watch left leased, with no snapshot at all.
        log.exception("extraction failed for %s", result.final_url)
        message = " ".join(str(exc).replace("\0", " ").split())[:200]
        result.outcome, result.body = ERROR, None
        result.error = f"extraction failed: {type(exc).__name__}" + (
            f": {message}" if message else ""
        )
        return
    article = extraction.article
    reason = blocked_reason(result.http_status, article.title, article.text)
    if reason is not None:
        result.outcome, result.blocked, result.body = BLOCKED, reason, None
        return
    if extraction.fingerprint == result.target.latest_fingerprint:
        # Same article in different bytes (ads, nonces, timestamps): keep the hash only.
        result.outcome, result.body = UNCHANGED, None
        return
    result.outcome = NEW_VERSION  # unless the recorder finds it is a revert
    result.extraction = _with_paywall(extraction, result)


def _with_paywall(extraction: Extraction, result: CheckResult) -> Extraction:
    state, evidence = decide(
        list(extraction.paywall_evidence),
        words=extraction.article.word_count,
        longest_words=result.target.longest_words,
        related_words=result.target.related_words,
    )
    return replace(extraction, paywall=state, paywall_evidence=tuple(evidence))


class ExtractArticlePipeline:
    async def process_item(self, item: CheckResult) -> CheckResult:
        if item.html is not None:
            html, item.html = item.html, None
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(EXTRACTION, judge_page, html, item)
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
