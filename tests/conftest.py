"""Shared fixtures: databases (SQLite and PostgreSQL), the local publisher, the CLI.

``pytest --db sqlite|postgresql|all`` (default ``all``) picks the backends that storage and
end-to-end tests run on. Detection timelines (marked ``fast_path_both``) also run with the
fast path off (``PALIMPSEST_FAST_PATH=0``), on the first backend only: ``--fast-path
on|off|both`` (default ``both``); they assert the exact change events, so both ways passing
means the fast path changes none. PostgreSQL is the server on 127.0.0.1:5432 (``PALIMPSEST_TEST_PG``
overrides); each test gets a fresh database of its own. If PostgreSQL is wanted and not
reachable, its tests fail with that reason: they are never skipped silently.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

PG_ADMIN_URL = os.environ.get(
    "PALIMPSEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="all",
        choices=("sqlite", "postgresql", "all"),
        help="database backends for storage tests",
    )
    parser.addoption(
        "--fast-path",
        default="both",
        choices=("on", "off", "both"),
        help="detection timelines with the fast path on, off, or both (off on one backend)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fast_path_both: a detection timeline run with the fast path on and off"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        chosen = metafunc.config.getoption("--db")
        backends = BACKENDS if chosen == "all" else (chosen,)
        only = metafunc.definition.get_closest_marker("backends")
        if only is not None:  # a fault that exists on one backend only
            backends = tuple(b for b in backends if b in only.args)
        if metafunc.definition.get_closest_marker("fast_path_both"):
            mode = metafunc.config.getoption("--fast-path")
            runs = [(b, "off" if mode == "off" else "on") for b in backends]
            if mode == "both":
                runs.append((backends[0], "off"))
            ids = [f"{b}-fast-path-{m}" for b, m in runs]
            metafunc.parametrize(("backend", "fast_path"), runs, indirect=True, ids=ids)
        else:
            metafunc.parametrize("backend", backends, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fast_path(request: pytest.FixtureRequest) -> str:
    """``on`` or ``off``: PALIMPSEST_FAST_PATH for the CLI (``on`` unless parametrized)."""
    return getattr(request, "param", "on")


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of the chosen backend, dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'palimpsest.db'}"
        return
    name = f"palimpsest_test_{uuid.uuid4().hex[:12]}"
    # No pool: a test may restart the server, which ends every pooled connection.
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is needed for this test: {exc}")
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sessions(db_url: str):
    """A session factory on a migrated database of each backend."""
    from db.engine import make_engine, migrate, session_factory

    engine = make_engine(db_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


@dataclass
class LocalSite:
    """The scripted publisher (``palimpsest.localsite``) running in a child process."""

    base: str

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def publish(self, path: str, body: str | bytes, *, etag: bool = False, **query: str) -> str:
        """Serve ``body`` at ``path`` from now on; returns the page's URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        params = "&".join([f"etag={int(etag)}", *(f"{k}={v}" for k, v in query.items())])
        request = urllib.request.Request(
            f"{self.base}/_pages/{path.lstrip('/')}?{params}", data=data, method="PUT"
        )
        urllib.request.urlopen(request, timeout=10).close()
        return self.url(path)

    def hits(self, path: str) -> int:
        with urllib.request.urlopen(f"{self.base}/_hits/{path.lstrip('/')}", timeout=10) as r:
            return int(r.read())


@pytest.fixture(scope="session")
def site() -> Iterator[LocalSite]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "palimpsest.localsite", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), f"local site did not start: {base!r}"
        yield LocalSite(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for running palimpsest in tests: no politeness delay, fast ticks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALIMPSEST_")}
    env.update(
        PALIMPSEST_DOWNLOAD_DELAY="0",
        PALIMPSEST_RETRY_TIMES="0",
        PALIMPSEST_DOWNLOAD_TIMEOUT="10s",
        PALIMPSEST_ALLOW_PRIVATE_NETWORKS="1",  # the local publisher is on 127.0.0.1
        PALIMPSEST_DATA_DIR=str(Path(env.get("TMPDIR", "/tmp")) / "palimpsest-test-data"),
    )
    env.update(extra)
    return env


@dataclass
class Cli:
    db_url: str
    fast_path: str = "on"

    def __call__(self, *args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess:
        """Run ``palimpsest --db URL ARGS…``; with ``ok`` (default) insist on exit code 0."""
        result = subprocess.run(
            [sys.executable, "-m", "palimpsest.cli", "--db", self.db_url, *args],
            capture_output=True,
            text=True,
            env=cli_env(**{"PALIMPSEST_FAST_PATH": str(int(self.fast_path == "on")), **env}),
            timeout=120,
        )
        if ok:
            assert result.returncode == 0, f"palimpsest {' '.join(args)}: {result.stderr}"
        return result


@pytest.fixture
def cli(db_url: str, fast_path: str) -> Cli:
    return Cli(db_url, fast_path)


def wait_for(predicate, timeout: float, what: str, every: float = 0.1):
    """Poll ``predicate`` until it returns something true (returned), or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
