"""The second baseline: a bare Scrapy spider making the bench's requests and doing nothing else.

    python bench/bare_scrapy.py --base URL --mode etag|same|changed|noisy --watches N ...

What Palimpsest's checks cost above Scrapy itself: the same URLs, the same reactor and the
same tuning as the checker (``scraper.settings``: concurrency, the middlewares and
extensions it turns off), but no robots.txt, no guard, no pipelines and no database. Like
``baseline.py`` it crawls every URL once to warm up (keeping ETags and body hashes), then
times another crawl (``--repeat`` crawls, keeping the fastest): with ``If-None-Match`` for
``etag``, hashing the body for ``same`` and ``noisy``. Prints one JSON line.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import Counter
from typing import Any

import scrapy
from baseline import arguments, cpu_seconds, fastest, server_cpu_seconds
from scrapy.crawler import AsyncCrawlerRunner

from palimpsest import reactor
from palimpsest.settings import Settings
from scraper.settings import scrapy_settings


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls: list[str], mode: str, state: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.urls, self.mode, self.state = urls, mode, state

    async def start(self):
        etags = self.state["etags"]
        for i, url in enumerate(self.urls):
            headers = {"If-None-Match": etags[i]} if self.mode == "etag" and i in etags else {}
            yield scrapy.Request(
                url, headers=headers, cb_kwargs={"i": i}, dont_filter=True, callback=self.parse
            )

    def parse(self, response: scrapy.http.Response, i: int):
        self.state["statuses"][response.status] += 1
        if etag := response.headers.get("ETag"):
            self.state["etags"][i] = etag.decode("latin-1")
        if self.mode in ("same", "noisy") and response.status == 200:
            digest = hashlib.sha256(response.body).hexdigest()
            self.state["same_hash"] += self.state["hashes"].get(i) == digest
            self.state["hashes"][i] = digest
        return None


def settings_for(concurrency: int) -> dict[str, Any]:
    ours = Settings.load(
        environ={}, download_delay=0.0, concurrency=concurrency, log_level="WARNING"
    )
    settings = scrapy_settings(ours)
    settings.update(
        CONCURRENT_REQUESTS_PER_DOMAIN=concurrency,
        ROBOTSTXT_OBEY=False,
        HTTPERROR_ALLOW_ALL=True,  # a 304 reaches the callback, as the checker's does
        ITEM_PIPELINES={},
    )
    settings["DOWNLOADER_MIDDLEWARES"] = {
        k: v for k, v in settings["DOWNLOADER_MIDDLEWARES"].items() if not k.startswith("scraper")
    }
    return settings


async def bench(base: str, mode: str, count: int, concurrency: int, repeat: int) -> dict:
    urls = [f"{base}/{mode}/a/{i}" for i in range(count)]
    runner = AsyncCrawlerRunner(settings_for(concurrency))
    state: dict[str, Any] = {"etags": {}, "hashes": {}, "statuses": Counter(), "same_hash": 0}
    await runner.crawl(BareSpider, urls=urls, mode=mode, state=state)  # warm-up
    runs = []
    for _ in range(repeat):
        state.update(statuses=Counter(), same_hash=0)
        server0 = server_cpu_seconds(base)
        cpu0, t0 = cpu_seconds(), time.perf_counter()
        await runner.crawl(BareSpider, urls=urls, mode=mode, state=state)
        seconds, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
        runs.append(
            {
                "requests": sum(state["statuses"].values()),
                "seconds": seconds,
                "cpu_seconds": cpu,
                "statuses": {str(k): v for k, v in sorted(state["statuses"].items())},
                "same_hash": state["same_hash"],
                "server_cpu_seconds": server_cpu_seconds(base) - server0,
            }
        )
    return fastest(mode, runs)


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
    result = reactor.run(
        lambda: bench(args.base, args.mode, args.watches, args.concurrency, args.repeat)
    )
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
