"""Extraction quality and cost on the article-extraction-benchmark corpus, per configuration.

    .venv/bin/python bench/extraction.py [--limit N] [--repeat 3] [--corpus DIR]

The corpus (scrapinghub/article-extraction-benchmark, MIT): ``ground-truth.json`` maps a page
id to ``{url, articleBody}``; the page is ``articles/<id>.html.gz`` (gzip, UTF-8). Every
configuration extracts every page; its text is scored against ``articleBody`` with token F1
(``bench/f1.py``: mean of per-page F1, precision, recall, pages below F1 0.8) and with the
benchmark's own metric (4-token shingles, F1 of mean P and mean R: "bench F1", the figure the
benchmark publishes, 0.958-0.960 for trafilatura).

Cost: the process is pinned to one CPU; after a warm-up, each page is timed (perf_counter
around the extraction call only) ``--repeat`` times with the configurations interleaved, and
the fastest run counts, so other load on the machine does not land on one configuration.
Prints a table and writes ``bench/results/extraction.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from types import SimpleNamespace
from typing import Any

import trafilatura
from f1 import benchmark_f1, shingle_counts, token_scores
from rich.console import Console
from rich.table import Table
from trafilatura.utils import load_html

from scraper import extract

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DEFAULT_CORPUS = BENCH.parent.parent / "shared" / "corpus"
WARM_UP_PAGES = 5
REFERENCE, PIPELINE = "trafilatura defaults", "pipeline (extract_article)"  # cost references
COLUMNS = ("F1", "P", "R", "F1<0.8", "bench F1", "ms mean", "ms p95", "/trafilatura", "/pipeline")

Extractor = Callable[[str, str], str]

# A precision extraction under twice trafilatura's MIN_EXTRACTED_SIZE (250 characters, below
# which it rescues a balanced extraction itself) is redone in the balanced mode, which is kept
# if at least twice as long (at 1.5 a headline + standfirst won over a short story).
RESCUE_BELOW, RESCUE_ACCEPT_RATIO = 500, 2.0


def precision_then_balanced(tree: Any, **kwargs: Any) -> Any:
    """``bare_extraction`` favouring precision, redone balanced when it found little."""
    document = trafilatura.bare_extraction(tree, **{**kwargs, "favor_precision": True})
    length = len(document.text or "") if document else 0
    if length < RESCUE_BELOW:
        balanced = trafilatura.bare_extraction(tree, **{**kwargs, "favor_precision": False})
        if balanced and len(balanced.text or "") >= RESCUE_ACCEPT_RATIO * length:
            return balanced
    return document


def precision_then_baseline(tree: Any, **kwargs: Any) -> Any:
    """The same, with trafilatura's ``baseline()`` (JSON-LD, <article>, <p>) as the rescue."""
    document = trafilatura.bare_extraction(tree, **{**kwargs, "favor_precision": True})
    if document is not None and len(document.text or "") < RESCUE_BELOW:
        text = trafilatura.baseline(tree)[1]
        if len(text) >= RESCUE_ACCEPT_RATIO * len(document.text or ""):
            document.text = text
    return document


def pipeline(**overrides: Any) -> Extractor:
    """``scraper.extract.extract_article`` as it is, or with module globals swapped in."""

    def run(html: str, url: str) -> str:
        saved = {name: getattr(extract, name) for name in overrides}
        for name, value in overrides.items():
            setattr(extract, name, value)
        try:
            return extract.extract_article(html, url).article.text
        finally:
            for name, value in saved.items():
                setattr(extract, name, value)

    return run


def bare(**options: Any) -> Extractor:
    return lambda html, url: trafilatura.extract(html, url=url, **options) or ""


def bare_rescued(**options: Any) -> Extractor:
    """trafilatura alone, favouring precision, with the balanced rescue."""

    def run(html: str, url: str) -> str:
        document = precision_then_balanced(load_html(html), url=url, **options)
        return (document.text or "") if document else ""

    return run


def longer(*extractors: Extractor) -> Extractor:
    return lambda html, url: max((e(html, url) for e in extractors), key=len)


def with_json_ld(extractor: Extractor) -> Extractor:
    """The extraction, or the page's JSON-LD ``articleBody`` when that is longer."""
    from trafilatura.baseline import _collect_json_content, _render_text  # private, bench only

    def run(html: str, url: str) -> str:
        text = extractor(html, url)
        bodies, _ = _collect_json_content(load_html(html))
        json_ld = "\n".join(_render_text(body) for body in bodies)
        return json_ld if len(json_ld) > len(text) else text

    return run


def configurations() -> dict[str, Extractor]:
    precise = pipeline(OPTIONS={**extract.OPTIONS, "favor_precision": True})
    return {
        PIPELINE: pipeline(),
        "pipeline, headline kept": pipeline(_without_headline=lambda text, title: text),
        REFERENCE: bare(),
        "trafilatura, no comments": bare(include_comments=False),
        "trafilatura favor_recall": bare(favor_recall=True),
        "trafilatura favor_precision": bare(favor_precision=True),
        "trafilatura fast": bare(fast=True),
        "trafilatura, no comments, precision + rescue": bare_rescued(include_comments=False),
        "pipeline + fast": pipeline(OPTIONS={**extract.OPTIONS, "fast": True}),
        "pipeline + favor_precision": precise,
        "pipeline + precision, balanced rescue": pipeline(
            trafilatura=SimpleNamespace(bare_extraction=precision_then_balanced)
        ),
        "pipeline + precision, baseline() rescue": pipeline(
            trafilatura=SimpleNamespace(bare_extraction=precision_then_baseline)
        ),
        "pipeline + JSON-LD articleBody if longer": with_json_ld(pipeline()),
        "longer of pipeline, pipeline + precision": longer(pipeline(), precise),
    }


def load_corpus(corpus: Path, limit: int | None) -> list[tuple[str, str, str, str]]:
    """(id, url, html, articleBody) of each page with both a ground truth and an HTML file."""
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth)[:limit]:
        path = corpus / "articles" / f"{key}.html.gz"
        if path.exists():
            html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
            pages.append((key, truth[key]["url"], html, truth[key]["articleBody"]))
    return pages


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, math.ceil(0.95 * len(values)) - 1)]


def measure(
    pages: list[tuple[str, str, str, str]], extractors: dict[str, Extractor], repeat: int
) -> dict:
    for _, url, html, _ in pages[:WARM_UP_PAGES]:
        for run in extractors.values():
            run(html, url)
    texts = {name: {} for name in extractors}
    best = {name: {} for name in extractors}
    for key, url, html, _ in pages:
        for _ in range(repeat):
            for name, run in extractors.items():
                start = time.perf_counter()
                text = run(html, url)
                elapsed = (time.perf_counter() - start) * 1000
                texts[name][key] = text
                best[name][key] = min(elapsed, best[name].get(key, math.inf))
    results = {}
    for name in extractors:
        scores = {key: token_scores(texts[name][key], truth) for key, _, _, truth in pages}
        bench = benchmark_f1(shingle_counts(texts[name][key], truth) for key, _, _, truth in pages)
        ms = list(best[name].values())
        results[name] = {
            "f1": mean(s.f1 for s in scores.values()),
            "precision": mean(s.precision for s in scores.values()),
            "recall": mean(s.recall for s in scores.values()),
            "below_0.8": sum(s.f1 < 0.8 for s in scores.values()),
            "bench_f1": bench.f1,
            "ms_mean": mean(ms),
            "ms_p95": p95(ms),
            "pages": {key: round(s.f1, 4) for key, s in scores.items()},
        }
    return results


def print_table(results: dict, pages: int, repeat: int) -> None:
    reference, ours = results[REFERENCE]["ms_mean"], results[PIPELINE]["ms_mean"]
    title = f"{pages} pages, token F1 against articleBody; ms: fastest of {repeat}, one core"
    table = Table(title=title)
    table.add_column("configuration")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for name, r in results.items():
        table.add_row(
            name,
            *(f"{r[k]:.4f}" for k in ("f1", "precision", "recall")),
            str(r["below_0.8"]),
            f"{r['bench_f1']:.4f}",
            f"{r['ms_mean']:.1f}",
            f"{r['ms_p95']:.1f}",
            f"{r['ms_mean'] / reference:.2f}",
            f"{r['ms_mean'] / ours:.2f}",
        )
    Console(width=160).print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, help="only the first N pages (by id)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed runs per page (fastest counts)"
    )
    args = parser.parse_args()
    if not (args.corpus / "ground-truth.json").exists():
        print(f"No corpus at {args.corpus} (ground-truth.json + articles/): nothing to measure.")
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    pages = load_corpus(args.corpus, args.limit)
    if not pages:
        print(f"No page of {args.corpus / 'ground-truth.json'} is in {args.corpus / 'articles'}.")
        return
    results = measure(pages, configurations(), max(1, args.repeat))
    print_table(results, len(pages), args.repeat)
    RESULTS.mkdir(exist_ok=True)
    meta = {"pages": len(pages), "repeat": args.repeat, "trafilatura": extract.EXTRACTOR_VERSION}
    (RESULTS / "extraction.json").write_text(
        json.dumps({**meta, "configurations": results}, indent=1)
    )


if __name__ == "__main__":
    main()
