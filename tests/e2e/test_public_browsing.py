"""A visitor in real Chromium: finds a government, reads its list (filtered, on a past date), an item and
its history, the diff between two dates, downloads the exports, switches to English; every page fits a
360 px phone; the keyboard reaches the skip link and the search field; every field has a label."""
import csv
import datetime
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from powerlists import services
from powerlists.models import BatchState, Category
from powerlists.spreadsheets import EXPORT_COLUMNS

from .conftest import fits_the_phone, unlabelled_fields

D = datetime.date
HEADERS = [c.header for c in EXPORT_COLUMNS]


@pytest.fixture
def city_history(tree, make_item):
    batch = services.create_batch(issuer=tree.city, title="关于向区级政府下放行政职权事项的决定",
                                  number="哈政发〔2018〕1号", round_no=1, effective_on=D(2018, 1, 1),
                                  state=BatchState.EFFECTIVE)
    devolved = make_item(name="企业投资项目核准", field="投资审批", department=tree.city_dept,
                         responsibilities=["受理责任", "审查责任"])
    services.devolve(item=devolved, giver=tree.city, receiver=tree.district, batch=batch,
                     receiving_department=tree.district_dept)
    make_item(name="建设工程规划许可", field="规划建设", department=tree.city_dept)
    make_item(name="环境违法行为处罚", category=Category.PENALTY, field="环境保护")
    cancelled = make_item(name="已取消事项", category=Category.INSPECTION, field="安全管理")
    services.cancel(item=cancelled, effective_on=D(2019, 6, 1))
    return devolved


def power_names(page) -> list[str]:
    return page.locator("table.power-list tbody tr td:first-child a").all_inner_texts()


def header_row_of_csv(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def header_row_of_xlsx(path) -> list[str]:
    with open(path, "rb") as f:  # Playwright keeps the download under a name without an extension
        sheet = load_workbook(io.BytesIO(f.read()), read_only=True).worksheets[0]
    return list(next(sheet.iter_rows(values_only=True)))


@pytest.mark.django_db(transaction=True)
def test_a_visitor_browses_the_lists(live_server, page, shot, tree, city_history):
    devolved = city_history
    fits_the_phone(page)

    # The front page: search a government by its Chinese name.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("各级政府")
    fits_the_phone(page)
    shot(page, "public-front")
    page.get_by_label("按名称或别名查找政府").fill("哈尔滨")
    page.get_by_role("button", name="查找").click()
    results = page.locator("table.results")
    expect(results).to_contain_text("黑龙江省")
    fits_the_phone(page)
    results.get_by_role("link", name="哈尔滨市").click()

    # The city's list today.
    page.wait_for_url(re.compile(r"/g/2301/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("哈尔滨市")
    names = power_names(page)
    assert {"企业投资项目核准", "建设工程规划许可", "环境违法行为处罚"} <= set(names)
    assert "已取消事项" not in names
    fits_the_phone(page)
    shot(page, "public-list")

    # Filter by category.
    page.get_by_label("权力类别").select_option("penalty")
    page.get_by_role("button", name="显示").click()
    page.wait_for_url(re.compile(r"category=penalty"))
    assert power_names(page) == ["环境违法行为处罚"]
    fits_the_phone(page)

    # A past date: the cancelled item is still there, the devolved one still the city's own.
    page.get_by_label("权力类别").select_option("")
    page.get_by_label("日期").fill("2017-06-30")
    page.get_by_role("button", name="显示").click()
    page.wait_for_url(re.compile(r"date=2017-06-30"))
    expect(page.locator("#list-heading")).to_contain_text("2017-06-30")
    assert {"已取消事项", "企业投资项目核准"} <= set(power_names(page))
    row = page.locator("table.power-list tr", has_text="企业投资项目核准")
    expect(row).to_contain_text("保留行使")
    fits_the_phone(page)

    # Downloads of that list: CSV and XLSX, each with the export headers first.
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="下载 CSV").click()
    assert csv_download.value.suggested_filename == "2301-2017-06-30.csv"
    assert header_row_of_csv(csv_download.value.path()) == HEADERS
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="下载 Excel（XLSX）").click()
    assert xlsx_download.value.suggested_filename == "2301-2017-06-30.xlsx"
    assert header_row_of_xlsx(xlsx_download.value.path()) == HEADERS

    # An item and its history timeline.
    page.locator("table.power-list").get_by_role("link", name="企业投资项目核准").click()
    page.wait_for_url(re.compile(rf"/items/{devolved.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("企业投资项目核准")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("哈尔滨市 将该事项下放给 道里区")
    expect(timeline).to_contain_text("哈政发〔2018〕1号")
    expect(timeline.locator("time").first).to_have_attribute("datetime", re.compile(r"\d{4}-\d{2}-\d{2}"))
    fits_the_phone(page)
    shot(page, "public-item")

    # The diff between two dates.
    page.goto(f"{live_server.url}/g/2301/")
    page.get_by_role("navigation", name="本政府的页面").get_by_role("link", name="清单变化").click()
    page.get_by_label("从").fill("2017-06-30")
    page.get_by_label("到").fill("2021-01-01")
    page.get_by_role("button", name="比较").click()
    page.wait_for_url(re.compile(r"from=2017-06-30&to=2021-01-01"))
    expect(page.locator("#count-removed")).to_have_text("1")
    expect(page.locator("#count-added")).to_have_text("0")
    expect(page.locator("#count-changed")).to_have_text("1")  # devolved out
    expect(page.locator("h2#removed + .table-wrap")).to_contain_text("已取消事项")
    expect(page.locator("table.diff-changed")).to_contain_text("企业投资项目核准")
    fits_the_phone(page)
    shot(page, "public-diff")

    # The chart of where powers sit, and a department's table.
    page.get_by_role("navigation", name="本政府的页面").get_by_role("link", name="权力分布").click()
    expect(page.locator("figure.chart svg")).to_be_visible()
    fits_the_phone(page)
    shot(page, "public-chart")
    page.goto(f"{live_server.url}/g/2301/")
    page.locator("ul.departments").get_by_role("link", name="市发展和改革委员会").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("市发展和改革委员会 权责一览表")
    expect(page.locator("main")).to_contain_text("建设工程规划许可")
    fits_the_phone(page)
    shot(page, "public-department")

    # English, on the same page.
    page.goto(f"{live_server.url}/g/2301/?group=field")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == f"{live_server.url}/g/2301/?group=field"
    expect(page.locator("main")).to_contain_text("Administrative licensing")
    fits_the_phone(page)


@pytest.mark.django_db(transaction=True)
def test_keyboard_and_labels_on_the_front_page(live_server, page, tree):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    assert skip.bounding_box()["x"] >= 0  # shown on screen when focused
    # Tab on until the search field, without getting stuck.
    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "government-q":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_label("按名称或别名查找政府")).to_be_focused()
    page.keyboard.type("道里")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?q="))
    expect(page.locator("table.results")).to_contain_text("道里区")

    for url in ("/", "/g/2301/", "/g/2301/diff/", "/g/2301/chart/"):
        page.goto(live_server.url + url)
        unlabelled = unlabelled_fields(page)
        assert unlabelled == [], (url, unlabelled)
