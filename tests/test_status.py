"""`palimpsest status`: what a person on call asks of the service, read from a real run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.engine import make_engine, session_factory
from db.watches import add_watch, claim_due
from tests.articles import story_page
from tests.conftest import cli_env, wait_for

ROOT = Path(__file__).resolve().parent.parent


def test_status_reports_workers_queue_outcomes_and_failing_sites(cli, site, db_url):
    url = site.publish(f"status-{uuid.uuid4().hex[:8]}", story_page())
    cli("add", url, "--every", "1s")
    cli("add", "http://127.0.0.1:1/closed", "--every", "1s")
    env = cli_env(PALIMPSEST_TICK_SECONDS="0.3")
    daemon = subprocess.Popen(
        [sys.executable, str(ROOT / "scheduler.py"), "--db", db_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        report = wait_for(
            lambda: (
                (r := json.loads(cli("status", "--json").stdout))["checks_last_hour"].get("error")
                and r
            ),
            30,
            "a failed check in the status",
        )
        assert [w["alive"] for w in report["workers"]] == [True]
        assert report["checks_last_hour"]["new_version"] == 1
        [failing] = report["errors_by_domain"]
        assert failing["domain"] == "127.0.0.1:1" and failing["example"] == "connection refused"
        [held] = report["domains_backing_off"]
        assert held["domain"] == "127.0.0.1:1" and held["failures_in_a_row"] >= 1
        text = cli("status").stdout
        assert "workers: 1 alive" in text and "errors at 127.0.0.1:1" in text
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(30)
    assert daemon.returncode == 0
    report = json.loads(cli("status", "--json").stdout)
    assert [w["alive"] for w in report["workers"]] == [False], "a stopped daemon is not alive"


def test_overdue_watches_are_counted_and_claimed_oldest_first(db_url, sessions):
    now = datetime.now(UTC)
    with sessions.begin() as s:
        for hours in range(1, 31):  # added 1 to 30 hours ago: all overdue
            watch, _ = add_watch(s, f"https://news{hours % 3}.example.com/{hours}", now)
            watch.next_check_at = now - timedelta(hours=hours)
    cli_status = json.loads(
        subprocess.run(
            [sys.executable, "-m", "palimpsest.cli", "--db", db_url, "status", "--json"],
            capture_output=True,
            text=True,
            env=cli_env(),
            check=True,
        ).stdout
    )
    assert cli_status["watches"]["overdue"] == 30
    assert cli_status["oldest_overdue"]["url"] == "https://news0.example.com/30"
    assert cli_status["oldest_overdue"]["late_seconds"] >= 30 * 3600 - 60
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as s:
            batch = claim_due(s, "w", now, 10, timedelta(minutes=10), delay=1.0, window=3.0)
    finally:
        engine.dispose()
    late = sorted(int(t.url.rsplit("/", 1)[1]) for t in batch)
    assert late == [22, 23, 24, 25, 26, 27, 28, 29, 30], "oldest first, 3 per site per claim"
