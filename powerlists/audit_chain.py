"""The tamper-evident history: every audit event is a link of one hash chain per database.

Two hashes make an event's link:

- ``content_hash`` — HMAC-SHA256, keyed with the product's ``SECRET_KEY``, of the event's content in a
  canonical serialisation (:func:`canonical`). The application computes it when it writes the event;
  someone writing SQL behind its back cannot, so an event inserted or altered that way shows.
- ``hash`` — SHA-256 of ``"{seq}:{prev_hash}:{content_hash}"``, where ``seq`` numbers the events 1, 2,
  3 … and ``prev_hash`` is the hash of the event before. The database assigns these when the event is
  written (a trigger; on PostgreSQL when the transaction commits, under an advisory lock, so concurrent
  writers never deadlock on the chain and the chain follows commit order). An event removed leaves a
  gap; one moved or altered breaks the links after it.

The database also refuses UPDATE and DELETE of a sealed event and of a closed exercise row (triggers,
created by migration 0009), and on PostgreSQL TRUNCATE of every history table (migration 0011).
:func:`verify` walks the chain and names the first event that was altered, removed or inserted;
``python manage.py verifyaudit`` runs it.

Removing the newest events leaves no gap inside the chain. What detects it is a head kept outside the
database — :func:`head` (the newest event's ``seq``, ``hash`` and time), published at
``/api/v1/audit/head/``, written in every backup's manifest, and signed into the checkpoint files of
:mod:`powerlists.audit_checkpoints` — given back to :func:`verify` as an :class:`Anchor`: the chain must
still hold that hash (at that ``seq``, when it is known).
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

CONTENT_FIELDS = ("at", "actor_id", "actor_name", "action", "object_type", "object_id", "government_id", "item_id",
                  "transfer_id", "batch_id", "before", "after", "reason")


def _at(value) -> str:
    if isinstance(value, str):  # a raw row from some backends
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(value):
    if isinstance(value, str):  # a JSON column read without the ORM
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def canonical(values: dict) -> bytes:
    """The canonical serialisation of an event's content: sorted keys, no spaces, UTF-8, UTC time
    with microseconds, foreign keys as ids."""
    data = {name: values.get(name) for name in CONTENT_FIELDS}
    data["at"] = _at(data["at"])
    data["before"], data["after"] = _json(data["before"]), _json(data["after"])
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _key() -> bytes:
    return ("powerlists-audit-chain:" + settings.SECRET_KEY).encode("utf-8")


def content_hash(values: dict) -> str:
    return hmac.new(_key(), canonical(values), hashlib.sha256).hexdigest()


def event_values(event) -> dict:
    return {name: getattr(event, name) for name in CONTENT_FIELDS}


def link_hash(seq: int, prev_hash: str, content: str) -> str:
    """The hash the database computes for an event's place in the chain (same formula in the triggers)."""
    return hashlib.sha256(f"{seq}:{prev_hash or ''}:{content}".encode()).hexdigest()


def seal_pending() -> None:
    """On PostgreSQL, seal now what this transaction wrote (the triggers otherwise seal at commit).
    For tests and for a check inside a transaction; a no-op on SQLite, which seals on insert."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS audit_seal IMMEDIATE")


def head() -> dict:
    """The chain's head: the newest sealed event's ``seq``, ``hash`` and time (``at``, ISO 8601 in UTC);
    ``seq`` 0, ``hash`` "" and ``at`` None for an empty chain. One indexed query."""
    from .models import AuditEvent

    last = AuditEvent.objects.exclude(seq=None).order_by("-seq").values("seq", "hash", "at").first()
    if last is None:
        return {"seq": 0, "hash": "", "at": None}
    return {"seq": last["seq"], "hash": last["hash"], "at": _at(last["at"])}


@dataclass
class Anchor:
    """A head kept outside the database: the chain must still hold ``hash`` (at ``seq`` when known).
    ``zh`` and ``en`` say where it was kept, for the message (a checkpoint file and line, the command line)."""

    hash: str
    seq: int | None = None
    zh: str = "外部保存的链条末端"
    en: str = "the head kept outside the database"


@dataclass
class Problem:
    seq: int | None
    event_id: int | None
    kind: str  # altered, removed, inserted, unsealed, truncated, rewritten, checkpoint
    zh: str
    en: str


@dataclass
class Verification:
    events: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(chunk: int = 5000):
    from .models import AuditEvent

    qs = (AuditEvent.objects.order_by("seq")
          .values_list("id", "seq", "prev_hash", "hash", "content_hash", *CONTENT_FIELDS))
    last = 0
    while True:
        rows = list(qs.filter(seq__gt=last)[:chunk])
        if not rows:
            return
        yield from rows
        last = rows[-1][1]


def verify(progress=None, anchors=()) -> Verification:
    """Walk the whole chain; the first problem found, or none. Reads in chunks of 5,000 events.

    ``anchors`` (:class:`Anchor`): heads kept outside the database; each hash must be in the chain, at its
    ``seq`` when it has one — otherwise the newest events were removed (or the tail rewritten) and the
    problem names what is missing."""
    from .models import AuditEvent

    by_seq: dict[int, list[Anchor]] = {}
    by_hash: dict[str, list[Anchor]] = {}
    for anchor in anchors:
        (by_seq.setdefault(anchor.seq, []) if anchor.seq is not None else by_hash.setdefault(anchor.hash, [])
         ).append(anchor)
    found: set[int] = set()  # ids of the anchors without a seq whose hash was seen
    unsealed = AuditEvent.objects.filter(seq__isnull=True).order_by("id").values_list("id", flat=True).first()
    count, expected_seq, prev = 0, 1, ""
    for row in _rows():
        pk, seq, prev_hash, link, content, *values = row
        count += 1
        if progress is not None:
            progress(count)
        if seq != expected_seq:
            kind = "removed" if seq > expected_seq else "inserted"
            return Verification(count, Problem(seq, pk, kind,
                                               f"第{expected_seq}条审计事件缺失（链条从第{expected_seq - 1}条跳到第{seq}条）。",
                                               f"Audit event #{expected_seq} is missing (the chain jumps from "
                                               f"#{expected_seq - 1} to #{seq})."))
        if (prev_hash or "") != prev:
            return Verification(count, Problem(seq, pk, "removed",
                                               f"第{seq}条审计事件与前一条衔接不上（前一条被删除、替换或改动）。",
                                               f"Audit event #{seq} does not follow the one before it (that one was "
                                               f"removed, replaced or altered)."))
        if not hmac.compare_digest(content or "", content_hash(dict(zip(CONTENT_FIELDS, values, strict=True)))):
            return Verification(count, Problem(seq, pk, "altered",
                                               f"第{seq}条审计事件的内容与其签名不符（被改动，或绕过本系统插入）。",
                                               f"Audit event #{seq} does not match its signature (altered, or "
                                               f"inserted behind the application's back)."))
        if link != link_hash(seq, prev, content):
            return Verification(count, Problem(seq, pk, "altered",
                                               f"第{seq}条审计事件的链哈希不符（被改动）。",
                                               f"Audit event #{seq}'s chain hash does not match (altered)."))
        for anchor in by_seq.get(seq, ()):
            if anchor.hash != link:
                return Verification(count, Problem(
                    seq, pk, "rewritten",
                    f"第{seq}条审计事件不是{anchor.zh}所记录的那一条（记录的哈希 {anchor.hash}，现在是 {link}）："
                    f"链条在第{seq}条或之前被改写。",
                    f"Audit event #{seq} is not the one {anchor.en} recorded (hash {anchor.hash} there, "
                    f"{link} now): the chain was rewritten at or before #{seq}."))
        for anchor in by_hash.get(link, ()):
            found.add(id(anchor))
        prev, expected_seq = link, expected_seq + 1
    last = expected_seq - 1
    beyond = sorted((a for seq, group in by_seq.items() if seq > last for a in group), key=lambda a: -a.seq)
    if beyond:
        anchor = beyond[0]
        return Verification(count, Problem(
            last + 1, None, "truncated",
            f"第{last + 1}至{anchor.seq}条审计事件缺失：{anchor.zh}记录链条已到第{anchor.seq}条"
            f"（哈希 {anchor.hash}），现在链条止于第{last}条（最新的事件被删除）。",
            f"Audit events #{last + 1} to #{anchor.seq} are missing: {anchor.en} recorded the chain at "
            f"#{anchor.seq} (hash {anchor.hash}); it now ends at #{last} (the newest events were removed)."))
    missing = [a for group in by_hash.values() for a in group if id(a) not in found]
    if missing:
        anchor = missing[0]
        return Verification(count, Problem(
            None, None, "truncated",
            f"链条中没有{anchor.zh}的哈希 {anchor.hash}：链条现在止于第{last}条（哈希 {prev or '无'}）；"
            f"之后的事件被删除，或链条被改写。",
            f"The chain does not hold the hash {anchor.hash} of {anchor.en}: it now ends at #{last} (hash "
            f"{prev or 'none'}); the events after it were removed, or the chain was rewritten."))
    if unsealed is not None:
        return Verification(count, Problem(None, unsealed, "inserted",
                                           f"审计事件（编号{unsealed}）不在链条中（绕过本系统插入）。",
                                           f"Audit event id {unsealed} is not in the chain (inserted behind the "
                                           f"application's back)."))
    return Verification(count, None)


def events_verify(events) -> bool:
    """Whether these events (an item's history, say) are intact links of the chain: each one's content
    matches its signature, its hash its link, and its predecessor is the event the chain says. One query
    for the predecessors' hashes."""
    from .models import AuditEvent

    events = list(events)
    if not events:
        return True
    if any(e.seq is None for e in events):
        return connection.vendor == "postgresql" and connection.in_atomic_block  # sealed at commit
    wanted = {e.seq - 1 for e in events if e.seq > 1}
    hashes = dict(AuditEvent.objects.filter(seq__in=wanted).values_list("seq", "hash"))
    for e in events:
        expected_prev = hashes.get(e.seq - 1, "") if e.seq > 1 else ""
        if (e.seq > 1 and e.seq - 1 not in hashes) or (e.prev_hash or "") != expected_prev:
            return False
        if not hmac.compare_digest(e.content_hash or "", content_hash(event_values(e))):
            return False
        if e.hash != link_hash(e.seq, e.prev_hash, e.content_hash):
            return False
    return True


def register_sqlite_function(sender, connection, **kwargs) -> None:
    """SQLite computes the chain's hash in its trigger with this function (PostgreSQL has sha256())."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "powerlists_sha256", 1, lambda text: hashlib.sha256(str(text).encode()).hexdigest(), deterministic=True)
