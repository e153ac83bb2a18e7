"""Three worker processes sharing one PostgreSQL database (``palimpsest run --workers 3``).

2,000 watches on the local site: every watch is checked exactly once per period, one worker
killed with SIGKILL in the middle of a batch leaves watches that the others check once its
lease has passed, and nothing is recorded or sent twice: two versions and one change event
per watch, one alert per change, one message per alert.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.alerts import add_channel
from db.models import Alert, Change, Snapshot, Version, Watch
from db.watches import add_watch
from monitor.rules import Rule
from tests.articles import PARAGRAPHS, story_page
from tests.conftest import cli_env, wait_for
from tests.receivers import WebhookReceiver, change_ids, free_port
from tests.webserver import get

WATCHES = 2000
PERIOD = 45.0  # seconds between two checks of one watch
LEASE = 8  # seconds a claimed watch stays with its worker

pytestmark = pytest.mark.backends("postgresql")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def count(sessions, query) -> int:
    with sessions() as s:
        return s.scalar(query)


def test_three_workers_share_the_watches_survive_a_sigkill_and_do_nothing_twice(
    db_url, sessions, site, tmp_path
):
    prefix = f"farm{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    urls = [site.publish(f"{prefix}/{n}", story_page(title=f"Story {n}")) for n in range(WATCHES)]
    with sessions.begin() as s:
        for url in urls:
            add_watch(s, url, now, every_seconds=PERIOD, options={"related": False})
    with WebhookReceiver() as hook:
        with sessions.begin() as s:
            add_channel(s, hook.url(), now, Rule())
        port = free_port()
        log = tmp_path / "workers.log"
        env = cli_env(
            PALIMPSEST_TICK_SECONDS="0.5",
            PALIMPSEST_BATCH_SIZE="100",
            PALIMPSEST_LEASE_SECONDS=str(LEASE),
            PALIMPSEST_LOG_LEVEL="INFO",
        )
        command = [sys.executable, "-m", "palimpsest.cli", "--db", db_url, "run"]
        with log.open("w") as out:
            supervisor = subprocess.Popen(
                [*command, "--workers", "3", "--web", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for(lambda: len(children(supervisor.pid)) == 3, 30, "three workers")
            wait_for(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200, 30, "the web UI")

            def alive() -> list[str]:
                status = subprocess.run(
                    [*command[:-1], "status", "--json"], env=env, capture_output=True, text=True
                )
                return [w["id"] for w in json.loads(status.stdout)["workers"] if w["alive"]]

            wait_for(lambda: len(alive()) == 3, 60, "three workers in `palimpsest status`")
            # Kill a worker while it holds claimed watches it has not recorded yet.
            victim = children(supervisor.pid)[0]
            victim_id = f"{os.uname().nodename}:{victim}"

            def victim_busy() -> bool:
                with sessions() as s:
                    held = s.scalar(
                        select(func.count())
                        .select_from(Watch)
                        .where(Watch.claimed_by == victim_id, Watch.last_checked_at.is_(None))
                    )
                return held >= 20

            wait_for(victim_busy, 60, "the victim's first batch", every=0.02)
            os.kill(victim, signal.SIGKILL)
            killed_at = datetime.now(UTC)
            with sessions() as s:
                orphaned = set(
                    s.scalars(
                        select(Watch.id).where(
                            Watch.claimed_by == victim_id, Watch.last_checked_at.is_(None)
                        )
                    )
                )
            assert orphaned, "the victim died holding no unchecked watch"

            first_versions = select(func.count()).select_from(Version)
            wait_for(lambda: count(sessions, first_versions) == WATCHES, 240, "first versions")
            for n in range(WATCHES):
                edited = [*PARAGRAPHS, f"Correction to story {n}: the vote was on Tuesday."]
                site.publish(f"{prefix}/{n}", story_page(title=f"Story {n}", paragraphs=edited))
            changes = select(func.count()).select_from(Change)
            wait_for(lambda: count(sessions, changes) == WATCHES, 300, "the edits")
            wait_for(lambda: len(hook.received) >= WATCHES, 120, "the alerts")
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            supervisor.send_signal(signal.SIGTERM)
            try:
                code = supervisor.wait(60)
            except subprocess.TimeoutExpired:
                supervisor.kill()
                raise
        report = log.read_text()
        assert code == 0, report[-3000:]
        received = Counter(change_ids(hook.messages()))
    assert "died (killed by signal 9)" in report

    with sessions() as s:
        watch_ids = set(s.scalars(select(Watch.id)))
        versions = defaultdict(list)
        for watch_id, seq in s.execute(select(Version.watch_id, Version.seq)):
            versions[watch_id].append(seq)
        per_watch_changes = Counter(s.scalars(select(Change.watch_id)))
        alerts = s.execute(select(Alert.change_id, Alert.status)).all()
        snapshots = defaultdict(list)
        for watch_id, at in s.execute(select(Snapshot.watch_id, Snapshot.fetched_at)):
            snapshots[watch_id].append(at)
    assert len(watch_ids) == WATCHES
    assert all(sorted(versions[w]) == [1, 2] for w in watch_ids), "a version recorded twice"
    assert set(per_watch_changes.values()) == {1}, "a change event recorded twice"
    assert len(alerts) == WATCHES and {status for _, status in alerts} == {"sent"}
    assert len(received) == WATCHES and set(received.values()) == {1}, "a message sent twice"
    for watch_id, times in snapshots.items():
        gaps = [(b - a).total_seconds() for a, b in pairwise(sorted(times))]
        assert min(gaps, default=PERIOD) >= PERIOD * 0.95, f"watch {watch_id} twice: {gaps}"
    # The victim's unfinished watches were checked after it died (so by another worker).
    for watch_id in orphaned:
        assert min(snapshots[watch_id]) > killed_at
