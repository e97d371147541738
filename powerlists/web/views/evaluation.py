"""The evaluation of devolved powers (评估) on the web: rounds, their report and chart, their results
with the rule and figures behind each, decisions, and the follow-up batch.

Reading is public and filtered by the one policy (``policy.visible_rounds``): a confirmed round is
public, a round in progress is seen by those with a role in its territory; nobody's name is shown to
an anonymous visitor. Every change — opening, running, deciding, following up — is a POST to the
workspace (login required) that calls ``services.evaluation``; buttons and forms appear only when the
policy allows them. Every page makes a bounded number of queries whatever the size of the round.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ... import policy
from ...models import (
    AssessmentType,
    AuditEvent,
    EvaluationCategory,
    EvaluationResult,
    EvaluationRound,
    RoundState,
)
from ...queries.evaluation import category_expression, promotable_share, results_queryset, round_report
from ...services import DomainError
from ...services import evaluation as evaluation_service
from ...spreadsheets_evaluation import figure_lines, report_result_values, rule_label, write_report_xlsx
from .evaluation_chart import stacked_chart
from .evaluation_forms import RULE_HELP, RULE_LABELS, RULE_ORDER, DecideForm, FollowUpForm, RoundForm
from .public_params import Params
from .redirects import safe_next

ROUNDS_PER_PAGE = 50
RESULTS_PER_PAGE = 50
CHART_LIMIT = 40  # bars in the chart; the table below it and the XLSX hold every town
TOWN_TABLE_LIMIT = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DECISION_STATES = ("decided", "undecided")
RESULT_RELATED = ("government__parent",)
HISTORY_LABELS = {
    "evaluation.confirm": gettext_lazy("确认建议"),
    "evaluation.override": gettext_lazy("改变建议"),
    "evaluation.follow_up": gettext_lazy("生成后续处理"),
}


# --- helpers ---------------------------------------------------------------------------------------------


def crumbs(*pairs):
    return [{"label": label, "url": url} for label, url in pairs]


def _rounds_crumb():
    return (_("评估"), reverse("evaluation-rounds"))


def _round_crumb(rnd):
    return (rnd.name, reverse("evaluation-round", args=[rnd.pk]))


def _visible_round(request, pk) -> EvaluationRound:
    return get_object_or_404(policy.visible_rounds(request.user), pk=pk)


def _category_labels() -> dict[str, str]:
    return {c.value: str(c.label) for c in EvaluationCategory}


def _rules(rnd) -> dict:
    return {name: rnd.rule(name) for name in RULE_ORDER}


def _rule_rows(rnd) -> list[dict]:
    rows = []
    for name in RULE_ORDER:
        value = rnd.rule(name)
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        rows.append({"name": name, "label": RULE_LABELS[name], "value": value, "help": RULE_HELP[name]})
    return rows


def _may(user, action, target) -> bool:
    return policy.is_active_user(user) and policy.may(user, action, target)


def _pending_follow_up(report) -> int:
    """Decided results that no follow-up has dealt with yet (no transfer and no note)."""
    return sum(r["decided"] - r["follow_up"] - r["noted_only"] for r in report.by_category)


# --- 1. the rounds ---------------------------------------------------------------------------------------


def rounds(request):
    """The rounds the visitor may read, newest period first."""
    params = Params(request)
    page_number = params.ident("page") or 1
    queryset = policy.visible_rounds(request.user).order_by("-period_end", "-id")
    page = Paginator(queryset, ROUNDS_PER_PAGE).get_page(page_number)
    context = {
        "page": page, "rounds": list(page.object_list), "problems": params.problems,
        "signed_in": request.user.is_authenticated,
        "crumbs": crumbs((_("评估"), None)),
    }
    return render(request, "web/evaluation/rounds.html", context, status=400 if params.problems else 200)


# --- 2. a round: summary, rules, report, chart ------------------------------------------------------------


def _chart_rows(report, by: str) -> list[dict]:
    if by == "type":
        return [{**r, "label": r["label"] or _("（未分类）")} for r in report.by_assessment_type]
    return [{**r, "label": r["name"]} for r in report.by_town[:CHART_LIMIT]]


def _round_page(request, rnd, *, follow_up_form=None, error=None, status=200):
    user = request.user
    params = Params(request)
    report = round_report(rnd)
    has_types = any(r["assessment_type"] for r in report.by_assessment_type)
    chart_by = params.choice("chart", ("town", "type"), "type" if has_types else "town")
    labels = _category_labels()
    type_labels = dict(AssessmentType.choices)
    for row in report.by_town:
        row["assessment_label"] = type_labels.get(row["assessment_type"], "")
    for row in report.by_assessment_type:
        row["share"] = promotable_share(row)
    pending = _pending_follow_up(report)
    buttons = {
        "run": rnd.state != RoundState.CONFIRMED and _may(user, "evaluation.run", rnd),
        "follow_up": pending > 0 and _may(user, "evaluation.follow_up", rnd),
    }
    chart_rows = _chart_rows(report, chart_by)
    context = {
        "round": rnd, "report": report, "rules": _rule_rows(rnd), "buttons": buttons, "pending": pending,
        "chart": stacked_chart(chart_rows, labels) if report.totals["results"] else None,
        "chart_rows": chart_rows, "chart_by": chart_by, "has_types": has_types, "chart_limit": CHART_LIMIT,
        "chart_truncated": chart_by == "town" and len(report.by_town) > CHART_LIMIT,
        "towns": report.by_town[:TOWN_TABLE_LIMIT], "towns_truncated": len(report.by_town) > TOWN_TABLE_LIMIT,
        "categories": [(c.value, str(c.label)) for c in EvaluationCategory], "labels": labels,
        "follow_up_form": follow_up_form or FollowUpForm(), "error": error, "problems": params.problems,
        "show_people": user.is_authenticated,
        "crumbs": crumbs(_rounds_crumb(), (rnd.name, None)),
    }
    if params.problems and status == 200:
        status = 400
    return render(request, "web/evaluation/round.html", context, status=status)


def round_detail(request, pk):
    return _round_page(request, _visible_round(request, pk))


def round_report_xlsx(request, pk):
    """The round's report as an XLSX workbook: the page's counts and every result in detail."""
    rnd = _visible_round(request, pk)
    report = round_report(rnd)
    body = write_report_xlsx(report, report_result_values(results_queryset(rnd)),
                             include_people=request.user.is_authenticated)
    response = HttpResponse(body, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="evaluation-{rnd.pk}.xlsx"'
    return response


# --- 3. the results ---------------------------------------------------------------------------------------


def _result_filters(params: Params) -> dict:
    return {
        "category": params.choice("category", EvaluationCategory.values),
        "state": params.choice("state", DECISION_STATES),
        "town": params.text("town", 20),
        "field": params.text("field", 50),
    }


def _decorate(result, rnd, user, rules, labels) -> None:
    """What a row shows: labels, the figures in words, and whether this user may decide it."""
    result.round = rnd  # already read, with its scope government: the policy asks no more queries
    result.rule_label = rule_label(result.rule)
    result.figure_lines = figure_lines(result.figures, rules)
    result.other_rules = [rule_label(code) for code in (result.figures or {}).get("rules_applied", [])
                          if code != result.rule]
    result.suggested_label = labels.get(result.suggested, result.suggested)
    result.decision_label = labels.get(result.decision, "")
    result.overridden = bool(result.decision) and result.decision != result.suggested
    result.may_decide = not result.decision and _may(user, "evaluation.decide", result)
    result.other_categories = [(c, label) for c, label in labels.items() if c != result.suggested]


def _result_instances(rnd):
    """``queries.evaluation.results_queryset`` as model instances. Its annotation is named ``category``,
    which collides with ``EvaluationResult.category`` (a read-only property) when rows become instances,
    so the same query is built here with the decided-else-suggested category as ``final_category``."""
    return (
        EvaluationResult.objects.filter(round=rnd)
        .annotate(final_category=category_expression())
        .select_related("item", "government", "decided_by", "follow_up_transfer", *RESULT_RELATED)
        .order_by("government__path", "item__code", "id")
    )


def _results_page(request, rnd, query: QueryDict, *, error=None, status=200):
    user = request.user
    params = Params(request)
    params.data = query
    filters = _result_filters(params)
    page_number = params.ident("page") or 1
    queryset = _result_instances(rnd)
    if filters["category"]:
        queryset = queryset.filter(final_category=filters["category"])
    if filters["state"] == "decided":
        queryset = queryset.exclude(decision="")
    elif filters["state"] == "undecided":
        queryset = queryset.filter(decision="")
    if filters["town"]:
        queryset = queryset.filter(government__code=filters["town"])
    if filters["field"]:
        queryset = queryset.filter(item__field=filters["field"])
    page = Paginator(queryset, RESULTS_PER_PAGE).get_page(page_number)
    rows = list(page.object_list)
    rules, labels = _rules(rnd), _category_labels()
    for r in rows:
        _decorate(r, rnd, user, rules, labels)
    base = EvaluationResult.objects.filter(round=rnd)
    towns = list(base.values_list("government__code", "government__name", "government__path").distinct()
                 .order_by("government__path"))
    fields = list(base.exclude(item__field="").values_list("item__field", flat=True).distinct().order_by("item__field"))
    query_without_page = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "round": rnd, "page": page, "rows": rows, "filters": filters, "filtered": any(filters.values()),
        "towns": [(code, name) for code, name, _path in towns], "fields": fields,
        "categories": [(c.value, str(c.label)) for c in EvaluationCategory],
        "confirmable": [r.pk for r in rows if r.may_decide],
        "query": query_without_page, "here": request.get_full_path() if request.method == "GET" else
        reverse("evaluation-results", args=[rnd.pk]) + ("?" + query.urlencode() if query else ""),
        "error": error, "problems": params.problems, "show_people": user.is_authenticated,
        "signed_in": user.is_authenticated,
        "crumbs": crumbs(_rounds_crumb(), _round_crumb(rnd), (_("评估结果"), None)),
    }
    if params.problems and status == 200:
        status = 400
    return render(request, "web/evaluation/results.html", context, status=status)


def round_results(request, pk):
    return _results_page(request, _visible_round(request, pk), request.GET)


def _visible_result(request, pk) -> EvaluationResult:
    result = get_object_or_404(
        EvaluationResult.objects.filter(round__in=policy.visible_rounds(request.user).values("pk"))
        .select_related("item", "government__parent", "decided_by", "follow_up_transfer", "transfer", "exercise"),
        pk=pk)
    result.round = policy.visible_rounds(request.user).get(pk=result.round_id)
    return result


def _result_page(request, result, *, form=None, error=None, status=200):
    rnd = result.round
    _decorate(result, rnd, request.user, _rules(rnd), _category_labels())
    history = list(AuditEvent.objects.filter(object_type="evaluationresult", object_id=str(result.pk))
                   .select_related("actor").order_by("id"))
    labels = _category_labels()
    for event in history:
        event.label = str(HISTORY_LABELS.get(event.action, event.action))
        after = event.after or {}
        if after.get("decision"):
            event.change = _("建议“%(suggested)s”，结论“%(decision)s”") % {
                "suggested": labels.get(after.get("suggested"), after.get("suggested")),
                "decision": labels.get(after["decision"], after["decision"])}
        elif after.get("note"):
            event.change = after["note"]
    context = {
        "round": rnd, "r": result, "history": history, "form": form, "error": error,
        "show_people": request.user.is_authenticated, "signed_in": request.user.is_authenticated,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "crumbs": crumbs(_rounds_crumb(), _round_crumb(rnd), (_("评估结果"), reverse("evaluation-results",
                                                                                   args=[rnd.pk])),
                         (f"{result.item.name} · {result.government.name}", None)),
    }
    return render(request, "web/evaluation/result.html", context, status=status)


def result_detail(request, pk):
    return _result_page(request, _visible_result(request, pk))


# --- actions (workspace, POST) ------------------------------------------------------------------------------


@login_required
def round_new(request):
    form = RoundForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                rnd = evaluation_service.create_round(
                    name=d["name"], period_start=d["period_start"], period_end=d["period_end"],
                    scope_government=d["scope_government"], scope_tag=d["scope_tag"] or "", rules=form.rules(),
                    actor=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message())
                status = exc.status
            else:
                messages.success(request, _("评估轮次已创建。请运行评估。"))
                return redirect("evaluation-round", pk=rnd.pk)
    return render(request, "web/evaluation/round_new.html", {
        "form": form, "crumbs": crumbs((_("工作台"), reverse("workspace")), _rounds_crumb(), (_("新建评估轮次"), None)),
    }, status=status)


@login_required
@require_POST
def round_run(request, pk):
    rnd = _visible_round(request, pk)
    try:
        rnd = evaluation_service.run_round(rnd, actor=request.user)
    except DomainError as exc:
        return _round_page(request, _visible_round(request, pk), error=exc.message(), status=exc.status)
    summary = rnd.summary or {}
    messages.success(request, _("评估完成：%(pairs)s 个事项与乡镇的组合，得出 %(results)s 项建议，保留已确认的 %(kept)s 项，"
                                "%(missing)s 项依据不足。") % {
        "pairs": summary.get("pairs", 0), "results": summary.get("results", 0),
        "kept": summary.get("kept_decided", 0), "missing": summary.get("insufficient_evidence", 0)})
    return redirect("evaluation-round", pk=pk)


@login_required
@require_POST
def round_follow_up(request, pk):
    rnd = _visible_round(request, pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _round_page(request, rnd, follow_up_form=form, error=_("请按提示补全后再提交。"), status=400)
    d = form.cleaned_data
    try:
        batch = evaluation_service.generate_follow_up(rnd, actor=request.user, batch_title=d["title"],
                                                      batch_number=d["number"], effective_on=d["effective_on"],
                                                      round_no=d["round_no"])
    except DomainError as exc:
        return _round_page(request, _visible_round(request, pk), follow_up_form=form, error=exc.message(),
                           status=exc.status)
    messages.success(request, _("已生成后续变更批次（草稿）。请提交其中的提议，按常规流程审核。"))
    return redirect("workspace-batch", pk=batch.pk)


@login_required
@require_POST
def result_decide(request, pk):
    result = _visible_result(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _result_page(request, result, form=form, error=_("请按提示补全后再提交。"), status=400)
    try:
        evaluation_service.decide(result, form.cleaned_data["decision"], actor=request.user,
                                  reason=form.cleaned_data["reason"])
    except DomainError as exc:
        return _result_page(request, _visible_result(request, pk), form=form, error=exc.message(),
                            status=exc.status)
    if form.cleaned_data["decision"] == result.suggested:
        messages.success(request, _("已确认评估建议。"))
    else:
        messages.success(request, _("已改变评估建议并记录理由。"))
    return redirect(safe_next(request, reverse("evaluation-result", args=[pk])))


@login_required
@require_POST
def round_confirm_page(request, pk):
    """Confirm the suggestions of the results listed on one page, all in one transaction (all or none)."""
    rnd = _visible_round(request, pk)
    ids = [v for v in request.POST.getlist("result") if v.isdigit() and len(v) <= 18]
    target = safe_next(request, reverse("evaluation-results", args=[pk]))
    query = QueryDict(urlsplit(target).query)
    if not ids:
        return _results_page(request, rnd, query, error=_("这一页没有待确认的评估结果。"), status=400)
    results = list(EvaluationResult.objects.filter(round=rnd, pk__in=ids).order_by("id"))
    try:
        with transaction.atomic():
            for result in results:
                evaluation_service.decide(result, result.suggested, actor=request.user)
    except DomainError as exc:
        return _results_page(request, _visible_round(request, pk), query, error=exc.message(), status=exc.status)
    messages.success(request, _("已确认本页 %(n)s 项评估建议。") % {"n": len(results)})
    return redirect(target)


__all__ = ["result_decide", "result_detail", "round_confirm_page", "round_detail", "round_follow_up",
           "round_new", "round_report_xlsx", "round_results", "round_run", "rounds"]
