"""One self-contained HTML page: field changes on top, side-by-side and inline views.

No external assets and no script; readable on a phone (the columns stack on a narrow
screen). Article text is always escaped: a version holding ``<script>`` shows it as text.
"""

from __future__ import annotations

from html import escape

from monitor.textdiff import DELETED, EQUAL, INSERTED, MOVED, Block
from monitor.versiondiff import VersionDiff
from palimpsest.render import RenderOptions, register
from palimpsest.render.terminal import header, visible_blocks

STYLE = """
body{font:16px/1.5 Georgia,serif;margin:0 auto;max-width:72rem;padding:1rem;color:#222}
header p{margin:.2rem 0;color:#555}
table.fields{border-collapse:collapse;margin:.5rem 0}
table.fields td,table.fields th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
nav a{margin-right:1rem}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:.3rem 1rem}
.grid p,.inline p{margin:.2rem 0;padding:.3rem .5rem;border-left:3px solid transparent}
.edited{border-color:#e0b000!important}.inserted{border-color:#2a2!important}
.deleted{border-color:#c22!important}.moved{border-color:#27c!important}
del{background:#fdd;color:#900}ins{background:#dfd;color:#060;text-decoration:none}
.gap{color:#666;text-align:center}.note{font-size:.85em;color:#1a5da6}
.skip{position:absolute;left:-999rem}.skip:focus{left:1rem;background:#fff;padding:.3rem}
:focus-visible{outline:3px solid #0645ad;outline-offset:2px}
@media (max-width:700px){.grid{grid-template-columns:1fr}.grid .old:empty{display:none}}
"""


def _words(block: Block, side: str) -> str:
    """The paragraph's HTML on one side ("old", "new" or "both" for the inline view)."""
    if not block.words:
        text = block.old if side == "old" else block.new
        return escape(text or "")
    out = []
    for op in block.words:
        if op.op == "equal":
            out.append(escape(op.new))
            continue
        if side in ("old", "both") and op.old:
            out.append(f"<del>{escape(op.old)}</del>")
        if side in ("new", "both") and op.new:
            out.append(f"<ins>{escape(op.new)}</ins>")
    return "".join(out)


def _side_by_side(block: Block | None) -> str:
    if block is None:
        return '<p class="gap">…</p><p class="gap">…</p>'
    old = "" if block.kind == INSERTED else _words(block, "old")
    new = "" if block.kind == DELETED else _words(block, "new")
    if block.kind == DELETED:
        old = f"<del>{old}</del>"
    if block.kind == INSERTED:
        new = f"<ins>{new}</ins>"
    if block.kind == MOVED:
        new = f'<span class="note">moved from paragraph {block.old_index + 1}</span> {new}'
    return f'<p class="old {block.kind}">{old}</p><p class="new {block.kind}">{new}</p>'


def _inline(block: Block | None) -> str:
    if block is None:
        return '<p class="gap">…</p>'
    if block.kind == EQUAL:
        body = escape(block.new)
    elif block.kind == INSERTED:
        body = f"<ins>{escape(block.new)}</ins>"
    elif block.kind == DELETED:
        body = f"<del>{escape(block.old)}</del>"
    else:
        body = _words(block, "both")
        if block.kind == MOVED:
            body = f'<span class="note">moved from paragraph {block.old_index + 1}</span> {body}'
    return f'<p class="{block.kind}">{body}</p>'


@register("html")
def render_html(diff: VersionDiff, options: RenderOptions) -> str:
    """One self-contained HTML page: side by side and inline, escaped, phone-friendly."""
    title = diff.new.title or diff.old.title or "Article"
    lines = header(diff)
    fields = "".join(
        f'<tr><th scope="row">{escape(f.field)}</th><td><del>{escape(str(f.old))}</del></td>'
        f"<td><ins>{escape(str(f.new))}</ins></td></tr>"
        for f in diff.fields
    )
    shown = visible_blocks(diff.text.blocks, options.context)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}: version {diff.old.seq} → {diff.new.seq}</title>"
        f"<style>{STYLE}</style></head><body>{options.top}"
        f'<main id="main"><header><h1>{escape(title)}</h1>'
        + "".join(f"<p>{escape(line)}</p>" for line in lines[:3])
        + (f'<table class="fields">{fields}</table>' if fields else "")
        + '<nav><a href="#side-by-side">Side by side</a><a href="#inline">Inline</a></nav>'
        "</header>"
        '<section id="side-by-side"><h2>Side by side</h2><div class="grid">'
        + "".join(_side_by_side(b) for b in shown)
        + '</div></section><section id="inline"><h2>Inline</h2><div class="inline">'
        + "".join(_inline(b) for b in shown)
        + "</div></section></main></body></html>\n"
    )
