"""A live `palimpsest web` server for the API and browser tests, and small HTTP helpers."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

from tests.conftest import cli_env, wait_for
from tests.receivers import free_port


def get(url: str) -> tuple[int, str, str]:
    """Status, content type and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


def get_headers(url: str) -> tuple[int, dict[str, str], str]:
    """Status, headers (lower-case names) and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


TOKEN = "t0ken-for-tests"
ATOM = "http://www.w3.org/2005/Atom"


def request(method: str, url: str, body=None, token: str | None = TOKEN, raw: bytes | None = None):
    """Status and parsed JSON (or None) of a request with a JSON body and a bearer token."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read().decode()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode())


def serve(db_url: str, **env: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "palimpsest.cli", "--db", db_url, "web", "--port", str(port)],
        env=cli_env(**env),
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
