"""Public pages (no login): the government tree, a government's list on a date and its exports, an item
and its history, the difference between two dates, where powers sit, and a department's 权责一览表.

Every page reads through powerlists.queries (or, for what they do not offer, a few ORM reads here) and
makes a bounded number of queries whatever the size of the list. Bad parameters never give a 500:
the page says what was wrong (status 400) and shows the default in its place.
"""
from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, Max, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from ... import policy, standard_codes
from ...audit_chain import events_verify
from ...models import (
    Arrangement,
    AuditEvent,
    BasisRole,
    Batch,
    BatchState,
    Category,
    Department,
    Exercise,
    Government,
    Initiation,
    LegalBasis,
    Method,
    Origin,
    PowerItem,
    ProcessingStep,
    Role,
    Tier,
    Transfer,
    TransferKind,
    TransferParty,
    TransferState,
    in_force_q,
)
from ...queries import ancestors, children, diff, list_queryset, subtree, within_q
from ...queries.departments import responsibilities_table
from ...queries.lists import LIST_FIELDS, arrangement_expression
from ...queries.tree import path_prefix_q
from ...spreadsheets import EXPORT_COLUMNS, LIST_EXPORT_ITEM_FIELDS, list_cells, write_csv, write_xlsx
from .public_chart import bar_chart
from .public_params import GROUPS, Params, a_year_before, list_filters

SEARCH_LIMIT = 100
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
ROW_FIELDS = (*LIST_FIELDS, "shared_by__name")
EXPORT_FIELDS = (*ROW_FIELDS, *LIST_EXPORT_ITEM_FIELDS)


# --- helpers -------------------------------------------------------------------------------------------


def _page(request, template: str, context: dict, params: Params | None = None):
    problems = params.problems if params is not None else []
    context = {**context, "problems": problems}
    return render(request, template, context, status=400 if problems else 200)


def _crumb(label, url=None) -> dict:
    return {"label": label, "url": url}


def _government_crumbs(government: Government, chain: list[Government], *extra) -> list[dict]:
    crumbs = [_crumb(g.name, reverse("government", args=[g.code])) for g in chain]
    crumbs.append(_crumb(government.name, reverse("government", args=[government.code])))
    return crumbs + list(extra)


def _government(code: str) -> Government:
    return get_object_or_404(Government, code=code)


def _category_label(value: str) -> str:
    return str(Category(value).label) if value in Category.values else value


def _arrangement_label(value: str) -> str:
    return str(Arrangement(value).label) if value in Arrangement.values else value


def _decorate(row: dict, own_code: str = "") -> dict:
    """Labels a template shows for one row of a list; ``from_name`` is empty for the government's own."""
    row["category_label"] = _category_label(row["item__category"])
    row["arrangement_label"] = _arrangement_label(row["arrangement"])
    if row["role"] == Role.RECEIVER:
        row["from_name"] = row["source__government__name"]
    elif row["role"] in (Role.LEAD, Role.SUPPORT) and row["shared_by__code"] != own_code:
        row["from_name"] = row.get("shared_by__name") or row["shared_by__code"]
    else:
        row["from_name"] = ""
    return row


def _group_rows(rows: list[dict], by: str) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["item__category"] if by == "category" else (row["item__field"] or "")].append(row)
    if by == "category":
        order = {value: index for index, value in enumerate(Category.values)}
        keys = sorted(groups, key=lambda k: (order.get(k, len(order)), k))
    else:
        keys = sorted(groups, key=lambda k: (k == "", k))
    out = []
    for index, key in enumerate(keys):
        if by == "category":
            label = _category_label(key)
        else:
            label = key or _("（未填写领域）")
        out.append({"key": key, "label": label, "rows": groups[key], "count": len(groups[key]),
                    "anchor": f"group-{index + 1}"})
    return out


def _query(**values) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


# --- 1. the government tree -------------------------------------------------------------------------------


def _with_power_counts(queryset, day: datetime.date):
    return queryset.annotate(powers=Count("exercises", filter=in_force_q(day, "exercises__")))


def home(request):
    """Top-level governments with their children, or the governments whose name or alias matches ``q``."""
    params = Params(request)
    q = params.text("q")
    today = timezone.localdate()
    context = {"today": today, "q": q, "crumbs": []}
    if q:
        found = Government.objects.all()
        for term in q.split():
            found = found.filter(Q(search_text__icontains=term) | Q(code__startswith=term))
        found = list(_with_power_counts(found.order_by("path"), today)[: SEARCH_LIMIT + 1])
        context["truncated"] = len(found) > SEARCH_LIMIT
        found = found[:SEARCH_LIMIT]
        codes = {c for g in found for c in g.ancestor_codes}
        names = dict(Government.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
        for g in found:
            g.chain = [names[c] for c in g.ancestor_codes if c in names]
        context["results"] = found
    else:
        roots = list(_with_power_counts(Government.objects.filter(parent__isnull=True).order_by("code"), today))
        kids = defaultdict(list)
        if roots:
            below = _with_power_counts(Government.objects.filter(parent__in=roots).order_by("code"), today)
            for child in below:
                kids[child.parent_id].append(child)
        for root in roots:
            root.kids = kids[root.pk]
        context["roots"] = roots
        context["government_count"] = Government.objects.count()
        context["item_count"] = PowerItem.objects.filter(
            Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=today),
            Q(replaced_on__isnull=True) | Q(replaced_on__gt=today),
        ).count()
    return _page(request, "web/public/home.html", context, params)


# --- 2. a government's list ---------------------------------------------------------------------------


def _list_request(request, government: Government):
    params = Params(request)
    today = timezone.localdate()
    day = params.date("date", today)
    filters = list_filters(params)
    return params, day, filters


def government(request, code: str):
    """The government's list on a date, grouped by category or field, filtered and searched."""
    government = _government(code)
    params, day, filters = _list_request(request, government)
    group = params.choice("group", GROUPS, "category")
    chain = ancestors(government)
    rows = [_decorate(r, government.code) for r in list_queryset(government, day, **filters).values(*ROW_FIELDS)]
    departments = list(Department.objects.filter(government=government).order_by("name").values("id", "name"))
    fields = list(
        Exercise.objects.filter(in_force_q(day), government=government).exclude(item__field="")
        .order_by("item__field").values_list("item__field", flat=True).distinct()
    )
    if filters["field"] and filters["field"] not in fields:
        fields.append(filters["field"])
    kids = list(children(government))
    export_query = _query(date=day.isoformat(), category=filters["category"], field=filters["field"],
                          arrangement=filters["arrangement"], department=filters["department"], q=filters["search"])
    filtered = any(filters.values())
    context = {
        "government": government, "day": day, "today": timezone.localdate(), "group": group,
        "filters": filters, "filtered": filtered, "rows": rows, "groups": _group_rows(rows, group),
        "total": len(rows), "departments": departments, "fields": fields, "children": kids,
        "ancestors": chain, "categories": Category.choices, "arrangements": Arrangement.choices,
        "crumbs": _government_crumbs(government, chain),
        "xlsx_url": reverse("government-export", args=[government.code, "xlsx"]) + "?" + export_query,
        "csv_url": reverse("government-export", args=[government.code, "csv"]) + "?" + export_query,
        # An editor of this government ticks items and proposes one change for them all (views/bulk.py).
        "may_propose": policy.has_role(request.user, policy.EDITOR, government),
    }
    return _page(request, "web/public/government.html", context, params)


def government_export(request, code: str, fmt: str):
    """Exactly the rows of the list page with the same date and filters, as XLSX or CSV."""
    government = _government(code)
    params, day, filters = _list_request(request, government)
    if params.problems:
        return HttpResponse("\n".join(params.problems) + "\n", status=400, content_type="text/plain; charset=utf-8")
    rows = list_queryset(government, day, **filters).values(*EXPORT_FIELDS)
    records = [list_cells(r) for r in rows]
    filename = f"{government.code}-{day.isoformat()}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(write_xlsx(records, EXPORT_COLUMNS, title=government.name), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(write_csv(records, EXPORT_COLUMNS), content_type=CSV_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- 3. an item ---------------------------------------------------------------------------------------------

def _status_label(status: str) -> str:
    return {"active": _("现行"), "cancelled": _("已取消"), "replaced": _("已调整")}.get(status, status)


def _gov_link(government: Government | None) -> dict | None:
    if government is None:
        return None
    return {"label": government.name, "url": reverse("government", args=[government.code])}


def _batch_text(batch: Batch | None) -> str:
    if batch is None:
        return ""
    parts = [f"《{batch.title}》"]
    if batch.number:
        parts.append(batch.number)
    if batch.round_no:
        parts.append(_("第 %(round)d 轮") % {"round": batch.round_no})
    return " ".join(parts)


def _event(t: Transfer, item: PowerItem) -> dict:
    """One entry of an item's timeline, from one effective transfer."""
    giver, receiver = t.giver.name, t.receiver.name if t.receiver else ""
    details = []
    if t.kind == TransferKind.DEVOLVE:
        summary = _("%(giver)s 将该事项下放给 %(receiver)s") % {"giver": giver, "receiver": receiver}
        if t.receiving_department:
            details.append({"label": _("承接单位"), "value": t.receiving_department.name,
                            "url": reverse("department", args=[t.receiving_department_id])})
        if t.method:
            details.append({"label": _("下放方式"), "value": str(Method(t.method).label)})
    elif t.kind == TransferKind.RECALL:
        if t.receiver:
            summary = _("%(giver)s 从 %(receiver)s 收回该事项") % {"giver": giver, "receiver": receiver}
        else:
            summary = _("%(giver)s 结束该事项的共有安排，恢复独自行使") % {"giver": giver}
    elif t.kind == TransferKind.SHARE:
        summary = _("%(giver)s 将该事项设为共有事权") % {"giver": giver}
        for party in t.parties.all():
            details.append({
                "label": str(Role(party.role).label),
                "value": _("%(government)s，财权分配占比 %(share)s%%")
                % {"government": party.government.name, "share": f"{party.fiscal_share:.2f}"},
                "url": reverse("government", args=[party.government.code]),
            })
    elif t.kind == TransferKind.CANCEL:
        summary = _("%(giver)s 取消该事项") % {"giver": giver}
    else:
        old, new = t.item.name, t.result_item.name if t.result_item else t.item.name
        if old != new:
            summary = _("%(giver)s 调整该事项：“%(old)s” → “%(new)s”") % {"giver": giver, "old": old, "new": new}
        else:
            summary = _("%(giver)s 调整该事项") % {"giver": giver}
        changed = sorted((t.changes or {}).keys())
        if changed:
            labels = [str(PowerItem._meta.get_field(name).verbose_name) for name in changed
                      if name in {f.name for f in PowerItem._meta.fields}]
            details.append({"label": _("调整内容"), "value": "、".join(labels)})
        other = t.result_item if t.item_id == item.pk else t.item
        if other is not None and other.pk != item.pk:
            details.append({"label": _("调整后事项") if other is t.result_item else _("调整前事项"),
                            "value": f"{other.code} {other.name}", "url": reverse("item", args=[other.pk])})
    if t.origin and t.kind in (TransferKind.DEVOLVE, TransferKind.RECALL):
        details.append({"label": _("来源"), "value": str(Origin(t.origin).label)})
    if t.staff_posts:
        details.append({"label": _("划转编制数"), "value": str(t.staff_posts)})
    if t.reason:
        details.append({"label": _("理由"), "value": t.reason})
    return {"date": t.effective_on, "kind": t.kind, "kind_label": str(TransferKind(t.kind).label),
            "summary": summary, "batch": _batch_text(t.batch), "details": details,
            "giver": _gov_link(t.giver), "receiver": _gov_link(t.receiver)}


def item(request, pk: str):
    """All of an item's fields, who exercises it where on a date, and its history."""
    item = get_object_or_404(
        PowerItem.objects.select_related("government", "department", "division", "parent", "replaced_by"), pk=pk
    )
    params = Params(request)
    today = timezone.localdate()
    day = params.date("date", today)
    exercises = list(
        Exercise.objects.filter(in_force_q(day), item=item).annotate(arrangement=arrangement_expression(day))
        .select_related("government", "department", "division", "source__government", "shared_by")
        .order_by("government__path", "id")
    )
    for row in exercises:
        row.arrangement_label = _arrangement_label(row.arrangement)
    sub_items = list(PowerItem.objects.filter(parent=item).order_by("code", "id"))
    predecessors = list(PowerItem.objects.filter(replaced_by=item).order_by("replaced_on", "id"))
    transfers = (
        Transfer.objects.filter(Q(item=item) | Q(result_item=item), state=TransferState.EFFECTIVE)
        .select_related("batch", "giver", "receiver", "receiving_department", "item", "result_item")
        .prefetch_related(Prefetch("parties", queryset=TransferParty.objects.select_related("government")
                                   .order_by("role", "id")))
        .order_by("effective_on", "id")
    )
    timeline = []
    first = (Exercise.objects.filter(item=item, transfer__isnull=True).select_related("government")
             .order_by("valid_from", "id").first())
    if first is not None:
        timeline.append({"date": first.valid_from, "kind": "listed", "kind_label": _("列入清单"),
                         "summary": _("%(government)s 开始行使该事项") % {"government": first.government.name},
                         "batch": "", "details": [], "giver": _gov_link(first.government), "receiver": None})
    timeline.extend(_event(t, item) for t in transfers)
    for row in exercises:  # 实施编码: as recorded, else the exercising body's credit code + its level + the basic code
        row.implementing_code = row.implementing_code or standard_codes.implementing_code(
            row.department.credit_code if row.department else "", row.government.tier, item.basic_code)
    chain = ancestors(item.government, include_self=True)
    crumbs = [_crumb(g.name, reverse("government", args=[g.code])) for g in chain]
    crumbs.append(_crumb(item.name))
    bases = list(LegalBasis.objects.filter(item=item).select_related("law").order_by("position", "id"))
    context = {
        "standard": _standard_fields(item, bases),
        "item": item, "day": day, "today": today, "exercises": exercises, "sub_items": sub_items,
        "predecessors": predecessors, "timeline": timeline, "crumbs": crumbs,
        "status": _status_label(item.status_on(day)),
        "category_label": _category_label(item.category),
        "lowest_tier_label": str(Tier(item.lowest_tier).label) if item.lowest_tier in Tier.values else "",
        "history_verified": events_verify(AuditEvent.objects.filter(item=item)),
    }
    return _page(request, "web/public/item.html", context, params)


def _level_name(level: int) -> str:
    """A national level code as the page names it (市级, 县（区）级 …)."""
    names = {1: pgettext("level", "国家级"), 2: pgettext("level", "省级"), 3: pgettext("level", "市级"),
             4: pgettext("level", "县（区）级"), 5: pgettext("level", "乡镇（街道）"), 6: pgettext("level", "村（社区）")}
    return names.get(level, str(level))


STEP_ORDER = (ProcessingStep.PRELIMINARY, ProcessingStep.REVIEW, ProcessingStep.DECISION, ProcessingStep.FILING)


def _step_label(step: str) -> str:
    labels = {ProcessingStep.PRELIMINARY: pgettext("processing step", "初审"),
              ProcessingStep.REVIEW: pgettext("processing step", "审核"),
              ProcessingStep.DECISION: pgettext("processing step", "决定"),
              ProcessingStep.FILING: pgettext("processing step", "备案")}
    return labels.get(step, step)


def processing_sentence(levels: list[int], steps: list[dict]) -> str:
    """Multi-level processing in words, with the rule that a step a level does not list is not needed there
    (哈尔滨's 多级办理): ``市级审核、决定，无需县（区）级初审，无需报上级备案。``

    ``steps`` are in processing order; ``levels`` the item's 行使层级. Empty when there are no steps."""
    if not steps:
        return ""
    parts: list[str] = []
    run_level, run_steps = None, []

    def close_run():
        if run_steps:
            parts.append(_("%(level)s%(steps)s") % {"level": _level_name(run_level),
                                                    "steps": _("、").join(run_steps)})

    for s in steps:
        if s["step"] == ProcessingStep.FILING:
            close_run()
            run_level, run_steps = None, []
            parts.append(_("报%(level)s备案") % {"level": _level_name(s["level"])})
        elif s["level"] == run_level:
            run_steps.append(_step_label(s["step"]))
        else:
            close_run()
            run_level, run_steps = s["level"], [_step_label(s["step"])]
    close_run()
    decision = next((s for s in steps if s["step"] == ProcessingStep.DECISION), None)
    if decision is not None:
        involved = set(levels or []) | {s["level"] for s in steps}
        with_preliminary = {s["level"] for s in steps if s["step"] == ProcessingStep.PRELIMINARY}
        below = sorted(level for level in involved if level > decision["level"] and level not in with_preliminary)
        if below:
            parts.append(_("无需%(levels)s初审") % {"levels": _("、").join(_level_name(level) for level in below)})
        if not any(s["step"] == ProcessingStep.FILING for s in steps):
            parts.append(_("无需报上级备案"))
    return _("，").join(parts) + _("。")


def _standard_fields(item: PowerItem, bases: list) -> dict:
    """The standard fields of a 权责清单 item as the page shows them (blank ones left out)."""
    order = {step: index for index, step in enumerate(STEP_ORDER)}
    raw = sorted((s for s in item.processing_steps or [] if isinstance(s, dict) and s.get("step") in order),
                 key=lambda s: (order[s["step"]], -int(s.get("level") or 0)))
    steps = [{"label": _("%(level)s%(steps)s") % {"level": _level_name(s["level"]), "steps": _step_label(s["step"])},
              "kind": s["step"], "note": s.get("note", "")} for s in raw]
    return {
        "levels": _("、").join(_level_name(level) for level in sorted(item.levels or [])),
        "initiation": str(Initiation(item.initiation).label) if item.initiation in Initiation.values else "",
        "steps": steps, "step_sentence": processing_sentence(item.levels or [], raw),
        "setting": [b for b in bases if b.role == BasisRole.SETTING],
        "implementing": [b for b in bases if b.role == BasisRole.IMPLEMENTING],
    }


# --- 4. the difference between two dates ----------------------------------------------------------------


def _changes(old: dict, new: dict) -> list[dict]:
    labels = {
        "item__name": _("事项名称"), "item__category": _("权力类别"), "arrangement": _("行使方式"),
        "department__name": _("实施部门/承接单位"), "method": _("下放方式"), "fiscal_share": _("财权分配占比（%）"),
    }
    out = []
    for key, label in labels.items():
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "item__category":
            a, b = _category_label(a), _category_label(b)
        elif key == "arrangement":
            a, b = _arrangement_label(a), _arrangement_label(b)
        elif key == "method":
            a = str(Method(a).label) if a in Method.values else (a or "")
            b = str(Method(b).label) if b in Method.values else (b or "")
        out.append({"label": label, "before": "" if a is None else a, "after": "" if b is None else b})
    return out


def government_diff(request, code: str):
    """What was added to, removed from and changed in the list between two dates."""
    government = _government(code)
    params = Params(request)
    today = timezone.localdate()
    date_to = params.date("to", today)
    date_from = params.date("from", a_year_before(date_to))
    context = diff_context(government, date_from, date_to)
    context["crumbs"] = _government_crumbs(government, ancestors(government), _crumb(_("清单变化")))
    return _page(request, "web/public/diff.html", context, params)


def diff_context(government: Government, date_from: datetime.date, date_to: datetime.date) -> dict:
    """What the diff page shows between two dates (also two editions compared: views/editions.py)."""
    result = diff(government, date_from, date_to)
    for row in result.added + result.removed:
        _decorate(row, government.code)
    changed = []
    for old, new in result.changed:
        _decorate(old, government.code)
        _decorate(new, government.code)
        changed.append({"before": old, "after": new, "changes": _changes(old, new)})
    return {"government": government, "date_from": date_from, "date_to": date_to, "result": result,
            "changed": changed}


# --- 5. where powers sit ------------------------------------------------------------------------------------


NOT_EXERCISED = (Arrangement.DEVOLVED_OUT, Arrangement.SHARED_OUT)


def exercised_per_tier(government: Government, day: datetime.date) -> dict[int, int]:
    """Distinct items exercised at each tier of ``government``'s subtree on ``day``. One query.

    Unlike ``queries.tier_counts`` a government's rows for items it has devolved (or made shared
    without being a party) are left out: it keeps the row in its list but no longer exercises the power.
    """
    rows = (
        Exercise.objects.filter(in_force_q(day), within_q(government))
        .annotate(arrangement=arrangement_expression(day)).exclude(arrangement__in=NOT_EXERCISED)
        .values("government__tier").annotate(items=Count("item", distinct=True)).order_by("government__tier")
    )
    return {r["government__tier"]: r["items"] for r in rows}


def government_chart(request, code: str):
    """Distinct powers exercised at each tier of the subtree, the day before a date and on it."""
    government = _government(code)
    params = Params(request)
    today = timezone.localdate()
    batches = list(
        Batch.objects.filter(path_prefix_q(government.path, "issuer__path"), state=BatchState.EFFECTIVE)
        .order_by("-effective_on", "-id").values("effective_on", "title", "number", "issuer__name")[:10]
    )
    default = next((b["effective_on"] for b in batches if b["effective_on"] <= today), today)
    day = params.date("date", default)
    before_day = params.date("before", None)
    if before_day is not None and before_day >= day:
        params.problems.append(_("“之前”的日期应早于所选日期。"))
        before_day = None
    if before_day is None:
        before_day = day - datetime.timedelta(days=1)
    before, after = exercised_per_tier(government, before_day), exercised_per_tier(government, day)
    deepest = subtree(government).aggregate(deepest=Max("tier"))["deepest"] or government.tier
    lowest = max([deepest, *before, *after])
    rows = []
    for tier in range(government.tier, lowest + 1):
        rows.append({"tier": tier, "label": str(Tier(tier).label), "before": before.get(tier, 0),
                     "after": after.get(tier, 0), "change": after.get(tier, 0) - before.get(tier, 0)})
    before_label, after_label = _("之前"), _("之后")
    chain = ancestors(government)
    seen, batch_dates = set(), []
    for b in batches:
        if b["effective_on"] not in seen:
            seen.add(b["effective_on"])
            batch_dates.append(b)
    context = {
        "government": government, "day": day, "before_day": before_day, "rows": rows,
        "custom_before": before_day != day - datetime.timedelta(days=1),
        "chart": bar_chart(rows, before_label, after_label), "before_label": before_label,
        "after_label": after_label, "batches": batch_dates,
        "total_before": sum(r["before"] for r in rows), "total_after": sum(r["after"] for r in rows),
        "crumbs": _government_crumbs(government, chain, _crumb(_("权力分布"))),
    }
    return _page(request, "web/public/chart.html", context, params)


# --- 6. a department's 权责一览表 ---------------------------------------------------------------------------


def department(request, pk: str):
    """The department's divisions, grouped by module, and the items and responsibilities each handles."""
    department = get_object_or_404(Department.objects.select_related("government", "upper_department"), pk=pk)
    params = Params(request)
    today = timezone.localdate()
    day = params.date("date", today)
    table = responsibilities_table(department, day)
    modules: dict[str, list[dict]] = defaultdict(list)
    for division in table["divisions"]:
        for entry in division["items"]:
            entry["category_label"] = _category_label(entry["category"])
        modules[division["module"]].append(division)
    grouped = [{"module": module or _("（未分模块）"), "divisions": divisions}
               for module, divisions in sorted(modules.items(), key=lambda kv: (kv[0] == "", kv[0]))]
    undivided = [
        _decorate(r, department.government.code) for r in
        list_queryset(department.government, day, department=department.pk).filter(division__isnull=True)
        .values(*ROW_FIELDS)
    ]
    chain = ancestors(department.government, include_self=True)
    crumbs = [_crumb(g.name, reverse("government", args=[g.code])) for g in chain]
    crumbs.append(_crumb(department.name))
    context = {
        "department": department, "day": day, "today": today, "modules": grouped,
        "item_count": table["item_count"], "division_count": len(table["divisions"]),
        "undivided": undivided, "crumbs": crumbs,
    }
    return _page(request, "web/public/department.html", context, params)
