"""Politeness against a real HTTP server of the test's own: robots.txt and its per-watch
override, and a 429 with Retry-After holding the whole site back."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.articles import story_page


class Site(BaseHTTPRequestHandler):
    hits: Counter[str] = Counter()

    def do_GET(self) -> None:
        Site.hits[self.path] += 1
        if self.path == "/robots.txt":
            self._send(200, "User-agent: *\nDisallow: /private/\n", "text/plain")
        elif self.path == "/busy":
            self._send(429, "slow down", "text/plain", {"Retry-After": "120"})
        else:
            self._send(200, story_page(), "text/html; charset=utf-8")

    def _send(self, status: int, body: str, kind: str, headers: dict | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def test_robots_txt_is_obeyed_unless_a_watch_overrides_it_and_retry_after_holds_the_site(cli):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    Site.hits.clear()
    try:
        obeying = cli("add", f"{base}/private/story").stdout.strip()
        overriding = cli("add", f"{base}/private/other", "--ignore-robots").stdout.strip()
        busy = cli("add", f"{base}/busy").stdout.strip()
        checked = cli("check", "--all", PALIMPSEST_OBEY_ROBOTS="1", PALIMPSEST_LOG_LEVEL="INFO")
        asked_at = datetime.now(UTC)
    finally:
        server.shutdown()
    watches = {str(w["id"]): w for w in json.loads(cli("list", "--json").stdout)}
    assert watches[obeying]["last_error"] == "forbidden by robots.txt"
    assert Site.hits["/private/story"] == 0
    assert watches[overriding]["last_error"] is None and Site.hits["/private/other"] == 1
    assert f"watch {overriding} ignores robots.txt" in checked.stderr
    assert watches[busy]["last_error"] == "HTTP 429 Too Many Requests"
    status = json.loads(cli("status", "--json").stdout)
    [held] = status["domains_backing_off"]
    assert held["domain"] == f"127.0.0.1:{server.server_address[1]}"
    until = datetime.fromisoformat(held["until"])
    assert 110 <= (until - asked_at).total_seconds() <= 125, "held as long as Retry-After asked"
