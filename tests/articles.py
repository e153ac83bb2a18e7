"""Hand-made article pages for the tests: a news story whose parts can be edited.

The page template lives with the local publisher (the demo uses it too)."""

from __future__ import annotations

from palimpsest.localsite import article_page

PARAGRAPHS = [
    "The mayor of Springfield resigned on Monday after a council meeting that ran late "
    "into the night, ending six years in office.",
    "Council members said they were surprised by the decision and would meet next week "
    "to discuss who should lead the city until the election in the spring.",
    "During her time in office the mayor oversaw the renovation of the central library "
    "and a new bus network that doubled the number of routes.",
    "Residents interviewed outside city hall were divided, with some praising her record "
    "on transport and others criticising rising property taxes.",
]


def story_page(title: str = "Springfield mayor resigns", paragraphs=None, **kwargs) -> str:
    return article_page(title, list(paragraphs or PARAGRAPHS), **kwargs)
