"""Audit events: written by the services in the same transaction as the change they record."""
from __future__ import annotations

import datetime
import decimal
import json
import uuid

from django.db import connection, models

from ..audit_chain import content_hash, event_values
from ..listcache import changes_lists, lists_changed
from ..models import AuditEvent

_PLAIN = frozenset({str, int, float, bool, type(None)})


def _json_value(value):
    kind = type(value)
    if kind in _PLAIN:  # the common case first: most values of a snapshot are already plain
        return value
    if kind is dict:
        return {str(k): _json_value(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_json_value(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-safe picture of a model's concrete fields (foreign keys as ids), for before/after."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        data[field.attname] = _json_value(getattr(instance, field.attname))
    return data


def actor_label(actor, actor_name: str = "") -> str:
    if actor_name:
        return actor_name
    if actor is None:
        return "system"
    return getattr(actor, "username", "") or str(actor)


def make_event(
    action: str,
    obj: models.Model,
    *,
    actor=None,
    actor_name: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
    government=None,
    item=None,
    transfer=None,
    batch=None,
    object_id: str | None = None,
) -> AuditEvent:
    """An unsaved event (for bulk writes), signed for the hash chain; :func:`record` saves one."""
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=actor_label(actor, actor_name),
        action=action,
        object_type=obj._meta.model_name,
        object_id=object_id if object_id is not None else str(obj.pk),
        government=government,
        item=item,
        transfer=transfer,
        batch=batch,
        before=_json_value(before) if before is not None else None,
        after=_json_value(after) if after is not None else None,
        reason=reason or "",
    )
    event.content_hash = content_hash(event_values(event))
    return event


def record(action: str, obj: models.Model, **kwargs) -> AuditEvent:
    event = make_event(action, obj, **kwargs)
    event.save()
    if changes_lists(action):
        lists_changed()
    return event


_COLUMNS = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "government_id", "item_id",
            "transfer_id", "batch_id", "before", "after", "reason", "content_hash")


def record_many(events: list[AuditEvent]) -> None:
    """Save unsaved events (from :func:`make_event`) in one prepared INSERT run over every row: the
    ORM's per-field preparation is most of the cost of a bulk insert of thousands of events."""
    if not events:
        return
    ops = connection.ops
    json_value = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    marks = ", ".join(json_value if c in ("before", "after") else "%s" for c in _COLUMNS)
    table = ops.quote_name(AuditEvent._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in _COLUMNS)}) VALUES ({marks})"

    def dumps(value):
        return None if value is None else json.dumps(value, ensure_ascii=False)

    rows = [(ops.adapt_datetimefield_value(e.at), e.actor_id, e.actor_name, e.action, e.object_type, e.object_id,
             e.government_id, e.item_id, e.transfer_id, e.batch_id, dumps(e.before), dumps(e.after), e.reason,
             e.content_hash)
            for e in events]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    if any(changes_lists(e.action) for e in events):
        lists_changed()
