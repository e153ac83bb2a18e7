"""The daemon: an APScheduler tick that claims due watches and checks them, until SIGTERM.

    python scheduler.py            # the same as `palimpsest run`

One asyncio reactor runs for the whole life of the process. APScheduler's AsyncIOScheduler
runs inside its loop with three fixed jobs: the dispatch tick, the delivery of due alerts
from the outbox, and retention (old checks folded into daily tallies, hourly). Each watch's
schedule lives in the database (``watch.next_check_at``), as does each alert's, so several
daemons can share one database. A tick that finds a batch still running only says the
daemon is alive; the batch keeps its leases itself. With ``--web`` the same loop serves
the web UI. SIGTERM or SIGINT ends the running crawl (its results so far are
recorded), lets an alert being sent finish and be recorded, and exits 0 within seconds.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from db.retention import fold_old_checks
from db.status import heartbeat
from palimpsest.alerting.delivery import Deliverer
from palimpsest.app import App, utcnow
from palimpsest.checking import Checker, claim_due_watches
from palimpsest.errors import one_line

log = logging.getLogger("palimpsest.daemon")
PRUNE_EVERY = 3600.0  # seconds between two retention runs


class Daemon:
    def __init__(self, app: App, web: socket.socket | None = None) -> None:
        self.app = app
        self.web = web  # a bound socket: serve the web UI from this loop too
        self.checker = Checker(app)
        self.batch: asyncio.Task[None] | None = None
        self.ticking: asyncio.Task[object] | None = None
        self.deliverer = Deliverer(app)
        self.delivering: asyncio.Task[object] | None = None
        self.pruning: asyncio.Task[object] | None = None
        self.stopping = asyncio.Event()

    async def tick(self) -> None:
        if self.stopping.is_set():
            return
        # Stopping waits for this tick to end rather than cancel its claim half way.
        self.ticking = asyncio.current_task()
        try:
            await asyncio.to_thread(self.beat)
            if self.batch is not None and not self.batch.done():
                return  # a long batch: alive (the beat), and its leases are kept (Checker)
            targets = await asyncio.to_thread(claim_due_watches, self.app)
        except Exception as exc:  # the database is locked or down: try again next tick
            log.error("could not claim due watches: %s", one_line(exc))
            return
        if targets and not self.stopping.is_set():
            self.batch = asyncio.create_task(self.check(targets))

    async def check(self, targets) -> None:
        started = utcnow()
        try:
            outcomes = await self.checker.check(targets)
        except Exception:
            log.exception("a batch of %d checks failed", len(targets))
            return
        seconds = (utcnow() - started).total_seconds()
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
        log.info("checked %d watches in %.1fs: %s", len(targets), seconds, summary or "nothing")

    def beat(self, stopped: bool = False) -> None:
        """Say in the database that this daemon is alive (``palimpsest status``)."""
        with self.app.sessions.begin() as session:
            heartbeat(session, self.app.worker_id, utcnow(), stopped)

    async def deliver(self) -> None:
        if self.stopping.is_set():
            return
        self.delivering = asyncio.current_task()
        try:
            await asyncio.to_thread(self.deliverer.deliver_due)
        except Exception as exc:  # the database is locked or down: try again next time
            log.error("could not deliver alerts: %s", one_line(exc))

    async def prune(self) -> None:
        """Fold checks older than KEEP_CHECKS into daily tallies (``db.retention``)."""
        keep = self.app.settings.keep_checks
        if self.stopping.is_set() or not keep:
            return
        self.pruning = asyncio.current_task()
        before = utcnow() - timedelta(seconds=keep)
        try:
            folded = await asyncio.to_thread(
                fold_old_checks, self.app.sessions.begin, before, stop=self.stopping.is_set
            )
        except Exception as exc:  # the database is locked or down: try again next time
            log.error("could not fold old checks: %s", one_line(exc))
            return
        if folded:
            log.info("folded %d checks older than %s into daily tallies", folded, f"{before:%F}")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stopping.set)
        scheduler = AsyncIOScheduler(event_loop=loop, timezone="UTC")
        # Each job runs now, then every so often; a late run is not repeated to catch up.
        for job, seconds in (
            (self.tick, self.app.settings.tick_seconds),
            (self.deliver, self.app.settings.alert_tick_seconds),
            (self.prune, PRUNE_EVERY),
        ):
            scheduler.add_job(
                job,
                "interval",
                seconds=seconds,
                next_run_time=utcnow(),
                id=job.__name__,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=None,
            )
        scheduler.start()
        server = serving = None
        if self.web is not None:
            from palimpsest.web.serving import web_server

            server = web_server(self.app, self.web)
            serving = asyncio.create_task(server.serve(sockets=[self.web]))
        log.info(
            "palimpsest daemon %s on %s, ticking every %gs",
            self.app.worker_id,
            self.app.engine.url.render_as_string(hide_password=True),
            self.app.settings.tick_seconds,
        )
        await self.stopping.wait()
        log.info("stopping")
        # No new job runs; a job just submitted runs to its first line (which sees that we
        # are stopping). The scheduler is shut down last: its shutdown cancels unfinished
        # jobs, which APScheduler logs with a traceback.
        scheduler.pause()
        self.deliverer.stop()
        await asyncio.sleep(0)
        if self.ticking is not None and not self.ticking.done():
            await asyncio.wait({self.ticking}, timeout=5)
        if self.batch is not None and not self.batch.done():
            await self.checker.stop()
            await asyncio.wait({self.batch}, timeout=5)
        if self.pruning is not None and not self.pruning.done():
            await asyncio.wait({self.pruning}, timeout=5)  # it stops after its batch
        if self.delivering is not None and not self.delivering.done():
            # The alert being sent is let finish, so that its try is recorded.
            await asyncio.wait({self.delivering}, timeout=self.app.settings.alert_timeout)
        scheduler.shutdown(wait=False)
        if server is not None:
            server.should_exit = True
            await asyncio.wait({serving}, timeout=5)
        try:
            await asyncio.to_thread(self.beat, True)
        except Exception as exc:
            log.warning("could not record that this daemon stopped: %s", one_line(exc))
        log.info("stopped")


def run_daemon(app: App, web: socket.socket | None = None) -> None:
    from palimpsest import reactor

    reactor.run(Daemon(app, web).run)


def main() -> int:
    from palimpsest.cli import main as cli_main

    return cli_main(["run", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
