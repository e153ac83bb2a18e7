"""Alerts: Apprise channels, messages from Jinja2 templates, and the outbox's delivery."""
