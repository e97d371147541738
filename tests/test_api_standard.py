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


# --- laws and editions -------------------------------------------------------------------------------------


def test_laws_are_listed_searched_and_registered_by_an_editor(tree, people, api):
    _law()
    assert api.get("/api/v1/laws/", {"search": "城乡规划"}).json()["count"] == 1
    body = {"name": "《中华人民共和国行政许可法》", "kind": "law", "version_date": "2019-04-23",
            "document": "中华人民共和国主席令第二十九号"}
    assert api.post("/api/v1/laws/", body, format="json").status_code == 401
    created = client_for(people.city_editor).post("/api/v1/laws/", body, format="json")
    assert created.status_code == 201 and created.json()["name"] == "中华人民共和国行政许可法"
    again = client_for(people.city_editor).post("/api/v1/laws/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "law_exists"
    assert api.get(f"/api/v1/laws/{created.json()['id']}/").json()["version_date"] == "2019-04-23"


def _edition_step(client, number, step, body, etag=None):
    headers = {"HTTP_IF_MATCH": etag} if etag else {}
    return client.post(f"/api/v1/governments/2301/editions/{number}/{step}/", body, format="json", **headers)


def test_an_edition_is_drafted_approved_published_filed_and_fetched_by_number(tree, people, api, make_item):
    make_item(tree.city, code="E1", name="建设工程规划许可", holder_from=D(2018, 1, 1))
    editor, reviewer = client_for(people.city_editor), client_for(people.city_reviewer)
    drafted = editor.post("/api/v1/governments/2301/editions/", {"number": "2019", "title": "哈尔滨市权责清单（2019年版）"},
                          format="json")
    assert drafted.status_code == 201 and drafted.json()["state"] == "draft"
    assert api.get("/api/v1/governments/2301/editions/").json() == []  # the public does not see a draft
    assert api.get("/api/v1/governments/2301/editions/2019/").status_code == 404
    assert [e["number"] for e in editor.get("/api/v1/governments/2301/editions/").json()] == ["2019"]

    assert _edition_step(editor, "2019", "approve", {"approved_on": "2019-03-01"}).status_code == 403
    approved = _edition_step(reviewer, "2019", "approve", {"approved_on": "2019-03-01"}, drafted["ETag"])
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    stale = _edition_step(reviewer, "2019", "publish", {"document_number": "哈政发〔2019〕3号",
                                                        "published_on": "2019-03-15"}, drafted["ETag"])
    assert stale.status_code == 412  # If-Match of a version already changed
    published = _edition_step(reviewer, "2019", "publish", {"document_number": "哈政发〔2019〕3号",
                                                            "published_on": "2019-03-15"}, approved["ETag"])
    assert published.status_code == 200 and published.json()["document_number"] == "哈政发〔2019〕3号"
    filed = _edition_step(client_for(people.administrator), "2019", "file",
                          {"filed_with": "23", "filed_on": "2019-04-01", "filing_number": "黑编备〔2019〕1号"})
    assert filed.status_code == 200 and filed.json()["filed_with"] == "23" and filed.json()["state"] == "filed"

    detail = api.get("/api/v1/governments/2301/editions/2019/").json()
    assert detail["edition"]["published_on"] == "2019-03-15" and detail["count"] == 1
    assert detail["results"][0]["code"] == "E1"


def test_two_editions_compare(tree, people, api, make_item):
    from powerlists.services import editions as service

    make_item(tree.city, code="A1", name="甲", holder_from=D(2018, 1, 1))
    make_item(tree.city, code="B1", name="乙", holder_from=D(2020, 6, 1))
    for number, day in (("2019", D(2019, 3, 15)), ("2021", D(2021, 3, 15))):
        edition = service.draft_edition(tree.city, number=number, title=f"{number}年版", actor=people.city_editor)
        edition = service.approve_edition(edition, approved_on=day, actor=people.city_reviewer)
        service.publish_edition(edition, document_number=f"哈政发〔{number}〕1号", published_on=day,
                                actor=people.city_reviewer)
    result = api.get("/api/v1/governments/2301/editions/2021/compare/", {"with": "2019"})
    assert result.status_code == 200, result.content
    body = result.json()
    assert (body["older"]["number"], body["newer"]["number"]) == ("2019", "2021")
    assert [r["code"] for r in body["added"]] == ["B1"] and body["unchanged"] == 1 and body["removed"] == []
    assert api.get("/api/v1/governments/2301/editions/2021/compare/").status_code == 400
    assert api.get("/api/v1/governments/2301/editions/2021/compare/", {"with": "1999"}).status_code == 404


def test_the_editions_list_is_one_query_whatever_its_length(tree, people, api, django_assert_max_num_queries):
    from powerlists.services import editions as service

    for n in range(6):
        service.draft_edition(tree.city, number=f"20{n:02d}", title="版", actor=people.city_editor)
    editor = client_for(people.city_editor)
    with django_assert_max_num_queries(6):  # the government, the editions, the caller's roles and session
        assert len(editor.get("/api/v1/governments/2301/editions/").json()) == 6
