"""Watches: add, find, list, remove, and claim the due ones under a lease.

Claiming takes ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers
share one database; on SQLite the write transaction (``BEGIN IMMEDIATE``) serialises them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, aliased, lazyload

from db.domains import book, lock_open, within_limits
from db.models import Domain, Version, Watch, WatchTag
from monitor.check import FetchTarget
from monitor.politeness import per_claim
from monitor.urls import check_url, domain_of
from palimpsest.errors import UnknownWatch

# The largest id a row can have on every backend (SQLite and PostgreSQL integers).
MAX_ID = 2**31 - 1


def add_watch(
    session: Session,
    url: str,
    now: datetime,
    every_seconds: float | None = None,
    tags: Sequence[str] = (),
    options: dict[str, Any] | None = None,
    related_to: int | None = None,
    relation: str | None = None,
) -> tuple[Watch, bool]:
    """The watch for ``url`` and whether it is new; an existing watch is returned as it is."""
    url = check_url(url)
    existing = session.scalar(select(Watch).where(Watch.url == url))
    if existing is not None:
        return existing, False
    watch = Watch(
        url=url,
        created_at=now,
        every_seconds=every_seconds,
        next_check_at=now,
        active=True,
        failures_in_a_row=0,
        options=options or {},
        related_to=related_to,
        relation=relation,
        domain=domain_of(url),
        tags=[WatchTag(tag=t) for t in dict.fromkeys(tags)],
    )
    session.add(watch)
    session.flush()
    return watch, True


def find_watch(session: Session, ref: str | int) -> Watch:
    """The watch named by ``ref``: its id, or its URL."""
    text = str(ref).strip()
    watch = None
    if text.isdigit() and int(text) <= MAX_ID:
        watch = session.get(Watch, int(text))
    if watch is None:
        watch = session.scalar(select(Watch).where(Watch.url == text))
    if watch is None:
        raise UnknownWatch(f"no watch {text!r} (give its id or its URL; see `palimpsest list`)")
    return watch


def list_watches(session: Session) -> list[Watch]:
    return list(session.scalars(select(Watch).order_by(Watch.id)))


def remove_watch(session: Session, ref: str | int) -> Watch:
    watch = find_watch(session, ref)
    session.delete(watch)
    return watch


def claim_due(
    session: Session,
    worker: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    delay: float = 0.0,
    window: float = 5.0,
) -> list[FetchTarget]:
    """Lease up to ``limit`` due watches, most overdue first, to ``worker``.

    Sites held back (``domain.next_allowed_at`` in the future) are skipped; of one site, at
    most what ``delay`` lets through in ``window`` seconds is taken, and the site is booked
    for that long, so that every worker spreads its checks (``db.domains``). The sites'
    rows stay locked until the caller commits, so workers claiming at the same instant
    never both take a share of one site.
    """
    per_site = per_claim(delay, window)
    due = (
        select(Watch.id, Watch.domain)
        .outerjoin(Domain, Domain.name == Watch.domain)
        .where(
            Watch.active,
            Watch.next_check_at <= now,
            or_(Watch.lease_until.is_(None), Watch.lease_until < now),
            or_(Domain.next_allowed_at.is_(None), Domain.next_allowed_at <= now),
        )
        .order_by(Watch.next_check_at)
        .limit(limit if per_site is None else limit * 4)
        .with_for_update(skip_locked=True, of=Watch)
    )
    rows = session.execute(due).all()
    if per_site is not None:  # two workers must not both take their share of one site
        open_sites = lock_open(session, {domain for _, domain in rows}, now)
        rows = [(watch_id, domain) for watch_id, domain in rows if domain in open_sites]
    claimed = within_limits(rows, per_site)[:limit]
    book(session, claimed, now, delay)
    return _lease(session, [watch_id for watch_id, _ in claimed], worker, now, lease)


def renew_leases(
    session: Session, ids: Sequence[int], worker: str, now: datetime, lease: timedelta
) -> int:
    """Extend ``worker``'s leases on ``ids`` (those it still holds); how many it extended.

    A worker renews the leases of the watches it is checking while it checks them, so a
    lease only runs out when its worker is gone, however long a batch takes.
    """
    if not ids:
        return 0
    result = session.execute(
        update(Watch)
        .where(Watch.id.in_(list(ids)), Watch.claimed_by == worker)
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def claim_watches(
    session: Session, ids: Sequence[int], worker: str, now: datetime, lease: timedelta
) -> list[FetchTarget]:
    """Lease the given watches now, due or not (``palimpsest check``)."""
    return _lease(session, list(ids), worker, now, lease)


def _lease(
    session: Session, ids: list[int], worker: str, now: datetime, lease: timedelta
) -> list[FetchTarget]:
    if not ids:
        return []
    session.execute(
        update(Watch)
        .where(Watch.id.in_(ids))
        .values(claimed_by=worker, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    current = aliased(Version)
    rows = session.execute(
        select(Watch, current.fingerprint)
        .outerjoin(current, current.id == Watch.current_version_id)
        .where(Watch.id.in_(ids))
        .options(lazyload(Watch.tags))
    ).all()
    longest = dict(
        session.execute(
            select(Version.watch_id, func.max(Version.word_count))
            .where(Version.watch_id.in_(ids))
            .group_by(Version.watch_id)
        ).all()
    )
    related = _related_words(session, ids)
    return [
        FetchTarget(
            watch_id=watch.id,
            url=watch.moved_to or watch.url,
            etag=watch.etag,
            last_modified=watch.last_modified,
            last_body_sha256=watch.last_body_sha256,
            latest_version_id=watch.current_version_id,
            latest_fingerprint=fingerprint,
            options=dict(watch.options or {}),
            longest_words=longest.get(watch.id),
            related_words=related.get(watch.id),
            obey_robots=watch.obey_robots,
            article_hint=watch.article_hint,
        )
        for watch, fingerprint in rows
    ]


def _related_words(session: Session, ids: list[int]) -> dict[int, int]:
    """For each watch, the longest current version among the pages of its story."""
    page, other = aliased(Watch), aliased(Watch)
    current = aliased(Version)
    # A story is an article and the pages related to it; each page sees the others.
    rows = session.execute(
        select(page.id, func.max(current.word_count))
        .join(
            other,
            or_(
                other.related_to == page.id,
                other.id == page.related_to,
                (other.related_to == page.related_to) & (other.id != page.id),
            ),
        )
        .join(current, current.id == other.current_version_id)
        .where(page.id.in_(ids), or_(other.relation.is_(None), other.relation != "feed"))
        .group_by(page.id)
    ).all()
    return {watch_id: words for watch_id, words in rows if words}
