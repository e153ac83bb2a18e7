"""The schema comes from Alembic: it upgrades from empty, downgrades to base, matches the models."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from db.engine import alembic_config, make_engine, migrate
from db.models import Base
from tests.conftest import cli_env

TABLES = {"watch", "watch_tag", "snapshot", "blob", "version", "change"}


def test_upgrade_from_empty_then_downgrade_to_base(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        migrate(engine)  # a second run is a no-op
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_the_models_match_the_migrations(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.backends("postgresql")
def test_processes_starting_at_once_on_an_empty_database_take_turns_to_create_it(db_url):
    """Workers on several machines (or compose's services) may all start on a new database."""
    command = [sys.executable, "-m", "palimpsest.cli", "--db", db_url, "migrate"]
    starting = [
        subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [(p.wait(120), *p.communicate()) for p in starting]
    assert [code for code, _, _ in outputs] == [0] * 4, outputs
    head = ScriptDirectory.from_config(alembic_config(make_engine(db_url))).get_current_head()
    assert {out.decode().strip() for _, out, _ in outputs} == {f"schema at revision {head}"}
