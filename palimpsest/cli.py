"""The ``palimpsest`` command: parse arguments, call the storage and checking services, print.

Every command that lists things takes ``--json`` and then prints one JSON document on
stdout. A user mistake prints one ``error: …`` line on stderr and exits non-zero;
``--debug`` shows the traceback of anything unexpected.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from palimpsest.alerting.commands import alerts_parser
from palimpsest.commands import COMMANDS, command
from palimpsest.commands import console as _console
from palimpsest.commands import print_json as _print_json
from palimpsest.errors import PalimpsestError, UsageError

PAGE = 100  # rows `list` and `changes` show unless told otherwise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="palimpsest", description="Watch news articles change; keep every version."
    )
    parser.add_argument("--db", help="database URL (env PALIMPSEST_DB; default: SQLite file)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    # The global options are accepted after the command too: `palimpsest list --db URL`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser = functools.partial(sub.add_parser, parents=[common])  # type: ignore[method-assign]

    add = sub.add_parser("add", help="watch a URL")
    add.add_argument("url")
    add.add_argument("--every", help="check interval, like 45s, 15m, 2h, 1d")
    add.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    add.add_argument("--selector", help="CSS selector of the article body (default: automatic)")
    add.add_argument(
        "--ignore", action="append", default=[], metavar="REGEX", help="text to ignore (repeatable)"
    )
    add.add_argument(
        "--no-related",
        dest="related",
        action="store_false",
        help="do not watch the article's canonical, AMP, print and feed pages",
    )
    add.add_argument("--pin", action="store_true", help="never retire this watch")
    add.add_argument(
        "--ignore-robots",
        dest="obey_robots",
        action="store_false",
        help="fetch it even where robots.txt disallows (logged at every check)",
    )

    lst = sub.add_parser("list", help="list watches, a page at a time")
    lst.add_argument("--tag", help="only watches with this tag")
    lst.add_argument("--status", help="ok, failing, paused or retired")
    lst.add_argument("--search", help="part of the URL or of the headline")
    _page_options(lst)
    lst.add_argument("--json", action="store_true")

    for name, about in (
        ("pin", "never retire a watch (and bring back a retired one)"),
        ("unpin", "let a watch retire after a long silence again"),
    ):
        pin = sub.add_parser(name, help=about)
        pin.add_argument("watch", help="id or URL")

    web = sub.add_parser("web", help="serve the web UI, the JSON API (/api/v1) and feeds")
    _web_address(web)

    status = sub.add_parser("status", help="the service's health: workers, queue, errors")
    status.add_argument("--json", action="store_true")

    rm = sub.add_parser("remove", help="stop watching and forget a watch's history")
    rm.add_argument("watch", help="id or URL")

    check = sub.add_parser("check", help="check watches now")
    check.add_argument("watches", nargs="*", metavar="WATCH", help="ids or URLs")
    check.add_argument("--all", action="store_true", help="every active watch")

    sub.add_parser("migrate", help="create or upgrade the database schema, then exit")

    prune = sub.add_parser(
        "prune", help="fold old checks into daily tallies now (the daemon does it hourly)"
    )
    prune.add_argument(
        "--older-than", help="age of the checks to fold, like 30d (default: KEEP_CHECKS)"
    )
    prune.add_argument("--dry-run", action="store_true", help="only count them")

    run = sub.add_parser("run", help="run the daemon (as `python scheduler.py`)")
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes on this machine (default 1); run it on several machines "
        "against one PostgreSQL database to share the work",
    )
    run.add_argument("--web", action="store_true", help="serve the web UI too (see `web`)")
    _web_address(run)

    history = sub.add_parser("history", help="list a watch's versions")
    history.add_argument("watch", help="id or URL")
    history.add_argument("--json", action="store_true")

    changes = sub.add_parser("changes", help="list change events")
    changes.add_argument("watch", nargs="?", help="id or URL (default: all)")
    changes.add_argument("--since", help="ISO time, e.g. 2026-11-28T09:00+00:00")
    changes.add_argument("--kind", help="only events of this kind, e.g. paywall_lifted")
    _page_options(changes, what="the latest change events")
    changes.add_argument("--json", action="store_true")

    diff = sub.add_parser("diff", help="diff of two versions (default: the last two)")
    diff.add_argument("watch", help="id or URL")
    diff.add_argument(
        "versions",
        nargs="*",
        metavar="VERSION",
        help="FROM and TO: a number, -1 (latest), -2, first, latest, or an ISO time",
    )
    diff.add_argument("--change", type=int, help="the diff of this change event")
    diff.add_argument("--format", default="text", help="text (default), unified, html or json")
    diff.add_argument(
        "--context", type=int, default=1, help="paragraphs around a change; -1 for all"
    )

    alerts_parser(sub, common)

    features = sub.add_parser("features", help="change kinds, diff formats, signals, settings")
    features.add_argument("--json", action="store_true")

    show = sub.add_parser("show", help="print one version's text and fields")
    show.add_argument("watch", help="id or URL")
    show.add_argument("version", nargs="?", default="latest", help="as for diff (default: latest)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--html", action="store_true", help="the raw archived HTML")
    return parser


def _page_options(parser: argparse.ArgumentParser, what: str = "watches") -> None:
    parser.add_argument(
        "--limit", type=int, default=PAGE, help=f"show {PAGE} {what} at most (default)"
    )
    parser.add_argument("--offset", type=int, default=0, help="skip this many first")


def _web_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args)
    except PalimpsestError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OperationalError as exc:
        if args.debug:
            raise
        orig = str(getattr(exc, "orig", exc)).strip().splitlines()
        print(f"error: database unavailable: {orig[0] if orig else exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    from palimpsest.app import bootstrap
    from palimpsest.logs import configure_logging
    from palimpsest.settings import Settings

    if args.command == "features":  # needs no database
        from palimpsest.features import features, features_text

        found = features()
        if args.json:
            _print_json(found)
        else:
            sys.stdout.write(features_text(found))
        return 0
    settings = Settings.load(db=args.db)
    configure_logging(settings.log_level if args.command == "run" else "WARNING")
    if args.command == "run":
        return _run(args, settings)
    app = bootstrap(settings)
    name = f"{args.command} {args.action}" if args.command == "alerts" else args.command
    try:
        return COMMANDS[name](app, args)
    finally:
        app.close()


def _run(args: argparse.Namespace, settings) -> int:
    """The daemon: one in this process, or ``--workers N`` supervised; ``--web`` serves too."""
    import asyncio

    from palimpsest.app import bootstrap
    from palimpsest.web.serving import bind, web_server

    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    sock = bind(args.host, args.port) if args.web else None
    app = bootstrap(settings)  # creates or upgrades the schema once, before any worker
    try:
        if args.workers == 1:
            from scheduler import run_daemon

            run_daemon(app, sock)
            return 0
        from palimpsest.workers import run_workers

        if app.engine.dialect.name == "sqlite":
            logging.getLogger("palimpsest.workers").warning(
                "%d workers on SQLite take turns to write (one writer at a time): safe, but "
                "for more throughput, and for workers on several machines, use PostgreSQL",
                args.workers,
            )
        web = (web_server(app, sock), sock) if sock is not None else None
        asyncio.run(run_workers(args.workers, args.db, web))
        return 0
    finally:
        app.close()


@command("add")
def add_command(app, args) -> int:
    from palimpsest.watching import add_requested_watch

    with app.sessions.begin() as session:
        watch, _created = add_requested_watch(
            session,
            app.settings,
            args.url,
            every=args.every,
            tags=args.tag,
            selector=args.selector,
            ignore=args.ignore,
            related=args.related,
            pin=args.pin,
            obey_robots=args.obey_robots,
        )
        print(watch.id)
    return 0


@command("list")
def list_command(app, args) -> int:
    from db.reading import WatchFilter, find_watches, version_counts
    from palimpsest.views import watch_json, watches_table

    limit, offset = _page(args)
    wanted = WatchFilter(tag=args.tag, status=args.status, search=args.search)
    with app.sessions() as session:
        page, total = find_watches(session, wanted, limit, offset)
        counts = version_counts(session, [w.id for w, _ in page])
        rows = [watch_json(w, counts.get(w.id, 0)) for w, _ in page]
    if args.json:
        _print_json(rows)
        return 0
    _console().print(watches_table(rows))
    _more(offset, len(rows), total, "watches")
    return 0


def _page(args: argparse.Namespace) -> tuple[int, int]:
    if args.limit < 1 or args.offset < 0:
        raise UsageError("--limit must be at least 1 and --offset at least 0")
    return args.limit, args.offset


def _more(offset: int, shown: int, total: int, what: str) -> None:
    """Say which part of a longer list was shown, and how to see the next part."""
    if not offset and shown == total:
        return
    if not shown:
        print(f"no {what} past the first {total:,}")
        return
    after = f"; next: --offset {offset + shown}" if offset + shown < total else ""
    print(f"{what} {offset + 1:,} to {offset + shown:,} of {total:,}{after}")


@command("remove")
def remove_command(app, args) -> int:
    from db.watches import remove_watch

    with app.sessions.begin() as session:
        watch = remove_watch(session, args.watch)
        print(f"removed watch {watch.id} {watch.url}")
    return 0


@command("check")
def check_command(app, args) -> int:
    from db.watches import find_watch, list_watches
    from palimpsest.checking import UNRECORDED, Checker, claim_these
    from palimpsest.progress import run_with_progress

    if not args.all and not args.watches:
        raise UsageError("say which watches to check (ids or URLs), or --all")
    with app.sessions() as session:
        if args.all:
            ids = [w.id for w in list_watches(session) if w.active]
        else:
            ids = list(dict.fromkeys(find_watch(session, ref).id for ref in args.watches))
    targets = claim_these(app, ids)
    outcomes = run_with_progress(Checker, app, targets)
    summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    print(f"checked {sum(outcomes.values())} of {len(targets)} watches: {summary or 'nothing'}")
    return 1 if outcomes[UNRECORDED] else 0


@command("history")
def history_command(app, args) -> int:
    from db.reading import version_counts, versions
    from db.stories import related_watches
    from db.watches import find_watch
    from palimpsest.views import version_json, versions_table, watch_json, watches_table

    with app.sessions() as session:
        watch = find_watch(session, args.watch)
        rows = [version_json(v) for v in versions(session, watch.id)]
        pages = related_watches(session, watch.id)
        counts = version_counts(session, [w.id for w in pages])
        related = [watch_json(w, counts.get(w.id, 0)) for w in pages]
    if args.json:
        _print_json(rows)
        return 0
    console = _console()
    console.print(versions_table(rows))
    if related:
        console.print("related pages (each a watch of its own):")
        console.print(watches_table(related))
    return 0


@command("changes")
def changes_command(app, args) -> int:
    from db.reading import changes, parse_time
    from db.watches import find_watch
    from monitor.compare import KINDS
    from palimpsest.views import change_json, changes_table

    limit, offset = _page(args)
    if args.kind is not None and args.kind not in KINDS:
        raise UsageError(f"unknown change kind {args.kind!r} (known: {', '.join(KINDS)})")
    since = parse_time(args.since) if args.since else None
    with app.sessions() as session:
        watch_id = find_watch(session, args.watch).id if args.watch else None
        # The latest first, one more than shown to know whether there are more; printed in
        # the order they happened.
        found = changes(
            session,
            watch_id,
            since,
            kind=args.kind,
            newest_first=True,
            limit=limit + 1,
            offset=offset,
        )
        rows = [change_json(*row) for row in reversed(found[:limit])]
    if args.json:
        _print_json(rows)
        return 0
    _console().print(changes_table(rows))
    if len(found) > limit:
        print(f"{len(rows)} change events shown; older ones: --offset {offset + limit}")
    return 0


@command("diff")
def diff_command(app, args) -> int:
    from db.models import Change, Version
    from db.reading import as_view, latest_versions, select_version
    from db.watches import find_watch
    from monitor.versiondiff import compare_versions
    from palimpsest.errors import NotFound
    from palimpsest.render import RenderOptions, render

    if len(args.versions) > 2:
        raise UsageError("diff takes at most two versions: FROM and TO")
    with app.sessions() as session:
        watch = find_watch(session, args.watch)
        if args.change is not None:
            change = session.get(Change, args.change)
            if change is None or change.watch_id != watch.id:
                raise NotFound(f"watch {watch.id} has no change event {args.change}")
            if change.from_version_id is None or change.to_version_id is None:
                raise UsageError(f"change {change.id} ({', '.join(change.kinds)}) has no text diff")
            old, new = (
                session.get(Version, change.from_version_id),
                session.get(Version, change.to_version_id),
            )
        elif args.versions:
            old = select_version(session, watch.id, args.versions[0])
            new = select_version(
                session, watch.id, args.versions[1] if len(args.versions) > 1 else "latest"
            )
        else:
            last_two = latest_versions(session, watch.id, 2)
            if len(last_two) < 2:
                raise UsageError(
                    f"watch {watch.id} has {len(last_two)} version(s): nothing to diff yet"
                )
            old, new = last_two
        diff = compare_versions(as_view(old), as_view(new))
    console = _console()
    context = None if args.context < 0 else args.context
    output = render(args.format, diff, RenderOptions(context=context, color=console.is_terminal))
    sys.stdout.write(output)
    return 0


@command("show")
def show_command(app, args) -> int:
    from db.blobs import read_body
    from db.reading import select_version
    from db.watches import find_watch
    from palimpsest.views import version_json

    with app.sessions() as session:
        watch = find_watch(session, args.watch)
        version = select_version(session, watch.id, args.version)
        if args.html:
            if version.blob_sha256 is None:
                raise UsageError(f"version {version.seq} has no archived HTML")
            sys.stdout.buffer.write(read_body(session, version.blob_sha256))
            return 0
        document = version_json(version) | {"text": version.text}
    if args.json:
        _print_json(document)
        return 0
    for name in (
        "seq",
        "title",
        "byline",
        "published",
        "modified",
        "url",
        "paywall",
        "word_count",
        "first_seen_at",
        "last_seen_at",
    ):
        print(f"{name}: {document[name]}")
    print()
    print(document["text"])
    return 0


@command("pin")
@command("unpin")
def pin_command(app, args) -> int:
    from db.watches import find_watch
    from palimpsest.app import utcnow

    with app.sessions.begin() as session:
        watch = find_watch(session, args.watch)
        watch.pinned = args.command == "pin"
        if watch.pinned and not watch.active and watch.retired_at is not None:
            watch.active, watch.retired_at, watch.next_check_at = True, None, utcnow()
            watch.schedule_reason = "pinned: back from retirement"
        print(f"watch {watch.id} {'pinned' if watch.pinned else 'unpinned'}")
    return 0


@command("web")
def web_command(app, args) -> int:
    import asyncio
    import signal

    from palimpsest.web.serving import bind, web_server

    sock = bind(args.host, args.port)
    server = web_server(app, sock)
    print(f"serving http://{args.host}:{args.port}/", flush=True)

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, setattr, server, "should_exit", True)
        await server.serve(sockets=[sock])

    asyncio.run(serve())
    return 0


@command("migrate")
def migrate_command(app, args) -> int:
    from db.engine import current_revision

    # bootstrap() has migrated already; this says where the schema is.
    print(f"schema at revision {current_revision(app.engine)}")
    return 0


@command("prune")
def prune_command(app, args) -> int:
    from datetime import timedelta

    from db.retention import fold_old_checks, foldable
    from monitor.durations import parse_duration
    from palimpsest.app import utcnow

    if args.older_than is not None:
        keep = parse_duration(args.older_than)
    elif app.settings.keep_checks:
        keep = timedelta(seconds=app.settings.keep_checks)
    else:
        raise UsageError("PALIMPSEST_KEEP_CHECKS=0 keeps every check; say --older-than")
    before = utcnow() - keep
    if args.dry_run:
        with app.sessions() as session:
            print(f"{foldable(session, before)} checks from before {before:%F %H:%M} to fold")
        return 0
    folded = fold_old_checks(app.sessions.begin, before)
    print(
        f"folded {folded} checks from before {before:%F %H:%M} into daily tallies "
        "(every version and every stored body kept)"
    )
    return 0


@command("status")
def status_command(app, args) -> int:
    from datetime import timedelta

    from db.status import service_status
    from palimpsest.app import utcnow
    from palimpsest.views import status_text

    alive = timedelta(seconds=max(60.0, 3 * app.settings.tick_seconds))
    with app.sessions() as session:
        report = service_status(session, utcnow(), alive)
    if args.json:
        _print_json(report)
    else:
        _console().print(status_text(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
