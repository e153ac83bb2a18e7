"""Retention: old snapshots folded into daily tallies, so unchanged checks stop piling up.

Every check writes a snapshot row; a watch checked every 10 minutes makes 52,000 a year,
nearly all of them "unchanged" or "not modified". After ``KEEP_CHECKS`` (30 days by
default) a snapshot is folded into ``check_tally`` (one row per watch, day and outcome:
how many checks, the first and the last) and deleted. Never folded: versions (each keeps
when it was first and last seen) and snapshots that hold a stored body (a blob).

Folding goes in batches, each its own transaction. On PostgreSQL the batch's rows are
locked with ``SKIP LOCKED``, so several workers folding at once never count a check twice;
SQLite's one writer at a time does the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import CheckTally, Snapshot

BATCH = 5000


def foldable(session: Session, before: datetime) -> int:
    """How many snapshots older than ``before`` would be folded (``prune --dry-run``)."""
    return session.scalar(
        select(func.count())
        .select_from(Snapshot)
        .where(Snapshot.fetched_at < before, Snapshot.blob_sha256.is_(None))
    )


def fold_batch(session: Session, before: datetime, limit: int = BATCH) -> int:
    """Fold up to ``limit`` snapshots older than ``before`` into ``check_tally``; how many."""
    rows = session.execute(
        select(Snapshot.id, Snapshot.watch_id, Snapshot.fetched_at, Snapshot.outcome)
        .where(Snapshot.fetched_at < before, Snapshot.blob_sha256.is_(None))
        .order_by(Snapshot.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        return 0
    tallies: dict[tuple, list] = {}
    for _, watch_id, at, outcome in rows:
        key = (watch_id, at.date(), outcome)
        tally = tallies.setdefault(key, [0, at, at])
        tally[0] += 1
        tally[1], tally[2] = min(tally[1], at), max(tally[2], at)
    _add_tallies(session, tallies)
    session.execute(
        delete(Snapshot)
        .where(Snapshot.id.in_([row.id for row in rows]))
        .execution_options(synchronize_session=False)
    )
    return len(rows)


def fold_old_checks(
    begin: Callable[[], Any],
    before: datetime,
    limit: int = BATCH,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Fold every snapshot older than ``before``, a batch per transaction (``begin()``),
    until none is left or ``stop()``; how many were folded."""
    total = 0
    while not stop():
        with begin() as session:
            folded = fold_batch(session, before, limit)
        total += folded
        if folded < limit:
            break
    return total


def _add_tallies(session: Session, tallies: dict[tuple, list]) -> None:
    """Add the counts to the tally rows, creating them as needed (one upsert per batch)."""
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(CheckTally)
    values = [
        {
            "watch_id": watch_id,
            "day": day,
            "outcome": outcome,
            "checks": n,
            "first_at": first,
            "last_at": last,
        }
        for (watch_id, day, outcome), (n, first, last) in sorted(tallies.items())
    ]
    least = func.least if dialect == "postgresql" else func.min
    greatest = func.greatest if dialect == "postgresql" else func.max
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["watch_id", "day", "outcome"],
            set_={
                "checks": CheckTally.checks + stmt.excluded.checks,
                "first_at": least(CheckTally.first_at, stmt.excluded.first_at),
                "last_at": greatest(CheckTally.last_at, stmt.excluded.last_at),
            },
        ),
        values,
    )
