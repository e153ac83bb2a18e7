"""Faults done for real to a daemon in a subprocess: SIGKILL at random moments, a SQLite
database locked by another process, a PostgreSQL server stopped and started again.

After each, the database must be consistent and nothing fetched may be lost.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from db.models import Blob, Change, Snapshot, Version, Watch
from tests.articles import PARAGRAPHS, story_page
from tests.conftest import cli_env, wait_for

ROOT = Path(__file__).resolve().parent.parent


class Daemon:
    """``python scheduler.py`` in a child process, its log in a file."""

    def __init__(self, db_url: str, log: Path, **env: str) -> None:
        self.db_url, self.log = db_url, log
        self.env = cli_env(PALIMPSEST_TICK_SECONDS="0.3", PALIMPSEST_LOG_LEVEL="INFO", **env)
        self.proc: subprocess.Popen | None = None

    def start(self) -> Daemon:
        with self.log.open("a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / "scheduler.py"), "--db", self.db_url],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def rows(db_url: str, query):
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(query).all()
    finally:
        engine.dispose()


def assert_consistent(db_url: str, every: float) -> None:
    """What a crash must never leave behind, checked on the rows themselves."""
    blobs = {sha for (sha,) in rows(db_url, select(Blob.sha256))}
    snapshots = rows(db_url, select(Snapshot))
    versions = {v.id: v for v in rows(db_url, select(Version))}
    used = {s.blob_sha256 for s in snapshots} | {v.blob_sha256 for v in versions.values()}
    assert used - {None} <= blobs, "a snapshot or version points to a missing blob"
    assert blobs <= used, f"orphan blobs: {len(blobs - used)}"
    for snapshot in snapshots:
        if snapshot.version_id is not None:
            assert versions[snapshot.version_id].watch_id == snapshot.watch_id
    seqs = defaultdict(list)
    for version in versions.values():
        seqs[version.watch_id].append(version.seq)
    for watch_id, numbers in seqs.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"watch {watch_id}: {numbers}"
    for change in rows(db_url, select(Change)):
        assert {change.from_version_id, change.to_version_id} - {None} <= set(versions)
    fetched = defaultdict(list)
    for snapshot in snapshots:
        fetched[snapshot.watch_id].append(snapshot.fetched_at)
    for watch_id, times in fetched.items():
        gaps = [(b - a).total_seconds() for a, b in pairwise(sorted(times))]
        assert min(gaps, default=every) >= every * 0.95, (
            f"watch {watch_id} was checked twice in one period: {gaps}"
        )


def test_sigkill_at_random_moments_loses_nothing_and_leaves_a_consistent_database(
    cli, site, db_url, tmp_path
):
    prefix = f"kill{uuid.uuid4().hex[:6]}"
    pages = [f"{prefix}-{n}" for n in range(12)]
    for page in pages:
        cli("add", site.publish(page, story_page(), noise="1"), "--every", "2s")
    daemon = Daemon(db_url, tmp_path / "daemon.log", PALIMPSEST_LEASE_SECONDS="3")
    rng = random.Random(uuid.uuid4().int)
    last_update: dict[str, str] = {}
    for round_ in range(4):
        daemon.start()
        time.sleep(rng.uniform(0.8, 4.0))
        daemon.kill()
        for page in pages[round_::3]:  # new versions between the kills
            last_update[page] = f"Update {round_} to {page}."
            edited = [*PARAGRAPHS, last_update[page]]
            site.publish(page, story_page(paragraphs=edited), noise="1")
    restarted = datetime.now(UTC)
    daemon.start()
    try:
        wait_for(
            lambda: (
                len(
                    rows(
                        db_url,
                        select(Snapshot.watch_id).where(Snapshot.fetched_at > restarted).distinct(),
                    )
                )
                == len(pages)
            ),
            60,
            "every watch checked again after the last restart",
        )
    finally:
        assert daemon.stop() == 0, daemon.log.read_text()
    log = daemon.log.read_text()
    assert "Traceback" not in log, log
    assert_consistent(db_url, every=2.0)
    latest = {}
    for url, version_text in rows(
        db_url,
        select(Watch.url, Version.text)
        .join(Version, Version.watch_id == Watch.id)
        .order_by(Version.seq),
    ):
        latest[url.rsplit("/", 1)[-1]] = version_text
    missed = [page for page, update in last_update.items() if update not in latest[page]]
    assert missed == [], f"edits never recorded: {missed}"
    time.sleep(3)  # one lease: whatever the kills left claimed is free again
    now = datetime.now(UTC)
    stuck = [w.id for w in rows(db_url, select(Watch)) if w.lease_until and w.lease_until > now]
    assert stuck == [], f"watches still leased: {stuck}"


def survive_outage(cli, site, db_url, tmp_path, outage, **env) -> None:
    """Run a daemon over four pages and a 5 s one (a batch lasts 5 s), cause ``outage`` (a
    context manager) mid-batch, and check the batch was recorded once the database was back,
    the daemon said so, went on, and exits 0."""
    prefix = f"out{uuid.uuid4().hex[:6]}"
    for n in range(4):
        cli("add", site.publish(f"{prefix}-{n}", story_page(), noise="1"), "--every", "1s")
    cli("add", site.url(f"/case/slow?{prefix}"), "--every", "1s")
    daemon = Daemon(db_url, tmp_path / "daemon.log", **env).start()
    try:
        wait_for(lambda: site.hits(f"/{prefix}-0") >= 2, 30, "a second batch under way")
        began = datetime.now(UTC)
        with outage():
            time.sleep(7)  # the batch ends while the database cannot be written
        ended = datetime.now(UTC)
        wait_for(
            lambda: rows(db_url, select(Snapshot).where(Snapshot.fetched_at > ended)),
            60,
            "checks recorded after the outage",
        )
    finally:
        assert daemon.stop() == 0
    log = daemon.log.read_text()
    assert "could not record" in log and "retrying in" in log, log
    assert "Traceback" not in log, log
    during = rows(
        db_url, select(Snapshot).where(Snapshot.fetched_at > began, Snapshot.fetched_at < ended)
    )
    assert during, "the checks fetched during the outage were recorded after it"
    assert_consistent(db_url, every=1.0)


@pytest.mark.backends("sqlite")  # PostgreSQL's case is the server going away (next test)
def test_a_database_locked_by_another_process_delays_writes_but_loses_none(
    cli, site, db_url, tmp_path
):
    @contextmanager
    def locked():
        holder = sqlite3.connect(make_url(db_url).database)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.rollback()
            holder.close()

    survive_outage(cli, site, db_url, tmp_path, locked, PALIMPSEST_DB_BUSY_TIMEOUT="0.5s")


def pg_cluster(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.backends("postgresql")
def test_postgresql_stopped_for_seconds_mid_run_loses_no_check(cli, site, db_url, tmp_path):
    @contextmanager
    def server_down():
        pg_cluster("stop")
        try:
            yield
        finally:
            pg_cluster("start")
            wait_for(_pg_up, 30, "PostgreSQL back")

    survive_outage(cli, site, db_url, tmp_path, server_down)


def _pg_up() -> bool:
    from tests.conftest import PG_ADMIN_URL

    engine = create_engine(PG_ADMIN_URL)
    try:
        with engine.connect() as conn:
            return conn.execute(text("select 1")).scalar() == 1
    except Exception:
        return False
    finally:
        engine.dispose()
