"""Item pipelines: judge the page of a changed body, then record results in batches.

``ExtractArticlePipeline`` runs extraction in a thread of its own, one page at a time
(trafilatura is CPU-heavy and must not stall the event loop; pages extracted in several
threads at once crash the process now and then: SIGSEGV, "double free or corruption",
"munmap_chunk(): invalid pointer", trafilatura issues #840 and #925; and under the GIL more
threads would not extract faster), recognises walls (bot, CAPTCHA, consent: ``blocked``),
settles the paywall state and whether the article changed; with ``PALIMPSEST_FAST_PATH``
on, a page whose article element, headline inputs and paywall markup hash as the watch's
hint says (``monitor.fastpath``) is ``unchanged`` without extraction. ``RecordPipeline``
hands results to the recorder set in ``PALIMPSEST_RECORDER`` (a callable taking a list of
CheckResults, run in a thread) in batches of ``PALIMPSEST_RECORD_BATCH``, and whatever is
left when the crawl closes.
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
from monitor.fastpath import dated, is_fast_hit
from monitor.paywall import decide
from scraper.extract import UnreadablePage, current_extractor, extract_article

log = logging.getLogger(__name__)

Recorder = Callable[[list[CheckResult]], object]

# The one thread that extracts pages, for every crawl in the process (it starts with the
# first page to extract).
EXTRACTION = ThreadPoolExecutor(max_workers=1, thread_name_prefix="extract")


def judge_page(html: str, result: CheckResult, fast_path: bool = False) -> None:
    """Extract ``html`` into ``result``: blocked, unchanged, a candidate new version, or an
    error when the page cannot be read (a check always ends in a recorded outcome).

    With ``fast_path``, the watch's hint is tried first, and a full extraction makes a new
    hint for the recorder to keep."""
    target = result.target
    selector, ignore = target.options.get("selector"), target.options.get("ignore", ())
    if fast_path and _fast_hit(html, result, selector, ignore):
        result.outcome, result.body, result.fast_path = UNCHANGED, None, True
        return
    try:
        extraction = extract_article(
            html,
            result.final_url,
            selector,
            ignore,
            known_fingerprint=target.latest_fingerprint,
            **({"with_hint": True, "previous_hint": target.article_hint} if fast_path else {}),
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
    result.article_hint = dated(extraction.article_hint, result.fetched_at.timestamp())
    if extraction.fingerprint == result.target.latest_fingerprint:
        # Same article in different bytes (ads, nonces, timestamps): keep the hash only.
        result.outcome, result.body = UNCHANGED, None
        return
    result.outcome = NEW_VERSION  # unless the recorder finds it is a revert
    result.extraction = _with_paywall(extraction, result)


def _fast_hit(html: str, result: CheckResult, selector, ignore) -> bool:
    target = result.target
    if not target.article_hint or target.latest_fingerprint is None:
        return False
    try:
        key = current_extractor(selector, ignore)
        now = result.fetched_at.timestamp()
        return is_fast_hit(target.article_hint, html, target.latest_fingerprint, key, ignore, now)
    except Exception:  # a bug of ours on a hostile page: the full extraction decides
        log.exception("fast path failed for %s", result.final_url)
        return False


def _with_paywall(extraction: Extraction, result: CheckResult) -> Extraction:
    state, evidence = decide(
        list(extraction.paywall_evidence),
        words=extraction.article.word_count,
        longest_words=result.target.longest_words,
        related_words=result.target.related_words,
    )
    return replace(extraction, paywall=state, paywall_evidence=tuple(evidence))


class ExtractArticlePipeline:
    def __init__(self, fast_path: bool = False) -> None:
        self.fast_path = fast_path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractArticlePipeline:
        return cls(crawler.settings.getbool("PALIMPSEST_FAST_PATH", False))

    async def process_item(self, item: CheckResult) -> CheckResult:
        if item.html is not None:
            html, item.html = item.html, None
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(EXTRACTION, judge_page, html, item, self.fast_path)
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
