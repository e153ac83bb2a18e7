"""Refuse requests to private, loopback, link-local and metadata addresses (an SSRF guard).

``PrivateNetworkGuard`` is a downloader middleware, so it sees every request the crawl sends:
a watch's first request, a robots.txt request, and every redirect hop, because
RedirectMiddleware and MetaRefreshMiddleware answer a redirect with a new Request that goes
back through the scheduler and all the downloader middlewares. It runs before
RobotsTxtMiddleware, so a refused host is not even asked for its robots.txt.

A literal address is judged as it is; a host name is resolved (``getaddrinfo`` in a thread,
never on the reactor) and refused if ANY of its addresses is. A refusal raises
``IgnoreRequest("refused: <host> is <reason>")``, which becomes the snapshot's error
(``scraper.failures``), and logs one warning line.

Every request asks, so the question must cost next to nothing once answered: the verdict
for each host (allowed, or the refusal) is kept per set of allowed networks, for good for a
literal address and ``CACHE_SECONDS`` for a name (its DNS answers may change). Judging
``127.0.0.1`` again on every request (``ipaddress`` parsing, the network tests) was ~2% of
a 304's cost. ``process_request`` stays a coroutine: Scrapy 2.19 awaits every middleware's
answer in one coroutine whichever kind it is (a plain method's ``None`` is wrapped in a new
coroutine), so a plain method would not be cheaper.

Known gap, accepted for now: the guard resolves a name, then Twisted resolves it again to
connect. A name whose DNS answer changes in between (DNS rebinding) can still reach an
address the guard would refuse. Closing it means checking the addresses at connect time, in
a name resolver installed on the reactor. Keeping verdicts does not widen the window: a
name's verdict lasts exactly as long as the cached answer it was made from.

With every address allowed (``PALIMPSEST_ALLOW_PRIVATE_NETWORKS=1``) the guard is disabled.
It needs the asyncio reactor (``scraper.settings.REACTOR``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import socket
import time
from collections.abc import Iterable
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from monitor.addresses import Address, Network, describe_address, literal_address, refused_reason
from scraper.failures import REFUSED

log = logging.getLogger(__name__)

SETTING = "PALIMPSEST_ALLOW_PRIVATE_NETWORKS"
CACHE_SECONDS = 60.0
_CACHE_SIZE = 10_000

# host → (monotonic expiry, its addresses); shared by the crawls of one process.
_resolved: dict[str, tuple[float, tuple[Address, ...]]] = {}
# allowed networks → host → (monotonic expiry, the refusal or None); likewise shared.
_verdicts: dict[tuple[Network, ...], dict[str, tuple[float, str | None]]] = {}


def allowed_networks(value: Any) -> tuple[Network, ...]:
    """The setting's value: networks, or a comma-separated string of addresses and CIDRs."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(ipaddress.ip_network(str(item).strip(), strict=False) for item in items)


def allows_everything(networks: Iterable[Network]) -> bool:
    whole = {n.version for n in networks if n.prefixlen == 0}
    return whole == {4, 6}


class PrivateNetworkGuard:
    def __init__(self, allowed: Iterable[Network], dns_timeout: float = 60.0) -> None:
        self.allowed = tuple(allowed)
        self.dns_timeout = dns_timeout
        self._pending: dict[str, asyncio.Future[tuple[Address, ...]]] = {}
        self._verdicts = _verdicts.setdefault(self.allowed, {})

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuard:
        allowed = allowed_networks(crawler.settings.get(SETTING))
        if allows_everything(allowed):
            raise NotConfigured(f"{SETTING} allows every address")
        return cls(allowed, crawler.settings.getfloat("DNS_TIMEOUT", 60.0))

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname
        if not host:
            return None  # the download handler reports it
        verdict = self._verdicts.get(host)
        if verdict is None or verdict[0] <= time.monotonic():
            verdict = await self.judge(host)
        if verdict[1] is not None:
            log.warning("%s (%s)", verdict[1], request.url)
            raise IgnoreRequest(verdict[1])
        return None

    async def judge(self, host: str) -> tuple[float, str | None]:
        """Until when the verdict on ``host`` holds, and the refusal message (None: allowed)."""
        literal = literal_address(host)
        if literal is not None:
            expiry, addresses = math.inf, (literal,)
        else:
            addresses = await self.resolve(host)
            expiry = _resolved[host][0] if host in _resolved else time.monotonic()
        refusal = None
        for address in addresses:
            reason = refused_reason(address, self.allowed)
            if reason:
                refusal = f"{REFUSED}{describe_address(host, address)} is {reason}"
                break
        if len(self._verdicts) >= _CACHE_SIZE:
            self._verdicts.clear()
        self._verdicts[host] = (expiry, refusal)
        return expiry, refusal

    async def resolve(self, host: str) -> tuple[Address, ...]:
        """Every address ``host`` resolves to, from the cache or a lookup in a thread
        (one at a time per host; given up after Scrapy's ``DNS_TIMEOUT``).

        A failed lookup refuses the request as Scrapy's own would ("DNS lookup failed"):
        letting it through would let the download resolve the name unchecked."""
        cached = _resolved.get(host)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        pending = self._pending.get(host)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = loop.run_in_executor(None, _getaddrinfo, host)
            self._pending[host] = pending
            pending.add_done_callback(lambda _: self._pending.pop(host, None))
        try:
            addresses = await asyncio.wait_for(asyncio.shield(pending), self.dns_timeout)
        except (OSError, ValueError, TimeoutError) as exc:
            raise CannotResolveHostError(f"{host}: {str(exc) or 'timed out'}") from None
        if len(_resolved) >= _CACHE_SIZE:
            _resolved.clear()
        _resolved[host] = (time.monotonic() + CACHE_SECONDS, addresses)
        return addresses


def _getaddrinfo(host: str) -> tuple[Address, ...]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    addresses = dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos)
    if not addresses:
        raise OSError(f"no addresses for {host}")
    return tuple(addresses)
