"""Scale on PostgreSQL: claim latency, the daemon's memory, and `list` / the API at 10k, 100k
and 1M watches (issue 8: "claiming a batch stays a few milliseconds, memory stays flat").

    .venv/bin/python bench/scale.py                      # 10k, 100k, 1M; ~20 minutes
    .venv/bin/python bench/scale.py --sizes 10000,100000 --daemon-seconds 60
    .venv/bin/python bench/scale.py --keep               # leave palimpsest_scale behind

Makes its own database (``palimpsest_scale``, through the admin URL; dropped at the end
unless ``--keep``), creates the schema as the project does (``db.engine.migrate``), and
grows it size by size with server-side ``INSERT … SELECT generate_series`` (the fastest bulk
load PostgreSQL has without files): watches spread over ``--domains`` sites, a news
service's mix (75% scheduled ahead, 5% due, 2% due but leased by another worker, 1% with
an expired lease, 15% retired, 2% paused; 5% of the sites held back), one version per
checked watch and ``--snapshots-per-watch`` snapshots each (10M at 1M watches by default).

At each size it times ``db.watches.claim_due`` (the daemon's own call; each claim rolled
back, so every claim sees the same queue) with no download delay and with the default 1 s,
prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the claim's ``FOR UPDATE SKIP LOCKED`` query as
the project sends it (captured from the driver, so a changed query is measured as it is),
times ``palimpsest list --json`` and ``GET /api/v1/watches?limit=50``, then runs
``palimpsest run`` against local sites for ``--daemon-seconds`` and samples its resident
memory (the process and its children) from /proc. The sites: bench/server.py's publisher on
one port of ``--domains`` loopback addresses (127.77.x.y), so each site is its own domain to
the politeness rules; every watch carries its page's ETag, so checks are 304s.

Writes ``bench/results/scale.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from db.engine import make_engine, migrate, session_factory  # noqa: E402
from db.watches import claim_due  # noqa: E402
from palimpsest.app import utcnow  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale.json"
ADMIN_URL = os.environ.get(
    "PALIMPSEST_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DB_NAME = "palimpsest_scale"
PALIMPSEST = str(ROOT / ".venv" / "bin" / "palimpsest")
WORKER = "bench-scale:1"
# The index a claim could use instead: only active watches, in due order.
CANDIDATE_INDEX = "CREATE INDEX bench_watch_due ON watch (next_check_at) WHERE active"


# ---------------------------------------------------------------------------- the sites


def address(k: int) -> str:
    """The loopback address of site ``k`` (Linux answers on all of 127.0.0.0/8)."""
    return f"127.77.{k // 250}.{k % 250 + 1}"


def serve_sites(count: int) -> None:
    """Child process: the bench publisher on one port of ``count`` loopback addresses."""
    from aiohttp import web
    from server import DEFAULT_CORPUS, Publisher, load_corpus

    async def main() -> None:
        runner = web.AppRunner(Publisher(load_corpus(DEFAULT_CORPUS)).app(), access_log=None)
        await runner.setup()
        first = web.TCPSite(runner, address(0), 0, backlog=1024)
        await first.start()
        port = runner.addresses[0][1]
        for k in range(1, count):
            await web.TCPSite(runner, address(k), port, backlog=128).start()
        print(port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)
        await runner.cleanup()

    asyncio.run(main())


def start_sites(count: int) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-sites", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.kill()
        raise SystemExit(f"error: the bench sites did not start (said {line!r})")
    return proc, int(line)


# ---------------------------------------------------------------------------- the data


def admin_engine():
    return create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_database() -> str:
    with admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    return make_url(ADMIN_URL).set(database=DB_NAME).render_as_string(hide_password=False)


def drop_database() -> None:
    with admin_engine().connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))


# A watch's class by a hash of its id, per mille: (name, upper bound).
MIX = (
    ("retired", 150),
    ("paused", 170),
    ("due", 220),
    ("due_leased", 240),
    ("lease_expired", 250),
    ("ahead", 1000),
)

WATCHES_SQL = """
INSERT INTO watch (
    id, url, created_at, every_seconds, active, next_check_at, last_checked_at, etag,
    claimed_by, lease_until, failures_in_a_row, state, missing_in_a_row, options,
    interval_seconds, schedule_reason, last_changed_at, pinned, retired_at, domain,
    obey_robots, current_version_id)
SELECT g,
    format('http://%s:%s/etag/a/%s', a.host, CAST(:port AS text), g),
    now() - make_interval(days => 1 + h % 90),
    NULL, c <> 'retired' AND c <> 'paused',
    CASE c
        WHEN 'retired' THEN now() - make_interval(days => 1 + h % 60)
        WHEN 'paused' THEN now() - make_interval(hours => 1 + h % 500)
        WHEN 'ahead' THEN now() + make_interval(secs => 60 + h % 86400)
        ELSE now() - make_interval(secs => 1 + h % 7200)
    END,
    now() - make_interval(hours => 1 + h % 24),
    e.etag,
    CASE WHEN c IN ('due_leased', 'lease_expired') THEN 'other-host:4242' END,
    CASE c WHEN 'due_leased' THEN now() + interval '5 minutes'
           WHEN 'lease_expired' THEN now() - interval '5 minutes' END,
    0, 'active', 0, '{}',
    3600, 'unchanged: 1h x 1.5 = 1h30m',
    now() - make_interval(days => 1 + h % 30),
    h % 100 = 0,
    CASE c WHEN 'retired' THEN now() - make_interval(days => 1 + h % 60) END,
    a.host || ':' || CAST(:port AS text),
    true, g
FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS g
CROSS JOIN LATERAL (SELECT ((hashint4(g)::bigint + 2147483648) % 2000000000)::int AS h) AS r
CROSS JOIN LATERAL (SELECT CASE
    WHEN h % 1000 < 150 THEN 'retired' WHEN h % 1000 < 170 THEN 'paused'
    WHEN h % 1000 < 220 THEN 'due' WHEN h % 1000 < 240 THEN 'due_leased'
    WHEN h % 1000 < 250 THEN 'lease_expired' ELSE 'ahead' END AS c) AS k
JOIN bench_site a ON a.k = g % :domains
JOIN bench_etag e ON e.i = g % :pages
"""

VERSIONS_SQL = """
INSERT INTO version (
    id, watch_id, seq, first_seen_at, last_seen_at, url, title, text, word_count, fingerprint,
    extractor, extractor_version, extractor_options, paywall, paywall_evidence)
SELECT g, g, 1, now() - interval '30 days', now() - interval '1 hour', NULL,
    'Story ' || g, repeat('The council met on Tuesday and voted on the harbour plan. ', 40),
    400, md5(g::text) || md5((g + 1)::text), 'trafilatura', '2.3.0', '{}', 'free', '[]'
FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS g
"""

SNAPSHOTS_SQL = """
INSERT INTO snapshot (watch_id, fetched_at, outcome, http_status, elapsed_ms, content_type)
SELECT g, now() - make_interval(hours => n * 7 + g % 7),
    CASE WHEN n % 3 = 0 THEN 'unchanged' ELSE 'not_modified' END,
    CASE WHEN n % 3 = 0 THEN 200 ELSE 304 END, 40 + n, 'text/html'
FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) AS g,
    generate_series(1, CAST(:per AS int)) AS n
"""


def page_etags() -> list[str]:
    from server import DEFAULT_CORPUS, load_corpus

    return [page.etag for page in load_corpus(DEFAULT_CORPUS)]


def prepare(engine, domains: int, port: int, etags: list[str]) -> None:
    """The lookup tables the bulk load joins (sites and page ETags) and the domain rows."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_site (k int PRIMARY KEY, host text)"))
        conn.execute(text("CREATE TABLE bench_etag (i int PRIMARY KEY, etag text)"))
        conn.execute(
            text("INSERT INTO bench_site VALUES (:k, :host)"),
            [{"k": k, "host": address(k)} for k in range(domains)],
        )
        conn.execute(
            text("INSERT INTO bench_etag VALUES (:i, :etag)"),
            [{"i": i, "etag": e} for i, e in enumerate(etags)],
        )
        # Every site has a row; one in twenty is held back (failing, or booked ahead).
        conn.execute(
            text(
                "INSERT INTO domain (name, next_allowed_at, failures_in_a_row, last_error) "
                "SELECT host || ':' || CAST(:port AS text), CASE WHEN k % 20 = 0 "
                "THEN now() + interval '10 minutes' ELSE now() - interval '1 minute' END, "
                "CASE WHEN k % 20 = 0 THEN 3 ELSE 0 END, "
                "CASE WHEN k % 20 = 0 THEN 'no answer in 30s' END FROM bench_site"
            ),
            {"port": str(port)},
        )


def grow(engine, lo: int, hi: int, domains: int, pages: int, port: int, per: int) -> float:
    """Add watches ``lo``..``hi`` with their versions and snapshots; returns seconds."""
    started = time.perf_counter()
    with engine.begin() as conn:
        # Bulk load without per-row foreign-key triggers (the rows are consistent by design).
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        params = {"lo": lo, "hi": hi, "domains": domains, "pages": pages, "port": str(port)}
        conn.execute(text(WATCHES_SQL), params)
        conn.execute(text(VERSIONS_SQL), {"lo": lo, "hi": hi})
        if per:
            conn.execute(text(SNAPSHOTS_SQL), {"lo": lo, "hi": hi, "per": per})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("version", "watch"):  # rows given their ids: move the sequences on
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": hi}
            )
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        found = {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("watch", "version", "snapshot", "domain")
        }
        found["due"] = conn.execute(
            text(
                "SELECT count(*) FROM watch WHERE active AND next_check_at <= now() "
                "AND (lease_until IS NULL OR lease_until < now())"
            )
        ).scalar_one()
        found["db_bytes"] = conn.execute(
            text("SELECT pg_database_size(current_database())")
        ).scalar_one()
    return found


# ---------------------------------------------------------------------------- the claim


class Captured:
    """The SQL statements the driver was sent, with their parameters and durations."""

    def __init__(self, engine) -> None:
        self.statements: list[tuple[str, object, float]] = []
        self._started = 0.0
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started = time.perf_counter()

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append((statement, parameters, time.perf_counter() - self._started))


def time_claims(url: str, claims: int, batch: int, delay: float) -> dict:
    """``claims`` calls of ``claim_due`` as the daemon makes them, each rolled back."""
    engine = make_engine(url)
    captured = Captured(engine)
    sessions = session_factory(engine)
    total, select_only, claimed = [], [], []
    for _ in range(claims + 2):  # the first two warm the pool and the statement cache
        captured.statements.clear()
        session = sessions()
        try:
            session.begin()
            started = time.perf_counter()
            got = claim_due(
                session, WORKER, utcnow(), batch, timedelta(minutes=10), delay=delay, window=5.0
            )
            total.append(time.perf_counter() - started)
            claimed.append(len(got))
            select_only.append(
                sum(s for sql, _, s in captured.statements if "SKIP LOCKED" in sql.upper())
            )
        finally:
            session.rollback()
            session.close()
    # Where the last claim's time went, statement by statement (the slowest first).
    slowest = sorted(captured.statements, key=lambda st: -st[2])[:6]
    breakdown = [(" ".join(sql.split())[:90], round(1000 * secs, 2)) for sql, _, secs in slowest]
    locking = [
        (sql, params) for sql, params, _ in captured.statements if "SKIP LOCKED" in sql.upper()
    ]
    engine.dispose()
    total, select_only = total[2:], select_only[2:]
    return {
        "delay": delay,
        "claims": claims,
        "batch": batch,
        "claimed_median": statistics.median(claimed[2:]),
        "ms_median": 1000 * statistics.median(total),
        "ms_p95": 1000 * quantile(total, 0.95),
        "select_ms_median": 1000 * statistics.median(select_only),
        "select_ms_p95": 1000 * quantile(select_only, 0.95),
        "last_claim_statements_ms": breakdown,
        "locking_sql": locking[0] if locking else None,
    }


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def explain(url: str, sql_and_params) -> dict:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the claim's locking query, in a rolled-back
    transaction; and whether it reads ``watch`` by a sequential scan."""
    if sql_and_params is None:
        return {"plan": "(no FOR UPDATE SKIP LOCKED statement was sent)", "seq_scan_on_watch": None}
    sql, params = sql_and_params
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).all()
        conn.rollback()
    engine.dispose()
    plan = "\n".join(r[0] for r in rows)
    return {
        "sql": sql,
        "plan": plan,
        "seq_scan_on_watch": bool(re.search(r"Seq Scan on watch\b", plan)),
        "indexes": sorted(
            set(re.findall(r"(?:Index|Index Only) Scan(?: Backward)? using (\w+)", plan))
        ),
    }


def measure_claims(url: str, args, label: str = "") -> dict:
    found = {}
    for delay in (0.0, 1.0):
        claim = time_claims(url, args.claims, args.batch, delay)
        print(
            f"claim_due{label} (delay {delay:g}s): {claim['ms_median']:.1f} ms median, "
            f"{claim['ms_p95']:.1f} ms p95 ({claim['claimed_median']:.0f} claimed); "
            f"its SKIP LOCKED select {claim['select_ms_median']:.1f} / "
            f"{claim['select_ms_p95']:.1f} ms",
            flush=True,
        )
        print("  slowest statements of the last claim (ms):", flush=True)
        for sql, ms in claim["last_claim_statements_ms"]:
            print(f"    {ms:8.2f}  {sql}", flush=True)
        plan = explain(url, claim.pop("locking_sql"))
        print(plan["plan"], flush=True)
        print(f"seq scan on watch: {plan['seq_scan_on_watch']}", flush=True)
        found[f"claim_delay_{delay:g}"] = {**claim, "explain": plan}
    return found


def measure_with_index(engine, url: str, args) -> dict:
    """The claim again with the candidate index created by hand, then dropped."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(CANDIDATE_INDEX))
        conn.execute(text("ANALYZE watch"))
    try:
        return measure_claims(url, args, " [candidate index]")
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP INDEX bench_watch_due"))


# ---------------------------------------------------------------------------- list and API


def env_for(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PALIMPSEST_")}
    env.update({"PALIMPSEST_DB": url, **extra})
    return env


def run_timed(argv: list[str], env: dict[str, str], timeout: float) -> dict:
    """Wall time and peak RSS of a command, or that it did not finish within ``timeout``."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + timeout
    while time.perf_counter() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return {
                "seconds": time.perf_counter() - started,
                "peak_rss_mb": usage.ru_maxrss / 1024,
                "exit": proc.returncode,
                "stderr": proc.stderr.read().decode()[-300:],
            }
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    return {"seconds": None, "timeout": timeout, "note": f"did not finish in {timeout:.0f}s"}


def time_api(url: str, timeout: float) -> dict:
    """``GET /api/v1/watches?limit=50`` on ``palimpsest web``: first and second request."""
    port = free_port()
    proc = subprocess.Popen(
        [PALIMPSEST, "web", "--port", str(port)],
        env=env_for(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", 60)
        found = {}
        for name in ("first_seconds", "second_seconds"):
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(
                    f"{base}/api/v1/watches?limit=50", timeout=timeout
                ) as r:
                    rows = len(json.load(r))
                found[name] = time.perf_counter() - started
                found["rows"] = rows
            except TimeoutError:
                found[name] = None
                found["note"] = f"did not answer in {timeout:.0f}s"
                break
        found["server_rss_mb"] = tree_rss_kb(proc.pid) / 1024
        return found
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# ---------------------------------------------------------------------------- the daemon


def tree_rss_kb(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def run_daemon(url: str, seconds: float, workers: int | None) -> dict:
    """``palimpsest run`` against the bench sites; RSS sampled every second."""
    engine = make_engine(url)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM snapshot")).scalar_one()
    argv = [PALIMPSEST, "run"] + (["--workers", str(workers)] if workers else [])
    env = env_for(
        url,
        PALIMPSEST_ALLOW_PRIVATE_NETWORKS="1",
        PALIMPSEST_DOWNLOAD_DELAY="0",
        PALIMPSEST_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[tuple[float, int]] = []
    started = time.monotonic()
    while time.monotonic() - started < seconds and proc.poll() is None:
        samples.append((time.monotonic() - started, tree_rss_kb(proc.pid)))
        time.sleep(1.0)
    exited_early = proc.poll() is not None
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    with engine.connect() as conn:
        checks = conn.execute(text("SELECT count(*) FROM snapshot")).scalar_one() - before
        outcomes = dict(
            conn.execute(
                text(
                    "SELECT outcome, count(*) FROM snapshot WHERE id > "
                    "(SELECT max(id) - :n FROM snapshot) GROUP BY outcome"
                ),
                {"n": checks},
            ).all()
        )
    engine.dispose()
    rss = [kb / 1024 for _, kb in samples if kb]
    settled = [kb / 1024 for t, kb in samples if t >= 15 and kb]
    return {
        "seconds": seconds,
        "checks": checks,
        "outcomes": outcomes,
        "rss_mb_at_15s": settled[0] if settled else None,
        "rss_mb_max": max(rss) if rss else None,
        "rss_mb_last": rss[-1] if rss else None,
        "exited_early": exited_early,
        "stderr_tail": proc.stderr.read().decode()[-500:],
    }


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--snapshots-per-watch", type=int, default=10)
    parser.add_argument("--claims", type=int, default=50)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--daemon-seconds", type=float, default=90)
    parser.add_argument("--workers", type=int, help="pass --workers N to `palimpsest run`")
    parser.add_argument("--timeout", type=float, default=300, help="for list and the API")
    parser.add_argument("--skip-list", action="store_true", help="do not time list and the API")
    parser.add_argument(
        "--try-index",
        action="store_true",
        help=f"also measure the claim with the candidate index ({CANDIDATE_INDEX})",
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {DB_NAME} database")
    parser.add_argument("--serve-sites", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_sites:
        serve_sites(args.serve_sites)
        return 0
    sizes = sorted(int(s) for s in args.sizes.split(","))

    etags = page_etags()
    sites, port = start_sites(args.domains)
    url = create_database()
    report: dict = {"sizes": {}, "domains": args.domains, "db": DB_NAME}
    try:
        engine = make_engine(url)
        migrate(engine)
        prepare(engine, args.domains, port, etags)
        loaded = 0
        for size in sizes:
            print(f"\n== {size:,} watches", flush=True)
            seconds = grow(
                engine, loaded + 1, size, args.domains, len(etags), port, args.snapshots_per_watch
            )
            loaded = size
            found = counts(engine)
            print(f"loaded in {seconds:.0f}s: {found}", flush=True)
            row: dict = {"load_seconds": seconds, "rows": found}
            row.update(measure_claims(url, args))
            if args.try_index:
                row["with_candidate_index"] = measure_with_index(engine, url, args)
            if not args.skip_list:
                row["list"] = run_timed([PALIMPSEST, "list", "--json"], env_for(url), args.timeout)
                print(f"palimpsest list --json: {row['list']}", flush=True)
                row["api"] = time_api(url, args.timeout)
                print(f"GET /api/v1/watches?limit=50: {row['api']}", flush=True)
            if args.daemon_seconds > 0:
                row["daemon"] = run_daemon(url, args.daemon_seconds, args.workers)
                print(f"daemon: {row['daemon']}", flush=True)
            report["sizes"][str(size)] = row
            RESULTS.parent.mkdir(exist_ok=True)
            RESULTS.write_text(json.dumps(report, indent=2, default=str))
        engine.dispose()
    finally:
        sites.stdin.close()
        sites.wait(30)
        if not args.keep:
            drop_database()
    print_summary(report)
    return 0


def print_summary(report: dict) -> None:
    print(
        "\n| watches | claim_due ms, median / p95 | its SKIP LOCKED select ms | same, delay 1s "
        "| with the candidate index: claim / select ms | daemon RSS MB at 15 s → end (max) "
        "| checks | list s | API s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size, row in report["sizes"].items():
        c0, c1 = row["claim_delay_0"], row["claim_delay_1"]
        idx = (row.get("with_candidate_index") or {}).get("claim_delay_0")
        d = row.get("daemon") or {}
        lst, api = row.get("list") or {}, row.get("api") or {}
        print(
            f"| {int(size):,} | {c0['ms_median']:.1f} / {c0['ms_p95']:.1f} "
            f"| {c0['select_ms_median']:.1f} / {c0['select_ms_p95']:.1f} "
            f"| {c1['ms_median']:.1f} / {c1['select_ms_median']:.1f} "
            f"| {pair(idx)} "
            f"| {fmt(d.get('rss_mb_at_15s'))} → {fmt(d.get('rss_mb_last'))} "
            f"({fmt(d.get('rss_mb_max'))}) | {d.get('checks', '')} "
            f"| {fmt(lst.get('seconds'))} | {fmt(api.get('first_seconds'))} |"
        )


def pair(claim: dict | None) -> str:
    if claim is None:
        return "—"
    return f"{claim['ms_median']:.1f} / {claim['select_ms_median']:.1f}"


def fmt(value) -> str:
    return "—" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
