"""Importing a provincial government-service platform's export as it is (issue "The standard power list",
point 1): its headers (职权编码 / 基本编码, 事项类型, 行使层级 / 实施层级, 依据, 实施主体 …) and codes are
recognised with no hand mapping, the preview says what each code became, unknown codes are row errors
and nothing is written unless every row is valid; other headers are mapped once and the mapping is kept
for the government.
"""
from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from powerlists import services, standard_codes
from powerlists.models import AuditEvent, Category, Department, ImportMapping, PowerItem, Tier
from powerlists.services import imports
from powerlists.services.errors import Forbidden, InvalidInput
from powerlists.spreadsheets import ITEM_COLUMNS, write_csv, write_xlsx
from powerlists.spreadsheets import Column as C

from .helpers import db_state

D = datetime.date

# The columns of a platform's export, in its order, with a few it has that the product does not keep.
PLATFORM = [C("no", "序号", ""), C("code", "职权编码", ""), C("name", "事项名称", ""), C("type", "事项类型", ""),
            C("levels", "行使层级", ""), C("basis", "设定依据", ""), C("impl", "实施依据", ""),
            C("body", "实施主体", ""), C("authorised", "授权部门", ""), C("statutory", "法定时限", ""),
            C("promised", "承诺时限", ""), C("initiation", "依申请/依职权", ""), C("fee", "收费依据及标准", ""),
            C("object", "服务对象", ""), C("phone", "监督电话", ""), C("impl_code", "实施编码", ""),
            C("note", "备注", "")]

STATUTE = ("《中华人民共和国城乡规划法》第三十七条：在城市、镇规划区内以划拨方式提供国有土地使用权的建设项目，经有关部门批准、"
           "核准、备案后，建设单位应当向城市、县人民政府城乡规划主管部门提出建设用地规划许可申请，") * 12  # > 1,000


def _credit(body17="11320000MB0123456"):
    return body17 + standard_codes.credit_code_check_digit(body17)


CREDIT = _credit()


def platform_row(code, name, type_code, levels, body="江苏省自然资源厅", **extra):
    row = {"no": "1", "code": code, "name": name, "type": type_code, "levels": levels, "basis": "", "impl": "",
           "body": body, "authorised": "", "statutory": "20个工作日", "promised": "10", "initiation": "依申请",
           "fee": "不收费", "object": "法人", "phone": "12345", "impl_code": "", "note": ""}
    row.update(extra)
    return row


@pytest.fixture
def province(db):
    """A province with nothing in it yet: no departments, no items."""
    return services.create_government(code="32", name="江苏省", tier=Tier.PROVINCE)


def export_file(rows, kind="csv"):
    return write_csv(rows, PLATFORM) if kind == "csv" else write_xlsx(rows, PLATFORM)


def good_rows():
    return [
        platform_row("000101001000", "建设用地规划许可", "01", "2,3,4", basis=STATUTE,
                     impl="《建设用地规划许可管理办法》第五条", impl_code=CREDIT + "2" + "000101001000"),
        platform_row("000102003000", "对违反城乡规划行为的处罚", "02", "2、3、4、5", body="江苏省住房和城乡建设厅",
                     initiation="依职权", statutory="", promised=""),
        platform_row("000120005000", "不动产登记资料查询", "20", "3,4", promised="1"),
        platform_row("000199001000", "其他事项", "99", "2"),
        platform_row("000107002000", "林地权属确认", 7, "2,3", authorised="江苏省林业局"),  # a number, as Excel keeps it
    ]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_platform_export_imports_into_a_fresh_province_with_no_mapping(province, kind):
    data = export_file(good_rows(), kind)
    preview = imports.preview_import(province, data, f"export.{kind}", create_departments=True)
    assert not preview.has_errors, [(r.line, r.errors) for r in preview.rows if r.errors]
    meanings = {(column, cell): meaning for column, cell, meaning, _ in preview.code_meanings}
    assert meanings[("事项类型", "01")] == "行政许可"
    assert meanings[("事项类型", "99")] == "其他行政权力"
    assert meanings[("事项类型", "7")] == "行政确认"
    assert meanings[("行使层级", "2,3,4")] == "省、市、县（最低：县级（区、县））"
    assert sorted(preview.new_departments) == ["江苏省住房和城乡建设厅", "江苏省自然资源厅"]

    imports.apply_import(province, data, f"export.{kind}", expected_fingerprint=imports.fingerprint(data),
                         create_departments=True, actor_name="importlist")
    items = {i.code: i for i in PowerItem.objects.filter(government=province)}
    licence = items["000101001000"]
    assert (licence.basic_code, licence.category, licence.levels, licence.lowest_tier) == (
        "000101001000", Category.LICENSING, [2, 3, 4], Tier.COUNTY)
    assert licence.legal_basis.startswith(STATUTE) and len(licence.legal_basis) > 1000
    assert licence.legal_basis.endswith("实施依据：《建设用地规划许可管理办法》第五条")
    assert (licence.statutory_days, licence.promised_days, licence.initiation) == (20, 10, "application")
    assert (licence.fee_basis, licence.service_object, licence.supervision_phone) == ("不收费", "法人", "12345")
    assert licence.department.name == "江苏省自然资源厅" and licence.department.credit_code == CREDIT
    penalty = items["000102003000"]
    assert (penalty.category, penalty.levels, penalty.lowest_tier, penalty.initiation) == (
        Category.PENALTY, [2, 3, 4, 5], Tier.TOWNSHIP, "ex_officio")
    assert penalty.department.name == "江苏省住房和城乡建设厅"
    assert items["000120005000"].category == Category.PUBLIC_SERVICE
    assert items["000199001000"].category == Category.OTHER
    confirmation = items["000107002000"]
    assert confirmation.category == Category.CONFIRMATION
    assert confirmation.department.name == "江苏省自然资源厅"  # 实施主体 wins over 授权部门
    assert Department.objects.filter(government=province).count() == 2
    assert AuditEvent.objects.filter(action="department.create", government=province).count() == 2
    assert AuditEvent.objects.filter(action="item.create", government=province).count() == 5


@pytest.mark.parametrize(("change", "reason"), [
    ({"type": "11"}, "事项类型代码“11”无法识别"),
    ({"levels": "3,7"}, "行使层级“7”无法识别"),
    ({"initiation": "依情况"}, "应填“依申请”或“依职权”"),
    ({"statutory": "二十日"}, "应为整数"),
    ({"code": "0001"}, None),  # not a basic code: a code of the product's own; still imports
    ({"impl_code": CREDIT + "2" + "000101009999"}, "与基本编码"),
    ({"impl_code": "123"}, "实施编码“123”应为31至36位"),
])
def test_an_unknown_code_is_a_row_error_with_its_reason_and_nothing_is_written(province, change, reason):
    rows = good_rows()
    rows[0].update(change)
    data = export_file(rows)
    before = db_state()
    preview = imports.preview_import(province, data, "export.csv", create_departments=True)
    if reason is None:
        assert not preview.has_errors
        return
    assert [r.line for r in preview.errors] == [2]
    assert reason in preview.errors[0].errors[0][0] and preview.errors[0].errors[0][1]
    with pytest.raises(InvalidInput) as info:
        imports.apply_import(province, data, "export.csv", create_departments=True)
    assert info.value.code == "import_has_errors"
    assert db_state() == before


def test_without_create_departments_an_unknown_body_is_a_row_error(province):
    preview = imports.preview_import(province, export_file(good_rows()), "export.csv")
    assert len(preview.errors) == 5
    assert "不是本政府的部门" in preview.errors[0].errors[0][0]
    assert "新建表中的部门" in preview.errors[0].errors[0][0]


def test_creating_departments_needs_the_administrator(tree, people):
    data = export_file([platform_row("000101001000", "建设用地规划许可", "01", "3,4", body="哈尔滨市自然资源和规划局")])
    with pytest.raises(Forbidden):
        imports.preview_import(tree.city, data, "export.csv", actor=people.city_editor, create_departments=True)
    preview = imports.preview_import(tree.city, data, "export.csv", actor=people.administrator,
                                     create_departments=True)
    assert not preview.has_errors


def test_levels_and_the_lowest_tier_disagreeing_is_a_row_error(tree):
    rows = [{"code": "L1", "name": "甲", "category": "01", "levels": "2,3", "lowest_tier": "乡镇（街道）"}]
    columns = [c for c in ITEM_COLUMNS if c.key in {"code", "name", "category", "levels", "lowest_tier"}]
    preview = imports.preview_import(tree.city, write_csv(rows, columns), "x.csv")
    assert preview.errors and "最低" in preview.errors[0].errors[0][0]
    rows[0]["lowest_tier"] = ""  # blank: the levels say it
    preview = imports.preview_import(tree.city, write_csv(rows, columns), "x.csv")
    assert not preview.has_errors and preview.rows[0].item.lowest_tier == Tier.CITY


def test_a_basic_code_column_alone_names_the_items(tree):
    columns = [C("basic_code", "基本编码", ""), C("name", "事项名称", ""), C("category", "事项类型", "")]
    data = write_csv([{"basic_code": "000101001000", "name": "建设用地规划许可", "category": "01"}], columns)
    imports.apply_import(tree.city, data, "x.csv")
    item = PowerItem.objects.get(government=tree.city, code="000101001000")
    assert item.basic_code == "000101001000"


# --- other headers: mapped once, kept for the government -------------------------------------------------


OTHER = [C("a", "权力编号", ""), C("b", "权力事项", ""), C("c", "事项类型", ""), C("d", "内部编号", "")]


def other_file():
    return write_csv([{"a": "OT1", "b": "企业投资项目核准", "c": "01", "d": "x-1"}], OTHER)


def test_other_headers_are_refused_naming_them_until_mapped_and_the_mapping_is_kept(tree, people):
    data = other_file()
    with pytest.raises(InvalidInput) as info:
        imports.preview_import(tree.city, data, "x.csv")
    assert info.value.code == "unknown_columns" and info.value.details["columns"] == ["权力编号", "权力事项", "内部编号"]
    with pytest.raises(InvalidInput) as info:
        imports.save_mapping(tree.city, {"权力编号": "code", "权力事项": "code"})
    assert info.value.code == "mapping_duplicates"
    with pytest.raises(InvalidInput):
        imports.save_mapping(tree.city, {"权力编号": "no_such_column"})
    with pytest.raises(Forbidden):
        imports.save_mapping(tree.city, {"权力编号": "code"}, actor=people.district_editor)
    assert not ImportMapping.objects.exists()
    imports.save_mapping(tree.city, {"权力编号": "code", "权力事项": "name", "内部编号": "-"}, actor=people.city_editor)
    event = AuditEvent.objects.filter(action="import.mapping").get()
    assert event.after["mapping"] == {"内部编号": "-", "权力事项": "name", "权力编号": "code"}
    preview = imports.preview_import(tree.city, data, "x.csv")  # no mapping passed: the saved one
    assert not preview.has_errors and preview.rows[0].code == "OT1"
    with pytest.raises(InvalidInput):  # another government has not said what these columns are
        imports.preview_import(tree.district, data, "x.csv")


# --- the command and the workspace ------------------------------------------------------------------------


def test_importlist_reads_a_platform_export_and_prints_what_each_code_became(province, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(export_file(good_rows(), "xlsx"))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("importlist", str(path), government="32", stdout=out, stderr=err)
    assert "不是本政府的部门" in err.getvalue() and not PowerItem.objects.filter(government=province).exists()
    out = io.StringIO()
    call_command("importlist", str(path), government="32", create_departments=True, stdout=out, stderr=err)
    assert "事项类型 01 → 行政许可" in out.getvalue() and "行使层级 2,3,4 → 省、市、县（最低：县级（区、县））" in out.getvalue()
    assert "新建部门 / new department: 江苏省自然资源厅" in out.getvalue()
    assert PowerItem.objects.filter(government=province).count() == 5


def test_importlist_maps_other_headers_and_saves_the_mapping(tree, tmp_path):
    path = tmp_path / "other.csv"
    path.write_bytes(other_file())
    with pytest.raises(CommandError, match="权力编号"):
        call_command("importlist", str(path), government="2301", stdout=io.StringIO(), stderr=io.StringIO())
    call_command("importlist", str(path), government="2301", map=["权力编号=code", "权力事项=name", "内部编号=-"],
                 save_mapping=True, stdout=io.StringIO(), stderr=io.StringIO())
    assert PowerItem.objects.filter(government=tree.city, code="OT1").exists()
    assert ImportMapping.objects.filter(government=tree.city).count() == 3


def _upload(client, government, data, name, **extra):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("workspace-import"), {"government": government, "file": upload, **extra})


def test_the_workspace_preview_shows_the_codes_and_creates_departments(client, tree, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(people.administrator)
    data = export_file([platform_row("000101001000", "建设用地规划许可", "01", "3,4", body="哈尔滨市自然资源和规划局")])
    page = _upload(client, tree.city.code, data, "export.csv", create_departments="on")
    text = page.content.decode()
    assert page.status_code == 200 and "行政许可" in text and "市、县（最低：县级（区、县））" in text
    assert "哈尔滨市自然资源和规划局" in text and "将新建的部门" in text
    done = client.post(reverse("workspace-import-confirm"), {"fingerprint": imports.fingerprint(data)})
    assert done.status_code == 302
    item = PowerItem.objects.get(government=tree.city, code="000101001000")
    assert item.department.name == "哈尔滨市自然资源和规划局" and item.levels == [3, 4]


def test_the_workspace_asks_once_for_unknown_columns_and_keeps_the_answer(client, tree, people, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(people.city_editor)
    data = other_file()
    page = _upload(client, tree.city.code, data, "other.csv")
    text = page.content.decode()
    assert page.status_code == 200 and "指定列对应" in text and "权力编号" in text and "内部编号" in text
    assert not ImportMapping.objects.exists()
    fp = imports.fingerprint(data)
    incomplete = client.post(reverse("workspace-import-mapping"), {"fingerprint": fp, "key_0": "code"})
    assert incomplete.status_code == 400 and not ImportMapping.objects.exists()
    forged = client.post(reverse("workspace-import-mapping"), {"fingerprint": "0" * 64, "key_0": "code"})
    assert forged.status_code == 400
    preview = client.post(reverse("workspace-import-mapping"),
                          {"fingerprint": fp, "key_0": "code", "key_1": "name", "key_2": "-"})
    assert preview.status_code == 200 and "导入预览" in preview.content.decode() and "OT1" in preview.content.decode()
    assert ImportMapping.objects.filter(government=tree.city).count() == 3
    # The next upload of a file with those headers goes straight to the preview.
    again = _upload(client, tree.city.code, data, "other.csv")
    assert "导入预览" in again.content.decode() and "指定列对应" not in again.content.decode()
    client.post(reverse("workspace-import-confirm"), {"fingerprint": fp})
    assert PowerItem.objects.filter(government=tree.city, code="OT1").exists()


def test_an_import_keeps_a_concentrated_departments_licences_in_one_division(tree):
    dept = services.create_department(government=tree.city, name="哈尔滨市行政审批局")
    one = services.create_division(department=dept, name="行政审批一处")
    services.create_division(department=dept, name="行政审批二处")
    services.create_item(government=tree.city, code="K0", name="已有许可", category=Category.LICENSING,
                         department=dept, division=one)
    services.update_department(dept, approvals_concentrated=True, reason="三集中")
    columns = [c for c in ITEM_COLUMNS if c.key in {"code", "name", "category", "department", "division"}]
    rows = [{"code": "K1", "name": "许可一", "category": "01", "department": dept.name, "division": "行政审批一处"},
            {"code": "K2", "name": "许可二", "category": "01", "department": dept.name, "division": "行政审批二处"},
            {"code": "K3", "name": "处罚一", "category": "02", "department": dept.name, "division": "行政审批二处"}]
    preview = imports.preview_import(tree.city, write_csv(rows, columns), "x.csv")
    assert [r.line for r in preview.errors] == [3]
    assert "行政审批一处" in preview.errors[0].errors[0][0]


def test_the_list_export_carries_the_standard_fields_and_imports_back_unchanged(client, tree, make_item):
    make_item(tree.city, code="000101001000", name="建设用地规划许可", basic_code="000101001000", levels=[2, 3, 4],
              initiation="application", fee_basis="不收费", service_object="法人", supervision="投诉举报",
              supervision_phone="12345", department=tree.city_dept)
    response = client.get(reverse("government-export", args=[tree.city.code, "csv"]))
    assert response.status_code == 200
    body = response.content
    text = body.decode("utf-8-sig")
    header, line = text.splitlines()[:2]
    for column in ("基本编码", "行使层级", "依申请/依职权", "收费依据及标准", "服务对象", "监督方式", "监督电话"):
        assert column in header
    assert "000101001000" in line and '"2,3,4"' in line and "依申请" in line and "12345" in line
    preview = imports.preview_import(tree.city, body, "export.csv")
    assert preview.counts["unchanged"] == 1 and not preview.has_errors, [r.changed for r in preview.rows]


def test_a_mapping_given_to_one_import_is_checked_like_a_saved_one(tree, tmp_path):
    path = tmp_path / "other.csv"
    path.write_bytes(other_file())
    with pytest.raises(CommandError, match="不存在"):
        call_command("importlist", str(path), government="2301", map=["权力编号=no_such_column", "权力事项=name",
                                                                       "内部编号=-"],
                     stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(InvalidInput) as info:
        imports.preview_import(tree.city, other_file(), "x.csv", mapping={"权力编号": "code", "权力事项": "code"})
    assert info.value.code == "mapping_duplicates"
    assert not PowerItem.objects.filter(government=tree.city).exists()
