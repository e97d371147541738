"""The API's transfers: visibility, proposals, every review action over HTTP, and their errors."""
import datetime

import pytest
from rest_framework.test import APIClient

from accounts.models import Membership
from powerlists.models import AuditEvent, Transfer, TransferParty, TransferState
from powerlists.services import Party, workflow

from .helpers import client_for, db_state

D = datetime.date
DAY = D(2017, 3, 1)


@pytest.fixture
def item(make_item):
    return make_item(name="企业投资项目核准、备案")


def offer(people, tree, item, **kw):
    kw.setdefault("effective_on", DAY)
    return workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                            receiver=kw.pop("receiver", tree.district), method="entrusted", **kw)


def submitted(people, tree, item, **kw):
    t = offer(people, tree, item, **kw)
    workflow.submit(t, actor=people.city_editor)
    return t


def approved(people, tree, item, **kw):
    t = submitted(people, tree, item, **kw)
    workflow.approve(t, actor=people.city_reviewer)
    return t


def etag(t):
    return f'"transfer-{t.pk}-v{Transfer.objects.get(pk=t.pk).version}"'


OFFER = {"kind": "devolve", "giver": "2301", "receiver": "230102", "effective_on": "2017-03-01",
         "method": "entrusted", "staff_posts": 2, "reason": "便民利企"}


# --- the whole way through -------------------------------------------------------------------------


def test_a_devolution_through_the_api_from_offer_to_the_receivers_list(tree, people, item):
    editor, reviewer, receiver = (client_for(people.city_editor), client_for(people.city_reviewer),
                                  client_for(people.district_reviewer))
    created = editor.post("/api/v1/transfers/", {**OFFER, "item": item.pk}, format="json")
    assert created.status_code == 201, created.json()
    t = created.json()
    assert t["state"] == "draft" and t["origin"] == "offered" and t["created_by"] == "city_editor"
    assert created["Location"] == f"/api/v1/transfers/{t['id']}/"
    assert created["ETag"] == f'"transfer-{t["id"]}-v1"'
    url = f"/api/v1/transfers/{t['id']}/"

    step = editor.post(url + "submit/", {"comment": "请审核"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert step.status_code == 200 and step.json()["state"] == "submitted"
    assert step["ETag"] == f'"transfer-{t["id"]}-v2"'

    step = reviewer.post(url + "approve/", {"comment": "同意下放"}, format="json", HTTP_IF_MATCH=step["ETag"])
    assert step.status_code == 200 and step.json()["state"] == "approved"
    assert step.json()["giver_decision"] == "approved"

    step = receiver.post(url + "accept/", {"receiving_department": tree.district_dept.pk, "comment": "接得住"},
                         format="json", HTTP_IF_MATCH=step["ETag"])
    assert step.status_code == 200, step.json()
    assert step.json()["state"] == "effective" and step.json()["receiving_department"] == tree.district_dept.pk

    powers = APIClient().get("/api/v1/governments/230102/powers/?as_of=2017-06-01").json()
    assert [(r["name"], r["arrangement"], r["method"], r["department"]) for r in powers["results"]] == [
        ("企业投资项目核准、备案", "received", "entrusted", "道里区发展和改革局")]
    assert APIClient().get(url).status_code == 200  # effective: now public
    actions = list(AuditEvent.objects.filter(transfer_id=t["id"]).order_by("id").values_list("action", flat=True))
    assert actions == ["workflow.propose", "workflow.submit", "workflow.approve", "workflow.accept",
                       "transfer.devolve"]
    assert AuditEvent.objects.get(transfer_id=t["id"], action="workflow.approve").reason == "同意下放"


def test_requested_devolution_by_the_receivers_editor(tree, people, item):
    response = client_for(people.district_editor).post(
        "/api/v1/transfers/", {**OFFER, "item": item.pk, "origin": "requested"}, format="json")
    assert response.status_code == 201 and response.json()["origin"] == "requested"
    refused = client_for(people.district_editor).post("/api/v1/transfers/", {**OFFER, "item": item.pk},
                                                      format="json")
    assert refused.status_code == 403


def test_shared_arrangement_with_parties_accepted_by_each(tree, people, make_item):
    item = make_item(tree.district)
    body = {"kind": "share", "item": item.pk, "giver": "230102", "effective_on": "2017-03-01",
            "parties": [{"government": "230102", "role": "lead", "fiscal_share": "60"},
                        {"government": "230102001", "role": "support", "fiscal_share": "40"}]}
    created = client_for(people.district_editor).post("/api/v1/transfers/", body, format="json")
    assert created.status_code == 201, created.json()
    assert [(p["government"], p["role"], p["fiscal_share"]) for p in created.json()["parties"]] == [
        ("230102", "lead", "60.00"), ("230102001", "support", "40.00")]
    t = Transfer.objects.get(pk=created.json()["id"])
    workflow.submit(t, actor=people.district_editor)
    workflow.approve(t, actor=people.district_reviewer)
    # the street's reviewer sees it as a party, and accepts for the street
    assert client_for(people.street_reviewer).get(f"/api/v1/transfers/{t.pk}/").status_code == 200
    response = client_for(people.street_reviewer).post(f"/api/v1/transfers/{t.pk}/accept/",
                                                       {"government": "230102001"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "effective"


def test_invalid_share_is_400(tree, people, make_item):
    item = make_item(tree.district)
    body = {"kind": "share", "item": item.pk, "giver": "230102", "effective_on": "2017-03-01",
            "parties": [{"government": "230102", "role": "lead", "fiscal_share": "60"},
                        {"government": "230102001", "role": "support", "fiscal_share": "30"}]}
    before = db_state()
    response = client_for(people.district_editor).post("/api/v1/transfers/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "shares_not_100"
    assert db_state() == before


# --- visibility --------------------------------------------------------------------------------------


def test_visibility_of_proposals(api, tree, people, item, make_item):
    draft = offer(people, tree, item)
    effective = approved(people, tree, make_item())
    workflow.accept(effective, actor=people.district_reviewer, receiving_department=tree.district_dept)
    to_district2 = offer(people, tree, make_item(), receiver=tree.district2)

    def seen(client):
        return sorted(t["id"] for t in client.get("/api/v1/transfers/").json()["results"])

    assert seen(api) == [effective.pk]
    assert seen(client_for(people.city_reviewer)) == sorted([draft.pk, effective.pk, to_district2.pk])
    assert seen(client_for(people.district_reviewer)) == sorted([draft.pk, effective.pk])
    assert seen(client_for(people.street_reviewer)) == [effective.pk]
    assert seen(client_for(people.outsider)) == [effective.pk]
    assert seen(client_for(people.nobody)) == [effective.pk]
    assert seen(client_for(people.administrator)) == sorted([draft.pk, effective.pk, to_district2.pk])
    for client, status in [(api, 404), (client_for(people.outsider), 404), (client_for(people.street_reviewer), 404),
                           (client_for(people.district_editor), 200)]:
        assert client.get(f"/api/v1/transfers/{draft.pk}/").status_code == status
    assert api.get("/api/v1/transfers/999999/").status_code == 404


def test_superuser_sees_everything(tree, people, item, django_user_model):
    draft = offer(people, tree, item)
    root = django_user_model.objects.create_superuser("root", password="a-long-pass-phrase-2026")
    assert [t["id"] for t in client_for(root).get("/api/v1/transfers/").json()["results"]] == [draft.pk]


def test_subtree_membership_sees_proposals_below(tree, people, item, django_user_model):
    street_item = offer(people, tree, item)  # city → district
    watcher = django_user_model.objects.create_user("watcher")
    Membership.objects.create(user=watcher, government=tree.district, role="reviewer", include_subtree=True)
    assert client_for(watcher).get(f"/api/v1/transfers/{street_item.pk}/").status_code == 200
    watcher2 = django_user_model.objects.create_user("watcher2")
    Membership.objects.create(user=watcher2, government=tree.street, role="editor", include_subtree=True)
    assert client_for(watcher2).get(f"/api/v1/transfers/{street_item.pk}/").status_code == 404


def test_detail_has_etag(tree, people, item):
    t = offer(people, tree, item)
    response = client_for(people.city_editor).get(f"/api/v1/transfers/{t.pk}/")
    assert response["ETag"] == f'"transfer-{t.pk}-v1"'
    assert response.json()["item_name"] == "企业投资项目核准、备案"


@pytest.fixture
def several(tree, people, make_item):
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="第一批", effective_on=DAY)
    a = offer(people, tree, make_item(), batch=batch)
    b = submitted(people, tree, make_item(), receiver=tree.district2)
    c = workflow.propose(actor=people.district_editor, kind="devolve", item=make_item(), giver=tree.city,
                         receiver=tree.district, origin="requested", effective_on=DAY)
    d = workflow.propose(actor=people.city_editor, kind="cancel", item=make_item(), giver=tree.city,
                         effective_on=DAY)
    return {"a": a, "b": b, "c": c, "d": d, "batch": batch}


@pytest.mark.parametrize("query, expected", [
    ("state=submitted", ["b"]),
    ("state=draft", ["a", "c", "d"]),
    ("kind=cancel", ["d"]),
    ("origin=requested", ["c"]),
    ("giver=2301", ["a", "b", "c", "d"]),
    ("receiver=230104", ["b"]),
    ("receiver=230102", ["a", "c"]),
])
def test_transfer_filters(tree, people, several, query, expected):
    body = client_for(people.city_reviewer).get(f"/api/v1/transfers/?{query}&ordering=id").json()
    assert [t["id"] for t in body["results"]] == [several[k].pk for k in expected]


def test_item_and_batch_filters(tree, people, several):
    client = client_for(people.city_reviewer)
    a = several["a"]
    assert [t["id"] for t in client.get(f"/api/v1/transfers/?item={a.item_id}").json()["results"]] == [a.pk]
    assert [t["id"] for t in client.get(f"/api/v1/transfers/?batch={several['batch'].pk}").json()["results"]] == [a.pk]
    assert client.get("/api/v1/transfers/?state=nonsense").status_code == 400
    assert client.get("/api/v1/transfers/?item=abc").status_code == 400


@pytest.mark.parametrize("size", [2, 25])
def test_transfer_list_in_constant_queries(tree, people, make_item, size, django_assert_max_num_queries):
    for _ in range(size):
        offer(people, tree, make_item())
    district_item = make_item(tree.district)
    workflow.propose(actor=people.district_editor, kind="share", item=district_item, giver=tree.district,
                     effective_on=DAY, parties=[Party(tree.district, "lead", 50), Party(tree.street, "support", 50)])
    client = client_for(people.district_reviewer)
    client.get("/api/v1/transfers/")  # memberships read once per user
    with django_assert_max_num_queries(3):
        body = client.get("/api/v1/transfers/?page_size=100").json()
    assert body["count"] == size + 1
    fresh = client_for(type(people.street_reviewer).objects.get(pk=people.street_reviewer.pk))
    with django_assert_max_num_queries(4):  # + the memberships, once
        assert fresh.get("/api/v1/transfers/?page_size=100").json()["count"] == 1


# --- creating and editing ------------------------------------------------------------------------------


def test_anonymous_propose_is_401_and_writes_nothing(api, tree, item):
    before = db_state()
    response = api.post("/api/v1/transfers/", {**OFFER, "item": item.pk}, format="json")
    assert response.status_code == 401
    assert db_state() == before


@pytest.mark.parametrize("who", ["city_reviewer", "district_editor", "outsider", "nobody", "street_reviewer"])
def test_propose_refused_outside_the_givers_editors(tree, people, item, who):
    before = db_state()
    response = client_for(getattr(people, who)).post("/api/v1/transfers/", {**OFFER, "item": item.pk}, format="json")
    assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("change, field", [
    ({"kind": "teleport"}, "kind"), ({"item": 999999}, "item"), ({"giver": "nope"}, "giver"),
    ({"effective_on": "2017-02-30"}, "effective_on"), ({"staff_posts": -1}, "staff_posts"),
])
def test_propose_invalid_body_is_400(tree, people, item, change, field):
    response = client_for(people.city_editor).post("/api/v1/transfers/", {**OFFER, "item": item.pk, **change},
                                                   format="json")
    assert response.status_code == 400 and field in response.json()["details"]


def test_propose_replays_the_same_idempotency_key(tree, people, item):
    editor = client_for(people.city_editor)
    body = {**OFFER, "item": item.pk}
    first = editor.post("/api/v1/transfers/", body, format="json", HTTP_IDEMPOTENCY_KEY="offer-7")
    again = editor.post("/api/v1/transfers/", body, format="json", HTTP_IDEMPOTENCY_KEY="offer-7")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["ETag"] == first["ETag"]
    assert Transfer.objects.count() == 1 and AuditEvent.objects.filter(action="workflow.propose").count() == 1
    reused = editor.post("/api/v1/transfers/", {**body, "staff_posts": 9}, format="json",
                         HTTP_IDEMPOTENCY_KEY="offer-7")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert Transfer.objects.count() == 1
    # another caller's key is their own
    other = client_for(people.administrator).post("/api/v1/transfers/", body, format="json",
                                                  HTTP_IDEMPOTENCY_KEY="offer-7")
    assert other.status_code == 201 and Transfer.objects.count() == 2


def test_edit_a_draft_with_if_match(tree, people, item):
    t = offer(people, tree, item)
    response = client_for(people.city_editor).patch(
        f"/api/v1/transfers/{t.pk}/", {"staff_posts": 3, "reason": "补充", "comment": "改编制"}, format="json",
        HTTP_IF_MATCH=etag(t))
    assert response.status_code == 200, response.json()
    assert response.json()["staff_posts"] == 3 and response.json()["version"] == 2
    assert response["ETag"] == f'"transfer-{t.pk}-v2"'
    assert AuditEvent.objects.filter(transfer=t, action="workflow.edit").get().reason == "改编制"


def test_edit_errors(api, tree, people, item):
    t = offer(people, tree, item)
    url = f"/api/v1/transfers/{t.pk}/"
    editor = client_for(people.city_editor)
    before = db_state()
    assert api.patch(url, {"staff_posts": 3}, format="json", HTTP_IF_MATCH=etag(t)).status_code == 401
    missing = editor.patch(url, {"staff_posts": 3}, format="json")
    assert missing.status_code == 428 and missing.json()["code"] == "precondition_required"
    stale = editor.patch(url, {"staff_posts": 3}, format="json", HTTP_IF_MATCH=f'"transfer-{t.pk}-v0"')
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert editor.patch(url, {"staff_posts": "x"}, format="json", HTTP_IF_MATCH=etag(t)).status_code == 400
    assert client_for(people.outsider).patch(url, {"staff_posts": 3}, format="json",
                                             HTTP_IF_MATCH=etag(t)).status_code == 404
    assert client_for(people.city_reviewer).patch(url, {"staff_posts": 3}, format="json",
                                                  HTTP_IF_MATCH=etag(t)).status_code == 403
    assert db_state() == before
    workflow.submit(t, actor=people.city_editor)
    submitted_state = db_state()
    conflict = editor.patch(url, {"staff_posts": 3}, format="json", HTTP_IF_MATCH=etag(t))
    assert conflict.status_code == 409 and conflict.json()["code"] == "invalid_state"
    assert db_state() == submitted_state


# --- actions --------------------------------------------------------------------------------------------


def post(client, t, name, body=None, **headers):
    return client.post(f"/api/v1/transfers/{t.pk}/{name}/", body or {}, format="json", **headers)


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_editor", 403), ("district_reviewer", 403), ("street_reviewer", 404), ("outsider", 404),
    ("nobody", 404), ("city_reviewer", 200), ("administrator", 200),
])
def test_who_may_approve(tree, people, item, who, status):
    t = submitted(people, tree, item)
    client = client_for(getattr(people, who)) if who else APIClient()
    before = db_state()
    response = post(client, t, "approve")
    assert response.status_code == status, response.json()
    if status == 200:
        assert response.json()["state"] == "approved"
    else:
        assert set(response.json()) == {"code", "message", "details"}
        assert db_state() == before


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_reviewer", 403), ("district_editor", 403), ("street_reviewer", 404), ("outsider", 404),
    ("district_reviewer", 200),
])
def test_who_may_accept(tree, people, item, who, status):
    t = approved(people, tree, item)
    client = client_for(getattr(people, who)) if who else APIClient()
    before = db_state()
    response = post(client, t, "accept", {"receiving_department": tree.district_dept.pk})
    assert response.status_code == status
    if status != 200:
        assert db_state() == before


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_reviewer", 403), ("district_reviewer", 403), ("outsider", 404), ("city_editor", 200),
])
def test_who_may_submit(tree, people, item, who, status):
    t = offer(people, tree, item)
    client = client_for(getattr(people, who)) if who else APIClient()
    assert post(client, t, "submit").status_code == status


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_reviewer", 403), ("district_editor", 403), ("outsider", 404), ("city_editor", 200),
    ("administrator", 200),
])
def test_who_may_withdraw(tree, people, item, who, status):
    t = submitted(people, tree, item)
    client = client_for(getattr(people, who)) if who else APIClient()
    response = post(client, t, "withdraw", {"comment": "暂缓"})
    assert response.status_code == status
    if status == 200:
        assert response.json()["state"] == "withdrawn"


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_editor", 403), ("district_reviewer", 403), ("outsider", 404), ("city_reviewer", 200),
])
def test_who_may_return_for_changes(tree, people, item, who, status):
    t = submitted(people, tree, item)
    client = client_for(getattr(people, who)) if who else APIClient()
    response = post(client, t, "return", {"comment": "请补充承接能力说明"})
    assert response.status_code == status
    if status == 200:
        assert response.json()["state"] == "returned" and response.json()["decision_reason"] == "请补充承接能力说明"


@pytest.mark.parametrize("stage, who, status", [
    ("submitted", "city_reviewer", 200), ("submitted", "district_reviewer", 403),
    ("approved", "district_reviewer", 200), ("approved", "city_reviewer", 403),
    ("submitted", None, 401), ("submitted", "outsider", 404),
])
def test_who_may_reject(tree, people, item, stage, who, status):
    t = submitted(people, tree, item) if stage == "submitted" else approved(people, tree, item)
    client = client_for(getattr(people, who)) if who else APIClient()
    response = post(client, t, "reject", {"reason": "承接能力不足"})
    assert response.status_code == status
    if status == 200:
        assert response.json()["state"] == "rejected" and response.json()["decision_reason"] == "承接能力不足"


def test_action_bodies_are_validated(tree, people, item):
    t = submitted(people, tree, item)
    before = db_state()
    missing = post(client_for(people.city_reviewer), t, "reject", {})
    assert missing.status_code == 400 and "reason" in missing.json()["details"]
    assert post(client_for(people.city_reviewer), t, "return", {}).status_code == 400
    assert db_state() == before
    workflow.approve(t, actor=people.city_reviewer)
    before = db_state()
    no_unit = post(client_for(people.district_reviewer), t, "accept", {})
    assert no_unit.status_code == 400 and no_unit.json()["code"] == "receiving_unit_required"
    wrong_unit = post(client_for(people.district_reviewer), t, "accept", {"receiving_department": tree.city_dept.pk})
    assert wrong_unit.status_code == 400 and wrong_unit.json()["code"] == "department_not_of_receiver"
    absent_unit = post(client_for(people.district_reviewer), t, "accept", {"receiving_department": 999999})
    assert absent_unit.status_code == 400 and "receiving_department" in absent_unit.json()["details"]
    assert db_state() == before


def test_already_approved_is_409_and_changes_nothing(tree, people, item):
    t = approved(people, tree, item)
    before = db_state()
    response = post(client_for(people.city_reviewer2), t, "approve")
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    assert response.json()["details"] == {"state": "approved"}
    assert db_state() == before


def test_stale_if_match_on_an_action_is_412_and_changes_nothing(tree, people, item):
    t = offer(people, tree, item)
    read = etag(t)
    workflow.edit(t, actor=people.city_editor, reason="他人修改")
    before = db_state()
    response = post(client_for(people.city_editor), t, "submit", HTTP_IF_MATCH=read)
    assert response.status_code == 412 and response.json()["code"] == "precondition_failed"
    assert db_state() == before
    wrong_record = post(client_for(people.city_editor), t, "submit", HTTP_IF_MATCH=f'"poweritem-{t.pk}-v2"')
    assert wrong_record.status_code == 412
    assert post(client_for(people.city_editor), t, "submit", HTTP_IF_MATCH=etag(t)).status_code == 200


def test_maker_checker_refused_over_http(tree, people, item):
    created = client_for(people.administrator).post("/api/v1/transfers/", {**OFFER, "item": item.pk}, format="json")
    assert created.status_code == 201
    t = Transfer.objects.get(pk=created.json()["id"])
    assert post(client_for(people.administrator), t, "submit").status_code == 200
    before = db_state()
    response = post(client_for(people.administrator), t, "approve", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and response.json()["code"] == "maker_checker"
    assert "maker-checker" in response.json()["message"]
    assert db_state() == before
    assert post(client_for(people.city_reviewer), t, "approve").json()["state"] == "approved"


def test_one_person_cannot_confirm_both_sides(tree, people, item):
    t = submitted(people, tree, item)
    assert post(client_for(people.administrator), t, "approve").status_code == 200
    response = post(client_for(people.administrator), t, "accept", {"receiving_department": tree.district_dept.pk})
    assert response.status_code == 403 and response.json()["code"] == "one_person_both_sides"


def test_action_replays_the_same_idempotency_key(tree, people, item):
    t = submitted(people, tree, item)
    reviewer = client_for(people.city_reviewer)
    first = post(reviewer, t, "approve", {"comment": "同意"}, HTTP_IDEMPOTENCY_KEY="approve-1")
    again = post(reviewer, t, "approve", {"comment": "同意"}, HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first["ETag"] == again["ETag"]
    assert AuditEvent.objects.filter(transfer=t, action="workflow.approve").count() == 1
    reused = post(reviewer, t, "approve", {"comment": "不同的意见"}, HTTP_IDEMPOTENCY_KEY="approve-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    without_key = post(reviewer, t, "approve", {"comment": "同意"})
    assert without_key.status_code == 409 and without_key.json()["code"] == "invalid_state"


def test_refused_action_is_not_recorded_for_replay(tree, people, item):
    t = submitted(people, tree, item)
    refused = post(client_for(people.city_reviewer), t, "reject", {}, HTTP_IDEMPOTENCY_KEY="r-1")
    assert refused.status_code == 400
    done = post(client_for(people.city_reviewer), t, "reject", {}, HTTP_IDEMPOTENCY_KEY="r-1")
    assert done.status_code == 400  # still refused, nothing stored for the key
    assert Transfer.objects.get(pk=t.pk).state == TransferState.SUBMITTED


def test_share_party_rows_do_not_duplicate_list_rows(tree, people, make_item):
    item = make_item(tree.district)
    t = workflow.propose(actor=people.district_editor, kind="share", item=item, giver=tree.district,
                         effective_on=DAY, parties=[Party(tree.district, "lead", 50), Party(tree.street, "support", 50)])
    assert TransferParty.objects.filter(transfer=t).count() == 2
    body = client_for(people.administrator).get("/api/v1/transfers/").json()
    assert body["count"] == 1 and [r["id"] for r in body["results"]] == [t.pk]


def test_a_cancellation_is_final_on_the_givers_approval(api, tree, people, item):
    created = client_for(people.city_editor).post(
        "/api/v1/transfers/", {"kind": "cancel", "item": item.pk, "giver": "2301", "effective_on": "2018-01-01",
                               "reason": "法律修订"}, format="json")
    assert created.status_code == 201, created.json()
    t = Transfer.objects.get(pk=created.json()["id"])
    assert post(client_for(people.city_editor), t, "submit").status_code == 200
    response = post(client_for(people.city_reviewer), t, "approve")
    assert response.json()["state"] == "effective"
    assert api.get(f"/api/v1/items/{item.pk}/").json()["status"] == "cancelled"
    public = api.get(f"/api/v1/transfers/{t.pk}/").json()
    assert public["created_by"] is None  # no names for anonymous callers
    accept = post(client_for(people.district_reviewer), t, "accept", {"receiving_department": tree.district_dept.pk})
    assert accept.status_code == 403  # only a devolution or a shared arrangement is accepted


def test_returned_proposal_is_edited_and_submitted_again(tree, people, item):
    t = submitted(people, tree, item)
    assert post(client_for(people.city_reviewer), t, "return", {"comment": "请写明编制"}).status_code == 200
    edited = client_for(people.city_editor).patch(f"/api/v1/transfers/{t.pk}/", {"staff_posts": 2}, format="json",
                                                  HTTP_IF_MATCH=etag(t))
    assert edited.status_code == 200 and edited.json()["state"] == "returned"
    again = post(client_for(people.city_editor), t, "submit", HTTP_IF_MATCH=edited["ETag"])
    assert again.status_code == 200 and again.json()["state"] == "submitted"
