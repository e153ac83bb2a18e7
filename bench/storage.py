"""What a stored version costs: bytes per version of realistic edit histories of the corpus
pages, stored as Palimpsest stores them (``db.blobs``: deltas against a keyframe) and, in the
same run, as plain zstd-3 blobs (each body compressed alone, as before deltas).

    .venv/bin/python bench/storage.py [--versions N] [--pages N]

Two histories per page of ``../shared/corpus/articles/*.html.gz`` with at least three
article paragraphs:

- ``small edits``: the page, then ``--versions`` - 1 versions each one edit further on (a
  word or number changed in a sentence, a sentence added, a correction appended, the
  headline rewritten), in the order a newsroom makes them;
- ``paywall lift``: the page gated (only the first two paragraphs and a subscription box,
  ``isAccessibleForFree: false``), then the whole article, then three small edits.

Every version is a new fetch: it carries its own request id, nonce, timestamp, ad slot ids
and a reshuffled "most read" box, as news pages do. Bytes are the stored ``data`` of the
blob rows; times are per version, through real databases (SQLite files, one each):
writing is ``store_bodies`` in its own transaction, reading is ``read_body``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from db.blobs import DELTA, NewBody, read_body, store_bodies
from db.engine import make_engine, migrate, session_factory
from db.models import Blob
from monitor.fingerprint import raw_hash

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "articles"
RESULTS = Path(__file__).resolve().parent / "results" / "storage.json"
PARAGRAPH = re.compile(rb"<p\b[^>]*>(.*?)</p>", re.S)
TAG = re.compile(rb"<[^>]+>")
TITLE = re.compile(rb"(<title[^>]*>)(.*?)(</title>)", re.S | re.I)
H1 = re.compile(rb"(<h1[^>]*>)(.*?)(</h1>)", re.S | re.I)
HEAD_END = re.compile(rb"</head>", re.I)
BODY_START = re.compile(rb"<body[^>]*>", re.I)
# "A ~120 KiB page", as the target says: the corpus's middle half.
TARGET_SIZES = (80 * 1024, 160 * 1024)
TARGET_BYTES = 5 * 1024

WORDS = [
    b"Tuesday",
    b"Wednesday",
    b"officials",
    b"residents",
    b"reportedly",
    b"at least 14",
    b"nearly 300",
    b"the ministry",
    b"a spokesperson",
    b"later confirmed",
]
SENTENCES = [
    b" The figure was later revised by the regional authority.",
    b" A spokesperson declined to comment on Tuesday evening.",
    b" Officials said the review would be published next month.",
    b" The company did not respond to a request for comment.",
]
CORRECTION = (
    b'<p class="correction"><em>Correction: An earlier version of this article misstated '
    b"the date of the vote. It took place on %d March, not %d March.</em></p>"
)
PAYWALL = (
    b'<div class="paywall"><h3>Subscribe to keep reading</h3><p>Get unlimited access to '
    b"our journalism for 1 a week. Already a subscriber? Log in.</p></div>"
)


@dataclass
class Page:
    name: str
    html: bytes
    spans: list[tuple[int, int]]  # the article paragraphs' inner spans, in order


@dataclass
class Tally:
    versions: int = 0
    raw: int = 0
    plain: int = 0
    ours: int = 0
    first: list[int] = field(default_factory=list)  # ours, the first version of each history
    later: list[int] = field(default_factory=list)  # ours, every later version
    # ours and zstd-3, summed by position in the history: the cost of shorter histories
    by_position: list[list[int]] = field(default_factory=list)
    deltas: int = 0
    write_ours: float = 0.0
    write_plain: float = 0.0
    read_ours: float = 0.0
    read_plain: float = 0.0

    def row(self) -> dict:
        n = self.versions or 1
        return {
            "versions": self.versions,
            "raw_per_version": self.raw / n,
            "zstd3_per_version": self.plain / n,
            "ours_per_version": self.ours / n,
            "ours_first_version": statistics.mean(self.first) if self.first else 0,
            "ours_later_version": statistics.mean(self.later) if self.later else 0,
            "share_deltas": self.deltas / n,
            "ours_per_version_by_history_length": {
                length: sum(o for o, _ in self.by_position[:length])
                / (length * self.by_position[0][1])
                for length in (2, 4, 6, 8, 12, 20)
                if length <= len(self.by_position)
            },
            "raw_over_ours": self.raw / max(self.ours, 1),
            "zstd3_over_ours": self.plain / max(self.ours, 1),
            "write_ms_ours": 1000 * self.write_ours / n,
            "write_ms_zstd3": 1000 * self.write_plain / n,
            "read_ms_ours": 1000 * self.read_ours / n,
            "read_ms_zstd3": 1000 * self.read_plain / n,
        }


def load_pages(limit: int | None) -> list[Page]:
    pages = []
    for path in sorted(CORPUS.glob("*.html.gz")):
        html = gzip.decompress(path.read_bytes())
        spans = [
            m.span(1) for m in PARAGRAPH.finditer(html) if len(TAG.sub(b"", m.group(1))) >= 120
        ]
        if len(spans) >= 3 and TITLE.search(html):
            pages.append(Page(path.name.split(".")[0][:12], html, spans))
    return pages[:limit] if limit else pages


def fetched(html: bytes, rng: random.Random, headlines: list[bytes]) -> bytes:
    """``html`` as one fetch serves it: its own ids, nonce, time and "most read" box."""
    nonce = rng.randbytes(16).hex().encode()
    head = (
        b'<meta name="request-id" content="%s"><script nonce="%s">window.__ts=%d;'
        b'window.__ads=["%s","%s","%s"]</script>'
        % (
            rng.randbytes(8).hex().encode(),
            nonce,
            rng.randrange(1_700_000_000, 1_800_000_000),
            *(rng.randbytes(6).hex().encode() for _ in range(3)),
        )
    )
    most_read = b"".join(
        b'<li><a href="/story/%d">%s</a></li>' % (rng.randrange(10**6), h)
        for h in rng.sample(headlines, min(5, len(headlines)))
    )
    box = b'<aside class="most-read"><ol>%s</ol></aside>' % most_read
    html = HEAD_END.sub(lambda m: head + m.group(0), html, count=1)
    return BODY_START.sub(lambda m: m.group(0) + box, html, count=1)


def edit(page: Page, html: bytes, step: int, rng: random.Random) -> bytes:
    """``html`` with one more small edit, of the kind ``step`` picks."""
    spans = [m.span(1) for m in PARAGRAPH.finditer(html) if len(TAG.sub(b"", m.group(1))) >= 120]
    start, end = spans[rng.randrange(len(spans))]
    kind = step % 4
    if kind == 0:  # a word or number changed in a sentence
        inner = html[start:end]
        words = list(re.finditer(rb"\b[a-z]{5,}\b", inner))
        if words:
            w = rng.choice(words)
            new = inner[: w.start()] + rng.choice(WORDS) + inner[w.end() :]
            return html[:start] + new + html[end:]
        kind = 1
    if kind == 1:  # a sentence added at the end of a paragraph
        return html[:end] + rng.choice(SENTENCES) + html[end:]
    if kind == 2:  # a correction appended after the article's last paragraph
        last = spans[-1][1] + len(b"</p>")
        day = rng.randrange(2, 28)
        return html[:last] + CORRECTION % (day, day - 1) + html[last:]
    headline = b"Update %d: %s" % (step, rng.choice(WORDS).capitalize())
    html = TITLE.sub(lambda m: m.group(1) + headline + m.group(3), html, count=1)
    return H1.sub(lambda m: m.group(1) + headline + m.group(3), html, count=1)


def gated(page: Page) -> bytes:
    """The page before its paywall lifts: two paragraphs, then a subscription box."""
    html = page.html
    cut, stop = page.spans[1][1] + len(b"</p>"), page.spans[-1][1] + len(b"</p>")
    flag = b'<script type="application/ld+json">{"isAccessibleForFree": false}</script>'
    html = html[:cut] + PAYWALL + html[stop:]
    return HEAD_END.sub(lambda m: flag + m.group(0), html, count=1)


def histories(page: Page, versions: int, headlines: list[bytes]) -> dict[str, list[bytes]]:
    rng = random.Random(page.name)
    small, html = [], page.html
    for step in range(versions):
        if step:
            html = edit(page, html, step, rng)
        small.append(fetched(html, rng, headlines))
    lift, html = [fetched(gated(page), rng, headlines)], page.html
    for step in range(4):
        if step:
            html = edit(page, html, step, rng)
        lift.append(fetched(html, rng, headlines))
    return {"small edits": small, "paywall lift": lift}


def store(sessions, bodies: list[bytes], deltas: bool, tally: Tally) -> list[str]:
    """Store one history as the recorder does, a transaction per version; returns the shas."""
    shas, follows = [], None
    for body in bodies:
        sha = raw_hash(body)
        started = time.perf_counter()
        with sessions.begin() as session:
            store_bodies(session, [NewBody(sha, body, follows if deltas else None)], NOW)
        spent = time.perf_counter() - started
        if deltas:
            tally.write_ours += spent
        else:
            tally.write_plain += spent
        shas.append(sha)
        follows = sha
    return shas


def measure(sessions, plain_sessions, name: str, bodies: list[bytes], tally: Tally) -> None:
    ours = store(sessions, bodies, True, tally)
    plain = store(plain_sessions, bodies, False, tally)
    with sessions() as session:
        rows = {b.sha256: b for b in session.scalars(select(Blob).where(Blob.sha256.in_(ours)))}
    with plain_sessions() as session:
        plain_sizes = dict(
            session.execute(
                select(Blob.sha256, func.length(Blob.data)).where(Blob.sha256.in_(plain))
            ).all()
        )
    for i, (sha, body) in enumerate(zip(ours, bodies, strict=True)):
        tally.versions += 1
        tally.raw += len(body)
        tally.plain += plain_sizes[sha]
        tally.ours += len(rows[sha].data)
        tally.deltas += rows[sha].compression == DELTA
        (tally.later if i else tally.first).append(len(rows[sha].data))
        if i == len(tally.by_position):
            tally.by_position.append([0, 0])
        tally.by_position[i][0] += len(rows[sha].data)
        tally.by_position[i][1] += 1
    for shas, which in ((ours, "ours"), (plain, "plain")):
        factory = sessions if which == "ours" else plain_sessions
        with factory() as session:
            started = time.perf_counter()
            for sha, body in zip(shas, bodies, strict=True):
                assert read_body(session, sha) == body, f"{name}: {sha[:12]} reads back wrong"
                session.expire_all()
            spent = time.perf_counter() - started
        if which == "ours":
            tally.read_ours += spent
        else:
            tally.read_plain += spent


NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def database(tmp: Path, name: str):
    engine = make_engine(f"sqlite:///{tmp / name}.db")
    migrate(engine)
    return engine, session_factory(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=12, help="versions per small-edit history")
    parser.add_argument("--pages", type=int, default=None, help="corpus pages to use (all)")
    args = parser.parse_args()
    pages = load_pages(args.pages)
    headlines = [TAG.sub(b"", TITLE.search(p.html).group(2)).strip()[:120] for p in pages]
    groups: dict[str, Tally] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ours_engine, ours = database(Path(tmp), "ours")
        plain_engine, plain = database(Path(tmp), "plain")
        for page in pages:
            target = TARGET_SIZES[0] <= len(page.html) <= TARGET_SIZES[1]
            for name, bodies in histories(page, args.versions, headlines).items():
                keys = [name] + ([f"{name}, ~120 KiB pages"] if target else [])
                tally = Tally()
                measure(ours, plain, name, bodies, tally)
                for key in keys:
                    _add(groups.setdefault(key, Tally()), tally)
        ours_engine.dispose()
        plain_engine.dispose()
    report = {
        "pages": len(pages),
        "versions_per_small_edit_history": args.versions,
        "target_bytes_per_version": TARGET_BYTES,
        "groups": {k: t.row() for k, t in groups.items()},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    show(report)


def _add(total: Tally, one: Tally) -> None:
    for i, (size, count) in enumerate(one.by_position):
        if i == len(total.by_position):
            total.by_position.append([0, 0])
        total.by_position[i][0] += size
        total.by_position[i][1] += count
    for name in vars(one):
        if name == "by_position":
            continue
        value = getattr(one, name)
        setattr(total, name, getattr(total, name) + value)


def show(report: dict) -> None:
    table = Table(
        title=f"bytes per stored version, {report['pages']} corpus pages "
        f"({report['versions_per_small_edit_history']} versions a small-edit history)"
    )
    for column in (
        "history",
        "versions",
        "raw",
        "zstd-3",
        "ours",
        "ours: first / later",
        "raw/ours",
        "zstd-3/ours",
        "write ms ours / zstd-3",
        "read ms ours / zstd-3",
    ):
        table.add_column(column, justify="left" if column == "history" else "right")
    for name, r in report["groups"].items():
        table.add_row(
            name,
            str(r["versions"]),
            f"{r['raw_per_version'] / 1024:,.1f} KiB",
            f"{r['zstd3_per_version'] / 1024:,.1f} KiB",
            f"{r['ours_per_version'] / 1024:,.2f} KiB",
            f"{r['ours_first_version'] / 1024:,.1f} / {r['ours_later_version'] / 1024:,.2f} KiB",
            f"{r['raw_over_ours']:,.0f}x",
            f"{r['zstd3_over_ours']:,.1f}x",
            f"{r['write_ms_ours']:.2f} / {r['write_ms_zstd3']:.2f}",
            f"{r['read_ms_ours']:.2f} / {r['read_ms_zstd3']:.2f}",
        )
    console = Console()
    if not console.is_terminal:
        console = Console(width=170)
    console.print(table)
    for name, r in report["groups"].items():
        lengths = r["ours_per_version_by_history_length"]
        if name.startswith("small edits"):
            shown = ", ".join(f"{n}: {b / 1024:.1f} KiB" for n, b in lengths.items())
            print(f"{name}, ours per version by history length: {shown}")
    print(f"target: <= {TARGET_BYTES // 1024} KiB per version; results in {RESULTS}")


if __name__ == "__main__":
    main()
