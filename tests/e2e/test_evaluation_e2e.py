"""An evaluation round in real Chromium: the city's editor opens a round over the city's territory with
the default rules and runs it; the city's reviewer reads each result with the rule and figures behind
it, overrides one with a reason and confirms the rest of the page in one click; the round is then
confirmed and public, and anyone sees its report and chart — on a phone too."""
import datetime
import re

import pytest
from playwright.sync_api import expect

from powerlists.models import Capacity, EvaluationResult, EvaluationRound, Government, RoundState
from powerlists.services import devolve, evaluation

from .conftest import fits_the_phone, unlabelled_fields

D = datetime.date
START, END = D(2018, 1, 1), D(2019, 12, 31)


def evidence(item, town, **values):
    values.setdefault("capacity", Capacity.ADEQUATE)
    evaluation.record_evidence(item=item, government=town, period_start=START, period_end=END, **values)


@pytest.fixture
def devolved_with_evidence(tree, make_item):
    Government.objects.filter(pk=tree.street.pk).update(assessment_type="industry")
    Government.objects.filter(pk=tree.street2.pk).update(assessment_type="agriculture")
    items = {}
    for key, name, town, figures in (
        ("good", "企业投资项目核准、备案", tree.street, {"cases_handled": 120, "satisfaction": "96", "average_days": "3"}),
        ("idle", "建设工程消防设计审查", tree.street, {"cases_handled": 0}),
        ("slow", "食品经营许可", tree.street, {"cases_handled": 40, "satisfaction": "91", "average_days": "25"}),
        ("unnamed", "农村宅基地审批", tree.street2, None),
    ):
        item = make_item(tree.city, name=name, statutory_days=20)
        devolve(item=item, giver=tree.city, receiver=town, effective_on=D(2017, 6, 1),
                receiving_department=tree.street_dept if town == tree.street else None)
        if figures:
            evidence(item, town, **figures)
        items[key] = item
    return items


@pytest.mark.django_db(transaction=True)
def test_open_run_confirm_and_see_the_chart(live_server, log_in, new_page, shot, tree, people,
                                            devolved_with_evidence):
    items = devolved_with_evidence

    # The city's editor opens a round from the workspace, with the rules' defaults, and runs it.
    editor = log_in("city_editor")
    editor.get_by_role("link", name="下放事项评估").click()
    editor.wait_for_url(f"{live_server.url}/evaluation/")
    editor.get_by_role("link", name="新建评估轮次").click()
    editor.get_by_label("名称", exact=True).fill("哈尔滨市下放事项两年评估")
    editor.get_by_label("评估范围：政府代码或名称").fill("哈尔滨市")
    editor.get_by_label("评估期起始").fill("2018-01-01")
    editor.get_by_label("评估期截止").fill("2019-12-31")
    expect(editor.get_by_label("满意度阈值（%）")).to_have_value("80")
    expect(editor.get_by_label("可推广的最少办件量")).to_have_value("10")
    expect(editor.get_by_label("与下放前的承诺时限比较")).to_be_checked()
    assert unlabelled_fields(editor) == []
    fits_the_phone(editor)
    shot(editor, "evaluation-new-round")
    editor.get_by_role("button", name="创建评估轮次").click()
    editor.wait_for_url(re.compile(r"/evaluation/\d+/$"))
    rnd = EvaluationRound.objects.get()
    expect(editor.locator("h1 .tag")).to_have_text("草稿")
    editor.get_by_role("button", name="运行评估").click()
    editor.wait_for_url(f"{live_server.url}/evaluation/{rnd.pk}/")
    expect(editor.locator(".messages")).to_contain_text("评估完成")
    expect(editor.locator("h1 .tag")).to_have_text("已评估")
    expect(editor.get_by_role("button", name="重新评估")).to_be_visible()
    expect(editor.locator('tr[data-category="poor"] td.suggested')).to_have_text("2")

    # The city's reviewer reads the results with their figures, overrides one and confirms the page.
    reviewer = log_in("city_reviewer")
    reviewer.goto(f"{live_server.url}/evaluation/{rnd.pk}/")
    expect(reviewer.get_by_role("button", name="重新评估")).to_have_count(0)  # running is the editor's
    reviewer.get_by_role("link", name=re.compile("查看评估结果")).click()
    reviewer.wait_for_url(f"{live_server.url}/evaluation/{rnd.pk}/results/")
    slow = EvaluationResult.objects.get(round=rnd, item=items["slow"])
    card = reviewer.locator(f"#result-{slow.pk}")
    expect(card).to_contain_text("平均办理时间超过法定时限")
    expect(card).to_contain_text("25.00 个工作日（法定 20 个工作日 × 1.0）")
    expect(card).to_contain_text("91.00%（阈值 80%）")
    assert unlabelled_fields(reviewer) == []
    fits_the_phone(reviewer)
    shot(reviewer, "evaluation-results")
    card.get_by_text("改为其他类别").click()
    card.get_by_label("改为").select_option(label="不应放")
    card.get_by_label("理由（必填）").fill("街道缺少具备资格的执法人员")
    card.get_by_role("button", name="改变建议").click()
    reviewer.wait_for_url(f"{live_server.url}/evaluation/{rnd.pk}/results/")
    expect(reviewer.locator(".messages")).to_contain_text("已改变评估建议")
    expect(reviewer.locator(f"#result-{slow.pk}")).to_contain_text("已改变建议")
    reviewer.get_by_role("button", name=re.compile(r"确认本页 3 项建议")).click()
    reviewer.wait_for_url(f"{live_server.url}/evaluation/{rnd.pk}/results/")
    expect(reviewer.locator(".messages")).to_contain_text("已确认本页 3 项评估建议")
    rnd.refresh_from_db()
    assert rnd.state == RoundState.CONFIRMED
    slow.refresh_from_db()
    assert (slow.suggested, slow.decision, slow.decided_by) == ("poor", "should_not", people.city_reviewer)

    # The report and its chart, on the round page.
    reviewer.get_by_role("link", name="返回评估报告").click()
    reviewer.wait_for_url(f"{live_server.url}/evaluation/{rnd.pk}/")
    expect(reviewer.locator("h1 .tag")).to_have_text("已确认")
    chart = reviewer.locator("figure.evaluation-chart svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("g.group")).to_have_count(2)  # one bar per assessment type
    expect(reviewer.locator('#table-type tr[data-type="industry"] td.total')).to_have_text("3")
    expect(reviewer.locator('tr[data-category="should_not"] td.overridden')).to_have_text("1")
    reviewer.set_viewport_size({"width": 1280, "height": 900})
    shot(reviewer, "evaluation-round-desktop")
    fits_the_phone(reviewer)
    shot(reviewer, "evaluation-round-phone")

    # Confirmed, the round is public: anyone sees the report and chart, per town as well, and no names.
    public = new_page()
    public.goto(f"{live_server.url}/")
    public.get_by_role("link", name="评估", exact=True).click()
    public.get_by_role("link", name="哈尔滨市下放事项两年评估").click()
    public.wait_for_url(f"{live_server.url}/evaluation/{rnd.pk}/")
    public.get_by_role("link", name="按乡镇").click()
    expect(public.locator("figure.evaluation-chart svg g.group")).to_have_count(2)
    expect(public.locator("figure.evaluation-chart svg desc")).to_contain_text("兆麟街道：可推广 1，不应放 1")
    expect(public.locator("main")).not_to_contain_text("city_reviewer")
    expect(public.get_by_role("button", name="重新评估")).to_have_count(0)
    fits_the_phone(public)
    shot(public, "evaluation-public-phone")


@pytest.mark.django_db(transaction=True)
def test_evidence_upload_with_a_progress_bar_then_confirm(live_server, log_in, shot, tree, people, make_item,
                                                          tmp_path):
    from powerlists.models import Evidence

    for n in range(3):
        item = make_item(tree.city, code=f"E{n}", name=f"依据事项{n}")
        devolve(item=item, giver=tree.city, receiver=tree.street, effective_on=D(2017, 6, 1),
                receiving_department=tree.street_dept)
    lines = ["事项编码,承接政府代码,统计起始日期,统计截止日期,办件量,满意度（%）,备注"]
    lines += [f"E{n % 3},230102001,{2000 + n // 3}-01-01,{2000 + n // 3}-12-31,{n},90,{'说明' * 40}"
              for n in range(60)]
    path = tmp_path / "evidence.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    page = log_in("district_editor")
    page.get_by_role("link", name="导入评估依据").click()
    page.wait_for_url(f"{live_server.url}/workspace/evaluation/evidence/")
    expect(page.locator("progress")).to_be_hidden()  # shown once an upload starts
    assert unlabelled_fields(page) == []
    fits_the_phone(page)
    page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(str(path))
    # The script posts the file with XMLHttpRequest (its upload progress drives the bar) and shows the
    # preview it answers; without the script the form posts as usual to the same address.
    with page.expect_request(lambda r: r.method == "POST"
                             and r.headers.get("x-requested-with") == "XMLHttpRequest"):
        page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("评估依据导入预览")
    expect(page.locator("main")).to_contain_text("新增 60 · 替换 0 · 错误 0")
    fits_the_phone(page)
    shot(page, "evaluation-evidence-preview")
    assert not Evidence.objects.exists()
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url(f"{live_server.url}/workspace/evaluation/evidence/")
    expect(page.locator(".messages")).to_contain_text("已导入 60 行评估依据")
    assert Evidence.objects.count() == 60
