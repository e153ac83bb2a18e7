"""Rows as plain dicts for ``--json`` output, and the same rows as Rich tables for people."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table

from db.models import Alert, Change, Channel, Version, Watch
from monitor.durations import format_duration


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


STATUSES = ("ok", "failing", "paused", "retired")


def watch_status(watch: Watch) -> str:
    """ok, failing (its last check failed), paused or retired."""
    if not watch.active:
        return "retired" if watch.retired_at is not None else "paused"
    return "failing" if watch.failures_in_a_row else "ok"


def watch_json(watch: Watch, versions: int) -> dict[str, Any]:
    return {
        "id": watch.id,
        "url": watch.url,
        "tags": sorted(t.tag for t in watch.tags),
        "state": watch.state,
        "moved_to": watch.moved_to,
        "story_id": watch.related_to or watch.id,
        "related_to": watch.related_to,
        "relation": watch.relation,
        "options": watch.options or {},
        "every_seconds": watch.every_seconds,
        "active": watch.active,
        "status": watch_status(watch),
        "pinned": watch.pinned,
        "created_at": iso(watch.created_at),
        "next_check_at": iso(watch.next_check_at) if watch.active else None,
        "interval_seconds": watch.interval_seconds,
        "schedule": watch.schedule_reason or "first check",
        "last_changed_at": iso(watch.last_changed_at),
        "retired_at": iso(watch.retired_at),
        "last_checked_at": iso(watch.last_checked_at),
        "last_error": watch.last_error,
        "versions": versions,
    }


def version_json(version: Version) -> dict[str, Any]:
    return {
        "seq": version.seq,
        "first_seen_at": iso(version.first_seen_at),
        "last_seen_at": iso(version.last_seen_at),
        "title": version.title,
        "byline": version.byline,
        "published": version.published,
        "modified": version.modified,
        "url": version.url,
        "word_count": version.word_count,
        "paywall": version.paywall,
        "paywall_evidence": version.paywall_evidence,
        "fingerprint": version.fingerprint,
        "extractor": f"{version.extractor} {version.extractor_version}",
    }


def change_json(
    change: Change, url: str, from_seq: int | None, to_seq: int | None
) -> dict[str, Any]:
    return {
        "id": change.id,
        "watch_id": change.watch_id,
        "url": url,
        "kinds": list(change.kinds),
        "from_version": from_seq,
        "to_version": to_seq,
        "detected_at": iso(change.detected_at),
        "words_added": change.words_added,
        "words_removed": change.words_removed,
        "significance": change.significance,
    }


def paywall_periods(
    versions: list[dict[str, Any]], changes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The paywall state over time, from ``version_json`` and ``change_json`` rows: one
    period per stretch in one state, with when it began and ended (None: it still holds),
    the versions shown meanwhile, and the ``paywall_*`` event that began it, if any.
    ``share`` is the period's part of the whole time, in percent (at least 1).

    The page shows a version from its first sighting, or from the change event that made it
    current again: a flip-flop back to an earlier version is a change event without a new
    version. A ``removed`` event begins a ``removed`` stretch."""
    if not versions:
        return []
    by_seq = {v["seq"]: v for v in versions}
    # The event that made a version (versions only grow: it came from an older one, or from
    # none); any other event is a return to a version seen before.
    made = {
        c["to_version"]: c
        for c in changes
        if c["to_version"] is not None
        and (c["from_version"] is None or c["from_version"] < c["to_version"])
    }
    moments = [(v["first_seen_at"], v["seq"], made.get(v["seq"])) for v in versions]
    made_ids = {id(c) for c in made.values()}
    moments += [(c["detected_at"], c["to_version"], c) for c in changes if id(c) not in made_ids]
    periods: list[dict[str, Any]] = []
    for moment, seq, change in sorted(moments, key=lambda m: m[0]):
        state = by_seq[seq]["paywall"] if seq in by_seq else "removed"
        if periods and periods[-1]["state"] == state:
            if seq is not None and seq not in periods[-1]["seqs"]:
                periods[-1]["seqs"].append(seq)
            continue
        if periods:
            periods[-1]["until"] = moment
        kinds = [k for k in (change or {}).get("kinds", ()) if k.startswith("paywall_")]
        periods.append(
            {
                "state": state,
                "seqs": [seq] if seq is not None else [],
                "since": moment,
                "until": None,
                "event": change if kinds else None,
                "event_kinds": kinds,
            }
        )
    last_seen = max(v["last_seen_at"] or v["first_seen_at"] for v in versions)
    end = datetime.fromisoformat(max(last_seen, periods[-1]["since"]))
    whole = max((end - datetime.fromisoformat(periods[0]["since"])).total_seconds(), 1.0)
    for period in periods:
        until = datetime.fromisoformat(period["until"]) if period["until"] else end
        seconds = (until - datetime.fromisoformat(period["since"])).total_seconds()
        period["share"] = max(1, round(100 * seconds / whole))
    return periods


def _short(moment: str | None) -> str:
    return moment[:19].replace("T", " ") if moment else "—"


def watches_table(rows: list[dict[str, Any]]) -> Table:
    columns = ("id", "url", "story", "status", "versions", "last checked", "next check", "why")
    table = Table(*columns, "last error")
    table.columns[1].overflow = "fold"
    for row in rows:
        story = f"{row['relation']} of {row['related_to']}" if row["related_to"] else ""
        if row["state"] != "active":
            story = f"{story} ({row['state']})".strip()
        status = row["status"] + (" (pinned)" if row["pinned"] else "")
        table.add_row(
            str(row["id"]),
            f"{row['url']} → {row['moved_to']}" if row["moved_to"] else row["url"],
            story,
            status,
            str(row["versions"]),
            _short(row["last_checked_at"]),
            _short(row["next_check_at"]),
            row["schedule"],
            row["last_error"] or "",
        )
    return table


def versions_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("seq", "first seen", "last seen", "words", "paywall", "title")
    for row in rows:
        table.add_row(
            str(row["seq"]),
            _short(row["first_seen_at"]),
            _short(row["last_seen_at"]),
            str(row["word_count"]),
            row["paywall"],
            row["title"] or "",
        )
    return table


def changes_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        "id", "detected", "watch", "url", "kinds", "versions", "+words", "-words", "significance"
    )
    for row in rows:
        table.add_row(
            str(row["id"]),
            _short(row["detected_at"]),
            str(row["watch_id"]),
            row["url"],
            ", ".join(row["kinds"]),
            f"{row['from_version'] or '—'} → {row['to_version'] or '—'}",
            str(row["words_added"]),
            str(row["words_removed"]),
            f"{row['significance']:.2f}",
        )
    return table


def channel_json(channel: Channel, counts: dict[str, int], shown_url: str) -> dict[str, Any]:
    """A channel as ``alerts list`` shows it; ``shown_url`` is the URL with secrets masked."""
    return {
        "id": channel.id,
        "url": shown_url,
        "kinds": channel.kinds,
        "min_significance": channel.min_significance,
        "tags": channel.tags,
        "watch_id": channel.watch_id,
        "digest_seconds": channel.digest_seconds,
        "next_digest_at": iso(channel.next_digest_at),
        "template": channel.template_format if channel.template else None,
        "created_at": iso(channel.created_at),
        "alerts": {status: counts.get(status, 0) for status in ("pending", "sent", "failed")},
    }


def channels_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("id", "url", "on", "min sig.", "tags", "watch", "digest", "pending/sent/failed")
    table.columns[1].overflow = "fold"
    for row in rows:
        digest = row["digest_seconds"]
        alerts = row["alerts"]
        table.add_row(
            str(row["id"]),
            row["url"],
            ", ".join(row["kinds"]) if row["kinds"] is not None else "every kind",
            f"{row['min_significance']:g}",
            ", ".join(row["tags"]),
            str(row["watch_id"] or ""),
            format_duration(digest) if digest else "",
            f"{alerts['pending']}/{alerts['sent']}/{alerts['failed']}",
        )
    return table


def alert_json(alert: Alert, change: Change) -> dict[str, Any]:
    return {
        "id": alert.id,
        "channel_id": alert.channel_id,
        "change_id": alert.change_id,
        "watch_id": change.watch_id,
        "kinds": change.kinds,
        "status": alert.status,
        "attempts": alert.attempts,
        "created_at": iso(alert.created_at),
        "next_attempt_at": iso(alert.next_attempt_at) if alert.status == "pending" else None,
        "sent_at": iso(alert.sent_at),
        "last_error": alert.last_error,
    }


def alerts_table(rows: list[dict[str, Any]]) -> Table:
    table = Table("id", "channel", "change", "watch", "kinds", "status", "tries", "when", "error")
    for row in rows:
        when = row["sent_at"] or row["next_attempt_at"] or row["created_at"]
        table.add_row(
            str(row["id"]),
            str(row["channel_id"]),
            str(row["change_id"]),
            str(row["watch_id"]),
            ", ".join(row["kinds"]),
            row["status"],
            str(row["attempts"]),
            _short(when),
            row["last_error"] or "",
        )
    return table


def status_text(report: dict[str, Any]) -> str:
    """``palimpsest status`` for people: one line a fact."""
    alive = [w for w in report["workers"] if w["alive"]]
    watches, checks = report["watches"], report["checks_last_hour"]
    lines = [
        f"workers: {len(alive)} alive"
        + (f" ({', '.join(w['id'] for w in alive)})" if alive else "")
        + f"; last tick {_short(report['last_tick_at'])}",
        f"watches: {watches['active']} active, {watches['retired_or_paused']} retired; "
        f"{watches['due']} due now, {watches['overdue']} overdue",
    ]
    oldest = report["oldest_overdue"]
    if oldest:
        lines.append(
            f"oldest overdue: watch {oldest['id']} {oldest['url']}, "
            f"{format_duration(oldest['late_seconds'] or 1)} late"
        )
    outcomes = ", ".join(f"{n} {k}" for k, n in checks.items() if k != "total")
    total = f"checks in the last hour: {checks['total']}"
    lines.append(f"{total} ({outcomes})" if outcomes else total)
    for row in report["errors_by_domain"]:
        lines.append(f"  errors at {row['domain']}: {row['errors']} (e.g. {row['example']})")
    for row in report["domains_backing_off"]:
        lines.append(
            f"  backing off {row['domain']} until {_short(row['until'])} "
            f"after {row['failures_in_a_row']} failures ({row['last_error']})"
        )
    alerts = report["alerts"]
    lines.append(
        f"alerts: {alerts['pending']} pending, {alerts['sent']} sent, {alerts['failed']} failed"
    )
    return "\n".join(lines)
