"""Read the record: a watch's versions and snapshots, and the change events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Change, Snapshot, Version, Watch, WatchTag
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
    session: Session,
    watch_id: int | None = None,
    since: datetime | None = None,
    *,
    kind: str | None = None,
    newest_first: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[Change, str, int | None, int | None]]:
    """Change events, oldest first (or newest first), each with its watch's URL and the two
    version numbers; ``kind`` keeps the events that list it (one of monitor.compare.KINDS).

    A ``removed`` event has no new version; the numbers are None where an end is missing.
    """
    old, new = aliased(Version), aliased(Version)
    order = (
        (Change.detected_at.desc(), Change.id.desc())
        if newest_first
        else (
            Change.detected_at,
            Change.id,
        )
    )
    query = (
        select(Change, Watch.url, old.seq, new.seq)
        .join(Watch, Watch.id == Change.watch_id)
        .outerjoin(old, old.id == Change.from_version_id)
        .outerjoin(new, new.id == Change.to_version_id)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    if watch_id is not None:
        query = query.where(Change.watch_id == watch_id)
    if since is not None:
        query = query.where(Change.detected_at >= since)
    if kind is not None:
        # kinds is a JSON list of plain names: '["paywall_lifted", "text_changed"]'.
        query = query.where(cast(Change.kinds, Text).contains(f'"{kind}"', autoescape=True))
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


# A watch's status in SQL, as ``palimpsest.views.watch_status`` tells it from a row (a test
# checks the two agree): paused and retired watches are inactive, retired ones since a date.
STATUS_WHERE: dict[str, ColumnElement[bool]] = {
    "ok": and_(Watch.active.is_(True), Watch.failures_in_a_row == 0),
    "failing": and_(Watch.active.is_(True), Watch.failures_in_a_row > 0),
    "paused": and_(Watch.active.is_(False), Watch.retired_at.is_(None)),
    "retired": and_(Watch.active.is_(False), Watch.retired_at.is_not(None)),
}


@dataclass(frozen=True)
class WatchFilter:
    """What the dashboard and ``GET /api/v1/watches`` narrow the watches to; None is any."""

    tag: str | None = None
    domain: str | None = None  # part of the site (host:port), any case
    status: str | None = None  # a key of STATUS_WHERE
    paywall: str | None = None  # the current version's state; "unknown" includes no version
    search: str | None = None  # part of the URL or of the current headline, any case


def find_watches(
    session: Session, wanted: WatchFilter, limit: int, offset: int = 0
) -> tuple[list[tuple[Watch, Version | None]], int]:
    """One page of the watches that match, oldest first, each with its current version, and
    how many match in all. The database filters and counts: a page costs the same with
    ten watches or a hundred thousand."""
    if wanted.status is not None and wanted.status not in STATUS_WHERE:
        known = ", ".join(STATUS_WHERE)
        raise UsageError(f"unknown status {wanted.status!r} (known: {known})")
    texts = (wanted.tag, wanted.domain, wanted.paywall, wanted.search)
    if any("\x00" in text for text in texts if text):
        return [], 0  # no stored text holds a NUL (and PostgreSQL refuses one in a query)
    current = aliased(Version)
    where: list[ColumnElement[bool]] = []
    if wanted.tag:
        where.append(Watch.id.in_(select(WatchTag.watch_id).where(WatchTag.tag == wanted.tag)))
    if wanted.domain:
        where.append(Watch.domain.icontains(wanted.domain.strip(), autoescape=True))
    if wanted.status:
        where.append(STATUS_WHERE[wanted.status])
    if wanted.paywall:
        state = current.paywall == wanted.paywall
        where.append(or_(state, current.id.is_(None)) if wanted.paywall == "unknown" else state)
    if wanted.search:
        needle = wanted.search.strip()
        where.append(
            or_(
                Watch.url.icontains(needle, autoescape=True),
                current.title.icontains(needle, autoescape=True),
            )
        )
    joined = select(Watch, current).outerjoin(current, current.id == Watch.current_version_id)
    total = session.scalar(
        select(func.count())
        .select_from(Watch)
        .outerjoin(current, current.id == Watch.current_version_id)
        .where(*where)
    )
    page = session.execute(joined.where(*where).order_by(Watch.id).limit(limit).offset(offset))
    return [(watch, version) for watch, version in page], total or 0


def last_changes(session: Session, watch_ids: list[int]) -> dict[int, datetime]:
    """When each of the given watches last had a change event."""
    query = (
        select(Change.watch_id, func.max(Change.detected_at))
        .where(Change.watch_id.in_(watch_ids))
        .group_by(Change.watch_id)
    )
    return dict(session.execute(query).all())


def change_kind_counts(session: Session) -> dict[str, int]:
    """How many change events list each kind. The rows are grouped by their kinds (a JSON
    list, compared as text) in the database, so only the few distinct lists come back."""
    listed = cast(Change.kinds, Text)
    counts: dict[str, int] = {}
    for kinds, n in session.execute(select(listed, func.count()).group_by(listed)):
        for kind in json.loads(kinds) if kinds else ():
            counts[kind] = counts.get(kind, 0) + n
    return counts
