"""The write side of the JSON API: watches (add, change, pause, remove, check now) and alert
channels. Every route here needs ``Authorization: Bearer <PALIMPSEST_API_TOKEN>``; with no
token set, writes are refused."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from pydantic import BaseModel, Field

from db.alerts import alert_counts, find_channel, list_channels, remove_channel
from db.reading import version_counts
from db.watches import MAX_ID, find_watch, remove_watch
from monitor.durations import parse_duration
from palimpsest.alerting.channels import masked
from palimpsest.alerting.delivery import send_test_alert
from palimpsest.app import App, utcnow
from palimpsest.errors import PalimpsestError
from palimpsest.views import channel_json, watch_json
from palimpsest.watching import add_requested_watch
from palimpsest.web.managing import add_requested_channel, set_active
from palimpsest.web.signin import WrongTokens, client_address

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class Unauthorized(PalimpsestError):
    """A write without the right bearer token (401), or with writes disabled (403)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NewWatch(BaseModel):
    url: str = Field(max_length=2000)
    every: str | None = Field(None, description="like 15m; default: the adaptive schedule")
    tags: list[str] = Field(default_factory=list, max_length=50)
    selector: str | None = None
    ignore: list[str] = Field(default_factory=list, max_length=50)
    related: bool = True
    pin: bool = False


class WatchChange(BaseModel):
    active: bool | None = Field(None, description="false pauses the watch, true resumes it")
    pinned: bool | None = None
    every: str | None = Field(None, description="a fixed interval, or 'adaptive'")


class NewChannel(BaseModel):
    url: str = Field(max_length=2000, description="an Apprise URL")
    on: list[str] | None = Field(None, description="change kinds; default: every kind")
    min_significance: float = Field(0.0, ge=0.0, le=1.0)
    tags: list[str] = Field(default_factory=list, max_length=50)
    watch: int | None = Field(None, ge=1, le=MAX_ID)
    digest: str | None = Field(None, description="hourly, daily, weekly or a duration")


def writes(app: App, wrong_tokens: WrongTokens) -> APIRouter:
    def authorized(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        token = app.settings.api_token
        if not token:
            raise Unauthorized("writes are off: set PALIMPSEST_API_TOKEN to allow them", 403)
        address = client_address(request)
        if refusal := wrong_tokens.refusal(address):
            raise Unauthorized(refusal, 429)
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            wrong_tokens.failed(address)
            raise Unauthorized("a write needs Authorization: Bearer <PALIMPSEST_API_TOKEN>", 401)

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorized)])

    def shown(watch) -> dict[str, Any]:
        with app.sessions() as session:
            return watch_json(watch, version_counts(session, [watch.id]).get(watch.id, 0))

    @router.post("/watches", status_code=201)
    def create_watch(body: NewWatch, response: Response) -> dict[str, Any]:
        with app.sessions.begin() as session:
            watch, created = add_requested_watch(
                session,
                app.settings,
                body.url,
                every=body.every,
                tags=body.tags,
                selector=body.selector,
                ignore=body.ignore,
                related=body.related,
                pin=body.pin,
            )
        if not created:
            response.status_code = 200
        return shown(watch)

    @router.patch("/watches/{watch_id}")
    def change_watch(watch_id: Id, body: WatchChange) -> dict[str, Any]:
        with app.sessions.begin() as session:
            watch = find_watch(session, watch_id)
            if body.active is not None:
                set_active(watch, body.active, utcnow())
            if body.pinned is not None:
                watch.pinned = body.pinned
            if body.every is not None:
                adaptive = body.every == "adaptive"
                watch.every_seconds = (
                    None if adaptive else parse_duration(body.every).total_seconds()
                )
        return shown(watch)

    @router.delete("/watches/{watch_id}", status_code=204)
    def delete_watch(watch_id: Id) -> None:
        with app.sessions.begin() as session:
            remove_watch(session, watch_id)

    @router.post("/watches/{watch_id}/check", status_code=202)
    def check_now(watch_id: Id) -> dict[str, Any]:
        """Make the watch due now: the daemon checks it at its next tick."""
        with app.sessions.begin() as session:
            watch = find_watch(session, watch_id)
            watch.next_check_at = utcnow()
        return shown(watch)

    @router.get("/channels")
    def get_channels() -> list[dict[str, Any]]:
        with app.sessions() as session:
            counts = alert_counts(session)
            return [
                channel_json(c, counts.get(c.id, {}), masked(c.url)) for c in list_channels(session)
            ]

    @router.post("/channels", status_code=201)
    def create_channel(body: NewChannel) -> dict[str, Any]:
        with app.sessions.begin() as session:
            channel = add_requested_channel(
                session,
                body.url,
                utcnow(),
                kinds=body.on,
                min_significance=body.min_significance,
                tags=body.tags,
                watch=body.watch,
                digest=body.digest,
            )
            return channel_json(channel, {}, masked(channel.url))

    @router.post("/channels/{channel_id}/test")
    def test_channel(channel_id: Id) -> dict[str, Any]:
        """Send a made-up change to the channel now; nothing is queued or recorded."""
        found, url, sent = send_test_alert(app, channel_id)
        return {"id": found, "url": url, "sent": sent.ok, "error": sent.error}

    @router.delete("/channels/{channel_id}", status_code=204)
    def delete_channel(channel_id: Id) -> None:
        with app.sessions.begin() as session:
            remove_channel(session, channel_id)

    @router.get("/channels/{channel_id}")
    def get_channel(channel_id: Id) -> dict[str, Any]:
        with app.sessions() as session:
            channel = find_channel(session, channel_id)
            return channel_json(channel, {}, masked(channel.url))

    return router
