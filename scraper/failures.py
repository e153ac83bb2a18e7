"""One readable sentence for each way a fetch can fail, for the snapshot and the watch."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from twisted.internet import error as net
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Checked in order: the first class the failure is an instance of names it.
_SENTENCES: tuple[tuple[type[BaseException], str], ...] = (
    (net.DNSLookupError, "DNS lookup failed"),
    (net.ConnectionRefusedError, "connection refused"),
    (net.TimeoutError, "timed out"),
    (net.TCPTimedOutError, "timed out"),
    (net.ConnectionLost, "connection lost before the answer was complete"),
    (net.ConnectionDone, "connection closed before the answer was complete"),
    (ResponseNeverReceived, "the server closed the connection without answering"),
    (ResponseFailed, "the answer was cut off"),
)


def describe_failure(failure: Failure) -> str:
    value = failure.value
    message = str(value).strip()
    if isinstance(value, IgnoreRequest):
        if "robots.txt" in message:
            return "forbidden by robots.txt"
        return message or "request ignored"
    if "maxsize" in message.lower() or "max size" in message.lower():
        return f"body too large ({message})"
    for kind, sentence in _SENTENCES:
        if isinstance(value, kind):
            return sentence
    first_line = message.splitlines()[0] if message else ""
    return f"{type(value).__name__}: {first_line}" if first_line else type(value).__name__
