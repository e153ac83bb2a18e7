"""Adding a watch as a user asks for it, from the CLI or the API: the URL checked (an http(s)
URL, not a literal private address unless allowed), the interval parsed, the options
checked, then the row; an existing watch of that URL is returned as it is."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from db.models import Watch
from db.watches import add_watch
from monitor.addresses import check_url_address
from monitor.durations import parse_duration
from palimpsest.app import utcnow
from palimpsest.settings import Settings
from palimpsest.watch_options import watch_options


def add_requested_watch(
    session: Session,
    settings: Settings,
    url: str,
    *,
    every: str | None = None,
    tags: Sequence[str] = (),
    selector: str | None = None,
    ignore: Sequence[str] = (),
    related: bool = True,
    pin: bool = False,
    obey_robots: bool = True,
) -> tuple[Watch, bool]:
    """The watch and whether it is new; raises a UsageError (one line) on bad input."""
    check_url_address(url, settings.allow_private_networks)
    seconds = parse_duration(every).total_seconds() if every else None
    options = watch_options(selector=selector, ignore=ignore, related=related)
    watch, created = add_watch(session, url, utcnow(), seconds, tags, options)
    if created:
        watch.pinned, watch.obey_robots = pin, obey_robots
    return watch, created
