"""Hand-made article pages for the tests: a news story whose parts can be edited."""

from __future__ import annotations

from html import escape

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


def article_page(
    title: str = "Springfield mayor resigns",
    paragraphs: list[str] | None = None,
    *,
    noise: str = "",
    charset: str = "utf-8",
) -> str:
    """A news page: navigation, the article, a sidebar whose ``noise`` changes freely."""
    body = "\n".join(f"<p>{escape(p)}</p>" for p in (paragraphs or PARAGRAPHS))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="{charset}"><title>{escape(title)} | Springfield News</title>
<meta property="og:title" content="{escape(title)}">
</head><body>
<nav><a href="/">Home</a> <a href="/politics">Politics</a> <a href="/subscribe">Subscribe</a></nav>
<main><article>
<h1>{escape(title)}</h1>
<p class="byline">By Jane Reporter</p>
{body}
</article></main>
<aside><h2>Most read</h2><ul><li>{escape(noise)}</li></ul></aside>
<footer>© Springfield News</footer>
</body></html>"""
