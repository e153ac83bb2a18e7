"""A word-level diff of two texts, as a list of operations, and its plain-text rendering.

>>> ops = word_diff("the mayor resigned on Monday", "the mayor resigned on Tuesday")
>>> render_markers(ops)
'the mayor resigned on [-Monday-]{+Tuesday+}'
>>> diff_stats(ops)
{'words_added': 1, 'words_removed': 1}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "delete", "insert", "replace"]

# A token is a word with the whitespace after it, so joining tokens gives the text back.
_TOKEN = re.compile(r"\S+\s*|\s+")


@dataclass(frozen=True)
class DiffOp:
    op: Op
    old: str
    new: str


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Operations turning ``old`` into ``new``, word by word (whitespace kept with each word)."""
    a, b = tokenize(old), tokenize(new)
    # Compare words without their trailing whitespace, so re-wrapping is not an edit.
    matcher = SequenceMatcher(None, [t.strip() for t in a], [t.strip() for t in b], autojunk=False)
    ops = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ops.append(DiffOp(tag, "".join(a[i1:i2]), "".join(b[j1:j2])))  # type: ignore[arg-type]
    return ops


def _split_trailing_space(text: str) -> tuple[str, str]:
    stripped = text.rstrip()
    return stripped, text[len(stripped) :]


def render_markers(ops: list[DiffOp]) -> str:
    """Plain text with ``[-removed-]`` and ``{+added+}`` markers, as ``git diff --word-diff``."""
    out = []
    for op in ops:
        if op.op == "equal":
            out.append(op.new)
            continue
        old, old_space = _split_trailing_space(op.old)
        new, new_space = _split_trailing_space(op.new)
        if old:
            out.append(f"[-{old}-]")
        if new:
            out.append(f"{{+{new}+}}")
        out.append(new_space or old_space)
    return "".join(out)


def diff_stats(ops: list[DiffOp]) -> dict[str, int]:
    """Words added and removed by the operations."""
    added = sum(len(op.new.split()) for op in ops if op.op in ("insert", "replace"))
    removed = sum(len(op.old.split()) for op in ops if op.op in ("delete", "replace"))
    return {"words_added": added, "words_removed": removed}
