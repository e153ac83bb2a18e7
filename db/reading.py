"""Read the record: a watch's versions and snapshots, and the change events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from db.models import Change, Snapshot, Version, Watch
from palimpsest.errors import UnknownVersion


def versions(session: Session, watch_id: int) -> list[Version]:
    return list(
        session.scalars(select(Version).where(Version.watch_id == watch_id).order_by(Version.seq))
    )


def version(session: Session, watch_id: int, seq: int) -> Version:
    found = session.scalar(select(Version).where(Version.watch_id == watch_id, Version.seq == seq))
    if found is None:
        raise UnknownVersion(f"watch {watch_id} has no version {seq}")
    return found


def latest_versions(session: Session, watch_id: int, count: int) -> list[Version]:
    """The last ``count`` versions, oldest first."""
    rows = session.scalars(
        select(Version)
        .where(Version.watch_id == watch_id)
        .order_by(Version.seq.desc())
        .limit(count)
    )
    return list(reversed(list(rows)))


def snapshots(session: Session, watch_id: int) -> list[Snapshot]:
    return list(
        session.scalars(select(Snapshot).where(Snapshot.watch_id == watch_id).order_by(Snapshot.id))
    )


def changes(
    session: Session, watch_id: int | None = None, since: datetime | None = None
) -> list[tuple[Change, str, int | None, int | None]]:
    """Change events, oldest first, each with its watch's URL and the two version numbers.

    A ``removed`` event has no new version; the numbers are None where an end is missing.
    """
    old, new = aliased(Version), aliased(Version)
    query = (
        select(Change, Watch.url, old.seq, new.seq)
        .join(Watch, Watch.id == Change.watch_id)
        .outerjoin(old, old.id == Change.from_version_id)
        .outerjoin(new, new.id == Change.to_version_id)
        .order_by(Change.detected_at, Change.id)
    )
    if watch_id is not None:
        query = query.where(Change.watch_id == watch_id)
    if since is not None:
        query = query.where(Change.detected_at >= since)
    return [tuple(row) for row in session.execute(query)]
