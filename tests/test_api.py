"""The JSON API, asked over HTTP of a real `palimpsest web` server."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests.articles import PARAGRAPHS, story_page
from tests.conftest import cli_env, wait_for
from tests.receivers import free_port


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


@pytest.fixture
def web(db_url) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "palimpsest.cli", "--db", db_url, "web", "--port", str(port)],
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return get(f"{base}/healthz")[0] == 200
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            return False

    try:
        wait_for(up, 30, "the web server")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_api_reads_watches_versions_changes_and_diffs(cli, site, web):
    path = f"api-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, story_page())
    watch = int(cli("add", url, "--tag", "politics").stdout)
    cli("check", url)
    site.publish(path, story_page(paragraphs=[*PARAGRAPHS, "<b>Bold</b> claim & more."]))
    cli("check", url)

    status, kind, body = get(f"{web}/api/v1/watches?tag=politics")
    assert (status, kind) == (200, "application/json")
    [row] = json.loads(body)
    assert (row["id"], row["url"], row["versions"]) == (watch, url, 2)
    assert json.loads(get(f"{web}/api/v1/watches?tag=sport")[2]) == []
    assert json.loads(get(f"{web}/api/v1/watches/{watch}")[2])["tags"] == ["politics"]
    versions = json.loads(get(f"{web}/api/v1/watches/{watch}/versions")[2])
    assert [v["seq"] for v in versions] == [1, 2]
    latest = json.loads(get(f"{web}/api/v1/watches/{watch}/versions/2")[2])
    assert latest["text"].endswith("<b>Bold</b> claim & more.")
    status, kind, html = get(f"{web}/api/v1/watches/{watch}/versions/2/html")
    assert status == 200 and kind.startswith("text/html") and "Bold" in html
    diff = json.loads(get(f"{web}/api/v1/watches/{watch}/diff?from=1&to=2")[2])
    assert diff["schema"] == "palimpsest.diff/1"
    assert [p["op"] for p in diff["paragraphs"]][-1] == "inserted"
    [change] = json.loads(get(f"{web}/api/v1/changes?kind=text_changed")[2])
    assert (change["watch_id"], change["from_version"], change["to_version"]) == (watch, 1, 2)
    assert json.loads(get(f"{web}/api/v1/changes?kind=removed")[2]) == []

    metrics = get(f"{web}/metrics")[2]
    assert 'palimpsest_checks_total{outcome="new_version"} 2' in metrics
    assert 'palimpsest_changes_total{kind="text_changed"} 1' in metrics
    openapi = json.loads(get(f"{web}/api/v1/openapi.json")[2])
    assert "/api/v1/watches/{watch_id}/diff" in openapi["paths"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/v1/watches/999", 404, "no watch '999'"),
        ("/api/v1/watches/999/versions/1", 404, "no watch '999'"),
        ("/api/v1/changes?kind=bogus", 400, "unknown change kind 'bogus'"),
        ("/api/v1/changes?since=yesterday", 400, "bad time 'yesterday'"),
        ("/api/v1/watches?limit=0", 422, "query.limit: Input should be greater than or equal to 1"),
        ("/api/v1/watches/abc", 422, "path.watch_id: Input should be a valid integer"),
    ],
)
def test_bad_requests_get_a_4xx_with_a_json_error(web, path, status, message):
    got, kind, body = get(web + path)
    assert (got, kind) == (status, "application/json")
    assert message in json.loads(body)["error"]
