"""Show the difference between two versions in a terminal: header, title change, word diff."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from db.models import Version
from monitor.worddiff import DiffOp, diff_stats, render_markers, word_diff


def render_diff(console: Console, old: Version, new: Version) -> None:
    """Colour on a terminal; ``[-removed-]{+added+}`` markers anywhere else."""
    ops = word_diff(old.text, new.text)
    stats = diff_stats(ops)
    console.print(
        f"--- version {old.seq}  {old.first_seen_at:%Y-%m-%d %H:%M:%S %Z}\n"
        f"+++ version {new.seq}  {new.first_seen_at:%Y-%m-%d %H:%M:%S %Z}\n"
        f"{stats['words_added']} words added, {stats['words_removed']} removed",
        markup=False,
        highlight=False,
    )
    if (old.title or "") != (new.title or ""):
        console.print(f"title: {old.title!r} → {new.title!r}", markup=False, highlight=False)
    console.print()
    if console.is_terminal:
        console.print(_coloured(ops), highlight=False)
    else:
        console.print(render_markers(ops), markup=False, highlight=False, soft_wrap=True)


def _coloured(ops: list[DiffOp]) -> Text:
    text = Text()
    for op in ops:
        if op.op == "equal":
            text.append(op.new)
            continue
        if op.old:
            text.append(op.old, style="red strike")
        if op.new:
            text.append(op.new, style="green underline")
    return text
