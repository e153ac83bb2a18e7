"""Profile a stretch of a process, its worker threads included, and say where the time went.

cProfile sees only the thread that enables it, and the checker extracts pages and records
results in thread pools; while profiling, every function given to a ``ThreadPoolExecutor``
(``asyncio.to_thread`` and ``run_in_executor`` included) runs under a profiler of its worker
thread, and the profiles are merged at the end. Times are each thread's CPU time
(``clock="cpu"``, the default) or wall-clock time (``"wall"``: then a thread's time includes
its waits for the GIL, and the event loop's idle wait shows as ``select.epoll.poll``).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import sysconfig
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PROJECT_PACKAGES = ("palimpsest", "scraper", "db", "monitor", "bench")
STDLIB = sysconfig.get_paths()["stdlib"]


class ThreadsProfiler:
    def __init__(self, clock: str = "cpu") -> None:
        self.timer = time.thread_time if clock == "cpu" else time.perf_counter
        self.main = cProfile.Profile(self.timer)
        self.workers: list[cProfile.Profile] = []
        self.local = threading.local()
        self.lock = threading.Lock()
        self.submit = ThreadPoolExecutor.submit

    def start(self) -> None:
        submit, run = self.submit, self._run

        def submit_profiled(executor, fn, /, *args, **kwargs):
            return submit(executor, run, fn, *args, **kwargs)

        ThreadPoolExecutor.submit = submit_profiled  # type: ignore[method-assign]
        self.main.enable()

    def stop(self) -> None:
        self.main.disable()
        ThreadPoolExecutor.submit = self.submit  # type: ignore[method-assign]

    def _run(self, func, /, *args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            return func(*args, **kwargs)  # the main profile sees it already
        profile = getattr(self.local, "profile", None)
        if profile is None:
            profile = self.local.profile = cProfile.Profile(self.timer)
            with self.lock:
                self.workers.append(profile)
        profile.enable()
        try:
            return func(*args, **kwargs)
        finally:
            profile.disable()

    def stats(self) -> pstats.Stats:
        stats = pstats.Stats(self.main)
        for profile in self.workers:
            stats.add(profile)
        return stats

    def save(self, path: Path, checks: int) -> None:
        stats = self.stats()
        stats.dump_stats(str(path))
        path.with_suffix(path.suffix + ".txt").write_text(summary(stats, checks))


class SamplingProfiler:
    """pyinstrument (if installed) on the main thread only: little overhead, no worker threads."""

    def __init__(self) -> None:
        from pyinstrument import Profiler

        self.profiler = Profiler(interval=0.0005, async_mode="disabled")

    def start(self) -> None:
        self.profiler.start()

    def stop(self) -> None:
        self.profiler.stop()

    def save(self, path: Path, checks: int) -> None:
        root = self.profiler.last_session.root_frame()
        path.with_suffix(path.suffix + ".txt").write_text(sampled_summary(root, checks))
        tree = self.profiler.output_text(unicode=True, show_all=True)
        path.with_suffix(path.suffix + ".tree.txt").write_text(tree)


def sampled_summary(root, checks: int, top: int = 30) -> str:
    """Own and inclusive time per function of a pyinstrument frame tree, and per package."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_package: Counter[str] = Counter()

    def walk(frame, parent, python, above: frozenset[str]) -> None:
        # ``python``: the nearest frame of Python code, which pays for the C it calls.
        key = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        builtin = frame.file_path == "<built-in>"
        if not frame.is_synthetic and not builtin:
            python = frame
        if not frame.is_synthetic and key not in above:
            inclusive[key] += frame.time
        if not frame.children:
            if builtin and "poll" in frame.function:
                by_package["(idle: waiting in epoll)"] += frame.time
            else:
                by_package[package_of(python.file_path or "~")] += frame.time
            owner = parent if frame.is_synthetic else frame
            own[f"{owner.function}  {owner.file_path_short}:{owner.line_no}"] += frame.time
        for child in frame.children:
            walk(child, frame, python, above | {key})

    walk(root, root, root, frozenset())
    total = root.time
    out = io.StringIO()
    out.write(f"sampled time (main thread): {total:.3f}s for {checks} checks")
    out.write(f" = {1000 * total / max(checks, 1):.3f} ms per check\n\n")
    for title, counter, n in (
        ("own time by package (C builtins charged to their callers)", by_package, 20),
        ("functions by own time", own, top),
        ("functions by inclusive time", inclusive, 2 * top),
    ):
        out.write(f"--- {title} ---\n")
        for name, seconds in counter.most_common(n):
            out.write(f"  {100 * seconds / total:5.1f}%  {seconds:8.3f}s  {name}\n")
        out.write("\n")
    return out.getvalue()


def package_of(filename: str) -> str:
    """A short name for where code lives: a project package, a library, or the stdlib."""
    if filename == "~":
        return "(C builtins)"
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    path = Path(filename)
    if path.is_relative_to(PROJECT):
        top = path.relative_to(PROJECT).parts[0].removesuffix(".py")
        return f"{top} (ours)" if top in PROJECT_PACKAGES else top
    if filename.startswith(STDLIB):
        return "stdlib " + Path(filename[len(STDLIB) :].lstrip("/")).parts[0].removesuffix(".py")
    return filename


def time_by_package(stats: pstats.Stats) -> Counter[str]:
    """Own time per package; a C builtin's time goes to the packages that called it."""
    by_package: Counter[str] = Counter()
    for (filename, _line, name), (_cc, _nc, own, _cum, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename != "~":
            by_package[package_of(filename)] += own
        elif "poll" in name and ("epoll" in name or "select" in name):
            by_package["(idle: waiting in epoll)"] += own
        elif callers:
            for (caller_file, _l, _n), (_c, _n2, caller_own, _cum2) in callers.items():
                by_package[package_of(caller_file)] += caller_own
        else:
            by_package["(C builtins)"] += own
    return by_package


def summary(stats: pstats.Stats, checks: int, top: int = 30) -> str:
    total = sum(own for _cc, _nc, own, _cum, _callers in stats.stats.values())  # type: ignore[attr-defined]
    out = io.StringIO()
    out.write(f"profiled time (all threads): {total:.3f}s for {checks} checks")
    out.write(f" = {1000 * total / max(checks, 1):.3f} ms per check\n\n")
    out.write("own time by package (C builtins charged to their callers):\n")
    for package, seconds in time_by_package(stats).most_common(20):
        share = 100 * seconds / total if total else 0.0
        out.write(f"  {share:5.1f}%  {seconds:8.3f}s  {package}\n")
    for order in ("tottime", "cumulative"):
        out.write(f"\n--- top {top} functions by {order} ---\n")
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(order).print_stats(top)
    return out.getvalue()


if __name__ == "__main__":  # re-summarise a saved profile: python bench/profiling.py FILE [N]
    saved = pstats.Stats(sys.argv[1])
    print(summary(saved, int(sys.argv[2]) if len(sys.argv) > 2 else 1))
