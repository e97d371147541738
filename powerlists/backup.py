"""The product's own backup: every record of the lists, their history and the people, in one file that
restores into an empty database of either kind (SQLite or PostgreSQL) and proves itself on the way in.

The file is gzip-compressed JSON lines. The first line is the manifest — format and version, when and
from which database it was made, the last migration of each app, the number of records of each model,
and the head of the audit chain (the last ``seq`` and ``hash``). Each following line is one record,
``{"model": ..., "pk": ..., "fields": {...}}`` (Django's serialisation, users' and groups' permissions
and groups by natural key, everything else by id), models in dependency order. The last line is a seal:
an HMAC-SHA256, keyed with ``SECRET_KEY``, of every line before it. A file altered, cut short or
extended after it was written does not match its seal and restores nothing. The file holds password
hashes and proposals that are not public: it is written readable by its owner only; keep it so.

Left out: API tokens (people sign in and make new ones), sessions, idempotency records (kept a day),
the admin's own log and Django's content types and permissions (made by ``migrate``).

``restore`` refuses a database that already holds lists or people, or whose migrations differ from the
file's; writes everything in one transaction with the values as they were (timestamps, ids, sealed
audit events — the database's triggers leave a sealed event as it is); resets the id sequences; and
before committing checks the number of records of each model, that the audit chain verifies and that
its head is the manifest's, and every invariant (:mod:`powerlists.integrity`). Any failure rolls the
whole restore back. The audit events are signed with ``SECRET_KEY``: restore with the same key.
"""
from __future__ import annotations

import datetime
import gzip
import hashlib
import hmac
import json
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "powerlists-backup"
VERSION = 1
APPS = ("accounts", "powerlists")
EXTRA_MODELS = ("auth.Group",)  # people's groups (with their permissions), which users refer to
NATURAL_KEYS = {"accounts.User", "auth.Group"}  # their permissions and groups by name: ids differ per database
LEFT_OUT = {"powerlists.IdempotencyRecord"}
CHUNK = 2000


class BackupError(Exception):
    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (it cuts them to milliseconds), so that a restored
    event matches its signature and a restored row its original."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def models_in_order() -> list:
    wanted = [m for app in APPS for m in apps.get_app_config(app).get_models() if m._meta.label not in LEFT_OUT]
    wanted += [apps.get_model(label) for label in EXTRA_MODELS]
    return serializers.sort_dependencies([(None, wanted)])


def _seal_key() -> bytes:
    return ("powerlists-backup:" + settings.SECRET_KEY).encode("utf-8")


def migration_heads() -> dict:
    applied = MigrationRecorder(connection).applied_migrations()
    heads = {}
    for app, name in applied:
        if app in APPS and name > heads.get(app, ""):
            heads[app] = name
    return heads


def chain_head() -> dict:
    from .models import AuditEvent

    last = AuditEvent.objects.exclude(seq=None).order_by("-seq").values("seq", "hash").first()
    return last or {"seq": 0, "hash": ""}


def _records(model) -> Iterator[dict]:
    queryset = model._base_manager.order_by("pk")
    last = None
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        rows = list(page[:CHUNK])
        if not rows:
            return
        yield from serializers.serialize("python", rows, use_natural_foreign_keys=model._meta.label in NATURAL_KEYS)
        last = rows[-1].pk


def write(path: Path, progress: Callable[[str, int], None] | None = None) -> dict:
    """Write the backup of the current database to ``path``; returns the manifest."""
    from .audit_chain import seal_pending

    outermost = not connection.in_atomic_block
    with transaction.atomic():  # one consistent picture (a snapshot on PostgreSQL)
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        seal_pending()
        order = models_in_order()
        manifest = {
            "format": FORMAT, "version": VERSION, "created_at": timezone.now().isoformat(),
            "database": connection.vendor, "migrations": migration_heads(), "chain_head": chain_head(),
            "counts": {m._meta.label: m._base_manager.count() for m in order},
        }
        tmp = path.with_name(path.name + ".partial")
        seal = hmac.new(_seal_key(), digestmod=hashlib.sha256)
        try:
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the owner's eyes only
            with os.fdopen(descriptor, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as out:
                def line(text: str) -> None:
                    data = (text + "\n").encode("utf-8")
                    seal.update(data)
                    out.write(data)

                line(json.dumps(manifest, ensure_ascii=False))
                for model in order:
                    written = 0
                    for record in _records(model):
                        line(json.dumps(record, cls=_Encoder, ensure_ascii=False))
                        written += 1
                        if progress is not None and written % CHUNK == 0:
                            progress(model._meta.label, CHUNK)
                    if progress is not None:
                        progress(model._meta.label, written % CHUNK)
                out.write((json.dumps({"seal": seal.hexdigest()}) + "\n").encode("utf-8"))
            tmp.replace(path)  # a backup file is whole or absent
        finally:
            tmp.unlink(missing_ok=True)
    return manifest


def read_manifest(path: Path) -> dict:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as source:
            manifest = json.loads(source.readline())
    except (OSError, EOFError, ValueError) as exc:
        raise BackupError("不是 powerlists 备份文件。", f"Not a powerlists backup file ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("不是 powerlists 备份文件。", "Not a powerlists backup file.")
    if manifest.get("version") != VERSION:
        raise BackupError(f"不支持的备份格式版本：{manifest.get('version')}。",
                          f"Unsupported backup format version {manifest.get('version')}.")
    if not (isinstance(manifest.get("counts"), dict) and isinstance(manifest.get("migrations"), dict)
            and isinstance(manifest.get("chain_head"), dict)):
        raise BackupError("备份文件的清单不完整。", "The backup's manifest is incomplete.")
    return manifest


def verify_seal(path: Path) -> None:
    """Check the file's seal before anything is written: every line, in order, and nothing after it."""
    seal = hmac.new(_seal_key(), digestmod=hashlib.sha256)
    last = None
    try:
        with gzip.open(path, "rb") as source:
            for data in source:
                if last is not None:
                    seal.update(last)
                last = data
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError("备份文件已损坏或不完整。", f"The backup file is damaged or incomplete ({exc}).") from exc
    try:
        expected = json.loads(last or b"{}").get("seal", "")
    except (ValueError, AttributeError):
        expected = ""
    if not expected:
        raise BackupError("备份文件不完整（缺少末尾的校验行）。", "The backup file is incomplete (its seal is missing).")
    if not hmac.compare_digest(expected, seal.hexdigest()):
        raise BackupError("备份文件的校验不符：文件在写出后被改动过，或用另一个 SECRET_KEY 写出。",
                          "The backup does not match its seal: it was changed after it was written, or written "
                          "under another SECRET_KEY.")


def _lines(path: Path) -> Iterator[dict]:
    """The records (the manifest and the seal left out)."""
    with gzip.open(path, "rt", encoding="utf-8") as source:
        source.readline()
        for number, line in enumerate(source, start=2):
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise BackupError(f"备份文件第 {number} 行已损坏。", f"Line {number} of the backup is damaged.") from exc
            if not isinstance(record, dict):
                raise BackupError(f"备份文件第 {number} 行不是一条记录。", f"Line {number} of the backup is not a record.")
            if "seal" in record and "model" not in record:
                return
            yield record


def _insert(model, objects: list) -> None:
    """Insert with every value as it was (``raw``: no auto_now, no save() of the model's own)."""
    fields = list(model._meta.concrete_fields)
    size = max(1, connection.ops.bulk_batch_size(fields, objects) if objects else 1)
    for start in range(0, len(objects), size):
        model._base_manager._insert(objects[start:start + size], fields=fields, raw=True)


def restore(path: Path, progress: Callable[[str, int], None] | None = None) -> dict:
    """Restore ``path`` into the current (empty) database, all or nothing; returns the manifest."""
    manifest = read_manifest(path)
    verify_seal(path)
    try:
        return _restore(path, manifest, progress)
    except (serializers.base.DeserializationError, DatabaseError, LookupError, TypeError, ValueError) as exc:
        raise BackupError(f"恢复失败，未写入任何内容：{exc}", f"The restore failed and wrote nothing: {exc}") from exc


def _restore(path: Path, manifest: dict, progress) -> dict:
    from . import integrity
    from .audit_chain import verify

    order = models_in_order()
    known = {m._meta.label_lower: m for m in order}
    counts = dict.fromkeys((m._meta.label for m in order), 0)
    with transaction.atomic():  # inside it every read goes to the primary database, even with a replica
        occupied = [m._meta.label for m in order if m._base_manager.exists()]
        if occupied:
            raise BackupError("目标数据库不是空的（已有：" + "、".join(occupied) + "），不能恢复。",
                              "The database is not empty (it holds " + ", ".join(occupied) + "); nothing restored.")
        if manifest["migrations"] != migration_heads():
            raise BackupError("备份与本数据库的迁移版本不同：请先用同一版本的 powerlists 执行 migrate。",
                              f"The backup was made at migrations {manifest['migrations']}, this database is at "
                              f"{migration_heads()}: migrate with the same version of powerlists first.")
        pending: list[dict] = []
        pending_model = None

        def flush():
            if not pending:
                return
            objects, m2m = [], []
            for deserialized in serializers.deserialize("python", pending, handle_forward_references=False):
                objects.append(deserialized.object)
                m2m.append((deserialized.object.pk, deserialized.m2m_data or {}))
            _insert(pending_model, objects)
            for field_name, through_rows in _m2m_rows(pending_model, m2m):
                getattr(pending_model, field_name).through._base_manager.bulk_create(through_rows)
            if progress is not None:
                progress(pending_model._meta.label, len(pending))
            pending.clear()

        for record in _lines(path):
            model = known.get(str(record.get("model", "")))
            if model is None:
                raise BackupError(f"备份中有未知的记录类型：{record.get('model')}。",
                                  f"The backup holds records of an unknown model: {record.get('model')}.")
            if model is not pending_model or len(pending) >= CHUNK:
                flush()
                pending_model = model
            pending.append(record)
            counts[model._meta.label] += 1
        flush()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), order):
                cursor.execute(sql)
        if counts != manifest["counts"]:
            differ = {k: (counts.get(k), manifest["counts"].get(k)) for k in set(counts) | set(manifest["counts"])
                      if counts.get(k) != manifest["counts"].get(k)}
            raise BackupError(f"备份记录数与清单不符：{differ}。", f"The backup's records do not match its manifest: {differ}.")
        result = verify()
        if not result.ok:
            raise BackupError(f"恢复后审计链校验失败：{result.problem.zh}。",
                              f"The restored audit chain does not verify: {result.problem.en}.")
        if chain_head() != manifest["chain_head"]:
            raise BackupError("恢复后审计链的末端与备份清单不符（最新的事件缺失）。",
                              "The restored audit chain does not end where the manifest says (newest events missing).")
        broken = [str(f) for f in integrity.check() if not f.ok]
        if broken:
            raise BackupError("恢复后数据不满足规则：" + "；".join(broken), "The restored data breaks rules: " + "; ".join(broken))
    return manifest


def _m2m_rows(model, m2m: list) -> Iterator[tuple[str, list]]:
    if model is None:
        return
    for field in model._meta.many_to_many:
        through = field.remote_field.through
        source = field.m2m_field_name()
        target = field.m2m_reverse_field_name()
        rows = [through(**{f"{source}_id": pk, f"{target}_id": other})
                for pk, data in m2m for other in data.get(field.name, [])]
        if rows:
            yield field.name, rows
