"""Pages that stand between us and the article: bot walls, CAPTCHAs, consent and denial pages.

Such a page is recorded as a snapshot with outcome ``blocked``, never as a version: it says
nothing about the article.

>>> blocked_reason(403, "Just a moment...", "Checking if the site connection is secure")
'bot wall'
>>> blocked_reason(200, "Mayor resigns", "The mayor resigned on Monday. " * 40) is None
True
"""

from __future__ import annotations

import re

# (reason, pattern): matched against the title and the start of the page's text.
_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (
            "bot wall",
            r"just a moment\.\.\.|checking (?:if the site connection|your browser)"
            r"|ddos protection by|attention required|enable javascript and cookies to continue"
            r"|verifying you are human|please verify you are a human|are you a robot"
            r"|bot detection|unusual traffic from your computer",
        ),
        ("captcha", r"captcha|hcaptcha|recaptcha|press (?:&|and) hold"),
        (
            "access denied",
            r"access denied|you don't have permission to access|request blocked"
            r"|403 forbidden|error 1020|not available in your (?:country|region)",
        ),
        (
            "consent wall",
            r"we value your privacy|before you continue to|consent to (?:the use of )?"
            r"cookies|accept (?:all )?cookies to continue|cookie consent"
            r"|manage your privacy choices"
            r"|zustimmung|consentement",
        ),
    )
)

# A real article that quotes one of these phrases is long; a wall page is short.
MAX_WALL_WORDS = 150


def blocked_reason(status: int | None, title: str | None, text: str) -> str | None:
    """Why this page is a wall rather than the article, or None if it looks like content."""
    words = len(text.split())
    if words > MAX_WALL_WORDS:
        return None
    sample = f"{title or ''}\n{text[:2000]}"
    for reason, pattern in _MARKERS:
        if pattern.search(sample):
            return reason
    if status in (401, 403, 429) and words < 50:
        return "access denied" if status != 429 else "rate limited"
    return None
