"""`list` and `changes` a page at a time, filtered by the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from db.models import Change
from db.watches import add_watch, find_watch

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def test_list_shows_a_page_of_the_watches_that_match_and_says_how_to_see_more(sessions, cli):
    with sessions.begin() as s:
        for n in range(7):
            add_watch(s, f"https://example.com/page-{n}", T0, tags=["odd" if n % 2 else "even"])
        find_watch(s, "https://example.com/page-4").active = False  # paused

    first = cli("list", "--limit", "3").stdout
    assert [f"page-{n}" in first for n in range(7)] == [True] * 3 + [False] * 4
    assert "watches 1 to 3 of 7; next: --offset 3" in first
    last = cli("list", "--limit", "3", "--offset", "6").stdout
    assert "page-6" in last and "page-5" not in last and "watches 7 to 7 of 7" in last
    assert "next:" not in last

    def urls(*args: str) -> list[str]:
        return [w["url"].rsplit("/", 1)[1] for w in json.loads(cli("list", "--json", *args).stdout)]

    assert urls("--tag", "odd") == ["page-1", "page-3", "page-5"]
    assert urls("--status", "paused") == ["page-4"]
    assert urls("--search", "PAGE-2") == ["page-2"]
    assert urls("--tag", "even", "--limit", "2", "--offset", "1") == ["page-2", "page-4"]
    assert (
        "error: unknown status 'sleeping'" in cli("list", "--status", "sleeping", ok=False).stderr
    )
    assert "error: --limit must be" in cli("list", "--limit", "0", ok=False).stderr


def test_changes_shows_the_latest_events_in_the_order_they_happened(sessions, cli):
    with sessions.begin() as s:
        watch = add_watch(s, "https://example.com/often-edited", T0)[0]
        for n in range(5):
            kinds = ["title_changed"] if n == 2 else ["text_changed"]
            s.add(Change(watch_id=watch.id, kinds=kinds, detected_at=T0 + timedelta(hours=n)))

    def hours(*args: str) -> list[int]:
        events = json.loads(cli("changes", "--json", *args).stdout)
        return [datetime.fromisoformat(e["detected_at"]).hour - T0.hour for e in events]

    assert hours() == [0, 1, 2, 3, 4]
    assert hours("--limit", "2") == [3, 4]
    assert hours("--limit", "2", "--offset", "2") == [1, 2]
    assert hours("--kind", "title_changed") == [2]
    assert "older ones: --offset 2" in cli("changes", "--limit", "2").stdout
    assert "error: unknown change kind" in cli("changes", "--kind", "edited", ok=False).stderr
