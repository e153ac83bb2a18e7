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

from palimpsest.views import paywall_periods
from tests.articles import PARAGRAPHS, story_page
from tests.receivers import free_port
from tests.scenarios import TITLE, full, gated
from tests.webserver import ATOM, TOKEN, get, get_headers, request, serve


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
        ("/api/v1/watches?offset=42107540612274749440", 422, "query.offset: Input should be"),
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
    status, tried = request("POST", f"{web}/api/v1/channels/{channel['id']}/test")
    assert status == 200 and tried["sent"] is False and tried["error"], tried
    assert "s3cretpw" not in json.dumps(tried), "nobody listens on port 9; no secret shown"
    assert request("POST", f"{web}/api/v1/channels/999/test")[0] == 404
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


def _ids(web: str, query: str) -> tuple[list[int], int]:
    """The ids the watch list answers ``query`` with, and its X-Total-Count."""
    status, headers, body = get_headers(f"{web}/api/v1/watches?{query}")
    assert status == 200, body
    return [w["id"] for w in json.loads(body)], int(headers["x-total-count"])


def test_watch_filters_pages_and_counts_are_answered_by_the_database(cli, site, web, sessions):
    """Tag, site, status and search (URL or headline) filters, pages and the total count;
    each status filter agrees with the status the rows show; /metrics counts every kind."""
    from db.models import Watch
    from palimpsest.app import utcnow

    tag = uuid.uuid4().hex[:8]
    story = site.publish(f"f-story-{tag}", story_page())
    wall = f"f-wall-{tag}"
    cli("add", story, "--tag", f"politics-{tag}")
    cli("add", site.publish(wall, gated()), "--tag", f"money-{tag}")
    dead = f"http://127.0.0.1:{free_port()}/gone-{tag}"  # nobody listens: the check fails
    paused = site.url(f"f-paused-{tag}")
    retired = site.url(f"f-retired-{tag}_100%25")
    for url in (dead, paused, retired):
        cli("add", url)
    ids = {w["url"]: w["id"] for w in json.loads(get(f"{web}/api/v1/watches")[2])}
    cli("check", story, site.url(wall), dead, ok=False)
    site.publish(wall, full())
    site.publish(f"f-story-{tag}", story_page(paragraphs=[*PARAGRAPHS, "A late addition."]))
    cli("check", story, site.url(wall))
    site.publish(wall, gated())
    cli("check", site.url(wall))
    assert request("PATCH", f"{web}/api/v1/watches/{ids[paused]}", {"active": False})[0] == 200
    with sessions.begin() as session:  # retirement comes after 60 silent days: set it here
        watch = session.get(Watch, ids[retired])
        watch.active, watch.retired_at = False, utcnow()

    everyone = sorted(ids.values())
    assert _ids(web, "") == (everyone, 5)
    expected = {
        "ok": [ids[story], ids[site.url(wall)]],
        "failing": [ids[dead]],
        "paused": [ids[paused]],
        "retired": [ids[retired]],
    }
    for status, wanted in expected.items():
        rows = json.loads(get(f"{web}/api/v1/watches?status={status}")[2])
        assert [r["id"] for r in rows] == wanted, status
        assert {r["status"] for r in rows} == {status}, "the SQL filter and the row agree"
    assert _ids(web, f"tag=politics-{tag}") == ([ids[story]], 1)
    assert _ids(web, "q=MAYOR%20resigns") == ([ids[story]], 1), "the headline, any case"
    assert _ids(web, f"q=F-WALL-{tag}") == ([ids[site.url(wall)]], 1), "the URL, any case"
    assert _ids(web, "q=%25") == ([ids[retired]], 1), "% is a character, not a wildcard"
    assert _ids(web, "q=_1") == ([ids[retired]], 1), "so is _"
    port = site.base.rsplit(":", 1)[1]
    assert _ids(web, f"domain=127.0.0.1:{port}")[1] == 4
    assert _ids(web, "domain=example.com") == ([], 0)
    assert _ids(web, "limit=2&offset=1") == (everyone[1:3], 5)
    assert _ids(web, "status=ok&limit=1&offset=1") == ([ids[site.url(wall)]], 2)
    assert _ids(web, "offset=10") == ([], 5)
    assert _ids(web, "q=%00&tag=%00") == ([], 0), "a NUL matches nothing (and is no 500)"
    status, _, body = get(f"{web}/api/v1/watches?status=asleep")
    assert status == 400 and "unknown status 'asleep'" in json.loads(body)["error"]

    changes = json.loads(get(f"{web}/api/v1/changes")[2])
    counted: dict[str, int] = {}
    for change in changes:
        for kind in change["kinds"]:
            counted[kind] = counted.get(kind, 0) + 1
    assert counted["paywall_lifted"] == counted["paywall_added"] == 1, changes
    assert counted["text_changed"] >= 1, changes
    metrics = get(f"{web}/metrics")[2]
    for kind, n in counted.items():
        assert f'palimpsest_changes_total{{kind="{kind}"}} {n}\n' in metrics, (kind, metrics)
    assert metrics.count("palimpsest_changes_total{") == len(counted)
    [lifted] = json.loads(get(f"{web}/api/v1/changes?kind=paywall_lifted")[2])
    assert (lifted["watch_id"], lifted["from_version"], lifted["to_version"]) == (
        ids[site.url(wall)],
        1,
        2,
    )
    newest_first = [c["id"] for c in changes]
    assert [c["id"] for c in json.loads(get(f"{web}/api/v1/changes?limit=1&offset=1")[2])] == (
        newest_first[1:2]
    )

    status, kind, page = get(f"{web}/?status=paused")
    assert status == 200 and paused in page and story not in page and "of 1" in page
    page = get(f"{web}/?paywall=gated&q=harbour")[2]
    assert TITLE in page and "Springfield mayor" not in page


def test_paywall_periods_follow_the_version_shown_with_the_event_that_began_each():
    def version(seq, state, day):
        return {
            "seq": seq,
            "paywall": state,
            "first_seen_at": f"2026-11-{day:02d}T09:00:00+00:00",
            "last_seen_at": f"2026-11-{day:02d}T21:00:00+00:00",
        }

    def change(kinds, old, new, day):
        return {
            "kinds": kinds,
            "from_version": old,
            "to_version": new,
            "detected_at": f"2026-11-{day:02d}T09:00:00+00:00",
        }

    versions = [version(1, "gated", 1), version(2, "gated", 2), version(3, "free", 3)]
    edited, lifted = change(["text_changed"], 1, 2, 2), change(["paywall_lifted"], 2, 3, 3)
    back = change(["paywall_added"], 3, 1, 5)  # a flip-flop: no new version
    first, second = paywall_periods(versions, [lifted, edited])
    assert (first["state"], first["seqs"], first["event"]) == ("gated", [1, 2], None)
    assert first["until"] == second["since"] == "2026-11-03T09:00:00+00:00"
    assert second["event"] is lifted and second["event_kinds"] == ["paywall_lifted"]
    assert second["until"] is None
    assert (first["share"], second["share"]) == (80, 20)  # 48 h of 60
    before, _, again = paywall_periods(versions, [back, lifted, edited])
    assert (before["seqs"], before["since"]) == ([1, 2], versions[0]["first_seen_at"])
    assert (again["state"], again["seqs"], again["event"]) == ("gated", [1], back)
    gone = change(["removed"], 3, None, 4)
    assert [p["state"] for p in paywall_periods(versions, [lifted, gone])] == [
        "gated",
        "free",
        "removed",
    ]
    assert paywall_periods([], []) == []


def test_a_forged_session_or_csrf_token_is_refused_whatever_characters_it_holds():
    from palimpsest.web.signin import csrf_token, new_session, session_valid

    session = new_session("the-token")
    assert session_valid("the-token", session)
    assert not session_valid("another-token", session)
    issued, nonce, _ = session.split(".")
    for forged in (f"{issued}.{nonce}.é", f"{issued}.{nonce}.", "..", "", None):
        assert not session_valid("the-token", forged)
    assert csrf_token("the-token", session) != csrf_token("the-token", new_session("the-token"))


@pytest.mark.backends("sqlite")
def test_a_page_for_an_unknown_watch_or_version_is_a_404_page_not_json(web):
    for path, message in (
        ("/watches/999", "no watch &#39;999&#39;"),
        ("/watches/999/diff/1/2", "no watch &#39;999&#39;"),
    ):
        status, kind, body = get(web + path)
        assert (status, kind.split(";")[0]) == (404, "text/html"), (path, kind, body[:200])
        assert "<h1>Not found</h1>" in body and message in body
    status, kind, body = get(web + "/api/v1/watches/999")
    assert (status, kind) == (404, "application/json")
    assert json.loads(body)["error"].startswith("no watch '999'")


@pytest.mark.backends("sqlite")
def test_guessing_the_token_is_cut_short_after_ten_wrong_tries_from_one_address(web):
    url = f"{web}/api/v1/watches"
    new = {"url": "https://news.example/guess"}
    # A token with a character outside ASCII is wrong like any other (it was a 500).
    assert request("POST", url, new, token="t0ken-é")[0] == 401
    for _ in range(9):
        assert request("POST", url, new, token="guess")[0] == 401
    status, error = request("POST", url, new)  # now even the right token waits
    assert status == 429 and error["error"].startswith("too many wrong tokens from 127.0.0.1")
    assert get(f"{url}")[0] == 200, "reading needs no token and is not limited"
