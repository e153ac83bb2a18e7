"""What the alert outbox costs: alerts delivered per second through Palimpsest's outbox
(claim, build the message with its diff excerpt, send, record the try) against Apprise
sending the same number of messages straight to the same webhook, in the same run.

    .venv/bin/python bench/alerts.py [--alerts N] [--db URL]

The webhook is a local HTTP server that answers 200 at once. The changes are real article
edits (a paragraph rewritten in a 1,000-word text), so the message includes a real excerpt.
Also reported: the time ``queue_alerts`` adds to recording a batch of changes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import apprise
from rich.console import Console
from rich.table import Table

from db.alerts import add_channel, queue_alerts
from db.models import Change, Version, Watch
from monitor.rules import Rule
from palimpsest.alerting.delivery import Deliverer
from palimpsest.app import bootstrap, utcnow
from palimpsest.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "alerts.json"
PARAGRAPH = (
    "The council met late into the night to debate the budget for the coming year, and "
    "members from both sides spoke about the library, the buses and the roads. "
)


class Hook(BaseHTTPRequestHandler):
    received = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hook.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def make_changes(app, count: int) -> float:
    """``count`` watches with one text change each; returns seconds spent queueing alerts."""
    now = utcnow()
    old_text = "\n".join(PARAGRAPH * 3 for _ in range(10))
    queued = 0.0
    with app.sessions.begin() as session:
        changes = []
        for n in range(count):
            watch = Watch(url=f"https://news.example.com/{n}", created_at=now, next_check_at=now)
            session.add(watch)
            session.flush()
            new_text = old_text.replace("the buses", f"the {n} new bus routes", 1)
            versions = [
                Version(
                    watch_id=watch.id,
                    seq=seq,
                    first_seen_at=now,
                    last_seen_at=now,
                    title="Council debates the budget",
                    text=text,
                    word_count=len(text.split()),
                    fingerprint=f"{n}-{seq}",
                    extractor="bench",
                    extractor_version="0",
                    extractor_options={},
                )
                for seq, text in ((1, old_text), (2, new_text))
            ]
            session.add_all(versions)
            session.flush()
            change = Change(
                watch_id=watch.id,
                from_version_id=versions[0].id,
                to_version_id=versions[1].id,
                kinds=["text_changed"],
                detected_at=now,
                words_added=4,
                words_removed=1,
                significance=0.02,
            )
            session.add(change)
            changes.append(change)
        session.flush()
        started = time.perf_counter()
        queue_alerts(session, changes, now)
        queued = time.perf_counter() - started
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"json://127.0.0.1:{server.server_address[1]}/hook"

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/bench.db"
        app = bootstrap(Settings.load({}, db=db, data_dir=tmp))
        with app.sessions.begin() as session:
            add_channel(session, url, utcnow(), Rule())
        queued = make_changes(app, args.alerts)

        started = time.perf_counter()
        cpu = time.process_time()
        outcome = Deliverer(app).deliver_due()
        ours = time.perf_counter() - started
        ours_cpu = time.process_time() - cpu
        assert outcome == {"sent": args.alerts}, outcome

        body = "x" * 900  # about the size of one of our text alerts
        notifier = apprise.Apprise()
        notifier.add(url)
        started = time.perf_counter()
        for _ in range(args.alerts):
            assert notifier.notify(body=body, title="Text changed: Council debates the budget")
        bare = time.perf_counter() - started
        app.close()

    report = {
        "alerts": args.alerts,
        "outbox_alerts_per_s": args.alerts / ours,
        "outbox_alerts_per_cpu_s": args.alerts / ours_cpu,
        "apprise_alone_per_s": args.alerts / bare,
        "ratio": bare / ours,
        "queue_ms_per_change": queued * 1000 / args.alerts,
        "webhook_received": Hook.received,
    }
    table = Table("what", "value")
    table.add_row("alerts through the outbox", f"{report['outbox_alerts_per_s']:,.0f} /s")
    table.add_row("  per CPU-second", f"{report['outbox_alerts_per_cpu_s']:,.0f}")
    table.add_row("Apprise alone, same webhook", f"{report['apprise_alone_per_s']:,.0f} /s")
    table.add_row("ratio", f"{report['ratio']:.2f}")
    table.add_row("queueing alerts, per change", f"{report['queue_ms_per_change']:.3f} ms")
    Console().print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
