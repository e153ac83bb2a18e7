"""The JSON API under ``/api/v1`` (reads here, writes in ``writes``), ``/healthz``, ``/metrics``.

Every answer is JSON (or Prometheus text for ``/metrics``); a mistake is a 4xx with
``{"error": "…"}``, one line, as on the command line. The rows are the CLI's ``--json``
rows (``palimpsest.views``), so both speak the same shapes. The OpenAPI document is at
``/api/v1/openapi.json``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import func, select

from db.models import Alert, Snapshot, Watch
from db.reading import (
    WatchFilter,
    as_view,
    change_kind_counts,
    changes,
    find_watches,
    parse_time,
    version,
    version_counts,
    versions,
)
from db.watches import MAX_ID, find_watch
from monitor.compare import KINDS
from monitor.versiondiff import compare_versions, diff_json
from palimpsest.app import App, utcnow
from palimpsest.errors import NotFound, PalimpsestError
from palimpsest.views import change_json, version_json, watch_json
from palimpsest.web.feeds import atom_feed, recent_changes
from palimpsest.web.forms import Refused, forms
from palimpsest.web.pages import pages, render_page
from palimpsest.web.signin import WrongTokens
from palimpsest.web.writes import writes

PREFIX = "/api/v1"
MAX_BODY = 64 * 1024
Limit = Annotated[int, Query(ge=1, le=1000)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Seq = Annotated[int, Path(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="Palimpsest",
        summary="Watch news articles change: watches, versions, change events, diffs.",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )

    @api.exception_handler(PalimpsestError)
    async def palimpsest_error(request: Request, exc: PalimpsestError) -> Response:
        status = getattr(exc, "status", 404 if isinstance(exc, NotFound) else 400)
        if not request.url.path.startswith((PREFIX, "/feeds/", "/metrics", "/healthz")):
            # A page asked for by a reader (an unknown watch or version): a page answers.
            heading = "Not found" if status == 404 else "Cannot show this"
            context = {"heading": heading, "message": str(exc)}
            return render_page(app, request, "error.html", context, status)
        return JSONResponse({"error": str(exc)}, status_code=status)

    @api.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse({"error": f"a request body is at most {MAX_BODY} bytes"}, 413)
        return await call_next(request)

    @api.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return render_page(app, request, "refused.html", {"message": str(exc)}, exc.status)

    wrong_tokens = WrongTokens()  # shared by the API's bearer tokens and the sign-in form
    api.include_router(writes(app, wrong_tokens))
    api.include_router(pages(app))
    api.include_router(forms(app, wrong_tokens))

    @api.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": "; ".join(problems)}, status_code=422)

    @api.get("/healthz")
    def healthz() -> dict[str, Any]:
        with app.sessions() as session:
            session.execute(select(1))
        return {"status": "ok"}

    @api.get(f"{PREFIX}/watches")
    def list_watches_(
        response: Response,
        tag: str | None = None,
        domain: Annotated[str | None, Query(description="part of the site (host)")] = None,
        status: Annotated[str | None, Query(description="ok, failing, paused or retired")] = None,
        q: Annotated[str | None, Query(description="part of the URL or headline")] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        """One page of the watches that match; ``X-Total-Count`` says how many match in all."""
        wanted = WatchFilter(tag=tag, domain=domain, status=status, search=q)
        with app.sessions() as session:
            page, total = find_watches(session, wanted, limit, offset)
            counts = version_counts(session, [w.id for w, _ in page])
            found = [watch_json(w, counts.get(w.id, 0)) for w, _ in page]
        response.headers["X-Total-Count"] = str(total)
        return found

    @api.get(f"{PREFIX}/watches/{{watch_id}}")
    def get_watch(watch_id: Id) -> dict[str, Any]:
        with app.sessions() as session:
            watch = find_watch(session, watch_id)
            return watch_json(watch, version_counts(session, [watch.id]).get(watch.id, 0))

    @api.get(f"{PREFIX}/watches/{{watch_id}}/versions")
    def list_versions(watch_id: Id) -> list[dict[str, Any]]:
        with app.sessions() as session:
            watch = find_watch(session, watch_id)
            return [version_json(v) for v in versions(session, watch.id)]

    @api.get(f"{PREFIX}/watches/{{watch_id}}/versions/{{seq}}")
    def get_version(watch_id: Id, seq: Seq) -> dict[str, Any]:
        with app.sessions() as session:
            found = version(session, find_watch(session, watch_id).id, seq)
            return version_json(found) | {"text": found.text}

    @api.get(
        f"{PREFIX}/watches/{{watch_id}}/versions/{{seq}}/html",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}}},
    )
    def get_version_html(watch_id: Id, seq: Seq) -> Response:
        from db.blobs import read_body

        with app.sessions() as session:
            found = version(session, find_watch(session, watch_id).id, seq)
            if found.blob_sha256 is None:
                raise NotFound(f"version {seq} of watch {watch_id} has no archived HTML")
            body = read_body(session, found.blob_sha256)
        # The archived page is someone else's markup: never let it run as ours.
        headers = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
        return Response(body, media_type="text/html", headers=headers)

    @api.get(f"{PREFIX}/watches/{{watch_id}}/diff")
    def get_diff(
        watch_id: Id,
        from_: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
        to: Annotated[int, Query(ge=1, le=MAX_ID)],
    ) -> dict[str, Any]:
        with app.sessions() as session:
            watch = find_watch(session, watch_id)
            old, new = version(session, watch.id, from_), version(session, watch.id, to)
            return diff_json(compare_versions(as_view(old), as_view(new)))

    @api.get(f"{PREFIX}/changes")
    def list_changes(
        watch: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        kind: str | None = None,
        since: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> list[dict[str, Any]]:
        if kind is not None and kind not in KINDS:
            raise PalimpsestError(f"unknown change kind {kind!r} (known: {', '.join(KINDS)})")
        moment = parse_time(since) if since else None
        with app.sessions() as session:
            watch_id = find_watch(session, watch).id if watch is not None else None
            found = changes(
                session, watch_id, moment, kind=kind, newest_first=True, limit=limit, offset=offset
            )
            return [change_json(*row) for row in found]

    @api.get("/feeds/changes.atom", response_class=Response)
    def changes_feed(
        request: Request,
        tag: str | None = None,
        watch: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    ) -> Response:
        """The latest change events as Atom: all, one tag's, or one watch's."""
        with app.sessions() as session:
            title = "Palimpsest: changes"
            if watch is not None:
                title = f"Palimpsest: changes of {find_watch(session, watch).url}"
            elif tag is not None:
                title = f"Palimpsest: changes tagged {tag}"
            body = atom_feed(
                session,
                recent_changes(session, tag, watch),
                title,
                str(request.url),
                app.settings.web_url,
                utcnow(),
            )
        return Response(body, media_type="application/atom+xml")

    @api.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> str:
        return prometheus_text(app)

    return api


def prometheus_text(app: App) -> str:
    """Counters and gauges in Prometheus' text format."""
    now = utcnow()
    with app.sessions() as session:
        outcomes = session.execute(
            select(Snapshot.outcome, func.count()).group_by(Snapshot.outcome)
        ).all()
        kinds = change_kind_counts(session)
        alerts = session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all()
        oldest_due = session.scalar(
            select(func.min(Watch.next_check_at)).where(
                Watch.active.is_(True), Watch.next_check_at <= now
            )
        )
        active = session.scalar(select(func.count()).where(Watch.active.is_(True)))
    lag = (now - oldest_due).total_seconds() if oldest_due else 0.0
    lines = [
        "# HELP palimpsest_checks_total Checks recorded, by outcome.",
        "# TYPE palimpsest_checks_total counter",
        *(f'palimpsest_checks_total{{outcome="{o}"}} {n}' for o, n in sorted(outcomes)),
        "# HELP palimpsest_changes_total Change events, by kind.",
        "# TYPE palimpsest_changes_total counter",
        *(f'palimpsest_changes_total{{kind="{k}"}} {n}' for k, n in sorted(kinds.items())),
        "# HELP palimpsest_alerts Alerts in the outbox, by status.",
        "# TYPE palimpsest_alerts gauge",
        *(f'palimpsest_alerts{{status="{s}"}} {n}' for s, n in sorted(alerts)),
        "# HELP palimpsest_watches_active Watches being checked.",
        "# TYPE palimpsest_watches_active gauge",
        f"palimpsest_watches_active {active}",
        "# HELP palimpsest_queue_lag_seconds How late the most overdue watch is.",
        "# TYPE palimpsest_queue_lag_seconds gauge",
        f"palimpsest_queue_lag_seconds {lag:.1f}",
    ]
    return "\n".join(lines) + "\n"
