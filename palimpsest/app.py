"""The composition root: builds the engine, sessions and settings every entry point uses.

Nothing here runs at import; ``bootstrap()`` is called once by the CLI, the daemon or a test.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, migrate, session_factory
from monitor.schedule import Policy
from palimpsest.settings import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @property
    def policy(self) -> Policy:
        """The adaptive schedule, from the settings."""
        s = self.settings
        *caps, (_, cap_after) = s.schedule_caps
        return Policy(
            fast=s.schedule_fast,
            fast_for=s.schedule_fast_for,
            growth=s.schedule_growth,
            jitter=s.schedule_jitter,
            caps=tuple(caps),
            cap_after=cap_after,
            retire_after=s.retire_after or None,
        )

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings) -> App:
    """Open (and create or upgrade) the database named by ``settings``."""
    engine = make_engine(settings.db, busy_timeout_ms=int(settings.db_busy_timeout * 1000))
    migrate(engine)
    return App(settings=settings, engine=engine, sessions=session_factory(engine))
