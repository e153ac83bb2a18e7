"""``make demo``: watch a local article change, with no internet, in about a minute.

A local publisher on 127.0.0.1 serves a story whose "most read" box changes on every
fetch (noise: never a version). A third of the way in a paragraph is rewritten, two thirds
in the headline changes. The daemon checks the story every few seconds; at the end the demo
prints ``palimpsest changes`` and ``palimpsest diff`` for each change.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rich.console import Console

from palimpsest.localsite import article_page

STORY = [
    "The city council of Springfield voted on Tuesday to close the old harbour bridge to "
    "cars from next spring, after engineers found corrosion in two of its supports.",
    "Buses and cyclists will still be allowed to cross while repairs are planned, the "
    "council said in a statement published after the vote.",
    "Local shop owners warned that the closure would cut them off from customers on the "
    "north bank, and asked for free parking near the ferry terminal.",
]
REWRITE = STORY[1].replace("while repairs are planned", "until the repairs start in May")
HEADLINES = ("Harbour bridge to close to cars", "Harbour bridge closes to cars next spring")
NOISE = ["Cat rescued from tree", "Weather: rain all week", "Quiz: which bridge are you?"]

console = Console(highlight=False)


def _palimpsest(db: str, *args: str, env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "palimpsest.cli", "--db", db, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout


def _publish(base: str, page: str) -> None:
    request = urllib.request.Request(f"{base}/_pages/story", data=page.encode(), method="PUT")
    urllib.request.urlopen(request, timeout=5).close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long to watch")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="palimpsest-demo-"))
    db = f"sqlite:///{workdir / 'demo.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALIMPSEST_")}
    env.update(PALIMPSEST_DOWNLOAD_DELAY="0", PALIMPSEST_TICK_SECONDS="1")
    env.update(PALIMPSEST_ALLOW_PRIVATE_NETWORKS="127.0.0.1")  # where the publisher runs

    site = subprocess.Popen(
        [sys.executable, "-m", "palimpsest.localsite"], stdout=subprocess.PIPE, text=True
    )
    daemon = None
    try:
        base = site.stdout.readline().strip()
        _publish(base, article_page(HEADLINES[0], STORY, noise=NOISE[0]))
        url = f"{base}/story"
        every = max(2, round(args.seconds / 15))
        _palimpsest(db, "add", url, "--every", f"{every}s", env=env)
        console.print(f"[bold]Watching[/] {url} every {every}s  (database: {db})")
        daemon = subprocess.Popen(
            [sys.executable, "scheduler.py", "--db", db],
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            stderr=subprocess.DEVNULL,
        )
        started = time.monotonic()
        step = 0
        while (elapsed := time.monotonic() - started) < args.seconds:
            paragraphs = [STORY[0], REWRITE, STORY[2]] if elapsed > args.seconds / 3 else STORY
            headline = HEADLINES[1] if elapsed > 2 * args.seconds / 3 else HEADLINES[0]
            _publish(base, article_page(headline, paragraphs, noise=NOISE[step % len(NOISE)]))
            if step % 5 == 0:
                console.print(f"[dim]{elapsed:4.0f}s[/]  serving: {headline!r}")
            step += 1
            time.sleep(1)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
        console.rule("palimpsest history")
        sys.stdout.write(_palimpsest(db, "history", url, env=env))
        console.rule("palimpsest changes")
        sys.stdout.write(_palimpsest(db, "changes", env=env))
        for change in json.loads(_palimpsest(db, "changes", "--json", env=env)):
            versions = str(change["from_version"]), str(change["to_version"])
            console.rule(f"palimpsest diff {url} {' '.join(versions)}")
            sys.stdout.write(_palimpsest(db, "diff", url, *versions, env=env))
        console.print(f"\nThe database stays for you to explore: palimpsest --db {db} list")
        return 0
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
        site.terminate()
        site.wait(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
