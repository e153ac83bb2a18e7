"""The storage API on a real database: watches, leases, and how check results become rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from db import reading
from db.blobs import unpack
from db.models import Blob, Snapshot, Version
from db.recording import record_results
from db.watches import add_watch, claim_due, find_watch, remove_watch, renew_leases
from monitor.article import Article
from monitor.check import NEW_VERSION, NOT_MODIFIED, UNCHANGED, CheckResult, Extraction
from monitor.fingerprint import raw_hash, text_fingerprint
from monitor.schedule import Policy
from palimpsest.errors import InvalidURL, UnknownWatch

POLICY = Policy()

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def fetched(target, body: bytes, article: Article | None, at: datetime) -> CheckResult:
    extraction = None
    if article is not None:
        extraction = Extraction(
            article, text_fingerprint(article.text, article.title), "test", "1", {}
        )
    return CheckResult(
        target=target,
        fetched_at=at,
        outcome=NEW_VERSION,
        http_status=200,
        final_url=target.url,
        body=body,
        body_sha256=raw_hash(body),
        extraction=extraction,
    )


def test_adding_a_url_twice_returns_the_same_watch(sessions):
    with sessions.begin() as s:
        first, created = add_watch(s, "https://example.com/story", T0, 900, ["politics"])
        assert created
    with sessions.begin() as s:
        again, created = add_watch(s, " https://example.com/story ", T0)
        assert (again.id, created) == (first.id, False)
        assert find_watch(s, "https://example.com/story").id == first.id
        assert find_watch(s, str(first.id)).every_seconds == 900
        with pytest.raises(InvalidURL):
            add_watch(s, "javascript:alert(1)", T0)
        with pytest.raises(UnknownWatch):
            find_watch(s, "https://example.com/other")


def test_a_claimed_watch_is_not_claimed_again_until_its_lease_expires(sessions):
    with sessions.begin() as s:
        ids = [add_watch(s, f"https://example.com/{i}", T0)[0].id for i in range(3)]
    with sessions.begin() as s:
        claimed = claim_due(s, "worker-a", T0, limit=2, lease=LEASE)
    assert len(claimed) == 2
    with sessions.begin() as s:
        rest = claim_due(s, "worker-b", T0 + timedelta(seconds=1), limit=10, lease=LEASE)
    assert [t.watch_id for t in rest] == sorted(set(ids) - {t.watch_id for t in claimed})
    with sessions.begin() as s:
        assert claim_due(s, "worker-b", T0 + timedelta(minutes=5), limit=10, lease=LEASE) == []
    with sessions.begin() as s:
        again = claim_due(s, "worker-b", T0 + timedelta(minutes=11), limit=10, lease=LEASE)
    assert sorted(t.watch_id for t in again) == ids


def test_a_worker_renewing_its_leases_keeps_its_watches_however_long_the_batch(sessions):
    with sessions.begin() as s:
        watch_id = add_watch(s, "https://example.com/long-batch", T0)[0].id
    with sessions.begin() as s:
        [target] = claim_due(s, "worker-a", T0, limit=10, lease=LEASE)
    with sessions.begin() as s:
        assert renew_leases(s, [watch_id], "worker-a", T0 + timedelta(minutes=8), LEASE) == 1
        assert renew_leases(s, [watch_id], "worker-b", T0 + timedelta(minutes=8), LEASE) == 0
    with sessions.begin() as s:
        assert claim_due(s, "worker-b", T0 + timedelta(minutes=11), limit=10, lease=LEASE) == []
    with sessions.begin() as s:
        result = fetched(target, b"<html>page</html>", Article(title="T", text="Text."), T0)
        record_results(s, [result], T0 + timedelta(minutes=12), POLICY, worker="worker-a")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_results_of_a_lease_another_worker_took_over_are_not_recorded_twice(sessions):
    with sessions.begin() as s:
        add_watch(s, "https://example.com/slow-batch", T0)
    with sessions.begin() as s:
        [first] = claim_due(s, "worker-a", T0, limit=10, lease=LEASE)
    later = T0 + LEASE + timedelta(seconds=1)
    with sessions.begin() as s:  # worker-a looks dead: its lease ran out
        [second] = claim_due(s, "worker-b", later, limit=10, lease=LEASE)
    article = Article(title="T", text="Text.")
    with sessions.begin() as s:
        record_results(
            s, [fetched(first, b"<p>a</p>", article, later)], later, POLICY, worker="worker-a"
        )
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 0
    with sessions.begin() as s:
        record_results(
            s, [fetched(second, b"<p>a</p>", article, later)], later, POLICY, worker="worker-b"
        )
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_results_become_versions_change_events_and_deduplicated_blobs(sessions):
    page = b"<html>" + b"the mayor resigned on monday " * 200 + b"</html>"
    v1 = Article(title="Mayor resigns", text="The mayor resigned on Monday.")
    v2 = Article(title="Mayor resigns", text="The mayor resigned on Tuesday.")
    with sessions.begin() as s:
        a = add_watch(s, "https://example.com/a", T0, 60)[0].id
        b = add_watch(s, "https://example.com/b", T0, 60)[0].id
    with sessions.begin() as s:
        targets = {t.watch_id: t for t in claim_due(s, "w", T0, 10, LEASE)}
    with sessions.begin() as s:
        record_results(
            s, [fetched(targets[a], page, v1, T0), fetched(targets[b], page, v1, T0)], T0, POLICY
        )
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 1, "one blob for one body"
        blob = s.get(Blob, raw_hash(page))
        assert blob.compression == "zstd" and len(blob.data) < len(page) / 4
        assert unpack(blob.compression, blob.data) == page
        assert [v.seq for v in reading.versions(s, a)] == [1]
        watch = find_watch(s, str(a))
        assert watch.next_check_at == T0 + timedelta(seconds=60)
        assert watch.lease_until is None and watch.last_body_sha256 == raw_hash(page)

    t1 = T0 + timedelta(minutes=1)
    with sessions.begin() as s:
        target = claim_due(s, "w", t1, 10, LEASE)[0]
    assert target.latest_fingerprint == text_fingerprint(v1.text, v1.title)
    not_modified = CheckResult(target=target, fetched_at=t1, outcome=NOT_MODIFIED, http_status=304)
    with sessions.begin() as s:
        record_results(s, [not_modified], t1, POLICY)

    t2 = T0 + timedelta(minutes=2)
    with sessions.begin() as s:
        target = claim_due(s, "w", t2, 10, LEASE)[0]
        same_article = fetched(target, page + b"<!-- ad 42 -->", v1, t2)
        edited = fetched(target, page + b"<!-- edit -->", v2, t2 + timedelta(seconds=1))
        recorded = record_results(s, [same_article, edited], t2, POLICY)
    assert [r.outcome for r in recorded] == [UNCHANGED, NEW_VERSION]

    with sessions() as s:
        versions = reading.versions(s, a)
        assert [v.seq for v in versions] == [1, 2]
        assert versions[0].last_seen_at == t2
        assert [(c.kinds, old, new) for c, _url, old, new in reading.changes(s, a)] == [
            (["text_changed"], 1, 2)
        ]
        outcomes = s.scalars(
            select(Snapshot.outcome).where(Snapshot.watch_id == a).order_by(Snapshot.id)
        ).all()
        assert outcomes == [NEW_VERSION, NOT_MODIFIED, UNCHANGED, NEW_VERSION]
        assert reading.changes(s, since=t2 + timedelta(seconds=2)) == []


def test_removing_a_watch_removes_its_history(sessions):
    page = b"<html>story</html>"
    with sessions.begin() as s:
        watch_id = add_watch(s, "https://example.com/gone", T0)[0].id
    with sessions.begin() as s:
        target = claim_due(s, "w", T0, 10, LEASE)[0]
        record_results(s, [fetched(target, page, Article("T", "text"), T0)], T0, POLICY)
    with sessions.begin() as s:
        remove_watch(s, str(watch_id))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Version)) == 0
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 0
        with pytest.raises(UnknownWatch):
            find_watch(s, str(watch_id))


def test_a_watch_removed_while_checked_leaves_no_rows_and_no_blob(sessions):
    with sessions.begin() as s:
        watch_id = add_watch(s, "https://example.com/short-lived", T0)[0].id
    with sessions.begin() as s:
        target = claim_due(s, "w", T0, 10, LEASE)[0]
    with sessions.begin() as s:
        remove_watch(s, str(watch_id))
    with sessions.begin() as s:
        late = fetched(target, b"<html>late</html>", Article("T", "x"), T0)
        record_results(s, [late], T0, POLICY)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 0
        assert s.scalar(select(func.count()).select_from(Snapshot)) == 0
