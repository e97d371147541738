"""``POST /api/v1/transfers/bulk/`` (issue "Reform in bulk", point 1): 201 with the drafts, 200 with the
preview under ``dry_run``, 400 naming each refused pair with nothing written."""
from __future__ import annotations

from powerlists.models import AuditEvent, Batch, Tier, Transfer

from .helpers import client_for, db_state

URL = "/api/v1/transfers/bulk/"


def body(**extra):
    data = {"kind": "devolve", "giver": "2301", "receivers": ["230102", "230104"], "items": ["B1", "B2", "B3"],
            "effective_on": "2017-03-01", "reason": "简政放权", "new_batch": {"title": "关于下放市级权力事项的决定"}}
    data.update(extra)
    return data


def test_items_times_receivers_are_proposed_in_one_request(tree, people, make_item):
    for n in (1, 2, 3):
        make_item(tree.city, code=f"B{n}")
    api = client_for(people.city_editor)
    preview = api.post(URL, body(dry_run=True), format="json")
    assert preview.status_code == 200 and preview.json()["count"] == 6 and preview.json()["refused"] == []
    assert not Transfer.objects.exists()
    made = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["written"] and data["count"] == 6 and all(p["transfer"] for p in data["pairs"])
    batch = Batch.objects.get(pk=data["batch"])
    assert Transfer.objects.filter(batch=batch, state="draft").count() == 6
    assert AuditEvent.objects.filter(action="workflow.propose").count() == 6
    again = api.post(URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")  # replayed, not made twice
    assert again.status_code == 201 and Transfer.objects.count() == 6


def test_a_refused_pair_is_named_and_nothing_is_written(tree, people, make_item):
    make_item(tree.city, code="B1")
    make_item(tree.city, code="B2", lowest_tier=Tier.CITY)
    make_item(tree.city, code="B3", is_core=True)
    before = db_state()
    response = client_for(people.city_editor).post(URL, body(), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "bulk_refused" and "nothing was written" in error["message"]
    refused = {(r["item"], r["receiver"], r["code"]) for r in error["details"]["refused"]}
    assert refused == {("B2", "230102", "below_lowest_tier"), ("B2", "230104", "below_lowest_tier"),
                       ("B3", "230102", "core_power"), ("B3", "230104", "core_power")}
    assert db_state() == before


def test_unknown_codes_and_callers_without_the_role_are_refused(tree, people, make_item, api):
    make_item(tree.city, code="B1")
    editor = client_for(people.city_editor)
    unknown = editor.post(URL, body(items=["B1", "NOPE"]), format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_items"
    assert "NOPE" in unknown.json()["message"]
    assert editor.post(URL, body(receivers=["9999"], items=["B1"]), format="json").json()["code"] == \
        "unknown_governments"
    assert api.post(URL, body(items=["B1"]), format="json").status_code == 401
    district = client_for(people.district_editor)
    assert district.post(URL, body(items=["B1"]), format="json").status_code == 403  # a batch of the city
    no_batch = body(items=["B1"])
    del no_batch["new_batch"]
    outsider = district.post(URL, no_batch, format="json")
    assert outsider.status_code == 400 and {r["code"] for r in outsider.json()["details"]["refused"]} == {"forbidden"}
    assert editor.post(URL, body(items=["B1"] * 2), format="json").json()["code"] == "duplicate_items"
    assert not Transfer.objects.exists()


def test_items_held_by_the_giver_from_above_are_found_by_code(tree, people, make_item):
    import datetime

    from .helpers import devolve

    item = make_item(tree.city, code="C1")
    devolve(item, tree.city, tree.district, datetime.date(2016, 6, 1))
    request = body(giver="230102", receivers=["230102001"], items=["C1"], dry_run=True)
    del request["new_batch"]
    response = client_for(people.district_editor).post(URL, request, format="json")
    assert response.status_code == 200, response.content
    assert [p["item"] for p in response.json()["pairs"]] == ["C1"]  # found in the district's list
