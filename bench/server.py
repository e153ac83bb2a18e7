"""The bench's publisher: an aiohttp server on 127.0.0.1 with four kinds of news pages.

    python bench/server.py [--corpus DIR] [--port 0]    # prints its base URL, serves until
                                                        # killed or its stdin closes

Page ``i`` of every mode is page ``i % n`` of the corpus (``*.html.gz``, decompressed at start),
or of generated article pages when the corpus is absent, so any number of distinct URLs exist:

    GET /etag/a/<i>      ETag on every answer; a matching If-None-Match gets a bodyless 304
    GET /same/a/<i>      the same bytes every time, no validators: an unchanged 200
    GET /changed/a/<i>   the article's longest paragraph gains a new sentence on every fetch
    GET /noisy/a/<i>     the same article in new bytes on every fetch: a CSRF nonce in <head>,
                         and before </body> an ad slot, a "most read" box, a timestamp and a
                         nonce in a script (what news pages change on every fetch)
    GET /robots.txt      allows everything
    GET /_stats          {"requests": …, "cpu_seconds": …} of this process, to tell a busy server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import hashlib
import html
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles"
PARAGRAPH = re.compile(rb"<p(?:\s[^>]*)?>(.*?)</p\s*>", re.IGNORECASE | re.DOTALL)
TAG = re.compile(rb"<[^>]*>")


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    etag: str
    split_at: int  # where the changing sentence goes: inside the longest paragraph
    head_at: int = 0  # where the noise of <head> goes: before </head>
    tail_at: int = 0  # where the noise of <body> goes: before </body>, outside the article


def make_page(body: bytes, article: str | None = None) -> Page:
    try:
        body.decode("utf-8")
        content_type = "text/html; charset=utf-8"
    except UnicodeDecodeError:
        content_type = "text/html"  # let the client read the page's own <meta charset>
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    lowered = body.lower()
    head_at, tail_at = lowered.find(b"</head"), lowered.rfind(b"</body")
    return Page(
        body,
        content_type,
        etag,
        _insertion_point(body, article),
        head_at=head_at if head_at >= 0 else 0,
        tail_at=tail_at if tail_at >= 0 else len(body),
    )


def _insertion_point(body: bytes, article: str | None) -> int:
    """Inside the article's text: its longest paragraph (per the ground truth, if known)."""
    known = " ".join(article.split()) if article else None
    paragraphs = sorted(
        (
            (_text(m.group(1)), m.start(1))
            for m in PARAGRAPH.finditer(body)
            if not _in_script(body, m.start())
        ),
        key=lambda p: len(p[0]),
        reverse=True,
    )
    for text, start in paragraphs:
        if known is None or (len(text) >= 20 and text[:60] in known):
            return start
    for sentence in (known or "").split(". "):  # no <p> of the article: find its words
        at = body.find(sentence[:40].encode()) if len(sentence) >= 40 else -1
        if at >= 0 and not _in_script(body, at) and not _in_tag(body, at):
            return at
    if paragraphs:
        return paragraphs[0][1]
    end = body.lower().rfind(b"</body")
    return end if end >= 0 else len(body)


def _in_script(body: bytes, at: int) -> bool:
    return body.rfind(b"<script", 0, at) > body.rfind(b"</script", 0, at)


def _in_tag(body: bytes, at: int) -> bool:
    return body.rfind(b"<", 0, at) > body.rfind(b">", 0, at)


def _text(fragment: bytes) -> str:
    return " ".join(html.unescape(TAG.sub(b"", fragment).decode("utf-8", "replace")).split())


def load_corpus(folder: Path) -> list[Page]:
    truth_file = folder.parent / "ground-truth.json"
    truth = json.loads(truth_file.read_text()) if truth_file.is_file() else {}
    pages = []
    for path in sorted(folder.glob("*.html.gz")):
        article = truth.get(path.name.split(".")[0], {}).get("articleBody")
        pages.append(make_page(gzip.decompress(path.read_bytes()), article))
    return pages


def generated_pages(count: int = 100) -> list[bytes]:
    """Plain article pages for when the corpus is absent: a headline and six paragraphs."""
    pages = []
    for n in range(count):
        paragraphs = "".join(
            f"<p>Paragraph {k} of story {n}: the council met on Tuesday and voted {k + n} to "
            f"{k * 3 % 7} on the harbour plan, after residents spoke for {n % 50 + k} minutes "
            "about traffic, noise and the future of the old fish market.</p>"
            for k in range(6)
        )
        pages.append(
            f"<!doctype html><html><head><meta charset='utf-8'><title>Story {n}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><article><h1>Story {n}</h1>{paragraphs}"
            "</article><footer>© The Bench Gazette</footer></body></html>".encode()
        )
    return pages


class Publisher:
    def __init__(self, pages: list[Page]) -> None:
        self.pages = pages
        self.requests = 0
        self.revision = 0

    def page(self, request: web.Request) -> Page:
        self.requests += 1
        try:
            index = int(request.match_info["i"])
        except ValueError:
            raise web.HTTPNotFound() from None
        return self.pages[index % len(self.pages)]

    async def etag(self, request: web.Request) -> web.Response:
        page = self.page(request)
        if request.headers.get("If-None-Match") == page.etag:
            return web.Response(status=304, headers={"ETag": page.etag})
        return web.Response(
            body=page.body, headers={"Content-Type": page.content_type, "ETag": page.etag}
        )

    async def same(self, request: web.Request) -> web.Response:
        page = self.page(request)
        return web.Response(body=page.body, headers={"Content-Type": page.content_type})

    async def changed(self, request: web.Request) -> web.Response:
        page = self.page(request)
        self.revision += 1
        sentence = f"Update {self.revision}: the story changed again at revision {self.revision}. "
        body = page.body[: page.split_at] + sentence.encode("ascii") + page.body[page.split_at :]
        return web.Response(body=body, headers={"Content-Type": page.content_type})

    async def noisy(self, request: web.Request) -> web.Response:
        page = self.page(request)
        self.revision += 1
        token = hashlib.sha256(str(self.revision).encode()).hexdigest()[:16]
        head = f'<meta name="csrf-token" content="{token}">'.encode("ascii")
        picks = [(self.revision * k) % 7 for k in (1, 3, 5)]
        tail = (
            f'<div class="ad" id="ad-slot-{token[:6]}"><a href="/ad/{token}">Sponsored</a></div>'
            '<aside class="most-read"><h3 class="card-title">Most read</h3><ol>'
            + "".join(f"<li><a href='/n/{n}'>Story number {n} of the day</a></li>" for n in picks)
            + f"</ol></aside><p class='served'>Served at {time.time():.3f}</p>"
            f'<script>window.nonce = "{token}";</script>'
        ).encode("ascii")
        body = (
            page.body[: page.head_at]
            + head
            + page.body[page.head_at : page.tail_at]
            + tail
            + page.body[page.tail_at :]
        )
        return web.Response(body=body, headers={"Content-Type": page.content_type})

    async def robots(self, _request: web.Request) -> web.Response:
        return web.Response(text="User-agent: *\nAllow: /\n")

    async def stats(self, _request: web.Request) -> web.Response:
        payload = {
            "pages": len(self.pages),
            "requests": self.requests,
            "cpu_seconds": time.process_time(),
        }
        return web.Response(text=json.dumps(payload), content_type="application/json")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/etag/a/{i}", self.etag)
        app.router.add_get("/same/a/{i}", self.same)
        app.router.add_get("/changed/a/{i}", self.changed)
        app.router.add_get("/noisy/a/{i}", self.noisy)
        app.router.add_get("/robots.txt", self.robots)
        app.router.add_get("/_stats", self.stats)
        return app


async def serve(publisher: Publisher, port: int) -> None:
    runner = web.AppRunner(publisher.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    host, bound = runner.addresses[0][:2]
    print(f"http://{host}:{bound}", flush=True)
    try:
        # Serve until the parent closes our stdin (or dies): never outlive the bench.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    pages = load_corpus(args.corpus) if args.corpus.is_dir() else []
    publisher = Publisher(pages or [make_page(b) for b in generated_pages()])
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(publisher, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
