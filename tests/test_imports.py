"""Spreadsheet import: preview (no writes), apply (all or nothing), the web pages and the command."""
import datetime
import io
import os
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from powerlists.models import AuditEvent, Category, PowerItem, Tier
from powerlists.services import imports
from powerlists.services.errors import Conflict, Forbidden, InvalidInput
from powerlists.spreadsheets import EXPORT_COLUMNS, ITEM_COLUMNS, item_cells, write_csv, write_xlsx

from .helpers import db_state

D = datetime.date
PASSWORD = "a-long-pass-phrase-2026"


def record(code, title, **kw):
    base = {"code": code, "name": title, "category": "行政许可", "field": "投资审批", "department": "",
            "division": "", "legal_basis": "", "statutory_days": "", "promised_days": "", "lowest_tier": "",
            "responsibilities": "", "accountability": "", "is_core": "否", "parent_code": ""}
    base.update(kw)
    return base


@pytest.fixture
def catalogue(tree, make_item):
    """The city's catalogue: two items, one with a sub-item."""
    a = make_item(code="A1", name="企业投资项目核准", field="投资审批", department=tree.city_dept, statutory_days=20,
                  promised_days=10, responsibilities=["受理责任", "审查责任"])
    b = make_item(code="B1", name="建筑工程施工许可", field="规划建设")
    sub = make_item(code="B1-1", name="建筑工程施工许可（变更）", field="规划建设", parent=b)
    return a, b, sub


def exported(items, **overrides):
    """Cells of items the way the list export writes them."""
    rows = []
    for item in items:
        cells = item_cells({
            "code": item.code, "name": item.name, "category": item.category, "field": item.field,
            "department": item.department.name if item.department else "",
            "division": item.division.name if item.division else "", "legal_basis": item.legal_basis,
            "statutory_days": item.statutory_days, "promised_days": item.promised_days,
            "lowest_tier": item.lowest_tier, "responsibilities": item.responsibilities,
            "accountability": item.accountability, "is_core": item.is_core,
            "parent_code": item.parent.code if item.parent else "",
        })
        cells.update(overrides.get(item.code, {}))
        rows.append(cells)
    return rows


def good_rows(catalogue):
    a, b, sub = catalogue
    rows = exported([a, b, sub], A1={"promised_days": 5, "legal_basis": "=《行政许可法》"})
    rows.append(record("C1", "新增事项一", category="行政处罚", lowest_tier="乡级（街道、镇、乡）",
                       responsibilities="受理责任；决定责任", statutory_days="15", promised_days="7"))
    rows.append(record("C1-1", "新增子项", parent_code="C1", category="penalty"))
    rows.append(record("C2", "新增事项二", department="市发展和改革委员会", is_core="是"))
    return rows


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_preview_tells_new_changed_unchanged_and_writes_nothing(tree, catalogue, fmt):
    data = (write_xlsx if fmt == "xlsx" else write_csv)(good_rows(catalogue), ITEM_COLUMNS)
    before = db_state()
    preview = imports.preview_import(tree.city, data, f"list.{fmt}")
    assert db_state() == before
    outcomes = {r.code: r.outcome for r in preview.rows}
    assert outcomes == {"A1": "changed", "B1": "unchanged", "B1-1": "unchanged", "C1": "new", "C1-1": "new",
                        "C2": "new"}
    a_row = next(r for r in preview.rows if r.code == "A1")
    assert a_row.changed == ["legal_basis", "promised_days"] or set(a_row.changed) == {"legal_basis", "promised_days"}
    assert preview.counts == {"new": 3, "changed": 1, "unchanged": 2, "error": 0}
    assert not preview.has_errors


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_apply_writes_every_row_through_the_rules_with_audit_events(tree, catalogue, people, fmt):
    data = (write_xlsx if fmt == "xlsx" else write_csv)(good_rows(catalogue), ITEM_COLUMNS)
    preview = imports.preview_import(tree.city, data, f"list.{fmt}", actor=people.city_editor)
    result = imports.apply_import(tree.city, data, f"list.{fmt}", people.city_editor, preview.fingerprint,
                                  holder_from=D(2020, 1, 1))
    assert (result.created, result.changed, result.unchanged) == (3, 1, 2)
    a = PowerItem.objects.get(government=tree.city, code="A1")
    assert a.promised_days == 5 and a.version == 2
    assert a.legal_basis == "=《行政许可法》"  # the exporter's apostrophe is gone
    c1 = PowerItem.objects.get(government=tree.city, code="C1")
    assert c1.category == Category.PENALTY and c1.lowest_tier == Tier.TOWNSHIP
    assert c1.responsibilities == ["受理责任", "决定责任"] and (c1.statutory_days, c1.promised_days) == (15, 7)
    assert PowerItem.objects.get(government=tree.city, code="C1-1").parent_id == c1.pk
    c2 = PowerItem.objects.get(government=tree.city, code="C2")
    assert c2.department == tree.city_dept and c2.is_core
    events = AuditEvent.objects.filter(action__in=["item.create", "item.update"], actor=people.city_editor)
    assert sorted(events.values_list("action", "item__code")) == [
        ("item.create", "C1"), ("item.create", "C1-1"), ("item.create", "C2"), ("item.update", "A1")]
    update = events.get(action="item.update")
    assert update.before["promised_days"] == 10 and update.after["promised_days"] == 5
    assert c1.exercises.get().valid_from == D(2020, 1, 1)
    # Importing the same file again changes nothing.
    again = imports.preview_import(tree.city, data, f"list.{fmt}")
    assert again.counts["new"] == 0 and again.counts["changed"] == 0


def test_a_full_export_reimports_unchanged(tree, catalogue):
    rows = exported(catalogue)
    for row in rows:
        row.update({"arrangement": "保留行使", "role": "holder", "valid_from": "2016-01-01"})
    data = write_xlsx(rows, EXPORT_COLUMNS)
    preview = imports.preview_import(tree.city, data, "export.xlsx")
    assert {r.outcome for r in preview.rows} == {"unchanged"}


BAD_ROWS = [
    ({"statutory_days": "十五"}, "应为整数"),
    ({"statutory_days": "5", "promised_days": "9"}, "承诺时限不能长于法定时限"),
    ({"category": "行政审批"}, "权力类别“行政审批”无法识别"),
    ({"lowest_tier": "国家级"}, "法定最低实施层级“国家级”无法识别"),
    ({"department": "不存在的局"}, "不是本政府的部门"),
    ({"department": "市发展和改革委员会", "division": "不存在的处"}, "不是“市发展和改革委员会”的处室"),
    ({"parent_code": "NOPE"}, "既不在文件中，也不在本政府的清单中"),
    ({"parent_code": "B1-1"}, "本身是子项"),
    ({"is_core": "也许"}, "核心事权应填"),
    ({"name": ""}, "请填写事项名称"),
]


@pytest.mark.parametrize(("cells", "message"), BAD_ROWS)
def test_bad_rows_are_errors_with_reasons_and_nothing_is_written(tree, catalogue, people, cells, message):
    rows = [record("OK1", "好的事项"), record("BAD", "有错的事项", **cells)]
    data = write_csv(rows, ITEM_COLUMNS)
    preview = imports.preview_import(tree.city, data, "bad.csv")
    bad = next(r for r in preview.rows if r.code == "BAD")
    assert bad.outcome == "error" and message in bad.error_text(), bad.errors
    assert all(en for _zh, en in bad.errors)
    assert next(r for r in preview.rows if r.code == "OK1").outcome == "new"
    before = db_state()
    with pytest.raises(InvalidInput) as info:
        imports.apply_import(tree.city, data, "bad.csv", people.city_editor, preview.fingerprint)
    assert info.value.code == "import_has_errors" and "第3行" in info.value.message_zh
    assert db_state() == before


def test_duplicate_codes_in_the_file(tree, catalogue):
    data = write_csv([record("X1", "一"), record("X1", "二")], ITEM_COLUMNS)
    preview = imports.preview_import(tree.city, data, "dup.csv")
    assert [r.outcome for r in preview.rows] == ["new", "error"]
    assert "在文件中重复（第2行已有）" in preview.rows[1].error_text()


def test_a_parent_gaining_a_parent_is_refused(tree, catalogue):
    # B1 has a sub-item in the catalogue: it cannot become a sub-item of A1.
    data = write_csv([record("B1", "建筑工程施工许可", field="规划建设", parent_code="A1")], ITEM_COLUMNS)
    row = imports.preview_import(tree.city, data, "p.csv").rows[0]
    assert row.outcome == "error" and "有子项的事项不能再作为子项" in row.error_text()


def _refused_file(tree, data, filename, code):
    before = db_state()
    with pytest.raises(InvalidInput) as info:
        imports.preview_import(tree.city, data, filename)
    assert info.value.code == code, info.value
    with pytest.raises(InvalidInput):
        imports.apply_import(tree.city, data, filename, None, imports.fingerprint(data))
    assert db_state() == before
    return info.value


def test_wrong_columns(tree, catalogue):
    error = _refused_file(tree, "编号,标题\nX,Y\n".encode(), "x.csv", "unknown_columns")
    assert "使用模板中的列" in error.message_zh and "指定对应的栏目" in error.message_zh
    error = _refused_file(tree, "事项编码,事项名称\nX,Y\n".encode(), "x.csv", "missing_columns")
    assert "权力类别" in error.message_zh


def test_not_a_spreadsheet(tree, catalogue):
    _refused_file(tree, os.urandom(5000), "random.xlsx", "not_a_spreadsheet")
    _refused_file(tree, b"\x00\x01\x02binary" * 100, "binary.csv", "not_a_spreadsheet")
    _refused_file(tree, b"PK\x03\x04" + os.urandom(2000), "fake.xlsx", "not_a_spreadsheet")
    _refused_file(tree, b"a,b", "list.txt", "unsupported_file")
    _refused_file(tree, b"", "empty.csv", "empty_file")


def test_a_20_mb_file_is_refused_before_parsing(tree, catalogue, monkeypatch):
    from powerlists import spreadsheets

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed a file over the size limit")

    monkeypatch.setattr(spreadsheets, "_read_xlsx", must_not_parse)
    monkeypatch.setattr(spreadsheets, "_read_csv", must_not_parse)
    _refused_file(tree, b"x" * (20 * 1024 * 1024), "big.xlsx", "file_too_large")


def test_apply_is_all_or_nothing(tree, catalogue, monkeypatch):
    rows = [record(f"N{i:04d}", f"事项{i}") for i in range(2500)]
    data = write_csv(rows, ITEM_COLUMNS)
    calls = {"n": 0}
    real = imports._create_chunk

    def fail_on_second_chunk(items):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        real(items)

    monkeypatch.setattr(imports, "_create_chunk", fail_on_second_chunk)
    before = db_state()
    with pytest.raises(RuntimeError):
        imports.apply_import(tree.city, data, "many.csv", None, imports.fingerprint(data))
    assert calls["n"] == 2
    assert db_state() == before


def test_apply_refuses_another_file_than_the_previewed_one(tree, catalogue):
    data = write_csv([record("X1", "一")], ITEM_COLUMNS)
    with pytest.raises(Conflict):
        imports.apply_import(tree.city, data, "x.csv", None, imports.fingerprint(b"other"))
    assert not PowerItem.objects.filter(code="X1").exists()


def test_apply_asks_the_policy(tree, catalogue, people):
    data = write_csv([record("X1", "一")], ITEM_COLUMNS)
    for user in (people.district_editor, people.city_reviewer, people.outsider):
        with pytest.raises(Forbidden):
            imports.apply_import(tree.city, data, "x.csv", user, imports.fingerprint(data))
    assert not PowerItem.objects.filter(code="X1").exists()


def test_queries_do_not_grow_with_rows(tree, catalogue):
    def count(n, prefix):
        data = write_csv([record(f"{prefix}{i}", f"事项{i}", department="市发展和改革委员会") for i in range(n)],
                         ITEM_COLUMNS)
        with CaptureQueriesContext(connection) as ctx:
            imports.apply_import(tree.city, data, "q.csv", None, imports.fingerprint(data))
        return len(ctx.captured_queries)

    small, large = count(3, "Q"), count(300, "R")
    # Bulk inserts are split into batches (SQLite binds at most 999 values per statement), never per row.
    assert large < small + 20, (small, large)


# --- command ---------------------------------------------------------------------------------------


def test_importlist_dry_run_real_run_and_errors(tree, catalogue, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(write_xlsx([record("K1", "命令导入一"), record("K2", "命令导入二")], ITEM_COLUMNS))
    out, err = io.StringIO(), io.StringIO()
    before = db_state()
    call_command("importlist", str(good), government="2301", dry_run=True, stdout=out, stderr=err)
    assert "新增 new: 2" in out.getvalue() and db_state() == before
    call_command("importlist", str(good), government="2301", stdout=out, stderr=err)
    assert PowerItem.objects.filter(government=tree.city, code__in=["K1", "K2"]).count() == 2
    assert AuditEvent.objects.filter(action="item.create", actor_name="importlist").count() == 2

    bad = tmp_path / "bad.csv"
    bad.write_bytes(write_csv([record("K3", "三", category="不知道")], ITEM_COLUMNS))
    before = db_state()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("importlist", str(bad), government="2301", stdout=io.StringIO(), stderr=err)
    assert "line 2" in err.getvalue() and db_state() == before


def test_importlist_refusals_are_command_errors(tree, catalogue, tmp_path):
    """A CommandError ends ``manage.py importlist`` with exit status 1."""
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00binary")
    with pytest.raises(CommandError, match="not a valid CSV"):
        call_command("importlist", str(bad), government="2301", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError, match="No government"):
        call_command("importlist", str(bad), government="NOPE", stdout=io.StringIO(), stderr=io.StringIO())
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * (20 * 1024 * 1024))
    with pytest.raises(CommandError, match="too large"):
        call_command("importlist", str(big), government="2301", stdout=io.StringIO(), stderr=io.StringIO())


# --- web ---------------------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


def test_import_pages_upload_preview_confirm(client, tree, catalogue, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, people.city_editor)
    page = client.get(reverse("workspace-import"))
    assert page.status_code == 200 and "哈尔滨市" in page.content.decode()
    data = write_xlsx(good_rows(catalogue), ITEM_COLUMNS)
    upload = io.BytesIO(data)
    upload.name = "list.xlsx"
    before = db_state()
    preview = client.post(reverse("workspace-import"), {"government": tree.city.code, "file": upload})
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "新增" in text and "C1-1" in text and "承诺时限" in text
    assert db_state() == before
    fp = imports.fingerprint(data)
    assert fp in text
    # A forged fingerprint is refused.
    forged = client.post(reverse("workspace-import-confirm"), {"fingerprint": "0" * 64})
    assert forged.status_code == 400 and db_state() == before
    done = client.post(reverse("workspace-import-confirm"), {"fingerprint": fp}, follow=True)
    assert done.status_code == 200
    assert "新增 3" in done.content.decode()
    assert PowerItem.objects.filter(government=tree.city, code="C2").exists()
    # Confirming twice does nothing more (the stored file is gone).
    again = client.post(reverse("workspace-import-confirm"), {"fingerprint": fp})
    assert again.status_code == 400


def test_import_page_shows_errors_and_keeps_the_government(client, tree, catalogue, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(client, people.city_editor)
    upload = io.BytesIO(os.urandom(3000))
    upload.name = "random.xlsx"
    page = client.post(reverse("workspace-import"), {"government": tree.city.code, "file": upload})
    assert page.status_code == 400
    text = page.content.decode()
    assert "不是有效的 Excel" in text and f'value="{tree.city.code}" selected' in text
    big = io.BytesIO(b"x" * (20 * 1024 * 1024))
    big.name = "big.csv"
    page = client.post(reverse("workspace-import"), {"government": tree.city.code, "file": big})
    assert page.status_code == 400 and "文件过大" in page.content.decode()
    bad = io.BytesIO(write_csv([record("E1", "错", statutory_days="abc")], ITEM_COLUMNS))
    bad.name = "bad.csv"
    page = client.post(reverse("workspace-import"), {"government": tree.city.code, "file": bad})
    text = page.content.decode()
    assert "应为整数" in text and "workspace/import/confirm" not in text  # no confirm button with errors
    assert not PowerItem.objects.filter(code="E1").exists()


def test_import_refused_for_other_governments_and_anonymous(client, tree, catalogue, people):
    response = client.get(reverse("workspace-import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client, people.district_editor)
    upload = io.BytesIO(write_csv([record("X1", "一")], ITEM_COLUMNS))
    upload.name = "x.csv"
    page = client.post(reverse("workspace-import"), {"government": tree.city.code, "file": upload})
    assert page.status_code == 400 and not PowerItem.objects.filter(code="X1").exists()
    login(client, people.nobody)
    assert "哈尔滨市" not in client.get(reverse("workspace-import")).content.decode()


def test_templates_download(client, tree, people):
    login(client, people.city_editor)
    xlsx = client.get(reverse("workspace-import-template", args=["xlsx"]))
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from powerlists.spreadsheets import column_keys, read_table

    headers, rows = read_table(xlsx.content, "template.xlsx")
    assert headers == [c.header for c in ITEM_COLUMNS] and rows == []
    csv = client.get(reverse("workspace-import-template", args=["csv"]))
    headers, _rows = read_table(b"".join(csv.streaming_content) if csv.streaming else csv.content, "t.csv")
    assert column_keys(headers) == [c.key for c in ITEM_COLUMNS]


# --- speed -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_ten_thousand_rows(tree, catalogue):
    """About 4 s here on SQLite and on PostgreSQL (preview and apply, XLSX); marked slow."""
    rows = [record(f"S{i:05d}", f"批量事项{i}", department="市发展和改革委员会", statutory_days="20",
                   promised_days="10", responsibilities="受理责任；审查责任；决定责任",
                   parent_code="" if i % 10 == 0 else f"S{i - i % 10:05d}") for i in range(10_000)]
    data = write_xlsx(rows, ITEM_COLUMNS)
    started = time.monotonic()
    preview = imports.preview_import(tree.city, data, "big.xlsx")
    assert preview.counts["new"] == 10_000, preview.errors[:3]
    result = imports.apply_import(tree.city, data, "big.xlsx", None, preview.fingerprint, actor_name="test",
                                  holder_from=D(2020, 1, 1))
    elapsed = time.monotonic() - started
    assert result.created == 10_000
    assert PowerItem.objects.filter(government=tree.city, code__startswith="S").count() == 10_000
    assert AuditEvent.objects.filter(action="item.create", actor_name="test").count() == 10_000
    assert PowerItem.objects.get(government=tree.city, code="S00011").parent.code == "S00010"
    print(f"10,000 rows previewed and imported in {elapsed:.1f} s ({10_000 / elapsed:.0f} rows/s)")
    assert elapsed < 60


def test_an_export_made_in_english_imports_again(db):
    """Exports carry the canonical Chinese labels whatever the page's language."""
    from django.utils import translation

    from powerlists import spreadsheets

    with translation.override("en"):
        cells = spreadsheets.item_cells({"code": "E1", "name": "食品经营许可", "category": "licensing",
                                         "lowest_tier": 4})
    assert cells["category"] == "行政许可" and cells["lowest_tier"] == "乡级（街道、镇、乡）"
