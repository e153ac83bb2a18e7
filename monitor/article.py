"""What an extractor makes of a page: the article's fields and text, as plain values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """One extracted article. ``text`` holds paragraphs separated by newlines."""

    title: str | None
    text: str
    byline: str | None = None
    published: str | None = None
    modified: str | None = None
    url: str | None = None

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.splitlines() if p.strip()]
