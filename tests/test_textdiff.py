"""The article diff on hand-built pairs with known edits: the exact paragraph alignment and
word operations, the round trip, the renderers (HTML escaped, unified diff applies)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from monitor.textdiff import MAX_PAIRS, apply_diff, diff_texts
from monitor.versiondiff import VersionView, apply_json, compare_versions, diff_json
from palimpsest.render import RENDERERS, RenderOptions, render

P = [
    "The council voted on Tuesday to close the harbour bridge to cars.",
    "Buses and cyclists may still cross while repairs are planned.",
    "Shop owners on the north bank fear they will lose customers.",
    "The bridge was built in 1931 and carries twelve thousand cars a day.",
]


def text(*paragraphs: str) -> str:
    return "\n".join(paragraphs)


# name: (old, new, [(kind, old_index, new_index), ...], stats subset)
PAIRS = {
    "identical": (text(*P), text(*P), [("equal", i, i) for i in range(4)], {"words_added": 0}),
    "three-words-edited-in-place": (
        text(*P),
        text(P[0], P[1].replace("while repairs are planned", "until May"), P[2], P[3]),
        [("equal", 0, 0), ("edited", 1, 1), ("equal", 2, 2), ("equal", 3, 3)],
        {"paragraphs_edited": 1, "words_added": 2, "words_removed": 4},
    ),
    "paragraph-inserted": (
        text(*P),
        text(P[0], "A new paragraph about detours.", *P[1:]),
        [("equal", 0, 0), ("inserted", None, 1), ("equal", 1, 2), ("equal", 2, 3), ("equal", 3, 4)],
        {"paragraphs_added": 1, "words_added": 5},
    ),
    "paragraph-deleted": (
        text(*P),
        text(P[0], P[2], P[3]),
        [("equal", 0, 0), ("deleted", 1, None), ("equal", 2, 1), ("equal", 3, 2)],
        {"paragraphs_removed": 1, "words_removed": 10},
    ),
    "paragraph-moved": (
        text(*P),
        text(P[3], P[0], P[1], P[2]),
        [("moved", 3, 0), ("equal", 0, 1), ("equal", 1, 2), ("equal", 2, 3)],
        {"paragraphs_moved": 1, "words_added": 0, "words_removed": 0},
    ),
    "correction-appended": (
        text(*P),
        text(*P, "Correction: the bridge was built in 1931, not 1913."),
        [*[("equal", i, i) for i in range(4)], ("inserted", None, 4)],
        {"paragraphs_added": 1},
    ),
    "right-to-left-and-unicode": (
        text("صوت المجلس على إغلاق الجسر", "Ünïcödé café 東京"),
        text("صوت المجلس على فتح الجسر", "Ünïcödé café 東京"),
        [("edited", 0, 0), ("equal", 1, 1)],
        {"words_added": 1, "words_removed": 1},
    ),
    "from-empty": ("", text(P[0]), [("inserted", None, 0)], {"paragraphs_added": 1}),
    "to-empty": (text(P[0]), "", [("deleted", 0, None)], {"paragraphs_removed": 1}),
    "both-empty": ("", "", [], {"share_changed": 0}),
}


@pytest.mark.parametrize("name", PAIRS)
def test_pairs_align_as_expected_and_round_trip(name):
    old, new, alignment, stats = PAIRS[name]
    diff = diff_texts(old, new)
    assert [(b.kind, b.old_index, b.new_index) for b in diff.blocks] == alignment
    assert {k: diff.stats[k] for k in stats} == stats
    assert apply_diff(old, diff) == text(*[p for p in new.splitlines() if p.strip()])
    assert not diff.degraded


def test_an_edit_of_three_words_is_not_a_replaced_paragraph():
    diff = diff_texts(text(*P), text(P[0].replace("Tuesday", "Monday"), *P[1:]))
    (edited,) = [b for b in diff.blocks if b.kind != "equal"]
    changes = [(op.old.strip(), op.new.strip()) for op in edited.words if op.op != "equal"]
    assert changes == [("Tuesday", "Monday")]


def test_a_full_rewrite_is_bounded_and_says_so():
    old = text(*[f"Paragraph {i} says one thing about the bridge." for i in range(100)])
    new = text(*[f"Entirely different sentence number {i} with new words." for i in range(100)])
    assert MAX_PAIRS < 100 * 100
    diff = diff_texts(old, new)
    assert diff.degraded and diff.stats["share_changed"] == 1.0
    assert apply_diff(old, diff) == new


def view(seq: int, body: str, title: str = "Bridge to close") -> VersionView:
    moment = datetime(2026, 11, 28, 9, seq, tzinfo=UTC)
    return VersionView(
        seq=seq,
        seen_at=moment,
        text=body,
        title=title,
        word_count=len(body.split()),
        paywall="free",
    )


def test_the_json_document_is_stable_and_applies_to_the_old_text():
    old, new = (
        view(1, text(*P)),
        view(2, text(P[3], P[0], P[1].replace("Buses", "Trams"), P[2]), "Bridge closes"),
    )
    document = json.loads(render("json", compare_versions(old, new), RenderOptions()))
    assert set(document) == {"schema", "from", "to", "fields", "stats", "degraded", "paragraphs"}
    assert document["fields"] == [
        {"field": "title", "old": "Bridge to close", "new": "Bridge closes"}
    ]
    assert [p["op"] for p in document["paragraphs"]] == ["moved", "equal", "edited", "equal"]
    assert apply_json(old.text, document) == new.text
    assert document == diff_json(compare_versions(old, new))


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.data.append(data)


def test_the_html_page_escapes_article_text_and_needs_nothing_external():
    hostile = '<script>alert("x")</script> and <img src=x onerror=alert(1)>'
    page = render(
        "html", compare_versions(view(1, P[0]), view(2, P[0] + " " + hostile)), RenderOptions()
    )
    parsed = _Elements()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert any('<script>alert("x")</script>' in d for d in parsed.data)
    assert "http" not in page.replace("http-equiv", ""), "no external assets"
    assert 'name="viewport"' in page and "side-by-side" in page and "inline" in page


def test_the_unified_diff_applies_with_patch(tmp_path):
    old, new = view(1, text(*P)), view(2, text(P[0], "A new paragraph.", *P[2:], "The end."))
    (tmp_path / "article.txt").write_text(old.text + "\n")
    patch = render("unified", compare_versions(old, new), RenderOptions(context=3))
    subprocess.run(
        ["patch", "-s", str(tmp_path / "article.txt")], input=patch, text=True, check=True
    )
    assert (tmp_path / "article.txt").read_text() == new.text + "\n"


def test_the_terminal_diff_marks_words_and_keeps_context_short():
    many = [f"Paragraph {i} is about something." for i in range(20)]
    edited = list(many)
    edited[10] = "Paragraph 10 is about something else."
    output = render(
        "text",
        compare_versions(view(1, text(*many)), view(2, text(*edited))),
        RenderOptions(context=1),
    )
    assert "Paragraph 10 is about [-something.-]{+something else.+}" in output
    assert "Paragraph 9 " in output and "Paragraph 11 " in output
    assert "Paragraph 5 " not in output and "…" in output
    assert set(RENDERERS) == {"text", "unified", "html", "json"}
