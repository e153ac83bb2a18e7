"""``palimpsest run --workers N``: N daemon processes on this machine, kept running.

Each worker is a whole daemon (``palimpsest run`` in a child process, its own reactor and
crawler) sharing the database with the others: claims take due watches under a lease with
``FOR UPDATE SKIP LOCKED``, sites are booked in the ``domain`` table, alerts are claimed
from the outbox the same way. The same command on several machines against one
PostgreSQL database shares the work among all of them.

This process only supervises: it starts the workers, starts again one that died (its
leases expire and the others take its watches meanwhile), serves the web UI when asked,
and on SIGTERM or SIGINT asks every worker to stop and waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger("palimpsest.workers")

# A worker that dies is started again after this long, doubling while it keeps dying young.
RESTART_FIRST, RESTART_MAX, SETTLED_AFTER = 1.0, 60.0, 60.0


@dataclass
class Worker:
    number: int
    command: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restart_at: float = 0.0
    wait: float = RESTART_FIRST
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(list(self.command))
        self.started = time.monotonic()
        log.info("worker %d started (pid %d)", self.number, self.process.pid)

    def check(self, now: float) -> None:
        """Start the worker again if it died, after a wait that grows while it keeps dying."""
        if self.process is None:
            if now >= self.restart_at:
                self.restarts += 1
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        self.wait = RESTART_FIRST if now - self.started > SETTLED_AFTER else self.wait
        pid = self.process.pid
        log.warning("worker %d (pid %d) died (%s)", self.number, pid, how)
        log.info("starting worker %d again in %gs", self.number, self.wait)
        self.process, self.restart_at = None, now + self.wait
        self.wait = min(RESTART_MAX, self.wait * 2)


def worker_command(db: str | None) -> list[str]:
    """The command line of one worker: this Python, ``palimpsest run``, the same database."""
    command = [sys.executable, "-m", "palimpsest.cli"]
    if db:
        command += ["--db", db]
    return [*command, "run"]


async def supervise(
    workers: list[Worker], stopping: asyncio.Event, grace: float = 30.0, poll: float = 0.5
) -> None:
    """Keep ``workers`` running until ``stopping`` is set, then stop them all."""
    for worker in workers:
        worker.start()
    while not stopping.is_set():
        now = time.monotonic()
        for worker in workers:
            worker.check(now)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), poll)
    running = [w.process for w in workers if w.process is not None and w.process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("worker pid %d did not stop in %gs; killing it", process.pid, grace)
            process.kill()
            process.wait()
    log.info("all %d workers stopped", len(workers))


async def run_workers(count: int, db: str | None, web=None) -> None:
    """Supervise ``count`` workers until SIGTERM or SIGINT; ``web``: a server to run too."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    workers = [Worker(n, worker_command(db)) for n in range(1, count + 1)]
    serving = None
    if web is not None:
        server, sock = web
        serving = asyncio.create_task(server.serve(sockets=[sock]))
    log.info("supervising %d workers (pid %d)", count, os.getpid())
    await supervise(workers, stopping)
    if serving is not None:
        server.should_exit = True
        await asyncio.wait({serving}, timeout=5)
