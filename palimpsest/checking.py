"""Check watches: claim them, crawl them with the watch spider, record what came back.

This is the service the CLI's ``check`` and the daemon's tick share. It must run inside the
asyncio reactor (``palimpsest.reactor``); database work goes through a thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta

from scrapy.crawler import AsyncCrawlerRunner
from sqlalchemy.exc import InterfaceError, OperationalError

from db.recording import record_results
from db.watches import claim_due, claim_watches, renew_leases
from monitor.check import CheckResult, FetchTarget
from palimpsest.app import App, utcnow
from palimpsest.errors import one_line
from scraper.settings import scrapy_settings
from scraper.spider import WatchSpider

log = logging.getLogger(__name__)

OnRecorded = Callable[[list[CheckResult]], None]
# Counted in place of an outcome when the results of a check could not be written.
UNRECORDED = "unrecorded"
RENEW_CHUNK = 500


def claim_due_watches(app: App) -> list[FetchTarget]:
    lease = timedelta(seconds=app.settings.lease_seconds)
    with app.sessions.begin() as session:
        return claim_due(
            session,
            app.worker_id,
            utcnow(),
            app.settings.batch_size,
            lease,
            delay=app.settings.download_delay,
            window=max(app.settings.tick_seconds, 1.0),
        )


def claim_these(app: App, watch_ids: Sequence[int]) -> list[FetchTarget]:
    """Lease the given watches, in short transactions of ``batch_size`` (SQLite caps the
    number of parameters of one statement)."""
    lease = timedelta(seconds=app.settings.lease_seconds)
    size = max(1, app.settings.batch_size)
    targets: list[FetchTarget] = []
    for start in range(0, len(watch_ids), size):
        with app.sessions.begin() as session:
            chunk = watch_ids[start : start + size]
            targets += claim_watches(session, chunk, app.worker_id, utcnow(), lease)
    return targets


class Checker:
    """Runs one crawl per batch of targets; ``stop()`` ends the running crawls cleanly."""

    def __init__(self, app: App, on_recorded: OnRecorded | None = None) -> None:
        self.app = app
        self.on_recorded = on_recorded
        self.runner: AsyncCrawlerRunner | None = None
        self.stopping = threading.Event()  # ends the retries of a write when stopping

    def record(self, batch: list[CheckResult]) -> None:
        """Write ``batch`` in one transaction; while the database is down or locked, wait and
        retry (doubling the wait, up to RECORD_RETRY_FOR) rather than lose the results."""
        wait, deadline = 1.0, time.monotonic() + self.app.settings.record_retry_for
        while True:
            try:
                with self.app.sessions.begin() as session:
                    record_results(
                        session,
                        batch,
                        utcnow(),
                        self.app.policy,
                        removed_after=self.app.settings.removed_after,
                        backoff=(
                            self.app.settings.domain_backoff_first,
                            self.app.settings.domain_backoff_max,
                        ),
                        worker=self.app.worker_id,
                    )
                break
            except (OperationalError, InterfaceError) as exc:
                if self.stopping.is_set() or time.monotonic() + wait > deadline:
                    raise
                log.warning(
                    "could not record %d check results (%s); retrying in %gs",
                    len(batch),
                    one_line(exc),
                    wait,
                )
                self.stopping.wait(wait)
                wait = min(wait * 2, 30.0)
        if self.on_recorded is not None:
            self.on_recorded(batch)

    async def check(self, targets: Sequence[FetchTarget]) -> Counter[str]:
        """Check ``targets`` and return how many checks ended in each outcome."""
        outcomes: Counter[str] = Counter()
        if not targets:
            return outcomes

        def record_and_count(batch: list[CheckResult]) -> None:
            try:
                self.record(batch)
            except Exception as exc:
                # The leases stay, so these watches come back after LEASE_SECONDS.
                log.error("could not record %d check results: %s", len(batch), one_line(exc))
                outcomes[UNRECORDED] += len(batch)
                return
            outcomes.update(r.outcome for r in batch)

        settings = scrapy_settings(self.app.settings)
        settings["PALIMPSEST_RECORDER"] = record_and_count
        self.runner = AsyncCrawlerRunner(settings)
        renewing = asyncio.create_task(self.renew([t.watch_id for t in targets]))
        try:
            await self.runner.crawl(WatchSpider, targets=list(targets))
        finally:
            self.runner = None
            renewing.cancel()
        return outcomes

    async def renew(self, ids: list[int]) -> None:
        """Keep the leases of the watches being checked until the crawl ends (cancelled)."""
        lease = timedelta(seconds=self.app.settings.lease_seconds)

        def renew() -> None:
            now, worker = utcnow(), self.app.worker_id
            # In chunks: SQLite caps the number of parameters of one statement.
            for start in range(0, len(ids), RENEW_CHUNK):
                with self.app.sessions.begin() as session:
                    renew_leases(session, ids[start : start + RENEW_CHUNK], worker, now, lease)

        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                await asyncio.to_thread(renew)
            except (OperationalError, InterfaceError) as exc:
                log.warning("could not renew the leases of this batch: %s", one_line(exc))

    async def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        if self.runner is not None:
            try:
                await asyncio.wait_for(self.runner.stop(), timeout)
            except TimeoutError:
                log.warning("the crawl did not stop within %.0fs; abandoning it", timeout)
