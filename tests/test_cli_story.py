"""The foundation's user story, end to end through the CLI against the local publisher.

add → check → unchanged (a 304 and a same-bytes 200, both recorded, no new version) →
a sidebar that changes on every fetch (no new version) → a paragraph edit (text_changed) →
a headline edit (title_changed) → history and diff show exactly those edits.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import create_engine, select

from db.models import Snapshot
from tests.articles import PARAGRAPHS, story_page

# Run with the fast path on and off (tests/conftest.py): the same events both ways.
pytestmark = pytest.mark.fast_path_both


def snapshot_outcomes(db_url: str, watch_id: int) -> list[str]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Snapshot.outcome).where(Snapshot.watch_id == watch_id).order_by(Snapshot.id)
            )
            return [r.outcome for r in rows]
    finally:
        engine.dispose()


def test_a_watched_story_keeps_every_version_and_names_each_change(cli, site, db_url):
    path = f"story-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, story_page(), etag=True)
    watch_id = int(cli("add", url, "--every", "15m", "--tag", "politics").stdout)
    assert cli("add", url).stdout.strip() == str(watch_id), "adding twice gives the same id"

    listed = json.loads(cli("list", "--json").stdout)
    assert [(w["id"], w["url"], w["tags"]) for w in listed] == [(watch_id, url, ["politics"])]
    assert listed[0]["last_checked_at"] is None and listed[0]["next_check_at"]

    cli("check", "--all")
    cli("check", str(watch_id))  # the server answers 304 to our ETag
    site.publish(path, story_page(), etag=False)  # same bytes, no validators now
    cli("check", url)
    site.publish(path, story_page(noise="Cat rescued from tree"), etag=False)
    cli("check", url)  # different bytes, same article
    assert snapshot_outcomes(db_url, watch_id) == [
        "new_version",
        "not_modified",
        "unchanged",
        "unchanged",
    ]
    assert len(json.loads(cli("history", url, "--json").stdout)) == 1
    assert json.loads(cli("changes", "--json").stdout) == []

    edited = list(PARAGRAPHS)
    edited[1] = edited[1].replace("next week", "on Thursday")
    site.publish(path, story_page(paragraphs=edited))
    cli("check", url)
    site.publish(path, story_page("Springfield mayor quits", paragraphs=edited))
    cli("check", url)

    history = json.loads(cli("history", url, "--json").stdout)
    assert [v["seq"] for v in history] == [1, 2, 3]
    assert [v["title"] for v in history] == [
        "Springfield mayor resigns",
        "Springfield mayor resigns",
        "Springfield mayor quits",
    ]
    assert history[0]["word_count"] > 80
    assert history[0]["last_seen_at"] >= history[0]["first_seen_at"]

    changes = json.loads(cli("changes", "--json").stdout)
    assert [(c["kinds"], c["from_version"], c["to_version"]) for c in changes] == [
        (["text_changed"], 1, 2),
        (["title_changed"], 2, 3),
    ]
    assert all(c["watch_id"] == watch_id and c["url"] == url for c in changes)
    assert changes[0]["detected_at"].endswith("+00:00")
    later = json.loads(cli("changes", url, "--since", changes[1]["detected_at"], "--json").stdout)
    assert [c["id"] for c in later] == [changes[1]["id"]]

    text_diff = cli("diff", url, "1", "2").stdout
    assert "[-next week-]{+on Thursday+}" in text_diff
    assert text_diff.count("[-") == 1 and text_diff.count("{+") == 1
    assert "title:" not in text_diff

    title_diff = cli("diff", str(watch_id)).stdout  # default: the last two versions
    assert "'Springfield mayor resigns' → 'Springfield mayor quits'" in title_diff
    assert "[-" not in title_diff and "{+" not in title_diff

    # Selecting versions: numbers, offsets, names, times, change events.
    assert cli("diff", url, "-2", "-1").stdout == title_diff
    assert cli("diff", url, "--change", str(changes[0]["id"])).stdout == text_diff
    both = cli("diff", url, "first", "latest").stdout
    assert "[-next week-]{+on Thursday+}" in both and "'Springfield mayor quits'" in both
    at_v2 = cli("diff", url, "1", history[1]["first_seen_at"]).stdout
    assert at_v2 == text_diff
    document = json.loads(cli("diff", url, "1", "2", "--format", "json").stdout)
    assert document["schema"] == "palimpsest.diff/1"
    assert [p["op"] for p in document["paragraphs"]].count("edited") == 1
    page = cli("diff", url, "1", "2", "--format", "html").stdout
    assert "<del>next week </del><ins>on Thursday </ins>" in page
    shown = json.loads(cli("show", url, "2", "--json").stdout)
    assert shown["seq"] == 2 and "on Thursday" in shown["text"]
    assert cli("show", url, "first", "--html").stdout.startswith("<!doctype html>")
    bad = cli("diff", url, "1", "someday", ok=False)
    assert bad.returncode == 2 and "bad version 'someday'" in bad.stderr
