"""Retention: checks older than KEEP_CHECKS become daily tallies; versions and bodies stay."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db.models import CheckTally, Snapshot, Version
from db.recording import record_results
from db.retention import fold_batch, fold_old_checks, foldable
from db.watches import add_watch, claim_watches
from monitor.article import Article
from monitor.check import NOT_MODIFIED, CheckResult
from monitor.schedule import Policy
from tests.test_storage import fetched

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def check(sessions, watch_id: int, at: datetime, body: bytes | None = None) -> None:
    """One recorded check of ``watch_id`` at ``at``: a new page if ``body``, else a 304."""
    with sessions.begin() as s:
        [target] = claim_watches(s, [watch_id], "w", at, LEASE)
        if body is None:
            result = CheckResult(target, at, NOT_MODIFIED, http_status=304, final_url=target.url)
        else:
            text = body.decode()
            result = fetched(target, b"<html>" + body + b"</html>", Article("T", text), at)
        record_results(s, [result], at, Policy())


def test_old_checks_become_daily_tallies_and_every_version_and_body_stays(sessions, cli):
    with sessions.begin() as s:
        watch_id = add_watch(s, "https://example.com/retained", T0)[0].id
    check(sessions, watch_id, T0, b"The first text.")
    for hour in range(1, 6):  # five 304s on the first day
        check(sessions, watch_id, T0 + timedelta(hours=hour))
    check(sessions, watch_id, T0 + timedelta(days=1), b"The second text.")
    for hour in range(1, 4):  # three on the second day
        check(sessions, watch_id, T0 + timedelta(days=1, hours=hour))
    recent = T0 + timedelta(days=40)
    check(sessions, watch_id, recent)

    with sessions() as s:
        assert foldable(s, T0 + timedelta(days=30)) == 8
    folded = fold_old_checks(sessions.begin, T0 + timedelta(days=30), limit=3)
    assert folded == 8, "the snapshots that hold a page's body are not folded"
    with sessions() as s:
        tallies = {
            (t.day, t.outcome): (t.checks, t.first_at, t.last_at)
            for t in s.scalars(select(CheckTally))
        }
        kept = s.scalars(select(Snapshot.fetched_at).order_by(Snapshot.fetched_at)).all()
        versions = s.scalars(select(Version.text).order_by(Version.seq)).all()
    first_day, second_day = date(2026, 9, 1), date(2026, 9, 2)
    assert tallies == {
        (first_day, NOT_MODIFIED): (5, T0 + timedelta(hours=1), T0 + timedelta(hours=5)),
        (second_day, NOT_MODIFIED): (
            3,
            T0 + timedelta(days=1, hours=1),
            T0 + timedelta(days=1, hours=3),
        ),
    }
    assert kept == [T0, T0 + timedelta(days=1), recent]
    assert versions == ["The first text.", "The second text."]
    assert fold_old_checks(sessions.begin, T0 + timedelta(days=30)) == 0

    # A check folded later into a day that already has a tally adds to it.
    with sessions.begin() as s:
        s.add(Snapshot(watch_id=watch_id, fetched_at=T0 + timedelta(hours=7), outcome=NOT_MODIFIED))
    assert fold_old_checks(sessions.begin, T0 + timedelta(days=30)) == 1
    with sessions() as s:
        tally = s.get(CheckTally, (watch_id, first_day, NOT_MODIFIED))
        assert (tally.checks, tally.last_at) == (6, T0 + timedelta(hours=7))

    # The command: the daemon runs the same fold every hour.
    assert cli("prune", "--dry-run").stdout.startswith("1 checks from before")
    assert "folded 1 checks" in cli("prune").stdout
    assert "error: bad duration" in cli("prune", "--older-than", "soon", ok=False).stderr


@pytest.mark.backends("postgresql")
def test_two_workers_folding_at_once_never_count_a_check_twice(sessions):
    with sessions.begin() as s:
        watch_id = add_watch(s, "https://example.com/folded-twice", T0)[0].id
        s.add_all(
            Snapshot(watch_id=watch_id, fetched_at=T0 + timedelta(minutes=m), outcome=NOT_MODIFIED)
            for m in range(10)
        )
    before = T0 + timedelta(days=1)

    def fold_meanwhile() -> int:
        with sessions.begin() as second:  # skips the rows the first holds, then waits for
            return fold_batch(second, before, limit=100)  # its tally row to add to it

    with ThreadPoolExecutor(1) as pool, sessions.begin() as first:
        taken = fold_batch(first, before, limit=6)
        meanwhile = pool.submit(fold_meanwhile)
        time.sleep(0.5)
    assert (taken, meanwhile.result(30)) == (6, 4)
    with sessions() as s:
        assert s.scalar(select(func.sum(CheckTally.checks))) == 10
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 0
