"""Scrapy settings for checking watches: polite, explicit, tuned for many small crawls.

Scrapy's own fallbacks (no robots.txt, no delay) are not what a monitor should send, so every
politeness setting is set here from Palimpsest's settings. The tuning follows what was
measured (DESIGN.md): one item task per callback, and no middleware a re-check does not need.
"""

from __future__ import annotations

from typing import Any

from palimpsest.settings import Settings

REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"


def scrapy_settings(settings: Settings) -> dict[str, Any]:
    return {
        "TWISTED_REACTOR": REACTOR,
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": settings.obey_robots,
        "DOWNLOAD_DELAY": settings.download_delay,
        "CONCURRENT_REQUESTS": settings.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.concurrency_per_domain,
        "DOWNLOAD_TIMEOUT": settings.download_timeout,
        "DOWNLOAD_MAXSIZE": settings.max_body_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": settings.retry_times > 0,
        "RETRY_TIMES": settings.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
        "REDIRECT_ENABLED": True,
        "COOKIES_ENABLED": False,
        "REFERER_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": True,
        "LOG_LEVEL": "WARNING" if settings.log_level.upper() != "DEBUG" else "DEBUG",
        "CONCURRENT_ITEMS": 1,
        # Scrapy's check for a generator callback with a return value re-reads and re-parses
        # the callback's source (~1.2 ms) whenever its cache has forgotten the bound method,
        # which happens once the requests holding it are gone: 310 times in 3,000 checks here.
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        # Every middleware left on costs each check a hop (a coroutine, a deprecation-argument
        # check) whether or not it does anything; these do nothing for the watch spider,
        # whose callbacks yield no requests and whose start requests are all alike.
        "SPIDER_MIDDLEWARES": {
            "scrapy.spidermiddlewares.start.StartSpiderMiddleware": None,
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
            "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
        },
        "DOWNLOADER_MIDDLEWARES": {
            # Before RobotsTxtMiddleware (100); redirect hops come back through it too.
            "scraper.guard.PrivateNetworkGuard": 60,
            # No allowed_domains (a watch goes where its redirects lead, past the guard).
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            # No credentials: a watch's URL is fetched as any reader would.
            "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
            "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
            "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
            "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
        },
        # Nothing reads the crawl's stats (the snapshots are the record), and with logging at
        # WARNING they are not even dumped.
        "STATS_CLASS": "scrapy.statscollectors.DummyStatsCollector",
        "EXTENSIONS": {
            "scrapy.extensions.logstats.LogStats": None,
            "scrapy.extensions.corestats.CoreStats": None,
            "scrapy.extensions.memusage.MemoryUsage": None,
        },
        "ITEM_PIPELINES": {
            "scraper.pipelines.ExtractArticlePipeline": 100,
            "scraper.pipelines.RecordPipeline": 900,
        },
        "PALIMPSEST_RECORD_BATCH": 200,
        "PALIMPSEST_FAST_PATH": settings.fast_path,
        "PALIMPSEST_ALLOW_PRIVATE_NETWORKS": settings.allow_private_networks,
    }
