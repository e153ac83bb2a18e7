"""The adaptive schedule: the policy on plain values, then through the CLI."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime

from monitor.schedule import DAY, Policy, parse_published
from tests.articles import PARAGRAPHS, story_page

HOUR = 3600.0
OLD = 30 * DAY


def intervals(policy: Policy, checks: list[bool], age: float = OLD) -> list[float]:
    """The interval after each check of a watch; ``True`` where the check found a change."""
    out, interval = [], None
    for changed in checks:
        due = policy.next_check(None, interval, changed=changed, age=age, silence=0)
        interval = due.interval
        out.append(interval)
    return out


def test_unchanged_checks_stretch_the_interval_and_a_change_resets_it():
    assert intervals(Policy(jitter=0), [False, False, False, True, False]) == [
        600,
        900,
        1350,
        600,
        900,
    ]


def test_a_new_article_stays_fast_for_its_first_hours():
    policy = Policy(jitter=0)
    young = intervals(policy, [False] * 5, age=2 * HOUR)
    assert young == [600] * 5
    assert policy.next_check(None, 600, changed=False, age=7 * HOUR, silence=HOUR).interval == 900


def test_the_interval_is_capped_by_the_articles_age():
    policy = Policy(jitter=0)
    assert max(intervals(policy, [False] * 40, age=12 * HOUR)) == HOUR
    assert max(intervals(policy, [False] * 40, age=3 * DAY)) == 6 * HOUR
    assert max(intervals(policy, [False] * 40, age=OLD)) == DAY
    due = policy.next_check(None, 5 * HOUR, changed=False, age=12 * HOUR, silence=HOUR)
    assert due.reason == "capped at 1h for an article 12h old"


def test_a_fixed_interval_is_kept():
    due = Policy().next_check(900, 600, changed=True, age=HOUR, silence=0)
    assert (due.interval, due.delay, due.reason) == (900, 900, "fixed: every 15m")


def test_jitter_spreads_checks_within_its_fraction():
    policy, rng = Policy(jitter=0.1), random.Random(7)
    delays = [
        policy.next_check(None, 3600, changed=False, age=OLD, silence=0, rng=rng).delay
        for _ in range(200)
    ]
    assert 5400 * 0.9 <= min(delays) < 5400 * 0.95 and 5400 * 1.05 < max(delays) <= 5400 * 1.1


def test_a_long_silence_retires_a_watch_unless_it_is_pinned():
    policy = Policy(retire_after=60 * DAY)
    assert not policy.next_check(None, DAY, changed=False, age=OLD, silence=59 * DAY).retire
    retired = policy.next_check(None, DAY, changed=False, age=OLD, silence=60 * DAY)
    assert retired.retire and retired.reason == "retired: unchanged for 60d"
    kept = policy.next_check(None, DAY, changed=False, age=OLD, silence=90 * DAY, pinned=True)
    assert not kept.retire
    assert (
        not Policy(retire_after=None)
        .next_check(None, DAY, changed=False, age=OLD, silence=1e9)
        .retire
    )


def test_publication_dates_are_read_as_pages_give_them():
    assert parse_published("2026-11-20T10:00:00Z") == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert parse_published("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_published("Tuesday") is None and parse_published(None) is None


def test_list_shows_the_next_check_and_why_and_silence_retires(cli, site):
    path = f"sched-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, story_page())
    watch = cli("add", url).stdout.strip()
    fixed = cli("add", site.publish(f"{path}-fixed", story_page()), "--every", "15m").stdout.strip()
    env = {"PALIMPSEST_SCHEDULE_FAST_FOR": "0s", "PALIMPSEST_SCHEDULE_JITTER": "0"}
    cli("check", "--all", **env)
    cli("check", "--all", **env)
    rows = {str(w["id"]): w for w in json.loads(cli("list", "--json").stdout)}
    assert rows[watch]["schedule"] == "unchanged: 10m x 1.5 = 15m"
    assert rows[watch]["interval_seconds"] == 900
    due = datetime.fromisoformat(rows[watch]["next_check_at"])
    checked = datetime.fromisoformat(rows[watch]["last_checked_at"])
    assert (due - checked).total_seconds() == 900
    assert rows[fixed]["schedule"] == "fixed: every 15m"
    assert "unchanged: 10m x 1.5 = 15m" in cli("list").stdout

    site.publish(path, story_page(paragraphs=[*PARAGRAPHS, "A new paragraph."]))
    cli("check", watch, **env)
    row = next(w for w in json.loads(cli("list", "--json").stdout) if str(w["id"]) == watch)
    assert row["schedule"] == "changed: back to 10m"

    time.sleep(1.1)
    cli("check", "--all", PALIMPSEST_RETIRE_AFTER="1s", **env)
    rows = {str(w["id"]): w for w in json.loads(cli("list", "--json").stdout)}
    assert rows[watch]["status"] == "retired" and rows[watch]["next_check_at"] is None
    assert rows[watch]["schedule"].startswith("retired: unchanged for")
    assert "retired" in cli("list").stdout
    assert cli("pin", watch).stdout.strip() == f"watch {watch} pinned"
    row = next(w for w in json.loads(cli("list", "--json").stdout) if str(w["id"]) == watch)
    assert (row["status"], row["pinned"]) == ("ok", True)
    cli("check", watch, PALIMPSEST_RETIRE_AFTER="1s", **env)
    row = next(w for w in json.loads(cli("list", "--json").stdout) if str(w["id"]) == watch)
    assert row["status"] == "ok", "a pinned watch is not retired"
