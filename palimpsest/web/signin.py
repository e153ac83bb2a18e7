"""Signing in to the web UI with the API token, and the CSRF tokens of its forms.

The browser never holds the token itself. Signing in (a form that takes
``PALIMPSEST_API_TOKEN``) sets a cookie ``ISSUED.NONCE.MAC``, where MAC is an HMAC keyed by
the token over the issue time and a random nonce: the server checks it without storing
sessions, and changing the token signs everybody out. The cookie is HttpOnly (no script
reads it) and SameSite=Strict (no other site's page sends it). Every form that changes
something carries a CSRF token, another HMAC keyed by the token over the session cookie,
checked on POST. The sign-in form itself, before any session, uses a double-submit nonce: a
random cookie that the form repeats. Wrong tokens are counted per client address
(``WrongTokens``): past a few in a while, that address is refused for a while, right token
or not, so the token cannot be guessed at the speed of the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response

SESSION_COOKIE = "palimpsest_session"
SIGNIN_COOKIE = "palimpsest_signin"
SESSION_SECONDS = 7 * 24 * 3600


def _mac(token: str, *parts: str) -> str:
    message = "\x1f".join(parts).encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    """Compare in constant time; as bytes, since a forged value may hold any character."""
    return hmac.compare_digest(given.encode(), expected.encode())


def new_session(token: str, now: float | None = None) -> str:
    issued = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(16)
    return f"{issued}.{nonce}.{_mac(token, 'session', issued, nonce)}"


def session_valid(token: str, cookie: str | None, now: float | None = None) -> bool:
    """Whether ``cookie`` was made by ``new_session`` with this token and has not expired."""
    issued, _, rest = (cookie or "").partition(".")
    nonce, _, mac = rest.partition(".")
    if not (issued.isdigit() and nonce and mac):
        return False
    age = (now if now is not None else time.time()) - int(issued)
    if not 0 <= age <= SESSION_SECONDS:
        return False
    return _same(mac, _mac(token, "session", issued, nonce))


def csrf_token(token: str, session: str) -> str:
    return _mac(token, "csrf", session)


@dataclass(frozen=True)
class Visitor:
    """Who is asking, as the pages need it: whether writes are on, whether they are signed
    in, and the CSRF token their forms carry."""

    writes_enabled: bool
    signed_in: bool
    csrf: str | None

    @classmethod
    def of(cls, request: Request, token: str | None) -> Visitor:
        if not token:
            return cls(False, False, None)
        cookie = request.cookies.get(SESSION_COOKIE)
        if not session_valid(token, cookie):
            return cls(True, False, None)
        return cls(True, True, csrf_token(token, cookie))

    def may_post(self, given_csrf: str | None) -> bool:
        """A POST is allowed when signed in and carrying this session's CSRF token."""
        return self.signed_in and self.csrf is not None and _same(self.csrf, given_csrf or "")


def set_cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def local_path(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//elsewhere``)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/manage"


class WrongTokens:
    """Wrong tokens given from each client address, in the last ``window`` seconds.

    After ``limit`` of them an address waits until the oldest is ``window`` old. Kept in
    memory (a restart forgets), for at most ``addresses`` addresses, the least recent
    dropped first.

    >>> now = [0.0]
    >>> wrong = WrongTokens(limit=2, window=60, clock=lambda: now[0])
    >>> wrong.failed("10.0.0.1"); wrong.failed("10.0.0.1"); wrong.wait("10.0.0.1")
    60.0
    >>> wrong.wait("10.0.0.2") is None
    True
    >>> now[0] = 61.0; wrong.wait("10.0.0.1") is None
    True
    """

    def __init__(
        self,
        limit: int = 10,
        window: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        addresses: int = 10_000,
    ) -> None:
        self.limit, self.window, self.clock, self.addresses = limit, window, clock, addresses
        self.seen: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, address: str) -> float | None:
        """Seconds ``address`` must wait before its next try, or None if it may try now."""
        times = self.seen.get(address)
        if times is None:
            return None
        now = self.clock()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self.seen[address]
            return None
        return times[0] + self.window - now if len(times) >= self.limit else None

    def failed(self, address: str) -> None:
        times = self.seen.setdefault(address, deque(maxlen=self.limit))
        times.append(self.clock())
        self.seen.move_to_end(address)
        while len(self.seen) > self.addresses:
            self.seen.popitem(last=False)

    def refusal(self, address: str) -> str | None:
        """The one-line refusal for ``address`` while it must wait, else None."""
        wait = self.wait(address)
        if wait is None:
            return None
        return f"too many wrong tokens from {address}: try again in {max(1, round(wait))} s"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
