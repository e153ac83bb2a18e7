"""The alert excerpt on hand-built pairs: the exact lines, markers, cuts and counts."""

from __future__ import annotations

from monitor.excerpt import Excerpt, ExcerptLine, cut_at_word, excerpt, newly_readable

LONG = (
    "The council voted on Tuesday to close the harbour bridge to cars. "
    "Buses and cyclists may still cross while repairs are planned. "
    "Shop owners on the north bank fear they will lose customers. "
    "The bridge was built in 1931 and carries twelve thousand cars a day."
)
OTHER = "A second paragraph that nobody touches at all."


def text(*paragraphs: str) -> str:
    return "\n".join(paragraphs)


def test_edited_sentence_in_a_long_paragraph_shows_only_that_sentence():
    new = LONG.replace("while repairs are planned", "until May")
    assert excerpt(text(LONG, OTHER), text(new, OTHER)) == Excerpt(
        lines=(
            ExcerptLine(
                "edited",
                "Buses and cyclists may still cross [-while repairs are planned.-]{+until May.+}",
            ),
        ),
        truncated=False,
        words_added=2,
        words_removed=4,
    )


def test_two_separate_edited_sentences_are_joined_with_an_ellipsis():
    new = LONG.replace("Tuesday", "Monday").replace("1931", "1932")
    (line,) = excerpt(LONG, new).lines
    assert line.text == (
        "The council voted on [-Tuesday-]{+Monday+} to close the harbour bridge to cars."
        " … The bridge was built in [-1931-]{+1932+} and carries twelve thousand cars a day."
    )


def test_a_deleted_sentence_is_shown_alone_and_a_deleted_end_keeps_its_space():
    new = LONG.replace("Shop owners on the north bank fear they will lose customers. ", "")
    assert excerpt(LONG, new).lines == (
        ExcerptLine("edited", "[-Shop owners on the north bank fear they will lose customers.-]"),
    )
    old, new = "Fine. She resigned on Monday", "Fine. She resigned"
    assert excerpt(old, new).lines == (ExcerptLine("edited", "She resigned [-on Monday-]"),)


def test_text_without_punctuation_is_one_sentence():
    ex = excerpt("the mayor resigned on monday", "the mayor resigned on tuesday")
    assert ex.lines == (ExcerptLine("edited", "the mayor resigned on [-monday-]{+tuesday+}"),)


def test_inserted_and_deleted_paragraphs_are_shown_whole_in_article_order():
    added = "Drivers will have to take the ring road, adding twenty minutes."
    ex = excerpt(text(LONG, "An old line about parking fees."), text(added, LONG))
    assert ex.lines == (
        ExcerptLine("inserted", added),
        ExcerptLine("deleted", "An old line about parking fees."),
    )
    assert (ex.truncated, ex.words_added, ex.words_removed) == (False, 11, 6)


def test_a_moved_paragraph_is_skipped_but_a_moved_and_edited_one_is_shown():
    first = "The bridge reopens in May after the repairs are done."
    old = text(first, LONG, OTHER)
    assert excerpt(old, text(LONG, OTHER, first)).lines == ()
    moved = first.replace("May", "June")
    assert excerpt(old, text(LONG, OTHER, moved)).lines == (
        ExcerptLine("edited", "The bridge reopens in [-May-]{+June+} after the repairs are done."),
    )


def test_the_budget_cuts_the_line_that_does_not_fit_and_stops():
    paragraphs = [f"Paragraph {n} says something new about the harbour bridge." for n in range(5)]
    full = excerpt(OTHER, text(OTHER, *paragraphs))
    assert [line.text for line in full.lines] == paragraphs
    assert full.truncated is False
    # Two whole lines cost 2 * (56 + 3) = 118; the third gets 150 - 118 - 3 = 29 < 40: dropped.
    assert len(paragraphs[0]) == 56
    ex = excerpt(OTHER, text(OTHER, *paragraphs), budget=150)
    assert [line.text for line in ex.lines] == paragraphs[:2]
    assert ex.truncated is True
    # With 45 characters left for the third line, it is cut at a word, and nothing follows.
    ex = excerpt(OTHER, text(OTHER, *paragraphs), budget=118 + 48)
    assert [line.text for line in ex.lines] == [
        *paragraphs[:2],
        "Paragraph 2 says something new about the…",
    ]
    assert ex.truncated is True
    assert sum(len(line.text) + 3 for line in ex.lines) <= 118 + 48


def test_a_huge_paragraph_still_gives_one_cut_line():
    huge = " ".join(f"word{n}" for n in range(1000))
    ex = excerpt("Short.", text("Short.", huge), budget=60)
    assert ex.lines == (
        ExcerptLine("inserted", "word0 word1 word2 word3 word4 word5 word6 word7 word8…"),
    )
    assert ex.truncated is True
    # Below 40 characters of room the first line is still cut rather than dropped.
    ex = excerpt("Short.", text("Short.", huge), budget=40)
    assert ex.lines == (ExcerptLine("inserted", "word0 word1 word2 word3 word4 word5…"),)
    assert ex.truncated is True


def test_a_cut_edited_line_closes_its_open_marker():
    old = "The mayor said on Monday that the harbour bridge will close for six months of repairs."
    new = "The mayor said on Monday that the harbour bridge will stay open to buses for repairs."
    said = "The mayor said on Monday that the harbour bridge will "
    (line,) = excerpt(old, new).lines
    assert line.text == said + "[-close-]{+stay open to buses+} for [-six months of-] repairs."
    (line,) = excerpt(old, new, budget=76).lines
    assert line.text == said + "[-close-]{+stay…+}"
    (line,) = excerpt(old, new, budget=100).lines
    assert line.text == said + "[-close-]{+stay open to buses+} for…"


def test_cut_at_word_backs_up_to_a_space_or_cuts_one_long_word():
    assert cut_at_word("the harbour bridge", 18) == "the harbour bridge"
    assert cut_at_word("the harbour bridge", 17) == "the harbour…"
    assert cut_at_word("the harbour bridge", 12) == "the harbour…"
    assert cut_at_word("harbourbridgeclosed", 10) == "harbourbr…"


def test_identical_texts_give_an_empty_excerpt():
    assert excerpt(LONG, LONG) == Excerpt((), False, 0, 0)
    assert excerpt(LONG, LONG, budget=0) == Excerpt((), False, 0, 0)
    assert newly_readable(LONG, LONG) == ""


def test_newly_readable_gives_the_start_of_the_added_text():
    teaser = "The council voted on Tuesday to close the harbour bridge to cars..."
    old = text(teaser, "Subscribe to read more.")
    new = text(LONG, "Drivers will have to take the ring road.")
    assert newly_readable(old, new, limit=1000) == (
        "Buses and cyclists may still cross while repairs are planned. "
        "Shop owners on the north bank fear they will lose customers. "
        "The bridge was built in 1931 and carries twelve thousand cars a day.\n"
        "Drivers will have to take the ring road."
    )
    assert newly_readable(old, new, limit=50) == "Buses and cyclists may still cross while repairs…"
    assert newly_readable(old, new) == newly_readable(old, new, limit=400)


def test_newly_readable_takes_the_added_words_of_edited_paragraphs():
    old = text("The mayor resigned on Monday after a long meeting.", OTHER)
    new = text("The mayor resigned on Monday after a long and angry meeting.", OTHER, "Then more.")
    assert newly_readable(old, new) == "and angry\nThen more."
    assert newly_readable(new, old) == ""
