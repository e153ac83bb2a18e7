"""A local publisher on 127.0.0.1 whose pages change on command: for the demo and the tests.

    python -m palimpsest.localsite [--port 0]       # prints its base URL, serves until killed

Pages are set over HTTP, so a test or a demo script can script an article's timeline:

    PUT /_pages/story?etag=1      body = the page; query: content_type, status, etag=1,
                                  location (with a 3xx status), noise=1
    GET /_hits/story              how many times /story was fetched
    GET /story                    the page, with ETag / 304 support when etag=1

With ``noise=1`` every fetch gets what real news pages change on every fetch: an "Updated N
minutes ago" line in the article, a rotating "most read" list, random ad-slot ids, a nonce
in a hidden input and in a script, a cache-busting ``?v=`` on the stylesheet, and a random
"recommended" block.

Endpoints named after awkward cases are always there: ``/case/binary-5mb``,
``/case/windows-1251``, ``/case/slow``, ``/case/drop``, ``/case/redirect-loop``,
``/case/status/<code>``, ``/case/gzip-bomb``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import hashlib
import os
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: bool = False
    location: str | None = None
    noise: bool = False


CYRILLIC_PAGE = (
    "<html><head><title>Новости дня</title></head><body><article><h1>Новости дня</h1>"
    + "<p>Городской совет утвердил новый бюджет на следующий год после долгого обсуждения.</p>" * 6
    + "</article></body></html>"
).encode("windows-1251")


def article_page(
    title: str,
    paragraphs: list[str],
    *,
    noise: str = "",
    charset: str = "utf-8",
    head: str = "",
    after: str = "",
    tail: str = "",
) -> str:
    """A news page: navigation, the article, a "most read" box whose ``noise`` changes freely.

    ``head`` goes into <head> (JSON-LD, meta tags), ``after`` into the article after its
    paragraphs (a subscription block), ``tail`` into the body after the article (a modal).
    """
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="{charset}"><title>{escape(title)} | Springfield News</title>
<meta property="og:title" content="{escape(title)}">
{head}
</head><body>
<nav><a href="/">Home</a> <a href="/politics">Politics</a> <a href="/subscribe">Subscribe</a></nav>
<main><article>
<h1>{escape(title)}</h1>
<p class="byline">By Jane Reporter</p>
{body}
{after}
</article></main>
<aside><h2>Most read</h2><ul><li>{escape(noise)}</li></ul></aside>
{tail}
<footer>© Springfield News · <a href="/newsletter">Subscribe to our newsletter</a></footer>
</body></html>"""


HEADLINES = [
    "Storm closes schools across the region",
    "Local team wins the cup after extra time",
    "Prices of homes fall for a third month",
    "New bridge opens to traffic on Sunday",
    "Museum returns looted statues",
    "Council delays vote on parking fees",
]


def with_noise(body: bytes) -> bytes:
    """``body`` with this fetch's noise: what changes on every fetch and is never news."""
    token = os.urandom(8).hex()
    most_read = random.sample(HEADLINES, 3)
    dateline = f'<p class="dateline">Updated {random.randint(2, 59)} minutes ago</p>'
    extras = (
        '<aside class="most-read"><h2>Most read</h2><ol>'
        + "".join(f"<li><a href='/n/{i}'>{h}</a></li>" for i, h in enumerate(most_read))
        + f'</ol></aside><div id="ad-slot-{token[:6]}" class="ad"></div>'
        f'<input type="hidden" name="csrf" value="{token}">'
        f'<script>window.nonce = "{token}";</script>'
        f'<link rel="stylesheet" href="/static/site.css?v={random.randint(1, 10**6)}">'
        f'<section class="recommended"><h2>Recommended</h2><p>{random.choice(HEADLINES)}</p>'
        f"</section>"
    )
    html = body.decode("utf-8", "replace")
    html = html.replace("<article>", "<article>" + dateline, 1)
    html = html.replace("</body>", extras + "</body>", 1)
    return html.encode("utf-8")


@functools.cache
def _gzip_bomb() -> bytes:
    """200 MiB of zeros, gzip-compressed to about 200 KiB."""
    return gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=1)


class Site:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteServer

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_PUT(self) -> None:
        parts = urlsplit(self.path)
        if not parts.path.startswith("/_pages/"):
            self._send(404, b"not found")
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        page = Page(
            body=body,
            content_type=query.get("content_type", "text/html; charset=utf-8"),
            status=int(query.get("status", "200")),
            etag=query.get("etag", "0") == "1",
            location=query.get("location"),
            noise=query.get("noise", "0") == "1",
        )
        with self.server.site.lock:
            self.server.site.pages["/" + parts.path[len("/_pages/") :]] = page
        self._send(204, b"")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        site = self.server.site
        if path.startswith("/_hits/"):
            self._send(200, str(site.hits["/" + path[len("/_hits/") :]]).encode())
            return
        with site.lock:
            site.hits[path] += 1
            page = site.pages.get(path)
        if path.startswith("/case/"):
            self._case(path[len("/case/") :])
        elif page is None:
            self._send(404, b"<html><body>not found</body></html>", {"Content-Type": "text/html"})
        else:
            self._page(page)

    do_HEAD = do_GET

    def _page(self, page: Page) -> None:
        headers = {"Content-Type": page.content_type}
        if page.location:
            headers["Location"] = page.location
        if page.etag:
            tag = '"' + hashlib.sha256(page.body).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if self.headers.get("If-None-Match") == tag:
                self._send(304, b"", {"ETag": tag})
                return
        self._send(page.status, with_noise(page.body) if page.noise else page.body, headers)

    def _case(self, case: str) -> None:
        if case == "binary-5mb":
            self._send(
                200, os.urandom(5 * 1024 * 1024), {"Content-Type": "application/octet-stream"}
            )
        elif case == "windows-1251":
            self._send(200, CYRILLIC_PAGE, {"Content-Type": "text/html; charset=windows-1251"})
        elif case == "slow":
            time.sleep(5)
            self._send(200, b"<html><body><p>slow</p></body></html>", {"Content-Type": "text/html"})
        elif case == "drop":
            self.close_connection = True
            self.connection.close()
        elif case == "redirect-loop":
            self._send(302, b"", {"Location": "/case/redirect-loop"})
        elif case.startswith("status/"):
            self._send(int(case.split("/", 1)[1]), b"status", {"Content-Type": "text/plain"})
        elif case == "gzip-bomb":
            bomb = _gzip_bomb()
            self._send(200, bomb, {"Content-Type": "text/html", "Content-Encoding": "gzip"})
        else:
            self._send(404, b"no such case", {"Content-Type": "text/plain"})


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, Handler)
        self.site = Site()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = SiteServer((args.host, args.port))
    host, port = server.server_address[:2]
    print(f"http://{host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
