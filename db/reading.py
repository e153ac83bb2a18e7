"""Read the record: a watch's versions and snapshots, and the change events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from db.models import Change, Snapshot, Version, Watch
from monitor.versiondiff import VersionView
from palimpsest.errors import UnknownVersion, UsageError


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


def select_version(session: Session, watch_id: int, spec: str) -> Version:
    """The version named by ``spec``: a number (3), an offset from the end (-1 is the latest,
    -2 the one before), ``first``, ``latest``, or an ISO time (the version current then)."""
    text = spec.strip().lower()
    if text in ("first", "latest"):
        order = Version.seq.asc() if text == "first" else Version.seq.desc()
        found = session.scalar(
            select(Version).where(Version.watch_id == watch_id).order_by(order).limit(1)
        )
    elif text.lstrip("-").isdigit():
        number = int(text)
        if number > 0:
            return version(session, watch_id, number)
        if number == 0:
            raise UsageError("versions are numbered from 1; use -1 for the latest")
        found = session.scalar(
            select(Version)
            .where(Version.watch_id == watch_id)
            .order_by(Version.seq.desc())
            .offset(-number - 1)
            .limit(1)
        )
    else:
        try:
            moment = parse_time(spec)
        except UsageError:
            raise UsageError(
                f"bad version {spec!r}: use a number, -1 (the latest), first, latest "
                "or an ISO time like 2026-11-28T09:00+00:00"
            ) from None
        found = session.scalar(
            select(Version)
            .where(Version.watch_id == watch_id, Version.first_seen_at <= moment)
            .order_by(Version.first_seen_at.desc(), Version.seq.desc())
            .limit(1)
        )
    if found is None:
        raise UnknownVersion(f"watch {watch_id} has no version {spec!r}")
    return found


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad time {text!r}: use ISO 8601, like 2026-11-28T09:00+00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_view(version: Version) -> VersionView:
    return VersionView(
        seq=version.seq,
        seen_at=version.first_seen_at,
        text=version.text,
        title=version.title,
        byline=version.byline,
        published=version.published,
        modified=version.modified,
        paywall=version.paywall,
        word_count=version.word_count,
        url=version.url,
    )


def version_counts(session: Session, watch_ids: list[int] | None = None) -> dict[int, int]:
    """How many versions each watch has (all watches, or those given)."""
    query = select(Version.watch_id, func.count()).group_by(Version.watch_id)
    if watch_ids is not None:
        query = query.where(Version.watch_id.in_(watch_ids))
    return dict(session.execute(query).all())
