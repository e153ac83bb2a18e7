"""Deliver the outbox: claim one due message, send it through Apprise, record the try.

Each message goes through three short steps: a transaction that claims it (its alerts'
``next_attempt_at`` moves one lease ahead), the send, and a transaction that records the try
(sent; or a retry after a doubling delay; or failed after ALERT_MAX_ATTEMPTS). A process
killed before the send leaves alerts that come due again when the lease ends, so nothing is
lost. The one way to send an alert twice is to die after the service accepted it and before
the record commits: that window is one round trip to the database, and is documented.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.alerts import (
    Delivery,
    RetryPolicy,
    claim_delivery,
    record_attempt,
)
from db.models import Alert, Change, Channel, Version, Watch
from palimpsest.alerting.channels import Sent, body_limit, masked, preferred_format, send
from palimpsest.alerting.messages import (
    Message,
    Side,
    change_fields,
    render_alert,
    render_digest,
)
from palimpsest.app import App, utcnow
from palimpsest.errors import one_line
from palimpsest.links import diff_url

log = logging.getLogger("palimpsest.alerts")

# Room left in a message for everything but the excerpt.
_FRAME_CHARS = 1000
_DIGEST_EXCERPT_CHARS = 300
# Recording a try that was sent is retried this many times before the process gives up.
_RECORD_TRIES = 5


class Deliverer:
    """Sends due alerts until none is left or ``stop()`` is called (thread-safe)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stopping = threading.Event()
        settings = app.settings
        self.policy = RetryPolicy(
            settings.alert_retry_first, settings.alert_retry_max, settings.alert_max_attempts
        )

    def stop(self) -> None:
        self.stopping.set()

    def deliver_due(self) -> Counter[str]:
        """Send every due message; how many alerts ended sent, pending (retry) or failed."""
        outcome: Counter[str] = Counter()
        while not self.stopping.is_set():
            with self.app.sessions.begin() as session:
                lease = self.app.settings.alert_lease_seconds
                delivery = claim_delivery(
                    session, self.app.worker_id, utcnow(), timedelta(seconds=lease)
                )
                if delivery is None:
                    break
                channel_url, message, problem = self._message(session, delivery)
            if problem is None:
                sent = send(
                    channel_url,
                    message.title,
                    message.body,
                    message.format,
                    timeout=self.app.settings.alert_timeout,
                )
                ok, error, elapsed = sent.ok, sent.error, sent.elapsed_ms
            else:
                ok, error, elapsed = False, problem, 0.0
            status = self._record(delivery, ok, error, elapsed)
            outcome[status] += len(delivery.alert_ids)
            what = f"{len(delivery.alert_ids)} alert(s) to channel {delivery.channel_id}"
            if ok:
                log.info("sent %s (%s) in %.0f ms", what, masked(channel_url), elapsed)
            else:
                log.warning(
                    "could not send %s (%s): %s; %s", what, masked(channel_url), error, status
                )
        return outcome

    def _record(self, delivery: Delivery, ok: bool, error: str | None, elapsed: float) -> str:
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                with self.app.sessions.begin() as session:
                    return record_attempt(
                        session, delivery, utcnow(), ok, error, elapsed, self.policy
                    )
            except OperationalError as exc:
                if attempt == _RECORD_TRIES:
                    raise
                log.warning("could not record an alert's try (%s); retrying", one_line(exc))
                time.sleep(attempt)
        raise AssertionError("unreachable")

    def _message(
        self, session: Session, delivery: Delivery
    ) -> tuple[str, Message | None, str | None]:
        """The channel's URL and the message, or why no message could be made."""
        channel = session.get(Channel, delivery.channel_id)
        try:
            body_format = channel.template_format or preferred_format(channel.url)
            limit = body_limit(channel.url)
            changes = list(
                session.scalars(
                    select(Change)
                    .join(Alert, Alert.change_id == Change.id)
                    .where(Alert.id.in_(delivery.alert_ids))
                    .order_by(Change.detected_at, Change.id)
                )
            )
            if delivery.digest:
                budget = min(_DIGEST_EXCERPT_CHARS, max(100, limit // max(1, len(changes)) // 2))
                web = self.app.settings.web_url
                fields = [load_fields(session, change, web, budget) for change in changes]
                period = _period_name(channel.digest_seconds or 0)
                return channel.url, render_digest(fields, body_format, period), None
            budget = min(self.app.settings.alert_excerpt_chars, max(200, limit - _FRAME_CHARS))
            fields = load_fields(session, changes[0], self.app.settings.web_url, budget)
            return channel.url, render_alert(fields, body_format, channel.template), None
        except Exception as exc:  # a bad template or a bug: recorded as the try's error
            log.exception("could not make the message for channel %d", channel.id)
            return channel.url, None, f"could not make the message: {one_line(exc)}"


def send_test_alert(app: App, channel_ref: str | int) -> tuple[int, str, Sent]:
    """Send a made-up change to a channel now (``alerts test``, the web UI): its id, its
    masked URL and how the send went. Nothing is queued or recorded."""
    from db.alerts import find_channel
    from palimpsest.alerting.messages import sample_fields

    with app.sessions() as session:
        channel = find_channel(session, channel_ref)
        channel_id, url, template = channel.id, channel.url, channel.template
        body_format = channel.template_format or preferred_format(url)
    message = render_alert(sample_fields(app.settings.web_url), body_format, template)
    title = f"[test] {message.title}"
    sent = send(url, title, message.body, body_format, app.settings.alert_timeout)
    return channel_id, masked(url), sent


def load_fields(
    session: Session, change: Change, web_url: str | None, budget: int
) -> dict[str, Any]:
    """The template fields of a stored change event (``messages.FIELDS``)."""
    watch = session.get(Watch, change.watch_id)
    old = _side(session.get(Version, change.from_version_id) if change.from_version_id else None)
    new = _side(session.get(Version, change.to_version_id) if change.to_version_id else None)
    link = None
    if web_url and old and new and old.seq != new.seq:
        link = diff_url(web_url, watch.id, old.seq, new.seq)
    return change_fields(
        change_id=change.id,
        watch_id=watch.id,
        url=watch.url,
        kinds=list(change.kinds),
        significance=change.significance,
        detected_at=change.detected_at,
        words_added=change.words_added,
        words_removed=change.words_removed,
        old=old,
        new=new,
        moved_to=watch.moved_to,
        diff_url=link,
        budget=budget,
    )


def _side(version: Version | None) -> Side | None:
    if version is None:
        return None
    return Side(version.seq, version.title, version.text, version.paywall)


def _period_name(seconds: float) -> str:
    from monitor.durations import format_duration
    from monitor.rules import DIGEST_PERIODS

    names = {v: k for k, v in DIGEST_PERIODS.items()}
    return names.get(seconds, f"every {format_duration(seconds)}")
