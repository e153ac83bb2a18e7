"""An article diff: paragraphs aligned first, then words diffed inside each edited pair.

A paragraph edited in place pairs with its old self; an inserted or deleted paragraph stands
alone; a paragraph that changed place is ``moved``, not a deletion plus an insertion. The
work is bounded: a region too large to pair paragraph by paragraph (a full rewrite) is shown
as whole paragraphs deleted and inserted, and the diff says it was ``degraded``.

>>> d = diff_texts("One two three.\\nFour five.", "One two four.\\nFour five.\\nSix.")
>>> [(b.kind, b.old_index, b.new_index) for b in d.blocks]
[('edited', 0, 0), ('equal', 1, 1), ('inserted', None, 2)]
>>> apply_diff("One two three.\\nFour five.", d)
'One two four.\\nFour five.\\nSix.'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from monitor.fingerprint import normalise_text
from monitor.worddiff import DiffOp, diff_stats, word_diff

EQUAL, EDITED, INSERTED, DELETED, MOVED = "equal", "edited", "inserted", "deleted", "moved"

# Two paragraphs are the same paragraph edited when this share of their words is shared.
PAIR_AT = 0.5
# A deleted and an inserted paragraph are one moved paragraph from this similarity.
MOVE_AT = 0.8
# Regions with more candidate pairs than this are not paired: the diff is degraded.
MAX_PAIRS = 4_000


@dataclass(frozen=True)
class Block:
    """One paragraph of the alignment, in the new text's order (deletions where they were)."""

    kind: str
    old_index: int | None
    new_index: int | None
    old: str | None
    new: str | None
    words: tuple[DiffOp, ...] = ()  # for edited (and edited-while-moved) paragraphs


@dataclass(frozen=True)
class TextDiff:
    blocks: tuple[Block, ...]
    stats: dict[str, float] = field(default_factory=dict)
    degraded: bool = False

    @property
    def changed(self) -> bool:
        return any(b.kind != EQUAL for b in self.blocks)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


def diff_texts(old: str, new: str) -> TextDiff:
    a, b = paragraphs(old), paragraphs(new)
    keys_a, keys_b = [normalise_text(p) for p in a], [normalise_text(p) for p in b]
    matcher = SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    blocks: list[Block] = []
    degraded = False
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            blocks.extend(
                _same(a, b, i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        region, too_big = _pair_region(a, b, range(i1, i2), range(j1, j2))
        degraded |= too_big
        blocks.extend(region)
    blocks = _find_moves(blocks)
    return TextDiff(tuple(blocks), _stats(blocks, a, b), degraded)


def _same(a: list[str], b: list[str], i: int, j: int) -> Block:
    """Paragraphs equal once normalised; a change of form only is still shown, word by word."""
    if a[i] == b[j]:
        return Block(EQUAL, i, j, a[i], b[j])
    return Block(EDITED, i, j, a[i], b[j], tuple(word_diff(a[i], b[j])))


def _pair_region(a, b, olds: range, news: range) -> tuple[list[Block], bool]:
    """Pair the deleted and inserted paragraphs of one region, keeping both orders."""
    if len(olds) * len(news) > MAX_PAIRS:
        return [Block(DELETED, i, None, a[i], None) for i in olds] + [
            Block(INSERTED, None, j, None, b[j]) for j in news
        ], True
    words_a = {i: set(normalise_text(a[i]).split()) for i in olds}
    words_b = {j: set(normalise_text(b[j]).split()) for j in news}
    out: list[Block] = []
    next_old = olds.start
    for j in news:
        best, best_score = None, PAIR_AT
        for i in range(next_old, olds.stop):
            score = _overlap(words_a[i], words_b[j])
            if score >= best_score:
                best, best_score = i, score
        if best is None:
            out.append(Block(INSERTED, None, j, None, b[j]))
            continue
        out.extend(Block(DELETED, i, None, a[i], None) for i in range(next_old, best))
        out.append(Block(EDITED, best, j, a[best], b[j], tuple(word_diff(a[best], b[j]))))
        next_old = best + 1
    out.extend(Block(DELETED, i, None, a[i], None) for i in range(next_old, olds.stop))
    return out, False


def _overlap(x: set[str], y: set[str]) -> float:
    if not x and not y:
        return 1.0
    return len(x & y) / max(len(x | y), 1)


def _find_moves(blocks: list[Block]) -> list[Block]:
    """Turn a deletion and an insertion of (nearly) the same paragraph into one move."""
    deleted = [k for k, blk in enumerate(blocks) if blk.kind == DELETED]
    inserted = [k for k, blk in enumerate(blocks) if blk.kind == INSERTED]
    if not deleted or not inserted or len(deleted) * len(inserted) > MAX_PAIRS:
        return blocks
    keys = {k: normalise_text(blocks[k].old or blocks[k].new or "") for k in deleted + inserted}
    words = {k: set(keys[k].split()) for k in keys}
    gone: set[int] = set()
    result = list(blocks)
    for k in inserted:
        match = next((d for d in deleted if d not in gone and keys[d] == keys[k]), None)
        if match is None:
            candidates = [(d, _overlap(words[d], words[k])) for d in deleted if d not in gone]
            match, score = max(candidates, key=lambda c: c[1], default=(None, 0.0))
            if score < MOVE_AT:
                continue
        gone.add(match)
        old = blocks[match]
        ops = () if old.old == blocks[k].new else tuple(word_diff(old.old, blocks[k].new))
        result[k] = Block(MOVED, old.old_index, blocks[k].new_index, old.old, blocks[k].new, ops)
    return [blk for k, blk in enumerate(result) if k not in gone]


def _stats(blocks: list[Block], a: list[str], b: list[str]) -> dict[str, float]:
    added = removed = 0
    for blk in blocks:
        if blk.kind == INSERTED:
            added += len(blk.new.split())
        elif blk.kind == DELETED:
            removed += len(blk.old.split())
        elif blk.words:
            counts = diff_stats(list(blk.words))
            added += counts["words_added"]
            removed += counts["words_removed"]
    total = max(sum(len(p.split()) for p in a), sum(len(p.split()) for p in b), 1)
    count = {
        kind: sum(1 for blk in blocks if blk.kind == kind)
        for kind in (INSERTED, DELETED, EDITED, MOVED)
    }
    return {
        "words_added": added,
        "words_removed": removed,
        "words_changed": min(added, removed),
        "share_changed": round(min(1.0, max(added, removed) / total), 4),
        "paragraphs_added": count[INSERTED],
        "paragraphs_removed": count[DELETED],
        "paragraphs_edited": count[EDITED],
        "paragraphs_moved": count[MOVED],
    }


def apply_diff(old: str, diff: TextDiff) -> str:
    """The new text, rebuilt from ``old`` and the diff's operations (a round-trip check)."""
    a = paragraphs(old)
    out = []
    for blk in diff.blocks:
        if blk.kind == DELETED:
            continue
        if blk.kind == INSERTED:
            out.append(blk.new)
        elif blk.words:
            if "".join(op.old for op in blk.words) != a[blk.old_index]:
                raise ValueError(f"the diff does not apply: paragraph {blk.old_index} differs")
            out.append("".join(op.new for op in blk.words))
        else:
            out.append(a[blk.old_index] if blk.kind in (EQUAL, MOVED) else blk.new)
    return "\n".join(out)
