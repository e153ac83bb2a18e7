"""Checks per second, end to end, beside a bare aiohttp client on the same requests.

    .venv/bin/python bench/throughput.py [--watches 1000] [--quick] [--profile]

Starts the bench server (``bench/server.py``) in a child process on 127.0.0.1, then for each
scenario runs, each in a fresh process (a Twisted reactor runs once per process):

- ours (``bench/scenario.py``): N watches in a new SQLite file, a warm-up check of all, then
  a timed claim + crawl + record of all of them (the best of ``--repeat`` for 304s and 200s;
  changed pages are fewer, ``--changed-watches``, and timed once: each costs ~50 304s);
- the baselines: the same N URLs at the same concurrency with a bare aiohttp client
  (``bench/baseline.py``), and with a bare Scrapy spider in the checker's reactor and tuning
  (``bench/bare_scrapy.py``): what Scrapy itself costs, with no check logic or database.

Scenarios: ``etag`` (every answer a 304), ``same`` (unchanged 200s), ``changed`` (every page's
article changes: extract, diff, compress, insert), ``noisy`` (new bytes on every fetch, the
same article: the fast path's case; measured with ``PALIMPSEST_FAST_PATH`` on, and off as
``noisy-full``, fewer watches timed once like changed pages). Prints a table and writes
``bench/results/throughput.json``; ``--profile`` also profiles each scenario's timed check
into ``bench/results/profile-<scenario>.prof`` (+ ``.txt``, a summary); ``--profiler sample``
uses pyinstrument instead of cProfile (less overhead; main thread only; not a dependency).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from report import SCENARIOS, print_profiles, print_table, summarise

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DEFAULT_CORPUS = BENCH.parent.parent / "shared" / "corpus" / "articles"
CHILD_TIMEOUT = 900  # seconds; one scenario takes about a minute


@contextlib.contextmanager
def bench_server(corpus: Path) -> Iterator[str]:
    """The bench server's base URL while it runs; it stops when its stdin closes."""
    command = [sys.executable, str(BENCH / "server.py"), "--corpus", str(corpus)]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([server.stdout], [], [], 60)
        line = server.stdout.readline().strip() if ready else ""  # type: ignore[union-attr]
        if not line.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the bench server did not start (it said {line!r})")
        yield line
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def run_child(script: str, *args: str) -> dict[str, Any]:
    """Run ``bench/<script>`` in a new interpreter; its last line of output is its result."""
    command = [sys.executable, "-X", "faulthandler", str(BENCH / script), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise RuntimeError(f"{script} {' '.join(args)} exited with status {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(base: str, mode: str, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    # A changed page costs ~50x a 304: fewer of them, checked once, keep the bench short.
    changed = mode == "changed"
    watches = min(args.watches, args.changed_watches) if changed else args.watches
    repeat = 1 if changed else args.repeat
    common = ["--base", base, "--mode", mode, "--watches", str(watches)]
    common += ["--concurrency", str(args.concurrency), "--repeat", str(repeat)]
    log(f"{mode}: ours ({watches} watches, warm-up check, then the timed check)")
    ours = run_child("scenario.py", *common, "--db", str(workdir / f"{mode}.db"))
    log(f"{mode}: baseline (aiohttp)")
    baseline = run_child("baseline.py", *common)
    log(f"{mode}: bare Scrapy spider")
    scrapy = run_child("bare_scrapy.py", *common)
    runs = [{"mode": mode, "ours": ours, "baseline": baseline, "scrapy": scrapy}]
    if mode == "noisy":  # the same pages extracted in full every time, as changed pages
        full = min(args.watches, args.changed_watches)
        log(f"{mode}: ours with the fast path off ({full} watches)")
        off = run_child(
            "scenario.py",
            *("--base", base, "--mode", mode, "--watches", str(full)),
            *("--concurrency", str(args.concurrency), "--repeat", "1", "--fast-path", "off"),
            *("--db", str(workdir / f"{mode}-full.db")),
        )
        runs.append({"mode": "noisy-full", "ours": off, "baseline": baseline, "scrapy": scrapy})
    return runs


def profile(base: str, mode: str, args: argparse.Namespace, workdir: Path) -> Path:
    out = RESULTS / f"profile-{mode}.prof"
    watches = min(args.watches, args.profile_watches)
    log(f"{mode}: profiling the timed check of {watches} watches ({args.profiler})")
    run_child(
        "scenario.py",
        *("--base", base, "--mode", mode, "--watches", str(watches)),
        *("--concurrency", str(args.concurrency), "--profile", str(out)),
        *("--clock", args.profiler),
        *("--db", str(workdir / f"profile-{mode}.db")),
    )
    return out


def log(message: str) -> None:
    print(f"· {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1000, help="URLs per scenario")
    parser.add_argument(
        "--changed-watches", type=int, default=400, help="at most this many changed pages"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke test: 200 watches")
    parser.add_argument("--concurrency", type=int, default=100, help="requests in flight")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed checks of 304s and 200s; the best counts"
    )
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run these only")
    parser.add_argument("--profile", action="store_true", help="also profile each scenario")
    parser.add_argument(
        "--profile-watches", type=int, default=300, help="watches per profiled scenario"
    )
    parser.add_argument(
        "--profiler",
        choices=("cpu", "wall", "sample"),
        default="cpu",
        help="cProfile timing each thread's CPU (default) or wall clock, or pyinstrument",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=RESULTS / "throughput.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.watches = 200
    modes = args.only or list(SCENARIOS)
    RESULTS.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        log(f"the machine is busy (load {load_before:.1f}): expect noisy numbers")
    runs, profiles = [], {}
    with (
        tempfile.TemporaryDirectory(prefix="palimpsest-bench-") as tmp,
        bench_server(args.corpus) as base,
    ):
        for mode in modes:
            runs.extend(measure(base, mode, args, Path(tmp)))
        if args.profile:
            profiles = {mode: profile(base, mode, args, Path(tmp)) for mode in modes}
    result = summarise(runs, args, corpus=args.corpus)
    result["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print_table(result)
    derived = {run["mode"]: run["derived"] for run in result["scenarios"]}
    if "noisy" in derived and "noisy-full" in derived:
        on, off = derived["noisy"], derived["noisy-full"]
        print(
            "noisy pages, fast path on / off: "
            f"{on['ours_checks_per_s'] / off['ours_checks_per_s']:.1f}x checks/s, "
            f"{on['ours_checks_per_cpu_s'] / off['ours_checks_per_cpu_s']:.1f}x per CPU-s"
        )
    print(f"results: {args.out}")
    if profiles:
        print_profiles(profiles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
