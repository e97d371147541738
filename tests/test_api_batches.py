"""The API's batches: visibility, staff posts moved, and the batch actions over HTTP."""
import datetime

import pytest
from rest_framework.test import APIClient

from powerlists.models import AuditEvent, Batch, BatchState, Transfer, TransferState
from powerlists.services import workflow

from .helpers import client_for, db_state

D = datetime.date
DAY = D(2017, 3, 1)


@pytest.fixture
def batch(people, tree):
    return workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="关于向各区下放事权的决定",
                                 number="哈尔滨市人民政府令第3号", effective_on=DAY, issued_on=D(2017, 2, 15))


def proposal(people, tree, item, batch=None, receiver=None, staff=0, submit=True):
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=receiver or tree.district, effective_on=DAY, staff_posts=staff, batch=batch)
    if submit:
        workflow.submit(t, actor=people.city_editor)
    return t


def post(client, batch, name, body=None, **headers):
    return client.post(f"/api/v1/batches/{batch.pk}/{name}/", body or {}, format="json", **headers)


def batch_etag(batch):
    return f'"batch-{batch.pk}-v{Batch.objects.get(pk=batch.pk).version}"'


NEW_BATCH = {"issuer": "2301", "title": "第二批下放事项", "number": "哈政发〔2017〕5号", "round_no": 2,
             "issued_on": "2017-05-01", "effective_on": "2017-06-01"}


# --- the whole batch ------------------------------------------------------------------------------------


def test_a_batch_through_the_api(tree, people, make_item):
    editor, reviewer, receiver = (client_for(people.city_editor), client_for(people.city_reviewer),
                                  client_for(people.district_reviewer))
    created = editor.post("/api/v1/batches/", NEW_BATCH, format="json")
    assert created.status_code == 201, created.json()
    b = Batch.objects.get(pk=created.json()["id"])
    assert created["Location"] == f"/api/v1/batches/{b.pk}/" and created["ETag"] == f'"batch-{b.pk}-v1"'
    assert created.json()["state"] == "draft" and created.json()["staff_posts_moved"] == []

    ts = []
    for n in range(3):
        t = editor.post("/api/v1/transfers/", {"kind": "devolve", "item": make_item().pk, "giver": "2301",
                                               "receiver": "230102", "effective_on": "2017-01-01",
                                               "staff_posts": n + 1}, format="json").json()
        added = post(editor, b, "add", {"transfer": t["id"]})
        assert added.status_code == 200, added.json()
        ts.append(Transfer.objects.get(pk=t["id"]))
    assert {t.effective_on for t in ts} == {D(2017, 6, 1)}  # they take the batch's date
    for t in ts:
        assert editor.post(f"/api/v1/transfers/{t.pk}/submit/", {}, format="json").status_code == 200

    approved = post(reviewer, b, "approve", {"comment": "常务会议通过"}, HTTP_IF_MATCH=batch_etag(b))
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "approved" and approved["ETag"] == f'"batch-{b.pk}-v2"'
    assert {t["state"] for t in approved.json()["transfers"]} == {"approved"}

    accepted = post(receiver, b, "accept", {"government": "230102", "receiving_department": tree.district_dept.pk})
    assert accepted.status_code == 200, accepted.json()
    assert {t["state"] for t in accepted.json()["transfers"]} == {"accepted"}

    effective = post(reviewer, b, "effect", {"comment": "印发"})
    assert effective.status_code == 200 and effective.json()["state"] == "effective"
    assert effective.json()["staff_posts_moved"] == [
        {"giver": "2301", "giver_name": "哈尔滨市", "receiver": "230102", "receiver_name": "道里区", "posts": 6, "posts_out": 6, "posts_back": 0}]
    powers = APIClient().get("/api/v1/governments/230102/powers/?as_of=2017-06-01").json()
    assert powers["count"] == 3
    public = APIClient().get(f"/api/v1/batches/{b.pk}/")
    assert public.status_code == 200 and len(public.json()["transfers"]) == 3


# --- visibility ------------------------------------------------------------------------------------------


def test_batch_visibility(api, tree, people, batch, make_item):
    other = workflow.create_batch(actor=people.administrator, issuer=tree.district2, title="道外区批次",
                                  effective_on=DAY)

    def seen(client):
        return sorted(b["id"] for b in client.get("/api/v1/batches/").json()["results"])

    assert seen(api) == []
    assert seen(client_for(people.city_reviewer)) == [batch.pk]
    assert seen(client_for(people.administrator)) == sorted([batch.pk, other.pk])
    assert seen(client_for(people.outsider)) == []
    assert seen(client_for(people.district_reviewer)) == []
    proposal(people, tree, make_item(), batch=batch)  # a devolution to the district inside the city's batch
    assert seen(client_for(people.district_reviewer)) == [batch.pk]
    assert api.get(f"/api/v1/batches/{batch.pk}/").status_code == 404
    assert client_for(people.outsider).get(f"/api/v1/batches/{batch.pk}/").status_code == 404
    detail = client_for(people.city_reviewer).get(f"/api/v1/batches/{batch.pk}/")
    assert detail.status_code == 200 and detail["ETag"] == f'"batch-{batch.pk}-v1"'
    assert api.get("/api/v1/batches/999999/").status_code == 404


def test_effective_batches_are_public(api, tree, people, batch, make_item):
    t = proposal(people, tree, make_item(), batch=batch, staff=4)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    workflow.effect_batch(batch, actor=people.city_reviewer)
    body = api.get("/api/v1/batches/?state=effective").json()
    assert [b["id"] for b in body["results"]] == [batch.pk]
    assert api.get(f"/api/v1/batches/{batch.pk}/").json()["staff_posts_moved"][0]["posts"] == 4
    assert api.get("/api/v1/batches/?state=nonsense").status_code == 400


def test_detail_lists_only_the_transfers_the_caller_sees(tree, people, batch, make_item):
    to_district = proposal(people, tree, make_item(), batch=batch)
    proposal(people, tree, make_item(), batch=batch, receiver=tree.district2)
    body = client_for(people.district_reviewer).get(f"/api/v1/batches/{batch.pk}/").json()
    assert [t["id"] for t in body["transfers"]] == [to_district.pk]
    assert len(client_for(people.city_reviewer).get(f"/api/v1/batches/{batch.pk}/").json()["transfers"]) == 2


@pytest.mark.parametrize("size", [2, 30])
def test_batch_list_in_constant_queries(tree, people, size, django_assert_max_num_queries):
    for n in range(size):
        workflow.create_batch(actor=people.city_editor, issuer=tree.city, title=f"第{n}批", effective_on=DAY)
    client = client_for(people.city_reviewer)
    client.get("/api/v1/batches/")
    with django_assert_max_num_queries(2):
        body = client.get("/api/v1/batches/?page_size=100").json()
    assert body["count"] == size
    with django_assert_max_num_queries(2):
        assert APIClient().get("/api/v1/batches/?page_size=100").json()["count"] == 0


# --- creating ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_reviewer", 403), ("district_editor", 403), ("outsider", 403), ("nobody", 403),
    ("city_editor", 201), ("administrator", 201),
])
def test_who_may_open_a_batch(tree, people, who, status):
    client = client_for(getattr(people, who)) if who else APIClient()
    before = db_state()
    response = client.post("/api/v1/batches/", NEW_BATCH, format="json")
    assert response.status_code == status
    if status != 201:
        assert db_state() == before


@pytest.mark.parametrize("change, code", [
    ({"title": ""}, "invalid"), ({"effective_on": "soon"}, "invalid"), ({"issuer": "nope"}, "invalid"),
    ({"issued_on": "2017-07-01"}, "issued_after_effective"), ({"round_no": 0}, "invalid"),
])
def test_open_a_batch_invalid_is_400(tree, people, change, code):
    response = client_for(people.city_editor).post("/api/v1/batches/", {**NEW_BATCH, **change}, format="json")
    assert response.status_code == 400 and response.json()["code"] == code


def test_open_a_batch_replays_the_same_idempotency_key(tree, people):
    editor = client_for(people.city_editor)
    first = editor.post("/api/v1/batches/", NEW_BATCH, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    again = editor.post("/api/v1/batches/", NEW_BATCH, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Batch.objects.count() == 1 and AuditEvent.objects.filter(action="batch.create").count() == 1
    reused = editor.post("/api/v1/batches/", {**NEW_BATCH, "title": "别的"}, format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


# --- actions --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_editor", 403), ("district_reviewer", 403), ("outsider", 404), ("nobody", 404),
    ("city_reviewer", 200),
])
def test_who_may_approve_a_batch(tree, people, batch, make_item, who, status):
    proposal(people, tree, make_item(), batch=batch)
    client = client_for(getattr(people, who)) if who else APIClient()
    before = db_state()
    response = post(client, batch, "approve")
    assert response.status_code == status
    if status != 200:
        assert db_state() == before


def test_approving_a_batch_twice_is_409(tree, people, batch, make_item):
    proposal(people, tree, make_item(), batch=batch)
    assert post(client_for(people.city_reviewer), batch, "approve").status_code == 200
    before = db_state()
    response = post(client_for(people.city_reviewer2), batch, "approve")
    assert response.status_code == 409 and response.json()["code"] == "batch_not_draft"
    assert db_state() == before


def test_stale_if_match_on_a_batch_is_412_and_changes_nothing(tree, people, batch, make_item):
    proposal(people, tree, make_item(), batch=batch)
    stale = f'"batch-{batch.pk}-v0"'
    before = db_state()
    response = post(client_for(people.city_reviewer), batch, "approve", HTTP_IF_MATCH=stale)
    assert response.status_code == 412 and response.json()["code"] == "precondition_failed"
    assert response.json()["details"] == {"expected_version": 0, "current_version": 1}
    assert db_state() == before
    assert post(client_for(people.city_reviewer), batch, "approve", HTTP_IF_MATCH=batch_etag(batch)).status_code == 200


def test_maker_checker_on_a_batch_over_http(tree, people, batch, make_item):
    t = workflow.propose(actor=people.administrator, kind="devolve", item=make_item(), giver=tree.city,
                         receiver=tree.district, effective_on=DAY, batch=batch)
    workflow.submit(t, actor=people.administrator)
    before = db_state()
    response = post(client_for(people.administrator), batch, "approve")
    assert response.status_code == 403 and response.json()["code"] == "maker_checker"
    rejected = post(client_for(people.administrator), batch, "reject", {"reason": "不同意"})
    assert rejected.status_code == 403 and rejected.json()["code"] == "maker_checker"
    assert db_state() == before


def test_reject_a_batch(tree, people, batch, make_item):
    t = proposal(people, tree, make_item(), batch=batch)
    reviewer = client_for(people.city_reviewer)
    missing = post(reviewer, batch, "reject", {})
    assert missing.status_code == 400 and "reason" in missing.json()["details"]
    assert post(client_for(people.city_editor), batch, "reject", {"reason": "x"}).status_code == 403
    response = post(reviewer, batch, "reject", {"reason": "与上位法冲突"})
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    assert Transfer.objects.get(pk=t.pk).state == TransferState.REJECTED
    again = post(reviewer, batch, "reject", {"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "batch_closed"


def test_effect_before_approval_and_before_acceptance_is_409(tree, people, batch, make_item):
    t = proposal(people, tree, make_item(), batch=batch)
    reviewer = client_for(people.city_reviewer)
    assert post(reviewer, batch, "effect").json()["code"] == "batch_not_approved"
    post(reviewer, batch, "approve")
    before = db_state()
    response = post(reviewer, batch, "effect")
    assert response.status_code == 409 and response.json()["code"] == "batch_not_ready"
    assert response.json()["details"] == {"transfers": [t.pk]}
    assert db_state() == before
    assert post(client_for(people.district_reviewer), batch, "effect").status_code == 403


@pytest.mark.parametrize("who, status", [
    (None, 401), ("city_reviewer", 403), ("district_editor", 403), ("outsider", 404), ("street_reviewer", 404),
    ("district_reviewer", 200),
])
def test_who_may_accept_in_a_batch(tree, people, batch, make_item, who, status):
    proposal(people, tree, make_item(), batch=batch)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    client = client_for(getattr(people, who)) if who else APIClient()
    before = db_state()
    response = post(client, batch, "accept", {"government": "230102", "receiving_department": tree.district_dept.pk})
    assert response.status_code == status, response.json()
    if status != 200:
        assert db_state() == before


def test_accept_in_a_batch_errors(tree, people, batch, make_item):
    proposal(people, tree, make_item(), batch=batch)
    receiver = client_for(people.district_reviewer)
    assert post(receiver, batch, "accept", {}).status_code == 400
    nothing = post(receiver, batch, "accept", {"government": "230102", "receiving_department": tree.district_dept.pk})
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_accept"
    workflow.approve_batch(batch, actor=people.city_reviewer)
    no_unit = post(receiver, batch, "accept", {"government": "230102"})
    assert no_unit.status_code == 400 and no_unit.json()["code"] == "receiving_unit_required"


def test_add_to_a_batch_errors(tree, people, batch, make_item):
    editor = client_for(people.city_editor)
    t = proposal(people, tree, make_item(), submit=False)
    outside = workflow.propose(actor=people.administrator, kind="devolve", item=make_item(tree.district2),
                               giver=tree.district2, receiver=tree.street2, effective_on=DAY)
    assert post(editor, batch, "add", {"transfer": 999999}).status_code == 400
    invisible = post(editor, batch, "add", {"transfer": outside.pk})  # the city's editor cannot see it
    assert invisible.status_code == 400 and "transfer" in invisible.json()["details"]
    assert post(client_for(people.city_reviewer), batch, "add", {"transfer": t.pk}).status_code == 403
    assert post(APIClient(), batch, "add", {"transfer": t.pk}).status_code == 401
    assert post(editor, batch, "add", {"transfer": t.pk}, HTTP_IDEMPOTENCY_KEY="add-1").status_code == 200
    replay = post(editor, batch, "add", {"transfer": t.pk}, HTTP_IDEMPOTENCY_KEY="add-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(transfer=t, action="workflow.add_to_batch").count() == 1
    workflow.submit(t, actor=people.city_editor)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    late = proposal(people, tree, make_item(), submit=False)
    closed = post(editor, batch, "add", {"transfer": late.pk})
    assert closed.status_code == 409 and closed.json()["code"] == "batch_not_draft"
    assert Batch.objects.get(pk=batch.pk).state == BatchState.APPROVED
