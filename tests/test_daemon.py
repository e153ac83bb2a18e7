"""The daemon checks due watches on its own and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from tests.articles import PARAGRAPHS, story_page
from tests.conftest import cli_env, wait_for

ROOT = Path(__file__).resolve().parent.parent


def test_the_daemon_records_versions_by_itself_and_exits_0_on_sigterm(cli, site, db_url):
    path = f"daemon-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, story_page())
    cli("add", url, "--every", "1s")
    env = cli_env(PALIMPSEST_TICK_SECONDS="0.5", PALIMPSEST_LOG_LEVEL="INFO")
    daemon = subprocess.Popen(
        [sys.executable, str(ROOT / "scheduler.py"), "--db", db_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(lambda: json.loads(cli("history", url, "--json").stdout), 30, "version 1")
        wait_for(lambda: site.hits(path) >= 3, 30, "three checks of the page")
        edited = [PARAGRAPHS[0] + " She did not take questions.", *PARAGRAPHS[1:]]
        site.publish(path, story_page(paragraphs=edited))
        changes = wait_for(
            lambda: json.loads(cli("changes", url, "--json").stdout), 30, "a change event"
        )
        assert changes[0]["kinds"] == ["text_changed"]
        assert "{+She did not take questions.+}" in cli("diff", url).stdout
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            output, _ = daemon.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            raise
    assert daemon.returncode == 0, output
    assert "Traceback" not in output, output
    listed = json.loads(cli("list", "--json").stdout)
    assert listed[0]["last_checked_at"] is not None
