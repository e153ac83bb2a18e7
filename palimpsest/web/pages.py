"""The web UI's reading pages, server-rendered with Jinja2 (autoescaped): the watches, a
story (with its paywall state over time), a diff between any two versions (a permalink per
pair), the latest changes. The forms that change things are in ``forms``.

No build step, no script, no external asset; the diff page is the HTML diff renderer's.
Every page has the same frame (``base.html``): a skip link, a header with the navigation,
one ``main``, and the one-line message left by the last form, if any.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from db.models import Version, Watch
from db.reading import (
    STATUS_WHERE,
    WatchFilter,
    as_view,
    changes,
    find_watches,
    last_changes,
    version,
    version_counts,
    versions,
)
from db.stories import related_watches
from db.watches import MAX_ID, find_watch
from monitor.compare import KINDS
from monitor.paywall import STATES
from monitor.versiondiff import compare_versions
from palimpsest.app import App
from palimpsest.render import RenderOptions, render
from palimpsest.views import change_json, paywall_periods, version_json, watch_json
from palimpsest.web.signin import Visitor, set_cookie

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
PAGE_SIZE = 100
CHANGES_SHOWN = 200
FLASH_COOKIE = "palimpsest_flash"
NAV = (("/", "Watches"), ("/changes", "Changes"), ("/manage", "Manage"))


def nav(*links: tuple[str, str]) -> str:
    """The skip link and top navigation for the diff page (the renderer's own HTML), with
    ``(href, label)`` links after the usual ones. The renderer puts its content in #main."""
    items = [*NAV, *links]
    return (
        '<a class="skip" href="#main">Skip to content</a><header><nav aria-label="Main">'
        + " ".join(f'<a href="{h}">{t}</a>' for h, t in items)
        + "</nav></header>"
    )


def render_page(
    app: App, request: Request, name: str, context: dict[str, Any], status: int = 200
) -> Response:
    """A page in the common frame, with who is asking and the message a form left."""
    flash = _read_flash(request)
    frame = {
        "visitor": Visitor.of(request, app.settings.api_token),
        "flash": flash,
        "nav": NAV,
        "here": request.url.path,
    }
    response = TEMPLATES.TemplateResponse(request, name, {**context, **frame}, status_code=status)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(
    request: Request, to: str, text: str | None = None, *, error: bool = False, **form: str
) -> RedirectResponse:
    """Redirect after a POST, leaving a one-line message (and, after an error, what was
    typed, to fill the form again) for the next page in a short-lived cookie."""
    response = RedirectResponse(to, status_code=303)
    if text is not None:
        value = json.dumps({"text": text, "error": error, "form": form})
        encoded = base64.urlsafe_b64encode(value.encode()).decode()
        set_cookie(response, request, FLASH_COOKIE, encoded, 60)
    return response


def _read_flash(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        flash = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(flash, dict) or not isinstance(flash.get("text"), str):
        return None
    form = flash.get("form")
    flash["form"] = form if isinstance(form, dict) else {}
    return flash


def pages(app: App) -> APIRouter:
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @router.get("/")
    def dashboard(
        request: Request,
        q: str | None = None,
        tag: str | None = None,
        domain: str | None = None,
        paywall: str | None = None,
        status: str | None = None,
        page: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
    ):
        wanted = WatchFilter(
            tag=tag or None,
            domain=domain or None,
            status=status if status in STATUS_WHERE else None,
            paywall=paywall if paywall in STATES else None,
            search=q or None,
        )
        with app.sessions() as session:
            rows, total = find_watches(session, wanted, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            shown = _dashboard_rows(session, rows)
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}

        def page_link(number: int) -> str:
            return "/?" + urlencode({**query, "page": number})

        first = (page - 1) * PAGE_SIZE + 1
        context = {
            "watches": shown,
            "q": q,
            "tag": tag,
            "domain": domain,
            "paywall": wanted.paywall,
            "status": wanted.status,
            "paywall_states": STATES,
            "statuses": tuple(STATUS_WHERE),
            "total": total,
            "first": first,
            "last": first + len(shown) - 1,
            "previous": page_link(page - 1) if page > 1 else None,
            "next": page_link(page + 1) if first + len(shown) <= total and shown else None,
        }
        return render_page(app, request, "dashboard.html", context)

    @router.get("/watches/{watch_id}")
    def story(request: Request, watch_id: int):
        with app.sessions() as session:
            watch = find_watch(session, watch_id)
            stored = [version_json(v) for v in versions(session, watch.id)]
            events = [change_json(*row) for row in changes(session, watch.id, newest_first=True)]
            latest = stored[-1] if stored else None
            context = {
                "watch": watch_json(watch, len(stored)),
                "title": (latest["title"] if latest else None) or watch.url,
                "versions": stored,
                "latest_seq": latest["seq"] if latest else None,
                "latest_text": version(session, watch.id, latest["seq"]).text if latest else "",
                "changes": events,
                "periods": paywall_periods(stored, events),
                "related": [watch_json(w, 0) for w in related_watches(session, watch.id)],
            }
        return render_page(app, request, "story.html", context)

    @router.get("/watches/{watch_id}/diff")
    def pick_diff(
        watch_id: int,
        from_: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
        to: Annotated[int, Query(ge=1, le=MAX_ID)],
    ):
        """The story page's form lands here and is sent on to the pair's permalink."""
        return RedirectResponse(f"/watches/{watch_id}/diff/{from_}/{to}", status_code=303)

    @router.get("/watches/{watch_id}/diff/{old}/{new}")
    def diff_page(watch_id: int, old: int, new: int):
        with app.sessions() as session:
            watch = find_watch(session, watch_id)
            diff = compare_versions(
                as_view(version(session, watch.id, old)), as_view(version(session, watch.id, new))
            )
        back = nav((f"/watches/{watch.id}", "The story"))
        return render("html", diff, RenderOptions(context=None, top=back))

    @router.get("/changes")
    def latest_changes(request: Request, kind: str | None = None):
        kind = kind if kind in KINDS else None
        with app.sessions() as session:
            found = changes(session, kind=kind, newest_first=True, limit=CHANGES_SHOWN)
            shown = [change_json(*row) for row in found]
        context = {"changes": shown, "kinds": KINDS, "kind": kind}
        return render_page(app, request, "changes.html", context)

    return router


def _dashboard_rows(session, rows: list[tuple[Watch, Version | None]]) -> list[dict[str, Any]]:
    """Each watch of the page with its headline and paywall state now and when it last
    changed."""
    ids = [watch.id for watch, _ in rows]
    counts = version_counts(session, ids)
    last_change = last_changes(session, ids)
    shown = []
    for watch, now in rows:
        row = watch_json(watch, counts.get(watch.id, 0))
        row["title"] = now.title if now else None
        row["paywall"] = now.paywall if now else "unknown"
        row["domain"] = watch.domain
        changed = last_change.get(watch.id)
        row["last_changed_at"] = changed.isoformat(timespec="minutes") if changed else None
        for key in ("last_checked_at", "next_check_at"):
            row[key] = row[key][:16].replace("T", " ") if row[key] else None
        shown.append(row)
    return shown
