"""Alert rules, retry policy and digest periods, on plain values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.rules import Event, Rule, next_digest, parse_kinds, retry_delay


def event(*kinds: str, significance: float = 0.5, watch_id: int = 1, **extra) -> Event:
    return Event(kinds=kinds, significance=significance, watch_id=watch_id, **extra)


def test_the_default_rule_passes_every_kind():
    rule = Rule()
    kinds = ("paywall_lifted", "removed", "moved", "title_changed", "text_changed")
    assert all(rule.passes(event(k, significance=0.0)) for k in kinds)


def test_kinds_pass_when_any_of_the_changes_kinds_is_listed():
    rule = Rule(kinds=frozenset({"paywall_lifted"}))
    assert rule.passes(event("paywall_lifted", "text_changed"))
    assert not rule.passes(event("text_changed"))
    assert not rule.passes(event("paywall_added"))


def test_min_significance_holds_back_only_small_text_and_title_edits():
    rule = Rule(min_significance=0.3)
    assert not rule.passes(event("text_changed", significance=0.29))
    assert not rule.passes(event("title_changed", "text_changed", significance=0.1))
    assert rule.passes(event("text_changed", significance=0.3))
    for kind in ("paywall_lifted", "paywall_added", "removed", "restored", "moved"):
        assert rule.passes(event(kind, "text_changed", significance=0.0)), kind


def test_min_significance_judges_the_kinds_the_rule_asked_for():
    rule = Rule(kinds=frozenset({"text_changed"}), min_significance=0.3)
    assert not rule.passes(event("paywall_lifted", "text_changed", significance=0.1))


def test_tags_pass_on_any_shared_tag_and_a_related_page_carries_its_articles_tags():
    rule = Rule(tags=frozenset({"politics", "city"}))
    assert rule.passes(event("text_changed", tags=frozenset({"city", "sport"})))
    assert not rule.passes(event("text_changed", tags=frozenset({"sport"})))
    assert not rule.passes(event("text_changed"))


def test_a_watch_rule_covers_the_watch_and_the_pages_of_its_story():
    rule = Rule(watch_id=7)
    assert rule.passes(event("text_changed", watch_id=7))
    assert rule.passes(event("text_changed", watch_id=9, story_id=7))
    assert not rule.passes(event("text_changed", watch_id=9, story_id=8))


def test_filters_combine_with_and():
    rule = Rule(kinds=frozenset({"removed"}), tags=frozenset({"politics"}), watch_id=3)
    assert rule.passes(event("removed", watch_id=3, tags=frozenset({"politics"})))
    assert not rule.passes(event("removed", watch_id=3))
    assert not rule.passes(event("removed", watch_id=4, tags=frozenset({"politics"})))


def test_parse_kinds_refuses_unknown_kinds_by_name():
    assert parse_kinds("paywall_lifted, text_changed") == {"paywall_lifted", "text_changed"}
    with pytest.raises(ValueError, match="unknown change kind paywall_lifed"):
        parse_kinds("paywall_lifed")
    with pytest.raises(ValueError):
        parse_kinds(" , ")


def test_retries_double_up_to_the_cap():
    assert [retry_delay(n, 30, 3600) for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_digests_go_out_on_period_boundaries_in_utc():
    at = datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)
    assert next_digest(at, 86400) == datetime(2026, 11, 29, tzinfo=UTC)
    assert next_digest(datetime(2026, 11, 29, tzinfo=UTC), 86400) == datetime(
        2026, 11, 30, tzinfo=UTC
    )
    assert next_digest(at, 3600) == datetime(2026, 11, 29, tzinfo=UTC)
