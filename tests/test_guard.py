"""The private-address guard: watches and redirect hops that reach a private, loopback,
link-local or metadata address are refused unless PALIMPSEST_ALLOW_PRIVATE_NETWORKS allows it.

The local publisher runs on 127.0.0.1. Allowing only that address makes it stand in for a
public site; a second publisher on 127.0.0.2 stands for what must not be reached.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from sqlalchemy import create_engine, select

from db.models import Snapshot
from monitor.addresses import check_url_address, refused_reason
from palimpsest.errors import InvalidURL
from scraper import guard
from scraper.guard import PrivateNetworkGuard, allowed_networks, allows_everything
from tests.conftest import Cli, LocalSite

ARTICLE = "<html><body><article><h1>Inside</h1><p>Only the host should see this.</p></article>"
METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@pytest.mark.parametrize(
    ("ip", "reason"),
    [
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.32.0.1", None),
        ("192.168.1.1", "a private address"),
        ("169.254.1.1", "a link-local address"),
        ("169.254.169.254", "a link-local address (cloud metadata)"),
        ("100.64.0.1", "a shared address (carrier-grade NAT)"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("255.255.255.255", "a reserved address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a unique-local address"),
        ("fd00:ec2::254", "a unique-local address (cloud metadata)"),
        ("ff02::1", "a multicast address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a link-local address (cloud metadata)"),
        ("::ffff:93.184.216.34", None),
        ("64:ff9b::a01:203", "a private address"),  # NAT64 of 10.1.2.3
        ("2002:c0a8:101::1", "a private address"),  # 6to4 of 192.168.1.1
    ],
)
def test_refused_reason(ip, reason):
    assert refused_reason(ip) == reason
    assert refused_reason(ipaddress.ip_address(ip)) == reason


def test_an_allowed_network_is_not_refused():
    allowed = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8")]
    assert refused_reason("127.0.0.1", allowed) is None
    assert refused_reason("::ffff:127.0.0.1", allowed) is None
    assert refused_reason("10.200.0.1", allowed) is None
    assert refused_reason("127.0.0.2", allowed) == "a loopback address"
    assert refused_reason("192.168.0.1", allowed) == "a private address"
    everything = [ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
    assert refused_reason("169.254.169.254", everything) is None


def test_the_guard_is_off_only_when_every_address_is_allowed():
    assert allows_everything(allowed_networks("0.0.0.0/0, ::/0"))
    assert not allows_everything(allowed_networks("0.0.0.0/0"))
    assert not allows_everything(allowed_networks(None))
    assert allowed_networks("127.0.0.1,10.0.0.0/8") == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
    )


def test_adding_checks_literal_addresses_only():
    with pytest.raises(InvalidURL, match=r"127\.1 \(127\.0\.0\.1\) is a loopback address"):
        check_url_address("http://127.1/x", ())
    with pytest.raises(InvalidURL, match="only http and https"):
        check_url_address("ftp://10.0.0.1/x", ())
    # a host name is not resolved when a watch is added: the fetch checks it
    assert check_url_address("http://localhost/x", ()) == "http://localhost/x"


def fetch_allowed(middleware: PrivateNetworkGuard, url: str) -> str | None:
    """None if the guard lets a request for ``url`` through, else the refusal."""
    try:
        asyncio.run(middleware.process_request(Request(url)))
    except IgnoreRequest as exc:
        return str(exc)
    return None


def test_a_verdict_kept_for_a_host_is_asked_again_of_every_request():
    """The guard remembers each host's verdict; a refusal stays one, and a crawl with other
    allowed networks does not inherit the verdicts of another."""
    loopback = PrivateNetworkGuard(allowed_networks("127.0.0.1"))
    strict = PrivateNetworkGuard(())
    for _ in range(2):
        assert fetch_allowed(loopback, "http://127.0.0.1:8080/a") is None
        assert fetch_allowed(loopback, "http://127.1/b") is None
        assert fetch_allowed(loopback, "http://127.0.0.2/c") == (
            "refused: 127.0.0.2 is a loopback address"
        )
        assert fetch_allowed(strict, "http://127.0.0.1:8080/a") == (
            "refused: 127.0.0.1 is a loopback address"
        )
        assert fetch_allowed(strict, "http://127.1/b") == (
            "refused: 127.1 (127.0.0.1) is a loopback address"
        )


def test_a_names_verdict_lasts_no_longer_than_its_dns_answer(monkeypatch):
    """A name that resolved to a public address and now resolves to a private one is refused
    once its answer is stale: the verdict does not outlive the answer it was made from."""
    answers = [(ipaddress.ip_address("93.184.216.34"),), (ipaddress.ip_address("10.0.0.5"),)]
    monkeypatch.setattr(guard, "_getaddrinfo", lambda host: answers.pop(0))
    monkeypatch.setattr(guard, "CACHE_SECONDS", 0.0)
    name = f"rebind-{uuid.uuid4().hex[:8]}.example"
    middleware = PrivateNetworkGuard(())
    assert fetch_allowed(middleware, f"http://{name}/story") is None
    assert fetch_allowed(middleware, f"http://{name}/story") == (
        f"refused: {name} (10.0.0.5) is a private address"
    )
    assert not answers


@pytest.fixture(scope="module")
def inner() -> Iterator[LocalSite]:
    """A second publisher on 127.0.0.2, standing for a private address."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "palimpsest.localsite", "--host", "127.0.0.2", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.2:"), f"inner site did not start: {base!r}"
        yield LocalSite(base)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def snapshot_errors(db_url: str) -> dict[int, list[str | None]]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(Snapshot).order_by(Snapshot.id)).all()
    engine.dispose()
    errors: dict[int, list[str | None]] = {}
    for row in rows:
        errors.setdefault(row.watch_id, []).append(row.error)
    return errors


def last_errors(cli: Cli) -> dict[int, str | None]:
    return {w["id"]: w["last_error"] for w in json.loads(cli("list", "--json").stdout)}


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(cli, site, inner, db_url):
    tag = uuid.uuid4().hex[:8]
    target = inner.publish(f"target-{tag}", ARTICLE)
    hop = site.publish(f"hop-{tag}", "", status="302", location=target)
    metadata = site.publish(f"metadata-{tag}", "", status="302", location=METADATA_URL)
    hop_id = int(cli("add", hop).stdout)
    metadata_id = int(cli("add", metadata).stdout)
    robots = inner.hits("robots.txt")  # the site is shared by the tests of this module

    checked = cli("check", "--all", PALIMPSEST_ALLOW_PRIVATE_NETWORKS="127.0.0.1")
    assert "Traceback" not in checked.stderr

    errors = last_errors(cli)
    assert errors[hop_id] == "refused: 127.0.0.2 is a loopback address"
    assert (
        errors[metadata_id] == "refused: 169.254.169.254 is a link-local address (cloud metadata)"
    )
    assert snapshot_errors(db_url)[hop_id] == [errors[hop_id]]
    assert site.hits(f"hop-{tag}") == 1, "the first hop is allowed"
    assert inner.hits(f"target-{tag}") == 0, "the refused hop is never fetched"
    assert inner.hits("robots.txt") == robots, "not even for its robots.txt"

    # The same redirect, with 127.0.0.2 allowed too, is followed: the guard made the difference.
    cli("check", str(hop_id), PALIMPSEST_ALLOW_PRIVATE_NETWORKS="127.0.0.1,127.0.0.2")
    assert inner.hits(f"target-{tag}") == 1
    assert last_errors(cli)[hop_id] is None


def test_with_the_setting_off_a_loopback_watch_is_refused_at_the_first_hop(cli, site, db_url):
    path = f"first-{uuid.uuid4().hex[:8]}"
    url = site.publish(path, ARTICLE)
    by_name = url.replace("127.0.0.1", "localhost")
    literal_id = int(cli("add", url).stdout)  # the tests' environment allows every address
    name_id = int(cli("add", by_name).stdout)

    checked = cli("check", "--all", PALIMPSEST_ALLOW_PRIVATE_NETWORKS="0")
    assert "Traceback" not in checked.stderr

    errors = last_errors(cli)
    assert errors[literal_id] == "refused: 127.0.0.1 is a loopback address"
    # a host name is resolved at fetch time; the refusal names it and the address
    assert errors[name_id].startswith("refused: localhost (")
    assert errors[name_id].endswith(") is a loopback address")
    assert snapshot_errors(db_url)[literal_id] == [errors[literal_id]]
    assert site.hits(path) == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/x", "127.0.0.1 is a loopback address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://[::1]:8080/", "::1 is a loopback address"),
        (METADATA_URL, "169.254.169.254 is a link-local address (cloud metadata)"),
    ],
)
def test_adding_a_private_address_is_one_line_and_exit_2(tmp_path, url, reason):
    cli = Cli(f"sqlite:///{tmp_path / 'p.db'}")
    result = cli("add", url, ok=False, PALIMPSEST_ALLOW_PRIVATE_NETWORKS="0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: refused URL"), result.stderr
    assert reason in lines[0] and "PALIMPSEST_ALLOW_PRIVATE_NETWORKS" in lines[0]
    allowed = cli(
        "add", url, PALIMPSEST_ALLOW_PRIVATE_NETWORKS="127.0.0.1,10.0.0.0/8,::1,169.254.0.0/16"
    )
    assert int(allowed.stdout) == 1
