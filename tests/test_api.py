"""The JSON API, asked over HTTP of a real `palimpsest web` server."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.articles import PARAGRAPHS, story_page
from tests.webserver import ATOM, TOKEN, get, request, serve


@pytest.fixture
def web(db_url) -> Iterator[str]:
    yield from serve(db_url, PALIMPSEST_API_TOKEN=TOKEN)


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

    status, kind, atom = get(f"{web}/feeds/changes.atom")
    assert (status, kind) == (200, "application/atom+xml")
    feed = ElementTree.fromstring(atom)
    [entry] = feed.findall(f"{{{ATOM}}}entry")
    assert entry.findtext(f"{{{ATOM}}}title") == "Text changed: Springfield mayor resigns"
    assert entry.find(f"{{{ATOM}}}category").get("term") == "text_changed"
    assert "\n+ <b>Bold</b> claim & more.\n" in entry.findtext(f"{{{ATOM}}}content")
    assert entry.findtext(f"{{{ATOM}}}id") == f"urn:palimpsest:change:{change['id']}"
    for query, entries in ((f"watch={watch}", 1), ("tag=politics", 1), ("tag=sport", 0)):
        feed = ElementTree.fromstring(get(f"{web}/feeds/changes.atom?{query}")[2])
        assert len(feed.findall(f"{{{ATOM}}}entry")) == entries, query
    assert get(f"{web}/feeds/changes.atom?watch=999")[0] == 404

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


def test_writes_need_the_token_and_manage_watches_and_channels(web, site):
    url = site.publish(f"api-w-{uuid.uuid4().hex[:8]}", story_page())
    new = {"url": url, "tags": ["politics"], "every": "15m"}
    assert request("POST", f"{web}/api/v1/watches", new, token=None)[0] == 401
    assert request("POST", f"{web}/api/v1/watches", new, token="wrong")[0] == 401
    status, watch = request("POST", f"{web}/api/v1/watches", new)
    assert status == 201 and (watch["url"], watch["every_seconds"]) == (url, 900)
    assert request("POST", f"{web}/api/v1/watches", new)[0] == 200, "the same URL again"
    status, error = request("POST", f"{web}/api/v1/watches", {"url": "ftp://x/y"})
    assert status == 400 and "only http and https" in error["error"]
    status, error = request("POST", f"{web}/api/v1/watches", raw=b"{" + b" " * 70_000 + b"}")
    assert status == 413 and "at most" in error["error"]
    status, error = request("POST", f"{web}/api/v1/watches", raw=b"not json")
    assert status == 422 and error["error"]

    wid = watch["id"]
    status, paused = request("PATCH", f"{web}/api/v1/watches/{wid}", {"active": False})
    assert (status, paused["status"]) == (200, "paused")
    status, resumed = request("PATCH", f"{web}/api/v1/watches/{wid}", {"active": True})
    assert resumed["status"] == "ok"
    status, checked = request("POST", f"{web}/api/v1/watches/{wid}/check")
    assert status == 202 and checked["next_check_at"] <= datetime.now(UTC).isoformat()

    status, channel = request(
        "POST",
        f"{web}/api/v1/channels",
        {
            "url": "mailto://me:s3cretpw@127.0.0.1:9?to=desk@example.com&from=bot@example.com",
            "on": ["paywall_lifted"],
        },
    )
    assert status == 201 and "s3cretpw" not in json.dumps(channel)
    assert channel["kinds"] == ["paywall_lifted"]
    status, listed = request("GET", f"{web}/api/v1/channels")
    assert [c["id"] for c in listed] == [channel["id"]] and "s3cretpw" not in json.dumps(listed)
    assert request("GET", f"{web}/api/v1/channels", token=None)[0] == 401
    bad = request("POST", f"{web}/api/v1/channels", {"url": "json://h/x", "on": ["typo"]})
    assert bad[0] == 400 and "unknown change kind typo" in bad[1]["error"]
    assert request("DELETE", f"{web}/api/v1/channels/{channel['id']}")[0] == 204

    assert request("DELETE", f"{web}/api/v1/watches/{wid}")[0] == 204
    assert request("GET", f"{web}/api/v1/watches/{wid}")[0] == 404
    assert request("DELETE", f"{web}/api/v1/watches/{wid}")[0] == 404


def test_without_a_token_writes_are_off(db_url):
    for base in serve(db_url):
        status, error = request("POST", f"{base}/api/v1/watches", {"url": "https://e.com/"})
        assert status == 403 and "PALIMPSEST_API_TOKEN" in error["error"]


def test_no_generated_request_gets_a_5xx(web, cli):
    """Schemathesis sends requests made from the OpenAPI document, valid and not, to the
    live server: every answer must be a success or a 4xx."""
    cli("add", "https://news.example.com/story")
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{web}/api/v1/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "20",
            "--seed",
            "20261128",
            "--header",
            f"Authorization: Bearer {TOKEN}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
