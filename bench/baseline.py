"""The baseline: a bare aiohttp client making the bench's requests and doing nothing else.

    python bench/baseline.py --base URL --mode etag|same|changed|noisy --watches N ...

Fetches every ``<base>/<mode>/a/<i>`` once to warm up (it keeps each ETag and body hash, as
the checker keeps validators), then times another sweep at the same concurrency (``--repeat``
sweeps, keeping the fastest): with ``If-None-Match`` for ``etag``, reading and sha256-hashing
the body for ``same`` and ``noisy`` (new bytes on every fetch), reading the body for
``changed``. Prints one JSON line: wall and CPU
seconds of the timed sweep, statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

MODES = ("etag", "same", "changed", "noisy")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_seconds(base: str) -> float:
    with urllib.request.urlopen(f"{base}/_stats", timeout=10) as answer:
        return json.load(answer)["cpu_seconds"]


@dataclass
class Sweep:
    """One pass over the URLs; what it learnt (ETags, hashes) serves the next pass."""

    mode: str
    conditional: bool
    etags: dict[int, str] = field(default_factory=dict)
    hashes: dict[int, str] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    same_hash: int = 0

    async def fetch(self, session: aiohttp.ClientSession, url: str, i: int) -> None:
        headers = {}
        if self.conditional and i in self.etags:
            headers["If-None-Match"] = self.etags[i]
        async with session.get(url, headers=headers) as response:
            body = await response.read()
            self.statuses[response.status] += 1
            etag = response.headers.get("ETag")
        if etag:
            self.etags[i] = etag
        if self.mode in ("same", "noisy") and response.status == 200:
            digest = hashlib.sha256(body).hexdigest()
            self.same_hash += self.hashes.get(i) == digest
            self.hashes[i] = digest


async def sweep(session: aiohttp.ClientSession, urls: list[str], concurrency: int, state: Sweep):
    queue = iter(enumerate(urls))

    async def worker() -> None:
        for i, url in queue:  # the workers share one iterator: each URL is fetched once
            await state.fetch(session, url, i)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def bench(base: str, mode: str, count: int, concurrency: int, repeat: int) -> dict:
    urls = [f"{base}/{mode}/a/{i}" for i in range(count)]
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        warm = Sweep(mode, conditional=False)
        await sweep(session, urls, concurrency, warm)
        runs = []
        for _ in range(repeat):
            timed = Sweep(mode, conditional=mode == "etag", etags=warm.etags, hashes=warm.hashes)
            server0 = server_cpu_seconds(base)
            cpu0, t0 = cpu_seconds(), time.perf_counter()
            await sweep(session, urls, concurrency, timed)
            seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
            runs.append(
                {
                    "requests": sum(timed.statuses.values()),
                    "seconds": seconds,
                    "cpu_seconds": cpu,
                    "statuses": {str(k): v for k, v in sorted(timed.statuses.items())},
                    "same_hash": timed.same_hash,
                    "server_cpu_seconds": server_cpu_seconds(base) - server0,
                }
            )
    return fastest(mode, runs)


def fastest(mode: str, runs: list[dict]) -> dict:
    """The result of the fastest of ``runs``, with every run's times under ``runs``."""
    best = min(runs, key=lambda run: run["seconds"])
    return {
        "mode": mode,
        **best,
        "runs": [{k: run[k] for k in ("seconds", "cpu_seconds", "requests")} for run in runs],
    }


def arguments(description: str, argv: list[str] | None) -> argparse.Namespace:
    """A baseline's command line: the same as ``scenario.py``'s, less the database."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--base", required=True)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=1, help="timed passes; the best counts")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    result = asyncio.run(bench(args.base, args.mode, args.watches, args.concurrency, args.repeat))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
