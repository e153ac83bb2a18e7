"""Scores of an extracted text against a reference text: token F1 and the benchmark's shingles.

``token_scores`` is bag-of-words F1 (lowercased ``\\w+`` tokens, multiset overlap).
``shingle_counts`` follows scrapinghub/article-extraction-benchmark's evaluate.py (MIT): 4-token
shingles, TP/FP/FN normalised per page; its F1 is the harmonic mean of the *mean* precision and
*mean* recall over pages (``benchmark_f1``), which is how its published figures are computed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from statistics import mean
from typing import NamedTuple

_TOKEN = re.compile(r"\w+")


class Scores(NamedTuple):
    precision: float
    recall: float
    f1: float


def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall((text or "").lower())


def token_scores(predicted: str | None, truth: str | None) -> Scores:
    """Bag-of-tokens precision, recall and F1; empty against empty is a perfect score."""
    pred, true = Counter(tokens(predicted)), Counter(tokens(truth))
    if not pred and not true:
        return Scores(1.0, 1.0, 1.0)
    overlap = sum((pred & true).values())
    if overlap == 0:
        return Scores(0.0, 0.0, 0.0)
    precision, recall = overlap / sum(pred.values()), overlap / sum(true.values())
    return Scores(precision, recall, 2 * precision * recall / (precision + recall))


def _shingles(text: str | None, n: int = 4) -> Counter[tuple[str, ...]]:
    # The benchmark does not lowercase (its IGNORECASE flag does nothing to \w+).
    words = _TOKEN.findall(text or "")
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words)


def shingle_counts(predicted: str | None, truth: str | None) -> tuple[float, float, float]:
    """The benchmark's per-page (tp, fp, fn) over 4-token shingles, normalised to sum to 1."""
    pred, true = _shingles(predicted), _shingles(truth)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def benchmark_f1(counts: Iterable[tuple[float, float, float]]) -> Scores:
    """The benchmark's headline metric: F1 of the mean precision and the mean recall."""
    counts = list(counts)
    precisions = [1.0 if fp == fn == 0 else tp / (tp + fp) for tp, fp, fn in counts if tp + fp]
    recalls = [1.0 if fp == fn == 0 else tp / (tp + fn) for tp, fp, fn in counts if tp + fn]
    p, r = mean(precisions or [0.0]), mean(recalls or [0.0])
    return Scores(p, r, 2 * p * r / (p + r) if p + r else 0.0)
