"""What the API's writes, the browser's forms and the CLI do to watches and alert channels,
in one place: pause or resume a watch, add a channel as a user asks for it.

(Adding a watch is ``palimpsest.watching.add_requested_watch``, shared with the CLI; a test
alert is ``palimpsest.alerting.delivery.send_test_alert``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from db.alerts import add_channel
from db.models import Channel, Watch
from db.watches import find_watch
from monitor.rules import Rule, parse_digest, parse_kinds
from palimpsest.alerting.channels import plugin_for
from palimpsest.errors import InvalidChannel


def set_active(watch: Watch, active: bool, now: datetime) -> None:
    """Pause a watch, or resume it: a resumed watch (retired or paused) is due now."""
    watch.active = active
    if active:
        watch.retired_at, watch.next_check_at = None, now


def add_requested_channel(
    session: Session,
    url: str,
    now: datetime,
    *,
    kinds: Sequence[str] | None = None,
    min_significance: float = 0.0,
    tags: Sequence[str] = (),
    watch: str | int | None = None,
    digest: str | None = None,
    template: str | None = None,
    template_format: str | None = None,
) -> Channel:
    """A new channel; raises InvalidChannel (one line) for a URL Apprise does not know, an
    unknown change kind or a bad digest period, UnknownWatch for an unknown watch."""
    url = url.strip()
    plugin_for(url)
    try:
        wanted = parse_kinds(",".join(kinds)) if kinds is not None else None
    except ValueError as exc:
        raise InvalidChannel(str(exc)) from None
    if not 0.0 <= min_significance <= 1.0:
        raise InvalidChannel("the minimum significance is between 0 and 1")
    period = parse_digest(digest) if digest else None
    watch_id = find_watch(session, watch).id if watch is not None else None
    rule = Rule(wanted, min_significance, frozenset(t for t in tags if t), watch_id)
    return add_channel(session, url, now, rule, period, template, template_format)
