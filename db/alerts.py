"""Alert channels and the outbox: add and list channels, queue alerts for new change events,
claim due alerts under a lease, record every attempt.

The outbox is written by ``queue_alerts`` inside the transaction that records the change, so
a change and its alerts exist together or not at all. Delivery claims one message at a time
(one alert, or every pending alert of a digest channel) with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, and pushes the alerts' ``next_attempt_at`` one lease ahead: a worker killed while
sending leaves alerts that come due again when the lease ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from db.models import Alert, AlertAttempt, Change, Channel, Watch, WatchTag
from db.watches import MAX_ID
from monitor.rules import Event, Rule, next_digest, retry_delay
from palimpsest.errors import UnknownChannel

PENDING, SENT, FAILED = "pending", "sent", "failed"


def add_channel(
    session: Session,
    url: str,
    now: datetime,
    rule: Rule,
    digest_seconds: float | None = None,
    template: str | None = None,
    template_format: str | None = None,
) -> Channel:
    channel = Channel(
        url=url,
        created_at=now,
        kinds=sorted(rule.kinds) if rule.kinds is not None else None,
        min_significance=rule.min_significance,
        tags=sorted(rule.tags),
        watch_id=rule.watch_id,
        digest_seconds=digest_seconds,
        next_digest_at=next_digest(now, digest_seconds) if digest_seconds else None,
        template=template,
        template_format=template_format,
    )
    session.add(channel)
    session.flush()
    return channel


def channel_rule(channel: Channel) -> Rule:
    return Rule(
        kinds=frozenset(channel.kinds) if channel.kinds is not None else None,
        min_significance=channel.min_significance,
        tags=frozenset(channel.tags or ()),
        watch_id=channel.watch_id,
    )


def list_channels(session: Session) -> list[Channel]:
    return list(session.scalars(select(Channel).order_by(Channel.id)))


def alert_counts(session: Session) -> dict[int, dict[str, int]]:
    """For each channel, how many of its alerts are pending, sent and failed."""
    counts: dict[int, dict[str, int]] = {}
    query = select(Alert.channel_id, Alert.status, func.count()).group_by(
        Alert.channel_id, Alert.status
    )
    for channel_id, status, n in session.execute(query):
        counts.setdefault(channel_id, {})[status] = n
    return counts


def find_channel(session: Session, ref: str | int) -> Channel:
    text = str(ref).strip()
    channel = session.get(Channel, int(text)) if text.isdigit() and int(text) <= MAX_ID else None
    if channel is None:
        raise UnknownChannel(f"no alert channel {text!r} (see `palimpsest alerts list`)")
    return channel


def remove_channel(session: Session, ref: str | int) -> Channel:
    channel = find_channel(session, ref)
    session.delete(channel)
    return channel


def queue_alerts(session: Session, changes: Sequence[Change], now: datetime) -> int:
    """Add an outbox row for each (change, channel) whose rule passes; the number added."""
    channels = list_channels(session) if changes else []
    if not channels:
        return 0
    events = _events(session, changes)
    rows = [
        {
            "change_id": change.id,
            "channel_id": channel.id,
            "created_at": now,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for change, event in zip(changes, events, strict=True)
        for channel in channels
        if channel_rule(channel).passes(event)
    ]
    if rows:
        session.execute(insert(Alert), rows)
    return len(rows)


def _events(session: Session, changes: Sequence[Change]) -> list[Event]:
    """Changes as rules see them: a related page carries the tags of its article too."""
    watch_ids = {c.watch_id for c in changes}
    story = dict(
        session.execute(select(Watch.id, Watch.related_to).where(Watch.id.in_(watch_ids))).all()
    )
    tagged = watch_ids | {s for s in story.values() if s is not None}
    tags: dict[int, set[str]] = {}
    for watch_id, tag in session.execute(
        select(WatchTag.watch_id, WatchTag.tag).where(WatchTag.watch_id.in_(tagged))
    ):
        tags.setdefault(watch_id, set()).add(tag)
    events = []
    for change in changes:
        story_id = story.get(change.watch_id)
        own = tags.get(change.watch_id, set()) | tags.get(story_id, set())
        events.append(
            Event(
                kinds=tuple(change.kinds),
                significance=change.significance,
                watch_id=change.watch_id,
                story_id=story_id,
                tags=frozenset(own),
            )
        )
    return events


@dataclass(frozen=True)
class Delivery:
    """One message to send: one alert, or every pending alert of a digest channel."""

    channel_id: int
    alert_ids: tuple[int, ...]
    digest: bool


def claim_delivery(
    session: Session, worker: str, now: datetime, lease: timedelta
) -> Delivery | None:
    """Lease the next due message, oldest first; None when nothing is due."""
    due = (
        select(Alert.id, Alert.channel_id, Channel.digest_seconds)
        .join(Channel, Channel.id == Alert.channel_id)
        .where(
            Alert.status == PENDING,
            Alert.next_attempt_at <= now,
            or_(Channel.digest_seconds.is_(None), Channel.next_digest_at <= now),
        )
        .order_by(Alert.next_attempt_at, Alert.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Alert)
    )
    first = session.execute(due).first()
    if first is None:
        return None
    alert_id, channel_id, digest_seconds = first
    ids = [alert_id]
    if digest_seconds:
        ids = list(
            session.scalars(
                select(Alert.id)
                .where(
                    Alert.channel_id == channel_id,
                    Alert.status == PENDING,
                    Alert.next_attempt_at <= now,
                )
                .order_by(Alert.id)
                .with_for_update(skip_locked=True)
            )
        )
    session.execute(
        update(Alert)
        .where(Alert.id.in_(ids))
        .values(next_attempt_at=now + lease, claimed_by=worker, attempts=Alert.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return Delivery(channel_id, tuple(ids), digest=bool(digest_seconds))


@dataclass(frozen=True)
class RetryPolicy:
    first_seconds: float
    cap_seconds: float
    max_attempts: int


def record_attempt(
    session: Session,
    delivery: Delivery,
    now: datetime,
    ok: bool,
    error: str | None,
    elapsed_ms: float,
    policy: RetryPolicy,
) -> str:
    """Record one try at ``delivery`` and settle its alerts; returns their new status."""
    alerts = list(session.scalars(select(Alert).where(Alert.id.in_(delivery.alert_ids))))
    session.execute(
        insert(AlertAttempt),
        [
            {
                "alert_id": a.id,
                "at": now,
                "ok": ok,
                "error": error,
                "elapsed_ms": elapsed_ms,
                "message_size": len(alerts),
            }
            for a in alerts
        ],
    )
    status = PENDING
    for alert in alerts:
        alert.claimed_by = None
        if ok:
            alert.status, alert.sent_at, alert.last_error = SENT, now, None
        else:
            alert.last_error = error
            if alert.attempts >= policy.max_attempts:
                alert.status = FAILED
            else:
                delay = retry_delay(alert.attempts, policy.first_seconds, policy.cap_seconds)
                alert.next_attempt_at = now + timedelta(seconds=delay)
        status = alert.status
    channel = session.get(Channel, delivery.channel_id)
    if ok and delivery.digest and channel is not None and channel.digest_seconds:
        channel.next_digest_at = next_digest(now, channel.digest_seconds)
    return status


def outbox(
    session: Session, channel_id: int | None = None, limit: int = 100
) -> list[tuple[Alert, Change]]:
    """The latest alerts, newest first, with their change events."""
    query = select(Alert, Change).join(Change, Change.id == Alert.change_id)
    if channel_id is not None:
        query = query.where(Alert.channel_id == channel_id)
    return list(session.execute(query.order_by(Alert.id.desc()).limit(limit)).all())
