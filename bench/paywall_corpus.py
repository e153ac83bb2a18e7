"""Report the paywall states and signals found on the article-extraction-benchmark corpus.

    .venv/bin/python bench/paywall_corpus.py [--corpus DIR] [--limit N] [--pages]

The corpus (scrapinghub/article-extraction-benchmark, MIT): ``ground-truth.json`` maps a page
id to ``{url, articleBody}``; the page is ``articles/<id>.html.gz`` (gzip, UTF-8). Each page
goes through the pipeline's extraction (``extract_article``), then ``page_signals`` and
``decide`` with no history (no longest version, no related page). Prints the pages per state,
the share that is not ``unknown``, the most common signals, and per state the median of the
extracted words over the ground truth's words (a cut text shows as a low share). It reports;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from statistics import median

from trafilatura.utils import load_html

from monitor.paywall import STATES, UNKNOWN, decide
from scraper.evidence import page_signals
from scraper.extract import extract_article

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def judge(html: str, url: str | None) -> tuple[str, list, int]:
    """The state, the evidence and the extracted word count of one page."""
    text = extract_article(html, url).article.text
    tree = load_html(html)
    signals = page_signals(tree, text) if tree is not None else []
    words = len(text.split())
    state, evidence = decide(signals, words=words)
    return state, evidence, words


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=None, help="only the first N pages")
    parser.add_argument("--pages", action="store_true", help="print every page's state")
    args = parser.parse_args(argv)
    truth_file = args.corpus / "ground-truth.json"
    if not truth_file.is_file():
        print(f"no corpus at {args.corpus} (needs ground-truth.json and articles/): skipped")
        return 0
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    states: Counter[str] = Counter()
    names: Counter[str] = Counter()
    shares: dict[str, list[float]] = defaultdict(list)
    for page_id, expected in list(truth.items())[: args.limit]:
        path = args.corpus / "articles" / f"{page_id}.html.gz"
        if not path.is_file():
            continue
        html = gzip.decompress(path.read_bytes()).decode("utf-8", errors="replace")
        state, evidence, words = judge(html, expected.get("url"))
        states[state] += 1
        names.update(s.name for s in evidence)
        truth_words = len((expected.get("articleBody") or "").split())
        if truth_words:
            shares[state].append(words / truth_words)
        if args.pages:
            shown = ", ".join(f"{s.name}({s.weight:+g})" for s in evidence)
            print(f"{state:8} {words:6} {expected.get('url', page_id)[:70]}  {shown}")
    total = sum(states.values())
    if not total:
        print(f"no pages under {args.corpus / 'articles'}: nothing to report")
        return 0
    print(f"\n{total} pages")
    for state in STATES:
        share = f"{median(shares[state]):.0%}" if shares[state] else "-"
        print(f"  {state:8} {states[state]:5}  ({states[state] / total:.0%})  words/truth {share}")
    print(f"  not {UNKNOWN}: {(total - states[UNKNOWN]) / total:.0%}")
    print("\nmost common signals (pages):")
    for name, count in names.most_common(15):
        print(f"  {count:5}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
