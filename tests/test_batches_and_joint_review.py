"""Batches take effect all at once or not at all; joint review shows both sides; staff posts are summed."""
import datetime
from unittest import mock

import pytest
from django.db import DatabaseError

from powerlists import queries
from powerlists.models import AuditEvent, BatchState, Exercise, Transfer, TransferState
from powerlists.services import Conflict, Forbidden, InvalidInput, staff_posts_moved, workflow

D = datetime.date
DAY = D(2017, 3, 1)


@pytest.fixture
def batch(people, tree):
    return workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="关于向各区下放事权的决定",
                                 number="哈尔滨市人民政府令第3号", effective_on=DAY, issued_on=D(2017, 2, 15))


def proposal(people, tree, item, receiver=None, batch=None, staff=0):
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=receiver or tree.district, effective_on=DAY, staff_posts=staff, batch=batch)
    workflow.submit(t, actor=people.city_editor)
    return t


def test_batch_approved_in_one_action_then_effective_all_at_once(people, tree, make_item, batch):
    items = [make_item() for _ in range(3)]
    ts = [proposal(people, tree, it, batch=batch, staff=2) for it in items]
    ts.append(proposal(people, tree, make_item(), receiver=tree.district2, batch=batch, staff=5))
    workflow.approve_batch(batch, actor=people.city_reviewer, comment="市政府常务会议通过")
    assert {Transfer.objects.get(pk=t.pk).state for t in ts} == {TransferState.APPROVED}
    for t in ts[:3]:
        workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    # accepted but waiting for the batch: nothing in the list yet
    assert queries.power_list(tree.district, DAY) == []
    with pytest.raises(Conflict) as refused:
        workflow.effect_batch(batch, actor=people.city_reviewer)
    assert refused.value.code == "batch_not_ready" and refused.value.details["transfers"] == [ts[3].pk]
    from powerlists import services
    d2_dept = services.create_department(government=tree.district2, name="道外区营商环境局")
    from accounts.models import Membership
    Membership.objects.create(user=people.district_reviewer, government=tree.district2, role="reviewer")
    from powerlists.policy import forget
    forget(people.district_reviewer)
    workflow.accept(ts[3], actor=people.district_reviewer, receiving_department=d2_dept)
    workflow.effect_batch(batch, actor=people.city_reviewer)
    batch.refresh_from_db()
    assert batch.state == BatchState.EFFECTIVE
    assert len(queries.power_list(tree.district, DAY)) == 3
    assert len(queries.power_list(tree.district2, DAY)) == 1
    assert staff_posts_moved(batch) == [
        {"giver__code": "2301", "giver__name": "哈尔滨市", "receiver__code": "230102", "receiver__name": "道里区",
         "posts_out": 6, "posts_back": 0, "posts": 6},
        {"giver__code": "2301", "giver__name": "哈尔滨市", "receiver__code": "230104", "receiver__name": "道外区",
         "posts_out": 5, "posts_back": 0, "posts": 5},
    ]


def test_batch_maker_checker_refuses_the_whole_action(people, tree, make_item, batch):
    # a reviewer who edited one proposal of the batch cannot approve the batch
    t = proposal(people, tree, make_item(), batch=batch)
    other = proposal(people, tree, make_item(), batch=batch)
    Transfer.objects.get(pk=t.pk).editors.add(people.city_reviewer)
    with pytest.raises(Forbidden):
        workflow.approve_batch(batch, actor=people.city_reviewer)
    assert {Transfer.objects.get(pk=x.pk).state for x in (t, other)} == {TransferState.SUBMITTED}
    batch.refresh_from_db()
    assert batch.state == BatchState.DRAFT


def test_failure_in_the_middle_of_a_batch_changes_nothing(people, tree, make_item, batch):
    ts = [proposal(people, tree, make_item(), batch=batch) for _ in range(4)]
    workflow.approve_batch(batch, actor=people.city_reviewer)
    for t in ts:
        workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    exercises, events = Exercise.objects.count(), AuditEvent.objects.count()
    from powerlists.services import transfers as transfer_service
    real_write = transfer_service._write
    calls = {"n": 0}

    def failing_write(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise DatabaseError("disk full (injected)")
        return real_write(*args, **kwargs)

    with mock.patch.object(transfer_service, "_write", failing_write), pytest.raises(DatabaseError):
        workflow.effect_batch(batch, actor=people.city_reviewer)
    assert calls["n"] == 3
    assert (Exercise.objects.count(), AuditEvent.objects.count()) == (exercises, events)
    assert {Transfer.objects.get(pk=t.pk).state for t in ts} == {TransferState.ACCEPTED}
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    workflow.effect_batch(batch, actor=people.city_reviewer)  # and it still works afterwards
    assert len(queries.power_list(tree.district, DAY)) == 4


def test_withdrawn_and_rejected_proposals_are_left_out_of_the_batch(people, tree, make_item, batch):
    keep, withdrawn = (proposal(people, tree, make_item(), batch=batch) for _ in range(2))
    workflow.withdraw(withdrawn, actor=people.city_editor)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    workflow.accept(keep, actor=people.district_reviewer, receiving_department=tree.district_dept)
    workflow.effect_batch(batch, actor=people.city_reviewer)
    assert [r["item_id"] for r in queries.power_list(tree.district, DAY)] == [keep.item_id]
    with pytest.raises(Conflict):
        workflow.withdraw(keep, actor=people.city_editor)


def test_reject_batch_rejects_its_open_proposals(people, tree, make_item, batch):
    ts = [proposal(people, tree, make_item(), batch=batch) for _ in range(2)]
    with pytest.raises(InvalidInput):
        workflow.reject_batch(batch, actor=people.city_reviewer, reason="")
    workflow.reject_batch(batch, actor=people.city_reviewer, reason="文件未经常务会议审议")
    assert {Transfer.objects.get(pk=t.pk).state for t in ts} == {TransferState.REJECTED}
    batch.refresh_from_db()
    assert batch.state == BatchState.REJECTED
    with pytest.raises(Conflict):
        workflow.effect_batch(batch, actor=people.city_reviewer)


def test_batch_actions_need_the_issuers_roles(people, tree, make_item, batch):
    proposal(people, tree, make_item(), batch=batch)
    for actor in (people.city_editor, people.district_reviewer, people.outsider, people.nobody):
        with pytest.raises(Forbidden):
            workflow.approve_batch(batch, actor=actor)
    with pytest.raises(Forbidden):
        workflow.create_batch(actor=people.district_editor, issuer=tree.city, title="越权", effective_on=DAY)


def test_joint_review_shows_both_sides_and_the_catalogue(people, tree, make_item, django_assert_num_queries):
    agreed = proposal(people, tree, make_item(name="建设工程规划许可"))
    workflow.approve(agreed, actor=people.city_reviewer)
    workflow.accept(agreed, actor=people.district_reviewer, receiving_department=tree.district_dept)
    refused = proposal(people, tree, make_item(name="危险化学品经营许可"))
    workflow.reject(refused, actor=people.city_reviewer, reason="涉及公共安全，由市级行使")
    asked = workflow.propose(actor=people.district_editor, kind="devolve", item=make_item(name="户外广告设置审批"),
                             giver=tree.city, receiver=tree.district, origin="requested", effective_on=DAY)
    workflow.submit(asked, actor=people.district_editor)
    workflow.approve(asked, actor=people.city_reviewer)
    workflow.propose(actor=people.city_editor, kind="devolve", item=make_item(name="草稿不出现"), giver=tree.city,
                     receiver=tree.district, effective_on=DAY)
    with django_assert_num_queries(1):
        review = queries.joint_review(tree.city, tree.district)
    assert [r["item__name"] for r in review.offered] == ["建设工程规划许可", "危险化学品经营许可"]
    assert [(r["item__name"], r["giver_decision"], r["receiver_decision"]) for r in review.requested] == [
        ("户外广告设置审批", "approved", "")]
    assert [r["item__name"] for r in review.catalogue] == ["建设工程规划许可"]
    assert [(r["item__name"], r["decision_reason"]) for r in review.rejected] == [
        ("危险化学品经营许可", "涉及公共安全，由市级行使")]
    assert [r["item__name"] for r in review.undecided] == ["户外广告设置审批"]
    assert queries.joint_review(tree.city, tree.district2).offered == []
    assert len(queries.joint_review(tree.city, tree.city, include_subtree=True).offered) == 2


def test_receiver_accepts_its_share_of_a_batch_in_one_action(people, tree, make_item, batch):
    mine = [proposal(people, tree, make_item(), batch=batch) for _ in range(3)]
    theirs = proposal(people, tree, make_item(), receiver=tree.district2, batch=batch)
    workflow.approve_batch(batch, actor=people.city_reviewer)
    with pytest.raises(Forbidden):
        workflow.accept_in_batch(batch, actor=people.district_reviewer, government=tree.district2,
                                 receiving_department=tree.district_dept)
    with pytest.raises(InvalidInput):
        workflow.accept_in_batch(batch, actor=people.district_reviewer, government=tree.district)
    accepted = workflow.accept_in_batch(batch, actor=people.district_reviewer, government=tree.district,
                                        receiving_department=tree.district_dept, comment="对接会确认")
    assert sorted(t.pk for t in accepted) == sorted(t.pk for t in mine)
    assert {Transfer.objects.get(pk=t.pk).state for t in mine} == {TransferState.ACCEPTED}
    assert Transfer.objects.get(pk=theirs.pk).state == TransferState.APPROVED
    with pytest.raises(Conflict):
        workflow.accept_in_batch(batch, actor=people.district_reviewer, government=tree.district,
                                 receiving_department=tree.district_dept)
