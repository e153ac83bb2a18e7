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
``/case/status/<code>``, ``/case/gzip-bomb``; and hostile or broken HTML (``HOSTILE``):
``/case/no-charset``, ``/case/wrong-charset``, ``/case/truncated``, ``/case/deep-nesting``,
``/case/nul-bytes``, ``/case/huge-text``, ``/case/empty-200``, ``/case/gzip-header-lie``,
``/case/hostile-headers``, ``/case/hostile-metadata``.
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


# French and Russian: every line has letters outside ASCII, so a wrong decoding shows.
UNICODE_TITLE = "Élection à Montréal : le maire sortant réélu"
UNICODE_PARAGRAPHS = [
    "Le maire sortant a été réélu dimanche soir avec 54 % des voix, après une campagne "
    "marquée par les débats sur le logement et les transports en commun.",
    "Ses adversaires ont reconnu leur défaite peu après la fermeture des bureaux de vote, "
    "tout en promettant de surveiller de près les dépenses de la ville.",
    "Жители города говорят, что главной задачей нового совета станет ремонт старого моста "
    "через реку, закрытого для машин прошлой весной.",
    "La participation, en hausse de sept points, a surpris les observateurs, qui prévoyaient "
    "un scrutin sans enthousiasme après un été pluvieux et des grèves à répétition.",
]


def _unicode_page(head: str = "") -> str:
    """A UTF-8 article that names no charset anywhere (no <meta charset>)."""
    body = "".join(f"<p>{escape(p)}</p>\n" for p in UNICODE_PARAGRAPHS)
    return (
        f'<!doctype html><html lang="fr"><head>{head}<title>{escape(UNICODE_TITLE)}</title>'
        f'</head><body><nav><a href="/">Accueil</a></nav><main><article>'
        f"<h1>{escape(UNICODE_TITLE)}</h1>\n{body}</article></main></body></html>"
    )


TRUNCATED_MARK = "some praising her"


def _truncated_page() -> bytes:
    """An article cut off mid-paragraph, then mid-tag: no closing tags at all."""
    page = article_page(
        "Springfield mayor resigns",
        [
            "The mayor of Springfield resigned on Monday after a council meeting that ran late "
            "into the night, ending six years in office.",
            "Council members said they were surprised by the decision and would meet next week "
            "to discuss who should lead the city until the election in the spring.",
            "Residents interviewed outside city hall were divided, with some praising her "
            "record on transport and others criticising rising property taxes.",
        ],
    )
    cut = page.index(TRUNCATED_MARK) + len(TRUNCATED_MARK)
    return (page[:cut] + ' <a href="/mor').encode()


DEEP_NESTING = 100_000


def _deep_page() -> bytes:
    """An article inside DEEP_NESTING nested <div>s (libxml2 gives up at some depth)."""
    page = article_page(
        "Springfield mayor resigns",
        [p * 2 for p in UNICODE_PARAGRAPHS[:2]],
    )
    start, end = page.index("<main>"), page.index("</main>") + len("</main>")
    return (
        page[:start]
        + "<div>" * DEEP_NESTING
        + page[start:end]
        + "</div>" * DEEP_NESTING
        + page[end:]
    ).encode()


NUL_TITLE = "Springfield mayor resigns"


def _nul_page() -> bytes:
    """An article with NUL bytes in its title, its text, its tags and its attributes."""
    page = article_page(
        NUL_TITLE,
        [
            "The mayor of Springfield resigned on Monday after a council meeting that ran late "
            "into the night, ending six years in office.",
            "Council members said they were surprised by the decision and would meet next week "
            "to discuss who should lead the city until the election in the spring.",
        ],
    )
    page = page.replace("resigned on", "resigned\0 on").replace("members", "mem\0bers")
    page = page.replace("<title>", "<title>\0").replace("<p class=", "<p\0 class=", 1)
    page = page.replace('content="', 'content="\0', 1).replace("</nav>", "</na\0v>")
    return page.encode()


LONG_HOST = "h" * 300 + ".example"


def _metadata_page() -> bytes:
    """An article whose metadata is hostile: related links, dates and JSON-LD of the wrong
    shapes and sizes. Only the print link is a related page."""
    head = (
        f'<link rel="canonical" href="https://{LONG_HOST}/story">'
        '<link rel="amphtml" href="http://[::1">'
        '<link rel="alternate" media="print" href="/case/hostile-metadata?print=1">'
        f'<meta property="article:modified_time" content="{"2024-05-01 " * 10}">'
        '<script type="application/ld+json">{"@type": [null], "isAccessibleForFree": "False"}'
        "</script>"
        '<script type="application/ld+json">{"n": ' + "1" * 5000 + "}</script>"
        '<script type="application/ld+json">' + "/* " * 100_000 + "</script>"
    )
    return article_page(UNICODE_TITLE, UNICODE_PARAGRAPHS, head=head).encode()


HUGE_TEXT_BYTES = 9 * 1024 * 1024  # under the default MAX_BODY_BYTES, 10 MiB


@functools.cache
def _huge_page() -> bytes:
    """An article of HUGE_TEXT_BYTES: thousands of distinct paragraphs of plain prose."""
    head = article_page("A very long report", []).split('<p class="byline">')[0].encode()
    tail = b"</article></main></body></html>"
    sentences = [
        "The committee heard evidence from witness number {} about the state of the roads.",
        "In district {} the council found that repairs had been delayed by several months.",
        "Budget line {} was moved to the next year after a long debate among the members.",
    ]
    paragraphs, size, number = [], len(head) + len(tail), 0
    while size < HUGE_TEXT_BYTES - 300:
        text = " ".join(s.format(number) for s in sentences)
        paragraph = f"<p>{text}</p>\n".encode()
        paragraphs.append(paragraph)
        size += len(paragraph)
        number += 1
    body = head + b"".join(paragraphs) + tail
    return body + b" " * (HUGE_TEXT_BYTES - len(body))


HOSTILE = {
    "no-charset": ("text/html", _unicode_page().encode("utf-8")),
    # A real-world lie: a server default of ISO-8859-1 in front of UTF-8 pages.
    "wrong-charset": ("text/html; charset=iso-8859-1", _unicode_page().encode("utf-8")),
    "truncated": ("text/html; charset=utf-8", _truncated_page()),
    "nul-bytes": ("text/html; charset=utf-8", _nul_page()),
    "empty-200": ("text/html; charset=utf-8", b""),
    "hostile-metadata": ("text/html; charset=utf-8", _metadata_page()),
}


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
        elif case in HOSTILE:
            content_type, body = HOSTILE[case]
            self._send(200, body, {"Content-Type": content_type})
        elif case == "deep-nesting":
            self._send(200, _deep_page(), {"Content-Type": "text/html; charset=utf-8"})
        elif case == "huge-text":
            self._send(200, _huge_page(), {"Content-Type": "text/html; charset=utf-8"})
        elif case == "hostile-headers":  # NULs in headers; a Content-Type of 300 characters
            headers = {
                "Content-Type": "text/html; charset=utf-8; profile=" + "x" * 300,
                "ETag": '"v1\0evil"',
                "Last-Modified": "Mon, 01 Jan 2024 00:00:00\0 GMT",
            }
            self._send(200, _unicode_page().encode("utf-8"), headers)
        elif case == "gzip-header-lie":  # says gzip, sends plain HTML
            body = _unicode_page().encode("utf-8")
            headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
            self._send(200, body, headers)
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
