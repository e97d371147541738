"""Read models of an evaluation round: its scope, its results, and its report.

The report counts the round's results by category — the reviewer's decision where there is one,
else the rules' suggestion — and groups them by town, by field and by assessment type; it shows what
was done about each category (the follow-up transfers and their states) and the satisfaction of the
evidence in scope, weighted by cases handled. Each grouping is one query, whatever the round's size.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, DecimalField, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce, NullIf

from ..models import EvaluationCategory, EvaluationResult, EvaluationRound, Evidence, Government
from .tree import path_prefix_q

CATEGORIES = [c.value for c in EvaluationCategory]


def round_scope_q(rnd: EvaluationRound, prefix: str = "") -> Q:
    """The governments in a round's scope: in its scope government's territory (when set) and
    carrying its tag (when set). ``prefix`` reaches a government from another model (``government__``)."""
    q = Q()
    if rnd.scope_government_id:
        q &= path_prefix_q(rnd.scope_government.path, f"{prefix}path")
    if rnd.scope_tag:
        q &= Q(**{f"{prefix}tags__slug": rnd.scope_tag})
    return q


def category_expression():
    """The decided category of a result, else the suggested one."""
    return Coalesce(NullIf(F("decision"), Value("")), F("suggested"), output_field=CharField())


def results_queryset(rnd: EvaluationRound):
    """The round's results with what a listing shows (item, government, follow-up) in one query."""
    return (
        EvaluationResult.objects.filter(round=rnd)
        .annotate(category=category_expression())
        .select_related("item", "government", "decided_by", "follow_up_transfer")
        .order_by("government__path", "item__code", "id")
    )


def _category_counts(**extra) -> dict:
    counts = {c: Count("id", filter=Q(category=c)) for c in CATEGORIES}
    counts["total"] = Count("id")
    counts.update(extra)
    return counts


def _grouped(rnd: EvaluationRound, columns: list[str], order: list[str]) -> list[dict]:
    rows = (
        EvaluationResult.objects.filter(round=rnd)
        .annotate(category=category_expression())
        .values(*columns)
        .annotate(**_category_counts())
        .order_by(*order)
    )
    return list(rows)


def evidence_satisfaction(rnd: EvaluationRound) -> dict:
    """Satisfaction over the evidence in the round's scope and period, weighted by cases handled
    (rows with a satisfaction figure only), with the cases and rows behind it. One query."""
    weighted = ExpressionWrapper(F("satisfaction") * F("cases_handled"),
                                 output_field=DecimalField(max_digits=20, decimal_places=2))
    row = (
        Evidence.objects.filter(round_scope_q(rnd, "government__"), period_start__gte=rnd.period_start,
                                period_end__lte=rnd.period_end)
        .aggregate(
            weighted=Sum(weighted, filter=Q(satisfaction__isnull=False)),
            cases=Sum("cases_handled", filter=Q(satisfaction__isnull=False)),
            all_cases=Sum("cases_handled"),
            complaints=Sum("complaints"),
            rows=Count("id"),
        )
    )
    cases = row["cases"] or 0
    satisfaction = None
    if cases:
        satisfaction = (Decimal(str(row["weighted"])) / Decimal(cases)).quantize(Decimal("0.01"))
    return {"satisfaction": satisfaction, "cases_handled": row["all_cases"] or 0,
            "complaints": row["complaints"] or 0, "evidence_rows": row["rows"]}


@dataclass
class RoundReport:
    """Counts of a round's results: ``by_category`` (suggested, decided, overridden, final count and
    what follow-up was done), ``by_town``, ``by_field`` and ``by_assessment_type`` (a count per
    category and a total each), ``totals`` and the evidence's ``satisfaction``."""

    round: EvaluationRound
    by_category: list[dict] = field(default_factory=list)
    by_town: list[dict] = field(default_factory=list)
    by_field: list[dict] = field(default_factory=list)
    by_assessment_type: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "round": self.round.pk,
            "totals": self.totals,
            "by_category": self.by_category,
            "by_town": self.by_town,
            "by_field": self.by_field,
            "by_assessment_type": self.by_assessment_type,
            "evidence": self.evidence,
        }


def round_report(rnd: EvaluationRound) -> RoundReport:
    """The report of one round. Seven queries whatever the number of results."""
    from ..models import AssessmentType, TransferState

    report = RoundReport(round=rnd)
    # 1. per category: suggested and final counts, overrides, follow-up transfers and their states
    base = EvaluationResult.objects.filter(round=rnd).annotate(category=category_expression())
    final = {r["category"]: r for r in base.values("category").annotate(
        count=Count("id"),
        decided=Count("id", filter=~Q(decision="")),
        overridden=Count("id", filter=~Q(decision="") & ~Q(decision=F("suggested"))),
        follow_up=Count("id", filter=Q(follow_up_transfer__isnull=False)),
        follow_up_effective=Count("id", filter=Q(follow_up_transfer__state=TransferState.EFFECTIVE)),
        follow_up_refused=Count("id", filter=Q(follow_up_transfer__state__in=[
            TransferState.REJECTED, TransferState.WITHDRAWN])),
        noted_only=Count("id", filter=Q(follow_up_transfer__isnull=True) & ~Q(follow_up_note="")),
    ).order_by("category")}
    suggested = dict(EvaluationResult.objects.filter(round=rnd).values("suggested").annotate(n=Count("id"))
                     .order_by("suggested").values_list("suggested", "n"))
    for category in EvaluationCategory:
        row = final.get(category.value, {})
        report.by_category.append({
            "category": category.value, "label": str(category.label),
            "suggested": suggested.get(category.value, 0), "count": row.get("count", 0),
            "decided": row.get("decided", 0), "overridden": row.get("overridden", 0),
            "follow_up": row.get("follow_up", 0), "follow_up_effective": row.get("follow_up_effective", 0),
            "follow_up_refused": row.get("follow_up_refused", 0), "noted_only": row.get("noted_only", 0),
        })
    count = sum(r["count"] for r in report.by_category)
    decided = sum(r["decided"] for r in report.by_category)
    report.totals = {
        "results": count, "decided": decided, "undecided": count - decided,
        "overridden": sum(r["overridden"] for r in report.by_category),
        "follow_up": sum(r["follow_up"] for r in report.by_category),
        "follow_up_effective": sum(r["follow_up_effective"] for r in report.by_category),
        "pairs": (rnd.summary or {}).get("pairs"),
        "insufficient_evidence": (rnd.summary or {}).get("insufficient_evidence"),
    }
    # 2–4. by town, by field, by the town's assessment type
    for row in _grouped(rnd, ["government_id", "government__code", "government__name", "government__assessment_type"],
                        ["government__path"]):
        report.by_town.append({
            "government": row["government__code"], "name": row["government__name"],
            "assessment_type": row["government__assessment_type"],
            **{c: row[c] for c in CATEGORIES}, "total": row["total"],
        })
    for row in _grouped(rnd, ["item__field"], ["item__field"]):
        report.by_field.append({"field": row["item__field"], **{c: row[c] for c in CATEGORIES},
                                "total": row["total"]})
    labels = dict(AssessmentType.choices)
    towns = dict(
        Government.objects.filter(evaluation_results__round=rnd).values("assessment_type")
        .annotate(n=Count("id", distinct=True)).order_by("assessment_type").values_list("assessment_type", "n")
    )
    for row in _grouped(rnd, ["government__assessment_type"], ["government__assessment_type"]):
        kind = row["government__assessment_type"]
        report.by_assessment_type.append({
            "assessment_type": kind, "label": str(labels.get(kind, "")) if kind else "",
            "towns": towns.get(kind, 0), **{c: row[c] for c in CATEGORIES}, "total": row["total"],
        })
    report.evidence = evidence_satisfaction(rnd)
    return report


def promotable_share(row: dict) -> Decimal | None:
    """The share of a group's results that are 可推广, in percent (two places)."""
    if not row.get("total"):
        return None
    return (Decimal(row[EvaluationCategory.PROMOTABLE.value] * 100) / Decimal(row["total"])).quantize(Decimal("0.01"))


__all__ = ["CATEGORIES", "RoundReport", "category_expression", "evidence_satisfaction", "promotable_share",
           "results_queryset", "round_report", "round_scope_q"]
