"""Bad input gets one clear line and a non-zero exit, or a recorded outcome; nothing crashes."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import create_engine, select

from db.models import Blob, Snapshot
from tests.conftest import Cli


@pytest.fixture
def sqlite_cli(tmp_path) -> Cli:
    return Cli(f"sqlite:///{tmp_path / 'p.db'}")


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("add", "not a url"), 2, "invalid URL 'not a url'"),
        (("add", "ftp://example.com/file"), 2, "only http and https"),
        (("add", "http://"), 2, "needs a host name"),
        (("add", f"https://{'a' * 300}.com/"), 2, "host name is over 253 characters"),
        (("add", "https://example.com/x", "--every", "soon"), 2, "bad duration 'soon'"),
        (("add", "https://example.com/x", "--every", "0s"), 2, "more than zero"),
        (("history", "42"), 1, "no watch '42'"),
        (("history", "9" * 30), 1, f"no watch '{'9' * 30}'"),
        (("diff", "https://example.com/nothing"), 1, "no watch"),
        (("changes", "--since", "yesterday"), 2, "bad time 'yesterday'"),
        (("check",), 2, "or --all"),
    ],
)
def test_a_user_mistake_is_one_line_and_a_nonzero_exit(sqlite_cli, args, code, message):
    result = sqlite_cli(*args, ok=False)
    assert result.returncode == code
    assert message in one_error_line(result)


def test_an_unknown_setting_stops_startup(sqlite_cli):
    result = sqlite_cli("list", ok=False, PALIMPSEST_DOWNLOAD_DELAI="1")
    assert result.returncode == 2
    assert "unknown setting PALIMPSEST_DOWNLOAD_DELAI" in one_error_line(result)


def test_an_unreachable_database_is_one_line_without_its_password():
    result = Cli("postgresql+psycopg://nobody:s3cretpw@127.0.0.1:1/none")("list", ok=False)
    assert result.returncode == 1
    assert "database unavailable" in one_error_line(result)
    assert "s3cretpw" not in result.stderr + result.stdout
    wrong = Cli("postgresql+psycopg://nobody:s3cretpw@127.0.0.1:5432/none")("list", ok=False)
    assert "database unavailable" in one_error_line(wrong) and "s3cretpw" not in wrong.stderr


def test_diffing_a_watch_with_one_version_says_so(sqlite_cli, site):
    url = site.publish(f"single-{uuid.uuid4().hex[:6]}", "<html><body><p>one</p></body></html>")
    sqlite_cli("add", url)
    sqlite_cli("check", url)
    assert "nothing to diff yet" in one_error_line(sqlite_cli("diff", url, ok=False))


def test_awkward_pages_are_recorded_as_clear_outcomes(cli, site, db_url):
    cases = {
        "/case/binary-5mb": ("not_html", None),
        "/case/windows-1251": ("new_version", None),
        "/case/status/404": ("error", "HTTP 404 Not Found"),
        "/case/drop": ("error", "the connection closed before a complete answer"),
        "/case/redirect-loop": ("error", "too many redirects"),
        "/case/gzip-bomb": ("error", "body too large"),
    }
    ids = {path: int(cli("add", site.url(path)).stdout) for path in cases}
    closed = int(cli("add", "http://127.0.0.1:1/closed-port").stdout)
    cli("check", "--all")
    cases["/case/slow"] = ("error", "timed out")  # the page takes 5 s
    ids["/case/slow"] = int(cli("add", site.url("/case/slow")).stdout)
    cli("check", str(ids["/case/slow"]), PALIMPSEST_DOWNLOAD_TIMEOUT="1s")

    engine = create_engine(db_url)
    with engine.connect() as conn:
        snapshots = {row.watch_id: row for row in conn.execute(select(Snapshot)).all()}
        blob = conn.execute(
            select(Blob.size).where(Blob.sha256 == snapshots[ids["/case/binary-5mb"]].blob_sha256)
        ).scalar()
    engine.dispose()
    for path, (outcome, error) in cases.items():
        snapshot = snapshots[ids[path]]
        assert snapshot.outcome == outcome, (path, snapshot.error)
        if outcome == "error":
            assert snapshot.error and "\n" not in snapshot.error
        if error:
            assert snapshot.error == error
    assert blob == 5 * 1024 * 1024, "the binary body is kept whole, as a blob"

    history = json.loads(cli("history", site.url("/case/windows-1251"), "--json").stdout)
    assert history[0]["title"] == "Новости дня"
    watches = {w["id"]: w for w in json.loads(cli("list", "--json").stdout)}
    assert watches[ids["/case/status/404"]]["last_error"] == "HTTP 404 Not Found"
    assert watches[ids["/case/binary-5mb"]]["last_error"] is None
    assert watches[closed]["last_error"] == "connection refused"
