"""What this Palimpsest can do, from its registries: ``palimpsest features``."""

from __future__ import annotations

from typing import Any

from monitor.check import OUTCOMES
from monitor.compare import KINDS
from monitor.paywall import SIGNALS, STATES
from palimpsest.alerting.messages import FIELDS
from palimpsest.render import RENDERERS
from palimpsest.settings import SETTINGS


def features() -> dict[str, Any]:
    return {
        "change_kinds": list(KINDS),
        "snapshot_outcomes": list(OUTCOMES),
        "paywall_states": list(STATES),
        "paywall_signals": {
            name: {"weight": weight, "metered": metered, "meaning": meaning}
            for name, (weight, metered, meaning) in SIGNALS.items()
        },
        "diff_formats": {
            name: (renderer.__doc__ or "").strip() for name, renderer in sorted(RENDERERS.items())
        },
        "alert_template_fields": dict(FIELDS),
        "settings": {f"PALIMPSEST_{s.name}": s.help for s in SETTINGS},
    }


def features_text(found: dict[str, Any]) -> str:
    lines = ["change kinds: " + ", ".join(found["change_kinds"])]
    lines.append("snapshot outcomes: " + ", ".join(found["snapshot_outcomes"]))
    lines.append("paywall states: " + ", ".join(found["paywall_states"]))
    lines.append("diff formats (--format):")
    lines.extend(f"  {name:10} {doc}" for name, doc in found["diff_formats"].items())
    lines.append("paywall signals:")
    lines.extend(
        f"  {name:28} {s['weight']:+.2f}  {s['meaning']}"
        for name, s in found["paywall_signals"].items()
    )
    lines.append("alert template fields:")
    lines.extend(f"  {name:18} {doc}" for name, doc in found["alert_template_fields"].items())
    lines.append("settings:")
    lines.extend(f"  {name:36} {meaning}" for name, meaning in found["settings"].items())
    return "\n".join(lines) + "\n"
