"""The standard power list (权责清单) on the public pages: an item's standard fields, its legal bases and
its multi-level processing (with the rule that a step a level does not list is not needed there); a
government's editions, one edition and two editions compared — drafts hidden from the public. Each page
within a query budget and usable on a 360 px phone. The workspace's steps: tests/test_workspace_editions.py."""
from __future__ import annotations

import datetime
import html as htmllib
import re

from django.contrib.staticfiles import finders
from django.urls import reverse

from powerlists import services, standard_codes
from powerlists.services import editions
from powerlists.services.laws import create_law

from .helpers import devolve

D = datetime.date


def _credit(body17="11230100MB1234567"):
    return body17 + standard_codes.credit_code_check_digit(body17)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def _law(**values):
    values = {"name": "中华人民共和国城乡规划法", "kind": "law", "version_date": D(2015, 4, 24),
              "document": "中华人民共和国主席令第二十九号", **values}
    return create_law(**values)


# --- an item's standard fields --------------------------------------------------------------------------


def test_the_item_page_shows_the_standard_fields(client, tree, make_item):
    dept = services.create_department(government=tree.city, name="哈尔滨市自然资源和规划局", credit_code=_credit())
    main = make_item(tree.city, name="建设用地规划许可", basic_code="000101001000", levels=[4, 3],
                     initiation="application", fee_basis="不收费", service_object="法人、其他组织",
                     supervision="向市政务服务中心投诉", supervision_phone="0451-12345", department=dept, is_core=True)
    sub = make_item(tree.city, name="建设用地规划许可（变更）", parent=main)
    html = client.get(reverse("item", args=[main.pk])).content.decode()
    fields = text_of(_section(html, '<dl class="fields">', "</dl>"))
    for text in ("基本编码 000101001000", "依申请/依职权 依申请", "行使层级 市级、县（区）级", "收费依据及标准 不收费",
                 "服务对象 法人、其他组织", "监督方式 向市政务服务中心投诉", "监督电话 0451-12345",
                 "核心事权（上级统筹） 是", "主项/子项 主项，含 1 个子项"):
        assert text in fields, text
    assert 'href="tel:0451-12345"' in html
    assert f'href="{reverse("item", args=[sub.pk])}"' in _section(html, 'id="sub-items"', "</ul>")
    # 实施编码: the department's credit code, the city's level (3), the basic code — on the city's row
    where = _section(html, 'id="where"', "</table>")
    assert f"<code>{_credit()}3000101001000</code>" in where

    sub_html = client.get(reverse("item", args=[sub.pk])).content.decode()
    fields = text_of(_section(sub_html, '<dl class="fields">', "</dl>"))
    assert "主项/子项 子项，所属主项： " + main.code + " 建设用地规划许可" in fields
    assert f'href="{reverse("item", args=[main.pk])}"' in _section(sub_html, '<dl class="fields">', "</dl>")


def test_the_implementing_code_of_each_exercising_row(client, tree, make_item):
    """A devolved item: the city's row and the district's, each with its own department's code and level."""
    city_dept = services.create_department(government=tree.city, name="市局", credit_code=_credit())
    district_code = _credit("11230102MB7654321")
    district_dept = services.create_department(government=tree.district, name="区局", credit_code=district_code)
    item = make_item(tree.city, basic_code="000101001000", department=city_dept)
    devolve(item, tree.city, tree.district, D(2020, 1, 1), receiving_department=district_dept)
    where = _section(client.get(reverse("item", args=[item.pk])).content.decode(), 'id="where"', "</table>")
    assert f"{district_code}4000101001000" in where
    # the city still holds a row (devolved out) with its own code
    assert f"{_credit()}3000101001000" in where


def test_blank_standard_fields_are_not_shown(client, tree, make_item):
    item = make_item(tree.city, name="空白事项")
    html = client.get(reverse("item", args=[item.pk])).content.decode()
    for text in ("基本编码", "依申请/依职权", "行使层级", "收费依据及标准", "服务对象", "监督方式", "监督电话",
                 "主项/子项", "多级办理", "法律依据", "实施编码", "依据（原文）"):
        assert text not in html, text


def test_a_basic_code_without_a_credit_code_says_so(client, tree, make_item):
    item = make_item(tree.city, basic_code="000101001000", department=tree.city_dept)  # no credit code
    where = _section(client.get(reverse("item", args=[item.pk])).content.decode(), 'id="where"', "</table>")
    assert "实施编码" in where and "部门未登记统一社会信用代码" in where and "000101001000</code>" not in where


# --- legal bases ------------------------------------------------------------------------------------------------


def test_setting_and_implementing_bases_with_law_document_version_article_and_text(client, tree, make_item):
    law = _law()
    rules = _law(name="黑龙江省城乡规划条例", kind="local_regulation", document="", version_date=D(2010, 12, 16))
    item = make_item(tree.city, legal_basis="旧的依据原文", bases=[
        {"role": "setting", "law": law, "article": "第三十七条", "text": "在城市、镇规划区内以划拨方式提供国有土地使用权的……"},
        {"role": "implementing", "law": rules, "article": "第二十条"},
    ])
    html = client.get(reverse("item", args=[item.pk])).content.decode()
    setting = _section(html, "<h4>设定依据</h4>", "</ul>")
    implementing = _section(html, "<h4>实施依据</h4>", "</ul>")
    assert "《中华人民共和国城乡规划法》</strong>第三十七条" in setting
    assert "中华人民共和国主席令第二十九号" in setting and "2015-04-24 版" in setting and "法律" in setting
    # the article's text folds away
    assert re.search(r"<details><summary>条款内容</summary><p[^>]*>在城市、镇规划区内以划拨方式", setting)
    assert "《黑龙江省城乡规划条例》</strong>第二十条" in implementing and "2010-12-16 版" in implementing
    assert "地方性法规" in implementing and "<details>" not in implementing  # no text: nothing to unfold
    assert "黑龙江省城乡规划条例" not in setting
    # the raw text is kept, named as such beside the structured bases
    assert "依据（原文）" in html and "旧的依据原文" in html


def test_the_raw_basis_alone_is_the_setting_basis(client, tree, make_item):
    item = make_item(tree.city, legal_basis="《中华人民共和国行政许可法》第十二条")
    fields = text_of(_section(client.get(reverse("item", args=[item.pk])).content.decode(), '<dl class="fields">',
                              "</dl>"))
    assert "设定依据 《中华人民共和国行政许可法》第十二条" in fields


# --- multi-level processing -----------------------------------------------------------------------------------


def _processing(client, item) -> tuple[list[str], str]:
    html = client.get(reverse("item", args=[item.pk])).content.decode()
    steps = re.findall(r"<li class=\"step-[a-z]+\">(.*?)</li>", _section(html, '<ol class="processing">', "</ol>"))
    rule = text_of(_section(html, '<p class="processing-rule">', "</p>"))
    return [htmllib.unescape(re.sub(r"<[^>]+>", "", s)) for s in steps], rule


def test_steps_in_order_and_the_harbin_rule_in_words(client, tree, make_item):
    """Stored in any order, shown 初审 → 审核 → 决定 → 备案; a level with no 初审 needs none."""
    item = make_item(tree.city, levels=[3, 4], processing_steps=[
        {"step": "decision", "level": 3}, {"step": "review", "level": 3, "note": "现场核查"}])
    steps, rule = _processing(client, item)
    assert steps == ["市级审核 （现场核查）", "市级决定"]
    assert rule == "市级审核、决定，无需县（区）级初审，无需报上级备案。"


def test_every_step_at_its_level(client, tree, make_item):
    item = make_item(tree.city, levels=[3, 4, 5], processing_steps=[
        {"step": "filing", "level": 2}, {"step": "decision", "level": 3}, {"step": "review", "level": 4},
        {"step": "preliminary", "level": 4}, {"step": "preliminary", "level": 5}])
    steps, rule = _processing(client, item)
    assert steps == ["乡镇（街道）初审", "县（区）级初审", "县（区）级审核", "市级决定", "省级备案"]
    assert rule == "乡镇（街道）初审，县（区）级初审、审核，市级决定，报省级备案。"


def test_a_decision_at_the_lowest_level_needs_nothing_below(client, tree, make_item):
    item = make_item(tree.city, levels=[4], processing_steps=[{"step": "decision", "level": 4},
                                                               {"step": "filing", "level": 3}])
    assert _processing(client, item) == (["县（区）级决定", "市级备案"], "县（区）级决定，报市级备案。")


def test_the_processing_in_english(client, tree, make_item):
    item = make_item(tree.city, levels=[3, 4], processing_steps=[{"step": "decision", "level": 3}])
    html = client.get(reverse("item", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rule = text_of(_section(html, '<p class="processing-rule">', "</p>"))
    assert rule == "decision at city level; no preliminary review needed at county (district) level; " \
                   "no filing with an upper level needed."
    assert "Multi-level processing" in html


def test_item_page_query_budget_with_bases_steps_and_codes(client, tree, make_item, django_assert_max_num_queries):
    law = _law()
    dept = services.create_department(government=tree.city, name="市局", credit_code=_credit())
    item = make_item(tree.city, basic_code="000101001000", department=dept, levels=[3, 4],
                     processing_steps=[{"step": "decision", "level": 3}],
                     bases=[{"role": role, "law": _law(name=f"法律{n}") if n else law, "article": f"第{n + 1}条",
                             "text": "条文"} for n, role in enumerate(["setting", "implementing"] * 5)])
    for n in range(4):
        make_item(tree.city, parent=item, name=f"子项{n}")
    devolve(item, tree.city, tree.district, D(2020, 1, 1), receiving_department=tree.district_dept)
    with django_assert_max_num_queries(11):  # as for any item (tests/test_web_public.py BUDGETS)
        response = client.get(reverse("item", args=[item.pk]))
    assert response.status_code == 200 and response.content.decode().count("<details>") == 10


# --- editions -----------------------------------------------------------------------------------------------------


def _published(government, number, day, people, *, file_with=None):
    edition = editions.draft_edition(government, number=number, title=f"哈尔滨市权责清单（{number}年版）",
                                     actor=people.city_editor)
    edition = editions.approve_edition(edition, approved_on=day, actor=people.city_reviewer)
    edition = editions.publish_edition(edition, document_number=f"哈政发〔{number}〕1号", published_on=day,
                                       actor=people.city_reviewer)
    if file_with is not None:
        edition = editions.file_edition(edition, filed_with=file_with, filed_on=day + datetime.timedelta(days=20),
                                        filing_number=f"黑编备〔{number}〕3号", actor=people.administrator)
    return edition


def _three_editions(tree, people):
    _published(tree.city, "2019", D(2019, 3, 15), people, file_with=tree.province)
    _published(tree.city, "2021", D(2021, 3, 15), people)
    editions.draft_edition(tree.city, number="2023", title="秘密草稿版本", actor=people.city_editor)


def test_the_list_page_links_to_the_editions(client, tree):
    html = client.get(reverse("government", args=["2301"])).content.decode()
    assert f'href="{reverse("government-editions", args=["2301"])}"' in html


def test_the_editions_list_shows_published_and_filed_ones_to_the_public(client, tree, people,
                                                                         django_assert_max_num_queries):
    _three_editions(tree, people)
    with django_assert_max_num_queries(3):  # the government, its chain, the editions: whatever their number
        page = client.get(reverse("government-editions", args=["2301"]))
    assert page.status_code == 200
    rows = [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", _section(page.content.decode(), "<tbody>", "</tbody>"),
                                            re.S)]
    assert rows == [  # newest first
        "2021 哈尔滨市权责清单（2021年版） 已公布 哈政发〔2021〕1号 2021-03-15 —",
        "2019 哈尔滨市权责清单（2019年版） 已备案 哈政发〔2019〕1号 2019-03-15 黑龙江省 2019-04-04（黑编备〔2019〕3号）",
    ]
    html = page.content.decode()
    assert "秘密草稿版本" not in html and "2023" not in html
    assert "起草新版本" not in html and "csrfmiddlewaretoken" not in html.split("</header>", 1)[1]
    # each published row links to the list on its date; the compare form offers the two
    assert f'{reverse("government", args=["2301"])}?date=2019-03-15' in html
    assert 'name="a"' in html and 'name="b"' in html


def test_drafts_are_seen_by_the_governments_editors_and_reviewers_only(client, tree, people):
    _three_editions(tree, people)
    url = reverse("government-editions", args=["2301"])
    for user, sees in ((people.city_editor, True), (people.city_reviewer, True), (people.administrator, True),
                       (people.district_editor, False), (people.outsider, False), (people.nobody, False)):
        client.force_login(user)
        html = client.get(url).content.decode()
        assert ("秘密草稿版本" in html) is sees, user
        draft = client.get(reverse("government-edition", args=["2301", "2023"]))
        assert draft.status_code == (200 if sees else 404), user
        compare = client.get(reverse("government-editions-compare", args=["2301"]), {"a": "2023", "b": "2021"})
        assert compare.status_code == 302, user  # a draft has no content to compare, seen or not
    client.logout()
    assert client.get(reverse("government-edition", args=["2301", "2023"])).status_code == 404


def test_an_editions_page(client, tree, people, django_assert_max_num_queries):
    _three_editions(tree, people)
    with django_assert_max_num_queries(3):
        page = client.get(reverse("government-edition", args=["2301", "2019"]))
    html = page.content.decode()
    fields = text_of(_section(html, '<dl class="fields">', "</dl>"))
    assert fields == ("版本号 2019 政府 哈尔滨市 状态 已备案 审定日期 2019-03-15 公布文号 哈政发〔2019〕1号 "
                      "公布日期 2019-03-15 备案机关所属政府 黑龙江省 备案日期 2019-04-04 备案号 黑编备〔2019〕3号")
    assert f'{reverse("government", args=["2301"])}?date=2019-03-15' in html  # the list it published
    assert "<form" not in html.split("</header>", 1)[1]  # no step for the public
    assert client.get(reverse("government-edition", args=["2301", "2020"])).status_code == 404
    assert client.get(reverse("government-edition", args=["9999", "2019"])).status_code == 404


def test_two_editions_compared(client, tree, people, make_item, django_assert_max_num_queries):
    kept = make_item(tree.city, code="A1", name="甲事项", holder_from=D(2018, 1, 1))
    make_item(tree.city, code="B1", name="乙事项", holder_from=D(2020, 6, 1))
    gone = make_item(tree.city, code="C1", name="丙事项", holder_from=D(2018, 1, 1))
    services.cancel(item=gone, effective_on=D(2020, 1, 1))
    devolve(kept, tree.city, tree.district, D(2020, 1, 1))
    _three_editions(tree, people)
    url = reverse("government-editions-compare", args=["2301"])
    with django_assert_max_num_queries(7):  # two editions, the pickers' list, the chain, two lists (diff)
        compared = client.get(url, {"a": "2021", "b": "2019"})  # either order: older first
    html = compared.content.decode()
    assert compared.status_code == 200
    assert "哈尔滨市权责清单（2019年版） 与 哈尔滨市权责清单（2021年版） 对比" in html
    added = text_of(_section(html, 'id="added"', 'id="removed"'))
    changed = text_of(_section(html, 'id="changed"', "</table>"))
    removed = text_of(_section(html, 'id="removed"', 'id="changed"'))
    assert "乙事项" in added and "甲事项" not in added and "丙事项" in removed and "丙事项" not in added
    assert "甲事项" in changed and "保留行使 已下放" in changed  # the old value and the new one
    assert "2019-03-15" in html and "2021-03-15" in html
    # the pickers show the two compared
    assert re.search(r'<option value="2019" selected>', _section(html, 'name="a"', "</select>"))
    assert re.search(r'<option value="2021" selected>', _section(html, 'name="b"', "</select>"))
    same = client.get(url, {"a": "2021", "b": "2021"})
    assert same.status_code == 200 and 'id="count-unchanged">' in same.content.decode()


def test_compare_needs_two_published_editions(client, tree, people):
    _three_editions(tree, people)
    url = reverse("government-editions-compare", args=["2301"])
    for query in ({"a": "2021", "b": "2023"}, {"a": "2021"}, {}, {"a": "2021", "b": "x" * 5000},
                  {"a": "2021", "b": "../2019"}):
        response = client.get(url, query)
        assert response.status_code == 302 and response["Location"] == reverse("government-editions", args=["2301"])
    assert "请选择两个已公布的版本进行比较" in client.get(url, {"a": "2021"}, follow=True).content.decode()


def test_editions_pages_on_a_phone(client, tree, people):
    """360 px: the editions table stacks its rows (each cell named by its column); wide tables scroll with a
    hint; the processing steps run down the page."""
    _three_editions(tree, people)
    html = client.get(reverse("government-editions", args=["2301"])).content.decode()
    assert '<table class="editions stack">' in html
    cells = re.findall(r'<td data-label="([^"]+)"', html)
    assert cells[:6] == ["版本号", "标题", "状态", "公布文号", "公布日期", "备案"]
    css = open(finders.find("powerlists/site.css"), encoding="utf-8").read()
    phone = css[css.rindex("@media (max-width: 600px)"):]
    assert "table.stack td::before { content: attr(data-label)" in phone and ".scroll-hint { display: block; }" in phone
