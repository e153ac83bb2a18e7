"""Run a coroutine inside Twisted's asyncio reactor, the one Scrapy crawls in.

A reactor cannot be restarted, so each process runs it once: the CLI for one command, the
daemon for its whole life. The reactor is installed here, before anything imports it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from scrapy.utils.reactor import install_reactor

from scraper.settings import REACTOR

T = TypeVar("T")


def run(main: Callable[[], Awaitable[T]]) -> T:
    """Install the asyncio reactor, run ``main()`` to completion in it, return its result."""
    install_reactor(REACTOR)
    from twisted.internet import reactor

    done: list[asyncio.Future[T]] = []

    def start() -> None:
        future = asyncio.ensure_future(main())

        def finished(f: asyncio.Future[T]) -> None:
            done.append(f)
            reactor.stop()

        future.add_done_callback(finished)

    reactor.callWhenRunning(start)
    reactor.run(installSignalHandlers=False)
    if not done:
        raise RuntimeError("the reactor stopped before the work finished")
    return done[0].result()
