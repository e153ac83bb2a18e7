"""Serve the web app with uvicorn: alone (``palimpsest web``) or inside the daemon's loop.

The listening socket is bound here, before uvicorn starts, so an address in use is one
clear error rather than uvicorn's ``sys.exit`` from inside a running loop. Inside the
daemon (``palimpsest run --web``) the daemon owns SIGTERM and SIGINT and tells the server
to finish; uvicorn must not install its own handlers there.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn

from palimpsest.app import App
from palimpsest.errors import UsageError

log = logging.getLogger("palimpsest.web")


class WebServer(uvicorn.Server):
    """A uvicorn server whose process signals belong to someone else (the daemon)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or one line saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def web_server(app: App, sock: socket.socket) -> WebServer:
    """The API, pages and feeds of ``app`` on ``sock``, logging through our handlers."""
    from palimpsest.web.api import create_app

    # log_config=None: keep our logging set-up; requests themselves are not logged.
    config = uvicorn.Config(create_app(app), log_config=None, access_log=False)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    host, port = sock.getsockname()[:2]
    log.info("serving the web UI on http://%s:%s/", host, port)
    return WebServer(config)
