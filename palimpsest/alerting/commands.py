"""The ``palimpsest alerts`` commands: add, list, remove, test, deliver, log.

They register in the CLI's command registry (``palimpsest.commands``) as ``"alerts ACTION"``;
``alerts_parser`` adds their arguments to the CLI's parser.
"""

from __future__ import annotations

import argparse
import functools
import sys

from palimpsest.commands import command, console, print_json


def alerts_parser(sub, common: argparse.ArgumentParser) -> None:
    alerts = sub.add_parser("alerts", help="alert channels: add, list, remove, test, deliver, log")
    actions = alerts.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser = functools.partial(actions.add_parser, parents=[common])

    add = actions.add_parser("add", help="send alerts to an Apprise URL (email, Slack, webhooks…)")
    add.add_argument("url", help="an Apprise URL, like mailto://… or json://…")
    add.add_argument("--on", metavar="KINDS", help="change kinds, comma-separated (default: all)")
    add.add_argument(
        "--min-significance",
        type=float,
        default=0.0,
        metavar="S",
        help="0 to 1: hold back text and title edits smaller than this",
    )
    add.add_argument("--tag", action="append", default=[], help="only watches with a tag (any)")
    add.add_argument("--watch", help="only this watch and its related pages (id or URL)")
    add.add_argument("--digest", help="hourly, daily, weekly or a duration: one message a period")
    add.add_argument(
        "--template", metavar="FILE", help="Jinja2 body template (.html, .md, else plain text)"
    )

    lst = actions.add_parser("list", help="list alert channels (secrets masked)")
    lst.add_argument("--json", action="store_true")
    rm = actions.add_parser("remove", help="remove a channel and its queued alerts")
    rm.add_argument("channel", help="channel id")
    test = actions.add_parser("test", help="send a sample alert to a channel now")
    test.add_argument("channel", help="channel id")
    actions.add_parser("deliver", help="send the due alerts now (the daemon does this itself)")
    log = actions.add_parser("log", help="the outbox: alerts, their status, tries and errors")
    log.add_argument("channel", nargs="?", help="channel id (default: all)")
    log.add_argument("--limit", type=int, default=50)
    log.add_argument("--json", action="store_true")


@command("alerts add")
def alerts_add_command(app, args) -> int:
    from pathlib import Path

    from palimpsest.alerting.channels import HTML, MARKDOWN, TEXT, masked
    from palimpsest.alerting.messages import compile_template
    from palimpsest.app import utcnow
    from palimpsest.errors import InvalidChannel
    from palimpsest.web.managing import add_requested_channel

    template = template_format = None
    if args.template:
        path = Path(args.template)
        try:
            template = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidChannel(f"cannot read template {path}: {exc}") from None
        suffixes = {".html": HTML, ".htm": HTML, ".md": MARKDOWN, ".markdown": MARKDOWN}
        template_format = next((suffixes[x] for x in path.suffixes if x in suffixes), TEXT)
        compile_template(template, template_format)
    with app.sessions.begin() as session:
        channel = add_requested_channel(
            session,
            args.url,
            utcnow(),
            kinds=args.on.split(",") if args.on else None,
            min_significance=args.min_significance,
            tags=args.tag,
            watch=args.watch,
            digest=args.digest,
            template=template,
            template_format=template_format,
        )
        print(f"{channel.id} {masked(channel.url)}")
    return 0


@command("alerts list")
def alerts_list_command(app, args) -> int:
    from db.alerts import alert_counts, list_channels
    from palimpsest.alerting.channels import masked
    from palimpsest.views import channel_json, channels_table

    with app.sessions() as session:
        counts = alert_counts(session)
        rows = [
            channel_json(c, counts.get(c.id, {}), masked(c.url)) for c in list_channels(session)
        ]
    if args.json:
        print_json(rows)
    else:
        console().print(channels_table(rows))
    return 0


@command("alerts remove")
def alerts_remove_command(app, args) -> int:
    from db.alerts import remove_channel
    from palimpsest.alerting.channels import masked

    with app.sessions.begin() as session:
        channel = remove_channel(session, args.channel)
        print(f"removed alert channel {channel.id} {masked(channel.url)}")
    return 0


@command("alerts test")
def alerts_test_command(app, args) -> int:
    from palimpsest.alerting.delivery import send_test_alert

    _, url, sent = send_test_alert(app, args.channel)
    if not sent.ok:
        print(f"error: channel {args.channel} ({url}): {sent.error}", file=sys.stderr)
        return 1
    print(f"sent a test alert to channel {args.channel} ({url}) in {sent.elapsed_ms:.0f} ms")
    return 0


@command("alerts deliver")
def alerts_deliver_command(app, args) -> int:
    from palimpsest.alerting.delivery import Deliverer

    outcome = Deliverer(app).deliver_due()
    summary = ", ".join(f"{n} {status}" for status, n in sorted(outcome.items()))
    print(f"alerts: {summary or 'none due'}")
    return 1 if outcome.get("failed") else 0


@command("alerts log")
def alerts_log_command(app, args) -> int:
    from db.alerts import find_channel, outbox
    from palimpsest.views import alert_json, alerts_table

    with app.sessions() as session:
        channel_id = find_channel(session, args.channel).id if args.channel else None
        rows = [alert_json(a, c) for a, c in outbox(session, channel_id, args.limit)]
    if args.json:
        print_json(rows)
    else:
        console().print(alerts_table(rows))
    return 0
