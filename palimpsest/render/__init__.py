"""Diff renderers, one registry: a name (``--format``) to a function of a VersionDiff.

Every renderer takes the diff and the options (``context``: paragraphs of context around a
change, ``color``: whether the terminal shows colour) and returns the whole output as text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.versiondiff import VersionDiff
from palimpsest.errors import UsageError


@dataclass(frozen=True)
class RenderOptions:
    context: int | None = 1  # None: the whole text
    color: bool = False
    top: str = ""  # HTML put first in the page's body (the web UI's navigation); trusted


Renderer = Callable[[VersionDiff, RenderOptions], str]
RENDERERS: dict[str, Renderer] = {}


def register(name: str) -> Callable[[Renderer], Renderer]:
    def add(renderer: Renderer) -> Renderer:
        RENDERERS[name] = renderer
        return renderer

    return add


def render(name: str, diff: VersionDiff, options: RenderOptions) -> str:
    try:
        renderer = RENDERERS[name]
    except KeyError:
        known = ", ".join(sorted(RENDERERS))
        raise UsageError(f"unknown diff format {name!r} (known: {known})") from None
    return renderer(diff, options)


# The built-in renderers register themselves on import.
from palimpsest.render import html, jsondoc, terminal, unified  # noqa: E402, F401
