"""Politeness per site: the rules on plain values, then claims and backoff in the database,
the way two workers sharing one database see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from db.domains import within_limits
from db.models import Domain
from db.recording import record_results
from db.watches import add_watch, claim_due, claim_watches
from monitor.check import ERROR, CheckResult
from monitor.politeness import backoff, failing_answer, per_claim, retry_after
from monitor.schedule import Policy

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def test_what_counts_as_a_site_struggling():
    assert failing_answer(None, "timed out") and failing_answer(None, "connection refused")
    assert failing_answer(429, "HTTP 429") and failing_answer(502, "HTTP 502 Bad Gateway")
    assert not failing_answer(404, "HTTP 404 Not Found") and not failing_answer(403, "HTTP 403")
    assert not failing_answer(None, "refused: 10.0.0.1 is a private address")
    assert not failing_answer(200, None)


def test_retry_after_in_seconds_or_as_a_date_and_capped():
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert retry_after("30") == 30.0
    assert retry_after("Sat, 28 Nov 2026 09:02:00 GMT", now) == 120.0
    assert retry_after("9999999") == 86400.0
    assert retry_after("tomorrow") is None and retry_after(None) is None


def test_backoff_doubles_up_to_its_cap_and_claims_are_spread():
    assert [backoff(n, 60, 600) for n in range(1, 6)] == [60, 120, 240, 480, 600]
    assert per_claim(2.0, 5.0) == 3 and per_claim(0, 5.0) is None
    rows = [(1, "a"), (2, "a"), (3, "b"), (4, "a"), (5, "b"), (6, "c")]
    assert within_limits(rows, 2) == [(1, "a"), (2, "a"), (3, "b"), (5, "b"), (6, "c")]
    assert within_limits(rows, None) == rows


def add_site(sessions, host: str, n: int) -> list[int]:
    """``n`` watches of one site, each checked every second."""
    with sessions.begin() as s:
        return [add_watch(s, f"https://{host}/story-{i}", T0, 1.0)[0].id for i in range(n)]


def test_two_workers_never_take_more_of_one_site_than_its_delay_allows(sessions):
    busy = add_site(sessions, "busy.example.com", 20)
    quiet = add_site(sessions, "quiet.example.org", 3)
    now = T0 + timedelta(seconds=1)
    with sessions.begin() as s:
        first = claim_due(s, "worker-1", now, 100, LEASE, delay=1.0, window=5.0)
    taken = {t.watch_id for t in first}
    assert len(taken & set(busy)) == 5 and taken >= set(quiet)
    with sessions.begin() as s:
        second = claim_due(s, "worker-2", now, 100, LEASE, delay=1.0, window=5.0)
    assert second == [], "the sites are booked by the first worker's claim"
    with sessions.begin() as s:
        later = claim_due(s, "worker-2", now + timedelta(seconds=5), 100, LEASE, 1.0, 5.0)
    assert len(later) == 5 and {t.watch_id for t in later} <= set(busy) - taken
    with sessions() as s:
        booked = s.get(Domain, "busy.example.com").next_allowed_at
    assert booked == now + timedelta(seconds=10)


@pytest.mark.backends("postgresql")
def test_workers_claiming_at_the_same_instant_do_not_both_take_a_share_of_one_site(sessions):
    busy = add_site(sessions, "busy.example.com", 20)
    with sessions.begin() as s:
        s.add(Domain(name="busy.example.com", failures_in_a_row=0))
    now = T0 + timedelta(seconds=1)
    with sessions.begin() as first, sessions.begin() as second:
        # The first claim (a small batch: it locks only some of the site's watch rows) has
        # not committed its booking when the second one runs, which must not wait for it.
        second.execute(text("SET LOCAL lock_timeout = '3s'"))
        taken = claim_due(first, "worker-1", now, 2, LEASE, delay=1.0, window=5.0)
        meanwhile = claim_due(second, "worker-2", now, 100, LEASE, delay=1.0, window=5.0)
    assert len(taken) == 2 and {t.watch_id for t in taken} <= set(busy)
    assert meanwhile == [], "the site's row was held by the first claim until it committed"


def failed(target, status: int | None, error: str, wait: float | None = None) -> CheckResult:
    return CheckResult(
        target=target,
        fetched_at=T0,
        outcome=ERROR,
        http_status=status,
        error=error,
        retry_after=wait,
    )


def test_a_failing_site_is_left_alone_longer_each_time_and_retry_after_is_honoured(sessions):
    [watch_id] = add_site(sessions, "down.example.com", 1)
    [other] = add_site(sessions, "up.example.com", 1)
    now = T0
    with sessions.begin() as s:
        targets = claim_watches(s, [other], "w", now, LEASE)
        [target] = [t for t in targets if t.watch_id == other]
        record_results(s, [failed(target, 429, "HTTP 429 Too Many Requests", 900)], now, Policy())
    with sessions() as s:
        site = s.get(Domain, "up.example.com")
        assert (site.next_allowed_at - now).total_seconds() == 900
        assert site.last_error == "HTTP 429 Too Many Requests"

    holds = []
    for _ in range(3):
        with sessions.begin() as s:
            [target] = [t for t in claim_due(s, "w", now, 10, LEASE) if t.watch_id == watch_id]
            record_results(
                s, [failed(target, None, "timed out")], now, Policy(), backoff=(60, 3600)
            )
        with sessions() as s:
            until = s.get(Domain, "down.example.com").next_allowed_at
        holds.append((until - now).total_seconds())
        with sessions.begin() as s:  # due again after 1 s, but its site is held back
            early = claim_due(s, "w", until - timedelta(seconds=1), 10, LEASE)
            assert watch_id not in {t.watch_id for t in early}
        now = until
    assert holds == [60, 120, 240]
