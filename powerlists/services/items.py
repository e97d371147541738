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

from .. import policy, standard_codes
from ..models import (
    BasisRole,
    Category,
    DaysUnit,
    Department,
    Division,
    Exercise,
    Government,
    Initiation,
    Law,
    LegalBasis,
    PowerItem,
    ProcessingStep,
    Role,
    Tier,
)
from ..models.laws import MAX_ARTICLE_TEXT
from .audit import record, snapshot
from .errors import Conflict, InvalidInput, RuleViolation

CATEGORIES = frozenset(Category.values)  # looked up for every row of an import: computed once
TIERS = frozenset(Tier.values)
INITIATIONS = frozenset(Initiation.values)
DAYS_UNITS = frozenset(DaysUnit.values)
STEPS = frozenset(ProcessingStep.values)
BASIS_ROLES = frozenset(BasisRole.values)
# Text fields and their longest value (the legal texts of real lists often pass 1,000 characters).
TEXT_LIMITS = {
    "code": 50, "name": 200, "field": 50, "legal_basis": 20_000, "basic_code": 12, "fee_basis": 5_000,
    "service_object": 200, "supervision": 2_000, "supervision_phone": 50,
}
TEXT_FIELDS = set(TEXT_LIMITS)
TEXT_LABELS = {
    "code": ("事项编码", "The item code"), "name": ("事项名称", "The item name"), "field": ("领域", "The field"),
    "legal_basis": ("依据", "The legal basis"), "basic_code": ("基本编码", "The basic code"),
    "fee_basis": ("收费依据及标准", "The fee basis"), "service_object": ("服务对象", "The service object"),
    "supervision": ("监督方式", "The supervision"), "supervision_phone": ("监督电话", "The supervision telephone"),
}
MAX_LIST_ENTRIES = 200
MAX_BASES = 50
ITEM_FIELDS = {
    "code", "name", "category", "field", "legal_basis", "statutory_days", "promised_days", "responsibilities",
    "accountability", "lowest_tier", "is_core", "department", "division", "parent", "basic_code", "initiation",
    "days_unit", "levels", "processing_steps", "fee_basis", "service_object", "supervision", "supervision_phone",
}
# Set through their own arguments (a relation of their own), not as fields of the item row.
RELATED_VALUES = {"bases"}


def _text_list(value, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [line for line in value.splitlines()]
    if not isinstance(value, list | tuple):
        raise InvalidInput("invalid_list", f"{field} 必须是文字列表。", f"{field} must be a list of texts.", field=field)
    if len(value) > MAX_LIST_ENTRIES:
        raise InvalidInput("list_too_long", f"{field} 最多{MAX_LIST_ENTRIES}条。",
                           f"{field} has at most {MAX_LIST_ENTRIES} entries.", field=field)
    out = []
    for entry in value:
        if isinstance(entry, str) and len(entry) > 2_000:
            raise InvalidInput("text_too_long", f"{field} 每条最多2000个字符。",
                               f"Each entry of {field} has at most 2,000 characters.", field=field)
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


def _levels(value) -> list[int]:
    """The national level codes an item is exercised at (行使层级), as a sorted list without repeats."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        try:
            return standard_codes.parse_levels(value)
        except ValueError as exc:
            raise InvalidInput("invalid_level", f"行使层级“{exc}”无法识别，应为1至6（1国家、2省、3市、4县、5乡镇、6村）。",
                               f"Unknown level “{exc}”; use 1 to 6 (1 state, 2 province, 3 city, 4 county, "
                               f"5 township, 6 village).", level=str(exc)) from None
    if not isinstance(value, list | tuple) or len(value) > 6:
        raise InvalidInput("invalid_levels", "行使层级必须是1至6的代码列表。", "Levels must be a list of codes 1 to 6.")
    levels = set()
    for level in value:
        if isinstance(level, bool) or not isinstance(level, int) or level not in standard_codes.LEVELS:
            raise InvalidInput("invalid_level", f"行使层级“{level}”无法识别，应为1至6。",
                               f"Unknown level “{level}”; use 1 to 6.", level=str(level)[:20])
        levels.add(level)
    return sorted(levels)


def _steps(value) -> list[dict]:
    """Multi-level processing (初审 → 审核 → 决定 → 备案): ``[{"step": ..., "level": 2..6}]``."""
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple) or len(value) > 12:
        raise InvalidInput("invalid_processing_steps", "多级办理必须是最多12个步骤的列表。",
                           "Processing steps must be a list of at most 12 steps.")
    steps = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) - {"step", "level", "note"}:
            raise InvalidInput("invalid_processing_steps", "每个办理步骤须写明步骤和层级。",
                               "Each processing step names its step and its level.")
        step, level = entry.get("step"), entry.get("level")
        if step not in STEPS:
            raise InvalidInput("invalid_processing_step", "办理步骤应为初审、审核、决定或备案。",
                               "A step is preliminary, review, decision or filing.", step=str(step)[:30])
        if isinstance(level, bool) or not isinstance(level, int) or level not in standard_codes.LEVELS:
            raise InvalidInput("invalid_level", f"办理层级“{level}”无法识别，应为1至6。",
                               f"Unknown level “{level}”; use 1 to 6.", level=str(level)[:20])
        note = entry.get("note") or ""
        if not isinstance(note, str) or len(note) > 200:
            raise InvalidInput("invalid_processing_steps", "办理步骤的说明最多200个字符。",
                               "A step's note has at most 200 characters.")
        steps.append({"step": step, "level": level, **({"note": note.strip()} if note.strip() else {})})
    if sum(1 for s in steps if s["step"] == ProcessingStep.DECISION) > 1:
        raise RuleViolation("two_decisions", "一个事项只能由一个层级作出决定。",
                            "An item is decided at one level only.")
    return steps


def clean_bases(bases) -> list[dict]:
    """Validate legal bases: ``[{"role": setting|implementing, "law": Law, "article": "第…条", "text": "…"}]``."""
    if bases in (None, ""):
        return []
    if not isinstance(bases, list | tuple) or len(bases) > MAX_BASES:
        raise InvalidInput("invalid_bases", f"法律依据必须是最多{MAX_BASES}条的列表。",
                           f"Legal bases must be a list of at most {MAX_BASES}.")
    cleaned = []
    for entry in bases:
        if not isinstance(entry, dict) or set(entry) - {"role", "law", "article", "text"}:
            raise InvalidInput("invalid_bases", "每条法律依据须写明依据类型、法律法规和条款。",
                               "Each legal basis names its role, its law and its article.")
        role, law = entry.get("role") or BasisRole.SETTING, entry.get("law")
        if role not in BASIS_ROLES:
            raise InvalidInput("invalid_basis_role", "依据类型应为设定依据或实施依据。",
                               "A basis is a setting or an implementing basis.", role=str(role)[:30])
        if not isinstance(law, Law):
            raise InvalidInput("invalid_law", "法律依据须指明已登记的法律法规。", "A legal basis names a registered law.")
        article = (entry.get("article") or "").strip()
        text = (entry.get("text") or "").strip()
        if not isinstance(article, str) or len(article) > 100:
            raise InvalidInput("article_too_long", "条款最多100个字符。", "An article has at most 100 characters.")
        if len(text) > MAX_ARTICLE_TEXT:
            raise InvalidInput("article_text_too_long", f"条款内容不能超过{MAX_ARTICLE_TEXT}个字符。",
                               f"An article's text has at most {MAX_ARTICLE_TEXT:,} characters.")
        cleaned.append({"role": role, "law": law, "article": article, "text": text})
    return cleaned


def _write_bases(item: PowerItem, bases: list[dict]) -> list[dict]:
    """Replace the item's legal bases (a correction: the bases are part of what the item says)."""
    LegalBasis.objects.filter(item=item).delete()
    rows = [LegalBasis(item=item, role=b["role"], law=b["law"], article=b["article"], text=b["text"], position=i)
            for i, b in enumerate(bases)]
    LegalBasis.objects.bulk_create(rows)
    return bases_snapshot(bases)


def bases_snapshot(bases: list[dict]) -> list[dict]:
    return [{"role": b["role"], "law": b["law"].pk, "law_name": b["law"].name,
             "version_date": b["law"].version_date.isoformat(), "article": b["article"],
             "text": b["text"][:200]} for b in bases]


def current_bases(item: PowerItem) -> list[dict]:
    return [{"role": b.role, "law": b.law, "article": b.article, "text": b.text}
            for b in LegalBasis.objects.filter(item=item).select_related("law").order_by("role", "position", "id")]


def apply_item_values(item: PowerItem, values: dict, *, check_concentration: bool = True) -> None:
    """Validate ``values`` and set them on ``item`` (unsaved). Raises InvalidInput / RuleViolation.

    ``check_concentration=False``: the caller checks the 三集中 rule itself (the import, over the whole file)."""
    unknown = set(values) - ITEM_FIELDS - RELATED_VALUES
    if unknown:
        raise InvalidInput("unknown_field", "未知字段：" + "、".join(sorted(unknown)),
                           "Unknown fields: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    for name in TEXT_FIELDS & set(values):
        value = values[name]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InvalidInput("invalid_text", f"{name} 必须是文字。", f"{name} must be text.", field=name)
        value = value.strip()
        if len(value) > TEXT_LIMITS[name]:
            zh, en = TEXT_LABELS[name]
            raise InvalidInput(f"{name}_too_long", f"{zh}不能超过{TEXT_LIMITS[name]}个字符。",
                               f"{en} has at most {TEXT_LIMITS[name]:,} characters.", field=name)
        setattr(item, name, value)
    if "basic_code" in values:
        item.basic_code = item.basic_code.upper()
        if item.basic_code and not standard_codes.BASIC_CODE.match(item.basic_code):
            raise InvalidInput("invalid_basic_code", f"基本编码“{item.basic_code}”应为12位数字或大写字母。",
                               f"The basic code “{item.basic_code}” must be 12 digits or capital letters.",
                               basic_code=item.basic_code)
    if "initiation" in values:
        value = values["initiation"] or ""
        if value and value not in INITIATIONS:
            raise InvalidInput("invalid_initiation", "行使方式应为“依申请”或“依职权”。",
                               "The initiation must be on application or ex officio.", initiation=value)
        item.initiation = value
    if "days_unit" in values:
        value = values["days_unit"] or DaysUnit.WORKING
        if value not in DAYS_UNITS:
            raise InvalidInput("invalid_days_unit", "时限单位应为工作日或自然日。",
                               "The unit of time limits is working or calendar days.", days_unit=value)
        item.days_unit = value
    if "levels" in values:
        item.levels = _levels(values["levels"])
        if "lowest_tier" not in values:
            lowest = standard_codes.lowest_tier_of_levels(item.levels)
            if lowest is not None:
                item.lowest_tier = lowest
    if "processing_steps" in values:
        item.processing_steps = _steps(values["processing_steps"])
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
        lowest = standard_codes.lowest_tier_of_levels(item.levels or [])
        if lowest is not None and lowest != item.lowest_tier:
            raise RuleViolation("levels_disagree_with_lowest_tier",
                                f"行使层级中最低的是{standard_codes.LEVEL_NAMES[lowest + 1]}级，与法定最低实施层级不一致。",
                                "The lowest of the levels listed disagrees with the lowest tier allowed by law.",
                                levels=item.levels, lowest_tier=item.lowest_tier)
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
    if check_concentration:
        check_concentration_rule(item)


def check_concentration_rule(item: PowerItem) -> None:
    """三集中: in a department that concentrates its approvals, every 行政许可 item is handled by one division.

    A licensing item of such a department must name a division, and the same one as the department's other
    current licensing items."""
    if item.category != Category.LICENSING or not item.department_id or item.cancelled_on or item.replaced_on:
        return
    # Read from the database, not from the department object the caller holds: that may predate the
    # department's turning concentration on.
    department = Department.objects.filter(pk=item.department_id, approvals_concentrated=True).first()
    if department is None:
        return
    if not item.division_id:
        raise RuleViolation("approvals_not_concentrated",
                            f"{department.name}实行审批集中（三集中），行政许可事项须由其审批处室承办，请填写承办处室。",
                            f"{department.name} concentrates its approvals in one division: a licensing item "
                            f"must name that division.", department=department.pk)
    other = (
        PowerItem.objects.filter(department_id=item.department_id, category=Category.LICENSING,
                                 cancelled_on__isnull=True, replaced_on__isnull=True)
        .exclude(pk=item.pk).exclude(division_id=item.division_id).exclude(division__isnull=True)
        .values_list("division__name", flat=True).first()
    )
    if other is not None:
        raise RuleViolation("approvals_not_concentrated",
                            f"{department.name}实行审批集中（三集中），其行政许可事项均由“{other}”承办，不能分散到其他处室。",
                            f"{department.name} concentrates its approvals in “{other}”: its licensing items cannot "
                            f"be spread across divisions.", department=department.pk, division=other)


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


def _check_bases_dates(bases: list[dict], day: datetime.date | None) -> None:
    """A legal basis cannot be a version of a law that did not exist yet on the day the item is held from."""
    if day is None:
        return
    for basis in bases:
        if basis["law"].version_date > day:
            law = basis["law"]
            raise RuleViolation("law_postdates_item",
                                f"《{law.name}》（{law.version_date}）晚于事项的起始日期{day}，不能作为其依据；请选择当时有效的版本。",
                                f"{law.name} ({law.version_date}) is later than the item's start {day}; cite the "
                                f"version in force then.", law=law.pk, date=day)


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
    bases = clean_bases(values.pop("bases", None))
    item = PowerItem(government=government)
    apply_item_values(item, values)
    _check_bases_dates(bases, holder_from)
    try:
        with transaction.atomic():
            item.save()
            after = snapshot(item)
            if bases:
                after["bases"] = _write_bases(item, bases)
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
            new_bases = clean_bases(values.pop("bases")) if "bases" in values else None
            old_bases = bases_snapshot(current_bases(current)) if new_bases is not None else None
            if before["is_core"] and values.get("is_core") is False and not (reason or "").strip():
                raise InvalidInput("reason_required_to_lift_core", "取消核心事权标记须说明理由。",
                                   "Lifting the core mark needs a reason.")
            apply_item_values(current, values)
            after = snapshot(current)
            bases_changed = new_bases is not None and bases_snapshot(new_bases) != old_bases
            if after == before and not bases_changed:
                return current
            if current.lowest_tier < before["lowest_tier"]:
                _check_exercised_within_lowest_tier(current)
            current.version += 1
            current.save()
            after = snapshot(current)
            if bases_changed:
                before["bases"] = old_bases
                after["bases"] = _write_bases(current, new_bases)
            action = "item.core_lifted" if before["is_core"] and not current.is_core else "item.update"
            record(action, current, actor=actor, actor_name=actor_name, before=before,
                   after=after, reason=reason, government=current.government, item=current)
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
