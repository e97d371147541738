"""Signed checkpoints of the audit chain's head, kept where the database cannot rewrite them.

Removing the newest audit events leaves no gap inside the chain: what shows it is a head kept outside the
database. A checkpoint is one JSON line — the head's ``seq``, ``hash`` and time (``at``), when it was
written (``written_at``) and which database it is of — signed with an HMAC-SHA256 keyed with
``SECRET_KEY`` (``sig``), appended to a file of its own per database under ``AUDIT_CHECKPOINT_DIR``
(default ``MEDIA_ROOT/audit-checkpoints``, e.g. ``postgresql-powerlists.jsonl``). Lines are only ever
appended (under an exclusive lock, so concurrent writers never interleave).

Written by ``python manage.py auditcheckpoint`` (from a systemd timer, see README, Deploying) and, at most
once per ``AUDIT_CHECKPOINT_INTERVAL`` seconds, after a request that may have written audit events (any
method but GET, HEAD, OPTIONS: :class:`CheckpointMiddleware`). The request path is cheap: it looks at the
time of the last checkpoint (the process's memory, else the file's modification time) before anything
else, and it never fails the request — a checkpoint that cannot be written is logged. Nothing is written
while the head has not moved since the last checkpoint, nor for an empty chain.

``python manage.py verifyaudit`` checks every checkpoint of the database: its signature, and that the
chain still holds that hash at that ``seq`` (:func:`anchors`, :func:`powerlists.audit_chain.verify`).
"""
from __future__ import annotations

import datetime
import fcntl
import hashlib
import hmac
import json
import logging
import os
import re
import time
from pathlib import Path

from django.conf import settings
from django.db import connections

from .audit_chain import Anchor, Problem, head

logger = logging.getLogger("powerlists.audit")

SIGNED_FIELDS = ("seq", "hash", "at", "written_at", "database")
_last_checked: dict[str, float] = {}  # per file: when this process last knew of a checkpoint (or looked)


def database_label(alias: str = "default") -> str:
    """Which database a checkpoint is of: its kind and name (for SQLite, the file's name and a digest of its
    whole path), e.g. ``postgresql-powerlists`` or ``sqlite-db.sqlite3-1a2b3c4d``."""
    connection = connections[alias]
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{Path(name).name}-{digest}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{connection.vendor}-{name}")[:120]


def directory() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def path_for(alias: str = "default") -> Path:
    """The checkpoint file of the database."""
    return directory() / f"{database_label(alias)}.jsonl"


def _key() -> bytes:
    return ("powerlists-audit-checkpoint:" + settings.SECRET_KEY).encode("utf-8")


def _canonical(record: dict) -> bytes:
    data = {name: record.get(name) for name in SIGNED_FIELDS}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(record: dict) -> str:
    return hmac.new(_key(), _canonical(record), hashlib.sha256).hexdigest()


def _last_record(handle) -> dict | None:
    """The last complete line of an open checkpoint file (its tail only is read)."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(max(0, size - 8192))
    lines = [line for line in handle.read().split(b"\n") if line.strip()]
    if not lines:
        return None
    try:
        record = json.loads(lines[-1])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def write(*, only_if_due: bool = False) -> dict | None:
    """Append a signed checkpoint of the chain's current head (read on the primary database) to the
    database's file; the record written, or None when there was nothing to write (an empty chain, a head
    that has not moved since the last checkpoint, or — ``only_if_due`` — a checkpoint written by another
    process less than an interval ago). Raises OSError when the file cannot be written."""
    from .ops.routers import pinned_to_primary

    path = path_for()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(descriptor, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
        status = os.fstat(handle.fileno())
        if only_if_due and status.st_size and time.time() - status.st_mtime < settings.AUDIT_CHECKPOINT_INTERVAL:
            return None  # another process wrote one meanwhile
        with pinned_to_primary():
            current = head()
        last = _last_record(handle)
        if not current["seq"] or (last and last.get("seq") == current["seq"] and last.get("hash") == current["hash"]):
            return None
        record = {**current, "written_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                  "database": database_label()}
        record["sig"] = sign(record)
        handle.write((json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
    return record


def after_request() -> None:
    """At most once per interval, a checkpoint after a request that may have written audit events. Never
    raises: a checkpoint that cannot be written (a full disk, a directory not writable) is logged."""
    if not settings.AUDIT_CHECKPOINT_AFTER_REQUESTS:
        return
    try:
        path = str(path_for())
        now, interval = time.time(), settings.AUDIT_CHECKPOINT_INTERVAL
        if now - _last_checked.get(path, 0.0) < interval:
            return
        try:
            last = os.stat(path).st_mtime
        except FileNotFoundError:
            last = 0.0
        if now - last < interval:
            _last_checked[path] = last
            return
        _last_checked[path] = now  # also when it fails: tried again (and logged) once an interval, not each request
        write(only_if_due=True)
    except Exception:  # noqa: BLE001 - a checkpoint must never fail the request that triggered it
        logger.exception("审计链检查点未能写入 / The audit chain checkpoint could not be written (%s)",
                         settings.AUDIT_CHECKPOINT_DIR)


class CheckpointMiddleware:
    """After a request that may have written audit events (any method but GET, HEAD, OPTIONS), a
    checkpoint of the chain's head if the last one is older than ``AUDIT_CHECKPOINT_INTERVAL``."""

    SAFE = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in self.SAFE:
            after_request()
        return response


def _damaged(path: Path, number: int, zh: str, en: str) -> Problem:
    return Problem(None, None, "checkpoint", f"检查点文件 {path} 第{number}行{zh}", f"Line {number} of the checkpoint "
                                                                            f"file {path} {en}")


def anchors(path: Path | None = None) -> tuple[list[Anchor], Problem | None]:
    """The checkpoints of a file (by default the database's own) as anchors for
    :func:`powerlists.audit_chain.verify`; or the first line that is damaged or does not match its
    signature. A file that does not exist holds no checkpoint."""
    path = path or path_for()
    found: list[Anchor] = []
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return found, None
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                valid = (isinstance(record, dict) and type(record.get("seq")) is int and record["seq"] > 0
                         and isinstance(record.get("hash"), str) and isinstance(record.get("sig"), str))
            except ValueError:
                valid = False
            if not valid:
                return found, _damaged(path, number, "已损坏（不是一个检查点）。", "is damaged (not a checkpoint).")
            if not hmac.compare_digest(record["sig"], sign(record)):
                return found, _damaged(path, number, "与其签名不符（被改动，或不是用本系统的 SECRET_KEY 写的）。",
                                       "does not match its signature (altered, or not written with this "
                                       "product's SECRET_KEY).")
            written = record.get("written_at", "")
            found.append(Anchor(record["hash"], record["seq"],
                                zh=f"{written} 的检查点（{path} 第{number}行）",
                                en=f"the checkpoint of {written} ({path}, line {number})"))
    return found, None
