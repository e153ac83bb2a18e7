"""Real receivers for alerts: an SMTP server (aiosmtpd) and an HTTP webhook (aiohttp),
both on 127.0.0.1, each counting what it accepted.

The webhook can be scripted to fail the next N requests (HTTP 500) and to take its time
before accepting one. It accepts a message only once it can answer: a sender that hangs up
(or is killed) while the webhook waits has delivered nothing.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiohttp import web
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpReceiver:
    """An SMTP server on 127.0.0.1; ``messages`` are the parsed emails it accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"

    def url(self, to: str = "desk@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?to={to}&from=palimpsest@example.com"

    def texts(self) -> list[str]:
        """Each message's subject and plain-text part, as a reader sees them."""
        out = []
        for message in self.messages:
            body = message.get_body(("plain",))
            out.append(f"{message['subject']}\n{body.get_content() if body else ''}")
        return out

    def htmls(self) -> list[str]:
        out = []
        for message in self.messages:
            body = message.get_body(("html",))
            out.append(body.get_content() if body else "")
        return out

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


@dataclass
class WebhookReceiver:
    """An HTTP endpoint for Apprise's ``json://`` channels."""

    fail_next: int = 0  # answer 500 to this many requests first
    delay: float = 0.0  # seconds to wait before accepting a request
    received: list[dict] = field(default_factory=list)  # payloads, with the "path" posted to
    refused: int = 0
    in_flight: int = 0  # requests being handled now
    port: int = field(default_factory=free_port)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        try:
            payload = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)  # cancelled if the sender hangs up meanwhile
            if self.fail_next > 0:
                self.fail_next -= 1
                self.refused += 1
                return web.Response(status=500, text="scripted failure")
            self.received.append({"path": request.path, **payload})
            return web.Response(text="ok")
        finally:
            self.in_flight -= 1

    def paths(self) -> list[str]:
        return [p["path"] for p in self.received]

    def messages(self) -> list[str]:
        return [f"{p.get('title', '')}\n{p.get('message', '')}" for p in self.received]

    def __enter__(self) -> WebhookReceiver:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def start() -> None:
            app = web.Application()
            app.router.add_post("/{path:.*}", self._handle)
            self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
            ready.set()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(start())
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the webhook receiver did not start"
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def change_ids(texts: list[str]) -> list[int]:
    """The change ids the default templates print ("change 12"), one per message or line."""
    import re

    return [int(m) for text in texts for m in re.findall(r"\bchange (\d+)\b", text)]


def as_json(texts: list[str]) -> str:
    return json.dumps(texts, indent=1, ensure_ascii=False)
