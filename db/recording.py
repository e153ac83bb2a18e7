"""Record a batch of check results: snapshots, blobs, versions, change events, schedules.

One call is one transaction: a check is either fully recorded (its snapshot, the blob it
points to, its version and change event, the alerts queued for the change, the watch's new
state and schedule) or not at all, so a process killed mid-write leaves no half-recorded
check, no orphan blob and no change without its alerts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session, lazyload

from db.alerts import queue_alerts
from db.blobs import NewBody, store_bodies
from db.domains import note_answers
from db.models import Change, Snapshot, Version, Watch
from db.stories import cross_check, link_related
from monitor.article import Article
from monitor.check import (
    BLOCKED,
    ERROR,
    NEW_VERSION,
    NOT_HTML,
    NOT_MODIFIED,
    UNCHANGED,
    CheckResult,
    extractor_key,
)
from monitor.compare import (
    KINDS,
    MOVED,
    RECENT_VERSIONS,
    REMOVED,
    RESTORED,
    Seen,
    Verdict,
    judge,
)
from monitor.schedule import Due, Policy, parse_published
from monitor.urls import domain_of

log = logging.getLogger(__name__)

ACTIVE, GONE = "active", "removed"
MISSING_STATUSES = (404, 410)


def record_results(
    session: Session,
    results: Sequence[CheckResult],
    now: datetime,
    policy: Policy,
    removed_after: int = 2,
    backoff: tuple[float, float] = (60.0, 6 * 3600.0),
    worker: str | None = None,
) -> list[CheckResult]:
    """Write ``results``; returns them with ``outcome`` settled (a new text may be a revert).

    With ``worker``, only the results of watches that ``worker`` still holds are written:
    a watch whose lease ran out and that another worker claimed since is that worker's to
    record. The rows are locked (in id order) until the write commits, so no claim can take
    them in between.
    """
    if not results:
        return []
    ids = sorted({r.target.watch_id for r in results})
    rows = {
        row.id: row
        for row in session.execute(
            _WATCH_STATE.where(Watch.id.in_(ids)).order_by(Watch.id).with_for_update(of=Watch)
        )
    }
    if worker is not None:
        lost = [i for i, row in rows.items() if row.claimed_by != worker]
        if lost:
            log.warning("%d checks not recorded: their leases passed to another worker", len(lost))
        rows = {i: row for i, row in rows.items() if row.claimed_by == worker}
    # A watch removed while it was being checked leaves no rows (and no orphan blob).
    live = [r for r in results if r.target.watch_id in rows]
    quiet, loud = _quiet_or_not(live, rows, now, policy)
    watches = _load_watches(session, {r.target.watch_id for r in loud})
    _store_blobs(session, loud, now)
    snapshots: list[dict] = []
    seen: list[dict] = []
    changes: list[Change] = []
    for result in loud:
        watch = watches[result.target.watch_id]
        before = len(changes)
        version_id = _record_one(session, watch, result, now, removed_after, seen, changes)
        snapshots.append(_snapshot_row(result, version_id))
        changed = result.outcome == NEW_VERSION or len(changes) > before
        _reschedule(watch, result, now, policy, changed)
    _record_quiet(session, quiet, rows, now, snapshots, seen)
    first, cap = backoff
    domains = {i: row.domain for i, row in rows.items()} | {i: w.domain for i, w in watches.items()}
    answers = [(domains[r.target.watch_id], r) for r in live]
    held = note_answers(session, answers, now, first, cap)
    if held:
        log.info("holding back %s", ", ".join(f"{d} until {t:%H:%M:%S}" for d, t in held.items()))
    if snapshots:
        session.execute(insert(Snapshot), snapshots)
    if seen:
        session.execute(_MARK_SEEN, seen)
    if changes:
        session.flush()
        queue_alerts(session, changes, now)
    return list(results)


# What recording needs to know of a watch before loading it whole: most checks are quiet
# (a 304, or the same article again) and are written from these columns alone.
_WATCH_STATE = select(
    Watch.id,
    Watch.url,
    Watch.claimed_by,
    Watch.state,
    Watch.missing_in_a_row,
    Watch.moved_to,
    Watch.domain,
    Watch.current_version_id,
    Watch.every_seconds,
    Watch.interval_seconds,
    Watch.published_at,
    Watch.created_at,
    Watch.last_changed_at,
    Watch.pinned,
)


def _quiet_or_not(
    results: Sequence[CheckResult], rows: dict, now: datetime, policy: Policy
) -> tuple[list[tuple[CheckResult, Due]], list[CheckResult]]:
    """Split ``results`` into the quiet ones, each with its next check, and the rest.

    A quiet check changes nothing but the watch's schedule and validators: the page
    answered 304 or the same article again, at the same address, on a watch that is neither
    removed nor retiring, and no new hint to keep. The rest are recorded on loaded watches.
    """
    once = Counter(r.target.watch_id for r in results)
    quiet, loud = [], []
    for result in results:
        row = rows[result.target.watch_id]
        due = _due(row, now, policy, changed=False)
        if (
            result.outcome in (NOT_MODIFIED, UNCHANGED)
            and result.extraction is None
            and result.article_hint is None
            and result.moved_to in (None, row.moved_to or row.url)
            and row.state == ACTIVE
            and row.missing_in_a_row == 0
            and not due.retire
            and once[row.id] == 1
        ):
            quiet.append((result, due))
        else:
            loud.append(result)
    return quiet, loud


def _load_watches(session: Session, ids: set[int]) -> dict[int, Watch]:
    if not ids:
        return {}
    found = session.scalars(
        select(Watch).where(Watch.id.in_(sorted(ids))).options(lazyload(Watch.tags))
    )
    return {watch.id: watch for watch in found}


def _record_quiet(
    session: Session,
    quiet: Sequence[tuple[CheckResult, Due]],
    rows: dict,
    now: datetime,
    snapshots: list[dict],
    seen: list[dict],
) -> None:
    """Write the quiet checks: a snapshot each, the version seen again, and the schedule,
    in one UPDATE per kind of answer (executemany), no watch loaded."""
    updates: dict[bool, list[dict]] = {False: [], True: []}
    for result, due in quiet:
        version_id = rows[result.target.watch_id].current_version_id
        snapshots.append(_snapshot_row(result, version_id))
        _seen(seen, version_id, result.fetched_at)
        values = {
            "watch_id": result.target.watch_id,
            "checked_at": now,
            "reason": due.reason,
            "interval": due.interval,
            "next_at": now + timedelta(seconds=due.delay),
        }
        fresh = result.outcome != NOT_MODIFIED  # a 200: keep its validators and hash
        if fresh:
            values |= {
                "etag": result.etag,
                "last_modified": result.last_modified,
                "body_sha256": result.body_sha256,
            }
        updates[fresh].append(values)
    for fresh, values in updates.items():
        if values:
            session.execute(_QUIET_UPDATES[fresh], values)


_WATCHES = Watch.__table__
_QUIET_VALUES = {
    "last_checked_at": bindparam("checked_at", type_=_WATCHES.c.last_checked_at.type),
    "schedule_reason": bindparam("reason"),
    "interval_seconds": bindparam("interval"),
    "next_check_at": bindparam("next_at", type_=_WATCHES.c.next_check_at.type),
    "claimed_by": None,
    "lease_until": None,
    "last_error": None,
    "failures_in_a_row": 0,
}
_QUIET_UPDATES = {
    fresh: update(_WATCHES)
    .where(_WATCHES.c.id == bindparam("watch_id"))
    .values(
        **_QUIET_VALUES,
        **(
            {
                "etag": bindparam("etag"),
                "last_modified": bindparam("last_modified"),
                "last_body_sha256": bindparam("body_sha256"),
            }
            if fresh
            else {}
        ),
    )
    for fresh in (False, True)
}


def _record_one(
    session: Session,
    watch: Watch,
    result: CheckResult,
    now: datetime,
    removed_after: int,
    seen: list[dict],
    changes: list[Change],
) -> int | None:
    """Update versions, change events and the watch for one result; the snapshot's version."""
    if result.outcome == ERROR:
        if result.http_status in MISSING_STATUSES:
            watch.missing_in_a_row += 1
            if watch.missing_in_a_row >= removed_after and watch.state != GONE:
                watch.state = GONE
                changes.append(
                    _add_change(session, watch, (REMOVED,), watch.current_version_id, None, now)
                )
        return None
    if result.outcome in (BLOCKED, NOT_HTML):
        return None
    _keep_hint(watch, result)
    kinds: list[str] = []
    if watch.state == GONE:
        kinds.append(RESTORED)
    watch.state, watch.missing_in_a_row = ACTIVE, 0
    if result.moved_to and result.moved_to != (watch.moved_to or watch.url):
        kinds.append(MOVED)
        watch.moved_to = result.moved_to
        watch.domain = domain_of(result.moved_to)
    if result.extraction is None:  # 304, or the same bytes as last time
        _seen(seen, watch.current_version_id, result.fetched_at)
        if kinds:
            change = _add_change(
                session,
                watch,
                kinds,
                watch.current_version_id,
                watch.current_version_id,
                result.fetched_at,
            )
            changes.append(change)
        return watch.current_version_id
    verdict = _judge(session, watch, result)
    result.outcome = verdict.outcome
    before = watch.current_version_id
    if verdict.outcome == NEW_VERSION:
        version = _add_version(session, watch, result)
        version_id = version.id
        watch.published_at = parse_published(version.published) or watch.published_at
        link_related(session, watch, result.extraction.related, now)
        cross_check(session, watch, version)
    else:
        version_id = verdict.same_as.version_id
        _seen(seen, version_id, result.fetched_at)
    watch.current_version_id = version_id
    kinds.extend(verdict.kinds)
    if kinds and before is not None:
        changes.append(
            _add_change(session, watch, kinds, before, version_id, result.fetched_at, verdict)
        )
    return version_id


def _keep_hint(watch: Watch, result: CheckResult) -> None:
    """Keep the fast path's hint a full extraction made (``monitor.fastpath``). A new
    version (or a revert) without one drops the old: a hint is for one version only; the
    fast path also checks the fingerprint, extractor and options it was made for."""
    if result.article_hint is not None:
        watch.article_hint = result.article_hint
    elif result.extraction is not None and watch.article_hint is not None:
        watch.article_hint = None


def _judge(session: Session, watch: Watch, result: CheckResult) -> Verdict:
    extraction = result.extraction
    recent = [
        _as_seen(v)
        for v in session.scalars(
            select(Version)
            .where(Version.watch_id == watch.id)
            .order_by(Version.seq.desc())
            .limit(RECENT_VERSIONS)
        )
    ]
    current = next((s for s in recent if s.version_id == watch.current_version_id), None)
    if current is None and watch.current_version_id is not None:
        current = _as_seen(session.get(Version, watch.current_version_id))
    others = [s for s in recent if current is None or s.version_id != current.version_id]
    return judge(
        current,
        others,
        extraction.article,
        extraction.fingerprint,
        extraction.paywall,
        extraction.extractor_key,
    )


def _add_version(session: Session, watch: Watch, result: CheckResult) -> Version:
    extraction = result.extraction
    article = extraction.article
    last_seq = session.scalar(select(func.max(Version.seq)).where(Version.watch_id == watch.id))
    version = Version(
        watch_id=watch.id,
        seq=(last_seq or 0) + 1,
        first_seen_at=result.fetched_at,
        last_seen_at=result.fetched_at,
        url=result.final_url,
        title=article.title,
        byline=article.byline,
        published=article.published,
        modified=article.modified,
        text=article.text,
        word_count=article.word_count,
        fingerprint=extraction.fingerprint,
        extractor=extraction.extractor,
        extractor_version=extraction.extractor_version,
        extractor_options=extraction.extractor_options,
        paywall=extraction.paywall,
        paywall_evidence=[asdict(s) for s in extraction.paywall_evidence],
        blob_sha256=result.body_sha256 if result.body is not None else None,
    )
    session.add(version)
    session.flush()
    return version


def _add_change(
    session: Session,
    watch: Watch,
    kinds: Sequence[str],
    from_id: int | None,
    to_id: int | None,
    at: datetime,
    verdict: Verdict | None = None,
) -> Change:
    ordered = sorted(dict.fromkeys(kinds), key=KINDS.index)
    change = Change(
        watch_id=watch.id,
        from_version_id=from_id,
        to_version_id=to_id,
        kinds=ordered,
        detected_at=at,
        words_added=verdict.words_added if verdict else 0,
        words_removed=verdict.words_removed if verdict else 0,
        significance=verdict.significance if verdict else 1.0,
    )
    session.add(change)
    return change


# Marks the versions a batch saw again, in one executemany: a statement per result made
# recording a 304 cost 0.26 ms instead of 0.11 ms.
_VERSIONS = Version.__table__
_SEEN_AT = bindparam("seen_at", type_=_VERSIONS.c.last_seen_at.type)
_MARK_SEEN = (
    update(_VERSIONS)
    .where(_VERSIONS.c.id == bindparam("version_id"), _VERSIONS.c.last_seen_at < _SEEN_AT)
    .values(last_seen_at=_SEEN_AT)
)


def _seen(seen: list[dict], version_id: int | None, at: datetime) -> None:
    if version_id is not None:
        seen.append({"version_id": version_id, "seen_at": at})


def _snapshot_row(result: CheckResult, version_id: int | None) -> dict:
    return {
        "watch_id": result.target.watch_id,
        "fetched_at": result.fetched_at,
        "outcome": result.outcome,
        "http_status": result.http_status,
        "final_url": result.final_url,
        "elapsed_ms": result.elapsed_ms,
        "content_type": result.content_type,
        "error": result.error or (f"blocked: {result.blocked}" if result.blocked else None),
        "body_sha256": result.body_sha256,
        "blob_sha256": result.body_sha256 if result.body is not None else None,
        "version_id": version_id,
    }


def _reschedule(
    watch: Watch, result: CheckResult, now: datetime, policy: Policy, changed: bool
) -> None:
    watch.last_checked_at = now
    if changed:
        watch.last_changed_at = now
    due = _due(watch, now, policy, changed)
    watch.schedule_reason = due.reason
    if due.retire:
        watch.active, watch.retired_at = False, now
    else:
        watch.interval_seconds = due.interval
        watch.next_check_at = now + timedelta(seconds=due.delay)
    watch.claimed_by = watch.lease_until = None
    if result.outcome in (ERROR, BLOCKED):
        watch.last_error = result.error or f"blocked: {result.blocked}"
        watch.failures_in_a_row += 1
        return
    watch.last_error = None
    watch.failures_in_a_row = 0
    if result.outcome != NOT_MODIFIED:
        watch.etag = result.etag
        watch.last_modified = result.last_modified
        watch.last_body_sha256 = result.body_sha256


def _due(watch, now: datetime, policy: Policy, changed: bool) -> Due:
    """When ``watch`` (a Watch, or a row of its schedule's columns) is next due."""
    born = watch.published_at if watch.published_at and watch.published_at < now else None
    return policy.next_check(
        watch.every_seconds,
        watch.interval_seconds,
        changed=changed,
        age=(now - (born or watch.created_at)).total_seconds(),
        silence=(now - (watch.last_changed_at or watch.created_at)).total_seconds(),
        pinned=watch.pinned,
    )


def _store_blobs(session: Session, results: Sequence[CheckResult], now: datetime) -> None:
    kept = [r for r in results if r.body is not None and r.body_sha256]
    if not kept:
        return
    # Each body follows its watch's current version: the base of its delta, if one pays.
    ids = {r.target.watch_id for r in kept}
    follows = dict(
        session.execute(
            select(Watch.id, Version.blob_sha256)
            .join(Version, Version.id == Watch.current_version_id)
            .where(Watch.id.in_(ids))
        ).all()
    )
    bodies = [NewBody(r.body_sha256, r.body, follows.get(r.target.watch_id)) for r in kept]
    store_bodies(session, bodies, now)


def _as_seen(version: Version) -> Seen:
    return Seen(
        version_id=version.id,
        seq=version.seq,
        fingerprint=version.fingerprint,
        article=as_article(version),
        paywall=version.paywall,
        extractor=extractor_key(
            version.extractor, version.extractor_version, version.extractor_options
        ),
    )


def as_article(version: Version) -> Article:
    return Article(
        title=version.title,
        text=version.text,
        byline=version.byline,
        published=version.published,
        modified=version.modified,
        url=version.url,
    )
