"""Article-aware detection, end to end: every timeline of ``tests/scenarios.py`` is served by
the local publisher with per-fetch noise on top, checked round after round through the CLI,
and must give exactly the expected change kinds — every expected event, and no other.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from itertools import pairwise

import pytest

from db.engine import make_engine, session_factory
from db.reading import as_view, versions
from db.watches import list_watches
from monitor.versiondiff import apply_json, compare_versions, diff_json
from palimpsest.localsite import article_page
from tests.scenarios import ROUNDS, STORY, TIMELINES, TITLE, full, gated, publish_round

# Run with the fast path on and off (tests/conftest.py): the same events both ways.
pytestmark = pytest.mark.fast_path_both


def assert_every_version_pair_round_trips(db_url: str) -> int:
    """The JSON diff of each consecutive pair of versions rebuilds the newer text exactly."""
    engine = make_engine(db_url)
    pairs = 0
    try:
        with session_factory(engine)() as session:
            for watch in list_watches(session):
                stored = versions(session, watch.id)
                for old, new in pairwise(stored):
                    document = diff_json(compare_versions(as_view(old), as_view(new)))
                    assert apply_json(old.text, document) == new.text, (watch.url, old.seq)
                    pairs += 1
    finally:
        engine.dispose()
    return pairs


def article_hints(db_url: str) -> dict[int, dict | None]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            return {w.id: w.article_hint for w in list_watches(session)}
    finally:
        engine.dispose()


def test_each_article_gives_exactly_the_expected_change_kinds(cli, site, db_url, fast_path):
    prefix = f"d{uuid.uuid4().hex[:6]}"

    def path(name: str) -> str:
        return f"{prefix}-{name}"

    watch_ids: dict[str, int] = {}
    seen_events: set[int] = set()
    wrong = []
    for number in range(ROUNDS):
        publish_round(site, path, number)
        if number == 0:
            for name in TIMELINES:
                watch_ids[name] = int(cli("add", site.url(path(name))).stdout)
        cli("check", "--all")
        events = defaultdict(list)
        for event in json.loads(cli("changes", "--json").stdout):
            if event["id"] not in seen_events:
                seen_events.add(event["id"])
                events[event["watch_id"]].append(tuple(event["kinds"]))
        for name, timeline in TIMELINES.items():
            expected = [timeline[number].expected] if timeline[number].expected else []
            got = events.get(watch_ids[name], [])
            if got != expected:
                wrong.append(f"round {number} {name}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
    assert assert_every_version_pair_round_trips(db_url) >= 5
    hints = article_hints(db_url)
    if fast_path == "on":  # the noisy pages had a hint to check against: the fast path ran
        assert hints[watch_ids["noise-only"]]["locator"] == {
            "tag": "article",
            "attr": None,
            "value": None,
        }
    else:
        assert set(hints.values()) == {None}


def test_related_pages_are_watched_with_the_article_and_a_fuller_amp_is_evidence(cli, site):
    prefix = f"r{uuid.uuid4().hex[:6]}"
    amp = site.publish(f"{prefix}-story.amp", full(), noise="1")
    feed = site.url(f"{prefix}-feed.xml")
    links = (
        f'<link rel="amphtml" href="{amp}">'
        f'<link rel="alternate" type="application/rss+xml" href="{feed}">'
    )
    article = site.publish(f"{prefix}-story", gated(head=links), noise="1")
    story_id = int(cli("add", article).stdout)
    quiet = site.publish(f"{prefix}-quiet", gated(head=links), noise="1")
    quiet_id = int(cli("add", quiet, "--no-related").stdout)

    cli("check", "--all")
    watches = {w["url"]: w for w in json.loads(cli("list", "--json").stdout)}
    assert (watches[amp]["relation"], watches[amp]["story_id"]) == ("amp", story_id)
    assert (watches[feed]["relation"], watches[feed]["related_to"]) == ("feed", story_id)
    assert not [w for w in watches.values() if w["related_to"] == quiet_id]

    cli("check", "--all")  # the related pages' first check
    assert json.loads(cli("changes", "--json").stdout) == [], "baselines are not changes"
    gated_version = json.loads(cli("history", article, "--json").stdout)[-1]
    assert gated_version["paywall"] == "gated"
    fuller = [e for e in gated_version["paywall_evidence"] if e["name"] == "related_page_fuller"]
    assert fuller and "amp page" in fuller[0]["detail"]
    amp_version = json.loads(cli("history", amp, "--json").stdout)[-1]
    assert amp_version["word_count"] > 3 * gated_version["word_count"]
    assert "related pages" in cli("history", article).stdout


def test_a_watch_can_name_its_body_and_text_to_ignore(cli, site):
    prefix = f"o{uuid.uuid4().hex[:6]}"

    def page(counter: int, body_edit: str = "", aside: str = "") -> str:
        paragraphs = [*STORY[:3], f"Readers online now: {counter}", STORY[3] + body_edit]
        return article_page(TITLE, paragraphs, after=f'<p class="aside">{aside}</p>')

    url = site.publish(f"{prefix}-story", page(1))
    cli("add", url, "--selector", "article p:not(.aside)", "--ignore", r"Readers online now: \d+")
    cli("check", url)
    site.publish(f"{prefix}-story", page(2, aside="A related story about parking fees"))
    cli("check", url)
    assert json.loads(cli("changes", url, "--json").stdout) == []
    site.publish(f"{prefix}-story", page(3, body_edit=" The plan was delayed."))
    cli("check", url)
    assert [c["kinds"] for c in json.loads(cli("changes", url, "--json").stdout)] == [
        ["text_changed"]
    ]
    versions = json.loads(cli("history", url, "--json").stdout)
    assert versions[-1]["word_count"] > 100


def test_bad_watch_options_are_refused(cli):
    result = cli("add", "https://example.com/x", "--selector", "p[", ok=False)
    assert result.returncode == 2 and "bad --selector" in result.stderr
    result = cli("add", "https://example.com/x", "--ignore", "(", ok=False)
    assert result.returncode == 2 and "bad --ignore regex" in result.stderr
