"""One readable sentence for each way a fetch can fail, for the snapshot and the watch.

>>> from scrapy.exceptions import DownloadTimeoutError
>>> describe(DownloadTimeoutError("Getting http://x/ took longer than 30.0 seconds."))
'timed out'
>>> describe(IgnoreRequest("max redirections reached"))
'too many redirects'
>>> describe(IgnoreRequest("refused: 127.0.0.1 is a loopback address"))
'refused: 127.0.0.1 is a loopback address'
"""

from __future__ import annotations

import gzip
import zlib

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from twisted.internet import error as net
from twisted.python.failure import Failure

# Checked in order: the first class the error is an instance of names it.
_SENTENCES: tuple[tuple[type[BaseException], str], ...] = (
    (CannotResolveHostError, "DNS lookup failed"),
    (net.DNSLookupError, "DNS lookup failed"),
    (DownloadConnectionRefusedError, "connection refused"),
    (net.ConnectionRefusedError, "connection refused"),
    (DownloadTimeoutError, "timed out"),
    (net.TimeoutError, "timed out"),
    (ResponseDataLossError, "the answer was cut off"),
    (DownloadCancelledError, "the download was cancelled"),
    (UnsupportedURLSchemeError, "unsupported URL scheme"),
    (DownloadFailedError, "the connection closed before a complete answer"),
    (gzip.BadGzipFile, "the body is not the gzip its Content-Encoding says"),
    (zlib.error, "the body does not decompress as its Content-Encoding says"),
)

# The message of a refusal by scraper.guard ("refused: <host> is <reason>") is kept whole:
# it names the host, which could otherwise contain one of the needles below.
REFUSED = "refused: "

# Messages of IgnoreRequest raised by Scrapy's middlewares, and what they mean.
_IGNORED: tuple[tuple[str, str], ...] = (
    ("robots.txt", "forbidden by robots.txt"),
    ("max redirections", "too many redirects"),
    ("DOWNLOAD_MAXSIZE", "body too large"),
)


def describe_failure(failure: Failure) -> str:
    return describe(failure.value)


def describe(error: BaseException) -> str:
    message = " ".join(str(error).split())
    if isinstance(error, IgnoreRequest):
        if message.startswith(REFUSED):
            return message
        for needle, sentence in _IGNORED:
            if needle.lower() in message.lower():
                return sentence
        return message or "request ignored"
    if "maxsize" in message.lower() or "max size" in message.lower():
        return "body too large"
    for kind, sentence in _SENTENCES:
        if isinstance(error, kind):
            return sentence
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
