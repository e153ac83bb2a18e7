"""The CLI's command registry and output helpers, shared by the modules that add commands.

A handler takes the App and the parsed arguments and returns the exit code; it registers
under its name (``"list"``, ``"alerts add"``) with ``@command``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console

Handler = Callable[[Any, argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register a command handler under ``name``."""

    def register(handler: Handler) -> Handler:
        COMMANDS[name] = handler
        return handler

    return register


def print_json(document: Any) -> None:
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def console() -> Console:
    """Rich on stdout; when piped, wide enough that tables keep one row a line."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200)
    return out
