"""A unified diff of the text, one paragraph a line: what ``patch`` and reviewers read."""

from __future__ import annotations

from difflib import unified_diff

from monitor.textdiff import paragraphs
from monitor.versiondiff import VersionDiff
from palimpsest.render import RenderOptions, register


@register("unified")
def render_unified(diff: VersionDiff, options: RenderOptions) -> str:
    """A unified diff, one paragraph a line (applies with patch)."""
    lines = unified_diff(
        [p + "\n" for p in paragraphs(diff.old.text)],
        [p + "\n" for p in paragraphs(diff.new.text)],
        fromfile=f"version-{diff.old.seq}",
        tofile=f"version-{diff.new.seq}",
        fromfiledate=diff.old.seen_at.isoformat(),
        tofiledate=diff.new.seen_at.isoformat(),
        n=3 if options.context is None else options.context,
    )
    return "".join(lines)
