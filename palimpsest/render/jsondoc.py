"""The diff as JSON (``monitor.versiondiff.diff_json``: the documented, stable schema)."""

from __future__ import annotations

import json

from monitor.versiondiff import VersionDiff, diff_json
from palimpsest.render import RenderOptions, register


@register("json")
def render_json(diff: VersionDiff, options: RenderOptions) -> str:
    """The palimpsest.diff/1 JSON document (stable keys; see the README)."""
    return json.dumps(diff_json(diff), indent=2, ensure_ascii=False) + "\n"
