"""The tables: watch, watch_tag, snapshot, blob, version, change, and the alert outbox.

A *watch* is a URL checked on a schedule. Every check is a *snapshot*; the raw body it got
is a *blob* (content-addressed, zstd-compressed, stored once); each distinct article
content is a *version* (numbered 1, 2, 3… per watch); a *change* is a typed event
between two consecutive versions. An *alert channel* is an Apprise URL with a rule; each
change it matches gets an *alert* row (the outbox) in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Watch(Base):
    __tablename__ = "watch"
    __table_args__ = (
        # The claim's index: active watches in due order. Retired and paused watches keep
        # their last next_check_at, long past, so in the plain index a claim would step over
        # every one of them first (bench/scale.py, 1M watches: 169,000 rows, a 1 s claim).
        Index(
            "ix_watch_due",
            "next_check_at",
            postgresql_where=text("active"),
            sqlite_where=text("active = 1"),  # how SQLAlchemy writes `Watch.active` there
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    every_seconds: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Validators for conditional requests, and the raw hash of the last 200 body.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    last_body_sha256: Mapped[str | None] = mapped_column(String(64))
    # The lease: a worker that claimed the watch owns it until lease_until.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    failures_in_a_row: Mapped[int] = mapped_column(default=0)
    # The article's life: "active", or "removed" after REMOVED_AFTER 404/410s in a row.
    state: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    missing_in_a_row: Mapped[int] = mapped_column(default=0, server_default="0")
    # Where a permanent redirect sent the article; checks follow it from then on.
    moved_to: Mapped[str | None] = mapped_column(Text)
    # The version the page shows now (a flip-flop can make an older one current again).
    # No foreign key: watch and version would point at each other.
    current_version_id: Mapped[int | None]
    # Per-watch options: {"selector": css, "ignore": [regex, ...], "related": bool}.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    # A related page (canonical, amp, print, feed) points at the article watch it belongs to.
    related_to: Mapped[int | None] = mapped_column(
        ForeignKey("watch.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str | None] = mapped_column(String(20))

    # The schedule (monitor.schedule): the adaptive interval in use, why the next check is
    # when it is, when the article last changed, and retirement after a long silence.
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    schedule_reason: Mapped[str | None] = mapped_column(String(200))
    last_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The article's publication time (from its page), for its age; else created_at counts.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned: Mapped[bool] = mapped_column(default=False, server_default="0")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # host[:port] of the URL checked, for per-domain politeness (the ``domain`` table).
    domain: Mapped[str] = mapped_column(String(255), default="", server_default="", index=True)
    # Obey robots.txt for this watch (a per-watch override is logged at every check).
    obey_robots: Mapped[bool] = mapped_column(default=True, server_default="1")
    # Where the last full extraction found the article, and a hash of what it read there,
    # so a noisy page whose article did not change can skip full extraction (the fast path).
    article_hint: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    tags: Mapped[list[WatchTag]] = relationship(
        back_populates="watch", cascade="all, delete-orphan", lazy="selectin"
    )


class Domain(Base):
    """Politeness per host, shared by every worker: when it may be asked again, and why."""

    __tablename__ = "domain"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    # No request to this host before then: the crawl delay, Retry-After, or a backoff.
    next_allowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures_in_a_row: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Worker(Base):
    """A daemon process, for ``palimpsest status``: alive while it keeps ticking."""

    __tablename__ = "worker"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WatchTag(Base):
    __tablename__ = "watch_tag"

    watch_id: Mapped[int] = mapped_column(
        ForeignKey("watch.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)

    watch: Mapped[Watch] = relationship(back_populates="tags")


class Blob(Base):
    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    compression: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A delta: ``data`` is compressed with this other blob's body as its dictionary.
    base_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))


class Version(Base):
    __tablename__ = "version"
    __table_args__ = (UniqueConstraint("watch_id", "seq", name="uq_version_watch_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id", ondelete="CASCADE"))
    seq: Mapped[int]
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(Text)
    published: Mapped[str | None] = mapped_column(String(64))
    modified: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    word_count: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    extractor: Mapped[str] = mapped_column(String(100))
    extractor_version: Mapped[str] = mapped_column(String(50))
    extractor_options: Mapped[dict[str, Any]] = mapped_column(JSON)
    paywall: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    # [asdict(monitor.paywall.Signal), …]: why the paywall state is what it is.
    paywall_evidence: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default="[]"
    )
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))


class Snapshot(Base):
    __tablename__ = "snapshot"
    __table_args__ = (
        Index("ix_snapshot_watch_fetched", "watch_id", "fetched_at"),
        # For `palimpsest status`: the checks of the last hour, without a table scan.
        Index("ix_snapshot_fetched_at", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id", ondelete="CASCADE"))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[float | None] = mapped_column(Float)
    content_type: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    # The hash of the body as served; the body itself is kept (as a blob) only when it
    # made a new version or is no web page: same-article bodies keep just their hash.
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="SET NULL"))


class CheckTally(Base):
    """Old snapshots folded by retention: how many checks of a watch had each outcome a day.

    Retention (``db.retention``) deletes snapshots older than its horizon that hold no
    blob, after adding them here; versions and the snapshots that keep a body stay.
    """

    __tablename__ = "check_tally"

    watch_id: Mapped[int] = mapped_column(
        ForeignKey("watch.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    checks: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Change(Base):
    __tablename__ = "change"
    __table_args__ = (Index("ix_change_detected_at", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watch_id: Mapped[int] = mapped_column(ForeignKey("watch.id", ondelete="CASCADE"), index=True)
    # Either end may be missing: "removed" has no new version.
    from_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("version.id", ondelete="CASCADE")
    )
    to_version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    kinds: Mapped[list[str]] = mapped_column(JSON)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    words_added: Mapped[int] = mapped_column(default=0)
    words_removed: Mapped[int] = mapped_column(default=0)
    significance: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class Channel(Base):
    """Where alerts go (an Apprise URL) and the rule that picks the changes sent there."""

    __tablename__ = "alert_channel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The Apprise URL; it may hold a password or token, so it is shown masked.
    url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The rule (monitor.rules.Rule): None means every change kind.
    kinds: Mapped[list[str] | None] = mapped_column(JSON)
    min_significance: Mapped[float] = mapped_column(Float, default=0.0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    watch_id: Mapped[int | None] = mapped_column(
        ForeignKey("watch.id", ondelete="CASCADE"), index=True
    )
    # Digest mode: one message per period with every pending change, at next_digest_at.
    digest_seconds: Mapped[float | None] = mapped_column(Float)
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A user's Jinja2 template for the message body, and its format (text, markdown, html).
    template: Mapped[str | None] = mapped_column(Text)
    template_format: Mapped[str | None] = mapped_column(String(16))


class Alert(Base):
    """The outbox: one row per (change, channel), written with the change, until delivered.

    A row is due when ``status`` is pending and ``next_attempt_at`` has passed. Claiming it
    pushes ``next_attempt_at`` one lease ahead, so a worker killed while sending leaves a row
    that comes due again when the lease ends.
    """

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("change_id", "channel_id", name="uq_alert_change_channel"),
        Index("ix_alert_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("change.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("alert_channel.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # pending, then sent, or failed after ALERT_MAX_ATTEMPTS.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class AlertAttempt(Base):
    """One try at sending an alert (a digest is one try for each alert it carries)."""

    __tablename__ = "alert_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[float] = mapped_column(Float)
    # How many alerts the message carried (1, or the size of a digest).
    message_size: Mapped[int] = mapped_column(default=1)
