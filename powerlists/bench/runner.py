"""Scratch databases and the child process that measures in them.

The command itself runs against whatever database the settings name; it never writes there. For each
database to measure it prepares a scratch database and runs ``manage.py bench --worker`` in a child
process whose ``DATABASE_URL`` names it, relaying the child's report line by line.

Scratch names: ``bench --scratch-name`` (default ``powerlists_bench``: ``powerlists_bench_<scale>`` and
``powerlists_bench_{reads,writes}``) and ``soak --scratch-name`` (default ``powerlists_soak``); the test
suite passes names made from its test database's name. A child's cache keys carry a prefix of their own
(``CACHE_KEY_PREFIX``: the scratch name and a random tag), deleted when the child ends; nothing else in
the Redis database is touched.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SCRATCH_DIR = Path(tempfile.gettempdir()) / "powerlists-bench"
BENCH_SCRATCH = "powerlists_bench"
# A PostgreSQL identifier with room for the suffixes added here ("_province", "_writes"): at most 63 bytes.
SCRATCH_NAME = re.compile(r"[a-z_][a-z0-9_]{0,49}")


def check_scratch_name(name: str) -> str:
    if not SCRATCH_NAME.fullmatch(name):
        raise ValueError(f"临时数据库名 {name!r} 须为小写字母、数字和下划线（最多 50 个字符）。 / The scratch name "
                         f"{name!r} must be lower-case letters, digits and underscores (at most 50 characters).")
    return name


def bench_redis_url(given: str | None = None) -> str:
    """The Redis of a benchmark or soak child: ``--redis-url``, else ``BENCH_REDIS_URL``, else
    redis://127.0.0.1:6379/14 ("" means none: the child's own memory)."""
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL) if given is None else given


def bench_postgres_name(scratch: str, scale: str, label: str, *, keep: bool) -> str:
    """The PostgreSQL scratch database of a run: the scale's data (kept), or a fresh one per label."""
    return f"{scratch}_{scale}" if keep else f"{scratch}_{label}"


def bench_sqlite_path(scratch: str, scale: str) -> Path:
    """The kept SQLite data of a scale (``/tmp/powerlists-bench/<scale>.sqlite3`` under the default name)."""
    return SCRATCH_DIR / (f"{scale}.sqlite3" if scratch == BENCH_SCRATCH else f"{scratch}_{scale}.sqlite3")


def _server(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def postgres_database(name: str, *, fresh: bool) -> str:
    """The URL of the scratch PostgreSQL database ``name``, created (or dropped and created) here."""
    import psycopg

    server = _server(POSTGRES_SERVER)
    developer = settings.DATABASES["default"]
    if developer.get("ENGINE", "").endswith("postgresql") and developer.get("NAME") == name:
        raise RuntimeError(f"refusing to use the configured database {name} as a scratch database")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
                         f"LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
    return f"{server}/{name}"


def drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{_server(POSTGRES_SERVER)}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_database(path: Path, *, fresh: bool) -> str:
    developer = settings.DATABASES["default"]
    if developer.get("ENGINE", "").endswith("sqlite3") and Path(str(developer.get("NAME"))).resolve() == path.resolve():
        raise RuntimeError(f"refusing to use the configured database {path} as a scratch database")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def child_environment(database_url: str, *, redis_url: str = "", key_prefix: str = "", extra: dict | None = None
                      ) -> dict:
    """The environment of a child: its database, its Redis (if reachable) under ``key_prefix``, or memory."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        # The benchmark sends more anonymous requests a minute than the default rate limit allows.
        "API_RATE_ANON": "100000000/minute",
        "API_RATE_USER": "100000000/minute",
        "REQUEST_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("DATABASE_REPLICA_URL", None)
    # DEBUG off refuses to start without a key: a child run from a development shell (DEBUG=1) gets its
    # parent's key (its scratch database is signed with it).
    env.setdefault("SECRET_KEY", settings.SECRET_KEY)
    # Redis if reachable (the child empties its cache between measurements: only the keys under its own
    # prefix), else the child's memory.
    if redis_url and redis_reachable(redis_url):
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    if key_prefix:
        env["CACHE_KEY_PREFIX"] = key_prefix
    env.update(extra or {})
    return env


def forget_keys(redis_url: str, key_prefix: str) -> None:
    """Delete the keys a child left under its prefix (and only those)."""
    if not (redis_url and key_prefix and redis_reachable(redis_url)):
        return
    from powerlists.ops.cache import ResilientRedisCache

    ResilientRedisCache(redis_url, {"KEY_PREFIX": key_prefix}).clear()


def _worker(args: list[str], url: str, out, *, scratch: str, redis_url: str | None = None,
            extra: dict | None = None) -> int:
    """Run ``args`` against the database ``url``, relaying its output; its cache keys are removed after."""
    redis_url = bench_redis_url(redis_url)
    key_prefix = f"{scratch}:{uuid.uuid4().hex[:8]}"
    env = child_environment(url, redis_url=redis_url, key_prefix=key_prefix, extra=extra)
    try:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True, bufsize=1, cwd=settings.BASE_DIR)
        for line in proc.stdout:
            out.write(line)
            out.flush()
        return proc.wait()
    finally:
        forget_keys(env.get("REDIS_URL", ""), key_prefix)


def run(options: dict, out) -> int:
    """Measure on each selected database; returns the number of runs that failed.

    Per database, two runs: the figures that read, in the scratch database of the scale (kept for the
    next run, unless quick or --rebuild), and the figures that write, in a fresh database dropped after.
    """
    from .figures import FIGURES, WRITES

    vendors = []
    if not options["postgres_only"]:
        vendors.append("sqlite")
    if not options["sqlite_only"]:
        vendors.append("postgresql")
    scale = "county" if options["quick"] else options["scale"]
    scratch = check_scratch_name(options.get("scratch_name") or BENCH_SCRATCH)
    wanted = options["only"].split(",") if options.get("only") else list(FIGURES)
    groups = [(label, [f for f in FIGURES if f in wanted and (f in WRITES) == writes])
              for label, writes in (("reads", False), ("writes", True))]
    groups = [(label, names) for label, names in groups if names]
    failures = 0
    for vendor in vendors:
        for label, names in groups:
            fresh = label == "writes" or options["rebuild"] or options["quick"]
            keep = label == "reads" and not options["quick"]
            temporary = None
            if vendor == "postgresql":
                name = bench_postgres_name(scratch, scale, label, keep=keep)
                try:
                    url = postgres_database(name, fresh=fresh)
                except Exception as exc:  # noqa: BLE001 - no server: say so, measure the rest
                    out.write(f"PostgreSQL: cannot prepare the scratch database {name}: {exc}\n")
                    failures += 1
                    continue
            elif keep:
                url = sqlite_database(bench_sqlite_path(scratch, scale), fresh=fresh)
            else:
                temporary = Path(tempfile.mkdtemp(prefix="powerlists-bench-"))
                url = sqlite_database(temporary / f"{label}.sqlite3", fresh=True)
            args = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench", "--worker",
                    "--scale", scale, "--only", ",".join(names)]
            for flag in ("quick", "profile"):
                if options[flag]:
                    args.append(f"--{flag}")
            for key in ("load_seconds", "connections", "repeat"):
                if options.get(key) is not None:
                    args += [f"--{key.replace('_', '-')}", str(options[key])]
            where = f"the {scale} data" if label == "reads" else "a fresh database"
            out.write(f"\n=== {vendor}, {label} ({', '.join(names)}) on {where}: {url} ===\n")
            out.flush()
            code = _worker(args, url, out, scratch=scratch, redis_url=options.get("redis_url"))
            if code != 0:
                out.write(f"the {vendor} run failed (exit status {code})\n")
                failures += 1
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)
            if vendor == "postgresql" and not keep:
                drop_postgres_database(name)
    return failures
