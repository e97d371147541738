"""The public pages: tree, list on a date (filters, grouping, exports), item and history, diff, chart,
department table; bad input answered clearly, absent things 404, a bounded number of queries."""
import csv
import datetime
import html as htmllib
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from powerlists import services
from powerlists.models import BatchState, Category, Role
from powerlists.services import Party
from powerlists.spreadsheets import EXPORT_COLUMNS
from powerlists.web.views.public_params import a_year_before

D = datetime.date
REFORM = D(2018, 1, 1)
RECALL_DAY = D(2020, 1, 1)
SHARE_DAY = D(2019, 1, 1)
ADJUST_DAY = D(2020, 6, 1)
CANCEL_DAY = D(2019, 6, 1)


class History:
    pass


@pytest.fixture
def history(tree, make_item):
    """City items with every kind of change: devolved (in a numbered batch), recalled, shared, adjusted,
    cancelled; and one whose name a spreadsheet would run as a formula."""
    h = History()
    h.batch = services.create_batch(issuer=tree.city, title="关于向区级政府下放行政职权事项的决定",
                                    number="哈政发〔2018〕1号", round_no=1, effective_on=REFORM,
                                    state=BatchState.EFFECTIVE)
    h.devolved = make_item(name="企业投资项目核准", field="投资审批", department=tree.city_dept)
    services.devolve(item=h.devolved, giver=tree.city, receiver=tree.district, batch=h.batch,
                     receiving_department=tree.district_dept)
    h.retained = make_item(name="建设工程规划许可", field="规划建设", department=tree.city_dept)
    h.recalled = make_item(name="临时占道审批", field="城市管理")
    services.devolve(item=h.recalled, giver=tree.city, receiver=tree.district, batch=h.batch)
    services.recall(item=h.recalled, giver=tree.city, receiver=tree.district, effective_on=RECALL_DAY,
                    reason="评估为运行不良事项")
    h.shared = make_item(name="环境违法行为处罚", category=Category.PENALTY, field="环境保护")
    services.share(item=h.shared, sharer=tree.city,
                   parties=[Party(tree.city, Role.LEAD, 60), Party(tree.district, Role.SUPPORT, 40)],
                   effective_on=SHARE_DAY)
    h.adjusted = make_item(name="旧名称事项", category=Category.CONFIRMATION, field="市场监管")
    services.adjust(item=h.adjusted, changes={"name": "新名称事项"}, effective_on=ADJUST_DAY)
    h.adjusted.refresh_from_db()
    h.new_version = h.adjusted.replaced_by
    h.cancelled = make_item(name="已取消事项", category=Category.INSPECTION, field="安全管理")
    services.cancel(item=h.cancelled, effective_on=CANCEL_DAY)
    h.formula = make_item(name="=HYPERLINK(\"http://x\")许可", field="投资审批")
    return h


def page(client, name, *args, query="", **extra):
    url = reverse(name, args=args) + (f"?{query}" if query else "")
    response = client.get(url, **extra)
    return response, response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def row_names(html: str, table_class: str = "power-list") -> list[str]:
    names = []
    for table in re.findall(rf'<table class="{table_class}">(.*?)</table>', html, re.S):
        names += [htmllib.unescape(n) for n in re.findall(r'<td><a href="/items/\d+/">([^<]+)</a>', table)]
    return names


# --- 1. the tree --------------------------------------------------------------------------------------


def test_home_shows_top_level_governments_and_their_children(client, tree):
    response, html = page(client, "home")
    assert response.status_code == 200
    assert f'href="{reverse("government", args=["23"])}"' in html
    assert f'href="{reverse("government", args=["2301"])}"' in html  # a child of the province
    assert "黑龙江省" in html and "湖北省" in html and "黄冈市" in html
    assert "道里区" not in html  # grandchildren are on the city's page
    assert '<nav class="breadcrumbs"' in html and "<title>" in html


def test_home_search_by_name_and_by_alias_with_two_character_words(client, tree):
    services.update_government(tree.street2, aliases=["靖宇开发区"])
    response, html = page(client, "home", query="q=道里")
    assert response.status_code == 200
    assert "道里区" in html and "兆麟街道" not in html and "道外区" not in html
    assert "黑龙江省 › 哈尔滨市" in html  # where it sits
    response, html = page(client, "home", query="q=开发")
    assert "靖宇街道" in html and "道里区" not in html
    response, html = page(client, "home", query="q=不存在的名字")
    assert response.status_code == 200 and "道里区" not in html


def test_government_page_links_children_and_ancestors(client, tree):
    response, html = page(client, "government", "2301")
    assert response.status_code == 200
    assert f'href="{reverse("government", args=["230102"])}"' in html  # a child
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert "黑龙江省" in crumbs and 'aria-current="page">哈尔滨市' in crumbs
    assert "<title>哈尔滨市" in html


# --- 2. a government's list ---------------------------------------------------------------------------


def test_list_today_shows_each_row_with_arrangement_department_and_origin(client, tree, history):
    response, html = page(client, "government", "230102")
    assert response.status_code == 200
    names = row_names(html)
    assert "企业投资项目核准" in names and "环境违法行为处罚" in names
    assert "临时占道审批" not in names  # recalled
    row = re.search(rf'<tr>\s*<td><a href="/items/{history.devolved.pk}/">企业投资项目核准.*?</tr>', html, re.S)
    cells = text_of(row.group(0))
    assert "承接" in cells and "道里区发展和改革局" in cells and "哈尔滨市" in cells and "2018-01-01" in cells
    assert f'href="{reverse("department", args=[tree.district_dept.pk])}"' in row.group(0)
    assert f'href="{reverse("item", args=[history.devolved.pk])}"' in row.group(0)
    assert "共有·配合责任" in html


def test_list_on_a_past_date(client, tree, history):
    response, html = page(client, "government", "230102", query="date=2019-06-30")
    assert response.status_code == 200
    names = row_names(html)
    assert {"企业投资项目核准", "临时占道审批", "环境违法行为处罚"} <= set(names)
    response, html = page(client, "government", "2301", query="date=2017-06-30")
    names = row_names(html)
    assert "旧名称事项" in names and "已取消事项" in names and "新名称事项" not in names
    assert "2017-06-30" in html


def test_list_grouped_by_category_and_by_field_with_counts(client, tree, history):
    response, html = page(client, "government", "2301")
    headings = re.findall(r'<h3 id="group-\d+">(.*?)</h3>', html, re.S)
    assert [text_of(h).split()[0] for h in headings] == ["行政许可", "行政处罚", "行政确认"]
    counts = dict(re.findall(r'<td><a href="#group-\d+">([^<]+)</a></td><td class="num">(\d+)</td>', html))
    assert counts == {"行政许可": "4", "行政处罚": "1", "行政确认": "1"}
    response, html = page(client, "government", "2301", query="group=field")
    counts = dict(re.findall(r'<td><a href="#group-\d+">([^<]+)</a></td><td class="num">(\d+)</td>', html))
    assert counts == {"城市管理": "1", "市场监管": "1", "投资审批": "2", "环境保护": "1", "规划建设": "1"}


def test_list_filters_and_chinese_search(client, tree, history):
    def names(query):
        response, html = page(client, "government", "2301", query=query)
        assert response.status_code == 200
        return set(row_names(html))

    assert names("category=penalty") == {"环境违法行为处罚"}
    assert names("field=规划建设") == {"建设工程规划许可"}
    assert names("arrangement=devolved_out") == {"企业投资项目核准"}
    assert names(f"department={tree.city_dept.pk}") == {"企业投资项目核准", "建设工程规划许可"}
    assert names("q=许可") == {"建设工程规划许可", '=HYPERLINK("http://x")许可'}
    assert names("q=规划 许可") == {"建设工程规划许可"}
    assert names("q=审批&arrangement=retained") == {"临时占道审批"}


@pytest.mark.parametrize("query", [
    "date=2018-13-01", "date=yesterday", "date=0001-01-01", "category=nonsense", "arrangement=x",
    "department=abc", "department=99999999999999999999999", "group=tier",
])
def test_bad_parameters_say_so_never_500(client, tree, history, query):
    response, html = page(client, "government", "2301", query=query)
    assert response.status_code == 400
    assert 'class="problems" role="alert"' in html
    assert "请求中有无效的参数" in html
    assert "企业投资项目核准" in html  # the page still shows the default


def test_bad_date_message_in_english(client, tree):
    response, html = page(client, "government", "2301", query="date=2018-02-30", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert 'lang="en"' in html and "2018-02-30" in html and 'role="alert"' in html


def test_pages_in_english(client, tree, history):
    response, html = page(client, "government", "2301", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'lang="en"' in html and "Administrative licensing" in html and "Power lists" in html
    response, html = page(client, "item", history.devolved.pk, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and 'lang="en"' in html and "Administrative licensing" in html


# --- exports ------------------------------------------------------------------------------------------


def test_export_xlsx_is_the_list_with_the_shared_columns(client, tree, history):
    response = client.get(reverse("government-export", args=["2301", "xlsx"]), {"date": "2019-06-30"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="2301-2019-06-30.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [c.header for c in EXPORT_COLUMNS]
    names = {r[1] for r in rows[1:]}
    assert "企业投资项目核准" in names and "旧名称事项" in names and "已取消事项" not in names
    assert "'=HYPERLINK(\"http://x\")许可" in names  # neutralised: not run as a formula
    assert not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)


def test_export_csv_of_the_filtered_view(client, tree, history):
    query = {"category": "licensing", "q": "许可"}
    response = client.get(reverse("government-export", args=["2301", "csv"]), query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="2301-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"])
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [c.header for c in EXPORT_COLUMNS]
    assert sorted(r[1] for r in rows[1:]) == sorted(["建设工程规划许可", "'=HYPERLINK(\"http://x\")许可"])
    # the page's download links carry the same filters and the date
    _, html = page(client, "government", "2301", query="category=licensing&q=许可")
    link = re.search(r'href="(/g/2301/export\.csv\?[^"]+)"', html).group(1).replace("&amp;", "&")
    again = client.get(link)
    assert again.content == response.content


def test_export_with_a_bad_date_is_a_clear_400(client, tree):
    response = client.get(reverse("government-export", args=["2301", "csv"]), {"date": "2019-02-30"})
    assert response.status_code == 400
    assert "2019-02-30" in response.content.decode()


# --- 3. an item -------------------------------------------------------------------------------------------


def test_item_page_fields_and_where_it_is_exercised(client, tree, history, make_item):
    services.update_item(history.retained, legal_basis="《中华人民共和国城乡规划法》", statutory_days=20,
                         promised_days=10, responsibilities=["受理责任", "审查责任"], accountability=["违法批准的"])
    make_item(name="建设工程规划许可（新办）", parent=history.retained)
    response, html = page(client, "item", history.retained.pk)
    assert response.status_code == 200
    text = text_of(html)
    for expected in ("建设工程规划许可", "行政许可", "规划建设", "《中华人民共和国城乡规划法》", "20", "10",
                     "受理责任", "审查责任", "违法批准的", "建设工程规划许可（新办）", "村级（社区、村）", "现行",
                     "市发展和改革委员会", "保留行使"):
        assert expected in text, expected

    response, html = page(client, "item", history.devolved.pk)
    where = text_of(html.split('id="where"')[1].split("历史")[0])
    assert "哈尔滨市" in where and "已下放" in where and "道里区" in where and "承接" in where
    response, html = page(client, "item", history.devolved.pk, query="date=2017-06-30")
    where = text_of(html.split('id="where"')[1].split("历史")[0])
    assert "保留行使" in where and "道里区" not in where


def test_item_history_timeline(client, tree, history):
    _, html = page(client, "item", history.recalled.pk)
    timeline = text_of(re.search(r'<ol class="timeline">.*?</ol>\s*(?=\{|<)', html, re.S).group(0))
    assert "哈尔滨市 将该事项下放给 道里区" in timeline
    assert "哈政发〔2018〕1号" in timeline and "第 1 轮" in timeline and "2018-01-01" in timeline
    assert "哈尔滨市 从 道里区 收回该事项" in timeline and "2020-01-01" in timeline
    assert "评估为运行不良事项" in timeline
    assert timeline.index("2018-01-01") < timeline.index("2020-01-01")

    _, html = page(client, "item", history.shared.pk)
    text = text_of(html)
    assert "设为共有事权" in text and "60.00%" in text and "40.00%" in text and "主体责任" in text

    _, html = page(client, "item", history.cancelled.pk)
    text = text_of(html)
    assert "取消该事项" in text and "已取消" in text and "2019-06-01" in text


def test_item_adjusted_links_both_versions_with_old_and_new_names(client, tree, history):
    _, html = page(client, "item", history.adjusted.pk)
    text = text_of(html)
    assert "“旧名称事项” → “新名称事项”" in text and "已调整" in text
    assert f'href="{reverse("item", args=[history.new_version.pk])}"' in html
    _, html = page(client, "item", history.new_version.pk)
    assert f'href="{reverse("item", args=[history.adjusted.pk])}"' in html
    assert "“旧名称事项” → “新名称事项”" in text_of(html)


# --- 4. diff ------------------------------------------------------------------------------------------------


def count(html, name):
    return int(re.search(rf'id="count-{name}">(\d+)<', html).group(1))


def test_diff_between_two_dates(client, tree, history):
    response, html = page(client, "government-diff", "2301", query="from=2017-06-30&to=2021-01-01")
    assert response.status_code == 200
    # before: devolved, retained, recalled, shared, adjusted, cancelled, formula = 7
    # after: cancelled gone; adjusted replaced by its new version (same code: changed)
    assert count(html, "from") == 7 and count(html, "to") == 6
    assert count(html, "removed") == 1 and count(html, "added") == 0
    assert count(html, "changed") == 3  # devolved out, shared (lead), adjusted name
    assert count(html, "unchanged") == 3
    assert "已取消事项" in html and "新名称事项" in html and "已下放" in html
    assert 'id="d-from"' in html and '<label for="d-from">' in html


def test_diff_defaults_to_the_last_year(client, tree, history):
    response, html = page(client, "government-diff", "230102")
    assert response.status_code == 200
    today = timezone.localdate()
    assert f'value="{a_year_before(today).isoformat()}"' in html and f'value="{today.isoformat()}"' in html
    assert count(html, "from") == count(html, "to") == 2


def test_diff_bad_date(client, tree):
    response, html = page(client, "government-diff", "2301", query="from=2019-02-29")
    assert response.status_code == 400 and "2019-02-29" in html and 'role="alert"' in html


# --- 5. chart --------------------------------------------------------------------------------------------------


def chart_rows(html):
    return {int(t): (int(b), int(a)) for t, b, a in re.findall(
        r'<tr data-tier="(\d)">.*?<td class="num before">(\d+)</td><td class="num after">(\d+)</td>', html, re.S)}


def test_chart_counts_per_tier_before_and_after_a_date(client, tree, history):
    response, html = page(client, "government-chart", "2301", query="date=2018-01-01")
    assert response.status_code == 200
    # before: the city exercises its 7 items. After the batch: 2 of them are exercised by the district.
    assert chart_rows(html) == {2: (7, 5), 3: (0, 2), 4: (0, 0), 5: (0, 0)}
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">' in svg and "<desc id=\"chart-desc\">" in svg
    assert "之前 7" in svg and "之后 5" in svg and "之后 2" in svg
    assert "style=" not in svg  # no inline styles: fine under a strict CSP


def test_chart_default_date_is_the_latest_batch_and_custom_before(client, tree, history):
    _, html = page(client, "government-chart", "2301")
    assert 'value="2018-01-01"' in html
    _, html = page(client, "government-chart", "2301", query="date=2021-01-01&before=2017-01-01")
    # after: the city still exercises retained, recalled (back), shared (lead), new version, formula
    assert chart_rows(html)[2] == (7, 5)
    assert chart_rows(html)[3] == (0, 2)  # the devolved item and the shared item (support)


def test_chart_bad_before(client, tree):
    response, html = page(client, "government-chart", "2301", query="date=2018-01-01&before=2019-01-01")
    assert response.status_code == 400 and 'role="alert"' in html


# --- 6. department ------------------------------------------------------------------------------------------


def test_department_table_by_module_and_division(client, tree, history):
    approvals = services.create_division(department=tree.city_dept, name="行政审批处", module="审批服务")
    services.update_item(history.retained, division=approvals, responsibilities=["受理责任", "审查责任"])
    services.create_division(department=tree.city_dept, name="综合处", module="综合管理")
    response, html = page(client, "department", tree.city_dept.pk)
    assert response.status_code == 200
    text = text_of(html)
    assert "市发展和改革委员会 权责一览表" in text
    assert text.index("审批服务") < text.index("行政审批处") < text.index("建设工程规划许可") < text.index("综合管理")
    assert "受理责任" in text and "审查责任" in text
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert "哈尔滨市" in crumbs and "市发展和改革委员会" in crumbs
    # a receiving unit with no divisions shows what it exercises
    _, html = page(client, "department", tree.district_dept.pk)
    assert "企业投资项目核准" in html and "承接" in html


# --- 404s ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/g/nowhere/", "/g/nowhere/diff/", "/g/nowhere/chart/", "/g/nowhere/export.csv", "/g/2301/export.pdf",
    "/items/999999/", "/items/99999999999999999999999/", "/departments/999999/", "/items/abc/",
])
def test_absent_things_are_404(client, tree, url):
    assert client.get(url).status_code == 404


# --- quality: titles, labels, phone width --------------------------------------------------------------


def test_every_page_has_a_title_breadcrumbs_and_labelled_fields(client, tree, history):
    urls = [
        reverse("home"), reverse("home") + "?q=哈尔", reverse("government", args=["2301"]),
        reverse("item", args=[history.devolved.pk]), reverse("government-diff", args=["2301"]),
        reverse("government-chart", args=["2301"]), reverse("department", args=[tree.city_dept.pk]),
    ]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert re.search(r"<title>[^<]+ · ", html), url
        assert '<nav class="breadcrumbs"' in html, url
        main = html.split('<main id="main">')[1]
        for field_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', main):
            assert f'<label for="{field_id}"' in main, (url, field_id)
        for table in re.findall(r"<table.*?</table>", main, re.S):
            assert main.count(table) and '<div class="table-wrap"><table' in main, url
        assert not re.findall(r"<table", main.replace('<div class="table-wrap"><table', "")), url
        assert "<script" not in html, url


def test_language_switch_keeps_the_page(client, tree):
    _, html = page(client, "government", "2301", query="group=field")
    assert 'name="next" type="hidden" value="/g/2301/?group=field"' in html
    response = client.post(reverse("set_language"), {"language": "en", "next": "/g/2301/?group=field"})
    assert response.status_code == 302 and response["Location"] == "/g/2301/?group=field"


# --- query budgets ---------------------------------------------------------------------------------------


BUDGETS = {
    # item: 9 for the page (one for its legal bases with their laws), 2 to verify its history against the chain
    "home": 4, "search": 2, "government": 6, "export": 2, "diff": 4, "chart": 6, "item": 11, "department": 6,
}


@pytest.mark.parametrize("size", [1, 12])
def test_query_budgets_do_not_grow_with_the_data(client, tree, make_item, size, django_assert_max_num_queries):
    approvals = services.create_division(department=tree.city_dept, name="行政审批处", module="审批服务")
    batch = services.create_batch(issuer=tree.city, title="下放", number="1号", effective_on=REFORM,
                                  state=BatchState.EFFECTIVE)
    items = []
    for n in range(size):
        item = make_item(name=f"事项{n}", department=tree.city_dept, division=approvals,
                         responsibilities=["受理责任"])
        services.devolve(item=item, giver=tree.city, receiver=tree.district, batch=batch,
                         receiving_department=tree.district_dept)
        items.append(item)
    busy = items[0]
    for year in range(size):  # a longer history for the first item
        services.recall(item=busy, giver=tree.city, receiver=tree.district, effective_on=D(2019 + year, 1, 1))
        services.devolve(item=busy, giver=tree.city, receiver=tree.district, effective_on=D(2019 + year, 6, 1))
    own = make_item(government=tree.district, name="区级事项")
    services.share(item=own, sharer=tree.district,
                   parties=[Party(tree.district, Role.LEAD, 50), Party(tree.street, Role.SUPPORT, 50)],
                   effective_on=D(2030, 1, 1))

    pages = {
        "home": reverse("home"),
        "search": reverse("home") + "?q=街道",
        "government": reverse("government", args=["230102"]) + "?group=field",
        "export": reverse("government-export", args=["230102", "xlsx"]),
        "diff": reverse("government-diff", args=["2301"]) + "?from=2017-01-01&to=2031-01-01",
        "chart": reverse("government-chart", args=["2301"]),
        "item": reverse("item", args=[busy.pk]),
        "department": reverse("department", args=[tree.city_dept.pk]),
    }
    for name, url in pages.items():
        with django_assert_max_num_queries(BUDGETS[name]):
            response = client.get(url)
        assert response.status_code == 200, name
    _, html = page(client, "government", "230102")
    assert len(row_names(html)) == size + 1
    _, html = page(client, "item", busy.pk)
    assert html.count("收回该事项") == size


def test_bad_input_on_item_department_and_home_pages(client, tree, history):
    for url in (reverse("item", args=[history.devolved.pk]) + "?date=2020-1-1",
                reverse("department", args=[tree.city_dept.pk]) + "?date=9999-99-99",
                reverse("home") + "?q=" + "长" * 101):
        response = client.get(url)
        assert response.status_code == 400, url
        assert 'class="problems" role="alert"' in response.content.decode(), url
