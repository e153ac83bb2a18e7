"""Record a batch of check results: snapshots, blobs, versions, change events, schedules.

One call is one transaction: a check is either fully recorded (its snapshot, the blob it
points to, its version and change event, the watch's new schedule) or not at all, so a
process killed mid-write leaves no half-recorded check and no orphan blob.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.blobs import pack
from db.models import Blob, Change, Snapshot, Version, Watch
from monitor.article import Article
from monitor.check import ERROR, NEW_VERSION, NOT_MODIFIED, UNCHANGED, CheckResult
from monitor.compare import classify
from monitor.worddiff import diff_stats, word_diff


def record_results(
    session: Session, results: Sequence[CheckResult], now: datetime, default_every: float
) -> list[CheckResult]:
    """Write ``results``; returns them with ``outcome`` settled (a new text may be unchanged)."""
    if not results:
        return []
    ids = [r.target.watch_id for r in results]
    watches = {
        row.id: row
        for row in session.execute(
            select(Watch.id, Watch.every_seconds, Watch.failures_in_a_row).where(Watch.id.in_(ids))
        )
    }
    _store_blobs(session, results, now)
    snapshots, watch_rows, seen_version_ids = [], [], []
    for result in results:
        watch = watches.get(result.target.watch_id)
        if watch is None:  # removed while it was being checked
            continue
        version_id = None
        if result.extraction is not None:
            version_id = _record_article(session, result)
        elif result.outcome in (UNCHANGED, NOT_MODIFIED):
            version_id = result.target.latest_version_id
        if version_id is not None and result.outcome != NEW_VERSION:
            seen_version_ids.append(version_id)
        snapshots.append(
            {
                "watch_id": result.target.watch_id,
                "fetched_at": result.fetched_at,
                "outcome": result.outcome,
                "http_status": result.http_status,
                "final_url": result.final_url,
                "elapsed_ms": result.elapsed_ms,
                "content_type": result.content_type,
                "error": result.error,
                "body_sha256": result.body_sha256,
                "blob_sha256": result.body_sha256 if result.body is not None else None,
                "version_id": version_id,
            }
        )
        watch_rows.append(_watch_after(result, watch, now, default_every))
    if snapshots:
        session.execute(insert(Snapshot), snapshots)
    if watch_rows:
        session.execute(update(Watch), watch_rows)
    if seen_version_ids:
        session.execute(
            update(Version)
            .where(Version.id.in_(seen_version_ids))
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return list(results)


def _watch_after(result: CheckResult, watch, now: datetime, default_every: float) -> dict:
    every = watch.every_seconds or default_every
    row = {
        "id": result.target.watch_id,
        "last_checked_at": now,
        "next_check_at": now + timedelta(seconds=every),
        "claimed_by": None,
        "lease_until": None,
    }
    if result.outcome == ERROR:
        row["last_error"] = result.error
        row["failures_in_a_row"] = watch.failures_in_a_row + 1
        return row
    row["last_error"] = None
    row["failures_in_a_row"] = 0
    if result.outcome != NOT_MODIFIED:
        row["etag"] = result.etag
        row["last_modified"] = result.last_modified
        row["last_body_sha256"] = result.body_sha256
    return row


def _store_blobs(session: Session, results: Sequence[CheckResult], now: datetime) -> None:
    bodies = {r.body_sha256: r.body for r in results if r.body is not None and r.body_sha256}
    if not bodies:
        return
    rows = []
    for sha, body in bodies.items():
        compression, data = pack(body)
        rows.append(
            {
                "sha256": sha,
                "size": len(body),
                "compression": compression,
                "data": data,
                "created_at": now,
            }
        )
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(Blob)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]), rows)


def _record_article(session: Session, result: CheckResult) -> int:
    """The version this result's article belongs to: the latest one, or a new one."""
    extraction = result.extraction
    assert extraction is not None
    latest = session.scalars(
        select(Version)
        .where(Version.watch_id == result.target.watch_id)
        .order_by(Version.seq.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.fingerprint == extraction.fingerprint:
        result.outcome = UNCHANGED
        return latest.id
    article = extraction.article
    version = Version(
        watch_id=result.target.watch_id,
        seq=(latest.seq + 1) if latest else 1,
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
        blob_sha256=result.body_sha256,
    )
    session.add(version)
    session.flush()
    result.outcome = NEW_VERSION
    if latest is not None:
        kinds = classify(as_article(latest), article)
        if kinds:
            stats = diff_stats(word_diff(latest.text, article.text))
            session.add(
                Change(
                    watch_id=result.target.watch_id,
                    from_version_id=latest.id,
                    to_version_id=version.id,
                    kinds=kinds,
                    detected_at=result.fetched_at,
                    **stats,
                )
            )
    return version.id


def as_article(version: Version) -> Article:
    return Article(
        title=version.title,
        text=version.text,
        byline=version.byline,
        published=version.published,
        modified=version.modified,
        url=version.url,
    )
