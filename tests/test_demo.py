"""`make demo` shows what it promises: a rewritten paragraph and a new headline, and no noise."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import cli_env


def test_the_demo_shows_a_text_change_and_a_title_change():
    result = subprocess.run(
        [sys.executable, "-m", "palimpsest.demo", "--seconds", "12"],
        capture_output=True,
        text=True,
        env=cli_env(COLUMNS="200"),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "text_changed" in out and "title_changed" in out
    assert "[-while-]{+until the+}" in out
    assert "'Harbour bridge to close to cars' → 'Harbour bridge closes to cars next spring'" in out
    assert "3 →" not in out, "the rotating 'most read' box must not make versions"
