"""A government's power list on a date, and the difference between two dates.

A list is one query: the rows of :class:`Exercise` in force on the date, joined to their items, with
each row's arrangement worked out in SQL (retained, devolved out, shared out, received, shared as
lead or support). Rows are plain dicts, cheap to build for long lists.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.utils import timezone

from ..models import Arrangement, Exercise, Government, Role, in_force_q
from ..models.choices import SHARED_ROLES

LIST_FIELDS = (
    "id", "item_id", "item__code", "item__name", "item__category", "item__field", "item__legal_basis",
    "item__statutory_days", "item__promised_days", "item__lowest_tier", "item__is_core", "item__parent_id",
    "role", "method", "fiscal_share", "department_id", "department__name", "division__name",
    "source__government__code", "source__government__name", "shared_by__code", "valid_from", "valid_to",
    "arrangement",
)


def arrangement_expression(day: datetime.date):
    """SQL deciding each row's arrangement on ``day``."""
    devolved_out = Exercise.objects.filter(in_force_q(day), source=OuterRef("pk"), role=Role.RECEIVER)
    shared_out = Exercise.objects.filter(
        in_force_q(day), item=OuterRef("item"), shared_by=OuterRef("government"), role__in=SHARED_ROLES
    )
    return Case(
        When(role=Role.RECEIVER, then=Value(Arrangement.RECEIVED)),
        When(role=Role.LEAD, then=Value(Arrangement.SHARED_LEAD)),
        When(role=Role.SUPPORT, then=Value(Arrangement.SHARED_SUPPORT)),
        When(Exists(devolved_out), then=Value(Arrangement.DEVOLVED_OUT)),
        When(Exists(shared_out), then=Value(Arrangement.SHARED_OUT)),
        default=Value(Arrangement.RETAINED),
        output_field=CharField(),
    )


def list_queryset(
    government: Government,
    day: datetime.date | None = None,
    *,
    category: str | None = None,
    field: str | None = None,
    arrangement: str | None = None,
    department: int | None = None,
    search: str | None = None,
):
    """The rows of ``government``'s list on ``day`` (default today), as a lazy queryset of dicts."""
    day = day or timezone.localdate()
    qs = (
        Exercise.objects.filter(in_force_q(day), government=government)
        .annotate(arrangement=arrangement_expression(day))
    )
    if category:
        qs = qs.filter(item__category=category)
    if field:
        qs = qs.filter(item__field=field)
    if department:
        qs = qs.filter(department_id=department)
    if arrangement:
        qs = qs.filter(arrangement=arrangement)
    if search:
        for term in search.split():
            qs = qs.filter(Q(item__name__icontains=term) | Q(item__code__icontains=term))
    return qs.order_by("item__category", "item__code", "id").values(*LIST_FIELDS)


def power_list(government: Government, day: datetime.date | None = None, **filters) -> list[dict]:
    """``government``'s list on ``day``: one query, one dict per item it exercises."""
    return list(list_queryset(government, day, **filters))


@dataclass
class ListDiff:
    government: Government
    date_from: datetime.date
    date_to: datetime.date
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[tuple[dict, dict]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def count_from(self) -> int:
        return len(self.removed) + len(self.changed) + self.unchanged

    @property
    def count_to(self) -> int:
        return len(self.added) + len(self.changed) + self.unchanged


COMPARED = ("role", "arrangement", "department_id", "fiscal_share", "method", "item__name", "item__category")


def _key(row: dict):
    """Rows are matched by item; an adjusted item matches its predecessor by code.

    A code is unique only within one government's catalogue, and a list holds items of several
    catalogues (its own and those received from above): the key is the catalogue and the code.
    """
    return row["item__government_id"], row["item__code"]


def _diff_rows(government: Government, day: datetime.date):
    return list_queryset(government, day).values(*LIST_FIELDS, "item__government_id")


def diff(government: Government, date_from: datetime.date, date_to: datetime.date) -> ListDiff:
    """What was added, removed and changed in ``government``'s list between two dates (two queries)."""
    before = {_key(r): r for r in _diff_rows(government, date_from)}
    after = {_key(r): r for r in _diff_rows(government, date_to)}
    result = ListDiff(government=government, date_from=date_from, date_to=date_to)
    for key, row in after.items():
        old = before.get(key)
        if old is None:
            result.added.append(row)
        elif any(old[f] != row[f] for f in COMPARED) or old["item_id"] != row["item_id"]:
            result.changed.append((old, row))
        else:
            result.unchanged += 1
    result.removed = [row for key, row in before.items() if key not in after]
    return result
