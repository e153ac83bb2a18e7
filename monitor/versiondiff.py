"""The difference between two versions of an article: field changes beside the text diff.

``diff_json`` is the documented JSON form (``palimpsest diff --format json``); its keys are
stable. Renderers for people live in ``palimpsest.render``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.textdiff import TextDiff, diff_texts

SCHEMA = "palimpsest.diff/1"
FIELDS = ("title", "byline", "published", "modified", "paywall", "word_count", "url")


@dataclass(frozen=True)
class VersionView:
    """A version as the diff needs it: its number, when it was first seen, fields, text."""

    seq: int
    seen_at: datetime
    text: str
    title: str | None = None
    byline: str | None = None
    published: str | None = None
    modified: str | None = None
    paywall: str | None = None
    word_count: int = 0
    url: str | None = None


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class VersionDiff:
    old: VersionView
    new: VersionView
    fields: tuple[FieldChange, ...]
    text: TextDiff


def compare_versions(old: VersionView, new: VersionView) -> VersionDiff:
    fields = tuple(
        FieldChange(name, getattr(old, name), getattr(new, name))
        for name in FIELDS
        if getattr(old, name) != getattr(new, name)
    )
    return VersionDiff(old, new, fields, diff_texts(old.text, new.text))


def _version_json(view: VersionView) -> dict[str, Any]:
    return {
        "seq": view.seq,
        "seen_at": view.seen_at.isoformat(),
        **{name: getattr(view, name) for name in FIELDS},
    }


def diff_json(diff: VersionDiff) -> dict[str, Any]:
    """The diff as one JSON-ready document.

    ``paragraphs`` lists the alignment in the new text's order: ``op`` is equal, edited,
    inserted, deleted or moved; ``old_index``/``new_index`` number the paragraphs of each
    text from 0; ``words`` (edited and moved paragraphs) are ``[op, old, new]`` triples
    whose ``old`` parts join to the old paragraph and ``new`` parts to the new one.
    """
    return {
        "schema": SCHEMA,
        "from": _version_json(diff.old),
        "to": _version_json(diff.new),
        "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in diff.fields],
        "stats": diff.text.stats,
        "degraded": diff.text.degraded,
        "paragraphs": [
            {
                "op": block.kind,
                "old_index": block.old_index,
                "new_index": block.new_index,
                "old": block.old,
                "new": block.new,
                "words": [[op.op, op.old, op.new] for op in block.words],
            }
            for block in diff.text.blocks
        ],
    }


def apply_json(old_text: str, document: dict[str, Any]) -> str:
    """The new text, rebuilt from the old one and a ``diff_json`` document."""
    old = [p.strip() for p in old_text.splitlines() if p.strip()]
    out = []
    for para in document["paragraphs"]:
        if para["op"] == "deleted":
            continue
        if para["op"] == "inserted":
            out.append(para["new"])
        elif para["words"]:
            if "".join(w[1] for w in para["words"]) != old[para["old_index"]]:
                raise ValueError(f"paragraph {para['old_index']} of the old text differs")
            out.append("".join(w[2] for w in para["words"]))
        else:
            out.append(old[para["old_index"]])
    return "\n".join(out)
