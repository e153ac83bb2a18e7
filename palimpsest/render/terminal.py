"""The terminal diff: a header with both versions and the stats, field changes, then the
changed paragraphs with N paragraphs of context; colour on a TTY, ``[-…-]{+…+}`` elsewhere."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.text import Text

from monitor.textdiff import DELETED, EQUAL, INSERTED, MOVED, Block
from monitor.versiondiff import VersionDiff
from monitor.worddiff import render_markers
from palimpsest.render import RenderOptions, register


def header(diff: VersionDiff) -> list[str]:
    stats = diff.text.stats
    lines = [
        f"--- version {diff.old.seq}  {diff.old.seen_at:%Y-%m-%d %H:%M:%S %Z}",
        f"+++ version {diff.new.seq}  {diff.new.seen_at:%Y-%m-%d %H:%M:%S %Z}",
        f"{stats['words_added']} words added, {stats['words_removed']} removed "
        f"({stats['share_changed']:.1%} of the text); paragraphs: "
        f"{stats['paragraphs_added']} added, {stats['paragraphs_removed']} removed, "
        f"{stats['paragraphs_edited']} edited, {stats['paragraphs_moved']} moved",
    ]
    if diff.text.degraded:
        lines.append("(a large rewrite: shown paragraph by paragraph, not word by word)")
    lines.extend(f"{f.field}: {f.old!r} → {f.new!r}" for f in diff.fields)
    return lines


def visible_blocks(blocks: tuple[Block, ...], context: int | None) -> list[Block | None]:
    """The blocks to show: changes and ``context`` equal paragraphs around them; None for a gap."""
    if context is None:
        return list(blocks)
    changed = [k for k, b in enumerate(blocks) if b.kind != EQUAL]
    keep = {k for c in changed for k in range(c - context, c + context + 1)}
    out: list[Block | None] = []
    for k, block in enumerate(blocks):
        if k in keep:
            out.append(block)
        elif out and out[-1] is not None:
            out.append(None)
    return out


def _plain(block: Block) -> str:
    if block.kind == EQUAL:
        return block.new
    if block.kind == INSERTED:
        return f"{{+{block.new}+}}"
    if block.kind == DELETED:
        return f"[-{block.old}-]"
    body = render_markers(list(block.words)) if block.words else block.new
    return f"(moved from paragraph {block.old_index + 1}) {body}" if block.kind == MOVED else body


def _coloured(block: Block) -> Text:
    text = Text()
    if block.kind == MOVED:
        text.append(f"(moved from paragraph {block.old_index + 1}) ", style="cyan")
    if block.kind == EQUAL or (block.kind == MOVED and not block.words):
        text.append(block.new)
    elif block.kind == INSERTED:
        text.append(block.new, style="green")
    elif block.kind == DELETED:
        text.append(block.old, style="red strike")
    else:
        for op in block.words:
            if op.op == "equal":
                text.append(op.new)
                continue
            text.append(op.old, style="red strike")
            text.append(op.new, style="green underline")
    return text


@register("text")
def render_text(diff: VersionDiff, options: RenderOptions) -> str:
    """Colour on a terminal, [-removed-]{+added+} elsewhere, with --context paragraphs."""
    lines = header(diff)
    if not diff.text.changed:
        lines.append("the text is the same")
    shown = visible_blocks(diff.text.blocks, options.context)
    if not options.color:
        body = ["…" if b is None else _plain(b) for b in shown]
        return "\n".join([*lines, "", *body]) + "\n"
    buffer = StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, highlight=False)
    console.print("\n".join(lines), markup=False)
    console.print()
    for block in shown:
        console.print("…" if block is None else _coloured(block))
    return buffer.getvalue()
