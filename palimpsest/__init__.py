"""Palimpsest: watch news articles change, keep every version, tell what mattered."""

__version__ = "0.1.0"
