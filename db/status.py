"""The service's health for ``palimpsest status``, and the daemons' heartbeat.

Each daemon writes a ``worker`` row when it starts and touches it at every tick, so status
can say which daemons are alive (ticked lately) and when the last tick was.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Alert, Domain, Snapshot, Watch, Worker

RECENT = timedelta(hours=1)


def heartbeat(session: Session, worker_id: str, now: datetime, stopped: bool = False) -> None:
    worker = session.get(Worker, worker_id)
    if worker is None:
        worker = Worker(id=worker_id, started_at=now, last_tick_at=now)
        session.add(worker)
    worker.last_tick_at = now
    worker.stopped_at = now if stopped else None


def service_status(session: Session, now: datetime, alive_within: timedelta) -> dict[str, Any]:
    """Workers, the queue of due watches, the last hour's checks, failing domains, alerts."""
    active = Watch.active.is_(True)
    overdue_at = now - alive_within
    counts = dict(session.execute(select(Watch.active, func.count()).group_by(Watch.active)).all())
    due = session.scalar(select(func.count()).where(active, Watch.next_check_at <= now))
    overdue = session.scalar(select(func.count()).where(active, Watch.next_check_at <= overdue_at))
    oldest = session.execute(
        select(Watch.id, Watch.url, Watch.next_check_at)
        .where(active, Watch.next_check_at <= overdue_at)
        .order_by(Watch.next_check_at)
        .limit(1)
    ).first()
    since = now - RECENT
    outcomes = dict(
        session.execute(
            select(Snapshot.outcome, func.count())
            .where(Snapshot.fetched_at >= since)
            .group_by(Snapshot.outcome)
        ).all()
    )
    errors = session.execute(
        select(Watch.domain, func.count(), func.max(Snapshot.error))
        .join(Watch, Watch.id == Snapshot.watch_id)
        .where(Snapshot.fetched_at >= since, Snapshot.outcome.in_(("error", "blocked")))
        .group_by(Watch.domain)
        .order_by(func.count().desc())
        .limit(20)
    ).all()
    backing_off = session.execute(
        select(Domain.name, Domain.next_allowed_at, Domain.failures_in_a_row, Domain.last_error)
        .where(Domain.next_allowed_at > now, Domain.failures_in_a_row > 0)
        .order_by(Domain.next_allowed_at.desc())
        .limit(20)
    ).all()
    workers = list(session.scalars(select(Worker).order_by(Worker.last_tick_at.desc()).limit(20)))
    alerts = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
    return {
        "now": now.isoformat(),
        "workers": [
            {
                "id": w.id,
                "started_at": w.started_at.isoformat(),
                "last_tick_at": w.last_tick_at.isoformat(),
                "alive": w.stopped_at is None and now - w.last_tick_at <= alive_within,
            }
            for w in workers
        ],
        "last_tick_at": workers[0].last_tick_at.isoformat() if workers else None,
        "watches": {
            "active": counts.get(True, 0),
            "retired_or_paused": counts.get(False, 0),
            "due": due,
            "overdue": overdue,
        },
        "oldest_overdue": (
            {
                "id": oldest.id,
                "url": oldest.url,
                "due_at": oldest.next_check_at.isoformat(),
                "late_seconds": round((now - oldest.next_check_at).total_seconds()),
            }
            if oldest
            else None
        ),
        "checks_last_hour": {"total": sum(outcomes.values()), **dict(sorted(outcomes.items()))},
        "errors_by_domain": [
            {"domain": domain or "?", "errors": n, "example": example}
            for domain, n, example in errors
        ],
        "domains_backing_off": [
            {
                "domain": name,
                "until": until.isoformat(),
                "failures_in_a_row": failures,
                "last_error": error,
            }
            for name, until, failures, error in backing_off
        ],
        "alerts": {s: alerts.get(s, 0) for s in ("pending", "sent", "failed")},
    }
