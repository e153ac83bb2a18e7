"""Alert messages: the documented fields of a change event, rendered by Jinja2 templates.

Templates run in Jinja2's sandbox (a channel's own template is user input). Each message
comes in the format the channel takes best: plain text, Markdown or HTML; HTML templates
escape every field, so an article's text that contains markup shows as text. The diff
excerpt is cut to fit the channel's longest message.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jinja2 import PackageLoader, StrictUndefined, TemplateError, select_autoescape
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from monitor.compare import PAYWALL_LIFTED
from monitor.excerpt import excerpt, newly_readable
from palimpsest.alerting.channels import FORMATS, HTML
from palimpsest.errors import InvalidChannel

# The fields every alert template sees; a digest template sees ``changes`` (a list of these),
# ``count``, ``more`` (changes left out of the message) and ``period``.
FIELDS: dict[str, str] = {
    "change_id": "the change event's id (`palimpsest diff WATCH --change ID`)",
    "watch_id": "the watch's id",
    "url": "the article's URL",
    "title": "the article's headline now (the old one if the article is gone)",
    "old_title": "the headline before the change",
    "new_title": "the headline after the change",
    "headline": "the change in a few words, like 'Paywall lifted'",
    "kinds": "the change kinds, a list like ['paywall_lifted', 'text_changed']",
    "kinds_text": "the kinds in words: 'paywall lifted, text changed'",
    "paywall_before": "free, metered, gated or unknown",
    "paywall_after": "free, metered, gated or unknown",
    "significance": "how much the change matters, 0 to 1",
    "detected_at": "when the change was seen, ISO 8601 UTC",
    "words_added": "words added to the text",
    "words_removed": "words removed from the text",
    "excerpt": "the changed sentences: a list of {kind, text}, kind inserted/deleted/edited, "
    "edits marked [-removed-]{+added+}",
    "excerpt_truncated": "true when the excerpt was cut to fit the channel",
    "newly_readable": "for a paywall lifted: the start of the text that became readable",
    "moved_to": "for a moved article: its new URL",
    "from_version": "the version number before the change",
    "to_version": "the version number after the change",
    "diff_url": "a link to the HTML diff when PALIMPSEST_WEB_URL is set, else empty",
}

HEADLINES = {
    "paywall_lifted": "Paywall lifted",
    "paywall_added": "Paywall added",
    "removed": "Article removed",
    "restored": "Article restored",
    "moved": "Article moved",
    "title_changed": "Headline changed",
    "text_changed": "Text changed",
}
QUOTE_CHARS = 400
DIGEST_MAX = 50  # changes listed in one digest message; the rest are counted


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    format: str


@dataclass(frozen=True)
class Side:
    """One end of a change: the version's number, headline, text and paywall state."""

    seq: int | None
    title: str | None
    text: str
    paywall: str


def change_fields(
    *,
    change_id: int,
    watch_id: int,
    url: str,
    kinds: list[str],
    significance: float,
    detected_at: datetime,
    words_added: int,
    words_removed: int,
    old: Side | None,
    new: Side | None,
    moved_to: str | None = None,
    diff_url: str | None = None,
    budget: int = 1500,
) -> dict[str, Any]:
    """The template fields of one change event (see FIELDS)."""
    old_text, new_text = (old.text if old else ""), (new.text if new else "")
    cut = excerpt(old_text, new_text, budget) if old and new else None
    quote = ""
    if PAYWALL_LIFTED in kinds and old and new:
        quote = newly_readable(old_text, new_text, QUOTE_CHARS)
    old_title, new_title = (old.title if old else None), (new.title if new else None)
    return {
        "change_id": change_id,
        "watch_id": watch_id,
        "url": url,
        "title": new_title or old_title or url,
        "old_title": old_title,
        "new_title": new_title,
        "headline": HEADLINES.get(kinds[0], kinds[0]) if kinds else "Changed",
        "kinds": list(kinds),
        "kinds_text": ", ".join(k.replace("_", " ") for k in kinds),
        "paywall_before": old.paywall if old else "unknown",
        "paywall_after": new.paywall if new else (old.paywall if old else "unknown"),
        "significance": round(significance, 3),
        "detected_at": detected_at.isoformat(timespec="seconds"),
        "words_added": cut.words_added if cut else words_added,
        "words_removed": cut.words_removed if cut else words_removed,
        "excerpt": [asdict(line) for line in cut.lines] if cut else [],
        "excerpt_truncated": bool(cut and cut.truncated),
        "newly_readable": quote,
        "moved_to": moved_to if "moved" in kinds else None,
        "from_version": old.seq if old else None,
        "to_version": new.seq if new else None,
        "diff_url": diff_url or "",
    }


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_REMOVED = re.compile(r"\[-(.*?)-\]", re.S)
_ADDED = re.compile(r"\{\+(.*?)\+\}", re.S)


def _md(value: Any) -> str:
    return _MD_SPECIAL.sub(r"\\\1", str(value or ""))


def _marked_md(value: str) -> str:
    """``[-a-]{+b+}`` markers as Markdown strike-through and bold, the rest escaped."""
    parts, last = [], 0
    for m in re.finditer(r"\[-(.*?)-\]|\{\+(.*?)\+\}", value, re.S):
        parts.append(_md(value[last : m.start()]))
        parts.append(f"~~{_md(m[1])}~~" if m[1] is not None else f"**{_md(m[2])}**")
        last = m.end()
    parts.append(_md(value[last:]))
    return "".join(parts)


def _marked_html(value: str) -> Markup:
    """``[-a-]{+b+}`` markers wrapped in ``<del>``/``<ins>``, the text escaped. The markers
    stay: email's plain-text part is made from the HTML, and must still show what changed."""
    safe = str(escape(value))
    safe = _REMOVED.sub(r'<del style="color:#b00">[-\1-]</del>', safe)
    return Markup(_ADDED.sub(r'<ins style="color:#070">{+\1+}</ins>', safe))


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=PackageLoader("palimpsest.alerting", "templates"),
        autoescape=select_autoescape(["html.j2"], default_for_string=autoescape),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=_md, marked_md=_marked_md, marked_html=_marked_html)
    return env


_PLAIN, _ESCAPED = _environment(autoescape=False), _environment(autoescape=True)


def render_alert(fields: dict[str, Any], body_format: str, template: str | None = None) -> Message:
    """One change's message in ``body_format``; ``template`` is a channel's own body template."""
    title = _one_line(_PLAIN.get_template("title.j2").render(fields))
    if template is not None:
        body = compile_template(template, body_format).render(fields)
    else:
        body = _PLAIN.get_template(f"alert.{body_format}.j2").render(fields)
    return Message(title, body.strip() + "\n", body_format)


def render_digest(changes: list[dict[str, Any]], body_format: str, period: str) -> Message:
    shown = changes[:DIGEST_MAX]
    context = {
        "changes": shown,
        "count": len(changes),
        "more": len(changes) - len(shown),
        "period": period,
    }
    title = _one_line(_PLAIN.get_template("digest_title.j2").render(context))
    body = _PLAIN.get_template(f"digest.{body_format}.j2").render(context)
    return Message(title, body.strip() + "\n", body_format)


def compile_template(source: str, body_format: str):
    """A channel's template, checked now: a syntax error or an unknown field is one line."""
    if body_format not in FORMATS:
        raise InvalidChannel(f"unknown message format {body_format!r} (known: {FORMATS})")
    env = _ESCAPED if body_format == HTML else _PLAIN
    try:
        compiled = env.from_string(source)
        compiled.render(sample_fields())
    except TemplateError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise InvalidChannel(f"bad alert template{where}: {exc.message or exc}") from None
    return compiled


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def sample_fields(diff_url: str | None = None) -> dict[str, Any]:
    """A made-up change (``alerts test`` sends it; templates are checked against it)."""
    from palimpsest.app import utcnow

    return change_fields(
        change_id=0,
        watch_id=0,
        url="https://news.example.com/2026/council-vote",
        kinds=["paywall_lifted", "text_changed"],
        significance=0.42,
        detected_at=utcnow(),
        words_added=24,
        words_removed=0,
        old=Side(1, "Council votes on budget", "The council met on Tuesday.", "gated"),
        new=Side(
            2,
            "Council votes on budget",
            "The council met on Tuesday.\nThe budget passed 7 to 2 after a long debate "
            "about the new library and the cost of road repairs.",
            "free",
        ),
        diff_url=diff_url,
    )
