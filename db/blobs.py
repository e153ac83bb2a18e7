"""Raw bodies as blobs: content-addressed by sha256, zstd-compressed, stored once.

A body that makes a new version is nearly always the page of the version before with a
sentence changed and new ad ids, so it is stored as a *delta*: zstd-compressed with an earlier
body of the watch, its *base*, as the dictionary. A small edit of a 120 KiB page then takes
a few hundred bytes where the page alone takes ~24 KiB. Every base is a *keyframe*, a blob
compressed alone, so reading any body costs at most two decompressions however long the
history. A delta is kept only while it is at most ``DELTA_SHARE`` of the body compressed
alone; past that (a paywall lift, a redesign, edits piling up since the keyframe) the body
becomes a keyframe itself.

Blobs are never deleted, and the foreign key from ``base_sha256`` refuses to delete a base
while a delta needs it, so removing a watch never makes another watch's body unreadable.

>>> pack(b"hello " * 100)[0]
'zstd'
>>> unpack("zstd", pack(b"hello " * 100)[1]) == b"hello " * 100
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import zstandard
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Blob
from palimpsest.errors import PalimpsestError

ZSTD_LEVEL = 3
PLAIN, STORED, DELTA = "zstd", "none", "zstd-delta"
# A delta larger than this share of the body compressed alone starts a new keyframe: the
# next bodies, deltas against it, are then small again.
DELTA_SHARE = 0.25
# Deltas are written one deep; reading follows a few more links for blobs of other writers.
MAX_DEPTH = 4


class CorruptBlob(PalimpsestError):
    """A stored body that cannot be read back as it was written."""

    status = 500


@dataclass(frozen=True)
class NewBody:
    """A body to keep, and the blob of the version it follows (a candidate base), if any."""

    sha256: str
    body: bytes
    follows: str | None = None


def store_bodies(session: Session, bodies: Iterable[NewBody], now: datetime) -> None:
    """Insert the blobs of ``bodies`` not stored yet, as deltas where that pays."""
    wanted = {b.sha256: b for b in bodies}
    if not wanted:
        return
    stored = set(session.scalars(select(Blob.sha256).where(Blob.sha256.in_(list(wanted)))))
    todo = [b for sha, b in wanted.items() if sha not in stored]
    if not todo:
        return
    keyframes = _keyframes(session, {b.follows for b in todo if b.follows})
    rows = [_row(b, keyframes.get(b.follows), now) for b in todo]
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(Blob)
    # Another worker may have stored the same body meanwhile: either row reads the same.
    session.execute(stmt.on_conflict_do_nothing(index_elements=["sha256"]), rows)


def read_body(session: Session, sha256: str) -> bytes:
    """The body stored as blob ``sha256``, checked against its hash."""
    return _read(session, sha256, 0)


def pack(body: bytes) -> tuple[str, bytes]:
    """(compression, bytes) of a keyframe; bodies that do not shrink are stored as they are."""
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body)
    if len(compressed) < len(body):
        return PLAIN, compressed
    return STORED, body


def unpack(compression: str, data: bytes, base: bytes | None = None) -> bytes:
    """The body from a blob's bytes; a delta needs its base's body."""
    if compression == PLAIN:
        return zstandard.ZstdDecompressor().decompress(data)
    if compression == STORED:
        return data
    if compression == DELTA:
        if base is None:
            raise ValueError("a delta blob needs its base's body to be read")
        return zstandard.ZstdDecompressor(dict_data=_dictionary(base)).decompress(data)
    raise ValueError(f"unknown blob compression {compression!r}")


@dataclass
class _Keyframe:
    sha256: str
    body: bytes
    dictionary: zstandard.ZstdCompressionDict


def _keyframes(session: Session, follows: set[str]) -> dict[str, _Keyframe]:
    """For each blob in ``follows``, the keyframe a delta after it is written against."""
    if not follows:
        return {}
    links = dict(
        session.execute(select(Blob.sha256, Blob.base_sha256).where(Blob.sha256.in_(follows))).all()
    )
    keys = {sha: base or sha for sha, base in links.items()}
    rows = session.execute(
        select(Blob.sha256, Blob.compression, Blob.data).where(
            Blob.sha256.in_(set(keys.values())), Blob.base_sha256.is_(None)
        )
    )
    found = {}
    for sha, compression, data in rows:
        body = unpack(compression, data)
        found[sha] = _Keyframe(sha, body, _dictionary(body))
    return {sha: found[key] for sha, key in keys.items() if key in found}


def _row(new: NewBody, keyframe: _Keyframe | None, now: datetime) -> dict:
    compression, data = pack(new.body)
    base = None
    if keyframe is not None and keyframe.sha256 != new.sha256:
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, dict_data=keyframe.dictionary)
        delta = compressor.compress(new.body)
        if len(delta) <= DELTA_SHARE * len(data):
            compression, data, base = DELTA, delta, keyframe.sha256
    return {
        "sha256": new.sha256,
        "size": len(new.body),
        "compression": compression,
        "data": data,
        "created_at": now,
        "base_sha256": base,
    }


def _read(session: Session, sha256: str, depth: int) -> bytes:
    name = f"blob {sha256[:12]}"
    if depth > MAX_DEPTH:
        raise CorruptBlob(f"{name}: more than {MAX_DEPTH} deltas deep")
    blob = session.get(Blob, sha256)
    if blob is None:
        raise CorruptBlob(f"{name} is missing")
    base = _read(session, blob.base_sha256, depth + 1) if blob.base_sha256 else None
    try:
        body = unpack(blob.compression, blob.data, base)
    except zstandard.ZstdError as exc:
        raise CorruptBlob(f"{name} cannot be decompressed ({exc})") from None
    except ValueError as exc:
        raise CorruptBlob(f"{name} cannot be read: {exc}") from None
    if len(body) != blob.size or hashlib.sha256(body).hexdigest() != sha256:
        raise CorruptBlob(f"{name} is corrupt: its body does not match its sha256")
    return body


def _dictionary(base: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
