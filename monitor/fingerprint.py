"""Fingerprints: the raw body's hash, and a hash of the article text that ignores form.

Two texts that differ only in whitespace, case, punctuation or Unicode form share a
fingerprint, so such a difference is never a new version.

>>> text_fingerprint("Hello,  World!") == text_fingerprint("hello world")
True
>>> text_fingerprint("hello world") == text_fingerprint("hello there")
False
"""

from __future__ import annotations

import hashlib
import unicodedata

# Unicode categories dropped by normalisation: punctuation and symbols of every kind.
_DROPPED = ("P", "S")


class _Blanking(dict):
    """A str.translate table that maps punctuation and symbols to a space, learnt lazily."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        self[codepoint] = value = " " if unicodedata.category(char)[0] in _DROPPED else char
        return value


_BLANKING = _Blanking()


def raw_hash(body: bytes) -> str:
    """The sha256 of the bytes as served, in hex."""
    return hashlib.sha256(body).hexdigest()


def normalise_text(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols dropped, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.translate(_BLANKING).split())


def text_fingerprint(text: str, title: str | None = None) -> str:
    """A sha256 of the normalised title and text; equal fingerprints mean the same article."""
    payload = normalise_text(title or "") + "\n" + normalise_text(text)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
