"""Per-site politeness shared by every worker: the ``domain`` table.

A claim takes only watches whose site may be asked now (``next_allowed_at`` passed), at most
``per_claim`` of one site, and books the site for as long as the download delay needs to
fetch them, so two workers never hit one site at once. Recording a batch moves a failing
site's next allowed time out by a doubling backoff, or by what its Retry-After asked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Domain
from monitor.check import CheckResult
from monitor.politeness import backoff, failing_answer


def within_limits(rows: Iterable[tuple[int, str]], limit: int | None) -> list[tuple[int, str]]:
    """``(watch id, domain)`` rows, in order, keeping at most ``limit`` of each domain."""
    taken: Counter[str] = Counter()
    kept = []
    for watch_id, domain in rows:
        if limit is None or taken[domain] < limit:
            taken[domain] += 1
            kept.append((watch_id, domain))
    return kept


def lock_open(session: Session, names: Iterable[str], now: datetime) -> set[str]:
    """Of the sites ``names``, the ones this transaction now holds and that may be asked now.

    Each site's row is locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) until the claim
    commits its booking, so a site another worker is claiming right now is left to it, and
    ``next_allowed_at`` is read as the last committed booking left it.
    """
    wanted = set(names)
    if not wanted:
        return set()
    # In one order, so two workers adding the same new sites never wait on each other.
    for name in sorted(
        wanted.difference(session.scalars(select(Domain.name).where(Domain.name.in_(wanted))))
    ):
        _insert(session, name, None)
    rows = session.execute(
        select(Domain.name, Domain.next_allowed_at)
        .where(Domain.name.in_(wanted))
        .with_for_update(skip_locked=True)
    ).all()
    return {name for name, until in rows if until is None or until <= now}


def book(session: Session, claimed: Sequence[tuple[int, str]], now: datetime, delay: float) -> None:
    """Hold each claimed site for ``delay`` per watch claimed there (never shortening a hold)."""
    if delay <= 0 or not claimed:
        return
    counts = Counter(domain for _, domain in claimed)
    existing = {
        d.name: d for d in session.scalars(select(Domain).where(Domain.name.in_(list(counts))))
    }
    for name, n in counts.items():
        until = now + timedelta(seconds=delay * n)
        domain = existing.get(name)
        if domain is None:
            _insert(session, name, until)
        elif domain.next_allowed_at is None or domain.next_allowed_at < until:
            domain.next_allowed_at = until


def _insert(session: Session, name: str, until: datetime | None) -> None:
    """Add a site's row unless another worker just did."""
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(Domain).values(
        name=name, next_allowed_at=until, failures_in_a_row=0
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))


def note_answers(
    session: Session,
    answers: Sequence[tuple[str, CheckResult]],
    now: datetime,
    first: float,
    cap: float,
) -> dict[str, datetime]:
    """Record how each site answered a batch; returns the sites now held back, and until.

    A site is failing when it asked to wait (Retry-After) or when none of its answers in the
    batch was good: one page timing out among fifty good ones is about that page.
    """
    failing: dict[str, CheckResult] = {}
    fine: set[str] = set()
    for name, result in answers:
        if result.retry_after or failing_answer(result.http_status, result.error):
            failing.setdefault(name, result)
            if result.retry_after:
                failing[name] = result
        else:
            fine.add(name)
    failing = {n: r for n, r in failing.items() if r.retry_after or n not in fine}
    names = set(failing) | fine
    if not names:
        return {}
    for name in names.difference(
        session.scalars(select(Domain.name).where(Domain.name.in_(names)))
    ):
        _insert(session, name, None)
    domains = session.scalars(select(Domain).where(Domain.name.in_(names)))
    held: dict[str, datetime] = {}
    for domain in domains:
        result = failing.get(domain.name)
        if result is None:
            domain.failures_in_a_row, domain.last_error = 0, None
            continue
        domain.failures_in_a_row += 1
        domain.last_error = result.error
        wait = max(result.retry_after or 0.0, backoff(domain.failures_in_a_row, first, cap))
        until = now + timedelta(seconds=wait)
        if domain.next_allowed_at is None or domain.next_allowed_at < until:
            domain.next_allowed_at = until
        held[domain.name] = domain.next_allowed_at
    return held
