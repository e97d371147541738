"""The API of the evaluation of devolved powers: evidence, rounds, results, decisions, the follow-up batch
through the ordinary transfer and batch endpoints, and the report."""
import datetime

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from powerlists import services
from powerlists.models import (
    AssessmentType,
    AuditEvent,
    Batch,
    Capacity,
    EvaluationCategory,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    Tier,
    Transfer,
)
from powerlists.services import evaluation

from .helpers import client_for, db_state, devolve

D = datetime.date
START, END = D(2018, 1, 1), D(2019, 12, 31)
DEVOLVED_ON = D(2017, 6, 1)
FOLLOW_UP_ON = D(2020, 3, 1)


def state() -> dict:
    """Every written row, the evaluation's tables included."""
    picture = db_state()
    for model in (Evidence, EvaluationRound, EvaluationResult):
        picture[model.__name__] = list(model.objects.order_by("pk").values())
    return picture


def assert_refusal_shape(response, status, code):
    """A refusal: the one error shape, nothing else in it."""
    assert response.status_code == status, response.json()
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code
    return body


@pytest.fixture
def ev(tree, make_item):
    """Builders: items devolved city → street (with evidence), a round over the city."""

    class Ev:
        pass

    e = Ev()

    def devolved(town=None, *, department="auto", **values):
        town = town or tree.street
        values.setdefault("statutory_days", 20)
        it = make_item(tree.city, **values)
        if department == "auto":
            department = tree.street_dept if town == tree.street else None
        devolve(it, tree.city, town, DEVOLVED_ON, receiving_department=department)
        return it

    def evidence(it, town=None, **values):
        values.setdefault("cases_handled", 50)
        values.setdefault("satisfaction", "95")
        values.setdefault("average_days", "5")
        values.setdefault("capacity", Capacity.ADEQUATE)
        return evaluation.record_evidence(item=it, government=town or tree.street, period_start=START,
                                          period_end=END, **values)

    def round_(name="两年评估", **kwargs):
        kwargs.setdefault("scope_government", tree.city)
        return evaluation.create_round(name=name, period_start=START, period_end=END, **kwargs)

    e.devolved, e.evidence, e.round = devolved, evidence, round_
    return e


def row(item, government="230102001", **values):
    return {"item": item.pk, "government": government, "period_start": "2018-01-01", "period_end": "2019-12-31",
            "cases_handled": 40, "satisfaction": "88.5", "average_days": "4.5", "capacity": "adequate", **values}


def results_of(client, rnd, query=""):
    response = client.get(f"/api/v1/evaluation-results/?round={rnd.pk}&page_size=500{query}")
    assert response.status_code == 200, response.json()
    return response.json()["results"]


# --- evidence ------------------------------------------------------------------------------------------


def test_record_evidence_then_replace_it(tree, people, ev):
    it = ev.devolved()
    editor = client_for(people.district_editor)  # the giving side's editor (the street's upper government)
    created = editor.post("/api/v1/evidence/", row(it, note="首次填报"), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert created["Location"] == f"/api/v1/evidence/{body['id']}/"
    assert (body["item"], body["item_code"], body["government"], body["government_name"]) == (
        it.pk, it.code, "230102001", "兆麟街道")
    assert (body["cases_handled"], body["satisfaction"], body["average_days"], body["capacity"]) == (
        40, "88.50", "4.50", "adequate")
    assert body["complaints"] == 0 and body["receiving_unit_named"] is True and body["note"] == "首次填报"

    replaced = editor.post("/api/v1/evidence/", {**row(it, cases_handled=7), "satisfaction": None}, format="json")
    assert replaced.status_code == 200, replaced.json()
    assert replaced.json()["id"] == body["id"] and "Location" not in replaced
    assert (replaced.json()["cases_handled"], replaced.json()["satisfaction"], replaced.json()["note"]) == (7, None, "")
    assert Evidence.objects.count() == 1
    assert AuditEvent.objects.filter(action="evaluation.evidence").count() == 2

    detail = editor.get(f"/api/v1/evidence/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["cases_handled"] == 7 and detail["ETag"]


def test_evidence_is_not_public(api, tree, people, ev):
    street_row = ev.evidence(ev.devolved())
    district_item = services.create_item(government=tree.city, code="D1", name="区级事项", category="licensing",
                                         holder_from=D(2016, 1, 1))
    devolve(district_item, tree.city, tree.district, DEVOLVED_ON, receiving_department=tree.district_dept)
    district_row = ev.evidence(district_item, tree.district)

    def seen(client):
        response = client.get("/api/v1/evidence/")
        assert response.status_code == 200
        return sorted(r["id"] for r in response.json()["results"])

    assert seen(api) == [] and api.get(f"/api/v1/evidence/{street_row.pk}/").status_code == 404
    assert seen(client_for(people.outsider)) == [] and seen(client_for(people.nobody)) == []
    assert seen(client_for(people.district_reviewer)) == sorted([street_row.pk, district_row.pk])
    assert seen(client_for(people.city_reviewer)) == [district_row.pk]  # its receivers, not theirs in turn
    assert client_for(people.city_reviewer).get(f"/api/v1/evidence/{street_row.pk}/").status_code == 404
    assert seen(client_for(people.administrator)) == sorted([street_row.pk, district_row.pk])


def test_evidence_filters_and_ordering(tree, people, ev):
    a, b = ev.devolved(), ev.devolved()
    ev.evidence(a, cases_handled=5, capacity=Capacity.NO_QUALIFIED_STAFF)
    ev.evidence(b, cases_handled=90)
    early = evaluation.record_evidence(item=a, government=tree.street, period_start=D(2016, 1, 1),
                                       period_end=D(2016, 12, 31), cases_handled=1)
    client = client_for(people.district_reviewer)

    def ids(query):
        response = client.get(f"/api/v1/evidence/?{query}")
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert len(ids(f"item={a.pk}")) == 2 and ids(f"item={a.pk}&period_start_after=2018-01-01") != [early.pk]
    assert ids("period_end_before=2017-01-01") == [early.pk]
    assert len(ids("period_start_after=2018-01-01&period_end_before=2019-12-31")) == 2
    assert ids("capacity=no_qualified_staff") == [Evidence.objects.get(item=a, period_start=START).pk]
    assert len(ids("government=230102001")) == 3 and ids("government=230104001") == []
    cases = [r["cases_handled"] for r in client.get("/api/v1/evidence/?ordering=-cases_handled").json()["results"]]
    assert cases == [90, 5, 1]
    for bad in ("item=abc", "capacity=huge", "period_start_after=someday", "ordering=nonsense"):
        response = client.get(f"/api/v1/evidence/?{bad}")
        assert response.status_code in (200, 400)
        if bad != "ordering=nonsense":  # DRF ignores an unknown ordering term
            assert response.status_code == 400 and response.json()["code"] == "invalid", bad


@pytest.mark.parametrize("change, field", [
    ({"satisfaction": "100.01"}, "satisfaction"), ({"cases_handled": -1}, "cases_handled"),
    ({"cases_handled": "many"}, "cases_handled"), ({"capacity": "great"}, "capacity"),
    ({"average_days": "1e9"}, "average_days"), ({"cases_handled": 2**40}, "cases_handled"),
    ({"item": 10**12}, "item"), ({"government": "nope"}, "government"), ({"period_start": "2018-13-01"},
                                                                         "period_start"),
])
def test_invalid_evidence_is_400_and_writes_nothing(tree, people, ev, change, field):
    it = ev.devolved()
    before = state()
    response = client_for(people.district_editor).post("/api/v1/evidence/", {**row(it), **change}, format="json")
    body = assert_refusal_shape(response, 400, "invalid")
    assert field in body["details"]
    assert state() == before


def test_evidence_errors_in_chinese_and_english(tree, people, ev):
    it = ev.devolved()
    client = client_for(people.district_editor)
    backwards = row(it, period_start="2019-01-01", period_end="2018-01-01")
    zh = client.post("/api/v1/evidence/", backwards, format="json")
    en = client.post("/api/v1/evidence/", backwards, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.status_code == en.status_code == 400
    assert zh.json()["code"] == en.json()["code"] == "invalid_evidence"
    assert zh.json()["message"] == "period_end：不能早于起始日期。"
    assert en.json()["message"] == "period_end: cannot be before the start of the period."
    invalid = client.post("/api/v1/evidence/", row(it, satisfaction="101"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert invalid.json()["message"] == "Invalid input; see details." and "satisfaction" in invalid.json()["details"]
    assert client.post("/api/v1/evidence/", row(it, satisfaction="101"), format="json").json()["message"] == (
        translation.gettext("输入无效，请按 details 修改后重试。"))


@pytest.mark.parametrize("who, status", [
    (None, 401), ("outsider", 403), ("nobody", 403), ("city_editor", 403), ("district_reviewer", 403),
    ("district_editor", 201), ("administrator", 201),
])
def test_who_may_record_evidence(tree, people, ev, who, status):
    it = ev.devolved()
    client = client_for(getattr(people, who)) if who else APIClient()
    before = state()
    response = client.post("/api/v1/evidence/", row(it), format="json")
    assert response.status_code == status, response.json()
    if status != 201:
        body = assert_refusal_shape(response, status, "not_authenticated" if who is None else "forbidden")
        assert body["details"] == {} and state() == before


def test_evidence_post_replays_the_same_idempotency_key(tree, people, ev):
    it = ev.devolved()
    client = client_for(people.district_editor)
    first = client.post("/api/v1/evidence/", row(it), format="json", HTTP_IDEMPOTENCY_KEY="ev-1")
    again = client.post("/api/v1/evidence/", row(it), format="json", HTTP_IDEMPOTENCY_KEY="ev-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="evaluation.evidence").count() == 1
    reused = client.post("/api/v1/evidence/", row(it, cases_handled=1), format="json", HTTP_IDEMPOTENCY_KEY="ev-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


# --- evidence in bulk ------------------------------------------------------------------------------------


def test_bulk_evidence_all_or_nothing(tree, people, ev):
    items = [ev.devolved() for _ in range(3)]
    ev.evidence(items[0], cases_handled=1)
    client = client_for(people.district_editor)
    response = client.post("/api/v1/evidence/bulk/", [row(it) for it in items], format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["recorded"], body["created"], body["replaced"]) == (3, 2, 1)
    assert body["ids"] == [Evidence.objects.get(item=it).pk for it in items]
    assert Evidence.objects.get(item=items[0]).cases_handled == 40
    assert AuditEvent.objects.filter(action="evaluation.evidence").count() == 4


@pytest.mark.parametrize("bad, code, message_zh, message_en", [
    ({"satisfaction": "200"}, "invalid", "第2行：输入无效，请按 details 修改后重试。",
     "Row 2: invalid input; see details."),
    ({"period_end": "2017-01-01"}, "invalid_evidence", "第2行：period_end：不能早于起始日期。",
     "Row 2: period_end: cannot be before the start of the period."),
    ({"item": 999999}, "invalid_evidence", "第2行：item：事项不存在。", "Row 2: item: no such power item."),
    ({"government": "999"}, "invalid_evidence", "第2行：government：政府不存在。",
     "Row 2: government: no such government."),
])
def test_bulk_evidence_error_names_the_row_and_writes_nothing(tree, people, ev, bad, code, message_zh, message_en):
    items = [ev.devolved() for _ in range(3)]
    rows = [row(it) for it in items]
    rows[1].update(bad)
    client = client_for(people.district_editor)
    before = state()
    zh = client.post("/api/v1/evidence/bulk/", rows, format="json")
    en = client.post("/api/v1/evidence/bulk/", rows, format="json", HTTP_ACCEPT_LANGUAGE="en")
    for response, message in ((zh, message_zh), (en, message_en)):
        body = assert_refusal_shape(response, 400, code)
        assert body["details"]["row"] == 1 and body["message"] == message
    assert state() == before


def test_bulk_evidence_refused_for_one_row_writes_nothing(tree, people, ev):
    ours = ev.devolved()
    theirs = services.create_item(government=tree.city, code="X1", name="道外事项", category="licensing",
                                  holder_from=D(2016, 1, 1))
    devolve(theirs, tree.city, tree.street2, DEVOLVED_ON)
    before = state()
    response = client_for(people.district_editor).post(
        "/api/v1/evidence/bulk/", [row(ours), row(theirs, government="230104001")], format="json")
    body = assert_refusal_shape(response, 403, "forbidden")
    assert body["details"] == {"row": 1}
    assert state() == before
    assert client_for(people.outsider).post("/api/v1/evidence/bulk/", [row(ours)], format="json").status_code == 403
    assert APIClient().post("/api/v1/evidence/bulk/", [row(ours)], format="json").status_code == 401
    assert state() == before


@pytest.mark.parametrize("body", [{}, {"rows": []}, [], "text", [1, 2]])
def test_bulk_evidence_needs_a_list_of_rows(tree, people, body):
    response = client_for(people.district_editor).post("/api/v1/evidence/bulk/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] in ("invalid_rows", "invalid")


def test_bulk_evidence_is_bounded(tree, people, ev):
    it = ev.devolved()
    response = client_for(people.district_editor).post("/api/v1/evidence/bulk/", [row(it)] * 5001, format="json")
    assert response.status_code == 400 and response.json()["details"] == {"max_rows": 5000, "rows": 5001}
    assert not Evidence.objects.exists()


# --- rounds --------------------------------------------------------------------------------------------------


NEW_ROUND = {"name": "扩权强镇两年评估", "scope_government": "2301", "period_start": "2018-01-01",
             "period_end": "2019-12-31"}


def test_open_a_round(tree, people):
    response = client_for(people.city_editor).post(
        "/api/v1/evaluation-rounds/", {**NEW_ROUND, "rules": {"min_satisfaction": 85, "min_cases": 3}}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == f"/api/v1/evaluation-rounds/{body['id']}/"
    assert (body["state"], body["scope_government"], body["scope_government_name"], body["scope_tag"]) == (
        "draft", "2301", "哈尔滨市", "")
    assert body["rules"] == {"min_cases": 3, "min_satisfaction": 85, "max_days_ratio": 1.0, "compare_before": True,
                             "not_yet_overdue_days": 90, "requested_undecided_days": 60}
    assert body["created_by"] == "city_editor" and body["summary"] == {}
    assert body["links"]["results"] == f"/api/v1/evaluation-results/?round={body['id']}"
    assert body["links"]["report"] == f"/api/v1/evaluation-rounds/{body['id']}/report/"
    assert body["follow_up_batches"] == []
    assert EvaluationRound.objects.get(pk=body["id"]).rules["min_satisfaction"] == 85


@pytest.mark.parametrize("change, code", [
    ({"rules": {"min_satisfation": 80}}, "invalid_rules"), ({"rules": {"min_cases": "ten"}}, "invalid_rules"),
    ({"rules": {"min_satisfaction": 101}}, "invalid_rules"), ({"rules": {"compare_before": 1}}, "invalid_rules"),
    ({"rules": {"min_cases": 1e400}}, "invalid_rules"), ({"rules": [1]}, "invalid"),
    ({"scope_government": None}, "scope_required"), ({"scope_government": "nope"}, "invalid"),
    ({"scope_tag": "no-such-tag"}, "invalid"), ({"name": ""}, "invalid"), ({"period_end": "2017-01-01"},
                                                                          "invalid_period"),
])
def test_invalid_round_is_400_and_writes_nothing(tree, people, change, code):
    before = state()
    body = {**NEW_ROUND, **change}
    if body.get("rules") == {"min_cases": 1e400}:  # JSON with a number too big for a float
        response = client_for(people.city_editor).post(
            "/api/v1/evaluation-rounds/", data='{"name": "x", "scope_government": "2301", "period_start": '
            '"2018-01-01", "period_end": "2019-12-31", "rules": {"min_cases": 1e400}}', content_type="application/json")
    else:
        response = client_for(people.city_editor).post("/api/v1/evaluation-rounds/", body, format="json")
    assert_refusal_shape(response, 400, code)
    assert state() == before


def test_unknown_rule_names_in_chinese_and_english(tree, people):
    client = client_for(people.city_editor)
    body = {**NEW_ROUND, "rules": {"min_satisfation": 80}}
    zh = client.post("/api/v1/evaluation-rounds/", body, format="json").json()
    en = client.post("/api/v1/evaluation-rounds/", body, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["message"] == "未知的评估规则：min_satisfation" and zh["details"] == {"rules": ["min_satisfation"]}
    assert en["message"] == "Unknown evaluation rules: min_satisfation"


@pytest.mark.parametrize("who, change, status", [
    (None, {}, 401), ("outsider", {}, 403), ("nobody", {}, 403), ("city_reviewer", {}, 403),
    ("district_editor", {}, 403), ("city_editor", {"scope_government": None, "scope_tag": "pilot"}, 403),
    ("city_editor", {}, 201), ("district_editor", {"scope_government": "230102"}, 201),
    ("city_editor", {"scope_tag": "pilot"}, 201), ("root", {"scope_government": None, "scope_tag": "pilot"}, 201),
])
def test_who_may_open_a_round(tree, people, django_user_model, who, change, status):
    if who == "root":
        user = django_user_model.objects.create_superuser("root", password="a-long-pass-phrase-2026")
    else:
        user = getattr(people, who) if who else None
    client = client_for(user) if user else APIClient()
    before = state()
    response = client.post("/api/v1/evaluation-rounds/", {**NEW_ROUND, **change}, format="json")
    assert response.status_code == status, response.json()
    if status != 201:
        body = assert_refusal_shape(response, status, "not_authenticated" if who is None else "forbidden")
        assert body["details"] == {} and state() == before


def test_round_visibility(api, tree, people, ev):
    city_round = ev.round()
    other = ev.round(name="湖北评估", scope_government=tree.other_city)

    def seen(client):
        response = client.get("/api/v1/evaluation-rounds/")
        assert response.status_code == 200
        return sorted(r["id"] for r in response.json()["results"])

    assert seen(api) == [] and seen(client_for(people.nobody)) == []
    assert seen(client_for(people.city_reviewer)) == [city_round.pk]
    assert seen(client_for(people.street_reviewer)) == [city_round.pk]  # a role inside the territory
    assert seen(client_for(people.outsider)) == [other.pk]
    assert seen(client_for(people.administrator)) == [city_round.pk]
    for path in ("", "report/"):
        assert api.get(f"/api/v1/evaluation-rounds/{city_round.pk}/{path}").status_code == 404
        assert client_for(people.outsider).get(f"/api/v1/evaluation-rounds/{city_round.pk}/{path}").status_code == 404
    detail = client_for(people.street_reviewer).get(f"/api/v1/evaluation-rounds/{city_round.pk}/")
    assert detail.status_code == 200 and detail["ETag"] and detail.json()["created_by"] is None
    assert api.get("/api/v1/evaluation-rounds/99999999/").status_code == 404
    assert api.get("/api/v1/evaluation-rounds/9999999999999999999999/").status_code == 404


def test_round_filters(tree, people, ev):
    a = ev.round()
    b = ev.round(name="试点评估", scope_tag="pilot")
    evaluation.run_round(b)
    client = client_for(people.city_reviewer)

    def ids(query):
        response = client.get(f"/api/v1/evaluation-rounds/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(r["id"] for r in response.json()["results"])

    assert ids("state=draft") == [a.pk] and ids("state=evaluated") == [b.pk]
    assert ids("scope_tag=pilot") == [b.pk] and ids("scope_government=2301") == sorted([a.pk, b.pk])
    assert ids("scope_government=42") == []
    assert client.get("/api/v1/evaluation-rounds/?state=done").status_code == 400


@pytest.mark.parametrize("who, status", [
    (None, 401), ("outsider", 404), ("nobody", 404), ("city_reviewer", 403), ("street_reviewer", 403),
    ("city_editor", 200),
])
def test_who_may_run_a_round(tree, people, ev, who, status):
    ev.evidence(ev.devolved())
    rnd = ev.round()
    client = client_for(getattr(people, who)) if who else APIClient()
    before = state()
    response = client.post(f"/api/v1/evaluation-rounds/{rnd.pk}/run/", format="json")
    assert response.status_code == status, response.json()
    if status != 200:
        body = assert_refusal_shape(response, status, {401: "not_authenticated", 403: "forbidden",
                                                       404: "not_found"}[status])
        assert body["details"] == {} and state() == before
    else:
        assert response.json()["state"] == "evaluated" and response.json()["summary"]["results"] == 1


# --- the whole evaluation through HTTP ------------------------------------------------------------------------


@pytest.fixture
def peer(tree, django_user_model):
    """A second street under the district, with a receiving unit and a reviewer: a peer town of 兆麟街道."""
    from accounts.models import Membership

    town = services.create_government(code="230102003", name="新阳路街道", tier=Tier.TOWNSHIP, parent=tree.district,
                                      kind="街道", assessment_type="service")
    town.dept = services.create_department(government=town, name="新阳路街道便民服务中心", kind="service_centre")
    town.reviewer = django_user_model.objects.create_user("peer_reviewer", password="a-long-pass-phrase-2026")
    Membership.objects.create(user=town.reviewer, government=town, role="reviewer")
    return town


def test_a_round_from_evidence_to_the_towns_lists(api, tree, people, ev, peer):
    editor, reviewer = client_for(people.city_editor), client_for(people.city_reviewer)
    poor, good, no_unit = ev.devolved(), ev.devolved(field="市场监管"), ev.devolved(department=None)
    recorded = client_for(people.district_editor).post("/api/v1/evidence/bulk/", [
        row(poor, cases_handled=0), row(good, satisfaction="96"), row(no_unit)], format="json")
    assert recorded.status_code == 200, recorded.json()

    # open and run
    opened = editor.post("/api/v1/evaluation-rounds/", {**NEW_ROUND, "name": "两年评估"}, format="json").json()
    rnd = EvaluationRound.objects.get(pk=opened["id"])
    run = editor.post(f"/api/v1/evaluation-rounds/{rnd.pk}/run/", format="json")
    assert run.status_code == 200 and run.json()["state"] == "evaluated"
    assert run.json()["summary"]["suggested"] == {"promotable": 1, "should_not": 0, "not_yet": 1, "poor": 1}
    results = {r["item"]: r for r in results_of(reviewer, rnd)}
    assert {k: (r["suggested"], r["rule"]) for k, r in results.items()} == {
        poor.pk: ("poor", "poor.no_cases"), good.pk: ("promotable", "promotable.runs_well"),
        no_unit.pk: ("not_yet", "not_yet.no_receiving_unit")}
    r_poor = results[poor.pk]
    assert (r_poor["item_code"], r_poor["item_name"], r_poor["government"], r_poor["government_name"]) == (
        poor.code, poor.name, "230102001", "兆麟街道")
    assert r_poor["figures"]["cases_handled"] == 0 and r_poor["figures"]["rules_applied"] == ["poor.no_cases"]
    assert (r_poor["decision"], r_poor["category"], r_poor["decided_by"], r_poor["version"]) == ("", "poor", None, 1)
    assert api.get(f"/api/v1/evaluation-results/?round={rnd.pk}").json()["count"] == 0  # not public yet

    # decide: confirm, override with a reason; the wrong people are refused and nothing changes
    def decide(client, result_id, body, **headers):
        return client.post(f"/api/v1/evaluation-results/{result_id}/decide/", body, format="json", **headers)

    before = state()
    assert_refusal_shape(decide(client_for(people.outsider), r_poor["id"], {"decision": "poor"}), 404, "not_found")
    assert_refusal_shape(decide(editor, r_poor["id"], {"decision": "poor"}), 403, "forbidden")
    assert_refusal_shape(decide(APIClient(), r_poor["id"], {"decision": "poor"}), 401, "not_authenticated")
    assert_refusal_shape(decide(reviewer, r_poor["id"], {"decision": "fine"}), 400, "invalid")
    no_reason = decide(reviewer, r_poor["id"], {"decision": "should_not"})
    assert assert_refusal_shape(no_reason, 400, "reason_required")["message"] == "改变评估建议必须说明理由。"
    english = decide(reviewer, r_poor["id"], {"decision": "should_not", "reason": " "}, HTTP_ACCEPT_LANGUAGE="en")
    assert english.json()["message"] == "Overriding the suggested category needs a reason."
    stale = decide(reviewer, r_poor["id"], {"decision": "poor"},
                   HTTP_IF_MATCH=f'"evaluationresult-{r_poor["id"]}-v2"')
    assert_refusal_shape(stale, 412, "precondition_failed")
    assert state() == before

    detail = reviewer.get(f"/api/v1/evaluation-results/{r_poor['id']}/")
    assert detail["ETag"] == f'"evaluationresult-{r_poor["id"]}-v1"'
    overridden = decide(reviewer, r_poor["id"], {"decision": "should_not", "reason": "街道无执法主体资格"},
                        HTTP_IF_MATCH=detail["ETag"])
    assert overridden.status_code == 200, overridden.json()
    body = overridden.json()
    assert (body["suggested"], body["decision"], body["category"], body["decision_reason"], body["decided_by"]) == (
        "poor", "should_not", "should_not", "街道无执法主体资格", "city_reviewer")
    assert overridden["ETag"] == f'"evaluationresult-{r_poor["id"]}-v2"' and body["version"] == 2
    assert_refusal_shape(decide(reviewer, r_poor["id"], {"decision": "poor"}), 409, "already_decided")
    district = client_for(people.district_reviewer)  # the giving side's reviewer
    assert decide(district, results[good.pk]["id"], {"decision": "promotable"}).status_code == 200
    assert reviewer.get(f"/api/v1/evaluation-rounds/{rnd.pk}/").json()["state"] == "evaluated"
    assert decide(district, results[no_unit.pk]["id"], {"decision": "not_yet"}).status_code == 200
    assert reviewer.get(f"/api/v1/evaluation-rounds/{rnd.pk}/").json()["state"] == "confirmed"

    # confirmed: public, without people's names; evidence stays private
    public = {r["item"]: r for r in results_of(api, rnd)}
    assert public[poor.pk]["decision"] == "should_not" and public[poor.pk]["decided_by"] is None
    assert public[poor.pk]["decided_at"] and public[poor.pk]["decision_reason"] == "街道无执法主体资格"
    assert api.get(f"/api/v1/evaluation-rounds/{rnd.pk}/").json()["created_by"] is None
    assert api.get("/api/v1/evidence/").json()["count"] == 0
    assert_refusal_shape(editor.post(f"/api/v1/evaluation-rounds/{rnd.pk}/run/", format="json"), 409,
                         "round_confirmed")

    # follow-up: a draft batch of draft transfers, once
    follow_up = {"title": "关于调整街道承接事项的决定", "number": "哈政发〔2020〕1号", "effective_on": "2020-03-01"}
    before = state()
    assert_refusal_shape(reviewer.post(f"/api/v1/evaluation-rounds/{rnd.pk}/follow-up/", follow_up,
                                       format="json"), 403, "forbidden")
    assert_refusal_shape(api.post(f"/api/v1/evaluation-rounds/{rnd.pk}/follow-up/", follow_up, format="json"),
                         401, "not_authenticated")
    assert_refusal_shape(editor.post(f"/api/v1/evaluation-rounds/{rnd.pk}/follow-up/",
                                     {**follow_up, "effective_on": "soon"}, format="json"), 400, "invalid")
    assert state() == before
    generated = editor.post(f"/api/v1/evaluation-rounds/{rnd.pk}/follow-up/", follow_up, format="json")
    assert generated.status_code == 201, generated.json()
    batch_id = generated.json()["batch"]
    assert generated["Location"] == generated.json()["links"]["batch"] == f"/api/v1/batches/{batch_id}/"
    assert_refusal_shape(editor.post(f"/api/v1/evaluation-rounds/{rnd.pk}/follow-up/", follow_up, format="json"),
                         409, "nothing_to_follow_up")
    transfers = editor.get(f"/api/v1/transfers/?batch={batch_id}").json()["results"]
    assert sorted(t["id"] for t in transfers) == sorted(generated.json()["transfers"])
    assert {(t["kind"], t["item"], t["receiver"], t["state"], t["origin"]) for t in transfers} == {
        ("recall", poor.pk, "230102001", "draft", "evaluation"), ("devolve", good.pk, "230102003", "draft", "evaluation")}
    results = {r["item"]: r for r in results_of(reviewer, rnd, "&followed_up=true")}
    assert results[poor.pk]["follow_up_transfer_state"] == "draft" and results[poor.pk]["version"] == 3
    assert results[no_unit.pk]["follow_up_transfer"] is None and results[no_unit.pk]["follow_up_note"]
    assert reviewer.get(f"/api/v1/evaluation-rounds/{rnd.pk}/").json()["follow_up_batches"] == [
        {"id": batch_id, "state": "draft", "url": f"/api/v1/batches/{batch_id}/"}]

    # the batch through the ordinary workflow endpoints
    for t in transfers:
        assert editor.post(f"/api/v1/transfers/{t['id']}/submit/", {}, format="json").status_code == 200
    assert reviewer.post(f"/api/v1/batches/{batch_id}/approve/", {}, format="json").status_code == 200
    accepted = client_for(peer.reviewer).post(f"/api/v1/batches/{batch_id}/accept/", {
        "government": "230102003", "receiving_department": peer.dept.pk}, format="json")
    assert accepted.status_code == 200, accepted.json()
    effective = reviewer.post(f"/api/v1/batches/{batch_id}/effect/", {}, format="json")
    assert effective.status_code == 200 and effective.json()["state"] == "effective"

    def powers(code, day):
        response = api.get(f"/api/v1/governments/{code}/powers/?as_of={day}&page_size=500")
        assert response.status_code == 200
        return {r["item_id"] for r in response.json()["results"]}

    assert poor.pk in powers("230102001", "2020-02-29") and poor.pk not in powers("230102001", "2020-03-01")
    assert good.pk not in powers("230102003", "2020-02-29") and good.pk in powers("230102003", "2020-03-01")
    assert good.pk in powers("230102001", "2020-03-01")

    # the report shows what was done, and its counts are the results'
    report = api.get(f"/api/v1/evaluation-rounds/{rnd.pk}/report/").json()
    categories = {c["category"]: c for c in report["by_category"]}
    assert categories["should_not"]["count"] == 1 and categories["should_not"]["suggested"] == 0
    assert categories["poor"]["suggested"] == 1 and categories["poor"]["count"] == 0
    assert categories["should_not"]["overridden"] == 1 and categories["should_not"]["follow_up_effective"] == 1
    assert categories["promotable"]["follow_up_effective"] == 1 and categories["not_yet"]["noted_only"] == 1
    assert report["totals"]["follow_up_effective"] == 2 and report["totals"]["undecided"] == 0
    public = results_of(api, rnd)
    for c in EvaluationCategory.values:
        assert categories[c]["count"] == sum(r["category"] == c for r in public)
        assert categories[c]["suggested"] == sum(r["suggested"] == c for r in public)
    assert report["totals"]["results"] == len(public) == 3
    assert report["by_town"] == [{"government": "230102001", "name": "兆麟街道", "assessment_type": "",
                                  "assessment_type_label": "", "promotable": 1, "should_not": 1, "not_yet": 1,
                                  "poor": 0, "total": 3}]
    assert {f["field"]: f["total"] for f in report["by_field"]} == {"投资审批": 2, "市场监管": 1}
    assert report["evidence"]["cases_handled"] == 80 and report["evidence"]["evidence_rows"] == 3
    assert report["evidence"]["satisfaction"] == "92.25"  # (40 × 88.5 + 40 × 96) / 80 (no satisfaction w/o cases)


def test_report_labels_follow_the_request_language(api, tree, people, ev, peer):
    ev.evidence(ev.devolved(peer, department=peer.dept), peer)
    rnd = evaluation.run_round(ev.round())
    client = client_for(people.city_reviewer)
    zh = client.get(f"/api/v1/evaluation-rounds/{rnd.pk}/report/").json()
    en = client.get(f"/api/v1/evaluation-rounds/{rnd.pk}/report/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [c["label"] for c in zh["by_category"]] == ["可推广", "不应放", "应放未放", "运行不良"]
    with translation.override("en"):
        expected = [str(c.label) for c in EvaluationCategory]
        service = str(AssessmentType.SERVICE.label)
    assert [c["label"] for c in en["by_category"]] == expected
    assert en["by_town"][0]["assessment_type"] == "service" and en["by_town"][0]["assessment_type_label"] == service
    assert zh["by_town"][0]["assessment_type_label"] == "现代服务业主导型"
    assert zh["by_assessment_type"][0]["label"] == "现代服务业主导型" and zh["by_assessment_type"][0]["towns"] == 1
    results = client.get(f"/api/v1/evaluation-results/?round={rnd.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert results["results"][0]["category_label"] == expected[0]


def test_result_filters(tree, people, ev):
    poor, good, slow = ev.devolved(), ev.devolved(field="市场监管"), ev.devolved()
    ev.evidence(poor, cases_handled=0)
    ev.evidence(good)
    ev.evidence(slow, average_days="30")
    rnd = evaluation.run_round(ev.round())
    evaluation.decide(EvaluationResult.objects.get(round=rnd, item=poor), "should_not", actor=people.city_reviewer,
                      reason="无执法资格")
    client = client_for(people.city_reviewer)

    def items(query):
        return sorted(r["item"] for r in results_of(client, rnd, query))

    assert items("") == sorted([poor.pk, good.pk, slow.pk])
    assert items("&category=poor") == [slow.pk] and items("&suggested=poor") == sorted([poor.pk, slow.pk])
    assert items("&category=should_not") == [poor.pk] and items("&decision=should_not") == [poor.pk]
    assert items("&decided=true") == [poor.pk] and items("&decided=false") == sorted([good.pk, slow.pk])
    assert items("&field=市场监管") == [good.pk] and items("&rule=poor.slow") == [slow.pk]
    assert items("&government=230102001") == sorted([poor.pk, good.pk, slow.pk]) and items("&government=2301") == []
    assert items(f"&item={good.pk}") == [good.pk] and items("&followed_up=true") == []
    for bad in ("category=bad", "decided=perhaps", "round=abc", f"round={2**63}"):
        response = client.get(f"/api/v1/evaluation-results/?{bad}")
        assert response.status_code == 400 and response.json()["code"] == "invalid", bad


def test_follow_up_replays_the_same_idempotency_key(tree, people, ev):
    it = ev.devolved()
    ev.evidence(it, cases_handled=0)
    rnd = evaluation.run_round(ev.round())
    evaluation.decide(EvaluationResult.objects.get(round=rnd), "poor", actor=people.city_reviewer)
    editor = client_for(people.city_editor)
    body = {"title": "评估后续", "effective_on": "2020-03-01"}
    url = f"/api/v1/evaluation-rounds/{rnd.pk}/follow-up/"
    first = editor.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="fu-1")
    again = editor.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="fu-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again["Location"] == first["Location"]
    assert Batch.objects.count() == 1 and Transfer.objects.filter(origin="evaluation").count() == 1


# --- a bounded number of queries --------------------------------------------------------------------------------


def _confirmed_round(ev, people, size):
    for n in range(size):
        it = ev.devolved()
        ev.evidence(it, cases_handled=0 if n % 2 else 50)
    rnd = evaluation.run_round(ev.round())
    for r in EvaluationResult.objects.filter(round=rnd):
        evaluation.decide(r, r.suggested, actor=people.city_reviewer)
    return rnd


@pytest.mark.parametrize("size", [3, 30])
def test_evidence_list_in_constant_queries(tree, people, ev, size, django_assert_max_num_queries):
    for _ in range(size):
        ev.evidence(ev.devolved())
    client = client_for(people.district_reviewer)
    client.get("/api/v1/evidence/")
    with django_assert_max_num_queries(2):  # count and page
        body = client.get("/api/v1/evidence/?page_size=500").json()
    assert body["count"] == size
    with django_assert_max_num_queries(2):
        assert APIClient().get("/api/v1/evidence/?page_size=500").json()["count"] == 0


@pytest.mark.parametrize("size", [2, 20])
def test_round_list_in_constant_queries(tree, people, ev, size, django_assert_max_num_queries):
    for n in range(size):
        ev.round(name=f"第{n}轮评估", actor=people.city_editor)
    client = client_for(people.city_reviewer)
    client.get("/api/v1/evaluation-rounds/")
    with django_assert_max_num_queries(2):
        body = client.get("/api/v1/evaluation-rounds/?page_size=100").json()
    assert body["count"] == size and body["results"][0]["created_by"] == "city_editor"
    with django_assert_max_num_queries(2):
        assert APIClient().get("/api/v1/evaluation-rounds/?page_size=100").json()["count"] == 0


@pytest.mark.parametrize("size", [3, 30])
def test_results_and_report_in_constant_queries(tree, people, ev, size, django_assert_max_num_queries):
    rnd = _confirmed_round(ev, people, size)
    client = client_for(people.city_reviewer)
    client.get("/api/v1/evaluation-results/")
    with django_assert_max_num_queries(2):  # count and page
        body = client.get(f"/api/v1/evaluation-results/?round={rnd.pk}&page_size=500").json()
    assert body["count"] == size and all(r["decided_by"] == "city_reviewer" for r in body["results"])
    with django_assert_max_num_queries(2):
        anonymous = APIClient().get(f"/api/v1/evaluation-results/?round={rnd.pk}&page_size=500").json()
    assert anonymous["count"] == size and all(r["decided_by"] is None for r in anonymous["results"])
    with django_assert_max_num_queries(8):  # the round, then the report's seven
        report = APIClient().get(f"/api/v1/evaluation-rounds/{rnd.pk}/report/").json()
    assert report["totals"]["results"] == size


# --- the schema ------------------------------------------------------------------------------------------------


def test_every_evaluation_route_is_described(db):
    import json

    response = APIClient().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    expected = {
        "/api/v1/evidence/": {"get", "post"}, "/api/v1/evidence/{id}/": {"get"}, "/api/v1/evidence/bulk/": {"post"},
        "/api/v1/evaluation-rounds/": {"get", "post"}, "/api/v1/evaluation-rounds/{id}/": {"get"},
        "/api/v1/evaluation-rounds/{id}/run/": {"post"}, "/api/v1/evaluation-rounds/{id}/follow-up/": {"post"},
        "/api/v1/evaluation-rounds/{id}/report/": {"get"}, "/api/v1/evaluation-results/": {"get"},
        "/api/v1/evaluation-results/{id}/": {"get"}, "/api/v1/evaluation-results/{id}/decide/": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods == set(paths[path]) - {"parameters"}, path
        for method in methods:
            assert {"400", "401", "429"} <= set(paths[path][method]["responses"]), (method, path)
    assert paths["/api/v1/evidence/bulk/"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "type"] == "array"
