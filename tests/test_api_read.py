"""The API's read resources: departments (with divisions and their 权责一览表), exercise rows, audit events
(what each caller may see) and counts over a territory. Filters, Chinese search, ordering, ETags, dates,
400s in one shape, 404s, and query budgets that do not grow with the data."""
import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import services as accounts_services
from powerlists import services
from powerlists.models import AuditEvent, Exercise, Transfer
from powerlists.services import workflow

D = datetime.date


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits live in the cache; each test starts with none spent."""
    cache.clear()
    yield
    cache.clear()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error_shape(response, status=400):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return body


# --- departments -------------------------------------------------------------------------------------


@pytest.fixture
def divisions(tree):
    class Divisions:
        pass

    d = Divisions()
    d.approvals = services.create_division(department=tree.city_dept, name="行政审批处", module="审批服务")
    d.planning = services.create_division(department=tree.city_dept, name="规划处", module="综合规划")
    d.agency = services.create_department(government=tree.street, name="市发改委驻兆麟街道工作站",
                                          kind="stationed_agency", upper_department=tree.city_dept)
    return d


def test_departments_list_with_divisions_and_upper_department(api, tree, divisions):
    response = api.get("/api/v1/departments/")
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()["results"]}
    city = rows["市发展和改革委员会"]
    assert city["government"] == "2301" and city["kind"] == "department" and city["upper_department"] is None
    assert [(d["name"], d["module"]) for d in city["divisions"]] == [("行政审批处", "审批服务"), ("规划处", "综合规划")]
    agency = rows["市发改委驻兆麟街道工作站"]
    assert agency["upper_department"] == {"id": tree.city_dept.pk, "name": "市发展和改革委员会",
                                          "government": "2301", "government_name": "哈尔滨市"}


@pytest.mark.parametrize("query, names", [
    ("government=230102", ["道里区发展和改革局"]),
    ("kind=service_centre", ["兆麟街道便民服务中心"]),
    ("kind=stationed_agency", ["市发改委驻兆麟街道工作站"]),
    ("search=发展", ["市发展和改革委员会", "道里区发展和改革局"]),
    ("search=便民", ["兆麟街道便民服务中心"]),
    ("search=街道 中心", ["兆麟街道便民服务中心"]),
    ("government=999999", []),
])
def test_department_filters_and_chinese_search(api, tree, divisions, query, names):
    response = api.get(f"/api/v1/departments/?{query}")
    assert response.status_code == 200
    assert [r["name"] for r in response.json()["results"]] == names


def test_department_upper_department_filter(api, tree, divisions):
    body = api.get(f"/api/v1/departments/?upper_department={tree.city_dept.pk}").json()
    assert [r["name"] for r in body["results"]] == ["市发改委驻兆麟街道工作站"]


def test_department_ordering_ends_on_a_unique_key(api, tree, divisions):
    by_path = [r["id"] for r in api.get("/api/v1/departments/").json()["results"]]
    assert by_path == [tree.city_dept.pk, tree.district_dept.pk, tree.street_dept.pk, divisions.agency.pk]
    by_kind = [r["id"] for r in api.get("/api/v1/departments/?ordering=kind").json()["results"]]
    # Two departments share the kind "department": the id breaks the tie, the same on every call.
    assert by_kind == [tree.city_dept.pk, tree.district_dept.pk, tree.street_dept.pk, divisions.agency.pk]
    by_id_desc = [r["id"] for r in api.get("/api/v1/departments/?ordering=-id").json()["results"]]
    assert by_id_desc == sorted(by_path, reverse=True)
    paged = [api.get(f"/api/v1/departments/?ordering=kind&page_size=1&page={n}").json()["results"][0]["id"]
             for n in range(1, 5)]
    assert paged == by_kind


def test_department_detail_with_etag(api, tree, divisions):
    response = api.get(f"/api/v1/departments/{tree.city_dept.pk}/")
    assert response.status_code == 200
    assert response.json()["name"] == "市发展和改革委员会" and len(response.json()["divisions"]) == 2
    etag = response["ETag"]
    assert etag and api.get(f"/api/v1/departments/{tree.city_dept.pk}/")["ETag"] == etag
    services.create_division(department=tree.city_dept, name="法规处")
    assert api.get(f"/api/v1/departments/{tree.city_dept.pk}/")["ETag"] != etag


@pytest.mark.parametrize("url", ["/api/v1/departments/999999/", "/api/v1/departments/abc/",
                                 "/api/v1/departments/99999999999999999999999/",
                                 "/api/v1/departments/999999/responsibilities/",
                                 "/api/v1/departments/abc/responsibilities/"])
def test_absent_department_is_404(api, tree, url):
    assert assert_error_shape(api.get(url), 404)["code"] == "not_found"


@pytest.mark.parametrize("query", ["kind=nonsense", "upper_department=abc", "upper_department=1.5",
                                   "upper_department=-1"])
def test_bad_department_filters_are_400(api, tree, query):
    assert_error_shape(api.get(f"/api/v1/departments/?{query}"))


@pytest.mark.parametrize("size", [3, 30])
def test_departments_in_constant_queries(api, tree, size, django_assert_max_num_queries):
    for n in range(size):
        department = services.create_department(government=tree.district2, name=f"道外区部门{n}")
        services.create_division(department=department, name="综合处")
        services.create_division(department=department, name="审批处", module="审批")
    with django_assert_max_num_queries(3):  # count, page (with government and upper department), divisions
        response = api.get("/api/v1/departments/?page_size=100")
    assert response.json()["count"] == 3 + size
    assert sum(len(r["divisions"]) for r in response.json()["results"]) == 2 * size


def test_responsibilities_of_a_department_on_a_date(api, tree, make_item, divisions):
    licence = make_item(name="企业投资项目核准", department=tree.city_dept, division=divisions.approvals)
    filing = make_item(name="企业投资项目备案", department=tree.city_dept, division=divisions.approvals,
                       responsibilities=["受理责任", "审查责任"])
    plan = make_item(name="规划许可", department=tree.city_dept)
    # The plan is handled by the planning division through its exercise row only (e.g. reassigned there).
    Exercise.objects.filter(item=plan).update(division=divisions.planning)
    services.cancel(item=filing, effective_on=D(2018, 1, 1))

    url = f"/api/v1/departments/{tree.city_dept.pk}/responsibilities/"
    response = api.get(url + "?as_of=2017-06-01")
    assert response.status_code == 200 and response["ETag"]
    body = response.json()
    assert body["as_of"] == "2017-06-01" and body["item_count"] == 3
    assert [d["name"] for d in body["divisions"]] == ["行政审批处", "规划处"]
    approvals, planning = body["divisions"]
    assert [i["name"] for i in approvals["items"]] == ["企业投资项目核准", "企业投资项目备案"]
    assert approvals["items"][1]["responsibilities"] == ["受理责任", "审查责任"]
    assert approvals["items"][0]["assigned"] is True
    assert [e["government"] for e in approvals["items"][0]["exercises"]] == ["2301"]
    assert [(i["id"], i["assigned"]) for i in planning["items"]] == [(plan.pk, False)]
    assert planning["items"][0]["exercises"][0]["role"] == "holder"

    later = api.get(url + "?as_of=2018-06-01").json()
    assert [i["id"] for i in later["divisions"][0]["items"]] == [licence.pk]  # the filing was cancelled
    before = api.get(url + "?as_of=2015-06-01").json()
    assert before["divisions"][1]["items"] == []  # no exercise in force yet
    assert_error_shape(api.get(url + "?as_of=2017-02-30"))


@pytest.mark.parametrize("size", [3, 30])
def test_responsibilities_in_constant_queries(api, tree, make_item, divisions, size,
                                              django_assert_max_num_queries):
    for n in range(size):
        make_item(name=f"审批事项{n}", department=tree.city_dept,
                  division=divisions.approvals if n % 2 else divisions.planning)
    with django_assert_max_num_queries(4):  # department, divisions, items, exercises
        body = api.get(f"/api/v1/departments/{tree.city_dept.pk}/responsibilities/").json()
    assert body["item_count"] == size


# --- exercises ---------------------------------------------------------------------------------------


@pytest.fixture
def history(tree, make_item):
    """Two items of the city; the licence devolved to the district in 2017 and recalled in 2019."""

    class History:
        pass

    h = History()
    h.licence = make_item(name="建设工程规划许可", code="X001")
    h.penalty = make_item(name="违法建设处罚", code="X002", category="penalty")
    h.devolution = services.devolve(item=h.licence, giver=tree.city, receiver=tree.district,
                                    effective_on=D(2017, 1, 1), method="entrusted")
    h.recall = services.recall(item=h.licence, giver=tree.city, receiver=tree.district, effective_on=D(2019, 1, 1))
    return h


def exercise_rows(api, query=""):
    response = api.get(f"/api/v1/exercises/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_exercises_list_the_public_history(api, tree, history):
    rows = exercise_rows(api)
    assert [(r["government"], r["item_code"], r["role"], r["valid_from"], r["valid_to"]) for r in rows] == [
        ("2301", "X001", "holder", "2016-01-01", None),
        ("2301", "X002", "holder", "2016-01-01", None),
        ("230102", "X001", "receiver", "2017-01-01", "2019-01-01"),
    ]
    received = rows[2]
    assert received["method"] == "entrusted" and received["source_government"] == "2301"
    assert received["transfer_id"] == history.devolution.pk and received["closed_by_id"] == history.recall.pk


@pytest.mark.parametrize("query, expected", [
    ("government=230102", [("230102", "X001")]),
    ("role=receiver", [("230102", "X001")]),
    ("in_force_on=2018-06-01", [("2301", "X001"), ("2301", "X002"), ("230102", "X001")]),
    ("in_force_on=2019-01-01", [("2301", "X001"), ("2301", "X002")]),
    ("in_force_on=2015-12-31", []),
    ("valid_from_after=2016-06-01", [("230102", "X001")]),
    ("valid_to_before=2020-01-01", [("230102", "X001")]),
    ("open=true", [("2301", "X001"), ("2301", "X002")]),
    ("search=许可", [("2301", "X001"), ("230102", "X001")]),
    ("search=处罚", [("2301", "X002")]),
    ("government=2301&search=规划", [("2301", "X001")]),
])
def test_exercise_filters(api, tree, history, query, expected):
    assert [(r["government"], r["item_code"]) for r in exercise_rows(api, query)] == expected


def test_exercise_filters_by_item_and_transfer(api, tree, history):
    assert {r["item_code"] for r in exercise_rows(api, f"item={history.penalty.pk}")} == {"X002"}
    touched = exercise_rows(api, f"transfer={history.recall.pk}")
    assert [(r["government"], r["valid_to"]) for r in touched] == [("230102", "2019-01-01")]


def test_exercise_ordering(api, tree, history):
    rows = exercise_rows(api, "ordering=-valid_from")
    assert rows[0]["government"] == "230102"
    assert [r["id"] for r in rows[1:]] == sorted(r["id"] for r in rows[1:])[::-1]  # the tie broken by -id
    ids = [r["id"] for r in exercise_rows(api, "ordering=id")]
    assert ids == sorted(ids)


def test_exercise_detail_with_etag(api, tree, history):
    row = Exercise.objects.get(government=tree.district)
    response = api.get(f"/api/v1/exercises/{row.pk}/")
    assert response.status_code == 200 and response["ETag"]
    assert response.json()["item_name"] == "建设工程规划许可" and response.json()["valid_to"] == "2019-01-01"
    assert assert_error_shape(api.get("/api/v1/exercises/999999/"), 404)["code"] == "not_found"
    assert_error_shape(api.get("/api/v1/exercises/abc/"), 404)


@pytest.mark.parametrize("query", ["in_force_on=2017-13-01", "valid_from_after=yesterday", "item=abc",
                                   "transfer=1.5", "role=owner", "open=maybe"])
def test_bad_exercise_filters_are_400(api, tree, query):
    assert_error_shape(api.get(f"/api/v1/exercises/?{query}"))


def test_exercises_are_read_only(api, tree, history):
    row = Exercise.objects.first()
    assert api.post("/api/v1/exercises/", {}).status_code == 405
    assert api.delete(f"/api/v1/exercises/{row.pk}/").status_code == 405


@pytest.mark.parametrize("size", [3, 40])
def test_exercises_in_constant_queries(api, tree, make_item, size, django_assert_max_num_queries):
    for n in range(size):
        item = make_item(name=f"行政许可{n}")
        if n % 3 == 0:
            services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    with django_assert_max_num_queries(2):  # count and page
        body = api.get("/api/v1/exercises/?page_size=200&in_force_on=2018-01-01&search=许可").json()
    assert body["count"] == size + (size + 2) // 3


# --- audit events ------------------------------------------------------------------------------------


@pytest.fixture
def events(tree, people, make_item, django_user_model):
    """Public history (an item, an effective devolution), a draft proposal and a role grant."""

    class Events:
        pass

    e = Events()
    e.item = make_item(name="食品经营许可", actor_name="种子数据")
    e.devolution = services.devolve(item=e.item, giver=tree.city, receiver=tree.district,
                                    effective_on=D(2017, 1, 1), actor=people.administrator)
    e.other = make_item(name="药品零售许可")
    e.draft = workflow.propose(actor=people.city_editor, kind="devolve", item=e.other, giver=tree.city,
                               receiver=tree.district, effective_on=D(2027, 1, 1), reason="拟下放")
    e.grant = accounts_services.grant(user=people.nobody, government=tree.street2, role="editor",
                                      actor=people.administrator)
    e.superuser = django_user_model.objects.create_superuser("root", password="a-long-pass-phrase-2026")
    return e


def audit_actions(client, query=""):
    response = client.get(f"/api/v1/audit/?page_size=500&{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_anonymous_sees_public_history_without_actors(api, tree, events):
    rows = audit_actions(api)
    actions = [r["action"] for r in rows]
    assert "item.create" in actions and "transfer.devolve" in actions and "government.create" in actions
    assert "workflow.propose" not in actions  # a draft
    assert not [a for a in actions if a.startswith(("membership.", "token."))]
    assert all(r["actor"] is None and r["actor_name"] is None for r in rows)
    # Newest first, ties broken by id.
    assert [(r["at"], r["id"]) for r in rows] == sorted(((r["at"], r["id"]) for r in rows), reverse=True)


def test_a_user_without_roles_sees_what_the_public_sees(tree, events, people):
    accounts_services.revoke(people.nobody.memberships.get(), actor=events.superuser)
    from powerlists import policy

    policy.forget(people.nobody)
    rows = audit_actions(as_user(people.nobody))
    assert "workflow.propose" not in [r["action"] for r in rows]
    assert all(r["actor"] is None and r["actor_name"] is None for r in rows)


@pytest.mark.parametrize("who, sees_draft", [
    ("city_editor", True),  # the giving side
    ("district_reviewer", True),  # the receiving side
    ("administrator", True),  # the province and its territory
    ("street_reviewer", False),  # inside the district's territory but not on either side
    ("outsider", False),  # a reviewer of another province
])
def test_proposals_events_are_seen_by_those_with_a_role_on_either_side(tree, events, people, who, sees_draft):
    user = getattr(people, who)
    rows = audit_actions(as_user(user))
    actions = [r["action"] for r in rows]
    assert ("workflow.propose" in actions) is sees_draft
    assert "transfer.devolve" in actions and "membership.grant" not in actions
    devolve = next(r for r in rows if r["action"] == "transfer.devolve")
    assert devolve["actor"] == "administrator" and devolve["actor_name"] == "administrator"
    draft_event = AuditEvent.objects.get(action="workflow.propose")
    detail = as_user(user).get(f"/api/v1/audit/{draft_event.pk}/")
    assert detail.status_code == (200 if sees_draft else 404)


def test_superuser_sees_everything(tree, events):
    actions = [r["action"] for r in audit_actions(as_user(events.superuser))]
    assert {"membership.grant", "workflow.propose", "transfer.devolve"} <= set(actions)


def test_a_proposal_becomes_public_history_once_effective(api, tree, events, people):
    draft_event = AuditEvent.objects.get(action="workflow.propose")
    assert assert_error_shape(api.get(f"/api/v1/audit/{draft_event.pk}/"), 404)["code"] == "not_found"
    Transfer.objects.filter(pk=events.draft.pk).update(state="effective")
    response = api.get(f"/api/v1/audit/{draft_event.pk}/")
    assert response.status_code == 200 and response["ETag"]
    assert response.json()["actor"] is None and response.json()["transfer_id"] == events.draft.pk


def test_batches_events_follow_the_batch(api, tree, people, events):
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="第一批下放事项",
                                  effective_on=D(2027, 1, 1))
    query = f"batch={batch.pk}"
    assert audit_actions(api, query) == []
    assert [r["action"] for r in audit_actions(as_user(people.city_reviewer), query)] == ["batch.create"]
    assert audit_actions(as_user(people.district_reviewer), query) == []
    batch.state = "effective"
    batch.save()
    assert [r["action"] for r in audit_actions(api, query)] == ["batch.create"]


def test_audit_filters(api, tree, events, people):
    item_rows = audit_actions(api, f"item={events.item.pk}")
    assert [r["action"] for r in item_rows] == ["transfer.devolve", "item.create"]
    assert [r["action"] for r in audit_actions(api, f"transfer={events.devolution.pk}")] == ["transfer.devolve"]
    assert {r["government"] for r in audit_actions(api, "government=230102")} == {"230102"}
    assert {r["object_type"] for r in audit_actions(api, "object_type=department")} == {"department"}
    assert [r["item_id"] for r in audit_actions(api, "action=item.create")] == [events.other.pk, events.item.pk]
    everything = audit_actions(api)
    newest = everything[0]["at"]
    assert audit_actions(api, "until=2000-01-01T00:00:00Z") == []
    assert len(audit_actions(api, "since=2000-01-01")) == len(everything)
    future = (datetime.datetime.fromisoformat(newest) + datetime.timedelta(seconds=1)).isoformat()
    assert audit_actions(api, f"since={future.replace('+', '%2B')}") == []
    oldest_first = audit_actions(api, "ordering=at")
    assert [r["id"] for r in oldest_first] == sorted(r["id"] for r in everything)


@pytest.mark.parametrize("query", ["since=yesterday", "until=2026-02-30T00:00:00", "item=abc", "batch=1.5",
                                   "transfer=-3"])
def test_bad_audit_filters_are_400(api, tree, query):
    response = api.get(f"/api/v1/audit/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    body = assert_error_shape(response)
    assert body["message"].isascii() and body["details"]


def test_absent_audit_event_is_404(api, db):
    assert assert_error_shape(api.get("/api/v1/audit/999999/"), 404)["code"] == "not_found"


@pytest.mark.parametrize("size", [3, 30])
def test_audit_in_constant_queries(api, tree, people, make_item, size, django_assert_max_num_queries):
    for n in range(size):
        item = make_item(name=f"许可{n}")
        workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=D(2027, 1, 1))
    with django_assert_max_num_queries(2):  # count and page
        anonymous = api.get("/api/v1/audit/?page_size=500").json()
    reviewer = APIClient()
    reviewer.force_authenticate(people.district_reviewer)
    with django_assert_max_num_queries(3):  # memberships, count and page
        seen = reviewer.get("/api/v1/audit/?page_size=500").json()
    assert seen["count"] == anonymous["count"] + size


# --- stats -------------------------------------------------------------------------------------------


def test_stats_by_tier_on_a_date(api, tree, history):
    body = api.get("/api/v1/stats/?government=2301&as_of=2018-01-01").json()
    assert body["government"] == "2301" and body["as_of"] == "2018-01-01"
    [grouping] = body["groupings"]
    assert grouping["by"] == "tier"
    assert [(g["key"], g["label"], g["exercises"], g["items"]) for g in grouping["groups"]] == [
        ("2", "市级", 2, 2), ("3", "县级（区、县）", 1, 1)]
    after_recall = api.get("/api/v1/stats/?government=2301&as_of=2019-06-01&by=tier").json()
    assert [g["key"] for g in after_recall["groupings"][0]["groups"]] == ["2"]
    district = api.get("/api/v1/stats/?government=230102&as_of=2018-01-01").json()
    assert [(g["key"], g["items"]) for g in district["groupings"][0]["groups"]] == [("3", 1)]


def test_stats_by_several_groupings(api, tree, history):
    body = api.get("/api/v1/stats/?government=2301&as_of=2018-01-01&by=category,arrangement,field").json()
    by = {g["by"]: {x["key"]: x for x in g["groups"]} for g in body["groupings"]}
    assert [g["by"] for g in body["groupings"]] == ["category", "arrangement", "field"]
    assert by["category"]["licensing"]["exercises"] == 2 and by["category"]["licensing"]["label"] == "行政许可"
    assert by["category"]["penalty"]["items"] == 1
    assert {k: v["exercises"] for k, v in by["arrangement"].items()} == {
        "devolved_out": 1, "received": 1, "retained": 1}
    assert by["field"]["投资审批"]["exercises"] == 3


@pytest.mark.parametrize("query, code", [
    ("as_of=2018-01-01", "government_required"),
    ("government=2301&by=colour", "invalid_grouping"),
    ("government=2301&by=tier,colour", "invalid_grouping"),
    ("government=2301&as_of=2018-02-30", "invalid_date"),
])
def test_bad_stats_parameters_are_400(api, tree, query, code):
    assert assert_error_shape(api.get(f"/api/v1/stats/?{query}"))["code"] == code
    english = api.get(f"/api/v1/stats/?{query}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["message"].isascii()


def test_stats_of_an_unknown_government_is_404(api, tree):
    assert assert_error_shape(api.get("/api/v1/stats/?government=999"), 404)["code"] == "not_found"


@pytest.mark.parametrize("size", [3, 30])
def test_stats_in_constant_queries(api, tree, make_item, size, django_assert_max_num_queries):
    for n in range(size):
        item = make_item(name=f"许可{n}")
        if n % 2:
            services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    with django_assert_max_num_queries(2):  # the government, the counts
        body = api.get("/api/v1/stats/?government=23&as_of=2018-01-01").json()
    assert sum(g["items"] for g in body["groupings"][0]["groups"]) == size + size // 2
    with django_assert_max_num_queries(5):  # the government, one query per grouping
        body = api.get("/api/v1/stats/?government=23&as_of=2018-01-01&by=tier,category,field,arrangement").json()
    assert len(body["groupings"]) == 4


# --- schema ------------------------------------------------------------------------------------------


def test_read_resources_are_in_the_schema(api, db):
    schema = api.get("/api/schema/?format=json").json()
    for path in ("/api/v1/departments/", "/api/v1/departments/{id}/", "/api/v1/departments/{id}/responsibilities/",
                 "/api/v1/exercises/", "/api/v1/exercises/{id}/", "/api/v1/audit/", "/api/v1/audit/{id}/",
                 "/api/v1/stats/"):
        assert path in schema["paths"], path
    stats = schema["paths"]["/api/v1/stats/"]["get"]
    assert {p["name"] for p in stats["parameters"]} >= {"government", "as_of", "by"}


def test_a_shared_proposals_events_are_seen_by_its_parties(tree, people, make_item):
    from powerlists.services import Party

    item = make_item(government=tree.district, name="社区卫生服务许可")
    shared = workflow.propose(actor=people.district_editor, kind="share", item=item, giver=tree.district,
                              effective_on=D(2027, 5, 1),
                              parties=[Party(tree.district, "lead", 60), Party(tree.street, "support", 40)])
    query = f"transfer={shared.pk}"
    assert [r["action"] for r in audit_actions(as_user(people.street_reviewer), query)] == ["workflow.propose"]
    assert audit_actions(as_user(people.city_reviewer), query) == []
    assert audit_actions(APIClient(), query) == []
