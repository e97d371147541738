"""Counts over a government's subtree on a date: by tier, category, field and arrangement."""
from __future__ import annotations

import datetime

from django.db.models import Count
from django.utils import timezone

from ..models import Exercise, Government, in_force_q
from ..services.errors import InvalidInput
from .lists import arrangement_expression
from .tree import within_q

GROUPINGS = {
    "tier": "government__tier",
    "category": "item__category",
    "field": "item__field",
    "arrangement": "arrangement",
}


def _base(government: Government, day: datetime.date):
    return Exercise.objects.filter(in_force_q(day), within_q(government))


def counts(government: Government, day: datetime.date | None = None, by: str = "tier") -> dict:
    """Exercises in force in ``government``'s subtree on ``day``, grouped ``by`` tier, category, field
    or arrangement; each group gives the number of exercises and of distinct items. One query."""
    day = day or timezone.localdate()
    column = GROUPINGS.get(by)
    if column is None:
        raise InvalidInput("invalid_grouping", "统计维度无效，应为：" + "、".join(GROUPINGS),
                           "Unknown grouping; use one of: " + ", ".join(GROUPINGS), by=by)
    qs = _base(government, day)
    if by == "arrangement":
        qs = qs.annotate(arrangement=arrangement_expression(day))
    rows = qs.values(column).annotate(exercises=Count("id"), items=Count("item", distinct=True)).order_by(column)
    return {r[column]: {"exercises": r["exercises"], "items": r["items"]} for r in rows}


def tier_counts(government: Government, day: datetime.date | None = None) -> dict[int, int]:
    """Distinct items exercised at each tier of the subtree on ``day``."""
    return {tier: v["items"] for tier, v in counts(government, day, "tier").items()}
