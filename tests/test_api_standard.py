"""The standard fields of a 权责清单 item over the API (issue "The standard power list", point 2): the
basic code, 依申请/依职权, 行使层级, multi-level processing, structured legal bases, fees, service object,
supervision — written through the item service, read back, bounded, refused with the service's reason."""
from __future__ import annotations

import datetime

from powerlists.models import AuditEvent, PowerItem
from powerlists.services.laws import create_law

from .helpers import client_for, db_state

D = datetime.date


def _law():
    return create_law(name="中华人民共和国城乡规划法", kind="law", version_date=D(2008, 1, 1),
                      document="中华人民共和国主席令第七十四号")


def standard_item(law, **extra):
    body = {
        "government": "2301", "code": "000101001000", "name": "建设用地规划许可", "category": "licensing",
        "basic_code": "000101001000", "initiation": "application", "levels": [3, 4],
        "processing_steps": [{"step": "preliminary", "level": 4}, {"step": "decision", "level": 3,
                                                                    "note": "市级决定，无需区级初审"}],
        "bases": [{"role": "setting", "law": law.pk, "article": "第三十七条", "text": "在城市、镇规划区内……"},
                  {"role": "implementing", "law": law.pk, "article": "第三十八条"}],
        "fee_basis": "不收费", "service_object": "法人", "supervision": "投诉举报", "supervision_phone": "0451-12345",
        "holder_from": "2016-01-01",
    }
    body.update(extra)
    return body


def test_the_standard_fields_round_trip(tree, people):
    law = _law()
    api = client_for(people.city_editor)
    created = api.post("/api/v1/items/", standard_item(law), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["basic_code"], body["initiation"], body["levels"], body["lowest_tier"]) == (
        "000101001000", "application", [3, 4], 3)
    assert body["processing_steps"][1] == {"step": "decision", "level": 3, "note": "市级决定，无需区级初审"}
    assert [(b["role"], b["law"]["name"], b["law"]["version_date"], b["article"]) for b in body["bases"]] == [
        ("setting", "中华人民共和国城乡规划法", "2008-01-01", "第三十七条"),
        ("implementing", "中华人民共和国城乡规划法", "2008-01-01", "第三十八条")]
    assert body["bases"][0]["law"]["document"] == "中华人民共和国主席令第七十四号"
    assert (body["fee_basis"], body["service_object"], body["supervision_phone"]) == ("不收费", "法人", "0451-12345")

    read = api.get(f"/api/v1/items/{body['id']}/")
    assert read.json() == body
    changed = api.patch(f"/api/v1/items/{body['id']}/", {"levels": [3, 4, 5], "initiation": "ex_officio",
                                                         "bases": []},
                        format="json", HTTP_IF_MATCH=read["ETag"])
    assert changed.status_code == 200, changed.content
    assert (changed.json()["levels"], changed.json()["lowest_tier"], changed.json()["bases"]) == ([3, 4, 5], 4, [])
    event = AuditEvent.objects.filter(action="item.update", item_id=body["id"]).get()
    assert event.before["levels"] == [3, 4] and event.after["levels"] == [3, 4, 5]


def test_a_sub_item_names_its_main_item(tree, people, make_item):
    main = make_item(tree.city, code="M1", name="建设工程规划许可")
    api = client_for(people.city_editor)
    sub = api.post("/api/v1/items/", {"government": "2301", "code": "M1-1", "name": "建设工程规划许可（房屋建筑）",
                                      "category": "licensing", "parent": main.pk}, format="json")
    assert sub.status_code == 201 and sub.json()["parent_code"] == "M1"


def test_bad_standard_values_are_refused_with_the_reason_and_nothing_written(tree, people):
    law = _law()
    api = client_for(people.city_editor)
    cases = [
        ({"basic_code": "12345"}, "invalid_basic_code"),
        ({"levels": [7]}, None),
        ({"initiation": "sometimes"}, None),
        ({"processing_steps": [{"step": "decision", "level": 3}, {"step": "decision", "level": 4}]}, "two_decisions"),
        ({"bases": [{"role": "setting", "law": 999_999}]}, None),
        ({"levels": [2, 3], "lowest_tier": 4}, "levels_disagree_with_lowest_tier"),
        ({"fee_basis": "费" * 5001}, None),
        ({"government": "9999"}, None),
    ]
    for change, code in cases:
        before = db_state()
        response = api.post("/api/v1/items/", standard_item(law, **change), format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, (change, response.status_code, response.content)
        if code:
            assert response.json()["code"] == code, (change, response.json())
        assert response.json()["message"]
        assert db_state() == before, change


def test_a_basis_citing_a_law_later_than_the_item_is_refused(tree, people):
    later = create_law(name="不动产登记暂行条例", kind="administrative_regulation", version_date=D(2019, 3, 24))
    response = client_for(people.city_editor).post(
        "/api/v1/items/", standard_item(later, holder_from="2016-01-01"), format="json")
    assert response.status_code == 400 and response.json()["code"] == "law_postdates_item"
    assert not PowerItem.objects.filter(code="000101001000").exists()


def test_the_item_list_shows_the_standard_fields_in_constant_queries(tree, people, make_item,
                                                                      django_assert_max_num_queries):
    law = _law()
    for n in range(12):
        make_item(tree.city, code=f"S{n}", basic_code=f"0001010{n:02d}000", levels=[3, 4],
                  bases=[{"role": "setting", "law": law, "article": f"第{n + 1}条"}])
    api = client_for(people.city_editor)
    with django_assert_max_num_queries(3):
        response = api.get("/api/v1/items/?government=2301&page_size=50")
    rows = response.json()["results"]
    assert len(rows) == 12 and all(r["bases"][0]["law"]["name"] == "中华人民共和国城乡规划法" for r in rows)


def test_a_department_shows_its_credit_code_and_whether_it_concentrates_approvals(tree, api):
    from powerlists import services, standard_codes

    body17 = "11230100MB1234567"
    code = body17 + standard_codes.credit_code_check_digit(body17)
    dept = services.create_department(government=tree.city, name="哈尔滨市行政审批局", credit_code=code,
                                      approvals_concentrated=True)
    data = api.get(f"/api/v1/departments/{dept.pk}/").json()
    assert (data["credit_code"], data["approvals_concentrated"]) == (code, True)
