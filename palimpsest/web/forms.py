"""The web UI's forms that change things: sign in and out, add / pause / resume / remove a
watch, add / remove / test an alert channel.

Plain POST forms with redirect-after-post and no script. A POST needs the session cookie
and the form's CSRF token (``signin``); without either it is refused with 403 and changes
nothing. A user's mistake (an invalid URL, a channel scheme Apprise does not know) comes
back as one line on the page the form was on. The logic is the API's and the CLI's
(``palimpsest.watching``, ``palimpsest.web.managing``, ``db.alerts``), not a copy.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Allowed`` dependency
# defined inside ``forms``, which a string annotation would hide from it.
import hmac
import secrets
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response

from db.alerts import alert_counts, list_channels, remove_channel
from db.watches import MAX_ID, find_watch, remove_watch
from monitor.compare import KINDS
from palimpsest.alerting.channels import masked
from palimpsest.alerting.delivery import send_test_alert
from palimpsest.app import App, utcnow
from palimpsest.errors import PalimpsestError
from palimpsest.views import channel_json
from palimpsest.watching import add_requested_watch
from palimpsest.web.managing import add_requested_channel, set_active
from palimpsest.web.pages import redirect, render_page
from palimpsest.web.signin import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGNIN_COOKIE,
    Visitor,
    WrongTokens,
    client_address,
    local_path,
    new_session,
    set_cookie,
)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
HOW_TO_ENABLE = (
    "Writes are disabled: set PALIMPSEST_API_TOKEN to a long random secret in the "
    "environment of palimpsest web (or run) and restart it, then sign in with that token."
)


class Refused(Exception):
    """A POST without a session or with a wrong CSRF token: 403 (or ``status``), and
    nothing done."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


class Form:
    """An ``application/x-www-form-urlencoded`` body (python-multipart is not needed for it)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self._pairs if k == name), default).strip()

    def getlist(self, name: str) -> list[str]:
        return [v.strip() for k, v in self._pairs if k == name and v.strip()]


async def form_body(request: Request) -> Form:
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind != "application/x-www-form-urlencoded":
        raise Refused("a form must be sent as application/x-www-form-urlencoded")
    text = (await request.body()).decode("utf-8", "replace")
    return Form(parse_qsl(text, keep_blank_values=True, max_num_fields=200))


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def forms(app: App, wrong_tokens: WrongTokens) -> APIRouter:
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    def visitor(request: Request) -> Visitor:
        return Visitor.of(request, app.settings.api_token)

    def allowed(request: Request, form: Annotated[Form, Depends(form_body)]) -> Form:
        """The form, if its sender is signed in and it carries the session's CSRF token."""
        who = visitor(request)
        if not who.writes_enabled:
            raise Refused(HOW_TO_ENABLE)
        if not who.signed_in:
            raise Refused("refused: sign in first (at /signin) to change anything")
        if not who.may_post(form.get("csrf")):
            raise Refused("refused: this form's CSRF token is missing or wrong; reload the page")
        return form

    Allowed = Annotated[Form, Depends(allowed)]

    @router.get("/signin")
    def signin_page(request: Request, next: str | None = None):
        nonce = secrets.token_urlsafe(16)
        context = {"nonce": nonce, "next": local_path(next), "how_to_enable": HOW_TO_ENABLE}
        response = render_page(app, request, "signin.html", context)
        set_cookie(response, request, SIGNIN_COOKIE, nonce, 3600)
        return response

    @router.post("/signin")
    def signin(request: Request, form: Annotated[Form, Depends(form_body)]):
        token = app.settings.api_token
        if not token:
            raise Refused(HOW_TO_ENABLE)
        nonce = request.cookies.get(SIGNIN_COOKIE) or ""
        if not nonce or not hmac.compare_digest(nonce, form.get("nonce")):
            raise Refused("refused: the sign-in form's token is missing or wrong; reload it")
        address = client_address(request)
        if refusal := wrong_tokens.refusal(address):
            raise Refused(refusal, 429)
        target = local_path(form.get("next"))
        if not hmac.compare_digest(form.get("token").encode(), token.encode()):
            wrong_tokens.failed(address)
            back = "/signin?" + urlencode({"next": target})
            return redirect(request, back, "Wrong token: give PALIMPSEST_API_TOKEN.", error=True)
        response = redirect(request, target, "Signed in.")
        set_cookie(response, request, SESSION_COOKIE, new_session(token), SESSION_SECONDS)
        response.delete_cookie(SIGNIN_COOKIE, path="/")
        return response

    @router.post("/signout")
    def signout(request: Request, _form: Allowed):
        response = redirect(request, "/", "Signed out.")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/manage")
    def manage_page(request: Request):
        who = visitor(request)
        if who.writes_enabled and not who.signed_in:
            return redirect(request, "/signin?next=/manage")
        channels = []
        if who.signed_in:
            with app.sessions() as session:
                counts = alert_counts(session)
                channels = [
                    channel_json(c, counts.get(c.id, {}), masked(c.url))
                    for c in list_channels(session)
                ]
        context = {"channels": channels, "kinds": KINDS, "how_to_enable": HOW_TO_ENABLE}
        return render_page(app, request, "manage.html", context)

    @router.post("/manage/watches")
    def add_watch(request: Request, form: Allowed):
        url = form.get("url")
        try:
            with app.sessions.begin() as session:
                watch, created = add_requested_watch(
                    session,
                    app.settings,
                    url,
                    every=form.get("every") or None,
                    tags=_tags(form.get("tags")),
                    pin=form.get("pin") == "1",
                )
                watch_id = watch.id
        except PalimpsestError as exc:
            fields = {k: form.get(k) for k in ("url", "tags", "every")} | {"which": "watch"}
            return redirect(request, "/manage#add-watch", str(exc), error=True, **fields)
        said = f"Added watch {watch_id}." if created else f"Already watched, as watch {watch_id}."
        return redirect(request, f"/watches/{watch_id}", said)

    def change_watch(request: Request, watch_id: int, active: bool) -> Response:
        try:
            with app.sessions.begin() as session:
                set_active(find_watch(session, watch_id), active, utcnow())
        except PalimpsestError as exc:
            return redirect(request, "/", str(exc), error=True)
        said = "Resumed: it will be checked at the next tick." if active else "Paused."
        return redirect(request, f"/watches/{watch_id}", said)

    @router.post("/watches/{watch_id}/pause")
    def pause_watch(request: Request, watch_id: Id, _form: Allowed):
        return change_watch(request, watch_id, False)

    @router.post("/watches/{watch_id}/resume")
    def resume_watch(request: Request, watch_id: Id, _form: Allowed):
        return change_watch(request, watch_id, True)

    @router.post("/watches/{watch_id}/remove")
    def delete_watch(request: Request, watch_id: Id, form: Allowed):
        if form.get("confirm") != "1":
            said = "Not removed: tick the box to confirm."
            return redirect(request, f"/watches/{watch_id}#manage", said, error=True)
        try:
            with app.sessions.begin() as session:
                url = remove_watch(session, watch_id).url
        except PalimpsestError as exc:
            return redirect(request, "/", str(exc), error=True)
        return redirect(request, "/", f"Removed watch {watch_id} ({url}) and its history.")

    @router.post("/manage/channels")
    def add_channel(request: Request, form: Allowed):
        try:
            significance = float(form.get("min_significance") or 0)
            with app.sessions.begin() as session:
                channel = add_requested_channel(
                    session,
                    form.get("url"),
                    utcnow(),
                    kinds=form.getlist("on") or None,
                    min_significance=significance,
                    tags=_tags(form.get("tags")),
                    watch=form.get("watch") or None,
                    digest=form.get("digest") or None,
                )
                said = f"Added alert channel {channel.id} ({masked(channel.url)})."
        except (PalimpsestError, ValueError) as exc:
            message = str(exc) if isinstance(exc, PalimpsestError) else "bad minimum significance"
            fields = {k: form.get(k) for k in ("url", "tags", "watch", "digest")}
            fields["which"] = "channel"
            return redirect(request, "/manage#add-channel", message, error=True, **fields)
        return redirect(request, "/manage#channels", said)

    @router.post("/manage/channels/{channel_id}/remove")
    def delete_channel(request: Request, channel_id: Id, _form: Allowed):
        try:
            with app.sessions.begin() as session:
                channel = remove_channel(session, channel_id)
                said = f"Removed alert channel {channel.id} ({masked(channel.url)})."
        except PalimpsestError as exc:
            return redirect(request, "/manage#channels", str(exc), error=True)
        return redirect(request, "/manage#channels", said)

    @router.post("/manage/channels/{channel_id}/test")
    def test_channel(request: Request, channel_id: Id, _form: Allowed):
        try:
            found, url, sent = send_test_alert(app, channel_id)
        except PalimpsestError as exc:
            return redirect(request, "/manage#channels", str(exc), error=True)
        if not sent.ok:
            said = f"The test alert to channel {found} ({url}) failed: {sent.error}"
            return redirect(request, "/manage#channels", said, error=True)
        said = f"Sent a test alert to channel {found} ({url}) in {sent.elapsed_ms:.0f} ms."
        return redirect(request, "/manage#channels", said)

    return router
