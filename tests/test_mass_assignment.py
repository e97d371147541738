"""Writes cannot set what the policy keeps: state, deciders, holder, timestamps, versions."""
import datetime

import pytest

from powerlists.models import PowerItem, Transfer
from powerlists.services import workflow

from .helpers import client_for

D = datetime.date


@pytest.fixture
def proposal(tree, people, make_item):
    return workflow.propose(actor=people.city_editor, kind="devolve", item=make_item(), giver=tree.city,
                            receiver=tree.district, effective_on=D(2017, 3, 1))


@pytest.mark.parametrize("field, value", [
    ("state", "effective"), ("giver_decided_by", 1), ("giver_decision", "approved"), ("created_by", 1),
    ("created_at", "2020-01-01T00:00:00Z"), ("version", 99), ("batch", 1), ("result_item", 1),
])
def test_a_proposal_cannot_be_patched_into_another_state_or_author(proposal, people, field, value):
    before = Transfer.objects.filter(pk=proposal.pk).values().get()
    client = client_for(people.city_editor)
    etag = client.get(f"/api/v1/transfers/{proposal.pk}/")["ETag"]
    response = client.patch(f"/api/v1/transfers/{proposal.pk}/", {field: value, "reason": "x"}, format="json",
                            HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "unknown_fields" and field in response.json()["details"]["fields"]
    assert Transfer.objects.filter(pk=proposal.pk).values().get() == before


def test_a_new_proposal_cannot_arrive_approved(tree, people, make_item):
    item = make_item()
    body = {"kind": "devolve", "item": item.pk, "giver": "2301", "receiver": "230102", "effective_on": "2017-03-01",
            "state": "approved", "giver_decided_by": people.city_reviewer.pk}
    response = client_for(people.city_editor).post("/api/v1/transfers/", body, format="json")
    assert response.status_code == 400 and set(response.json()["details"]["fields"]) == {"giver_decided_by", "state"}
    assert not Transfer.objects.filter(item=item).exists()


def test_an_item_cannot_be_given_another_holder_or_version(tree, people, make_item):
    item = make_item()
    client = client_for(people.city_editor)
    etag = client.get(f"/api/v1/items/{item.pk}/")["ETag"]
    for field, value in (("government", "230102"), ("version", 7), ("replaced_by", item.pk), ("cancelled_on", "2020-01-01")):
        response = client.patch(f"/api/v1/items/{item.pk}/", {field: value}, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 400 and response.json()["code"] == "unknown_fields", field
    item.refresh_from_db()
    assert item.government == tree.city and item.version == 1 and PowerItem.objects.get(pk=item.pk).cancelled_on is None
