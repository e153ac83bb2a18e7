"""Diff latency on real article text with synthetic edits, against difflib on the same words.

    .venv/bin/python bench/diff.py [--pages N] [--repeat R]

For each corpus page (../shared/corpus; generated text if absent) the extracted text is
grown to about 10,000 words with other pages' paragraphs, then edited: 5, 20 and 100 word
edits scattered through it, and a full rewrite. Each pair is diffed by Palimpsest's article
diff (``monitor.textdiff.diff_texts``) and by ``difflib.SequenceMatcher`` on the two word
lists, in the same run; the table gives medians, p95 and the ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import time
from difflib import SequenceMatcher
from pathlib import Path

from rich.console import Console
from rich.table import Table

from monitor.textdiff import diff_texts

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "articles"
RESULTS = Path(__file__).resolve().parent / "results" / "diff.json"
TARGET_WORDS = 10_000
EDITS = {"5 edits": 5, "20 edits": 20, "100 edits": 100, "full rewrite": None}


def corpus_paragraphs(limit: int) -> list[list[str]]:
    from scraper.extract import extract_article

    pages = []
    for path in sorted(CORPUS.glob("*.html.gz"))[:limit]:
        text = extract_article(gzip.decompress(path.read_bytes()).decode("utf-8", "replace"))
        if text.article.paragraphs:
            pages.append(text.article.paragraphs)
    return pages


def generated_paragraphs(count: int, rnd: random.Random) -> list[list[str]]:
    words = ("council", "bridge", "harbour", "vote", "mayor", "traffic", "repair", "budget")
    return [
        [" ".join(rnd.choices(words, k=rnd.randint(20, 60))) + "." for _ in range(30)]
        for _ in range(count)
    ]


def long_article(pages: list[list[str]], start: int) -> list[str]:
    out: list[str] = []
    k = start
    while sum(len(p.split()) for p in out) < TARGET_WORDS:
        out.extend(pages[k % len(pages)])
        k += 1
    return out


def edited(paragraphs: list[str], edits: int | None, rnd: random.Random) -> list[str]:
    if edits is None:  # a full rewrite: every paragraph's words shuffled, order reversed
        return [" ".join(rnd.sample(p.split(), len(p.split()))) for p in reversed(paragraphs)]
    out = list(paragraphs)
    for _ in range(edits):
        k = rnd.randrange(len(out))
        words = out[k].split()
        if words:
            words[rnd.randrange(len(words))] = rnd.choice(["edited", "amended", "revised"])
            out[k] = " ".join(words)
    return out


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30, help="articles to build pairs from")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rnd = random.Random(7)
    pages = corpus_paragraphs(args.pages) if CORPUS.is_dir() else []
    source = "corpus" if pages else "generated"
    pages = pages or generated_paragraphs(args.pages, rnd)
    results: dict[str, dict[str, list[float]]] = {n: {"ours": [], "difflib": []} for n in EDITS}
    degraded: dict[str, int] = dict.fromkeys(EDITS, 0)
    for k in range(len(pages)):
        article = long_article(pages, k)
        old = "\n".join(article)
        for name, edits in EDITS.items():
            new = "\n".join(edited(article, edits, rnd))
            results[name]["ours"].append(timed(lambda o=old, n=new: diff_texts(o, n), args.repeat))
            words_old, words_new = old.split(), new.split()
            results[name]["difflib"].append(
                timed(
                    lambda a=words_old, b=words_new: SequenceMatcher(
                        None, a, b, autojunk=False
                    ).get_opcodes(),
                    args.repeat,
                )
            )
            degraded[name] += diff_texts(old, new).degraded

    table = Table(title=f"diff latency, ~{TARGET_WORDS:,}-word articles ({source}, {len(pages)})")
    for column in (
        "edits",
        "ours median ms",
        "ours p95 ms",
        "difflib median ms",
        "ratio",
        "degraded",
    ):
        table.add_column(column, justify="right")
    summary = {}
    for name, times in results.items():
        ours, base = statistics.median(times["ours"]), statistics.median(times["difflib"])
        p95 = statistics.quantiles(times["ours"], n=20)[-1] if len(times["ours"]) > 1 else ours
        summary[name] = {
            "ours_median_ms": ours,
            "ours_p95_ms": p95,
            "difflib_median_ms": base,
            "ratio": ours / base,
            "degraded": degraded[name],
        }
        table.add_row(
            name,
            f"{ours:.1f}",
            f"{p95:.1f}",
            f"{base:.1f}",
            f"{ours / base:.2f}",
            f"{degraded[name]}/{len(pages)}",
        )
    Console().print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"source": source, "pages": len(pages), **summary}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
