"""Evaluation of devolved powers into Hubei's four categories (可推广 / 不应放 / 应放未放 / 运行不良).

``run_round`` reads everything it needs in a fixed number of queries (scope governments are joined,
never listed in an ``IN``), decides each (item, government) pair in Python and writes all results
in one INSERT: its query count does not depend on the number of pairs.

Which pairs are evaluated: every item a government in scope receives by devolution (role receiver)
in force at some time during the period, plus every devolution to a government in scope found by the
应放未放 rules on transfers. A government is in scope when it lies in the round's scope government's
territory (when set) and carries the round's tag (when set): with both, it must satisfy both.

Precedence when several rules apply: 不应放 > 应放未放 > 运行不良 > 可推广; the result keeps the
winning rule's code, and ``figures`` the numbers used and every rule that applied. A pair with no
evidence for which no other rule applies gets no result: it is counted as ``insufficient_evidence``
in the round's summary. Evidence used for a pair is every row whose period lies within the round's
period, aggregated (cases and complaints summed, days and satisfaction weighted by cases, the worst
capacity, receiving unit named / staffed only when every row says so).

Re-running a round not yet confirmed replaces its undecided results; decided ones are kept.
"""
from __future__ import annotations

import datetime
import json
import math
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from .. import policy
from ..models import (
    AuditEvent,
    Batch,
    Exercise,
    Government,
    Origin,
    PowerItem,
    Role,
    Transfer,
    TransferKind,
    TransferState,
)
from ..models.evaluation import (
    DEFAULT_RULES,
    Capacity,
    EvaluationCategory,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    RoundState,
)
from ..queries.evaluation import round_scope_q
from .audit import make_event, record, snapshot
from .errors import Conflict, Forbidden, InvalidInput

C = EvaluationCategory
PRECEDENCE = (C.SHOULD_NOT, C.NOT_YET, C.POOR, C.PROMOTABLE)
_RANK = {c.value: rank for rank, c in enumerate(PRECEDENCE)}  # plain strings: enum comparisons are slow
_CAPACITY_ORDER = [Capacity.ADEQUATE, Capacity.UNKNOWN, Capacity.NO_QUALIFIED_STAFF, Capacity.NO_LEGAL_STANDING]


# --- evidence ---------------------------------------------------------------------------------------


MAX_COUNT = 2**31 - 1  # the database's integer columns
MAX_DAYS = Decimal("100000")  # average processing days: the column holds up to 999,999.99
MAX_RULE_VALUE = 10**9


def _bad(field: str, zh: str, en: str):
    return InvalidInput("invalid_evidence", f"{field}：{zh}", f"{field}: {en}", field=field)


def _int(value, field, *, required=False):
    if value is None or value == "":
        if required:
            raise _bad(field, "必须填写。", "required.")
        return None
    if isinstance(value, bool):
        raise _bad(field, "必须是非负整数。", "must be a whole number, 0 or more.")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(field, "必须是非负整数。", "must be a whole number, 0 or more.") from None
    if number != Decimal(str(value)) or number < 0:
        raise _bad(field, "必须是非负整数。", "must be a whole number, 0 or more.")
    if number > MAX_COUNT:
        raise _bad(field, f"不能超过{MAX_COUNT}。", f"must be at most {MAX_COUNT}.")
    return number


def _decimal(value, field, *, high=None):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _bad(field, "必须是数字。", "must be a number.") from None
    if not number.is_finite() or number < 0 or (high is not None and number > high):
        limit_zh = f"0 到 {high} 之间" if high is not None else "不小于 0"
        limit_en = f"between 0 and {high}" if high is not None else "0 or more"
        raise _bad(field, f"必须在{limit_zh}。", f"must be {limit_en}.")
    return number.quantize(Decimal("0.01"))


def clean_evidence(item, government, period_start, period_end, values) -> dict:
    if not isinstance(item, PowerItem) or not isinstance(government, Government):
        raise InvalidInput("invalid_evidence", "必须指明事项和承接政府。", "An item and a receiving government are required.")
    for name, day in (("period_start", period_start), ("period_end", period_end)):
        if not isinstance(day, datetime.date):
            raise _bad(name, "必须是日期。", "must be a date.")
    if period_end < period_start:
        raise _bad("period_end", "不能早于起始日期。", "cannot be before the start of the period.")
    capacity = values.get("capacity") or Capacity.UNKNOWN
    if capacity not in Capacity.values:
        raise _bad("capacity", "承接能力无效。", "unknown capacity.")
    unknown = set(values) - {"cases_handled", "average_days", "statutory_days", "satisfaction", "complaints",
                             "receiving_unit_named", "staffed", "capacity", "note"}
    if unknown:
        raise InvalidInput("invalid_evidence", "未知字段：" + "、".join(sorted(unknown)),
                           "Unknown fields: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    return {
        "cases_handled": _int(values.get("cases_handled"), "cases_handled", required=True),
        "average_days": _decimal(values.get("average_days"), "average_days", high=MAX_DAYS),
        "statutory_days": _int(values.get("statutory_days"), "statutory_days"),
        "satisfaction": _decimal(values.get("satisfaction"), "satisfaction", high=100),
        "complaints": _int(values.get("complaints"), "complaints") or 0,
        "receiving_unit_named": bool(values.get("receiving_unit_named", True)),
        "staffed": bool(values.get("staffed", True)),
        "capacity": capacity,
        "note": str(values.get("note") or ""),
    }


def _require_evidence_role(actor, government: Government) -> None:
    if actor is not None:
        policy.require(actor, "evaluation.evidence", government)


def record_evidence(*, item: PowerItem, government: Government, period_start: datetime.date,
                    period_end: datetime.date, actor=None, **values) -> Evidence:
    """Record (or replace) the evidence of one item in one receiving government for one period.

    An editor of the government or of its parent (the giving side) may record it."""
    cleaned = clean_evidence(item, government, period_start, period_end, values)
    _require_evidence_role(actor, government)
    with transaction.atomic():
        existing = Evidence.objects.select_for_update().filter(
            item=item, government=government, period_start=period_start, period_end=period_end).first()
        before = snapshot(existing) if existing else None
        evidence = existing or Evidence(item=item, government=government, period_start=period_start,
                                        period_end=period_end)
        for name, value in cleaned.items():
            setattr(evidence, name, value)
        try:
            with transaction.atomic():  # a concurrent first recording of the same row: replace it instead
                evidence.save()
        except IntegrityError:
            if existing is not None:
                raise
            evidence = Evidence.objects.select_for_update().get(
                item=item, government=government, period_start=period_start, period_end=period_end)
            before = snapshot(evidence)
            for name, value in cleaned.items():
                setattr(evidence, name, value)
            evidence.save()
        record("evaluation.evidence", evidence, actor=actor, before=before, after=snapshot(evidence),
               government=government, item=item)
    return evidence


EVIDENCE_FIELDS = ("cases_handled", "average_days", "statutory_days", "satisfaction", "complaints",
                   "receiving_unit_named", "staffed", "capacity", "note")
CHUNK = 1000


def _row_error(error, index: int):
    error.details["row"] = index
    error.message_zh = f"第{index + 1}行：{error.message_zh}"
    error.message_en = f"Row {index + 1}: {error.message_en}"
    return error


def bulk_record_evidence(rows: list[dict], actor=None, progress=None) -> list[Evidence]:
    """Record (or replace) many evidence rows — dicts with ``item``, ``government``, ``period_start``,
    ``period_end`` and the figures — all or none. A row's error names its index (``row``); two rows for
    the same item, government and period are refused. Written in bulk: a fixed number of queries per
    thousand rows, one audit event per row. ``progress(done)`` is called as rows are written."""
    cleaned: list[tuple[tuple, PowerItem, Government, dict]] = []
    allowed: set[int] = set()
    seen: dict[tuple, int] = {}
    for index, raw in enumerate(rows):
        row = dict(raw)
        try:
            item, government = row.pop("item", None), row.pop("government", None)
            start, end = row.pop("period_start", None), row.pop("period_end", None)
            values = clean_evidence(item, government, start, end, row)
            if government.pk not in allowed:
                _require_evidence_role(actor, government)
                allowed.add(government.pk)
            key = (item.pk, government.pk, start, end)
            if key in seen:
                raise InvalidInput("duplicate_evidence", f"与第{seen[key] + 1}行重复（同一事项、承接政府和统计期）。",
                                   f"duplicates row {seen[key] + 1} (same item, government and period).")
            seen[key] = index
        except (InvalidInput, Forbidden) as error:
            raise _row_error(error, index) from None
        cleaned.append((key, item, government, values))
    saved: list[Evidence] = []
    with transaction.atomic():
        for first in range(0, len(cleaned), CHUNK):
            chunk = cleaned[first:first + CHUNK]
            keys = {key for key, *_ in chunk}
            existing = {
                (e.item_id, e.government_id, e.period_start, e.period_end): e
                for e in Evidence.objects.select_for_update().filter(
                    government_id__in={k[1] for k in keys}, item_id__in={k[0] for k in keys},
                    period_start__in={k[2] for k in keys})
            }
            new, changed, befores = [], [], {}
            for key, item, government, values in chunk:
                evidence = existing.get(key)
                if evidence is None:
                    evidence = Evidence(item=item, government=government, period_start=key[2], period_end=key[3])
                    new.append(evidence)
                else:
                    befores[key] = snapshot(evidence)
                    changed.append(evidence)
                for name, value in values.items():
                    setattr(evidence, name, value)
                saved.append(evidence)
            Evidence.objects.bulk_create(new)
            if any(e.pk is None for e in new):  # a database that returns no ids from a bulk insert
                ids = {(e.item_id, e.government_id, e.period_start, e.period_end): e.pk
                       for e in Evidence.objects.filter(government_id__in={k[1] for k in keys},
                                                        item_id__in={k[0] for k in keys})}
                for e in new:
                    e.pk = ids[(e.item_id, e.government_id, e.period_start, e.period_end)]
            if changed:
                Evidence.objects.bulk_update(changed, list(EVIDENCE_FIELDS))
            AuditEvent.objects.bulk_create([
                make_event("evaluation.evidence", e, actor=actor,
                           before=befores.get((e.item_id, e.government_id, e.period_start, e.period_end)),
                           after=snapshot(e), government=government, item=item)
                for (_, item, government, _), e in zip(chunk, saved[first:first + CHUNK], strict=True)
            ])
            if progress is not None:
                progress(len(saved))
    return saved


# --- rounds -----------------------------------------------------------------------------------------


def _clean_rules(rules: dict | None) -> dict:
    merged = dict(DEFAULT_RULES)
    unknown = set(rules or {}) - set(DEFAULT_RULES)
    if unknown:
        raise InvalidInput("invalid_rules", "未知的评估规则：" + "、".join(sorted(unknown)),
                           "Unknown evaluation rules: " + ", ".join(sorted(unknown)), rules=sorted(unknown))
    merged.update(rules or {})
    for name, value in merged.items():
        if name == "compare_before":
            if not isinstance(value, bool):
                raise InvalidInput("invalid_rules", f"{name} 必须是真或假。", f"{name} must be true or false.")
            continue
        if (isinstance(value, bool) or not isinstance(value, int | float) or value < 0
                or (isinstance(value, float) and not math.isfinite(value)) or value > MAX_RULE_VALUE):
            raise InvalidInput("invalid_rules", f"{name} 必须是非负数。", f"{name} must be a number, 0 or more.",
                               rule=name)
    if merged["min_satisfaction"] > 100:
        raise InvalidInput("invalid_rules", "满意度阈值不能超过100。", "The satisfaction threshold is at most 100.")
    return merged


def _require_round_role(actor, round_or_government, action: str = "evaluation.run") -> None:
    if actor is not None:
        policy.require(actor, action, round_or_government)


def create_round(*, name: str, period_start: datetime.date, period_end: datetime.date,
                 scope_government: Government | None = None, scope_tag: str = "", rules: dict | None = None,
                 actor=None) -> EvaluationRound:
    """Open a draft round. An editor of the scope government creates it (a superuser for a tag-only scope)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name_required", "请填写评估轮次名称。", "A round needs a name.")
    if scope_government is None and not scope_tag:
        raise InvalidInput("scope_required", "请指明评估范围（辖区或标签）。",
                           "A round needs a scope: a government's territory or a tag.")
    if not isinstance(period_start, datetime.date) or not isinstance(period_end, datetime.date):
        raise InvalidInput("date_required", "请填写评估期。", "The period's dates are required.")
    if period_end < period_start:
        raise InvalidInput("invalid_period", "评估期截止日期不能早于起始日期。", "The period ends before it starts.")
    cleaned = _clean_rules(rules)
    if scope_government is None:
        _require_round_role(actor, EvaluationRound(scope_tag=scope_tag), "evaluation.create")
    else:
        _require_round_role(actor, scope_government, "evaluation.create")
    with transaction.atomic():
        rnd = EvaluationRound.objects.create(
            name=name, scope_government=scope_government, scope_tag=scope_tag or "", period_start=period_start,
            period_end=period_end, rules=cleaned, created_by=actor if getattr(actor, "pk", None) else None)
        record("evaluation.create_round", rnd, actor=actor, after=snapshot(rnd), government=scope_government)
    return rnd


def _num(value):
    return None if value is None else Decimal(str(value))


def _aggregate(rows: list[dict]) -> dict:
    if len(rows) == 1:  # the common case: one row for the round's period
        row = rows[0]
        return {"cases_handled": row["cases_handled"], "average_days": row["average_days"],
                "satisfaction": row["satisfaction"], "statutory_days": row["statutory_days"],
                "complaints": row["complaints"], "receiving_unit_named": row["receiving_unit_named"],
                "staffed": row["staffed"], "capacity": row["capacity"], "evidence_rows": 1}
    cases = sum(r["cases_handled"] for r in rows)

    def weighted(name):
        known = [r for r in rows if r[name] is not None]
        if not known:
            return None
        weight = sum(r["cases_handled"] for r in known)
        if weight == 0:
            return (sum(r[name] for r in known) / len(known)).quantize(Decimal("0.01"))
        return (sum(r[name] * r["cases_handled"] for r in known) / weight).quantize(Decimal("0.01"))

    statutory = [r["statutory_days"] for r in rows if r["statutory_days"] is not None]
    return {
        "cases_handled": cases,
        "average_days": weighted("average_days"),
        "satisfaction": weighted("satisfaction"),
        "statutory_days": min(statutory) if statutory else None,
        "complaints": sum(r["complaints"] for r in rows),
        "receiving_unit_named": all(r["receiving_unit_named"] for r in rows),
        "staffed": all(r["staffed"] for r in rows),
        "capacity": max((r["capacity"] for r in rows), key=_CAPACITY_ORDER.index),
        "evidence_rows": len(rows),
    }


def _round_rules(rnd) -> dict:
    rules = {name: rnd.rule(name) for name in DEFAULT_RULES}
    rules["_min_sat"] = Decimal(str(rules["min_satisfaction"]))
    rules["_ratio"] = Decimal(str(rules["max_days_ratio"]))
    return rules


def _judge(rnd, rules: dict, pair: dict, evidence: dict | None) -> tuple[list[tuple[str, str]], dict]:
    """Every (category, rule code) that applies to one pair, and the figures used."""
    min_sat, ratio = rules["_min_sat"], rules["_ratio"]
    hits: list[tuple[str, str]] = []
    figures: dict = {"tier": pair["tier"], "lowest_tier": pair["lowest_tier"]}
    exercise = pair.get("exercise")
    transfer = pair.get("transfer")
    if pair["tier"] > pair["lowest_tier"]:
        hits.append((C.SHOULD_NOT, "should_not.below_lowest_tier"))
    if evidence is not None:
        figures.update(evidence)
        if evidence["capacity"] in (Capacity.NO_QUALIFIED_STAFF, Capacity.NO_LEGAL_STANDING):
            hits.append((C.SHOULD_NOT, f"should_not.{evidence['capacity']}"))
    if transfer is not None:
        figures.update({"transfer_state": transfer["state"], "transfer_effective_on": transfer["effective_on"]})
        if transfer["state"] in (TransferState.APPROVED, TransferState.ACCEPTED):
            overdue = (rnd.period_end - transfer["effective_on"]).days
            figures["overdue_days"] = overdue
            if overdue > rules["not_yet_overdue_days"]:
                hits.append((C.NOT_YET, "not_yet.overdue"))
        elif transfer["state"] == TransferState.SUBMITTED:
            waiting = (rnd.period_end - transfer["created_on"]).days
            figures["undecided_days"] = waiting
            if waiting > rules["requested_undecided_days"]:
                hits.append((C.NOT_YET, "not_yet.requested_undecided"))
    if exercise is not None:
        figures["receiving_unit"] = exercise["department_id"]
        if exercise["department_id"] is None or (evidence is not None and not evidence["receiving_unit_named"]):
            hits.append((C.NOT_YET, "not_yet.no_receiving_unit"))
        if evidence is not None:
            cases, sat, days = evidence["cases_handled"], evidence["satisfaction"], evidence["average_days"]
            statutory = evidence["statutory_days"] if evidence["statutory_days"] is not None else pair["statutory_days"]
            promised = pair["promised_days"]
            figures["statutory_days"] = statutory  # the thresholds themselves are the round's rules
            figures["promised_days_before"] = promised
            slow = days is not None and statutory is not None and days > ratio * statutory
            slower = bool(rules["compare_before"]) and days is not None and promised is not None and days > promised
            if cases == 0:
                hits.append((C.POOR, "poor.no_cases"))
            if sat is not None and sat < min_sat:
                hits.append((C.POOR, "poor.low_satisfaction"))
            if slow:
                hits.append((C.POOR, "poor.slow"))
            if slower:
                hits.append((C.POOR, "poor.slower_than_before"))
            if cases >= rules["min_cases"] and sat is not None and sat >= min_sat and not slow and not slower:
                hits.append((C.PROMOTABLE, "promotable.runs_well"))
    return hits, figures


def _json(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_INSERT_COLUMNS = ("round_id", "item_id", "government_id", "exercise_id", "transfer_id", "suggested", "rule",
                   "figures")


def _insert_results(rows: list[list]) -> None:
    """All results in one statement whatever their number.

    PostgreSQL: one INSERT … SELECT over one JSON parameter holding every row. SQLite (in-process, no
    round trips): one prepared INSERT run over every row with ``executemany``.
    """
    if not rows:
        return
    table = connection.ops.quote_name(EvaluationResult._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _INSERT_COLUMNS)
    extra = ", decision, decision_reason, follow_up_note"
    if connection.vendor == "postgresql":
        payload = json.dumps(rows, default=_json, ensure_ascii=False)
        casts = ["bigint", "bigint", "bigint", "bigint", "bigint", "text", "text"]
        select = ", ".join(f"(e->>{i})::{t}" for i, t in enumerate(casts)) + ", e->7"
        sql = (f"INSERT INTO {table} ({columns}{extra}) SELECT {select}, '', '', '' "
               f"FROM jsonb_array_elements(%s::jsonb) AS e")
        with connection.cursor() as cursor:
            cursor.execute(sql, [payload])
        return
    for row in rows:
        row[7] = json.dumps(row[7], default=_json, ensure_ascii=False)
    marks = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}{extra}) VALUES ({marks}, '', '', '')", rows)


def run_round(rnd: EvaluationRound, actor=None) -> EvaluationRound:
    """Compute the suggested category of every pair in the round's scope. A fixed number of queries."""
    _require_round_role(actor, rnd)
    with transaction.atomic():
        rnd = EvaluationRound.objects.select_for_update(of=("self",)).select_related("scope_government").get(pk=rnd.pk)
        if rnd.state == RoundState.CONFIRMED:
            raise Conflict("round_confirmed", "该评估轮次已确认，不能重新评估。",
                           "This round is confirmed; it cannot be evaluated again.")
        start, end = rnd.period_start, rnd.period_end
        pairs: dict[tuple[int, int], dict] = {}
        exercises = (
            Exercise.objects.filter(round_scope_q(rnd, "government__"), role=Role.RECEIVER, valid_from__lte=end)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
            .order_by("valid_from", "id")
            .values_list("id", "item_id", "government_id", "department_id", "government__tier", "item__lowest_tier", "item__statutory_days", "item__promised_days")
        )
        for pk, item_id, gov_id, dept_id, tier, lowest, statutory, promised in exercises.iterator(chunk_size=5000):
            pairs[(item_id, gov_id)] = {  # the latest row of a pair wins
                "exercise": {"id": pk, "department_id": dept_id},
                "tier": tier, "lowest_tier": lowest, "statutory_days": statutory, "promised_days": promised,
            }
        transfers = (
            Transfer.objects.filter(round_scope_q(rnd, "receiver__"), kind=TransferKind.DEVOLVE)
            .filter(Q(state__in=[TransferState.APPROVED, TransferState.ACCEPTED])
                    | Q(state=TransferState.SUBMITTED, origin=Origin.REQUESTED))
            .order_by("created_at", "id")
            .values_list("id", "item_id", "receiver_id", "state", "effective_on", "created_at",
                         "receiver__tier", "item__lowest_tier", "item__statutory_days", "item__promised_days")
        )
        for pk, item_id, gov_id, state, effective_on, created_at, tier, lowest, statutory, promised in transfers:
            pair = pairs.setdefault((item_id, gov_id), {"tier": tier, "lowest_tier": lowest,
                                                        "statutory_days": statutory, "promised_days": promised})
            pair["transfer"] = {"id": pk, "state": state, "effective_on": effective_on,
                                "created_on": timezone.localdate(created_at)}
        evidence_rows: dict[tuple[int, int], list[dict]] = {}
        for row in (Evidence.objects.filter(round_scope_q(rnd, "government__"), period_start__gte=start,
                                            period_end__lte=end)
                    .values("item_id", "government_id", "cases_handled", "average_days", "statutory_days",
                            "satisfaction", "complaints", "receiving_unit_named", "staffed", "capacity")
                    .iterator(chunk_size=5000)):
            evidence_rows.setdefault((row["item_id"], row["government_id"]), []).append(row)
        decided = set(EvaluationResult.objects.filter(round=rnd).exclude(decision="")
                      .values_list("item_id", "government_id"))
        replaced = EvaluationResult.objects.filter(round=rnd, decision="").delete()[0]

        rules = _round_rules(rnd)
        counts = {c.value: 0 for c in C}
        insufficient = 0
        rows = []
        for key, pair in sorted(pairs.items()):
            if key in decided:
                continue
            evidence = _aggregate(evidence_rows[key]) if key in evidence_rows else None
            hits, figures = _judge(rnd, rules, pair, evidence)
            if not hits:
                if evidence is None:
                    insufficient += 1
                continue
            category, rule = hits[0] if len(hits) == 1 else min(hits, key=lambda h: _RANK[h[0]])
            figures["rules_applied"] = [code for _, code in hits]
            counts[category] += 1
            rows.append([rnd.pk, key[0], key[1], (pair.get("exercise") or {}).get("id"),
                         (pair.get("transfer") or {}).get("id"), category, rule, figures])
        _insert_results(rows)
        before = {"state": rnd.state, "summary": rnd.summary}
        rnd.state = RoundState.EVALUATED
        rnd.evaluated_at = timezone.now()
        rnd.summary = {"pairs": len(pairs), "results": len(rows), "kept_decided": len(decided),
                       "insufficient_evidence": insufficient, "replaced": replaced, "suggested": counts}
        rnd.save(update_fields=["state", "evaluated_at", "summary"])
        record("evaluation.run", rnd, actor=actor, before=before, after={"state": rnd.state, "summary": rnd.summary},
               government=rnd.scope_government)
    return rnd


# --- deciding ---------------------------------------------------------------------------------------


def decide(result: EvaluationResult, decision: str, *, actor, reason: str = "") -> EvaluationResult:
    """Confirm (``decision`` equal to the suggestion) or override (a different category, with a reason).

    A reviewer of the giving side (the government's parent) or of the round's scope government decides.
    The suggestion stays; the audit event keeps both. When no result is left undecided the round is
    confirmed."""
    reason = (reason or "").strip()
    if decision not in C.values:
        raise InvalidInput("invalid_decision", "评估结论无效。", "Unknown evaluation category.", decision=decision)
    with transaction.atomic():
        current = (EvaluationResult.objects.select_for_update(of=("self",))
                   .select_related("round__scope_government", "government__parent").get(pk=result.pk))
        policy.require(actor, "evaluation.decide", current)
        if current.decision:
            raise Conflict("already_decided", "该评估结果已确认。", "This result has already been decided.",
                           decision=current.decision)
        if decision != current.suggested and not reason:
            raise InvalidInput("reason_required", "改变评估建议必须说明理由。",
                               "Overriding the suggested category needs a reason.")
        before = snapshot(current, ["suggested", "rule", "decision", "decided_by", "decided_at", "decision_reason"])
        current.decision = decision
        current.decided_by, current.decided_at = actor, timezone.now()
        current.decision_reason = reason
        current.save(update_fields=["decision", "decided_by", "decided_at", "decision_reason"])
        after = snapshot(current, ["suggested", "rule", "decision", "decided_by", "decided_at", "decision_reason"])
        after["overridden"] = decision != current.suggested
        record("evaluation.override" if decision != current.suggested else "evaluation.confirm", current,
               actor=actor, before=before, after=after, reason=reason, government=current.government,
               item=current.item)
        rnd = current.round
        if not EvaluationResult.objects.filter(round=rnd, decision="").exists():
            EvaluationRound.objects.filter(pk=rnd.pk).update(state=RoundState.CONFIRMED)
            rnd.state = RoundState.CONFIRMED
            record("evaluation.round_confirmed", rnd, actor=actor, before={"state": RoundState.EVALUATED},
                   after={"state": RoundState.CONFIRMED}, government=rnd.scope_government)
    return current


# --- follow-up --------------------------------------------------------------------------------------


def _common_ancestor(governments: list[Government]) -> Government | None:
    paths = [[c for c in g.path.split("/") if c] for g in governments]
    common: list[str] = []
    for codes in zip(*paths, strict=False):
        if len(set(codes)) != 1:
            break
        common.append(codes[0])
    return Government.objects.filter(code=common[-1]).first() if common else None


def generate_follow_up(rnd: EvaluationRound, *, actor, batch_title: str, batch_number: str = "",
                       effective_on: datetime.date, round_no: int | None = None) -> Batch:
    """Turn the round's decided results into draft proposals (origin 评估后续) in one new draft batch.

    不应放 / 运行不良 → a recall by the government that devolved it; 应放未放 → a devolution when the
    item is not in force at the town (else a note only: the receiving unit is named through the
    ordinary list maintenance); 可推广 → devolutions to the peer towns (same tier, same parent, in
    scope) that lack the item. Each result links its (first) follow-up transfer and a note. All in one
    transaction: nothing is written if any proposal is refused.
    """
    from . import workflow

    if not isinstance(effective_on, datetime.date):
        raise InvalidInput("date_required", "请填写生效日期。", "An effective date is required.")
    with transaction.atomic():
        rnd = EvaluationRound.objects.select_for_update(of=("self",)).select_related("scope_government").get(pk=rnd.pk)
        policy.require(actor, "evaluation.follow_up", rnd)
        results = list(
            EvaluationResult.objects.select_for_update(of=("self",))
            .filter(round=rnd).exclude(decision="").filter(follow_up_transfer__isnull=True, follow_up_note="")
            .select_related("item", "government__parent", "exercise__source__government", "transfer__giver")
            .order_by("government__path", "item_id")
        )
        if not results:
            raise Conflict("nothing_to_follow_up", "没有待处理的已确认评估结果。",
                           "No decided result is waiting for a follow-up.")
        open_rows = {}
        item_ids = {r.item_id for r in results}
        scope_ids = set(Government.objects.filter(round_scope_q(rnd, "")).values_list("id", flat=True))
        for ex in (Exercise.objects.filter(item_id__in=item_ids, valid_to__isnull=True)
                   .values_list("item_id", "government_id")):
            open_rows[ex] = True
        peers_of: dict[int, list[Government]] = {}
        parent_ids = {r.government.parent_id for r in results if r.decision == C.PROMOTABLE}
        for g in Government.objects.filter(parent_id__in=parent_ids, id__in=scope_ids).order_by("path"):
            peers_of.setdefault(g.parent_id, []).append(g)

        plans: list[tuple[EvaluationResult, list[dict], str]] = []
        planned: set[tuple[int, int]] = set()
        for r in results:
            category, town, item = r.decision, r.government, r.item
            specs, note = [], ""
            if category in (C.SHOULD_NOT, C.POOR):
                ex = r.exercise
                if ex is not None and ex.valid_to is None and ex.source_id:
                    specs.append({"kind": TransferKind.RECALL, "giver": ex.source.government, "receiver": town})
                    note = "收回 / recall"
                else:
                    note = "未在行使，无需收回 / not in force: nothing to recall"
            elif category == C.NOT_YET:
                if (item.pk, town.pk) not in open_rows:
                    giver = r.transfer.giver if r.transfer_id else town.parent
                    if giver is None:
                        note = "无上级政府 / no upper government"
                    else:
                        specs.append({"kind": TransferKind.DEVOLVE, "giver": giver, "receiver": town})
                        note = "下放落实 / devolve to complete"
                else:
                    note = "已在行使，需明确承接单位 / in force: name the receiving unit"
            elif category == C.PROMOTABLE:
                ex = r.exercise
                giver = ex.source.government if ex is not None and ex.source_id else None
                for peer in peers_of.get(town.parent_id, []):
                    if (peer.pk == town.pk or peer.tier != town.tier or (item.pk, peer.pk) in open_rows
                            or (item.pk, peer.pk) in planned or peer.tier > item.lowest_tier
                            or giver is None or not peer.is_within(giver) or peer.pk == giver.pk):
                        continue
                    planned.add((item.pk, peer.pk))
                    specs.append({"kind": TransferKind.DEVOLVE, "giver": giver, "receiver": peer})
                note = f"推广到{len(specs)}个同级政府 / extended to {len(specs)} peers"
            plans.append((r, specs, note))

        givers = [s["giver"] for _, specs, _ in plans for s in specs]
        if not givers:
            raise Conflict("nothing_to_follow_up", "已确认的评估结果不需要生成任何变更提议。",
                           "The decided results call for no proposal.")
        issuer = rnd.scope_government
        if issuer is None or not all(g.is_within(issuer) for g in givers):
            issuer = _common_ancestor(givers)
        batch = workflow.create_batch(actor=actor, issuer=issuer, title=batch_title, number=batch_number,
                                      effective_on=effective_on, round_no=round_no,
                                      reason=f"评估后续：{rnd.name}")
        created = 0
        now_reason = f"评估轮次“{rnd.name}”"
        for r, specs, note in plans:
            first = None
            for spec in specs:
                t = workflow.propose(actor=actor, kind=spec["kind"], item=r.item, giver=spec["giver"],
                                     receiver=spec["receiver"], effective_on=effective_on, origin=Origin.EVALUATION,
                                     reason=f"{now_reason}：{r.get_decision_display()}（{r.rule}）")
                workflow.add_to_batch(t, batch, actor=actor, comment=now_reason)
                first = first or t
                created += 1
            r.follow_up_transfer = first
            r.follow_up_note = note
            r.save(update_fields=["follow_up_transfer", "follow_up_note"])
            record("evaluation.follow_up", r, actor=actor, after={"follow_up_transfer": first.pk if first else None,
                                                                    "transfers": len(specs), "note": note},
                   government=r.government, item=r.item, transfer=first, batch=batch)
        record("evaluation.follow_up_batch", rnd, actor=actor, after={"batch": batch.pk, "transfers": created},
               government=issuer, batch=batch)
    return batch


__all__ = ["bulk_record_evidence", "clean_evidence", "create_round", "decide", "generate_follow_up", "record_evidence",
           "run_round"]
