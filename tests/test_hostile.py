"""Hostile and broken pages end in a recorded outcome that says what happened, never a crash.

Each ``/case/...`` of the local publisher is one way a page can be broken; one ``check --all``
fetches them all in one crawl, so that a page which made the recording fail would take the
others of its batch with it (PostgreSQL refuses a NUL in a text column, or a value too long
for its column: the whole transaction fails).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import create_engine, select

from db.models import Snapshot, Version, Watch
from monitor.check import CheckResult, FetchTarget
from palimpsest.localsite import LONG_HOST, NUL_TITLE, TRUNCATED_MARK, UNICODE_TITLE
from scraper import pipelines
from scraper.extract import MAX_TEXT_CHARS
from scraper.pipelines import judge_page
from tests.articles import story_page

# path: (outcome, the snapshot's error or None)
CASES = {
    "/case/no-charset": ("new_version", None),
    "/case/wrong-charset": ("new_version", None),
    "/case/truncated": ("new_version", None),
    "/case/deep-nesting": (
        "error",
        "the HTML is nested too deeply to read (more than 2,048 levels)",
    ),
    "/case/nul-bytes": ("new_version", None),
    "/case/huge-text": ("new_version", None),
    "/case/empty-200": ("error", "empty body"),
    "/case/gzip-header-lie": ("error", None),  # the message is checked below
    "/case/hostile-headers": ("new_version", None),
    "/case/hostile-metadata": ("new_version", None),
}


def strings(row) -> list[str]:
    return [value for value in row._mapping.values() if isinstance(value, str)]


def test_hostile_pages_are_recorded_as_clear_outcomes(cli, site, db_url):
    ids = {path: int(cli("add", site.url(path)).stdout) for path in CASES}
    result = cli("check", "--all")
    assert f"checked {len(CASES)} of {len(CASES)} watches" in result.stdout, result.stdout
    assert "unrecorded" not in result.stdout
    assert "Traceback" not in result.stderr, result.stderr

    engine = create_engine(db_url)
    with engine.connect() as conn:
        snapshots = {row.watch_id: row for row in conn.execute(select(Snapshot)).all()}
        versions = {row.watch_id: row for row in conn.execute(select(Version)).all()}
        watches = {row.id: row for row in conn.execute(select(Watch)).all()}
    engine.dispose()

    for path, (outcome, error) in CASES.items():
        snapshot = snapshots[ids[path]]
        assert snapshot.outcome == outcome, (path, snapshot.error)
        if outcome == "error":
            assert snapshot.error and "\n" not in snapshot.error, path
            assert watches[ids[path]].last_error == snapshot.error
            assert ids[path] not in versions, "an unreadable page makes no version"
        else:
            assert snapshot.error is None and snapshot.version_id is not None, path
        if error:
            assert snapshot.error == error, path
    for row in [*snapshots.values(), *versions.values(), *watches.values()]:
        assert not any("\0" in value for value in strings(row)), row

    def version(path: str):
        return versions[ids[path]]

    # Decoded right with no charset said, and despite a header that says ISO-8859-1.
    for path in ("/case/no-charset", "/case/wrong-charset", "/case/hostile-headers"):
        assert version(path).title == UNICODE_TITLE, path
        assert "Le maire sortant a été réélu" in version(path).text, path
        assert "Жители города" in version(path).text, path
    history = json.loads(cli("history", site.url("/case/wrong-charset"), "--json").stdout)
    assert history[0]["title"] == UNICODE_TITLE

    # Cut mid-paragraph and mid-tag: every word that arrived is there.
    truncated = version("/case/truncated")
    assert truncated.title == "Springfield mayor resigns"
    assert truncated.text.startswith("The mayor of Springfield resigned on Monday")
    assert truncated.text.rstrip().endswith(TRUNCATED_MARK), truncated.text

    # NULs inside words and tags are dropped; the words they split are whole again.
    nul = version("/case/nul-bytes")
    assert nul.title == NUL_TITLE
    assert "resigned on Monday" in nul.text and "Council members said" in nul.text

    # 9 MiB of text: a version of the first MAX_TEXT_CHARS characters.
    huge = version("/case/huge-text")
    assert huge.text.startswith("The committee heard evidence from witness number 0 ")
    assert MAX_TEXT_CHARS * 0.9 < len(huge.text) <= MAX_TEXT_CHARS

    # Says gzip and is not: the error names it (a browser refuses such a page too).
    lie = snapshots[ids["/case/gzip-header-lie"]].error
    assert lie == "the body is not the gzip its Content-Encoding says", lie

    # Headers with NULs, and a Content-Type wider than its column, stored cleaned and cut.
    headers = snapshots[ids["/case/hostile-headers"]]
    assert headers.content_type.startswith("text/html; charset=utf-8; profile=xxx")
    assert len(headers.content_type) == 200
    hostile = watches[ids["/case/hostile-headers"]]
    assert hostile.etag == '"v1evil"'
    assert hostile.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"

    # Related links to a 300-character host or "http://[::1", a modified date of 100
    # characters, JSON-LD with "@type": [null], a 5,000-digit number or 300 KB of "/* ".
    metadata = version("/case/hostile-metadata")
    assert metadata.title == UNICODE_TITLE and metadata.modified is None
    evidence = {e["name"] for e in metadata.paywall_evidence}
    assert {"isAccessibleForFree:false", "json-ld:unparsable"} <= evidence
    related = {w.url: w.relation for w in watches.values() if w.related_to == metadata.watch_id}
    assert related == {site.url("/case/hostile-metadata?print=1"): "print"}
    assert not any(LONG_HOST in w.url for w in watches.values())


def result_for(html: str) -> CheckResult:
    target = FetchTarget(watch_id=1, url="https://news.example/story")
    return CheckResult(
        target=target,
        fetched_at=datetime.now(UTC),
        outcome="new_version",
        http_status=200,
        final_url=target.url,
        body=html.encode(),
    )


def test_a_page_extraction_fails_on_is_an_error_not_a_lost_check(monkeypatch):
    """The pipeline's net: any failure of extraction is an error outcome with one line."""
    deep = "<html><body>" + "<div>" * 3000 + "</body></html>"
    result = result_for(deep)
    judge_page(deep, result)
    assert (result.outcome, result.body) == ("error", None)
    assert result.error == "the HTML is nested too deeply to read (more than 2,048 levels)"

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nat line 2\0")

    monkeypatch.setattr(pipelines, "extract_article", broken)
    result = result_for(story_page())
    judge_page(story_page(), result)
    assert (result.outcome, result.body) == ("error", None)
    assert result.error == "extraction failed: RuntimeError: boom at line 2"
