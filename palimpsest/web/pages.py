"""The web UI's pages, server-rendered with Jinja2 (autoescaped): the watches, a story, a
diff between any two versions (a permalink per pair), the latest changes.

No build step, no script, no external asset; the diff page is the HTML diff renderer's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from db.models import Change, Version
from db.reading import as_view, changes, version, version_counts, versions
from db.stories import related_watches
from db.watches import MAX_ID, find_watch, list_watches
from monitor.compare import KINDS
from monitor.paywall import STATES
from monitor.versiondiff import compare_versions
from palimpsest.app import App
from palimpsest.render import RenderOptions, render
from palimpsest.views import change_json, version_json, watch_json

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))


def nav(*links: tuple[str, str]) -> str:
    """The pages' top navigation, with ``(href, label)`` links after the usual two."""
    items = [("/", "Watches"), ("/changes", "Changes"), *links]
    return '<nav class="top">' + " ".join(f'<a href="{h}">{t}</a>' for h, t in items) + "</nav>"


def pages(app: App) -> APIRouter:
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

    @router.get("/")
    def dashboard(
        request: Request,
        q: str | None = None,
        tag: str | None = None,
        domain: str | None = None,
        paywall: str | None = None,
    ):
        with app.sessions() as session:
            rows = _dashboard_rows(session)
        needle = (q or "").lower()
        shown = [
            r
            for r in rows
            if (not needle or needle in r["url"].lower() or needle in (r["title"] or "").lower())
            and (not tag or tag in r["tags"])
            and (not domain or domain in r["domain"])
            and (not paywall or r["paywall"] == paywall)
        ]
        context = {
            "watches": shown,
            "q": q,
            "tag": tag,
            "domain": domain,
            "paywall": paywall,
            "paywall_states": STATES,
        }
        return TEMPLATES.TemplateResponse(request, "dashboard.html", context)

    @router.get("/watches/{watch_id}")
    def story(request: Request, watch_id: int):
        with app.sessions() as session:
            watch = find_watch(session, watch_id)
            stored = versions(session, watch.id)
            context = {
                "watch": watch_json(watch, len(stored)),
                "title": (stored[-1].title if stored else None) or watch.url,
                "versions": [version_json(v) for v in stored],
                "latest": stored[-1] if stored else None,
                "changes": [change_json(*row) for row in reversed(changes(session, watch.id))],
                "related": [watch_json(w, 0) for w in related_watches(session, watch.id)],
            }
        return TEMPLATES.TemplateResponse(request, "story.html", context)

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
        with app.sessions() as session:
            rows = [change_json(*row) for row in reversed(changes(session))]
        shown = [r for r in rows if not kind or kind in r["kinds"]][:200]
        context = {"changes": shown, "kinds": KINDS, "kind": kind}
        return TEMPLATES.TemplateResponse(request, "changes.html", context)

    return router


def _dashboard_rows(session) -> list[dict[str, Any]]:
    """Each watch with its headline and paywall state now and when it last changed."""
    watches = list_watches(session)
    counts = version_counts(session, [w.id for w in watches])
    current = {
        v.id: v
        for v in session.scalars(
            select(Version).where(
                Version.id.in_([w.current_version_id for w in watches if w.current_version_id])
            )
        )
    }
    latest = select(Change.watch_id, func.max(Change.detected_at)).group_by(Change.watch_id)
    last_change = dict(session.execute(latest).all())
    rows = []
    for watch in watches:
        row = watch_json(watch, counts.get(watch.id, 0))
        now = current.get(watch.current_version_id)
        row["title"] = now.title if now else None
        row["paywall"] = now.paywall if now else "unknown"
        row["domain"] = watch.domain
        changed = last_change.get(watch.id)
        row["last_changed_at"] = changed.isoformat(timespec="minutes") if changed else None
        for key in ("last_checked_at", "next_check_at"):
            row[key] = row[key][:16].replace("T", " ") if row[key] else None
        rows.append(row)
    return rows
