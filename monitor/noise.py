"""The stop list: lines of an article's text that change on every fetch and mean nothing.

Date lines ("Updated 3 minutes ago", "Published 12:04"), counters ("1,204 comments",
"5 min read") and share prompts are dropped before a text is fingerprinted, stored or diffed,
so they can never make a version. A watch may add its own regexes to ignore.

>>> strip_noise("Updated 3 minutes ago\\nThe council met.\\n12 comments")
'The council met.'
>>> strip_noise("The vote was 7 to 2.\\nAd id 8f3a2c", ignore=[r"Ad id \\w+"])
'The vote was 7 to 2.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_WHEN = (
    r"(?:\d+\s*(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s*ago"
    r"|just now|moments? ago|yesterday|today|\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?"
    r"|\d{1,4}[-/. ]\w{1,9}[-/. ,]+\d{2,4}|\w{3,9}\.? \d{1,2},? \d{4}|\d{1,2} \w{3,9}\.? \d{4})"
)

_TIME_FOLLOWS = r"(?=.*(?:\d|ago|yesterday|today|just now|hier|gestern|ayer|ieri))"

# Whole lines (paragraphs) that are noise. Matched case-insensitively against a stripped line.
STOP_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # Date lines in the main languages of the news.
        # (only when a time follows: "Updated: the vote moved to Monday" is news, not noise)
        rf"(?:last\s+)?(?:updated|published|posted|modified|edited)\b{_TIME_FOLLOWS}.{{0,40}}",
        rf"(?:mis à jour|publié|actualisé|aktualisiert|veröffentlicht|stand|actualizado"
        rf"|publicado|aggiornato|pubblicato|bijgewerkt|gepubliceerd)\b{_TIME_FOLLOWS}.{{0,40}}",
        r"(?:il y a|vor|hace|fa)\s+\d+\s*\w+(?:\s+\w+)?",
        rf"{_WHEN}(?:\s*(?:·|\||-|\u2013|,)\s*{_WHEN})*",
        # Render stamps: "Served at 1764370000.123", "Page generated in 0.12 s".
        rf"(?:page\s+)?(?:served|generated|rendered|cached|built)(?:\s+\w+)?\s+(?:at|on|in)\s+"
        rf"(?:\d{{9,13}}(?:\.\d+)?|[\d.,]+\s*(?:ms|s|secs?|seconds?)|{_WHEN})\.?",
        # Counters and prompts.
        r"[\d.,]+\s*[kKmM]?\s*(?:comments?|views?|shares?|likes?|reactions?|replies|readers?"
        r"|kommentare|commentaires|comentarios|commenti)",
        r"\d+\s*(?:min(?:ute)?s?|mn)\.?\s*(?:read|de lecture|lesezeit|de lectura|di lettura)",
        r"(?:lesezeit|temps de lecture|reading time)[:\s]+\d+\s*\w+",
        r"(?:share|share this|share on \w+|tweet|email|print|copy link|listen(?: to this article)?"
        r"|read more|advertisement|sponsored|anzeige|publicité|publicidad)[:.!]?",
    )
)


# One pattern for all: a line is tried once, not once per pattern (texts have thousands).
_STOP_LINE = re.compile("|".join(f"(?:{p.pattern})" for p in STOP_LINES), re.IGNORECASE)


def strip_noise(text: str, ignore: Sequence[str] = ()) -> str:
    """``text`` without stop-list lines, and without matches of the ``ignore`` regexes."""
    for pattern in ignore:
        text = re.sub(pattern, "", text)
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not _STOP_LINE.fullmatch(line))
