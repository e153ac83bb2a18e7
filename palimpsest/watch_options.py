"""Per-watch options, checked when a watch is added: body selector, regexes to ignore, and
whether to watch the related pages (canonical, AMP, print, feeds) the article names.

>>> watch_options(selector="article .body", ignore=[r"Ad \\d+"])
{'selector': 'article .body', 'ignore': ['Ad \\\\d+']}
>>> watch_options(ignore=["(unclosed"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
palimpsest.errors.UsageError: bad --ignore regex '(unclosed': missing ), ...
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cssselect import SelectorError, SelectorSyntaxError
from lxml.cssselect import CSSSelector

from palimpsest.errors import UsageError


def watch_options(
    selector: str | None = None, ignore: Sequence[str] = (), related: bool = True
) -> dict[str, Any]:
    options: dict[str, Any] = {} if related else {"related": False}
    if selector:
        try:
            CSSSelector(selector)
        except (SelectorError, SelectorSyntaxError) as exc:
            raise UsageError(f"bad --selector {selector!r}: {exc}") from None
        options["selector"] = selector
    for pattern in ignore:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"bad --ignore regex {pattern!r}: {exc}") from None
    if ignore:
        options["ignore"] = list(ignore)
    return options
