"""Watches: add, find, list, remove, and claim the due ones under a lease.

Claiming takes ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of workers
share one database; on SQLite the write transaction (``BEGIN IMMEDIATE``) serialises them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from db.models import Version, Watch, WatchTag
from monitor.check import FetchTarget
from monitor.urls import check_url
from palimpsest.errors import UnknownWatch


def add_watch(
    session: Session,
    url: str,
    now: datetime,
    every_seconds: float | None = None,
    tags: Sequence[str] = (),
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
        tags=[WatchTag(tag=t) for t in dict.fromkeys(tags)],
    )
    session.add(watch)
    session.flush()
    return watch, True


def find_watch(session: Session, ref: str | int) -> Watch:
    """The watch named by ``ref``: its id, or its URL."""
    text = str(ref).strip()
    watch = None
    if text.isdigit():
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
    session: Session, worker: str, now: datetime, limit: int, lease: timedelta
) -> list[FetchTarget]:
    """Lease up to ``limit`` due watches, most overdue first, to ``worker``."""
    due = (
        select(Watch.id)
        .where(
            Watch.active,
            Watch.next_check_at <= now,
            or_(Watch.lease_until.is_(None), Watch.lease_until < now),
        )
        .order_by(Watch.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(due))
    return _lease(session, ids, worker, now, lease)


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
    latest_seq = (
        select(Version.watch_id, func.max(Version.seq).label("seq"))
        .where(Version.watch_id.in_(ids))
        .group_by(Version.watch_id)
        .subquery()
    )
    latest = select(Version.watch_id, Version.id, Version.fingerprint).join(
        latest_seq,
        (Version.watch_id == latest_seq.c.watch_id) & (Version.seq == latest_seq.c.seq),
    )
    latest_by_watch = {row.watch_id: row for row in session.execute(latest)}
    rows = session.execute(
        select(Watch.id, Watch.url, Watch.etag, Watch.last_modified, Watch.last_body_sha256).where(
            Watch.id.in_(ids)
        )
    )
    targets = []
    for row in rows:
        version = latest_by_watch.get(row.id)
        targets.append(
            FetchTarget(
                watch_id=row.id,
                url=row.url,
                etag=row.etag,
                last_modified=row.last_modified,
                last_body_sha256=row.last_body_sha256,
                latest_version_id=version.id if version else None,
                latest_fingerprint=version.fingerprint if version else None,
            )
        )
    return targets
