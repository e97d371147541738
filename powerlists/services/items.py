"""Power items: created, corrected and given their first holder only here, each change audited.

A correction (``update_item``) fixes what an item says — a typo, a legal basis — and keeps no date.
A change of substance that must show on a date (a reform) is an adjustment: see ``transfers.adjust``.
"""
from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .. import policy
from ..models import Category, Department, Division, Exercise, Government, PowerItem, Role, Tier
from .audit import record, snapshot
from .errors import Conflict, InvalidInput, RuleViolation

CATEGORIES = frozenset(Category.values)  # looked up for every row of an import: computed once
TIERS = frozenset(Tier.values)
TEXT_FIELDS = {"code", "name", "field", "legal_basis"}
ITEM_FIELDS = {
    "code", "name", "category", "field", "legal_basis", "statutory_days", "promised_days", "responsibilities",
    "accountability", "lowest_tier", "is_core", "department", "division", "parent",
}


def _text_list(value, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, list | tuple):
        raise InvalidInput("invalid_list", f"{field} 必须是文字列表。", f"{field} must be a list of texts.", field=field)
    out = []
    for entry in value:
        if not isinstance(entry, str):
            raise InvalidInput("invalid_list", f"{field} 必须是文字列表。", f"{field} must be a list of texts.",
                               field=field)
        entry = entry.strip()
        if entry:
            out.append(entry)
    return out


def _days(value, field: str):
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("invalid_days", f"{field} 必须是非负整数（工作日）。",
                           f"{field} must be a whole number of working days.", field=field) from None
    if days < 0 or days > 3650:
        raise InvalidInput("invalid_days", f"{field} 必须在0至3650个工作日之间。",
                           f"{field} must be between 0 and 3650 working days.", field=field)
    return days


def apply_item_values(item: PowerItem, values: dict) -> None:
    """Validate ``values`` and set them on ``item`` (unsaved). Raises InvalidInput / RuleViolation."""
    unknown = set(values) - ITEM_FIELDS
    if unknown:
        raise InvalidInput("unknown_field", "未知字段：" + "、".join(sorted(unknown)),
                           "Unknown fields: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    for name in TEXT_FIELDS & set(values):
        value = values[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput("invalid_text", f"{name} 必须是文字。", f"{name} must be text.", field=name)
        setattr(item, name, value.strip())
    if "category" in values:
        if values["category"] not in CATEGORIES:
            raise InvalidInput("invalid_category", "权力类别无效，应为：" + "、".join(str(label) for label in Category.labels),
                               "Unknown category; use one of: " + ", ".join(Category.values),
                               category=values["category"])
        item.category = values["category"]
    if "lowest_tier" in values:
        if values["lowest_tier"] not in TIERS:
            raise InvalidInput("invalid_tier", "法定最低实施层级无效。", "Unknown lowest tier.")
        item.lowest_tier = values["lowest_tier"]
    for name in ("statutory_days", "promised_days"):
        if name in values:
            setattr(item, name, _days(values[name], name))
    for name in ("responsibilities", "accountability"):
        if name in values:
            setattr(item, name, _text_list(values[name], name))
    if "is_core" in values:
        item.is_core = bool(values["is_core"])
    if "department" in values:
        department = values["department"]
        if department is not None and not isinstance(department, Department):
            raise InvalidInput("invalid_department", "部门无效。", "Unknown department.")
        item.department = department
    if "division" in values:
        division = values["division"]
        if division is not None and not isinstance(division, Division):
            raise InvalidInput("invalid_division", "处室无效。", "Unknown division.")
        item.division = division
    if "parent" in values:
        parent = values["parent"]
        if parent is not None and not isinstance(parent, PowerItem):
            raise InvalidInput("invalid_parent", "所属主项无效。", "Unknown parent item.")
        item.parent = parent
    _check_item(item)


def _check_item(item: PowerItem) -> None:
    if not item.code:
        raise InvalidInput("code_required", "请填写事项编码。", "An item code is required.")
    if len(item.code) > 50:
        raise InvalidInput("code_too_long", "事项编码不能超过50个字符。", "An item code has at most 50 characters.")
    if not item.name:
        raise InvalidInput("name_required", "请填写事项名称。", "An item name is required.")
    if len(item.name) > 200:
        raise InvalidInput("name_too_long", "事项名称不能超过200个字符。", "An item name has at most 200 characters.")
    if len(item.field) > 50:
        raise InvalidInput("field_too_long", "领域不能超过50个字符。", "A field has at most 50 characters.")
    if item.category not in CATEGORIES:
        raise InvalidInput("invalid_category", "权力类别无效。", "Unknown category.", category=item.category)
    if (
        item.statutory_days is not None
        and item.promised_days is not None
        and item.promised_days > item.statutory_days
    ):
        raise RuleViolation("promise_exceeds_statute", "承诺时限不能长于法定时限。",
                            "The promised time limit cannot exceed the statutory one.",
                            statutory_days=item.statutory_days, promised_days=item.promised_days)
    if item.department_id and item.department.government_id != item.government_id:
        raise RuleViolation("department_not_of_government", "实施部门必须属于事项所属政府。",
                            "The department must belong to the item's government.")
    if item.division_id and item.division.department_id != item.department_id:
        raise RuleViolation("division_not_of_department", "承办处室必须属于实施部门。",
                            "The division must belong to the item's department.")
    if item.parent_id:
        if item.parent.government_id != item.government_id:
            raise RuleViolation("parent_not_of_government", "子项与主项必须属于同一政府的清单。",
                                "A sub-item belongs to the same government's list as its parent.")
        if item.parent.parent_id:
            raise RuleViolation("nested_sub_item", "子项下不能再设子项。", "A sub-item cannot have sub-items.")
        if item.pk and item.parent_id == item.pk:
            raise RuleViolation("self_parent", "事项不能是自己的子项。", "An item cannot be its own sub-item.")
        if PowerItem.objects.filter(pk=item.parent_id).filter(
            Q(cancelled_on__isnull=False) | Q(replaced_on__isnull=False)
        ).exists():  # read from the database: the caller's copy of the parent may be stale
            raise Conflict("parent_closed", "所属主项已取消或已调整，请选择现行的主项。",
                           "The main item is cancelled or adjusted; choose the current one.",
                           parent=item.parent_id)
        if item.pk and PowerItem.objects.filter(parent_id=item.pk).exists():
            raise RuleViolation("nested_sub_item", "有子项的事项不能再作为子项。",
                                "An item that has sub-items cannot itself be a sub-item.")


def _check_exercised_within_lowest_tier(item: PowerItem) -> None:
    """A correction of the lowest tier cannot leave a government below it exercising the item (now or later)."""
    today = timezone.localdate()
    below = (
        Exercise.objects.filter(item=item, government__tier__gt=item.lowest_tier)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .select_related("government")
        .first()
    )
    if below is not None:
        raise RuleViolation("below_lowest_tier", f"{below.government.name}正在行使该事项，法定最低实施层级不能高于它。",
                            f"{below.government.name} exercises this item; the lowest tier cannot be set above it.",
                            government=below.government.code, lowest_tier=item.lowest_tier)


def _integrity_to_conflict(exc: IntegrityError, code: str) -> Conflict:
    return Conflict("item_code_taken", "该政府的清单中已有此事项编码。",
                    "This government's list already has an item with that code.", code=code)


def create_item(
    *,
    government: Government,
    holder_from: datetime.date | None = None,
    actor=None,
    actor_name: str = "",
    reason: str = "",
    **values,
) -> PowerItem:
    """Add an item to ``government``'s catalogue; with ``holder_from`` the government exercises it from that date."""
    if actor is not None:
        policy.require(actor, "item.create", government)
    values.setdefault("category", "")
    values.setdefault("code", "")
    values.setdefault("name", "")
    item = PowerItem(government=government)
    apply_item_values(item, values)
    try:
        with transaction.atomic():
            item.save()
            after = snapshot(item)
            exercise = None
            if holder_from is not None:
                exercise = Exercise.objects.create(
                    item=item, government=government, role=Role.HOLDER, department=item.department,
                    division=item.division, valid_from=holder_from,
                )
                after["holding"] = snapshot(exercise)
            record("item.create", item, actor=actor, actor_name=actor_name, after=after, reason=reason,
                   government=government, item=item)
    except IntegrityError as exc:
        raise _integrity_to_conflict(exc, item.code) from exc
    return item


def update_item(
    item: PowerItem,
    *,
    expected_version: int | None = None,
    actor=None,
    actor_name: str = "",
    reason: str = "",
    **values,
) -> PowerItem:
    """Correct an item's fields. With ``expected_version`` a stale edit is refused (409) and nothing written."""
    try:
        with transaction.atomic():
            current = PowerItem.objects.select_for_update(of=("self",)).select_related("government").get(pk=item.pk)
            if actor is not None:
                policy.require(actor, "item.edit", current.government)
            if expected_version is not None and current.version != expected_version:
                raise Conflict("stale_version", "该事项已被他人修改，请刷新后重试。",
                               "Someone else changed this item; reload and try again.",
                               expected_version=expected_version, current_version=current.version)
            if current.cancelled_on or current.replaced_on:
                raise Conflict("item_closed", "已取消或已调整的事项不能再修改。",
                               "A cancelled or adjusted item cannot be edited.")
            before = snapshot(current)
            apply_item_values(current, values)
            after = snapshot(current)
            if after == before:
                return current
            if current.lowest_tier < before["lowest_tier"]:
                _check_exercised_within_lowest_tier(current)
            current.version += 1
            current.save()
            record("item.update", current, actor=actor, actor_name=actor_name, before=before,
                   after=snapshot(current), reason=reason, government=current.government, item=current)
    except IntegrityError as exc:
        raise _integrity_to_conflict(exc, values.get("code", item.code)) from exc
    except ValidationError as exc:  # pragma: no cover - model validation is mirrored above
        raise InvalidInput("invalid_item", "事项数据无效。", "Invalid item data.", errors=exc.messages) from exc
    return current


def establish_holding(
    item: PowerItem,
    *,
    valid_from: datetime.date,
    department: Department | None = None,
    actor=None,
    actor_name: str = "",
    reason: str = "",
) -> Exercise:
    """Record that the item's own government exercises it from ``valid_from`` (an item entered without one)."""
    with transaction.atomic():
        item = PowerItem.objects.select_for_update(of=("self",)).select_related("government").get(pk=item.pk)
        if actor is not None:
            policy.require(actor, "list.correct", item.government)
        if item.cancelled_on or item.replaced_on:
            raise Conflict("item_closed", "已取消或已调整的事项不能再设行使。",
                           "A cancelled or adjusted item cannot be given a holder.")
        if department is not None and department.government_id != item.government_id:
            raise RuleViolation("department_not_of_government", "实施部门必须属于事项所属政府。",
                                "The department must belong to the item's government.")
        if Exercise.objects.filter(item=item, government_id=item.government_id).exists():
            raise Conflict("already_held", "该事项已有行使记录。", "This item already has an exercise record here.")
        exercise = Exercise.objects.create(
            item=item, government_id=item.government_id, role=Role.HOLDER,
            department=department or item.department, division=item.division, valid_from=valid_from,
        )
        record("exercise.open", exercise, actor=actor, actor_name=actor_name, after=snapshot(exercise),
               reason=reason, government=item.government, item=item)
    return exercise
