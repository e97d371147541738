"""A department's table of powers and responsibilities (权责一览表) on a date."""
from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from ..models import Department, Division, Exercise, PowerItem, in_force_q

ITEM_FIELDS = ("id", "code", "name", "category", "field", "responsibilities", "division_id")
EXERCISE_FIELDS = ("id", "division_id", "government__code", "role", "item_id", "item__code", "item__name",
                   "item__category", "item__field", "item__responsibilities")


def _items_on(day, division_ids):
    """Items whose own division is one of ``division_ids`` and that exist on ``day``: not cancelled or
    replaced by then, and not an adjusted version whose predecessor is still current. One query."""
    not_yet = PowerItem.objects.filter(replaced_by=OuterRef("pk"), replaced_on__gt=day)
    return (
        PowerItem.objects.filter(division_id__in=division_ids)
        .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=day))
        .filter(Q(replaced_on__isnull=True) | Q(replaced_on__gt=day))
        .exclude(Exists(not_yet))
        .order_by("category", "code", "id")
        .values(*ITEM_FIELDS)
    )


def responsibilities_table(department: Department, day) -> dict:
    """The department's divisions and, per division, the items it handles on ``day``. Three queries."""
    divisions = list(Division.objects.filter(department=department).order_by("module", "name", "id")
                     .values("id", "name", "module"))
    ids = [d["id"] for d in divisions]
    per_division: dict[int, dict[int, dict]] = {i: {} for i in ids}
    if ids:
        for row in _items_on(day, ids):
            per_division[row["division_id"]][row["id"]] = {
                "id": row["id"], "code": row["code"], "name": row["name"], "category": row["category"],
                "field": row["field"], "responsibilities": row["responsibilities"] or [], "assigned": True,
                "exercises": [],
            }
        exercises = (Exercise.objects.filter(in_force_q(day), division_id__in=ids)
                     .order_by("item__category", "item__code", "item_id", "government__path", "id")
                     .values(*EXERCISE_FIELDS))
        for row in exercises:
            items = per_division[row["division_id"]]
            entry = items.get(row["item_id"])
            if entry is None:
                entry = items[row["item_id"]] = {
                    "id": row["item_id"], "code": row["item__code"], "name": row["item__name"],
                    "category": row["item__category"], "field": row["item__field"],
                    "responsibilities": row["item__responsibilities"] or [], "assigned": False, "exercises": [],
                }
            entry["exercises"].append({"exercise_id": row["id"], "government": row["government__code"],
                                       "role": row["role"]})
    all_items = set()
    out = []
    for d in divisions:
        items = sorted(per_division[d["id"]].values(), key=lambda r: (r["category"], r["code"], r["id"]))
        all_items.update(r["id"] for r in items)
        out.append({**d, "items": items})
    return {
        "department": {"id": department.pk, "name": department.name, "government": department.government.code},
        "as_of": day.isoformat(),
        "item_count": len(all_items),
        "divisions": out,
    }
