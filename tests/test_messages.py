"""Alert messages from the default templates, for each format, on plain values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from palimpsest.alerting.channels import masked, scrub
from palimpsest.alerting.messages import (
    FIELDS,
    Side,
    change_fields,
    compile_template,
    render_alert,
    render_digest,
    sample_fields,
)
from palimpsest.errors import InvalidChannel

OLD = "The council met on Tuesday.\nThe vote was 7 to 2 in favour of the plan."
NEW = "The council met on Tuesday.\nThe vote was 6 to 3 in favour of the plan."


def fields(**extra):
    values = dict(
        change_id=12,
        watch_id=3,
        url="https://news.example.com/vote",
        kinds=["text_changed"],
        significance=0.2,
        detected_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC),
        words_added=2,
        words_removed=2,
        old=Side(1, "Council votes", OLD, "free"),
        new=Side(2, "Council votes", NEW, "free"),
    )
    values.update(extra)
    return change_fields(**values)


def test_every_documented_field_is_filled_and_no_other():
    assert set(fields()) == set(FIELDS)


def test_a_text_edit_shows_the_changed_sentence_with_markers_in_each_format():
    text = render_alert(fields(), "text")
    assert text.title == "Text changed: Council votes"
    assert "~ The vote was [-7-]{+6+} to [-2-]{+3+} in favour of the plan." in text.body
    assert "The council met on Tuesday" not in text.body, "unchanged sentences stay out"
    markdown = render_alert(fields(), "markdown").body
    assert "~~7~~**6** to ~~2~~**3**" in markdown
    html = render_alert(fields(), "html").body
    assert '<del style="color:#b00">[-7-]</del><ins style="color:#070">{+6+}</ins> to' in html


def test_markup_in_an_article_is_text_in_html_and_escaped_in_markdown():
    sneaky = Side(2, "Council <b>votes</b>", NEW + "\n<script>alert(1)</script> *wow*", "free")
    html = render_alert(fields(new=sneaky), "html").body
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Council &lt;b&gt;votes&lt;/b&gt;" in html
    markdown = render_alert(fields(new=sneaky), "markdown").body
    assert r"\*wow\*" in markdown


def test_a_lifted_paywall_quotes_the_newly_readable_text():
    teaser = Side(1, "Council votes", "The council met on Tuesday.", "gated")
    whole = Side(2, "Council votes", OLD, "free")
    body = render_alert(
        fields(kinds=["paywall_lifted", "text_changed"], old=teaser, new=whole), "text"
    ).body
    assert "Paywall: gated -> free" in body
    assert "Now readable:\n> The vote was 7 to 2 in favour of the plan." in body


def test_the_excerpt_is_cut_to_the_budget_and_says_so():
    long_new = NEW + "\n" + " ".join(["More words were added to the story here."] * 80)
    cut = fields(new=Side(2, "Council votes", long_new, "free"), budget=300)
    assert cut["excerpt_truncated"] and sum(len(line["text"]) for line in cut["excerpt"]) <= 300
    assert render_alert(cut, "text").body.count("…") >= 1


def test_a_removed_article_has_no_excerpt_and_a_diff_link_only_between_versions():
    gone = fields(kinds=["removed"], new=None, diff_url=None)
    body = render_alert(gone, "text").body
    assert body.startswith("Article removed: Council votes\n") and "What changed" not in body
    linked = render_alert(fields(diff_url="https://p.example/watches/3/diff/1/2"), "text").body
    assert "Diff: https://p.example/watches/3/diff/1/2" in linked


def test_a_digest_lists_each_change_once():
    many = [fields(change_id=n) for n in range(1, 4)]
    digest = render_digest(many, "text", "daily")
    assert digest.title == "3 article changes (daily digest)"
    assert [f"change {n}," in digest.body for n in range(1, 4)] == [True] * 3


def test_user_templates_are_sandboxed_and_checked_when_added():
    assert compile_template("{{ title }} {{ kinds|join(',') }}", "text").render(sample_fields())
    with pytest.raises(InvalidChannel, match="bad alert template"):
        compile_template("{{ ''.__class__.__mro__[1].__subclasses__() }}", "text")
    with pytest.raises(InvalidChannel, match="'titel' is undefined"):
        compile_template("{{ titel }}", "text")
    with pytest.raises(InvalidChannel, match="line 1"):
        compile_template("{% if %}", "text")


def test_secrets_never_show_in_masked_urls_or_errors():
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general"
    assert "TIiajkdnlazkcOXrIdevi7FQ" not in masked(url)
    assert scrub("token TIiajkdnlazkcOXrIdevi7FQ refused", url) == "token **** refused"
    assert masked("nonsense") == "…" and masked("weird://a:b@c") == "weird://…"
