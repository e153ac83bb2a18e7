"""Checks per second and per CPU-second with 1, 2 and 4 workers on PostgreSQL, and the
database's share of the work (issue 8: "near-linear in workers until the database is the
limit — say where that is").

    .venv/bin/python bench/workers.py            # 1,500 watches (800 noisy, 200 changed); ~8 min
    .venv/bin/python bench/workers.py --quick    # 300 (200 noisy, 60 changed): a smoke run, ~4 min
    .venv/bin/python bench/workers.py --workers 1,2 --only etag --keep

Makes the database ``palimpsest_workers_bench`` on the test server (``PALIMPSEST_TEST_PG``;
dropped at the end unless ``--keep``), adds W watches of the bench publisher
(``bench/server.py``, started as ``bench/throughput.py`` starts it) and warms them up: one
check each by ``palimpsest run --workers 2``, so every watch has its ETag, body hash, first
version and fast-path hint. Each scenario then points the same watches at its kind of page
(``/etag/``, ``/same/``, ``/noisy/``, ``/changed/``: the same article, so what the warm-up
left stays valid) and, for N in 1, 2, 4, a sweep:

1. start ``palimpsest run --workers N`` with nothing due and wait until its N workers have
   ticked (their imports and start-up are not measured);
2. prime it, untimed: N batches made due and checked, one for each worker (a worker's first
   batch costs ~0.6 CPU-second more than the next: lazy imports, Scrapy's first crawl);
3. make the scenario's watches due, and sample CPU from /proc every quarter second until
   every one of them has a new snapshot row;
4. stop it (SIGTERM).

Measured per sweep: checks per second from the snapshot rows' ``fetched_at`` (first to last);
CPU-seconds of the palimpsest processes (the command and its workers), of the PostgreSQL
backends serving this database, of PostgreSQL's shared background processes, of the bench
server, and of the whole machine (/proc/stat), so what other work took in the window shows.
The bare aiohttp client (``bench/baseline.py``) makes the same requests at the same
concurrency in the same run, as the ceiling for one process.

Prints a table and writes ``bench/results/workers.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import pwd
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from baseline import server_cpu_seconds  # noqa: E402
from report import TARGETS  # noqa: E402
from scale import ADMIN_URL, PALIMPSEST, env_for  # noqa: E402
from throughput import DEFAULT_CORPUS, bench_server, log, run_child  # noqa: E402

from db.engine import make_engine, migrate, session_factory  # noqa: E402
from db.watches import add_watch  # noqa: E402
from palimpsest.app import utcnow  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "workers.json"
DB_NAME = "palimpsest_workers_bench"
SCENARIOS = {  # in the order they run: changed pages last (each check makes a version)
    "etag": "304 (ETag)",
    "same": "unchanged 200",
    "noisy": "noisy 200, fast path",
    "changed": "changed page",
}
TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_EVERY = 0.25  # seconds between two CPU samples and two counts of the snapshot rows


# ---------------------------------------------------------------------------- CPU from /proc


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot (/proc/stat; iowait counts as idle)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)


class CpuMeter:
    """CPU-seconds used from ``start()`` on by groups of processes, read from /proc.

    Every sample keeps each process's latest reading, so a process that ends in the window
    (a database connection closed) still counts up to its last sample; one that starts in
    it counts from zero.
    """

    def __init__(self, root: int, db_name: str, bench: set[int]) -> None:
        self.root = root
        self.kinds: dict[int, str | None] = dict.fromkeys(bench, "bench")  # and its backend
        self.db_name = db_name
        self.postgres_uid = pwd.getpwnam("postgres").pw_uid
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.machine0 = self.machine1 = (0, 0)

    def _read(self) -> dict[int, tuple[int, int]]:
        """pid → (parent pid, utime + stime in jiffies) of every process."""
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            with contextlib.suppress(OSError):
                rest = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                found[int(entry)] = (int(rest[1]), int(rest[11]) + int(rest[12]))
        return found

    def _kind(self, pid: int) -> str | None:
        if pid in self.kinds:
            return self.kinds[pid]
        kind = None
        with contextlib.suppress(OSError):
            if os.stat(f"/proc/{pid}").st_uid == self.postgres_uid:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                if self.db_name in title.split():
                    kind = "postgres_ours"  # its backends (and autovacuum on it)
                elif " postgres " in title.split(":", 2)[-1] or "autovacuum worker" in title:
                    kind = "postgres_other"  # backends of other databases: other work
                else:
                    kind = "postgres_background"  # WAL writer, checkpointer, …: shared
        self.kinds[pid] = kind
        return kind

    def sample(self) -> None:
        procs = self._read()
        tree, stack = set(), [self.root]
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in procs.items():
            children.setdefault(ppid, []).append(pid)
        while stack:
            pid = stack.pop()
            tree.add(pid)
            stack.extend(children.get(pid, []))
        started = bool(self.first) or bool(self.last)
        for pid, (_, cpu) in procs.items():
            kind = "palimpsest" if pid in tree else self._kind(pid)
            if kind is None:
                continue
            self.kinds[pid] = kind
            if pid not in self.first:
                self.first[pid] = cpu if not started else 0
            self.last[pid] = cpu
        self.machine1 = machine_jiffies()

    def start(self) -> None:
        self.first.clear()
        self.last.clear()
        self.sample()
        self.machine0 = self.machine1

    def seconds(self) -> dict[str, float]:
        totals = dict.fromkeys(
            ("palimpsest", "postgres_ours", "postgres_background", "postgres_other", "bench"), 0.0
        )
        for pid, last in self.last.items():
            totals[self.kinds[pid]] += (last - self.first[pid]) / TICK
        busy = self.machine1[0] - self.machine0[0]
        totals["machine"] = busy / TICK
        return totals


# ---------------------------------------------------------------------------- the database


def admin_run(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def create_database() -> str:
    admin_run(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_run(f'CREATE DATABASE "{DB_NAME}"')
    return make_url(ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)


def seed(url: str, base: str, count: int) -> None:
    """``count`` watches of ``/etag/`` pages, not due yet, without related pages (the corpus
    pages name their publishers' real URLs: the bench must not fetch them)."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    now = utcnow()
    with sessions.begin() as session:
        for i in range(count):
            add_watch(session, f"{base}/etag/a/{i}", now, options={"related": False})
    with engine.begin() as conn:
        conn.execute(text("UPDATE watch SET next_check_at = :later"), {"later": far_ahead()})
        conn.execute(text("ANALYZE"))
    engine.dispose()


def far_ahead() -> datetime:
    return utcnow() + timedelta(days=1)


def point_at(conn: Connection, mode: str) -> None:
    """Every watch to its page of ``mode``: the same article, so its body hash, version and
    hint stay valid; validators are dropped but for ``etag`` (only it answers 304s)."""
    conn.execute(
        text(
            "UPDATE watch SET url = regexp_replace(url, '/[a-z]+/a/', '/' || :mode || '/a/')"
            + ("" if mode == "etag" else ", etag = NULL, last_modified = NULL")
        ),
        {"mode": mode},
    )


# ---------------------------------------------------------------------------- one sweep


EXPECTED = {"etag": "not_modified", "same": "unchanged", "noisy": "unchanged"}
EXPECTED.update(changed="new_version", warmup="new_version")


@dataclass
class Sweep:
    """One ``palimpsest run --workers N`` checking the first ``count`` watches once.

    Each worker's first batch costs ~0.6 CPU-second more than the next (lazy imports,
    Scrapy's first crawl, cold statement caches): a priming pass of ``prime`` watches
    (a batch per worker) runs first in the same command, untimed.
    """

    workers: int
    count: int
    prime: int
    mode: str
    timeout: float

    def run(self, conn: Connection, env: dict[str, str], base: str) -> dict[str, Any]:
        launched = utcnow()
        with tempfile.TemporaryFile() as stderr:
            argv = [PALIMPSEST, "run", "--workers", str(self.workers)]
            proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                wait_for_workers(conn, proc, self.workers, launched)
                primed = self._prime(conn, proc) if self.prime else None
                return {**self._measure(conn, proc, base), "primed": primed}
            except Exception:
                stderr.seek(0)
                sys.stderr.write(stderr.read().decode(errors="replace")[-3000:])
                raise
            finally:
                stop(proc)

    def _prime(self, conn: Connection, proc: subprocess.Popen) -> dict[str, Any]:
        mark, started = last_snapshot(conn), time.perf_counter()
        make_due(conn, self.prime)
        while checked_since(conn, mark) < self.prime:
            if time.perf_counter() - started > self.timeout:
                raise RuntimeError(f"the priming pass did not end in {self.timeout:.0f}s")
            if proc.poll() is not None:
                raise RuntimeError(f"palimpsest run exited with status {proc.returncode}")
            time.sleep(SAMPLE_EVERY)
        time.sleep(1.0)  # the batch's crawl ends after its results are recorded
        return {"watches": self.prime, "seconds": time.perf_counter() - started}

    def _measure(self, conn: Connection, proc: subprocess.Popen, base: str) -> dict[str, Any]:
        mark = last_snapshot(conn)
        me = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        meter = CpuMeter(proc.pid, DB_NAME, bench={os.getpid(), me})
        server0 = server_cpu_seconds(base)
        load = [os.getloadavg()[0]]
        meter.start()
        started = time.perf_counter()
        make_due(conn, self.count)
        done, last_load = 0, time.monotonic()
        while done < self.count and time.perf_counter() - started < self.timeout:
            time.sleep(SAMPLE_EVERY)
            meter.sample()
            done = checked_since(conn, mark)
            if time.monotonic() - last_load > 5:
                load.append(os.getloadavg()[0])
                last_load = time.monotonic()
            if proc.poll() is not None:
                raise RuntimeError(f"palimpsest run exited with status {proc.returncode}")
        wall = time.perf_counter() - started
        meter.sample()
        server = server_cpu_seconds(base) - server0
        load.append(os.getloadavg()[0])
        since = {"mark": mark}
        checks, distinct, first, last = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT watch_id), min(fetched_at), max(fetched_at) "
                "FROM snapshot WHERE id > :mark"
            ),
            since,
        ).one()
        outcomes = dict(
            conn.execute(
                text("SELECT outcome, count(*) FROM snapshot WHERE id > :mark GROUP BY outcome"),
                since,
            ).all()
        )
        unexpected = conn.execute(
            text(
                "SELECT w.url, s.outcome, s.error FROM snapshot s JOIN watch w ON w.id = "
                "s.watch_id WHERE s.id > :mark AND s.outcome <> :expected ORDER BY s.id LIMIT 10"
            ),
            {**since, "expected": EXPECTED[self.mode]},
        ).all()
        cpu = meter.seconds()
        cpu["server"] = server
        return {
            "workers": self.workers,
            "watches": self.count,
            "checks": checks,
            "checked_twice": checks - distinct,
            "finished": checks >= self.count,
            "outcomes": outcomes,
            "unexpected": [list(row) for row in unexpected],
            "fetch_span_seconds": (last - first).total_seconds() if checks > 1 else 0.0,
            "wall_seconds": wall,
            "cpu_seconds": cpu,
            "load_average": {"max": max(load), "mean": sum(load) / len(load)},
        }


def last_snapshot(conn: Connection) -> int:
    return conn.execute(text("SELECT coalesce(max(id), 0) FROM snapshot")).scalar_one()


def checked_since(conn: Connection, mark: int) -> int:
    return conn.execute(
        text("SELECT count(*) FROM snapshot WHERE id > :mark"), {"mark": mark}
    ).scalar_one()


def make_due(conn: Connection, count: int) -> None:
    """The first ``count`` watches due now (no worker holds a lease between sweeps)."""
    conn.execute(
        text(
            "UPDATE watch SET next_check_at = :now, claimed_by = NULL, lease_until = NULL "
            "WHERE id IN (SELECT id FROM watch ORDER BY id LIMIT :n)"
        ),
        {"now": utcnow(), "n": count},
    )


def wait_for_workers(conn: Connection, proc, workers: int, launched: datetime) -> None:
    """Until ``workers`` daemons started after ``launched`` have ticked, then a second more
    (their start-up jobs: the first alert delivery and retention run)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ticked = conn.execute(
            text("SELECT count(*) FROM worker WHERE started_at >= :t AND stopped_at IS NULL"),
            {"t": launched},
        ).scalar_one()
        if ticked >= workers:
            time.sleep(1.0)
            return
        if proc.poll() is not None:
            raise RuntimeError(f"palimpsest run exited with status {proc.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"{workers} workers did not start within 120 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------- the numbers


def derive(run: dict[str, Any], one: dict[str, Any] | None) -> dict[str, Any]:
    """Rates of one sweep; ``one``: the same scenario's sweep with one worker."""
    cpu, checks = run["cpu_seconds"], run["checks"]
    rate = (checks - 1) / run["fetch_span_seconds"] if run["fetch_span_seconds"] else 0.0
    ours, db = cpu["palimpsest"], cpu["postgres_ours"]
    per_cpu = checks / ours if ours else 0.0
    found = {
        "checks_per_s": rate,
        "checks_per_s_wall": checks / run["wall_seconds"],
        "checks_per_cpu_s": per_cpu,
        "db_checks_per_cpu_s": checks / db if db else None,
        "db_share": db / (db + ours) if db + ours else None,
        "db_busy": db / run["wall_seconds"],  # cores' worth of PostgreSQL backends
        "palimpsest_busy": ours / run["wall_seconds"],
        "server_busy": cpu["server"] / run["wall_seconds"],
        "machine_busy": cpu["machine"] / run["wall_seconds"],
        # What the machine did that none of these did: other work (another bench, tests).
        "other_busy": max(
            0.0,
            (cpu["machine"] - ours - db - cpu["postgres_background"] - cpu["server"] - cpu["bench"])
            / run["wall_seconds"],
        ),
    }
    if one is not None:
        base = one["derived"]
        found["scaling"] = rate / base["checks_per_s"] if base["checks_per_s"] else None
        found["scaling_per_cpu_s"] = (
            per_cpu / base["checks_per_cpu_s"] if base["checks_per_cpu_s"] else None
        )
    return found


def db_limit(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Where PostgreSQL becomes the limit, from the sweep with the most workers (the most
    contention in the database, so the least it serves per core): one database core keeps
    up with this many checks per second, the work of this many worker cores."""
    if not runs:
        return None
    most = max(runs, key=lambda r: r["workers"])
    d = most["derived"]
    if not d["db_checks_per_cpu_s"] or not d["checks_per_cpu_s"]:
        return None
    return {
        "from_workers": most["workers"],
        "checks_per_s_per_db_core": d["db_checks_per_cpu_s"],
        "worker_cores_per_db_core": d["db_checks_per_cpu_s"] / d["checks_per_cpu_s"],
    }


def print_table(result: dict[str, Any]) -> None:
    table = Table(
        title=f"palimpsest run --workers N on PostgreSQL: {result['machine']['cpus']} cores, "
        f"batch ≤ {result['batch']}, concurrency {result['concurrency']} per worker, "
        f"load average {result['load_average']['before']:.1f} before",
        caption="checks/s: snapshot rows' fetched_at, first to last; per CPU-s: per CPU-second "
        "of the palimpsest processes; PG: its backends serving the bench database; busy: "
        "CPU-seconds per second of the sweep (cores); other: what the machine did besides",
    )
    for column in ("scenario", "N", "outcomes"):
        table.add_column(column)
    for column in (
        "checks/s",
        "vs N=1",
        "per CPU-s",
        "vs N=1 per CPU-s",
        "PG per check ms",
        "PG share",
        "ours / PG / server busy",
        "machine / other busy",
        "load max",
    ):
        table.add_column(column, justify="right")
    for scenario in result["scenarios"]:
        b = scenario["baseline"]
        table.add_row(
            SCENARIOS[scenario["mode"]],
            "aiohttp",
            f"{b['requests']} {b['statuses']}",
            f"{b['requests'] / b['seconds']:,.0f}",
            "",
            f"{b['requests'] / b['cpu_seconds']:,.0f}",
            *[""] * 6,
        )
        for run in scenario["runs"]:
            d = run["derived"]
            outcomes = ", ".join(f"{n} {k}" for k, n in sorted(run["outcomes"].items()))
            if not run["finished"]:
                outcomes += f" (unfinished: {run['checks']} of {run['watches']})"
            if run["checked_twice"]:
                outcomes += f" ({run['checked_twice']} twice!)"
            db_ms = 1000 * run["cpu_seconds"]["postgres_ours"] / max(run["checks"], 1)
            table.add_row(
                "",
                str(run["workers"]),
                outcomes,
                f"{d['checks_per_s']:,.0f}",
                ratio(d.get("scaling")),
                f"{d['checks_per_cpu_s']:,.0f}",
                ratio(d.get("scaling_per_cpu_s")),
                f"{db_ms:.2f}",
                f"{d['db_share']:.0%}" if d["db_share"] is not None else "-",
                f"{d['palimpsest_busy']:.2f} / {d['db_busy']:.2f} / {d['server_busy']:.2f}",
                f"{d['machine_busy']:.2f} / {d['other_busy']:.2f}",
                f"{run['load_average']['max']:.1f}",
            )
    Console(width=220).print(table)


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def print_notes(result: dict[str, Any]) -> None:
    cpus = result["machine"]["cpus"] or 1
    workers = max(run["workers"] for s in result["scenarios"] for run in s["runs"])
    if workers > cpus:
        print(
            f"This machine has {cpus} cores, shared by the workers, PostgreSQL and the bench "
            f"server: {workers} workers cannot run {workers} times as fast. Read the scaling "
            "per CPU-second (the cost of a check as workers are added) and the database's "
            "share, not checks/s."
        )
    for scenario in result["scenarios"]:
        limit, target = scenario["db_limit"], TARGETS.get(scenario["mode"])
        one = next((r for r in scenario["runs"] if r["workers"] == 1), None)
        if limit is None or one is None:
            continue
        print(
            f"{scenario['mode']}: one worker makes {one['derived']['checks_per_cpu_s']:,.0f} "
            f"checks per CPU-second (target {target:,}/s/core); with {limit['from_workers']} "
            f"workers one PostgreSQL core serves {limit['checks_per_s_per_db_core']:,.0f} "
            f"checks/s, the work of {limit['worker_cores_per_db_core']:.1f} worker cores: "
            "past that many worker cores per database core, the database is the limit."
        )
    load = result["load_average"]
    if max(load["before"], load["max"]) > cpus:
        print(
            f"The load average reached {load['max']:.1f} on {cpus} cores (other work on the "
            "machine, see 'other busy'): the numbers are noisy."
        )


def environment(url: str, data_dir: str, args: argparse.Namespace, batch: int) -> dict[str, str]:
    return env_for(
        url,
        PALIMPSEST_DATA_DIR=data_dir,
        PALIMPSEST_DOWNLOAD_DELAY="0",
        PALIMPSEST_ALLOW_PRIVATE_NETWORKS="1",
        PALIMPSEST_TICK_SECONDS=str(args.tick),
        PALIMPSEST_BATCH_SIZE=str(batch),
        PALIMPSEST_CONCURRENCY=str(args.concurrency),
        PALIMPSEST_CONCURRENCY_PER_DOMAIN=str(args.concurrency),  # one site: the bench server
        PALIMPSEST_LOG_LEVEL="WARNING",
    )


def measure_scenario(conn, run, base: str, mode: str, counts: list[int], args) -> dict[str, Any]:
    """The aiohttp baseline, then a sweep with each number of workers."""
    wanted = {"noisy": args.noisy_watches, "changed": args.changed_watches}
    count = min(wanted.get(mode, args.watches), args.watches)
    # With the most workers, each still gets at least two batches.
    batch = max(10, min(args.batch, math.ceil(count / (2 * max(counts)))))
    point_at(conn, mode)
    settle = None
    if mode == "noisy":  # the first noisy check of each page, untimed
        log(f"{mode}: one untimed check of {count} watches")
        settle = run(Sweep(2, count, 0, mode, args.timeout), batch)["outcomes"]
    log(f"{mode}: baseline (aiohttp, {count} URLs)")
    baseline = run_child(
        "baseline.py",
        *("--base", base, "--mode", mode, "--watches", str(count)),
        *("--concurrency", str(args.concurrency)),
    )
    runs: list[dict[str, Any]] = []
    for workers in counts:
        prime = min(count, workers * batch)
        log(f"{mode}: {workers} worker(s), {count} watches, batch {batch}, priming {prime}")
        found = run(Sweep(workers, count, prime, mode, args.timeout), batch)
        one = next((r for r in runs if r["workers"] == 1), None)
        found["derived"] = d = derive(found, one)
        runs.append(found)
        log(
            f"{mode} N={workers}: {d['checks_per_s']:.0f} checks/s, "
            f"{d['checks_per_cpu_s']:.0f} per CPU-s, {found['outcomes']}"
        )
    return {
        "mode": mode,
        "watches": count,
        "baseline": baseline,
        "settle": settle,
        "runs": runs,
        "db_limit": db_limit(runs),
    }


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1500, help="watches (304s, 200s)")
    parser.add_argument(
        "--noisy-watches", type=int, default=800, help="of which this many for noisy pages"
    )
    parser.add_argument(
        "--changed-watches", type=int, default=200, help="of which this many for changed pages"
    )
    parser.add_argument("--workers", default="1,2,4", help="the values of N")
    parser.add_argument(
        "--batch",
        type=int,
        default=250,
        help="BATCH_SIZE (less for a scenario with few watches)",
    )
    parser.add_argument("--concurrency", type=int, default=100, help="CONCURRENCY per worker")
    parser.add_argument("--tick", type=float, default=0.25, help="TICK_SECONDS")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 300 watches")
    parser.add_argument("--only", choices=SCENARIOS, action="append", help="run these only")
    parser.add_argument("--timeout", type=float, default=240, help="the longest sweep, seconds")
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.watches, args.noisy_watches, args.changed_watches = 300, 200, 60
    counts = [int(n) for n in args.workers.split(",")]
    modes = [m for m in SCENARIOS if not args.only or m in args.only]
    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        log(f"the machine is busy (load {load_before:.1f}): expect noisy numbers")

    scenarios = []
    with bench_server(args.corpus) as base, tempfile.TemporaryDirectory() as tmp:
        url = create_database()
        try:
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
            log(f"adding {args.watches} watches")
            seed(url, base, args.watches)
            poll = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with poll.connect() as conn:

                def run(sweep: Sweep, batch: int) -> dict[str, Any]:
                    env = environment(url, tmp, args, batch)
                    return {**sweep.run(conn, env, base), "batch": batch}

                log(f"warm-up: one check of each of the {args.watches} watches, 2 workers")
                warmup = run(Sweep(2, args.watches, 0, "warmup", args.timeout), args.batch)
                log(f"warm-up: {warmup['outcomes']} in {warmup['wall_seconds']:.0f}s")
                for mode in modes:
                    scenarios.append(measure_scenario(conn, run, base, mode, counts, args))
            poll.dispose()
        finally:
            if not args.keep:
                admin_run(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    loads = [r["load_average"]["max"] for s in scenarios for r in s["runs"]]
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "watches": args.watches,
        "noisy_watches": args.noisy_watches,
        "changed_watches": args.changed_watches,
        "batch": args.batch,
        "concurrency": args.concurrency,
        "tick_seconds": args.tick,
        "pages": "corpus" if args.corpus.is_dir() else "generated",
        "load_average": {
            "before": load_before,
            "max": max(loads, default=load_before),
            "after": os.getloadavg()[0],
        },
        "warmup": warmup,
        "scenarios": scenarios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print_table(result)
    print_notes(result)
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
