"""The web side: a JSON API (``/api/v1``), health and metrics, served by ``palimpsest web``."""
