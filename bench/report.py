"""The throughput bench's numbers: derived rates, the JSON document, the Rich table."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

SCENARIOS = {
    "etag": "304 Not Modified (ETag)",
    "same": "unchanged 200 (same bytes)",
    "changed": "changed page (new version)",
    "noisy": "noisy 200, article unchanged (fast path)",
}
# Derived rows: the noisy pages again with the fast path off (bench/throughput.py).
ROWS = {**SCENARIOS, "noisy-full": "noisy 200, article unchanged (full extraction)"}
# Checks per CPU-second of our process ("per core") that the project aims for.
TARGETS = {"etag": 1500, "same": 1000, "changed": 60, "noisy": 400, "noisy-full": 400}


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def derive(run: dict[str, Any]) -> dict[str, Any]:
    ours, base, mode = run["ours"], run["baseline"], run["mode"]
    ours_s = _rate(ours["checks"], ours["seconds"])
    ours_cpu = _rate(ours["checks"], ours["cpu_seconds"])
    base_s = _rate(base["requests"], base["seconds"])
    base_cpu = _rate(base["requests"], base["cpu_seconds"])
    scrapy = run.get("scrapy")
    scrapy_cpu = _rate(scrapy["requests"], scrapy["cpu_seconds"]) if scrapy else 0.0
    return {
        "scenario": ROWS[mode],
        "ours_checks_per_s": round(ours_s, 1),
        "ours_checks_per_cpu_s": round(ours_cpu, 1),
        "baseline_requests_per_s": round(base_s, 1),
        "baseline_requests_per_cpu_s": round(base_cpu, 1),
        "ratio": round(ours_s / base_s, 3) if base_s else None,
        "ratio_per_cpu_s": round(ours_cpu / base_cpu, 3) if base_cpu else None,
        "scrapy_requests_per_cpu_s": round(scrapy_cpu, 1) if scrapy else None,
        "ratio_to_scrapy_per_cpu_s": round(ours_cpu / scrapy_cpu, 3) if scrapy_cpu else None,
        "target_per_core": TARGETS[mode],
        "meets_target": ours_cpu >= TARGETS[mode],
        "server_busy_ours": round(_rate(ours["server_cpu_seconds"], ours["seconds"]), 2),
        "server_busy_baseline": round(_rate(base["server_cpu_seconds"], base["seconds"]), 2),
    }


def summarise(runs: list[dict[str, Any]], args: Any, corpus: Path) -> dict[str, Any]:
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": {p: version(p) for p in ("scrapy", "twisted", "aiohttp", "trafilatura")},
        "watches": args.watches,
        "changed_watches": min(args.watches, args.changed_watches),
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "pages": "corpus" if corpus.is_dir() else "generated",
        "scenarios": [{**run, "derived": derive(run)} for run in runs],
    }


def print_table(result: dict[str, Any]) -> None:
    table = Table(
        title=f"Palimpsest throughput: concurrency {result['concurrency']}, "
        f"{result['pages']} pages, load average {result['load_average']['before']:.1f} before",
        caption="per CPU-s = per CPU-second of that process (user + system, all its threads); "
        "bare Scrapy = a spider in the checker's reactor and tuning that only fetches (and "
        "hashes 200s); server busy = the server's CPU-seconds per second while timed",
    )
    for column in ("scenario", "outcomes (ours)"):
        table.add_column(column)
    table.add_column("watches", justify="right")
    for column in (
        "ours checks/s",
        "ours per CPU-s",
        "aiohttp per CPU-s",
        "bare Scrapy per CPU-s",
        "ours/aiohttp per CPU-s",
        "ours/Scrapy per CPU-s",
        "target per core",
        "server busy (ours/aiohttp)",
    ):
        table.add_column(column, justify="right")
    for run in result["scenarios"]:
        d, ours = run["derived"], run["ours"]
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(ours["recorded"].items()))
        target = f"{d['target_per_core']:,}" + (" ✓" if d["meets_target"] else " ✗")
        table.add_row(
            d["scenario"],
            outcomes,
            f"{ours['watches']:,}",
            f"{d['ours_checks_per_s']:,.0f}",
            f"{d['ours_checks_per_cpu_s']:,.0f}",
            f"{d['baseline_requests_per_cpu_s']:,.0f}",
            _number(d["scrapy_requests_per_cpu_s"], "{:,.0f}"),
            _number(d["ratio_per_cpu_s"], "{:.2f}"),
            _number(d["ratio_to_scrapy_per_cpu_s"], "{:.2f}"),
            target,
            f"{d['server_busy_ours']:.2f} / {d['server_busy_baseline']:.2f}",
        )
    Console(width=200).print(table)


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else spec.format(value)


def print_profiles(profiles: dict[str, Path]) -> None:
    """Each profile's time-by-package block; the full summaries are in the .txt files."""
    for mode, path in profiles.items():
        text = path.with_suffix(path.suffix + ".txt").read_text()
        head = text.split("\n\n--- ", 1)[0]
        print(f"\n[{SCENARIOS[mode]}] {path}\n{head}")
