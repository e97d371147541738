"""The evaluation pages: rounds, report and chart, results with their figures, decisions, the follow-up
batch, the report workbook, and the evidence import (web and command) — each for the right people."""
import datetime
import io
import re
from urllib.parse import unquote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from powerlists.models import (
    AuditEvent,
    Capacity,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    Government,
    RoundState,
    Transfer,
)
from powerlists.services import evaluation

from .helpers import db_state, devolve

D = datetime.date
START, END = D(2018, 1, 1), D(2019, 12, 31)
DEVOLVED_ON = D(2017, 6, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def state() -> dict:
    """Every written row, the evaluation's tables included."""
    picture = db_state()
    for model in (Evidence, EvaluationRound, EvaluationResult):
        picture[model.__name__] = list(model.objects.order_by("pk").values())
    return picture


def as_user(client, user):
    client.force_login(user)
    return client


class Data:
    """Items devolved from the city to two streets, with evidence: the rules find each category."""


@pytest.fixture
def build(tree, make_item, people):
    Government.objects.filter(pk=tree.street.pk).update(assessment_type="industry")
    Government.objects.filter(pk=tree.street2.pk).update(assessment_type="agriculture")
    tree.street.refresh_from_db()
    tree.street2.refresh_from_db()

    def make(size=1):
        d = Data()
        d.good, d.poor, d.unit_missing, d.slow = [], [], [], []
        for n in range(size):
            good = make_item(tree.city, name=f"可推广事项{n}", field="投资审批", statutory_days=20)
            devolve(good, tree.city, tree.street, DEVOLVED_ON, receiving_department=tree.street_dept)
            evaluation.record_evidence(item=good, government=tree.street, period_start=START, period_end=END,
                                       cases_handled=50, satisfaction="95", average_days="5",
                                       capacity=Capacity.ADEQUATE)
            d.good.append(good)
            poor = make_item(tree.city, name=f"无办件事项{n}", field="市场监管", statutory_days=20)
            devolve(poor, tree.city, tree.street, DEVOLVED_ON, receiving_department=tree.street_dept)
            evaluation.record_evidence(item=poor, government=tree.street, period_start=START, period_end=END,
                                       cases_handled=0, capacity=Capacity.ADEQUATE)
            d.poor.append(poor)
            slow = make_item(tree.city, name=f"办理慢事项{n}", field="市场监管", statutory_days=10)
            devolve(slow, tree.city, tree.street, DEVOLVED_ON, receiving_department=tree.street_dept)
            evaluation.record_evidence(item=slow, government=tree.street, period_start=START, period_end=END,
                                       cases_handled=30, satisfaction="90", average_days="12.5",
                                       capacity=Capacity.ADEQUATE)
            d.slow.append(slow)
            missing = make_item(tree.city, name=f"未明确承接单位事项{n}", field="投资审批")
            devolve(missing, tree.city, tree.street2, DEVOLVED_ON)
            d.unit_missing.append(missing)
        return d

    return make


def open_round(tree, people, **kwargs):
    kwargs.setdefault("scope_government", tree.city)
    rnd = evaluation.create_round(name="两年评估", period_start=START, period_end=END, actor=people.city_editor,
                                  **kwargs)
    return evaluation.run_round(rnd, actor=people.city_editor)


def decide_all(rnd, people):
    for r in EvaluationResult.objects.filter(round=rnd, decision=""):
        evaluation.decide(r, r.suggested, actor=people.city_reviewer)
    rnd.refresh_from_db()
    return rnd


# --- who may see and do what --------------------------------------------------------------------------


WORKSPACE_GETS = ["workspace-evaluation-new", "workspace-evidence-import"]


@pytest.mark.parametrize("name", WORKSPACE_GETS)
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_anonymous_actions_are_sent_to_login_and_write_nothing(client, tree, people, build):
    build()
    rnd = open_round(tree, people)
    result = rnd.results.first()
    before = state()
    for url, data in (
        (reverse("workspace-evaluation-new"), {"name": "x", "scope_government": "2301", "period_start": "2018-01-01",
                                               "period_end": "2019-12-31"}),
        (reverse("workspace-evaluation-run", args=[rnd.pk]), {}),
        (reverse("workspace-evaluation-decide", args=[result.pk]), {"decision": result.suggested}),
        (reverse("workspace-evaluation-confirm", args=[rnd.pk]), {"result": [result.pk]}),
        (reverse("workspace-evaluation-follow-up", args=[rnd.pk]), {"title": "t", "effective_on": "2020-03-01"}),
        (reverse("workspace-evidence-confirm"), {"fingerprint": "x"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert client.get(reverse("workspace-evidence-template", args=["xlsx"])).status_code == 302
    assert state() == before


def test_a_round_in_progress_is_hidden_from_the_public_and_outsiders(client, tree, people, build):
    build()
    rnd = open_round(tree, people)
    result = rnd.results.first()
    pages = [reverse("evaluation-round", args=[rnd.pk]), reverse("evaluation-results", args=[rnd.pk]),
             reverse("evaluation-report", args=[rnd.pk]), reverse("evaluation-result", args=[result.pk])]
    for user in (None, people.outsider, people.nobody):
        if user is not None:
            as_user(client, user)
        for url in pages:
            assert client.get(url).status_code == 404, (user, url)
        assert "两年评估" not in client.get(reverse("evaluation-rounds")).content.decode()
    before = state()
    for url, data in ((reverse("workspace-evaluation-run", args=[rnd.pk]), {}),
                      (reverse("workspace-evaluation-decide", args=[result.pk]), {"decision": result.suggested}),
                      (reverse("workspace-evaluation-follow-up", args=[rnd.pk]),
                       {"title": "t", "effective_on": "2020-03-01"})):
        assert client.post(url, data).status_code == 404, url
    assert state() == before
    # Those with a role in the territory see it.
    for user in (people.city_editor, people.district_reviewer, people.street_reviewer, people.administrator):
        assert as_user(client, user).get(pages[0]).status_code == 200


def test_one_who_sees_a_round_but_may_not_act_is_refused_403(client, tree, people, build):
    build()
    rnd = open_round(tree, people)
    result = rnd.results.first()
    as_user(client, people.street_reviewer)
    page = client.get(reverse("evaluation-round", args=[rnd.pk])).content.decode()
    assert "workspace/evaluation" not in page  # no run button, no follow-up form
    results = client.get(reverse("evaluation-results", args=[rnd.pk])).content.decode()
    assert "/decide/" not in results and "/confirm/" not in results
    before = state()
    assert client.post(reverse("workspace-evaluation-run", args=[rnd.pk])).status_code == 403
    response = client.post(reverse("workspace-evaluation-decide", args=[result.pk]), {"decision": result.suggested})
    assert response.status_code == 403 and "您没有在该政府执行此操作的权限" in response.content.decode()
    assert client.post(reverse("workspace-evaluation-confirm", args=[rnd.pk]),
                       {"result": [result.pk]}).status_code == 403
    # A district editor is no editor of the city: the round's follow-up is refused as well.
    decide_all(rnd, people)
    before = state()
    as_user(client, people.district_editor)
    response = client.post(reverse("workspace-evaluation-follow-up", args=[rnd.pk]),
                           {"title": "评估后续", "effective_on": "2020-03-01"})
    assert response.status_code == 403
    assert state() == before


def test_a_confirmed_round_is_public_and_names_no_one(client, tree, people, build):
    build()
    rnd = decide_all(open_round(tree, people), people)
    assert rnd.state == RoundState.CONFIRMED
    index = client.get(reverse("evaluation-rounds")).content.decode()
    assert "两年评估" in index and reverse("evaluation-round", args=[rnd.pk]) in index
    for url in (reverse("evaluation-round", args=[rnd.pk]), reverse("evaluation-results", args=[rnd.pk]),
                reverse("evaluation-result", args=[rnd.results.first().pk])):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "city_reviewer" not in html and "city_editor" not in html, url
        assert "workspace/evaluation" not in html, url
    report = client.get(reverse("evaluation-report", args=[rnd.pk]))
    assert report.status_code == 200 and report["Content-Type"] == XLSX
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(report.content), read_only=True)["评估结果"]
    header = next(sheet.iter_rows(values_only=True))
    assert "确认人" not in header
    # Signed in, the people are named.
    html = as_user(client, people.city_editor).get(reverse("evaluation-results", args=[rnd.pk])).content.decode()
    assert "city_reviewer" in html
    # The public nav leads there.
    assert reverse("evaluation-rounds") in client.get(reverse("home")).content.decode()


# --- opening and running a round ------------------------------------------------------------------------


def test_the_new_round_form_prefills_and_explains_every_rule(client, tree, people):
    html = as_user(client, people.city_editor).get(reverse("workspace-evaluation-new")).content.decode()
    for name, value in (("min_cases", "10"), ("min_satisfaction", "80"), ("max_days_ratio", "1.0"),
                        ("not_yet_overdue_days", "90"), ("requested_undecided_days", "60")):
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', html) or re.search(
            rf'value="{re.escape(value)}"[^>]*name="{name}"', html), name
    assert re.search(r'name="compare_before"[^>]*checked', html)
    assert "满意度低于此值为“运行不良”" in html and "下放逾期未生效" in html
    assert "pilot" in html  # the tags to choose from


def _round_form(**values):
    form = {"name": "小池镇扩权评估", "scope_government": "哈尔滨市", "scope_tag": "", "period_start": "2018-01-01",
            "period_end": "2019-12-31", "min_cases": "5", "min_satisfaction": "85.5", "max_days_ratio": "1.5",
            "not_yet_overdue_days": "30", "requested_undecided_days": "60"}
    form.update(values)
    return form


def test_open_a_round_by_name_with_its_rules_then_run_it(client, tree, people, build):
    build()
    as_user(client, people.city_editor)
    response = client.post(reverse("workspace-evaluation-new"), _round_form())
    assert response.status_code == 302
    rnd = EvaluationRound.objects.get()
    assert response["Location"] == reverse("evaluation-round", args=[rnd.pk])
    assert (rnd.scope_government, rnd.state, rnd.created_by) == (tree.city, RoundState.DRAFT, people.city_editor)
    assert rnd.rules == {"min_cases": 5, "min_satisfaction": 85.5, "max_days_ratio": 1.5, "compare_before": False,
                         "not_yet_overdue_days": 30, "requested_undecided_days": 60}
    page = client.get(response["Location"]).content.decode()
    assert "运行评估" in page and "85.5" in page
    run = client.post(reverse("workspace-evaluation-run", args=[rnd.pk]))
    assert run.status_code == 302
    rnd.refresh_from_db()
    assert rnd.state == RoundState.EVALUATED and rnd.summary["results"] == 4
    page = client.get(reverse("evaluation-round", args=[rnd.pk])).content.decode()
    assert "重新评估" in page and "评估完成" in page
    assert AuditEvent.objects.filter(action="evaluation.run", actor=people.city_editor).exists()


def test_a_bad_or_refused_round_keeps_what_was_typed_and_writes_nothing(client, tree, people):
    as_user(client, people.city_editor)
    before = state()
    response = client.post(reverse("workspace-evaluation-new"), _round_form(scope_government=""))
    assert response.status_code == 400 and "至少填一项" in response.content.decode()
    response = client.post(reverse("workspace-evaluation-new"), _round_form(scope_government="没有这个政府"))
    assert response.status_code == 400 and "找不到代码或名称为“没有这个政府”的政府" in response.content.decode()
    response = client.post(reverse("workspace-evaluation-new"), _round_form(period_end="2017-01-01",
                                                                            min_satisfaction="120"))
    assert response.status_code == 400 and "小池镇扩权评估" in response.content.decode()
    as_user(client, people.outsider)
    response = client.post(reverse("workspace-evaluation-new"), _round_form(scope_government="2301"))
    assert response.status_code == 403 and "小池镇扩权评估" in response.content.decode()
    # A tag-only round spans territories: a superuser's.
    as_user(client, people.administrator)
    response = client.post(reverse("workspace-evaluation-new"), _round_form(scope_government="", scope_tag="pilot"))
    assert response.status_code == 403
    assert state() == before


def test_a_confirmed_round_cannot_be_run_again(client, tree, people, build):
    build()
    rnd = decide_all(open_round(tree, people), people)
    page = as_user(client, people.city_editor).get(reverse("evaluation-round", args=[rnd.pk])).content.decode()
    assert "重新评估" not in page
    before = state()
    response = client.post(reverse("workspace-evaluation-run", args=[rnd.pk]))
    assert response.status_code == 409 and "已确认" in response.content.decode()
    assert state() == before


# --- the report and its chart ---------------------------------------------------------------------------


def _cell(html, row_attr, cls):
    match = re.search(rf'<tr {row_attr}>.*?<td class="num {cls}">(\d+)</td>', html, re.S)
    return int(match.group(1)) if match else None


def test_round_page_report_counts_chart_and_table(client, tree, people, build):
    d = build(size=2)
    rnd = open_round(tree, people)
    as_user(client, people.city_reviewer)
    r = EvaluationResult.objects.get(round=rnd, item=d.slow[0])
    evaluation.decide(r, "should_not", actor=people.city_reviewer, reason="镇无执法资格")
    response = client.get(reverse("evaluation-round", args=[rnd.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    expected = {c: EvaluationResult.objects.filter(round=rnd, suggested=c).count()
                for c in ("promotable", "should_not", "not_yet", "poor")}
    assert expected == {"promotable": 2, "should_not": 0, "not_yet": 2, "poor": 4}
    for category, n in expected.items():
        assert _cell(html, f'data-category="{category}"', "suggested") == n, category
    assert _cell(html, 'data-category="should_not"', "final") == 1
    assert _cell(html, 'data-category="should_not"', "overridden") == 1
    assert _cell(html, 'data-category="poor"', "final") == 3
    # The chart: an image with a text alternative, one bar per assessment type (both towns are typed).
    assert 'role="img"' in html and "<desc" in html
    assert "工业主导型：可推广 2，不应放 1，应放未放 0，运行不良 3，合计 6。" in html
    assert "农业主导型：可推广 0，不应放 0，应放未放 2，运行不良 0，合计 2。" in html
    assert 'id="table-type"' in html and 'id="table-town"' in html and 'id="table-field"' in html
    town = client.get(reverse("evaluation-round", args=[rnd.pk]) + "?chart=town").content.decode()
    assert "兆麟街道：可推广 2，不应放 1，应放未放 0，运行不良 3，合计 6。" in town
    bad = client.get(reverse("evaluation-round", args=[rnd.pk]) + "?chart=pie")
    assert bad.status_code == 400 and 'class="problems"' in bad.content.decode()
    # The rules with their values and explanations.
    assert 'data-rule="min_satisfaction"' in html and "满意度低于此值" in html
    assert "按办件量加权的满意度" in html


# --- results: list, filters, figures, decisions -----------------------------------------------------------


def _rows(html):
    return re.findall(r'data-result="(\d+)" data-category="(\w+)"', html)


def test_results_list_shows_the_rule_and_figures_and_filters(client, tree, people, build):
    d = build(size=1)
    rnd = open_round(tree, people)
    as_user(client, people.city_reviewer)
    url = reverse("evaluation-results", args=[rnd.pk])
    html = client.get(url).content.decode()
    assert len(_rows(html)) == 4
    slow = EvaluationResult.objects.get(round=rnd, item=d.slow[0])
    block = html[html.index(f'id="result-{slow.pk}"'):]
    block = block[:block.find('<li class="result"', 10)]
    assert "平均办理时间超过法定时限" in block and "12.50 个工作日（法定 10 个工作日 × 1.0）" in block
    assert "30 件（可推广至少 10 件）" in block and "90.00%（阈值 80%）" in block
    missing = EvaluationResult.objects.get(round=rnd, item=d.unit_missing[0])
    assert "已下放但未明确承接单位" in html and f"result-{missing.pk}" in html
    assert {c for _, c in _rows(client.get(url + "?category=poor").content.decode())} == {"poor"}
    assert len(_rows(client.get(url + "?town=230104001").content.decode())) == 1
    assert len(_rows(client.get(url + "?field=市场监管").content.decode())) == 2
    evaluation.decide(slow, "poor", actor=people.city_reviewer)
    assert [int(pk) for pk, _ in _rows(client.get(url + "?state=decided").content.decode())] == [slow.pk]
    assert len(_rows(client.get(url + "?state=undecided").content.decode())) == 3
    bad = client.get(url + "?category=nope&state=maybe")
    assert bad.status_code == 400 and len(_rows(bad.content.decode())) == 4


def test_results_are_paginated(client, tree, people, build, settings):
    from powerlists.web.views import evaluation as views

    build(size=14)  # 56 results
    rnd = open_round(tree, people)
    as_user(client, people.city_reviewer)
    url = reverse("evaluation-results", args=[rnd.pk])
    first, second = client.get(url).content.decode(), client.get(url + "?page=2").content.decode()
    assert len(_rows(first)) == views.RESULTS_PER_PAGE and len(_rows(second)) == 56 - views.RESULTS_PER_PAGE
    assert not set(_rows(first)) & set(_rows(second))
    assert "page=2" in first and "第 2 / 2 页" in second
    assert client.get(url + "?page=99").status_code == 200  # past the end: the last page


def test_confirm_is_one_click_and_override_needs_a_reason(client, tree, people, build):
    d = build()
    rnd = open_round(tree, people)
    good = EvaluationResult.objects.get(round=rnd, item=d.good[0])
    slow = EvaluationResult.objects.get(round=rnd, item=d.slow[0])
    as_user(client, people.district_reviewer)  # the giving side's reviewer of the street
    results_url = reverse("evaluation-results", args=[rnd.pk])
    html = client.get(results_url).content.decode()
    assert reverse("workspace-evaluation-decide", args=[good.pk]) in html
    missing = EvaluationResult.objects.get(round=rnd, item=d.unit_missing[0])  # street2: not the district's
    assert reverse("workspace-evaluation-decide", args=[missing.pk]) not in html
    response = client.post(reverse("workspace-evaluation-decide", args=[good.pk]),
                           {"decision": "promotable", "next": results_url + "?category=promotable"})
    assert response.status_code == 302 and response["Location"] == results_url + "?category=promotable"
    good.refresh_from_db()
    assert (good.decision, good.decided_by, good.decision_reason) == ("promotable", people.district_reviewer, "")

    before = state()
    response = client.post(reverse("workspace-evaluation-decide", args=[slow.pk]), {"decision": "should_not"})
    assert response.status_code == 400 and "改变评估建议必须说明理由" in response.content.decode()
    assert state() == before
    response = client.post(reverse("workspace-evaluation-decide", args=[slow.pk]),
                           {"decision": "should_not", "reason": "街道无执法资格", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("evaluation-result", args=[slow.pk])
    slow.refresh_from_db()
    assert (slow.suggested, slow.decision, slow.decision_reason) == ("poor", "should_not", "街道无执法资格")
    page = client.get(reverse("evaluation-result", args=[slow.pk])).content.decode()
    assert "已改变建议" in page and "街道无执法资格" in page and "改变建议" in page
    assert "建议“运行不良”，结论“不应放”" in page
    # Decided twice: a conflict, nothing written.
    before = state()
    response = client.post(reverse("workspace-evaluation-decide", args=[slow.pk]), {"decision": "poor"})
    assert response.status_code == 409 and state() == before
    bad = client.post(reverse("workspace-evaluation-decide", args=[good.pk]), {"decision": "great"})
    assert bad.status_code in (400, 409) and state() == before


def test_confirm_every_suggestion_on_the_page_all_or_none(client, tree, people, build):
    build(size=2)
    rnd = open_round(tree, people)
    as_user(client, people.city_reviewer)
    url = reverse("evaluation-results", args=[rnd.pk])
    html = client.get(url + "?field=市场监管").content.decode()
    ids = re.findall(r'<input type="hidden" name="result" value="(\d+)">', html)
    assert len(ids) == 4
    # One of them was decided meanwhile: nothing on the page is confirmed.
    first = EvaluationResult.objects.get(pk=ids[0])
    evaluation.decide(first, first.suggested, actor=people.city_reviewer2)
    before = state()
    response = client.post(reverse("workspace-evaluation-confirm", args=[rnd.pk]),
                           {"result": ids, "next": url + "?field=市场监管"})
    assert response.status_code == 409 and "已确认" in response.content.decode()
    assert state() == before
    response = client.post(reverse("workspace-evaluation-confirm", args=[rnd.pk]),
                           {"result": ids[1:], "next": url + "?field=市场监管"})
    assert response.status_code == 302 and unquote(response["Location"]) == url + "?field=市场监管"
    decided = EvaluationResult.objects.filter(pk__in=ids)
    assert all(r.decision == r.suggested for r in decided)
    assert AuditEvent.objects.filter(action="evaluation.confirm").count() == 4
    # Confirming everything left confirms the round.
    html = client.get(url).content.decode()
    rest = re.findall(r'<input type="hidden" name="result" value="(\d+)">', html)
    client.post(reverse("workspace-evaluation-confirm", args=[rnd.pk]), {"result": rest})
    rnd.refresh_from_db()
    assert rnd.state == RoundState.CONFIRMED
    assert client.post(reverse("workspace-evaluation-confirm", args=[rnd.pk]), {"result": []}).status_code == 400


# --- follow-up --------------------------------------------------------------------------------------------


def test_generate_the_follow_up_batch_from_the_round_page(client, tree, people, build):
    d = build()
    rnd = open_round(tree, people)
    as_user(client, people.city_editor)
    assert "生成后续变更批次" not in client.get(reverse("evaluation-round", args=[rnd.pk])).content.decode()
    rnd = decide_all(rnd, people)
    page = client.get(reverse("evaluation-round", args=[rnd.pk])).content.decode()
    assert "生成后续变更批次" in page and "有 4 项已确认的结果尚未处理" in page
    before = state()
    bad = client.post(reverse("workspace-evaluation-follow-up", args=[rnd.pk]), {"title": "", "effective_on": "x"})
    assert bad.status_code == 400 and state() == before
    response = client.post(reverse("workspace-evaluation-follow-up", args=[rnd.pk]),
                           {"title": "关于调整下放事项的决定", "number": "哈政发〔2020〕1号",
                            "effective_on": "2020-03-01", "round_no": "2"})
    assert response.status_code == 302
    transfers = Transfer.objects.filter(origin="evaluation")
    batch = transfers.first().batch
    assert response["Location"] == reverse("workspace-batch", args=[batch.pk])
    assert (batch.title, batch.number, batch.round_no, batch.state) == ("关于调整下放事项的决定", "哈政发〔2020〕1号", 2,
                                                                        "draft")
    assert {(t.kind, t.item_id, t.receiver_id) for t in transfers} == {("recall", d.poor[0].pk, tree.street.pk),
                                                                      ("recall", d.slow[0].pk, tree.street.pk)}
    assert client.get(response["Location"]).status_code == 200
    page = client.get(reverse("evaluation-round", args=[rnd.pk])).content.decode()
    assert "生成后续变更批次" not in page
    assert _cell(page, 'data-category="poor"', "follow-up") == 2
    results = client.get(reverse("evaluation-results", args=[rnd.pk])).content.decode()
    recall = transfers.filter(kind="recall").first()
    assert reverse("workspace-transfer", args=[recall.pk]) in results and "草稿" in results
    assert "已在行使，需明确承接单位" in results  # the note of the 应放未放 result in force
    again = client.post(reverse("workspace-evaluation-follow-up", args=[rnd.pk]),
                        {"title": "again", "effective_on": "2020-03-01"})
    assert again.status_code == 409


# --- the report workbook ----------------------------------------------------------------------------------


def test_report_xlsx_counts_equal_the_results(client, tree, people, build, make_item):
    d = build(size=3)
    formula = make_item(tree.city, name="=HYPERLINK(\"http://x\")", field="+危险", statutory_days=20)
    devolve(formula, tree.city, tree.street, DEVOLVED_ON, receiving_department=tree.street_dept)
    evaluation.record_evidence(item=formula, government=tree.street, period_start=START, period_end=END,
                               cases_handled=0, note="=1+1")
    rnd = open_round(tree, people)
    evaluation.decide(EvaluationResult.objects.get(round=rnd, item=d.slow[0]), "should_not",
                      actor=people.city_reviewer, reason="-cmd")
    as_user(client, people.city_reviewer)
    response = client.get(reverse("evaluation-report", args=[rnd.pk]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["评估类别", "乡镇", "领域", "考核类型", "评估结果"]
    results = list(EvaluationResult.objects.filter(round=rnd))
    rows = list(book["评估类别"].iter_rows(values_only=True))
    assert rows[0][:3] == ("评估类别", "规则建议", "最终结果")
    by_label = {r[0]: r for r in rows[1:]}
    for category, label in (("promotable", "可推广"), ("should_not", "不应放"), ("not_yet", "应放未放"),
                            ("poor", "运行不良")):
        assert by_label[label][1] == sum(r.suggested == category for r in results), label
        assert by_label[label][2] == sum(r.category == category for r in results), label
    assert by_label["合计"][2] == len(results)
    towns = list(book["乡镇"].iter_rows(values_only=True))
    assert {r[0]: r[-1] for r in towns[1:]} == {"230102001": sum(r.government_id == tree.street.pk for r in results),
                                               "230104001": sum(r.government_id == tree.street2.pk for r in results)}
    types = {r[0]: r for r in list(book["考核类型"].iter_rows(values_only=True))[1:]}
    assert types["工业主导型"][1] == 1 and types["农业主导型"][1] == 1
    detail = list(book["评估结果"].iter_rows(values_only=True))
    assert len(detail) == len(results) + 1
    header = detail[0]
    assert "确认人" in header and "依据数据" in header
    named = [r for r in detail[1:] if r[0] == formula.code][0]
    assert named[1] == "'=HYPERLINK(\"http://x\")" and named[2] == "'+危险"
    overridden = [r for r in detail[1:] if r[0] == d.slow[0].code][0]
    assert overridden[header.index("确认结果")] == "不应放" and overridden[header.index("改变建议")] == "是"
    assert overridden[header.index("确认意见")] == "'-cmd"
    for row in book.worksheets:
        for cells in row.iter_rows():
            for cell in cells:
                assert cell.data_type != "f"


# --- query budgets ----------------------------------------------------------------------------------------


# Signed in: the session, the user and their memberships come first (3 queries).
BUDGETS = {"rounds": 5, "round": 11, "results": 8, "result": 6, "report": 12, "new": 3, "evidence": 2}


@pytest.mark.parametrize("who", ["reviewer", "anonymous"])
def test_query_budgets_do_not_grow_with_the_data(client, tree, people, build, who, django_user_model):
    counts = {}
    for size in (1, 8):
        d = build(size=size)
        rnd = evaluation.create_round(name=f"评估{size}", period_start=START, period_end=END,
                                      scope_government=tree.city, actor=people.city_editor)
        rnd = evaluation.run_round(rnd)
        for r in EvaluationResult.objects.filter(round=rnd, item__in=d.poor):
            evaluation.decide(r, r.suggested, actor=people.city_reviewer)
        if who == "anonymous":
            decide_all(rnd, people)
        result = EvaluationResult.objects.filter(round=rnd).first()
        pages = {
            "rounds": reverse("evaluation-rounds"),
            "round": reverse("evaluation-round", args=[rnd.pk]),
            "results": reverse("evaluation-results", args=[rnd.pk]) + "?field=市场监管",
            "result": reverse("evaluation-result", args=[result.pk]),
            "report": reverse("evaluation-report", args=[rnd.pk]),
        }
        if who == "reviewer":
            as_user(client, people.city_reviewer)
            pages["new"] = reverse("workspace-evaluation-new")
            pages["evidence"] = reverse("workspace-evidence-import")
        for name, url in pages.items():
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            counts.setdefault(name, []).append(len(ctx.captured_queries))
            assert len(ctx.captured_queries) <= BUDGETS[name], (name, len(ctx.captured_queries))
        client.logout()
    for name, (small, large) in counts.items():
        assert small == large, (name, small, large)


# --- evidence import -------------------------------------------------------------------------------------


HEADER = "事项编码,承接政府代码,统计起始日期,统计截止日期,办件量,平均办理时间（工作日）,法定时限（工作日）,满意度（%）,投诉数,已明确承接单位,已配备人员,承接能力,备注"


def _csv(*lines, header=HEADER):
    return ("\ufeff" + "\n".join([header, *lines]) + "\n").encode("utf-8")


def _upload(client, data, name="evidence.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("workspace-evidence-import"), {"file": SimpleUploadedFile(name, data)})


@pytest.fixture
def devolved(tree, make_item):
    items = []
    for n in range(3):
        item = make_item(tree.city, code=f"E{n}", name=f"依据事项{n}", statutory_days=20)
        devolve(item, tree.city, tree.street, DEVOLVED_ON, receiving_department=tree.street_dept)
        items.append(item)
    return items


def test_evidence_template_downloads(client, people):
    from openpyxl import load_workbook

    as_user(client, people.district_editor)
    xlsx = client.get(reverse("workspace-evidence-template", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"] == XLSX
    header = next(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert ",".join(header) == HEADER
    csv = client.get(reverse("workspace-evidence-template", args=["csv"]))
    assert csv.content.decode("utf-8-sig").strip() == HEADER
    assert client.get("/workspace/evaluation/evidence/template.pdf").status_code == 404


def test_evidence_upload_page_has_a_progress_bar_and_works_without_script(client, people):
    html = as_user(client, people.district_editor).get(reverse("workspace-evidence-import")).content.decode()
    assert "<progress" in html and "powerlists/upload-progress.js" in html and 'enctype="multipart/form-data"' in html
    from django.contrib.staticfiles import finders

    assert "xhr.upload" in open(finders.find("powerlists/upload-progress.js"), encoding="utf-8").read()
    assert 'action=' not in html.split('id="evidence-upload"')[0].rsplit("<form", 1)[1]  # posts to itself


def test_evidence_import_preview_then_confirm(client, tree, people, devolved):
    as_user(client, people.district_editor)  # the giving side of the street
    evaluation.record_evidence(item=devolved[2], government=tree.street, period_start=START, period_end=END,
                               cases_handled=1)
    data = _csv("E0,230102001,2018-01-01,2019-12-31,50,5,20,95,1,是,是,具备承接能力,按季度统计",
                "E1,230102001,2018/01/01,2019/12/31,0,,,,0,,,,",
                "E2,230102001,2018-01-01,2019-12-31,30,12.5,10,88%,2,否,否,无具备资格的人员,")
    before = state()
    response = _upload(client, data)
    html = response.content.decode()
    assert response.status_code == 200 and "确认导入" in html
    assert "新增 2 · 替换 1 · 错误 0" in html and "依据事项0" in html and "兆麟街道" in html
    assert state() == before  # a preview writes nothing
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', html).group(1)
    response = client.post(reverse("workspace-evidence-confirm"), {"fingerprint": fingerprint})
    assert response.status_code == 302 and response["Location"] == reverse("workspace-evidence-import")
    rows = {e.item.code: e for e in Evidence.objects.select_related("item")}
    assert rows["E0"].cases_handled == 50 and str(rows["E0"].satisfaction) == "95.00" and rows["E0"].note == "按季度统计"
    assert rows["E1"].cases_handled == 0 and rows["E1"].satisfaction is None and rows["E1"].receiving_unit_named
    assert (rows["E2"].staffed, rows["E2"].receiving_unit_named, rows["E2"].capacity) == (
        False, False, Capacity.NO_QUALIFIED_STAFF)
    assert str(rows["E2"].average_days) == "12.50" and rows["E2"].statutory_days == 10
    assert Evidence.objects.count() == 3
    assert "已导入 3 行评估依据" in client.get(reverse("workspace-evidence-import")).content.decode()
    # The same preview cannot be confirmed twice.
    again = client.post(reverse("workspace-evidence-confirm"), {"fingerprint": fingerprint})
    assert again.status_code == 400 and "已失效" in again.content.decode()


def test_evidence_import_names_each_bad_row_and_imports_nothing(client, tree, people, devolved):
    as_user(client, people.district_editor)
    data = _csv("E0,230102001,2018-01-01,2019-12-31,50,5,20,95,1,是,是,具备承接能力,",
                "NOPE,230102001,2018-01-01,2019-12-31,5,,,,,,,,",
                "E1,999999,2018-01-01,2019-12-31,5,,,,,,,,",
                "E1,230102001,2018-13-01,2019-12-31,5,,,,,,,,",
                "E1,230102001,2018-01-01,2019-12-31,-3,,,101,,,,,",
                "E2,230102001,2018-01-01,2019-12-31,5,,,,,也许,,很强,",
                "E0,230102001,2018-01-01,2019-12-31,7,,,,,,,,",
                "E2,230104001,2018-01-01,2019-12-31,5,,,,,,,,")
    before = state()
    response = _upload(client, data)
    html = response.content.decode()
    assert response.status_code == 200 and "确认导入" not in html and "有 7 行错误" in html
    errors = dict(re.findall(r'<tr class="outcome-error" data-line="(\d+)">.*?<span class="error">(.*?)</span>',
                             html, re.S))
    assert set(errors) == {"3", "4", "5", "6", "7", "8", "9"}
    assert "没有编码为“NOPE”的事项" in errors["3"]
    assert "找不到代码为“999999”的政府" in errors["4"]
    assert "统计起始日期：“2018-13-01”不是有效日期" in errors["5"]
    assert "办件量：必须是非负整数" in errors["6"]
    assert "已明确承接单位：请填写“是”或“否”" in errors["7"] and "承接能力：“很强”无效" in errors["7"]
    assert "与第2行是同一事项" in errors["8"]
    assert "没有编码为“E2”的事项" in errors["9"] or "权限" in errors["9"]
    assert state() == before


def test_evidence_import_refuses_what_the_user_may_not_record(client, tree, people, devolved):
    from accounts.models import Membership

    as_user(client, people.outsider)
    html = _upload(client, _csv("E0,230102001,2018-01-01,2019-12-31,50,,,,,,,,")).content.decode()
    assert "您没有为兆麟街道记录评估依据的权限" in html and "确认导入" not in html
    # Allowed at the preview, the role lost before the confirmation: nothing is written.
    as_user(client, people.district_editor)
    html = _upload(client, _csv("E0,230102001,2018-01-01,2019-12-31,50,,,,,,,,",
                                "E1,230102001,2018-01-01,2019-12-31,5,,,,,,,,")).content.decode()
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', html).group(1)
    Membership.objects.filter(user=people.district_editor).delete()
    before = state()
    response = client.post(reverse("workspace-evidence-confirm"), {"fingerprint": fingerprint})
    assert response.status_code == 400 and "未导入任何数据" in response.content.decode()
    assert state() == before


def test_evidence_import_accepts_english_headers_and_xlsx(client, tree, people, devolved):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Item code", "Receiving government code", "Period start", "Period end", "Cases handled",
                  "Satisfaction (%)", "Capacity", "事项名称"])
    sheet.append(["E0", "230102001", datetime.datetime(2018, 1, 1), datetime.datetime(2019, 12, 31), 12, 84.92,
                  "adequate", "依据事项0"])
    buffer = io.BytesIO()
    book.save(buffer)
    as_user(client, people.district_editor)
    html = _upload(client, buffer.getvalue(), "evidence.xlsx").content.decode()
    assert "新增 1 · 替换 0 · 错误 0" in html
    fingerprint = re.search(r'name="fingerprint" value="(\w+)"', html).group(1)
    client.post(reverse("workspace-evidence-confirm"), {"fingerprint": fingerprint})
    evidence = Evidence.objects.get()
    assert (evidence.cases_handled, str(evidence.satisfaction), evidence.capacity) == (12, "84.92", "adequate")


def test_an_unreadable_evidence_file_is_refused_with_a_reason(client, people):
    as_user(client, people.district_editor)
    for data, name, message in ((b"x", "evidence.pdf", "只接受 .xlsx 或 .csv 文件"),
                                (_csv("E0", header="事项编码,颜色"), "e.csv", "无法识别这些列：颜色"),
                                (_csv("E0", header="事项编码,承接政府代码"), "e.csv", "缺少必需的列"),
                                (b"PK\x03\x04broken", "e.xlsx", "不是有效的 Excel")):
        response = _upload(client, data, name)
        assert response.status_code == 400 and message in response.content.decode(), name
    assert client.post(reverse("workspace-evidence-import"), {}).status_code == 400


# --- the importevidence command ---------------------------------------------------------------------------


def test_importevidence_command_dry_run_then_import(tree, people, devolved, tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_bytes(_csv("E0,230102001,2018-01-01,2019-12-31,50,5,20,95,1,是,是,具备承接能力,",
                          "E1,230102001,2018-01-01,2019-12-31,0,,,,,,,,"))
    out, err = io.StringIO(), io.StringIO()
    call_command("importevidence", str(path), "--dry-run", stdout=out, stderr=err)
    assert "新增 new: 2" in out.getvalue() and "Dry run" in out.getvalue()
    assert not Evidence.objects.exists()
    call_command("importevidence", str(path), "--user", "district_editor", stdout=out, stderr=err)
    assert Evidence.objects.count() == 2 and "Imported 2" in out.getvalue()
    assert AuditEvent.objects.filter(action="evaluation.evidence", actor=people.district_editor).count() == 2
    out = io.StringIO()
    call_command("importevidence", str(path), stdout=out, stderr=err)
    assert "替换 replaced: 2" in out.getvalue()


def test_importevidence_command_names_bad_rows_and_writes_nothing(tree, people, devolved, tmp_path):
    path = tmp_path / "evidence.csv"
    path.write_bytes(_csv("E0,230102001,2018-01-01,2019-12-31,50,,,,,,,,",
                          "E1,230102001,2018-01-01,2019-12-31,5,,,150,,,,,"))
    err = io.StringIO()
    before = state()
    with pytest.raises(CommandError, match="1 行有错误"):
        call_command("importevidence", str(path), stdout=io.StringIO(), stderr=err)
    assert "第3行 / line 3 [E1 @ 230102001]" in err.getvalue() and "满意度（%）" in err.getvalue()
    path.write_bytes(_csv("E0,230102001,2018-01-01,2019-12-31,50,,,,,,,,"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 行有错误"):
        call_command("importevidence", str(path), "--user", "outsider", stdout=io.StringIO(), stderr=err)
    assert "您没有为兆麟街道记录评估依据的权限" in err.getvalue()
    with pytest.raises(CommandError, match="No file"):
        call_command("importevidence", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="No active user"):
        call_command("importevidence", str(path), "--user", "ghost")
    assert state() == before


def test_pages_have_titles_breadcrumbs_and_labelled_fields(client, tree, people, build):
    build()
    rnd = open_round(tree, people)
    as_user(client, people.city_reviewer)
    for url in (reverse("evaluation-rounds"), reverse("evaluation-round", args=[rnd.pk]),
                reverse("evaluation-results", args=[rnd.pk]), reverse("workspace-evaluation-new"),
                reverse("workspace-evidence-import"), reverse("evaluation-result", args=[rnd.results.first().pk])):
        html = client.get(url).content.decode()
        assert "<title>" in html and 'class="breadcrumbs"' in html, url
        ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html)
        for field_id in ids:
            if field_id == "language":
                continue
            assert f'for="{field_id}"' in html, (url, field_id)
    workspace = client.get(reverse("workspace")).content.decode()
    assert reverse("evaluation-rounds") in workspace and reverse("workspace-evidence-import") in workspace
    for url in (reverse("evaluation-round", args=[rnd.pk]), reverse("evaluation-results", args=[rnd.pk]),
                reverse("evaluation-report", args=[rnd.pk])):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE="en").status_code == 200, url


def test_evidence_preview_queries_do_not_grow_with_the_rows(client, tree, people, devolved):
    as_user(client, people.district_editor)
    counts = []
    for years in (1, 10):
        lines = [f"E{n},230102001,{2000 + y}-01-01,{2000 + y}-12-31,{n + y},,,90,,,,," for y in range(years)
                 for n in range(3)]
        with CaptureQueriesContext(connection) as ctx:
            html = _upload(client, _csv(*lines)).content.decode()
        assert f"新增 {3 * years} · 替换 0 · 错误 0" in html
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_write_refusal_is_told_by_the_file_line(tree, people, devolved):
    from powerlists.services.errors import InvalidInput
    from powerlists.spreadsheets_evaluation import preview_evidence

    preview = preview_evidence(_csv("E0,230102001,2018-01-01,2019-12-31,50,,,,,,,,",
                                    "", "E1,230102001,2018-01-01,2019-12-31,5,,,,,,,,"), "e.csv")
    assert [r.line for r in preview.rows] == [2, 3]  # blank lines are not counted (as in the items import)
    error = InvalidInput("invalid_evidence", "第2行：办件量：必须填写。", "Row 2: cases_handled: required.", row=1)
    assert preview.explain(error) == ("第3行：办件量：必须填写。", "Line 3: cases_handled: required.")
    assert preview.explain(InvalidInput("x", "出错。", "Failed.")) == ("出错。", "Failed.")
