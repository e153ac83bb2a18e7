"""What changed in an article, cut to fit an alert (email, Slack, a webhook).

An edited paragraph is shown by its changed sentences only, with ``[-removed-]{+added+}``
markers; an inserted or deleted paragraph is shown whole (the renderer adds its ``+ ``/``- ``
prefix); a paragraph that only moved is left out. The lines keep the article's order and stop
at a character budget: the line that does not fit is cut at a word boundary, with "…".

>>> old = "The mayor spoke at noon. She said she resigned on Monday. Nobody asked why."
>>> new = "The mayor spoke at noon. She said she resigned on Tuesday. Nobody asked why."
>>> ex = excerpt(old, new)
>>> ex.lines
(ExcerptLine(kind='edited', text='She said she resigned on [-Monday.-]{+Tuesday.+}'),)
>>> (ex.truncated, ex.words_added, ex.words_removed)
(False, 1, 1)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.textdiff import DELETED, EDITED, INSERTED, MOVED, TextDiff, diff_texts
from monitor.worddiff import DiffOp, render_markers, tokenize

# What a line costs beyond its text: the renderer's two-character prefix and the newline.
LINE_OVERHEAD = 3
# A line is cut to fit only if this much of it fits; otherwise it is dropped.
MIN_CUT = 40
ELLIPSIS = "…"
# Between kept sentences that are not next to each other in the paragraph.
GAP = " … "

# A token that ends a sentence: ". ! ?" maybe followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019\u00bb)\]]*$")
# How a teaser paragraph ends where the paywall cut it: "…", "..." and spaces.
_TEASER_END = re.compile(r"[\s.…]+$")
_OPENERS = {"[-": "-]", "{+": "+}"}


@dataclass(frozen=True)
class ExcerptLine:
    kind: str  # "edited" | "inserted" | "deleted"
    text: str


@dataclass(frozen=True)
class Excerpt:
    lines: tuple[ExcerptLine, ...]
    truncated: bool
    words_added: int
    words_removed: int


def excerpt(old_text: str, new_text: str, budget: int = 1500) -> Excerpt:
    """The changed paragraphs of ``new_text`` against ``old_text``, in at most ``budget`` chars.

    A line costs ``len(text) + 3``. Once a line is cut or dropped, ``truncated`` is set and
    no further line is added; the first line is always cut rather than dropped when
    ``budget >= 40``, so texts that differ never give an empty excerpt.
    """
    diff = diff_texts(old_text, new_text)
    added, removed = int(diff.stats["words_added"]), int(diff.stats["words_removed"])
    lines: list[ExcerptLine] = []
    truncated = False
    used = 0
    for line in _changed_lines(diff):
        room = budget - used - LINE_OVERHEAD
        if len(line.text) <= room:
            lines.append(line)
            used += len(line.text) + LINE_OVERHEAD
            continue
        truncated = True
        if room >= MIN_CUT or (not lines and budget >= MIN_CUT):
            cut = cut_at_word(line.text, room, markers=line.kind == EDITED)
            lines.append(ExcerptLine(line.kind, cut))
        break
    return Excerpt(tuple(lines), truncated, added, removed)


def newly_readable(old_text: str, new_text: str, limit: int = 400) -> str:
    """The start of the text ``new_text`` has and ``old_text`` had not (a lifted paywall).

    Inserted paragraphs and the added words of edited paragraphs, in order: the pieces of one
    paragraph joined with a space, paragraphs with a newline; cut to ``limit`` characters. An
    inserted paragraph that starts with a deleted one (a teaser cut off mid-paragraph, maybe
    ending in "…") gives only what follows the teaser.

    >>> newly_readable("The mayor said…", "The mayor said she will not run again.")
    'she will not run again.'
    >>> newly_readable("", "")
    ''
    """
    diff = diff_texts(old_text, new_text)
    teasers = [_TEASER_END.sub("", b.old) for b in diff.blocks if b.kind == DELETED]
    pieces = []
    for blk in diff.blocks:
        if blk.kind == INSERTED:
            pieces.append(_after_teaser(blk.new, teasers))
        elif blk.kind in (EDITED, MOVED) and blk.words:
            added = [op.new.strip() for op in blk.words if op.op in ("insert", "replace")]
            pieces.append(" ".join(a for a in added if a))
    return cut_at_word("\n".join(p for p in pieces if p), limit)


def _after_teaser(paragraph: str, teasers: list[str]) -> str:
    for k, teaser in enumerate(teasers):
        rest = paragraph[len(teaser) :]
        if teaser and paragraph.startswith(teaser) and not rest[:1].isalnum():
            del teasers[k]  # one teaser continues one paragraph
            return rest.lstrip(" \t.…")
    return paragraph


def cut_at_word(text: str, limit: int, *, markers: bool = False) -> str:
    """``text`` if it fits in ``limit`` characters, else its start cut at a word with "…".

    With ``markers``, a ``[-``/``{+`` marker left open by the cut is closed after the "…".

    >>> cut_at_word("the harbour bridge is closed", 20)
    'the harbour bridge…'
    >>> cut_at_word("the [-harbour bridge-] is closed", 20, markers=True)
    'the [-harbour…-]'
    """
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS) - (2 if markers else 0)
    if room <= 0:
        return ELLIPSIS[: max(limit, 0)]
    head = text[:room]
    if not text[room].isspace():
        # Back up to the last whitespace, unless the text is one word too long to show.
        space = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if space > 0:
            head = head[:space]
    head = head.rstrip().rstrip(ELLIPSIS).rstrip()
    closer = ""
    if markers:
        for opener in _OPENERS:
            if head.endswith(opener):  # a marker with nothing in it yet: leave it out
                head = head[: -len(opener)].rstrip()
        closer = _open_marker_closer(head)
    return head + ELLIPSIS + closer


def _open_marker_closer(text: str) -> str:
    for opener, closer in _OPENERS.items():
        if text.rfind(opener) > text.rfind(closer):
            return closer
    return ""


def _changed_lines(diff: TextDiff) -> list[ExcerptLine]:
    lines = []
    for blk in diff.blocks:
        if blk.kind == INSERTED:
            lines.append(ExcerptLine(INSERTED, blk.new))
        elif blk.kind == DELETED:
            lines.append(ExcerptLine(DELETED, blk.old))
        elif blk.kind in (EDITED, MOVED) and blk.words:
            text = changed_sentences(list(blk.words))
            if text:  # empty when only whitespace changed: nothing to show
                lines.append(ExcerptLine(EDITED, text))
    return lines


def changed_sentences(ops: list[DiffOp]) -> str:
    """The sentences of an edited paragraph that hold a change, rendered with markers.

    Sentences are those of the new paragraph; a whole sentence deleted between two is a span
    of its own. Kept spans next to each other are joined by a space, others by " … ".

    >>> from monitor.worddiff import word_diff
    >>> changed_sentences(word_diff("A b. C d. E f. G h.", "A b. C x. E f. G y."))
    'C [-d.-]{+x.+} … G [-h.-]{+y.+}'
    >>> changed_sentences(word_diff("A b. C d. E f.", "A b. E f."))
    '[-C d.-]'
    """
    new_tokens = tokenize("".join(op.new for op in ops))
    sentence_of = _sentence_indices(new_tokens)
    units: list[list[DiffOp]] = []
    unit_of_sentence: dict[int, int] = {}

    def unit(sentence: int) -> list[DiffOp]:
        if sentence not in unit_of_sentence:
            unit_of_sentence[sentence] = len(units)
            units.append([])
        return units[unit_of_sentence[sentence]]

    j = 0  # index of the next new token
    old_before = ""
    for op in ops:
        if op.op == "delete":
            if not new_tokens:
                unit(0).append(op)
            elif _whole_sentences_between(op.old, old_before, sentence_of, j):
                units.append([op])
            else:
                _append_deletion(unit(sentence_of[min(j, len(new_tokens) - 1)]), op)
        else:
            # Split the operation's new words by sentence; removed words go with the first part.
            old_part = op.old
            for sentence, part in _split_by_sentence(tokenize(op.new), sentence_of, j):
                if op.op == "equal":
                    piece = DiffOp("equal", part, part)
                else:
                    piece = DiffOp("replace" if old_part else "insert", old_part, part)
                    old_part = ""
                unit(sentence).append(piece)
            j += len(tokenize(op.new))
        old_before += op.old

    kept = [(k, render_markers(u).strip()) for k, u in enumerate(units) if _changed(u)]
    out = ""
    for n, (k, text) in enumerate(kept):
        if n:
            out += " " if k == kept[n - 1][0] + 1 else GAP
        out += text
    return out


def _append_deletion(unit: list[DiffOp], op: DiffOp) -> None:
    """Add a deletion, spaced from the word before it (the paragraph's last word has none)."""
    if unit and unit[-1].op == "equal" and not unit[-1].new[-1:].isspace():
        unit[-1] = DiffOp("equal", unit[-1].new + " ", unit[-1].new + " ")
    unit.append(op)


def _split_by_sentence(tokens: list[str], sentence_of: list[int], j: int) -> list[tuple[int, str]]:
    """Consecutive tokens starting at new token ``j``, joined per sentence."""
    parts: list[tuple[int, str]] = []
    for k, token in enumerate(tokens):
        sentence = sentence_of[j + k]
        if parts and parts[-1][0] == sentence:
            parts[-1] = (sentence, parts[-1][1] + token)
        else:
            parts.append((sentence, token))
    return parts


def _sentence_indices(tokens: list[str]) -> list[int]:
    """For each token, the index of its sentence: one ends at ". ! ?" followed by space."""
    indices, sentence = [], 0
    for token in tokens:
        indices.append(sentence)
        if token != token.rstrip() and _SENTENCE_END.search(token.rstrip()):
            sentence += 1
    return indices


def _whole_sentences_between(deleted: str, old_before: str, sentence_of: list[int], j: int) -> bool:
    """Whether a deletion is whole sentences, between two sentences of the new paragraph."""
    starts_sentence = not old_before.strip() or bool(_SENTENCE_END.search(old_before.rstrip()))
    ends_sentence = bool(_SENTENCE_END.search(deleted.rstrip()))
    at_boundary = j == 0 or j == len(sentence_of) or sentence_of[j] != sentence_of[j - 1]
    return starts_sentence and ends_sentence and at_boundary


def _changed(ops: list[DiffOp]) -> bool:
    return any(op.op != "equal" for op in ops)
