"""Settings are declared once, checked at startup, and all documented in the README."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.compare import KINDS
from palimpsest.errors import UnknownSetting, UsageError
from palimpsest.render import RENDERERS
from palimpsest.settings import SETTINGS, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_defaults_put_the_database_in_the_data_dir():
    settings = Settings.load({"PALIMPSEST_DATA_DIR": "/srv/p"})
    assert settings.db == "sqlite:////srv/p/palimpsest.db"
    assert settings.obey_robots is True and settings.download_delay > 0
    assert "Palimpsest/" in settings.user_agent and settings.contact_url in settings.user_agent


def test_environment_and_overrides():
    env = {"PALIMPSEST_DB": "sqlite:///a.db", "PALIMPSEST_SCHEDULE_FAST": "2h"}
    settings = Settings.load(env, db="sqlite:///b.db")
    assert (settings.db, settings.schedule_fast) == ("sqlite:///b.db", 7200)
    caps = Settings.load({"PALIMPSEST_SCHEDULE_CAPS": "12h=30m,*=2h"}).schedule_caps
    assert caps == ((43200, 1800), (float("inf"), 7200))
    with pytest.raises(UsageError, match="PALIMPSEST_SCHEDULE_CAPS"):
        Settings.load({"PALIMPSEST_SCHEDULE_CAPS": "12h"})
    assert Settings.load({"PALIMPSEST_DOWNLOAD_DELAY": "0"}).download_delay == 0


def test_a_misspelt_setting_is_refused():
    with pytest.raises(UnknownSetting, match="PALIMPSEST_TICK_SECOND"):
        Settings.load({"PALIMPSEST_TICK_SECOND": "5"})
    with pytest.raises(UsageError, match="PALIMPSEST_OBEY_ROBOTS"):
        Settings.load({"PALIMPSEST_OBEY_ROBOTS": "perhaps"})


def test_every_setting_is_documented_in_the_readme():
    readme = README.read_text()
    missing = [s.name for s in SETTINGS if f"PALIMPSEST_{s.name}" not in readme]
    assert missing == []


def test_features_lists_every_registry_without_a_database():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "palimpsest.cli",
            "--db",
            "postgresql+psycopg://x@127.0.0.1:1/no",
            "features",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(result.stdout)
    assert found["change_kinds"] == list(KINDS)
    assert set(found["diff_formats"]) == set(RENDERERS) and all(found["diff_formats"].values())
    assert {f"PALIMPSEST_{s.name}" for s in SETTINGS} == set(found["settings"])
