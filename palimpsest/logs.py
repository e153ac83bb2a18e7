"""Logging for the CLI and the daemon: Rich on stderr, our level, quiet libraries."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    logging.basicConfig(
        level=level.upper(),
        format="%(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False)],
        force=True,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # A failed fetch is a snapshot row with its sentence, not a log line with a traceback.
    logging.getLogger("scrapy").setLevel(logging.CRITICAL if level.upper() != "DEBUG" else "DEBUG")
