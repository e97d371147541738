"""The life of a transfer: draft → submitted → approved → accepted → effective, and the other ends."""
import datetime

import pytest

from powerlists import queries
from powerlists.models import AuditEvent, Exercise, Transfer, TransferState
from powerlists.services import Conflict, Forbidden, InvalidInput, Party, TransferError, workflow

D = datetime.date


@pytest.fixture
def item(make_item):
    return make_item(name="企业投资项目核准、备案")


def offer(people, tree, item, **kw):
    kw.setdefault("effective_on", D(2017, 3, 1))
    return workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                            receiver=tree.district, method="entrusted", **kw)


def events(transfer):
    return list(AuditEvent.objects.filter(transfer=transfer).order_by("id").values_list("action", "actor__username"))


def test_offered_devolution_goes_through_both_sides_into_the_list(people, tree, item):
    t = offer(people, tree, item, reason="便民利企")
    assert t.state == TransferState.DRAFT and t.origin == "offered"
    workflow.submit(t, actor=people.city_editor)
    assert queries.power_list(tree.district, D(2017, 6, 1)) == []
    workflow.approve(t, actor=people.city_reviewer, comment="同意下放")
    t.refresh_from_db()
    assert t.state == TransferState.APPROVED and t.giver_decision == "approved"
    assert queries.power_list(tree.district, D(2017, 6, 1)) == []  # the receiver has not accepted yet
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept, comment="接得住")
    t.refresh_from_db()
    assert t.state == TransferState.EFFECTIVE
    rows = queries.power_list(tree.district, D(2017, 6, 1))
    assert [(r["item__name"], r["department__name"], r["method"]) for r in rows] == [
        ("企业投资项目核准、备案", "道里区发展和改革局", "entrusted")]
    assert queries.power_list(tree.district, D(2017, 2, 28)) == []  # not before its date
    assert events(t) == [
        ("workflow.propose", "city_editor"), ("workflow.submit", "city_editor"),
        ("workflow.approve", "city_reviewer"), ("workflow.accept", "district_reviewer"),
        ("transfer.devolve", "district_reviewer"),
    ]
    approve_event = AuditEvent.objects.get(transfer=t, action="workflow.approve")
    assert approve_event.before == {"state": "submitted"} and approve_event.after["state"] == "approved"
    assert approve_event.reason == "同意下放"


def test_requested_devolution_is_decided_by_the_giver(people, tree, item):
    t = workflow.propose(actor=people.district_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, origin="requested", effective_on=D(2017, 3, 1))
    workflow.submit(t, actor=people.district_editor)
    with pytest.raises(Forbidden):
        workflow.approve(t, actor=people.district_reviewer)  # the receiver does not approve the giving side
    workflow.approve(t, actor=people.city_reviewer)
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    assert Transfer.objects.get(pk=t.pk).state == TransferState.EFFECTIVE


def test_city_editor_cannot_request_and_district_editor_cannot_offer(people, tree, item):
    with pytest.raises(Forbidden):
        workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city, receiver=tree.district,
                         origin="requested", effective_on=D(2017, 3, 1))
    with pytest.raises(Forbidden):
        workflow.propose(actor=people.district_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, origin="offered", effective_on=D(2017, 3, 1))
    assert not Transfer.objects.exists()


def test_maker_checker_refuses_a_reviewer_who_created_or_edited(people, tree, item):
    t = workflow.propose(actor=people.administrator, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=D(2017, 3, 1))
    workflow.edit(t, actor=people.city_editor, reason="补充理由")
    workflow.submit(t, actor=people.city_editor)
    with pytest.raises(Forbidden) as refused:
        workflow.approve(t, actor=people.administrator)
    assert refused.value.code == "maker_checker"
    assert Transfer.objects.get(pk=t.pk).state == TransferState.SUBMITTED
    workflow.approve(t, actor=people.city_reviewer)


def test_reject_needs_a_reason_and_closes(people, tree, item):
    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    with pytest.raises(InvalidInput):
        workflow.reject(t, actor=people.city_reviewer, reason="  ")
    workflow.reject(t, actor=people.city_reviewer, reason="涉及公共安全，不宜下放")
    t.refresh_from_db()
    assert t.state == TransferState.REJECTED and t.decision_reason == "涉及公共安全，不宜下放"
    assert t.giver_decision == "rejected"
    for step in (workflow.submit, workflow.approve):
        with pytest.raises((Conflict, Forbidden)):
            step(t, actor=people.city_reviewer)
    with pytest.raises(Conflict):
        workflow.withdraw(t, actor=people.city_editor)


def test_receiver_can_refuse_to_take_over(people, tree, item):
    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    workflow.reject(t, actor=people.district_reviewer, reason="缺少专业人员，接不住")
    t.refresh_from_db()
    assert t.state == TransferState.REJECTED and t.receiver_decision == "rejected"
    assert not Exercise.objects.filter(government=tree.district).exists()


def test_return_for_changes_then_resubmit(people, tree, item):
    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    workflow.return_for_changes(t, actor=people.city_reviewer, comment="请写明划转编制")
    t.refresh_from_db()
    assert t.state == TransferState.RETURNED
    workflow.edit(t, actor=people.city_editor, staff_posts=2, expected_version=t.version)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    assert Transfer.objects.get(pk=t.pk).staff_posts == 2


def test_stale_version_is_refused(people, tree, item):
    t = offer(people, tree, item)
    stale = t.version
    workflow.edit(t, actor=people.city_editor, reason="一")
    with pytest.raises(Conflict) as refused:
        workflow.edit(t, actor=people.city_editor, reason="二", expected_version=stale)
    assert refused.value.code == "stale_version"
    assert Transfer.objects.get(pk=t.pk).reason == "一"


def test_withdraw_only_by_author(people, tree, item, django_user_model):
    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    from accounts.models import Membership
    other_editor = django_user_model.objects.create_user("other_editor")
    Membership.objects.create(user=other_editor, government=tree.city, role="editor")
    with pytest.raises(Forbidden):
        workflow.withdraw(t, actor=other_editor)
    workflow.withdraw(t, actor=people.city_editor, comment="另行研究")
    assert Transfer.objects.get(pk=t.pk).state == TransferState.WITHDRAWN


def test_recall_needs_only_the_giving_side(people, tree, item):
    from powerlists import services
    services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 1, 1))
    t = workflow.propose(actor=people.city_editor, kind="recall", item=item, giver=tree.city, receiver=tree.district,
                         origin="evaluation", effective_on=D(2019, 1, 1))
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    assert Transfer.objects.get(pk=t.pk).state == TransferState.EFFECTIVE
    assert queries.power_list(tree.district, D(2019, 1, 1)) == []
    assert len(queries.power_list(tree.district, D(2018, 12, 31))) == 1


def test_submit_checks_the_rules(people, tree, make_item):
    item = make_item(lowest_tier=3)
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city, receiver=tree.street,
                         effective_on=D(2017, 3, 1))
    with pytest.raises(TransferError) as refused:
        workflow.submit(t, actor=people.city_editor)
    assert refused.value.code == "below_lowest_tier"
    assert Transfer.objects.get(pk=t.pk).state == TransferState.DRAFT


def test_accept_names_a_department_of_the_receiver(people, tree, item):
    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    with pytest.raises(InvalidInput):
        workflow.accept(t, actor=people.district_reviewer)
    with pytest.raises(TransferError):
        workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.city_dept)
    assert Transfer.objects.get(pk=t.pk).state == TransferState.APPROVED


def test_shared_arrangement_needs_every_party(people, tree, make_item):
    item = make_item(government=tree.district)
    from accounts.models import Membership
    Membership.objects.create(user=people.district_editor, government=tree.district, role="reviewer")
    t = workflow.propose(actor=people.district_editor, kind="share", item=item, giver=tree.district,
                         effective_on=D(2019, 5, 1),
                         parties=[Party(tree.district, "lead", 60), Party(tree.street, "support", 40)])
    workflow.submit(t, actor=people.district_editor)
    workflow.approve(t, actor=people.district_reviewer)
    t.refresh_from_db()
    assert t.state == TransferState.APPROVED
    workflow.accept(t, actor=people.street_reviewer)
    t.refresh_from_db()
    assert t.state == TransferState.EFFECTIVE
    shares = sorted((r["arrangement"], r["fiscal_share"]) for r in
                    queries.power_list(tree.street, D(2019, 6, 1)) + queries.power_list(tree.district, D(2019, 6, 1)))
    assert [(a, int(s)) for a, s in shares] == [("shared_lead", 60), ("shared_support", 40)]


def test_one_person_cannot_confirm_both_sides(people, tree, item):
    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.administrator)  # an administrator of the whole province
    with pytest.raises(Forbidden) as refused:
        workflow.accept(t, actor=people.administrator, receiving_department=tree.district_dept)
    assert refused.value.code == "one_person_both_sides"
    assert Transfer.objects.get(pk=t.pk).state == TransferState.APPROVED
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)


def test_an_author_who_lost_the_role_cannot_withdraw(people, tree, item):
    from accounts.models import Membership
    from powerlists.policy import forget

    t = offer(people, tree, item)
    Membership.objects.filter(user=people.city_editor).delete()
    forget(people.city_editor)
    with pytest.raises(Forbidden):
        workflow.withdraw(t, actor=people.city_editor)
    assert Transfer.objects.get(pk=t.pk).state == TransferState.DRAFT
    workflow.withdraw(t, actor=people.administrator)
    assert Transfer.objects.get(pk=t.pk).state == TransferState.WITHDRAWN


def test_a_proposal_takes_effect_only_once_confirmed(people, tree, item):
    from powerlists.services import apply_transfer

    t = offer(people, tree, item)
    workflow.submit(t, actor=people.city_editor)
    with pytest.raises(Conflict) as refused:
        apply_transfer(Transfer.objects.get(pk=t.pk))
    assert refused.value.code == "not_confirmed"
    workflow.approve(t, actor=people.city_reviewer)
    with pytest.raises(Conflict):
        apply_transfer(Transfer.objects.get(pk=t.pk))  # still waits for the receiver
    assert not Exercise.objects.filter(government=tree.district).exists()


def test_a_cancelled_item_takes_no_proposal(tree, people, make_item):
    """Found by the stateful invariant test: a proposal on a cancelled item was accepted as a draft."""
    from powerlists.models import AuditEvent, Transfer
    from powerlists.services import Conflict

    item = make_item()
    from powerlists import services

    services.cancel(item=item, effective_on=datetime.date(2020, 1, 1))
    item.refresh_from_db()
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as info:
        workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=datetime.date(2020, 6, 1))
    assert info.value.code == "item_cancelled"
    assert not Transfer.objects.filter(item=item, created_by__isnull=False).exists()
    assert AuditEvent.objects.count() == events
