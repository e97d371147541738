"""Reform in bulk in the workspace: tick items on a government's list, choose the change, preview every
pair (and every refusal with its reason), confirm — all drafts or none. Plain forms, no JavaScript."""
from __future__ import annotations

from django.urls import reverse

from powerlists.models import AuditEvent, Batch, Tier, Transfer

from .helpers import db_state

URL = "/workspace/bulk/"


def choose(**extra):
    data = {"giver": "2301", "items": ["B1", "B2"], "kind": "devolve", "receivers": ["230102", "230104"],
            "effective_on": "2017-03-01", "reason": "简政放权", "batch_title": "关于下放市级权力事项的决定"}
    data.update(extra)
    return data


def test_an_editor_ticks_items_on_the_list_previews_and_confirms(client, tree, people, make_item):
    for code in ("B1", "B2"):
        make_item(tree.city, code=code, name=f"事项{code}")
    public = client.get(reverse("government", args=["2301"])).content.decode()
    assert 'name="items"' not in public  # no check boxes for the public
    client.force_login(people.city_editor)
    page = client.get(reverse("government", args=["2301"])).content.decode()
    assert page.count('name="items"') == 2 and reverse("workspace-bulk") in page

    form = client.post(URL, {"giver": "2301", "items": ["B1", "B2"]})
    html = form.content.decode()
    assert form.status_code == 200 and "道里区" in html and "道外区" in html and 'name="kind"' in html
    before = db_state()
    preview = client.post(URL, {**choose(), "step": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200 and html.count("将提出") == 4 and 'value="confirm"' in html
    assert db_state() == before
    done = client.post(URL, {**choose(), "step": "confirm"})
    batch = Batch.objects.get(title="关于下放市级权力事项的决定")
    assert done.status_code == 302 and done["Location"] == reverse("workspace-batch", args=[batch.pk])
    assert Transfer.objects.filter(batch=batch).count() == 4
    assert AuditEvent.objects.filter(action="workflow.propose").count() == 4


def test_a_refused_pair_is_shown_with_its_reason_and_nothing_is_written(client, tree, people, make_item):
    make_item(tree.city, code="B1")
    make_item(tree.city, code="B2", lowest_tier=Tier.CITY)
    client.force_login(people.city_editor)
    before = db_state()
    preview = client.post(URL, {**choose(), "step": "preview"})
    html = preview.content.decode()
    assert "全部未写入" in html and 'value="confirm"' not in html and "法律不允许该事项由道里区这一层级行使" in html
    confirmed = client.post(URL, {**choose(), "step": "confirm"})
    assert confirmed.status_code == 400 and db_state() == before


def test_the_bulk_form_refuses_who_may_not_propose_and_bad_input(client, tree, people, make_item):
    make_item(tree.city, code="B1")
    client.force_login(people.district_editor)
    before = db_state()
    response = client.post(URL, {**choose(items=["B1"]), "step": "confirm"})
    assert response.status_code == 403 and db_state() == before  # the city's batch is not theirs to open
    client.force_login(people.city_editor)
    nothing = client.post(URL, {"giver": "2301"})
    assert nothing.status_code == 302
    unknown = client.post(URL, {"giver": "2301", "items": ["NOPE"]})
    assert unknown.status_code == 302
    assert "NOPE" in client.get(unknown["Location"]).content.decode()
    no_date = client.post(URL, {**choose(items=["B1"], effective_on=""), "step": "preview"})
    assert no_date.status_code == 400 and "生效日期" in no_date.content.decode()
