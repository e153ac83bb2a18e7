"""The pure change logic, with plain values: fingerprints, classification, word diffs."""

from __future__ import annotations

import pytest

from monitor.article import Article
from monitor.compare import classify
from monitor.durations import parse_duration
from monitor.fingerprint import text_fingerprint
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
