"""Run one batch of checks in the reactor with a Rich progress bar on stderr."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.check import FetchTarget


def run_with_progress(checker_cls, app, targets: Sequence[FetchTarget]) -> Counter[str]:
    from palimpsest import reactor

    progress = Progress(
        TextColumn("checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("check", total=len(targets))
    checker = checker_cls(app, on_recorded=lambda batch: progress.advance(task, len(batch)))
    with progress:
        return reactor.run(lambda: checker.check(targets))
