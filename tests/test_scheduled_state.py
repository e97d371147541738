"""States that say what is true (issue "Reform in bulk", point 4): a change decided in full whose
effective date has not come is "scheduled for DATE" (待生效), not in force; it is in force from its date."""
from __future__ import annotations

import datetime

from django.utils import timezone, translation

from powerlists.models import Transfer, TransferState
from powerlists.models.transfers import SCHEDULED, shown_state, shown_state_q, state_label
from powerlists.services import workflow

D = datetime.date


def test_a_devolution_decided_before_its_date_is_scheduled_until_then(people, tree, make_item):
    item = make_item(tree.city)
    later = timezone.localdate() + datetime.timedelta(days=90)
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city, receiver=tree.district,
                         effective_on=later)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    t = Transfer.objects.get(pk=t.pk)
    assert t.state == TransferState.EFFECTIVE  # decided in full: its rows are written, dated from `later`
    assert t.shown_state == SCHEDULED
    with translation.override("zh-hans"):
        assert t.get_state_display() == f"待生效（{later.isoformat()} 起）"
    assert Transfer.objects.filter(shown_state_q(SCHEDULED)).get() == t
    assert not Transfer.objects.filter(shown_state_q("effective")).exists()
    # On its date it is in force.
    assert shown_state(t.state, t.effective_on, today=later) == "effective"
    assert Transfer.objects.filter(shown_state_q("effective", today=later)).get() == t
    with translation.override("zh-hans"):
        assert state_label(t.state, t.effective_on, today=later) == "已生效"


def test_a_past_or_undecided_change_keeps_its_state(people, tree, make_item):
    assert shown_state("effective", D(2017, 3, 1)) == "effective"
    assert shown_state("approved", timezone.localdate() + datetime.timedelta(days=5)) == "approved"
    assert shown_state("draft", None) == "draft"


def test_the_api_says_scheduled_and_filters_by_it(people, tree, make_item, api):
    item = make_item(tree.city)
    later = timezone.localdate() + datetime.timedelta(days=30)
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city, receiver=tree.district,
                         effective_on=later)
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    body = api.get(f"/api/v1/transfers/{t.pk}/").json()
    assert (body["state"], body["shown_state"]) == ("effective", "scheduled")
    assert body["state_label"] == f"待生效（{later.isoformat()} 起）"
    assert [r["id"] for r in api.get("/api/v1/transfers/", {"state": "scheduled"}).json()["results"]] == [t.pk]
    assert api.get("/api/v1/transfers/", {"state": "effective"}).json()["count"] == 0
