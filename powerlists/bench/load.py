"""Concurrent load on loopback: the product under gunicorn, and a small load generator bounded in time.

gunicorn runs with the project's ``gunicorn.conf.py`` (its workers, threads and keep-alive), bound to a
free port on 127.0.0.1 and pointed at the benchmark's database. The load generator is asyncio in this
process: ``connections`` persistent HTTP/1.1 connections, each sending its next request as soon as the
previous answer is read (a closed loop), for ``seconds``; it records every latency and status. It runs on
the same machine as the server, so it takes some of the CPU the server could use — as wrk or locust
would on one machine.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .report import percentile


@dataclass
class LoadResult:
    path: str
    seconds: float
    connections: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict = field(default_factory=dict)
    bytes: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) if self.latencies else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving the product from the current environment's database, started and stopped here."""

    def __init__(self, env: dict | None = None):
        self.port = free_port()
        # A scratch database's server writes no checkpoints of its audit chain (they would land in the
        # product's MEDIA_ROOT, about a database dropped after).
        self.env = {"AUDIT_CHECKPOINT_AFTER_REQUESTS": "0", **os.environ, **(env or {}),
                    "BIND": f"127.0.0.1:{self.port}", "GUNICORN_LOG_LEVEL": "warning"}
        self.log = Path(tempfile.gettempdir()) / f"powerlists-bench-gunicorn-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        conf = Path(settings.BASE_DIR) / "gunicorn.conf.py"
        self.args = [sys.executable, "-m", "gunicorn"]
        if conf.exists():
            self.args += ["-c", str(conf)]
        else:  # the same shape as the project's settings: processes × threads, keep-alive
            self.args += ["--workers", str((os.cpu_count() or 1) * 2 + 1), "--threads", "2", "-k", "gthread",
                          "--keep-alive", "5", "--bind", f"127.0.0.1:{self.port}"]
        self.args.append("powerlists.wsgi")

    @property
    def description(self) -> str:
        workers = self.env.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
        threads = self.env.get("GUNICORN_THREADS", "2")
        return f"gunicorn {workers} workers × {threads} threads"

    def __enter__(self) -> Server:
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(self.args, env=self.env, cwd=settings.BASE_DIR, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as r:  # noqa: S310
                    r.read()
                    return self
            except OSError as exc:
                if getattr(exc, "code", None):  # an HTTP answer: the server is up
                    return self
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this server was started in, nothing else
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


async def _one_connection(port: int, path: str, deadline: float, result: LoadResult, timeout: float) -> None:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html,application/json\r\n"
               f"Accept-Encoding: identity\r\nUser-Agent: powerlists-bench\r\n\r\n").encode()
    reader = writer = None
    while time.perf_counter() < deadline:
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
            started = time.perf_counter()
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            status = int(head.split(b" ", 2)[1])
            lower = head.lower()
            length = None
            close = b"connection: close" in lower
            for line in lower.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length is not None:
                body = await asyncio.wait_for(reader.readexactly(length), timeout)
            else:  # no length: the body runs to the end of the connection
                body = await asyncio.wait_for(reader.read(), timeout)
                close = True
            result.latencies.append(time.perf_counter() - started)
            result.bytes += len(body)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status != 200:
                result.errors += 1
            if close:
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            result.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


def generate(port: int, path: str, seconds: float, connections: int, timeout: float = 30.0) -> LoadResult:
    """``connections`` closed-loop clients on ``path`` for ``seconds`` (the last answers may end later)."""
    result = LoadResult(path=path, seconds=seconds, connections=connections)

    async def main():
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*[_one_connection(port, path, deadline, result, timeout) for _ in range(connections)])
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result
