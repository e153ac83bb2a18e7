"""The pure change logic, with plain values: fingerprints, classification, word diffs."""

from __future__ import annotations

import pytest

from monitor.article import Article
from monitor.compare import Seen, classify, judge
from monitor.durations import parse_duration
from monitor.fingerprint import text_fingerprint
from monitor.noise import strip_noise
from monitor.paywall import FREE, GATED, METERED
from monitor.significance import significance
from monitor.worddiff import diff_stats, render_markers, word_diff
from palimpsest.errors import BadDuration

STORY = "The council met on Monday.\nIt approved the budget by seven votes to two."

# name: (old article, new article, expected kinds)
CHANGE_CASES = {
    "identical": (Article("Budget passes", STORY), Article("Budget passes", STORY), []),
    "whitespace-and-case-only": (
        Article("Budget passes", STORY),
        Article("budget  passes", STORY.upper().replace(" ", "  ")),
        [],
    ),
    "punctuation-only": (
        Article("Budget passes", STORY),
        Article("Budget passes!", STORY.replace(".", "")),
        [],
    ),
    "unicode-forms-only": (
        Article("Café reopens", "The café reopened."),
        Article("Cafe\u0301 reopens", "The cafe\u0301 reopened."),
        [],
    ),
    "headline-rewritten": (
        Article("Budget passes", STORY),
        Article("Council approves budget", STORY),
        ["title_changed"],
    ),
    "paragraph-edited": (
        Article("Budget passes", STORY),
        Article("Budget passes", STORY.replace("seven votes to two", "six votes to three")),
        ["text_changed"],
    ),
    "correction-appended": (
        Article("Budget passes", STORY),
        Article("Budget passes", STORY + "\nCorrection: the vote was on Tuesday."),
        ["text_changed"],
    ),
    "both-edited": (
        Article("Budget passes", STORY),
        Article("Budget fails", "The council met on Monday."),
        ["title_changed", "text_changed"],
    ),
}


@pytest.mark.parametrize("name", CHANGE_CASES)
def test_change_cases(name):
    old, new, expected = CHANGE_CASES[name]
    assert classify(old, new) == expected
    same_fingerprint = text_fingerprint(old.text, old.title) == text_fingerprint(
        new.text, new.title
    )
    assert same_fingerprint == (expected == [])


def test_a_word_diff_marks_only_the_changed_words():
    ops = word_diff(STORY, STORY.replace("seven votes to two", "six votes to three"))
    assert render_markers(ops) == (
        "The council met on Monday.\nIt approved the budget by "
        "[-seven-]{+six+} votes to [-two.-]{+three.+}"
    )
    assert diff_stats(ops) == {"words_added": 2, "words_removed": 2}


def test_a_word_diff_of_an_appended_paragraph_is_one_insertion():
    ops = word_diff("One.\nTwo.", "One.\nTwo.\nThree four.")
    assert render_markers(ops) == "One.\nTwo.\n{+Three four.+}"
    assert diff_stats(ops) == {"words_added": 2, "words_removed": 0}


def test_a_word_diff_of_empty_texts_is_empty():
    assert render_markers(word_diff("", "")) == ""
    assert diff_stats(word_diff("", "a b")) == {"words_added": 2, "words_removed": 0}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("15m", 900), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("90", 90)],
)
def test_durations(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "m", "15x", "-5m", "0s", "1h 30"])
def test_bad_durations(text):
    with pytest.raises(BadDuration):
        parse_duration(text)


# The flip-flop guard and paywall kinds, judged with plain values.
STUB = "The council met on Monday."
FULL = STUB + "\nIt approved the budget by seven votes to two.\nThe mayor welcomed the vote."


def seen(version_id: int, text: str, paywall: str, title: str = "Budget passes") -> Seen:
    article = Article(title, text)
    return Seen(version_id, version_id, text_fingerprint(text, title), article, paywall)


def judged(current: Seen, recent: list[Seen], text: str, paywall: str, title="Budget passes"):
    return judge(current, recent, Article(title, text), text_fingerprint(text, title), paywall)


JUDGE_CASES = {
    # name: (current, recent, new text, new paywall, expected outcome, expected kinds)
    "first-version": (None, [], FULL, FREE, "new_version", ()),
    "same-article": (seen(1, FULL, FREE), [], FULL, FREE, "unchanged", ()),
    "lifted-stub-kept": (seen(1, STUB, GATED), [], FULL, FREE, "new_version", ("paywall_lifted",)),
    "lifted-stub-edited": (
        seen(1, "The council met on Sunday.", GATED),
        [],
        FULL,
        FREE,
        "new_version",
        ("paywall_lifted", "text_changed"),
    ),
    "added-stub-kept": (seen(1, FULL, FREE), [], STUB, GATED, "new_version", ("paywall_added",)),
    "metered-to-free-same-text": (seen(1, FULL, METERED), [], FULL, FREE, "unchanged", ()),
    "flip-flop-back": (
        seen(2, FULL + "\nCorrection.", FREE),
        [seen(1, FULL, FREE)],
        FULL,
        FREE,
        "reverted",
        (),
    ),
    "gated-again-is-news": (
        seen(2, FULL, FREE),
        [seen(1, STUB, GATED)],
        STUB,
        GATED,
        "reverted",
        ("paywall_added",),
    ),
}


@pytest.mark.parametrize("name", JUDGE_CASES)
def test_judge_cases(name):
    current, recent, text, paywall, outcome, kinds = JUDGE_CASES[name]
    verdict = judged(current, recent, text, paywall)
    assert (verdict.outcome, verdict.kinds) == (outcome, kinds)
    if kinds:
        assert 0 < verdict.significance <= 1


def test_significance_grows_with_the_share_of_words_changed():
    old = Article("Budget passes", FULL)
    small = significance(old, Article("Budget passes", FULL.replace("welcomed", "praised")))
    large = significance(old, Article("Budget passes", "Something else entirely happened."))
    assert 0 < small < 0.5 < large <= 1


def test_a_new_extractor_makes_a_new_version_but_no_change_event():
    current = Seen(
        1,
        1,
        text_fingerprint(FULL, "Budget passes"),
        Article("Budget passes", FULL),
        FREE,
        extractor="trafilatura 2.3.1 {}",
    )
    text = FULL + "\nA caption the new extractor keeps."
    verdict = judge(
        current,
        [],
        Article("Budget passes", text),
        text_fingerprint(text, "Budget passes"),
        FREE,
        "trafilatura 2.4.0 {}",
    )
    assert (verdict.outcome, verdict.kinds) == ("new_version", ())


@pytest.mark.parametrize(
    "line",
    [
        "Updated 3 minutes ago",
        "Served at 1764370000.123",
        "Page generated in 0.12 s",
        "Rendered on 3 March 2024",
        "1,204 comments",
        "5 min read",
    ],
)
def test_stop_list_drops_lines_that_change_on_every_fetch(line):
    assert strip_noise(f"The council met.\n{line}\nIt voted.") == "The council met.\nIt voted."


@pytest.mark.parametrize(
    "line",
    [
        "Updated: the vote moved to Monday",
        "Served in the army for 20 years, he ran for mayor.",
        "Built in 1894, the bridge closes on Monday.",
        "Generated at 12:04 by the council, the plan was published.",
    ],
)
def test_stop_list_keeps_news_that_looks_like_a_stamp(line):
    assert strip_noise(line) == line
