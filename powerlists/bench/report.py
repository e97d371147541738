"""Lines of the benchmark's report, and what it ran on."""
from __future__ import annotations

import os
import platform
import statistics
import sys
from dataclasses import dataclass

import django
from django.db import connection

HEADER = f"{'figure':<58} {'product':>10} {'baseline':>10} {'ratio':>8}  {'goal':<24}    note"


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 0.01:
        return f"{value * 1000:.0f} ms"
    return f"{value * 1000:.2f} ms"


@dataclass
class Figure:
    """One measured figure: the product's time, the baseline's, and the goal it is held to."""

    name: str
    product: float | None
    baseline: float | None
    goal: str
    ok: bool | None  # None: reported, no goal
    note: str = ""
    profile: object = None  # a callable that runs the product once, for --profile

    @property
    def ratio(self) -> float | None:
        if self.product is None or not self.baseline:
            return None
        return self.product / self.baseline

    def line(self) -> str:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}×"
        mark = {True: "✓", False: "✗", None: "·"}[self.ok]
        return (f"{self.name:<58} {seconds(self.product):>10} {seconds(self.baseline):>10} {ratio:>8}  "
                f"{self.goal:<24} {mark}  {self.note}").rstrip()


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    return ""


def machine() -> str:
    return (f"machine: {platform.machine()} {_cpu()}, {os.cpu_count()} cores, {_memory()}; "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}, "
            f"Django {django.get_version()}")


def database() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT version(), current_setting('shared_buffers'), current_setting('work_mem'), "
                           "pg_size_pretty(pg_database_size(current_database())), current_database()")
            version, buffers, work_mem, size, name = cursor.fetchone()
        return (f"database: PostgreSQL {version.split()[1]} (database {name}, {size}; shared_buffers {buffers}, "
                f"work_mem {work_mem}) on {connection.settings_dict.get('HOST') or 'local socket'}")
    name = connection.settings_dict["NAME"]
    size = os.path.getsize(name) / 1024 / 1024 if os.path.exists(name) else 0
    return f"database: SQLite {connection.Database.sqlite_version} (file {name}, {size:,.0f} MB)"


def write(out, text: str = "") -> None:
    out.write(text + "\n")
    out.flush()


def stderr(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
