"""Governments, departments and divisions: created and corrected only here, each change audited."""
from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from .. import policy
from ..models import AssessmentType, Department, DepartmentKind, Division, Government, Tag, Tier
from ..models.governments import PATH_SEPARATOR
from .audit import record, snapshot
from .errors import Conflict, InvalidInput, RuleViolation

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,20}$")


def _search_text(name: str, aliases: list[str]) -> str:
    return " ".join([name, *aliases])


def _clean_aliases(aliases) -> list[str]:
    cleaned = []
    for alias in aliases or []:
        if not isinstance(alias, str):
            raise InvalidInput("alias_not_text", "别名必须是文字。", "Each alias must be text.")
        alias = alias.strip()
        if alias and alias not in cleaned:
            cleaned.append(alias)
    return cleaned


def _tags(slugs) -> list[Tag]:
    tags = []
    for slug in slugs or []:
        if isinstance(slug, Tag):
            tags.append(slug)
            continue
        tag, _ = Tag.objects.get_or_create(slug=slug, defaults={"name": slug})
        tags.append(tag)
    return tags


def create_government(
    *,
    code: str,
    name: str,
    tier: int,
    parent: Government | None = None,
    kind: str = "",
    aliases=(),
    tags=(),
    assessment_type: str = "",
    actor=None,
    actor_name: str = "",
    reason: str = "",
) -> Government:
    """Add a government under ``parent`` (a province has none). Its tier must be below its parent's."""
    code = (code or "").strip()
    name = (name or "").strip()
    if not CODE_PATTERN.match(code):
        raise InvalidInput(
            "invalid_code", "政府代码只能由1至20位字母、数字、下划线或连字符组成。",
            "A government code is 1 to 20 letters, digits, underscores or hyphens.", code=code,
        )
    if not name:
        raise InvalidInput("name_required", "请填写名称。", "A name is required.")
    if tier not in Tier.values:
        raise InvalidInput("invalid_tier", "层级无效。", "Unknown tier.", tier=tier)
    if assessment_type and assessment_type not in AssessmentType.values:
        raise InvalidInput(
            "invalid_assessment_type", "考核类型无效。", "Unknown assessment type.", assessment_type=assessment_type
        )
    if parent is None and tier != Tier.PROVINCE:
        raise RuleViolation(
            "parent_required", "除省级外，政府必须有上级。", "Every government below a province needs a parent."
        )
    if parent is not None and tier <= parent.tier:
        raise RuleViolation(
            "tier_not_below_parent", "下级政府的层级必须低于上级。",
            "A government's tier must be below its parent's.", tier=tier, parent_tier=parent.tier,
        )
    if actor is not None:
        policy.require(actor, "list.correct", parent)
    aliases = _clean_aliases(aliases)
    path = (parent.path if parent else PATH_SEPARATOR) + code + PATH_SEPARATOR
    government = Government(
        code=code, name=name, tier=tier, parent=parent, kind=kind, aliases=aliases,
        search_text=_search_text(name, aliases), assessment_type=assessment_type or "",
        path=path, depth=(parent.depth + 1) if parent else 0,
    )
    try:
        with transaction.atomic():
            government.save()
            tag_objs = _tags(tags)
            if tag_objs:
                government.tags.set(tag_objs)
            after = snapshot(government)
            after["tags"] = [t.slug for t in tag_objs]
            record("government.create", government, actor=actor, actor_name=actor_name, after=after,
                   reason=reason, government=government)
    except IntegrityError as exc:
        raise Conflict("code_taken", "该政府代码已被使用。", "That government code is already used.", code=code) from exc
    return government


GOVERNMENT_EDITABLE = {"name", "kind", "aliases", "assessment_type", "tags"}


def update_government(government: Government, *, actor=None, actor_name: str = "", reason: str = "", **changes):
    """Correct a government's name, kind, aliases, tags or assessment type. Its place in the tree is fixed."""
    unknown = set(changes) - GOVERNMENT_EDITABLE
    if unknown:
        raise InvalidInput(
            "field_not_editable", "这些字段不能修改：" + "、".join(sorted(unknown)),
            "These fields cannot be changed: " + ", ".join(sorted(unknown)), fields=sorted(unknown),
        )
    with transaction.atomic():
        government = Government.objects.select_for_update().get(pk=government.pk)
        if actor is not None:
            policy.require(actor, "list.correct", government)
        before = snapshot(government)
        before["tags"] = sorted(government.tags.values_list("slug", flat=True))
        if "name" in changes:
            name = (changes["name"] or "").strip()
            if not name:
                raise InvalidInput("name_required", "请填写名称。", "A name is required.")
            government.name = name
        if "kind" in changes:
            government.kind = changes["kind"] or ""
        if "aliases" in changes:
            government.aliases = _clean_aliases(changes["aliases"])
        if "assessment_type" in changes:
            value = changes["assessment_type"] or ""
            if value and value not in AssessmentType.values:
                raise InvalidInput("invalid_assessment_type", "考核类型无效。", "Unknown assessment type.")
            government.assessment_type = value
        government.search_text = _search_text(government.name, government.aliases)
        government.save()
        if "tags" in changes:
            government.tags.set(_tags(changes["tags"]))
        after = snapshot(government)
        after["tags"] = sorted(government.tags.values_list("slug", flat=True))
        record("government.update", government, actor=actor, actor_name=actor_name, before=before, after=after,
               reason=reason, government=government)
    return government


def create_department(
    *,
    government: Government,
    name: str,
    kind: str = DepartmentKind.DEPARTMENT,
    code: str = "",
    upper_department: Department | None = None,
    credit_code: str = "",
    approvals_concentrated: bool = False,
    actor=None,
    actor_name: str = "",
    reason: str = "",
) -> Department:
    """Add a department, stationed agency or service centre to a government."""
    credit_code = _credit_code(credit_code)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name_required", "请填写名称。", "A name is required.")
    if kind not in DepartmentKind.values:
        raise InvalidInput("invalid_department_kind", "部门类型无效。", "Unknown department kind.", kind=kind)
    if kind == DepartmentKind.STATIONED_AGENCY:
        if upper_department is None:
            raise RuleViolation(
                "stationed_agency_needs_upper", "派驻机构必须指明派出的上级部门。",
                "A stationed agency must name the upper department that stations it.",
            )
        if not (government.is_within(upper_department.government) and government != upper_department.government):
            raise RuleViolation(
                "stationed_outside_territory", "派驻机构只能派驻到派出部门所属政府的辖区内。",
                "A stationed agency sits inside the territory of its upper department's government.",
            )
    elif upper_department is not None:
        raise RuleViolation(
            "upper_only_for_stationed", "只有派驻机构才有派出部门。", "Only a stationed agency has an upper department."
        )
    if actor is not None:
        policy.require(actor, "list.correct", government)
    department = Department(government=government, name=name, kind=kind, code=code, upper_department=upper_department,
                            credit_code=credit_code, approvals_concentrated=bool(approvals_concentrated))
    try:
        with transaction.atomic():
            department.save()
            record("department.create", department, actor=actor, actor_name=actor_name, after=snapshot(department),
                   reason=reason, government=government)
    except IntegrityError as exc:
        raise Conflict(
            "department_exists", "该政府已有同名部门。", "This government already has a department of that name.", name=name
        ) from exc
    return department


def _credit_code(value) -> str:
    from ..standard_codes import is_valid_credit_code

    value = (value or "").strip().upper() if isinstance(value, str | type(None)) else value
    if not isinstance(value, str):
        raise InvalidInput("invalid_credit_code", "统一社会信用代码必须是文字。", "A credit code must be text.")
    if value and not is_valid_credit_code(value):
        raise InvalidInput("invalid_credit_code", f"统一社会信用代码“{value[:20]}”无效（应为18位，末位为校验码）。",
                           f"The unified social credit code “{value[:20]}” is not valid (18 characters, the last "
                           f"a check character).", credit_code=value[:20])
    return value


def _check_approvals_concentrated(department: Department) -> None:
    """Turning 三集中 on: the department's current licensing items must already sit in one division."""
    from ..models import Category, PowerItem

    divisions = list(
        PowerItem.objects.filter(department=department, category=Category.LICENSING, cancelled_on__isnull=True,
                                 replaced_on__isnull=True)
        .values_list("division__name", flat=True).distinct()[:3]
    )
    if None in divisions:
        raise RuleViolation("approvals_not_concentrated",
                            f"{department.name}有未指定承办处室的行政许可事项，请先全部划入审批处室。",
                            f"Some licensing items of {department.name} name no division; assign them all to the "
                            f"approvals division first.", department=department.pk)
    if len(divisions) > 1:
        raise RuleViolation("approvals_not_concentrated",
                            f"{department.name}的行政许可事项分散在{'、'.join(divisions)}等处室，请先集中到一个处室。",
                            f"{department.name}'s licensing items are spread over {', '.join(divisions)}; "
                            f"concentrate them in one division first.", divisions=divisions)


def update_department(department: Department, *, actor=None, actor_name: str = "", reason: str = "", **changes):
    """Correct a department's name, code or credit code, or turn 三集中 (approvals in one division) on or off."""
    unknown = set(changes) - {"name", "code", "credit_code", "approvals_concentrated"}
    if unknown:
        raise InvalidInput("field_not_editable", "这些字段不能修改：" + "、".join(sorted(unknown)),
                           "These fields cannot be changed: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    try:
        with transaction.atomic():
            department = Department.objects.select_for_update(of=("self",)).select_related("government").get(
                pk=department.pk
            )
            if actor is not None:
                policy.require(actor, "list.correct", department.government)
            before = snapshot(department)
            if "name" in changes:
                name = (changes["name"] or "").strip()
                if not name:
                    raise InvalidInput("name_required", "请填写名称。", "A name is required.")
                department.name = name
            if "code" in changes:
                department.code = changes["code"] or ""
            if "credit_code" in changes:
                department.credit_code = _credit_code(changes["credit_code"])
            if "approvals_concentrated" in changes:
                department.approvals_concentrated = bool(changes["approvals_concentrated"])
                if department.approvals_concentrated and not before["approvals_concentrated"]:
                    _check_approvals_concentrated(department)
            department.save()
            record("department.update", department, actor=actor, actor_name=actor_name, before=before,
                   after=snapshot(department), reason=reason, government=department.government)
    except IntegrityError as exc:
        raise Conflict("department_exists", "该政府已有同名部门。",
                       "This government already has a department of that name.") from exc
    return department


def create_division(
    *, department: Department, name: str, module: str = "", actor=None, actor_name: str = "", reason: str = ""
) -> Division:
    """Add an internal division (处室) to a department, optionally in a functional module (职能模块)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name_required", "请填写名称。", "A name is required.")
    if actor is not None:
        policy.require(actor, "list.correct", department.government)
    division = Division(department=department, name=name, module=(module or "").strip())
    try:
        with transaction.atomic():
            division.save()
            record("division.create", division, actor=actor, actor_name=actor_name, after=snapshot(division),
                   reason=reason, government=department.government)
    except IntegrityError as exc:
        raise Conflict("division_exists", "该部门已有同名处室。",
                       "This department already has a division of that name.", name=name) from exc
    return division


def update_division(division: Division, *, actor=None, actor_name: str = "", reason: str = "", **changes):
    """Correct a division's name or module."""
    unknown = set(changes) - {"name", "module"}
    if unknown:
        raise InvalidInput("field_not_editable", "这些字段不能修改：" + "、".join(sorted(unknown)),
                           "These fields cannot be changed: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    try:
        with transaction.atomic():
            division = (
                Division.objects.select_for_update(of=("self",)).select_related("department__government")
                .get(pk=division.pk)
            )
            if actor is not None:
                policy.require(actor, "list.correct", division.department.government)
            before = snapshot(division)
            if "name" in changes:
                name = (changes["name"] or "").strip()
                if not name:
                    raise InvalidInput("name_required", "请填写名称。", "A name is required.")
                division.name = name
            if "module" in changes:
                division.module = (changes["module"] or "").strip()
            division.save()
            record("division.update", division, actor=actor, actor_name=actor_name, before=before,
                   after=snapshot(division), reason=reason, government=division.department.government)
    except IntegrityError as exc:
        raise Conflict("division_exists", "该部门已有同名处室。",
                       "This department already has a division of that name.") from exc
    return division
