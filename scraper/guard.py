"""Refuse requests to private, loopback, link-local and metadata addresses (an SSRF guard).

``PrivateNetworkGuard`` is a downloader middleware, so it sees every request the crawl sends:
a watch's first request, a robots.txt request, and every redirect hop, because
RedirectMiddleware and MetaRefreshMiddleware answer a redirect with a new Request that goes
back through the scheduler and all the downloader middlewares. It runs before
RobotsTxtMiddleware, so a refused host is not even asked for its robots.txt.

A literal address is judged as it is; a host name is resolved (``getaddrinfo`` in a thread,
never on the reactor; answers kept for ``CACHE_SECONDS``) and refused if ANY of its
addresses is. A refusal raises ``IgnoreRequest("refused: <host> is <reason>")``, which
becomes the snapshot's error (``scraper.failures``), and logs one warning line.

Known gap, accepted for now: the guard resolves a name, then Twisted resolves it again to
connect. A name whose DNS answer changes in between (DNS rebinding) can still reach an
address the guard would refuse. Closing it means checking the addresses at connect time, in
a name resolver installed on the reactor.

With every address allowed (``PALIMPSEST_ALLOW_PRIVATE_NETWORKS=1``) the guard is disabled.
It needs the asyncio reactor (``scraper.settings.REACTOR``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
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
        literal = literal_address(host)
        addresses = (literal,) if literal is not None else await self.resolve(host)
        for address in addresses:
            reason = refused_reason(address, self.allowed)
            if reason:
                message = f"{REFUSED}{describe_address(host, address)} is {reason}"
                log.warning("%s (%s)", message, request.url)
                raise IgnoreRequest(message)
        return None

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
