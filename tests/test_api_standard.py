"""The standard fields of a 权责清单 item over the API (issue "The standard power list", point 2): the
basic code, 依申请/依职权, 行使层级, multi-level processing, structured legal bases, fees, service object,
supervision — written through the item service, read back, bounded, refused with the service's reason."""
from __future__ import annotations

import datetime

import pytest

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


# --- every field through PATCH; codes refused with the service's reason ------------------------------------------


def test_every_standard_field_is_corrected_through_patch_and_read_back(tree, people, make_item):
    law = _law()
    main = make_item(tree.city, code="M9", name="主项")
    api = client_for(people.city_editor)
    body = api.post("/api/v1/items/", standard_item(law), format="json").json()
    etag = api.get(f"/api/v1/items/{body['id']}/")["ETag"]
    change = {
        "basic_code": "230101002000", "initiation": "ex_officio", "days_unit": "calendar", "levels": [3],
        "processing_steps": [{"step": "decision", "level": 3}, {"step": "filing", "level": 2, "note": "报省备案"}],
        "bases": [{"role": "implementing", "law": law.pk, "article": "第四十条", "text": "条文"}],
        "fee_basis": "按标准收费", "service_object": "自然人", "supervision": "12345热线",
        "supervision_phone": "12345", "is_core": True, "parent_code": "M9",
    }
    patched = api.patch(f"/api/v1/items/{body['id']}/", change, format="json", HTTP_IF_MATCH=etag)
    assert patched.status_code == 200, patched.content
    read = api.get(f"/api/v1/items/{body['id']}/").json()
    assert read == patched.json()
    for name in ("basic_code", "initiation", "days_unit", "levels", "fee_basis", "service_object", "supervision",
                 "supervision_phone", "is_core"):
        assert read[name] == change[name], name
    assert read["processing_steps"] == change["processing_steps"]
    assert [(b["role"], b["law"]["id"], b["article"], b["text"]) for b in read["bases"]] == [
        ("implementing", law.pk, "第四十条", "条文")]
    assert (read["parent"], read["parent_code"], read["lowest_tier"]) == (main.pk, "M9", 2)
    stored = PowerItem.objects.get(pk=body["id"])
    assert (stored.basic_code, stored.parent_id, stored.levels, stored.version) == ("230101002000", main.pk, [3], 2)


def _service_refusal(tree, **values):
    """What the item service itself answers to ``values``: its code and its two messages."""
    from powerlists import services
    from powerlists.services import DomainError

    with pytest.raises(DomainError) as info:
        services.create_item(government=tree.city, code="ZZ1", name="试", category="licensing", **values)
    return info.value.code, info.value.message_zh, info.value.message_en


BAD_CODES = [
    {"basic_code": "12345"},
    {"basic_code": "00010100100!"},
    {"levels": [7]},
    {"levels": [0, 3]},
    {"initiation": "sometimes"},
    {"days_unit": "lunar"},
    {"processing_steps": [{"step": "approve", "level": 3}]},
    {"processing_steps": [{"step": "decision", "level": 9}]},
]


def test_a_bad_code_is_refused_with_the_services_reason_in_chinese_and_english_and_nothing_written(tree, people):
    law = _law()
    api = client_for(people.city_editor)
    for values in BAD_CODES:
        code, zh, en = _service_refusal(tree, **values)
        before = db_state()
        chinese = api.post("/api/v1/items/", standard_item(law, **values), format="json",
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
        english = api.post("/api/v1/items/", standard_item(law, **values), format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert chinese.status_code == english.status_code == 400, (values, chinese.content)
        assert (chinese.json()["code"], chinese.json()["message"]) == (code, zh), values
        assert (english.json()["code"], english.json()["message"]) == (code, en), values
        assert db_state() == before, values


def test_a_bad_code_in_a_correction_is_refused_with_the_services_reason_and_the_item_unchanged(tree, people):
    law = _law()
    api = client_for(people.city_editor)
    body = api.post("/api/v1/items/", standard_item(law), format="json").json()
    etag = api.get(f"/api/v1/items/{body['id']}/")["ETag"]
    for values in [*BAD_CODES, {"bases": [{"role": "owner", "law": law.pk}]}]:
        before = db_state()
        response = api.patch(f"/api/v1/items/{body['id']}/", values, format="json", HTTP_IF_MATCH=etag,
                             HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, (values, response.content)
        assert response.json()["code"].startswith("invalid_"), (values, response.json())
        assert db_state() == before, values
    assert api.get(f"/api/v1/items/{body['id']}/")["ETag"] == etag


def test_a_main_item_is_named_by_its_code_in_the_same_list(tree, people, make_item):
    main = make_item(tree.city, code="M1", name="建设工程规划许可")
    make_item(tree.district, code="D1", name="区级事项")
    api = client_for(people.city_editor)
    sub = {"government": "2301", "code": "M1-1", "name": "子项", "category": "licensing"}
    before = db_state()
    unknown = api.post("/api/v1/items/", {**sub, "parent_code": "D1"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 400 and unknown.json()["code"] == "invalid_parent"
    assert "D1" in unknown.json()["message"]
    both = api.post("/api/v1/items/", {**sub, "parent_code": "M1", "parent": main.pk}, format="json")
    assert both.status_code == 400 and both.json()["code"] == "parent_twice"
    assert db_state() == before
    created = api.post("/api/v1/items/", {**sub, "parent_code": "M1"}, format="json")
    assert created.status_code == 201 and created.json()["parent_code"] == "M1"
    lifted = api.patch(f"/api/v1/items/{created.json()['id']}/", {"parent_code": ""}, format="json",
                       HTTP_IF_MATCH=created["ETag"])
    assert lifted.status_code == 200 and (lifted.json()["parent"], lifted.json()["parent_code"]) == (None, None)


# --- 实施编码 on the rows of the lists --------------------------------------------------------------------------


def _credit_code(serial: int) -> str:
    from powerlists import standard_codes

    first17 = f"11230100MB{serial:07d}"
    return first17 + standard_codes.credit_code_check_digit(first17)


@pytest.fixture
def coded(tree, make_item):
    """A city department with a credit code holding items with basic codes, and one item without."""
    from powerlists import services

    department = services.create_department(government=tree.city, name="哈尔滨市行政审批局",
                                            credit_code=_credit_code(1))
    items = [make_item(tree.city, code=f"C{n}", basic_code=f"000101{n:03d}000", department=department)
             for n in range(3)]
    bare = make_item(tree.city, code="N1", department=tree.city_dept, basic_code="000101999000")
    return department, items, bare


def test_each_row_of_a_list_carries_its_implementing_code_when_both_codes_are_known(api, tree, coded):
    department, items, bare = coded
    rows = {r["code"]: r for r in api.get("/api/v1/governments/2301/powers/", {"as_of": "2017-01-01"}).json()[
        "results"]}
    level = 3  # a city: national level 3
    assert rows["C1"]["implementing_code"] == f"{department.credit_code}{level}000101001000"
    assert len(rows["C1"]["implementing_code"]) == 31
    assert rows["N1"]["implementing_code"] is None  # the department has no credit code
    exercises = {r["item_code"]: r for r in api.get("/api/v1/exercises/", {"government": "2301"}).json()["results"]}
    assert exercises["C2"]["implementing_code"] == f"{department.credit_code}3000101002000"
    assert exercises["N1"]["implementing_code"] is None


def test_a_devolved_row_carries_the_receiving_units_code_at_the_receivers_level(api, tree, coded, make_item):
    from powerlists import services

    from .helpers import devolve

    unit = services.create_department(government=tree.district, name="道里区行政审批局", credit_code=_credit_code(2))
    _department, items, _bare = coded
    devolve(items[0], tree.city, tree.district, D(2018, 1, 1), receiving_department=unit)
    rows = api.get("/api/v1/governments/230102/powers/", {"as_of": "2018-06-01"}).json()["results"]
    assert [(r["code"], r["implementing_code"]) for r in rows] == [("C0", f"{unit.credit_code}4000101000000")]
    changes = api.get("/api/v1/governments/230102/diff/", {"from": "2017-06-01", "to": "2018-06-01"}).json()
    assert [r["implementing_code"] for r in changes["added"]] == [f"{unit.credit_code}4000101000000"]


@pytest.mark.parametrize("size", [2, 12])
def test_the_lists_with_implementing_codes_keep_their_query_budgets(api, tree, coded, make_item, size,
                                                                    django_assert_max_num_queries):
    from .helpers import devolve

    department = coded[0]
    extra = [make_item(tree.city, code=f"Q{n}", basic_code=f"0002{n:05d}000", department=department)
             for n in range(size)]
    for item in extra:
        devolve(item, tree.city, tree.district, D(2018, 1, 1))
    with django_assert_max_num_queries(3):  # the government, the count, the page
        powers = api.get("/api/v1/governments/2301/powers/", {"as_of": "2017-01-01", "page_size": 500}).json()
    assert powers["count"] == 4 + size and all(r["implementing_code"] for r in powers["results"]
                                               if r["code"] != "N1")
    with django_assert_max_num_queries(2):  # the count, the page
        exercises = api.get("/api/v1/exercises/", {"government": "2301", "page_size": 500}).json()
    assert exercises["count"] == 4 + size
    with django_assert_max_num_queries(5):  # the government, the two lists, the credit codes, the basic codes
        changes = api.get("/api/v1/governments/2301/diff/", {"from": "2017-01-01", "to": "2018-06-01"}).json()
    assert len(changes["changed"]) == size and all(c["after"]["implementing_code"] for c in changes["changed"])


# --- laws --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 30])
def test_the_law_register_is_paged_and_searched_in_constant_queries(api, db, size, django_assert_max_num_queries):
    for n in range(size):
        create_law(name=f"测试条例{n:02d}", kind="local_regulation", version_date=D(2010, 1, 1) + datetime.timedelta(n))
    create_law(name="中华人民共和国行政许可法", kind="law", version_date=D(2019, 4, 23))
    with django_assert_max_num_queries(2):  # the count, the page
        page = api.get("/api/v1/laws/", {"page_size": 10, "search": "条例"}).json()
    assert page["count"] == size and len(page["results"]) == min(size, 10)
    assert [r["name"] for r in api.get("/api/v1/laws/", {"search": "许可法"}).json()["results"]] == [
        "中华人民共和国行政许可法"]


def test_a_law_is_registered_by_an_editor_only_and_once_per_key(tree, people):
    from powerlists.models import Law

    body = {"name": "中华人民共和国行政许可法", "kind": "law", "version_date": "2019-04-23"}
    for who in ("nobody", "city_reviewer"):
        before = db_state()
        refused_ = client_for(getattr(people, who)).post("/api/v1/laws/", body, format="json")
        assert refused_.status_code == 403 and refused_.json()["code"] == "forbidden", who
        assert db_state() == before
    editor = client_for(people.district_editor)
    first = editor.post("/api/v1/laws/", body, format="json", HTTP_IDEMPOTENCY_KEY="law-1")
    again = editor.post("/api/v1/laws/", body, format="json", HTTP_IDEMPOTENCY_KEY="law-1")
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Law.objects.count() == 1 and AuditEvent.objects.filter(action="law.create").count() == 1
    bad = editor.post("/api/v1/laws/", {**body, "kind": "decree"}, format="json")
    assert bad.status_code == 400 and Law.objects.count() == 1


# --- editions: who may, maker-checker, a changed item, query budgets ---------------------------------------------


def _published(tree, people, number, day):
    from powerlists.services import editions as service

    edition = service.draft_edition(tree.city, number=number, title=f"{number}年版", actor=people.city_editor)
    edition = service.approve_edition(edition, approved_on=day, actor=people.city_reviewer)
    return service.publish_edition(edition, document_number=f"哈政发〔{number}〕1号", published_on=day,
                                   actor=people.city_reviewer)


def test_anonymous_callers_and_people_without_the_role_cannot_draft(tree, people, api):
    body = {"number": "2021", "title": "哈尔滨市权责清单（2021年版）"}
    before = db_state()
    assert api.post("/api/v1/governments/2301/editions/", body, format="json").status_code == 401
    keyed = api.post("/api/v1/governments/2301/editions/", body, format="json", HTTP_IDEMPOTENCY_KEY="e-1")
    assert keyed.status_code == 401
    for who in ("city_reviewer", "district_editor", "outsider", "nobody"):
        response = client_for(getattr(people, who)).post("/api/v1/governments/2301/editions/", body, format="json")
        assert response.status_code == 403 and response.json()["code"] == "forbidden", who
    assert db_state() == before
    editor = client_for(people.city_editor)
    first = editor.post("/api/v1/governments/2301/editions/", body, format="json", HTTP_IDEMPOTENCY_KEY="e-1")
    again = editor.post("/api/v1/governments/2301/editions/", body, format="json", HTTP_IDEMPOTENCY_KEY="e-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert AuditEvent.objects.filter(action="edition.draft").count() == 1


def test_the_drafter_cannot_approve_or_publish_maker_checker(tree, people):
    from powerlists.models import Edition

    administrator = client_for(people.administrator)  # editor and reviewer of the whole province
    drafted = administrator.post("/api/v1/governments/2301/editions/", {"number": "2021", "title": "2021年版"},
                                 format="json")
    assert drafted.status_code == 201
    before = db_state()
    refused_ = _edition_step(administrator, "2021", "approve", {"approved_on": "2021-03-01"}, drafted["ETag"])
    assert refused_.status_code == 403 and refused_.json()["code"] == "maker_checker"
    assert refused_.json()["message"] and db_state() == before
    approved = _edition_step(client_for(people.city_reviewer), "2021", "approve", {"approved_on": "2021-03-01"})
    assert approved.status_code == 200
    refused_ = _edition_step(administrator, "2021", "publish", {"document_number": "哈政发〔2021〕1号",
                                                                "published_on": "2021-03-02"}, approved["ETag"])
    assert refused_.status_code == 403 and refused_.json()["code"] == "maker_checker"
    assert Edition.objects.get(number="2021").state == "approved"


def test_a_draft_is_hidden_from_those_outside_and_its_steps_answer_404(tree, people, api):
    from powerlists.services import editions as service

    service.draft_edition(tree.city, number="2021", title="秘密版本", actor=people.city_editor)
    before = db_state()
    for client in (api, client_for(people.district_editor), client_for(people.outsider), client_for(people.nobody)):
        assert client.get("/api/v1/governments/2301/editions/").json() == []
        assert client.get("/api/v1/governments/2301/editions/2021/").status_code == 404
    for who in ("district_editor", "outsider", "nobody"):
        response = _edition_step(client_for(getattr(people, who)), "2021", "approve", {"approved_on": "2021-03-01"})
        assert response.status_code == 404 and "秘密" not in response.content.decode(), who
    assert db_state() == before
    seen = client_for(people.city_reviewer).get("/api/v1/governments/2301/editions/2021/").json()
    assert seen["edition"]["title"] == "秘密版本" and seen["results"] == []


def test_filing_is_for_the_upper_governments_reviewer(tree, people):
    _published(tree, people, "2019", D(2019, 3, 15))
    before = db_state()
    own = _edition_step(client_for(people.city_reviewer), "2019", "file", {"filed_with": "23", "filed_on": "2019-04-01"})
    assert own.status_code == 403 and db_state() == before
    not_upper = _edition_step(client_for(people.administrator), "2019", "file",
                              {"filed_with": "230102", "filed_on": "2019-04-01"})
    assert not_upper.status_code == 400 and not_upper.json()["code"] == "filed_with_not_upper"
    assert db_state() == before


def test_compare_shows_an_item_devolved_between_two_editions_as_changed(tree, people, api, make_item):
    from .helpers import devolve

    kept = make_item(tree.city, code="K1", name="保留", holder_from=D(2018, 1, 1))
    moved = make_item(tree.city, code="V1", name="下放", holder_from=D(2018, 1, 1))
    _published(tree, people, "2019", D(2019, 3, 15))
    devolve(moved, tree.city, tree.district, D(2020, 1, 1))
    _published(tree, people, "2021", D(2021, 3, 15))
    body = api.get("/api/v1/governments/2301/editions/2019/compare/", {"with": "2021"}).json()
    assert [(c["before"]["code"], c["before"]["arrangement"], c["after"]["arrangement"]) for c in body["changed"]] == [
        ("V1", "retained", "devolved_out")]
    assert body["unchanged"] == 1 and body["added"] == body["removed"] == []
    assert kept.code not in {c["before"]["code"] for c in body["changed"]}


def test_only_published_editions_compare(tree, people, api):
    from powerlists.services import editions as service

    _published(tree, people, "2019", D(2019, 3, 15))
    service.draft_edition(tree.city, number="2021", title="2021年版", actor=people.city_editor)
    response = client_for(people.city_editor).get("/api/v1/governments/2301/editions/2019/compare/",
                                                  {"with": "2021"})
    assert response.status_code == 400 and response.json()["code"] == "edition_not_published"
    assert api.get("/api/v1/governments/2301/editions/2019/compare/", {"with": "2021"}).status_code == 404


@pytest.mark.parametrize("size", [2, 20])
def test_an_editions_list_and_its_comparison_in_constant_queries(tree, people, api, make_item, size,
                                                                 django_assert_max_num_queries):
    from .helpers import devolve

    items = [make_item(tree.city, code=f"E{n:02d}", holder_from=D(2018, 1, 1)) for n in range(size)]
    _published(tree, people, "2019", D(2019, 3, 15))
    for item in items[: size // 2]:
        devolve(item, tree.city, tree.district, D(2020, 1, 1))
    make_item(tree.city, code="NEW", holder_from=D(2020, 6, 1))
    _published(tree, people, "2021", D(2021, 3, 15))
    with django_assert_max_num_queries(4):  # the government, the edition, the count, the page
        detail = api.get("/api/v1/governments/2301/editions/2019/", {"page_size": 500}).json()
    assert detail["count"] == size and detail["edition"]["number"] == "2019"
    with django_assert_max_num_queries(8):  # the government and the edition twice, two lists, two look-ups
        body = api.get("/api/v1/governments/2301/editions/2019/compare/", {"with": "2021"}).json()
    assert len(body["changed"]) == size // 2 and [r["code"] for r in body["added"]] == ["NEW"]
    with django_assert_max_num_queries(2):  # the government, the editions
        assert len(api.get("/api/v1/governments/2301/editions/").json()) == 2


def test_an_overlong_law_search_is_a_400_and_the_schema_says_its_bound(api, db):
    from powerlists.services.bounds import MAX_NAME

    assert api.get("/api/v1/laws/", {"search": "法" * (MAX_NAME + 1)}).status_code == 400
    assert api.get("/api/v1/laws/", {"search": " ".join("法" for _ in range(11))}).status_code == 400
    schema = api.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    search = next(p for p in schema["paths"]["/api/v1/laws/"]["get"]["parameters"] if p["name"] == "search")
    assert search["schema"]["maxLength"] == MAX_NAME
