"""The API's power items: list, filters, Chinese search, create and correct (If-Match), history, throttling."""
import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from powerlists import services
from powerlists.models import AuditEvent, PowerItem
from powerlists.services import workflow

from .helpers import client_for, db_state

D = datetime.date


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits live in the cache: each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


NEW_ITEM = {"government": "2301", "code": "X001", "name": "建设工程规划许可", "category": "licensing",
            "field": "规划建设", "statutory_days": 20, "promised_days": 10, "responsibilities": ["受理责任", "审查责任"],
            "holder_from": "2016-01-01"}


# --- reading ----------------------------------------------------------------------------------------


def test_item_detail_with_etag(api, tree, make_item):
    item = make_item(name="企业投资项目核准")
    response = api.get(f"/api/v1/items/{item.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "企业投资项目核准" and body["government"] == "2301" and body["status"] == "active"
    assert response["ETag"] == f'"poweritem-{item.pk}-v1"'


def test_absent_item_is_404_in_one_shape(api, db):
    response = api.get("/api/v1/items/999999/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "details"}


@pytest.fixture
def catalogue(tree, make_item):
    c = {
        "a": make_item(name="建设工程规划许可", code="A01", category="licensing", field="规划建设"),
        "b": make_item(name="食品经营许可", code="A02", category="licensing", field="市场监管", is_core=True),
        "c": make_item(name="违法建设行为处罚", code="A03", category="penalty", field="城市管理", lowest_tier=3),
        "d": make_item(tree.district, name="道路占用许可", code="B01", category="licensing", field="城市管理",
                       department=tree.district_dept),
        "e": make_item(name="已取消的确认事项", code="A04", category="confirmation", field="民政服务"),
    }
    services.cancel(item=c["e"], effective_on=D(2018, 1, 1))
    return c


@pytest.mark.parametrize("query, names", [
    ("government=230102", ["道路占用许可"]),
    ("category=penalty", ["违法建设行为处罚"]),
    ("field=城市管理", ["违法建设行为处罚", "道路占用许可"]),
    ("is_core=true", ["食品经营许可"]),
    ("lowest_tier=3", ["违法建设行为处罚"]),
    ("status=cancelled", ["已取消的确认事项"]),
    ("status=active&government=2301", ["建设工程规划许可", "食品经营许可", "违法建设行为处罚"]),
    ("search=许可", ["建设工程规划许可", "食品经营许可", "道路占用许可"]),
    ("search=建设", ["建设工程规划许可", "违法建设行为处罚"]),
    ("search=建设 许可", ["建设工程规划许可"]),
    ("search=A0&category=licensing", ["建设工程规划许可", "食品经营许可"]),
    ("search=B01", ["道路占用许可"]),
])
def test_item_filters_and_chinese_search(api, catalogue, query, names):
    response = api.get(f"/api/v1/items/?{query}&ordering=code")
    assert response.status_code == 200, response.json()
    assert [i["name"] for i in response.json()["results"]] == names


def test_department_filter_and_ordering(api, tree, catalogue):
    body = api.get(f"/api/v1/items/?department={tree.district_dept.pk}").json()
    assert [i["code"] for i in body["results"]] == ["B01"]
    codes = [i["code"] for i in api.get("/api/v1/items/?ordering=-code").json()["results"]]
    assert codes == sorted(codes, reverse=True)


@pytest.mark.parametrize("query", ["category=nonsense", "status=gone", "lowest_tier=9", "ordering=nonsense"])
def test_bad_filters(api, catalogue, query):
    response = api.get(f"/api/v1/items/?{query}")
    if query.startswith("ordering"):  # DRF ignores an unknown ordering field
        assert response.status_code == 200
        return
    assert response.status_code == 400 and set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize("size", [3, 40])
def test_item_list_in_constant_queries(api, tree, make_item, size, django_assert_max_num_queries):
    for n in range(size):
        make_item(name=f"许可{n}", department=tree.city_dept)
    with django_assert_max_num_queries(3):  # the count, the page, the page's legal bases (with their laws)
        response = api.get("/api/v1/items/?page_size=100&search=许可")
    assert response.json()["count"] == size


# --- creating ---------------------------------------------------------------------------------------


def test_editor_creates_an_item(tree, people):
    response = client_for(people.city_editor).post("/api/v1/items/", NEW_ITEM, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    item = PowerItem.objects.get(pk=body["id"])
    assert item.name == "建设工程规划许可" and item.exercises.count() == 1
    assert response["Location"] == f"/api/v1/items/{item.pk}/"
    assert response["ETag"] == f'"poweritem-{item.pk}-v1"'
    event = AuditEvent.objects.get(item=item)
    assert event.action == "item.create" and event.actor == people.city_editor


def test_anonymous_create_is_401(api, tree):
    before = db_state()
    response = api.post("/api/v1/items/", NEW_ITEM, format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert db_state() == before


@pytest.mark.parametrize("who", ["city_reviewer", "district_editor", "outsider", "nobody"])
def test_create_refused_outside_the_editors(tree, people, who):
    before = db_state()
    response = client_for(getattr(people, who)).post("/api/v1/items/", NEW_ITEM, format="json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert db_state() == before


@pytest.mark.parametrize("change, field", [
    ({"category": "nonsense"}, "category"),
    ({"name": ""}, "name"),
    ({"government": "99"}, "government"),
    ({"statutory_days": -1}, "statutory_days"),
    ({"department": 999999}, "department"),
])
def test_create_invalid_body_is_400(tree, people, change, field):
    response = client_for(people.city_editor).post("/api/v1/items/", {**NEW_ITEM, **change}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["details"]


def test_create_domain_rule_is_400_and_duplicate_code_409(tree, people):
    editor = client_for(people.city_editor)
    response = editor.post("/api/v1/items/", {**NEW_ITEM, "statutory_days": 5, "promised_days": 10}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "promise_exceeds_statute"
    assert editor.post("/api/v1/items/", NEW_ITEM, format="json").status_code == 201
    response = editor.post("/api/v1/items/", NEW_ITEM, format="json")
    assert response.status_code == 409 and response.json()["code"] == "item_code_taken"


def test_create_replays_the_same_idempotency_key(tree, people):
    editor = client_for(people.city_editor)
    first = editor.post("/api/v1/items/", NEW_ITEM, format="json", HTTP_IDEMPOTENCY_KEY="item-1")
    again = editor.post("/api/v1/items/", NEW_ITEM, format="json", HTTP_IDEMPOTENCY_KEY="item-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"] and again["Location"] == first["Location"]
    assert PowerItem.objects.filter(code="X001").count() == 1
    assert AuditEvent.objects.filter(action="item.create").count() == 1
    other = editor.post("/api/v1/items/", {**NEW_ITEM, "code": "X002"}, format="json", HTTP_IDEMPOTENCY_KEY="item-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert not PowerItem.objects.filter(code="X002").exists()


# --- correcting -------------------------------------------------------------------------------------


def test_editor_corrects_an_item_with_if_match(tree, people, make_item):
    item = make_item(name="建设工程规划许司")
    editor = client_for(people.city_editor)
    etag = editor.get(f"/api/v1/items/{item.pk}/")["ETag"]
    response = editor.patch(f"/api/v1/items/{item.pk}/", {"name": "建设工程规划许可", "reason": "错字"},
                            format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "建设工程规划许可" and response.json()["version"] == 2
    assert response["ETag"] == f'"poweritem-{item.pk}-v2"'
    event = AuditEvent.objects.filter(item=item).latest("id")
    assert event.action == "item.update" and event.reason == "错字"


def test_correction_without_if_match_is_428(tree, people, make_item):
    item = make_item()
    before = db_state()
    response = client_for(people.city_editor).patch(f"/api/v1/items/{item.pk}/", {"name": "新名称"}, format="json")
    assert response.status_code == 428 and response.json()["code"] == "precondition_required"
    assert db_state() == before


def test_stale_if_match_is_412_and_changes_nothing(tree, people, make_item):
    item = make_item()
    editor = client_for(people.city_editor)
    etag = editor.get(f"/api/v1/items/{item.pk}/")["ETag"]
    services.update_item(item, name="他人先改了")
    before = db_state()
    response = editor.patch(f"/api/v1/items/{item.pk}/", {"name": "我的修改"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412 and response.json()["code"] == "precondition_failed"
    assert response.json()["details"] == {"expected_version": 1, "current_version": 2}
    assert db_state() == before
    garbage = editor.patch(f"/api/v1/items/{item.pk}/", {"name": "我的修改"}, format="json", HTTP_IF_MATCH='"x"')
    assert garbage.status_code == 412


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_reviewer", 403), ("district_editor", 403), ("outsider", 403), ("nobody", 403),
    ("administrator", 200),
])
def test_who_may_correct(tree, people, make_item, who, status):
    item = make_item()
    client = client_for(getattr(people, who)) if who else APIClient()
    response = client.patch(f"/api/v1/items/{item.pk}/", {"legal_basis": "《行政许可法》"}, format="json",
                            HTTP_IF_MATCH=f'"poweritem-{item.pk}-v1"')
    assert response.status_code == status
    item.refresh_from_db()
    assert (item.legal_basis == "《行政许可法》") == (status == 200)


def test_correction_invalid_body_400_absent_404_closed_409(tree, people, make_item):
    item = make_item()
    editor = client_for(people.city_editor)
    headers = {"HTTP_IF_MATCH": f'"poweritem-{item.pk}-v1"'}
    assert editor.patch(f"/api/v1/items/{item.pk}/", {"category": "x"}, format="json", **headers).status_code == 400
    assert editor.patch("/api/v1/items/999999/", {"name": "x"}, format="json", **headers).status_code == 404
    services.cancel(item=item, effective_on=D(2018, 1, 1))
    etag = editor.get(f"/api/v1/items/{item.pk}/")["ETag"]
    response = editor.patch(f"/api/v1/items/{item.pk}/", {"name": "新"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 409 and response.json()["code"] == "item_closed"


# --- history ----------------------------------------------------------------------------------------


def test_history_newest_first_hides_drafts_and_names_from_the_public(api, tree, people, make_item):
    item = make_item()
    services.update_item(item, name="改名", actor=people.city_editor)
    draft = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                             receiver=tree.district, effective_on=D(2017, 3, 1))
    public = api.get(f"/api/v1/items/{item.pk}/history/").json()
    assert [e["action"] for e in public["results"]] == ["item.update", "item.create"]
    assert {e["actor"] for e in public["results"]} == {None}
    editor = client_for(people.city_editor).get(f"/api/v1/items/{item.pk}/history/").json()
    assert [e["action"] for e in editor["results"]] == ["workflow.propose", "item.update", "item.create"]
    assert editor["results"][0]["actor"] == "city_editor" and editor["results"][0]["transfer"] == draft.pk
    outsider = client_for(people.outsider).get(f"/api/v1/items/{item.pk}/history/").json()
    assert [e["action"] for e in outsider["results"]] == ["item.update", "item.create"]
    street = client_for(people.street_reviewer).get(f"/api/v1/items/{item.pk}/history/").json()
    assert len(street["results"]) == 2  # the street is neither side of the draft


def test_history_shows_an_effective_transfer_to_everyone(api, tree, people, make_item):
    item = make_item()
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=D(2017, 3, 1))
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    events = api.get(f"/api/v1/items/{item.pk}/history/").json()["results"]
    assert [e["action"] for e in events] == ["transfer.devolve", "workflow.accept", "workflow.approve",
                                             "workflow.submit", "workflow.propose", "item.create"]
    assert "created_by_id" not in events[0]["after"] and "giver_decided_by_id" not in events[0]["after"]
    assert {e["actor"] for e in events} == {None}
    signed_in = client_for(people.street_reviewer).get(f"/api/v1/items/{item.pk}/history/").json()["results"]
    assert signed_in[0]["after"]["created_by_id"] == people.city_editor.pk
    assert signed_in[1]["actor"] == "district_reviewer"
    assert api.get("/api/v1/items/999999/history/").status_code == 404


# --- throttling -------------------------------------------------------------------------------------


def test_anonymous_requests_are_throttled_with_retry_after(api, tree, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "1000/minute"})
    assert api.get("/api/v1/items/").status_code == 200
    assert api.get("/api/v1/items/").status_code == 200
    response = api.get("/api/v1/items/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == "throttled"
    assert body["details"]["retry_after_seconds"] > 0


@pytest.mark.parametrize("size", [2, 20])
def test_history_in_constant_queries(tree, people, make_item, size, django_assert_max_num_queries):
    item = make_item()
    for n in range(size):
        services.update_item(item, legal_basis=f"依据{n}", actor=people.city_editor)
        workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=D(2017, 3, 1 + n % 20))
    client = client_for(people.district_reviewer)
    client.get(f"/api/v1/items/{item.pk}/history/")
    # 3 for the page, 2 to verify the item's history against the audit chain (its events, their predecessors)
    with django_assert_max_num_queries(5):
        body = client.get(f"/api/v1/items/{item.pk}/history/?page_size=100").json()
    assert body["count"] == 1 + 2 * size
    with django_assert_max_num_queries(5):
        assert APIClient().get(f"/api/v1/items/{item.pk}/history/?page_size=100").json()["count"] == 1 + size
