"""Stored bodies on a real database: every version reads back as it was fetched, small edits
are stored as deltas against a keyframe, a body is stored once, and a broken blob says so."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from db import reading
from db.blobs import DELTA, PLAIN, CorruptBlob, read_body
from db.models import Blob
from db.recording import record_results
from db.watches import add_watch, claim_due, remove_watch
from monitor.article import Article
from monitor.schedule import Policy
from tests.test_storage import fetched

POLICY = Policy()
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
# A vocabulary as varied as a news story's, so pages compress as real text does (~3x).
_LETTERS = random.Random(0)
WORDS = [
    "".join(_LETTERS.choices("etaoinshrdlucmfwyp", k=_LETTERS.randint(2, 9))) for _ in range(3000)
]


def article_paragraphs(seed: int, count: int = 40) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(60)) + "." for _ in range(count)]


def page(paragraphs: list[str], fetch: int, title: str = "Council votes") -> bytes:
    """A ~20 KiB news page; ``fetch`` changes its nonce and ad ids, as every fetch does."""
    rng = random.Random(fetch)
    noise = f'<script nonce="{rng.randbytes(16).hex()}">ads=["{rng.randbytes(6).hex()}"]</script>'
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(80))
    return (
        f"<!doctype html><html><head><title>{title}</title>{noise}</head><body>"
        f"<nav><ul>{nav}</ul></nav><article><h1>{title}</h1>{body}</article></body></html>"
    ).encode()


def edited(paragraphs: list[str], step: int) -> list[str]:
    """One more small edit: a sentence added to one paragraph."""
    out = list(paragraphs)
    out[step % len(out)] += f" Officials confirmed it on day {step}."
    return out


def record(sessions, watch_id: int, body: bytes, at: datetime) -> None:
    """One check of ``watch_id`` that found ``body``, through the recorder."""
    article = Article(title="Council votes", text=body.decode())
    with sessions.begin() as s:
        target = next(t for t in claim_due(s, "w", at, 100, LEASE) if t.watch_id == watch_id)
        record_results(s, [fetched(target, body, article, at)], at, POLICY)


def watch(sessions, url: str) -> int:
    with sessions.begin() as s:
        return add_watch(s, url, T0, 60)[0].id


def history(sessions, watch_id: int, bodies: list[bytes], start: int = 0) -> None:
    for i, body in enumerate(bodies):
        record(sessions, watch_id, body, T0 + timedelta(minutes=start + i))


def small_edits(seed: int, versions: int) -> list[bytes]:
    paragraphs, bodies = article_paragraphs(seed), []
    for step in range(versions):
        if step:
            paragraphs = edited(paragraphs, step)
        bodies.append(page(paragraphs, fetch=seed * 1000 + step))
    return bodies


def blobs_of(sessions, watch_id: int) -> list[Blob]:
    with sessions() as s:
        shas = [v.blob_sha256 for v in reading.versions(s, watch_id)]
        rows = {b.sha256: b for b in s.scalars(select(Blob).where(Blob.sha256.in_(shas)))}
        return [rows[sha] for sha in shas]


def test_every_version_of_a_small_edit_history_reads_back_and_costs_a_delta(sessions):
    bodies = small_edits(seed=1, versions=12)
    watch_id = watch(sessions, "https://example.com/council")
    history(sessions, watch_id, bodies)

    stored = blobs_of(sessions, watch_id)
    assert len(stored) == 12, "each edit is a version with its own blob"
    with sessions() as s:
        assert [read_body(s, b.sha256) for b in stored] == bodies
    first, later = stored[0], stored[1:]
    assert first.compression == PLAIN and first.base_sha256 is None
    assert all(b.compression == DELTA and b.base_sha256 == first.sha256 for b in later), (
        "every later version is a delta against the keyframe: one decompression deep"
    )
    assert max(len(b.data) for b in later) * 10 < len(first.data), "a small edit costs little"


def test_a_rewrite_starts_a_new_keyframe_and_later_edits_delta_against_it(sessions):
    before, after = article_paragraphs(seed=2), article_paragraphs(seed=3)
    bodies = [
        page(before, fetch=1),
        page(after, fetch=2, title="Council rewrites its budget"),
        page(edited(after, 5), fetch=3, title="Council rewrites its budget"),
    ]
    watch_id = watch(sessions, "https://example.com/rewrite")
    history(sessions, watch_id, bodies)

    first, rewrite, edit = blobs_of(sessions, watch_id)
    assert (rewrite.compression, rewrite.base_sha256) == (PLAIN, None), (
        "a delta that does not pay is stored as a plain blob"
    )
    assert (edit.compression, edit.base_sha256) == (DELTA, rewrite.sha256)
    with sessions() as s:
        assert [read_body(s, b.sha256) for b in (first, rewrite, edit)] == bodies


def test_the_same_body_from_two_watches_is_stored_once(sessions):
    bodies = small_edits(seed=4, versions=3)
    a = watch(sessions, "https://example.com/story")
    b = watch(sessions, "https://example.com/story?amp=1")
    history(sessions, a, bodies)
    history(sessions, b, bodies, start=30)

    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Blob)) == 3, "one blob per body"
    assert [x.sha256 for x in blobs_of(sessions, a)] == [x.sha256 for x in blobs_of(sessions, b)]
    with sessions() as s:
        assert [read_body(s, x.sha256) for x in blobs_of(sessions, b)] == bodies


def test_a_delta_whose_base_belonged_to_a_removed_watch_still_reads(sessions):
    bodies = small_edits(seed=5, versions=2)
    a = watch(sessions, "https://example.com/original")
    history(sessions, a, bodies)
    b = watch(sessions, "https://example.com/copy")
    history(sessions, b, bodies[1:], start=10)  # the copy serves a's second body: a delta
    [copy] = blobs_of(sessions, b)
    assert copy.compression == DELTA

    with sessions.begin() as s:
        remove_watch(s, str(a))
    with sessions() as s:
        assert read_body(s, copy.sha256) == bodies[1]
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.execute(delete(Blob).where(Blob.sha256 == copy.base_sha256))


def test_a_damaged_blob_is_reported_not_returned(sessions):
    bodies = small_edits(seed=6, versions=2)
    watch_id = watch(sessions, "https://example.com/damaged")
    history(sessions, watch_id, bodies)
    keyframe, delta = blobs_of(sessions, watch_id)

    with sessions.begin() as s:
        flipped = bytes([delta.data[-1] ^ 0xFF])
        s.execute(
            update(Blob).where(Blob.sha256 == delta.sha256).values(data=delta.data[:-1] + flipped)
        )
    with sessions() as s, pytest.raises(CorruptBlob, match=rf"blob {delta.sha256[:12]}"):
        read_body(s, delta.sha256)

    with sessions.begin() as s:
        s.execute(update(Blob).where(Blob.sha256 == keyframe.sha256).values(compression="brotli"))
    with sessions() as s:
        with pytest.raises(CorruptBlob, match="unknown blob compression 'brotli'"):
            read_body(s, keyframe.sha256)
        with pytest.raises(CorruptBlob, match=rf"blob {keyframe.sha256[:12]}"):
            read_body(s, delta.sha256)


def test_show_html_prints_a_delta_version_and_one_line_for_a_damaged_one(sessions, cli):
    bodies = small_edits(seed=7, versions=3)
    watch_id = watch(sessions, "https://example.com/shown")
    history(sessions, watch_id, bodies)

    shown = cli("show", str(watch_id), "latest", "--html").stdout
    assert shown.encode() == bodies[-1]

    latest = blobs_of(sessions, watch_id)[-1]
    with sessions.begin() as s:
        s.execute(update(Blob).where(Blob.sha256 == latest.sha256).values(data=b"\x28\xb5junk"))
    broken = cli("show", str(watch_id), "latest", "--html", ok=False)
    assert broken.returncode == 1 and broken.stdout == ""
    [line] = broken.stderr.strip().splitlines()
    assert line.startswith(f"error: blob {latest.sha256[:12]} cannot be decompressed")
