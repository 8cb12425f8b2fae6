"""What every benchmark script shares: timing, summaries, the machine, tables, processes.

Figures are medians with min–max over repeats, because the machines they run on are shared and
noisy; every script also prints the machine and versions it ran with, so a table pasted into
``docs/benchmarks.md`` carries its context.
"""

from __future__ import annotations

import math
import os
import platform
import random
import re
import socket
import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy
from sqlalchemy import text

from kesu.db import migrate
from kesu.db.engine import make_engine

# --- timing and summaries ---------------------------------------------------------------------


@dataclass
class Stopwatch:
    started: float = field(default_factory=time.perf_counter)
    stopped: float | None = None

    def stop(self) -> float:
        self.stopped = time.perf_counter()
        return self.seconds

    @property
    def seconds(self) -> float:
        return (self.stopped or time.perf_counter()) - self.started


@contextmanager
def timed() -> Iterator[Stopwatch]:
    watch = Stopwatch()
    try:
        yield watch
    finally:
        watch.stop()


@dataclass(frozen=True)
class Summary:
    """Median and range of one measure over the repeats of a run."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(math.nan, math.nan, math.nan)
        return cls(statistics.median(values), min(values), max(values))

    def format(self, digits: int = 0) -> tuple[str, str]:
        """(median, "min–max") as table cells."""
        return number(
            self.median, digits
        ), f"{number(self.low, digits)}–{number(self.high, digits)}"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0–1): a latency some request really had."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def number(value: float, digits: int = 0) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:,.{digits}f}"


# --- tables and markdown ------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table; columns after the first are numbers, aligned right."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join(["---"] + ["---:"] * (len(headers) - 1)) + " |",
    ]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def write_section(path: Path, title: str, paragraphs: Sequence[str]) -> None:
    """A markdown section (``## title`` and its paragraphs) to paste into docs/benchmarks.md."""
    body = "\n\n".join(paragraph.strip("\n") for paragraph in paragraphs)
    path.write_text(f"## {title}\n\n{body}\n", encoding="utf-8")


# --- the machine ----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or platform.machine()
    found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    model = found.group(1).strip() if found else platform.machine()
    if re.search(r"^flags\s*:.*\bhypervisor\b", cpuinfo, re.MULTILINE):
        model += " (virtual machine)"
    return model


def _memory_gib() -> float:
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return math.nan
    found = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    return int(found.group(1)) / 1024 / 1024 if found else math.nan


def postgres_version(url: str) -> str | None:
    if not url.startswith("postgresql"):
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def describe_machine(database_urls: Sequence[str] = ()) -> str:
    """One line: CPU, RAM, Python, SQLAlchemy, SQLite, PostgreSQL (if used), date."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    parts = [
        f"{cpus} × {_cpu_model()}",
        f"{_memory_gib():.0f} GiB RAM",
        f"Linux {platform.release()}" if platform.system() == "Linux" else platform.platform(),
        f"Python {platform.python_version()}",
        f"SQLAlchemy {sqlalchemy.__version__}",
        f"SQLite {sqlite3.sqlite_version}",
    ]
    versions = {version for url in database_urls if (version := postgres_version(url))}
    parts.extend(f"PostgreSQL {version}" for version in sorted(versions))
    parts.append(datetime.now(UTC).strftime("%Y-%m-%d"))
    return ", ".join(parts)


def load_average() -> float:
    """The one-minute load average: how busy the shared machine was."""
    try:
        return float(Path("/proc/loadavg").read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError):
        return math.nan


# --- databases ------------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    """An empty, migrated database: a PostgreSQL URL's public schema is dropped first."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    engine.dispose()


def dialect_of(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


# --- processes --------------------------------------------------------------------------------

PORTS = range(18000, 19000)


def free_port(ports: range = PORTS) -> int:
    """A loopback port nobody listens on, from ``ports`` (benchmarks keep to their own range)."""
    candidates = list(ports)
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}–{ports.stop - 1}")


def rss_mib(pid: int) -> float | None:
    """Resident memory of a process (VmRSS), or None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields start after the last ")".
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, ()))
    return found


class RssSampler:
    """Samples the resident memory of a process tree in a thread; keeps each process's peak."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self.root = root
        self.interval = interval
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for pid in descendants(self.root):
            rss = rss_mib(pid)
            if rss is not None and rss > self.peaks.get(pid, 0.0):
                self.peaks[pid] = rss

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
