"""The product's invariants, checked over the whole database: what must hold whatever happened before.

- nobody exercises an item twice at once (the rows of one item and government never overlap in time);
- every shared power has, on every date, exactly one lead and shares adding up to 100 %;
- every received power traces back to its giver's row, which began no later and ends no earlier;
- every audit event is sealed into the hash chain, and the chain verifies.

Each check is one query (the shared powers check one per date on which a shared row begins or ends),
written in SQL both databases run, so it scales with the data rather than with Python. ``python manage.py
checkintegrity`` runs them all; the soak test and the backup test call :func:`check`. The property
test (``tests/test_invariants_stateful.py``) checks the same rules independently, in Python.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

from . import audit_chain
from .models import Exercise, Role

SAMPLE = 5


@dataclass
class Finding:
    rule: str
    ok: bool
    examples: list = field(default_factory=list)  # ids (or keys) of offending rows, at most SAMPLE

    def __str__(self) -> str:
        mark = "✓" if self.ok else "✗"
        tail = "" if self.ok else f" — e.g. {self.examples}"
        return f"{mark} {self.rule}{tail}"


def _table() -> str:
    return connection.ops.quote_name(Exercise._meta.db_table)


def overlapping_rows() -> Finding:
    sql = f"""
        SELECT id FROM (
            SELECT id, valid_from,
                   LAG(valid_to) OVER w AS prev_to,
                   LAG(id) OVER w AS prev_id
            FROM {_table()}
            WINDOW w AS (PARTITION BY item_id, government_id ORDER BY valid_from, id)
        ) ordered
        WHERE prev_id IS NOT NULL AND (prev_to IS NULL OR prev_to > valid_from)
        ORDER BY id LIMIT {SAMPLE}"""
    with connection.cursor() as cursor:
        cursor.execute(sql)
        bad = [row[0] for row in cursor.fetchall()]
    return Finding("nobody exercises an item twice at once", not bad, bad)


def untraced_receivers() -> Finding:
    table = _table()
    sql = f"""
        SELECT r.id FROM {table} r LEFT JOIN {table} s ON s.id = r.source_id
        WHERE r.role = %s AND (
            s.id IS NULL
            OR s.valid_from > r.valid_from
            OR (s.valid_to IS NOT NULL AND (r.valid_to IS NULL OR r.valid_to > s.valid_to))
        )
        ORDER BY r.id LIMIT {SAMPLE}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [Role.RECEIVER.value])
        bad = [row[0] for row in cursor.fetchall()]
    return Finding("every received power traces back to its giver", not bad, bad)


def unbalanced_shares() -> Finding:
    """On each date where a shared row begins or ends, each (item, sharer) group in force has one lead and
    shares adding up to 100."""
    shared = Exercise.objects.filter(role__in=(Role.LEAD, Role.SUPPORT))
    days = set(shared.values_list("valid_from", flat=True)) | set(
        shared.exclude(valid_to=None).values_list("valid_to", flat=True))
    table = _table()
    sql = f"""
        SELECT item_id, shared_by_id,
               SUM(CASE WHEN role = %s THEN 1 ELSE 0 END) AS leads,
               SUM(CAST(ROUND(fiscal_share * 100) AS INTEGER)) AS hundredths
        FROM {table}
        WHERE role IN (%s, %s) AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
        GROUP BY item_id, shared_by_id"""
    bad: list = []
    with connection.cursor() as cursor:
        for day in sorted(days):
            cursor.execute(sql, [Role.LEAD.value, Role.LEAD.value, Role.SUPPORT.value, day, day])
            for item_id, sharer_id, leads, hundredths in cursor.fetchall():
                if leads != 1 or hundredths != 10000:  # in hundredths of a percent: SQLite sums decimals as floats
                    bad.append({"item": item_id, "shared_by": sharer_id, "on": day.isoformat()})
                    if len(bad) >= SAMPLE:
                        break
            if len(bad) >= SAMPLE:
                break
    return Finding("every shared power has one lead and shares adding up to 100 %", not bad, bad)


def audit_chain_verifies() -> Finding:
    result = audit_chain.verify()
    examples = [] if result.ok else [f"{result.problem.en} (event id {result.problem.event_id})"]
    return Finding(f"the audit chain verifies ({result.events:,} events)", result.ok, examples)


CHECKS = (overlapping_rows, unbalanced_shares, untraced_receivers, audit_chain_verifies)


def check() -> list[Finding]:
    """Every invariant, in order; the caller decides what a failure means. In one transaction: one
    consistent picture, read from the primary database even where reads usually go to a replica."""
    with transaction.atomic():
        return [run() for run in CHECKS]
