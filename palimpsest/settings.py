"""Every setting Palimpsest reads, declared once: name, type, default, one line of help.

A setting comes from the environment as ``PALIMPSEST_<NAME>``; the CLI may override some
(``--db``). An unknown ``PALIMPSEST_*`` variable stops startup, so a misspelt setting is
never silently ignored.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from monitor.durations import parse_duration
from palimpsest.errors import UnknownSetting, UsageError

PREFIX = "PALIMPSEST_"


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _seconds(text: str) -> float:
    return parse_duration(text).total_seconds()


def _seconds_or_zero(text: str) -> float:
    return 0.0 if text.strip() in {"0", "0s", "0.0"} else _seconds(text)


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``0``: none; ``1``: every address; else addresses or CIDR blocks, comma-separated."""
    value = text.strip().lower()
    if value in {"0", "false", "no", "off", ""}:
        return ()
    if value in {"1", "true", "yes", "on"}:
        return (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in value.split(",") if p)


def _caps(text: str) -> tuple[tuple[float, float], ...]:
    """``1d=1h,7d=6h,*=1d``: below each age the longest interval; ``*`` for any older."""
    caps = []
    for part in text.split(","):
        age, sep, cap = part.partition("=")
        if not sep:
            raise ValueError(f"not AGE=MAX: {part!r}")
        below = math.inf if age.strip() == "*" else _seconds(age)
        caps.append((below, _seconds(cap)))
    if not caps or caps[-1][0] != math.inf:
        caps.append((math.inf, caps[-1][1] if caps else 86400.0))
    return tuple(sorted(caps))


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "palimpsest")


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DB", str, None, "SQLAlchemy URL of the database (default: SQLite in DATA_DIR)"),
    Setting("DATA_DIR", str, None, "where the default SQLite file lives"),
    Setting("DB_BUSY_TIMEOUT", _seconds, 30.0, "SQLite: how long a writer waits for another"),
    Setting(
        "RECORD_RETRY_FOR",
        _seconds_or_zero,
        600.0,
        "keep retrying to record check results this long while the database is down or locked",
    ),
    Setting("SCHEDULE_FAST", _seconds, 600.0, "interval for a new or just-changed article"),
    Setting(
        "SCHEDULE_FAST_FOR", _seconds_or_zero, 6 * 3600.0, "a new article is checked fast this long"
    ),
    Setting("SCHEDULE_GROWTH", float, 1.5, "interval multiplier after each unchanged check"),
    Setting("SCHEDULE_JITTER", float, 0.1, "random spread of the interval, as a fraction"),
    Setting(
        "SCHEDULE_CAPS",
        _caps,
        ((86400.0, 3600.0), (7 * 86400.0, 6 * 3600.0), (math.inf, 86400.0)),
        "longest interval by article age: AGE=MAX pairs, * for any older",
    ),
    Setting(
        "KEEP_CHECKS",
        _seconds_or_zero,
        30 * 86400.0,
        "fold checks older than this into daily tallies (0: keep every check)",
    ),
    Setting("RETIRE_AFTER", _seconds_or_zero, 60 * 86400.0, "retire after this long unchanged"),
    Setting("TICK_SECONDS", float, 5.0, "how often the daemon looks for due watches"),
    Setting("BATCH_SIZE", int, 500, "the most due watches one tick claims"),
    Setting("LEASE_SECONDS", int, 600, "how long a claimed watch stays with its worker"),
    Setting("USER_AGENT", str, None, "User-Agent header (default names the project and contact)"),
    Setting("CONTACT_URL", str, "https://github.com/palimpsest-news/palimpsest", "for site owners"),
    Setting("OBEY_ROBOTS", _bool, True, "obey robots.txt"),
    Setting("DOWNLOAD_DELAY", _seconds_or_zero, 1.0, "seconds between two requests to one domain"),
    Setting("CONCURRENCY", int, 32, "requests in flight in one worker"),
    Setting("CONCURRENCY_PER_DOMAIN", int, 2, "requests in flight to one domain"),
    Setting("DOWNLOAD_TIMEOUT", _seconds, 30.0, "give up on a response after this long"),
    Setting("RETRY_TIMES", int, 2, "retries of a 5xx answer or a time-out within one check"),
    Setting(
        "ALLOW_PRIVATE_NETWORKS",
        _networks,
        (),
        "1 (or addresses, CIDRs) to fetch private, loopback and link-local addresses",
    ),
    Setting("MAX_BODY_BYTES", int, 10 * 1024 * 1024, "larger bodies are refused (an error)"),
    Setting("DOMAIN_BACKOFF_FIRST", _seconds, 60.0, "leave a failing site alone; doubles"),
    Setting("DOMAIN_BACKOFF_MAX", _seconds, 6 * 3600.0, "the longest a failing site is left alone"),
    Setting("REMOVED_AFTER", int, 2, "404/410 answers in a row before an article is removed"),
    Setting(
        "FAST_PATH", _bool, True, "tell a noisy but unchanged page by its article's element alone"
    ),
    Setting("API_TOKEN", str, None, "bearer token the API's writes require (unset: no writes)"),
    Setting("WEB_URL", str, None, "base URL of the web UI, for links to diffs in alerts"),
    Setting("ALERT_TICK_SECONDS", float, 10.0, "how often the daemon sends due alerts"),
    Setting("ALERT_RETRY_FIRST", _seconds, 30.0, "wait before retrying a failed alert; doubles"),
    Setting("ALERT_RETRY_MAX", _seconds, 3600.0, "the longest wait between two tries"),
    Setting("ALERT_MAX_ATTEMPTS", int, 10, "tries before an alert is given up as failed"),
    Setting("ALERT_LEASE_SECONDS", float, 120.0, "a claimed alert is sent again after this"),
    Setting("ALERT_TIMEOUT", _seconds, 60.0, "give up on one try at sending after this long"),
    Setting("ALERT_EXCERPT_CHARS", int, 1500, "the longest diff excerpt in one alert"),
    Setting("LOG_LEVEL", str, "INFO", "DEBUG, INFO, WARNING or ERROR"),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    db: str
    data_dir: str
    db_busy_timeout: float
    record_retry_for: float
    schedule_fast: float
    schedule_fast_for: float
    schedule_growth: float
    schedule_jitter: float
    schedule_caps: tuple[tuple[float, float], ...]
    retire_after: float
    keep_checks: float
    tick_seconds: float
    batch_size: int
    lease_seconds: int
    user_agent: str
    contact_url: str
    obey_robots: bool
    download_delay: float
    concurrency: int
    concurrency_per_domain: int
    download_timeout: float
    retry_times: int
    allow_private_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    max_body_bytes: int
    domain_backoff_first: float
    domain_backoff_max: float
    removed_after: int
    fast_path: bool
    api_token: str | None
    web_url: str | None
    alert_tick_seconds: float
    alert_retry_first: float
    alert_retry_max: float
    alert_max_attempts: int
    alert_lease_seconds: float
    alert_timeout: float
    alert_excerpt_chars: int
    log_level: str

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``environ`` (default: the process environment), then overrides."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for key, raw in env.items():
            if not key.startswith(PREFIX):
                continue
            name = key[len(PREFIX) :]
            setting = _BY_NAME.get(name)
            if setting is None:
                known = ", ".join(PREFIX + s.name for s in SETTINGS)
                raise UnknownSetting(f"unknown setting {key} (known: {known})")
            try:
                values[name.lower()] = setting.parse(raw)
            except (ValueError, UsageError) as exc:
                raise UsageError(f"{key}: {exc}") from None
        for s in SETTINGS:
            values.setdefault(s.name.lower(), s.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["data_dir"] is None:
            values["data_dir"] = _default_data_dir()
        if values["db"] is None:
            values["db"] = "sqlite:///" + str(Path(values["data_dir"]) / "palimpsest.db")
        if values["user_agent"] is None:
            from palimpsest import __version__

            values["user_agent"] = f"Palimpsest/{__version__} (+{values['contact_url']})"
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
