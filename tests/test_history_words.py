"""History in words (issue "Reform in bulk", point 4): audit events read as sentences in Chinese and
English — who did what to which change — never as internal codes."""
from __future__ import annotations

import datetime

from django.utils import translation

from powerlists.models import AuditEvent
from powerlists.queries.history import VERBS, describe, with_subjects
from powerlists.services import workflow

D = datetime.date


def test_a_proposals_history_reads_as_sentences(people, tree, make_item, django_user_model):
    people.city_reviewer.display_name = "哈尔滨市编办审核人"
    people.city_reviewer.save()
    item = make_item(tree.city, name="建设用地规划许可")
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city, receiver=tree.district,
                         effective_on=D(2017, 3, 1))
    workflow.submit(t, actor=people.city_editor)
    workflow.approve(t, actor=people.city_reviewer)
    events = list(with_subjects(AuditEvent.objects.filter(transfer=t)).order_by("id"))
    with translation.override("zh-hans"):
        texts = [describe(e) for e in events]
    assert texts[-1] == "哈尔滨市编办审核人 批准了 下放：建设用地规划许可（哈尔滨市 → 道里区）（已提交 → 放出方已批准）"
    assert texts[0].startswith("city_editor 提出了 下放：建设用地规划许可")
    assert not any("workflow." in text or "submitted" in text for text in texts)
    with translation.override("en"):
        english = describe(events[-1])
    assert english.startswith("哈尔滨市编办审核人 approved ") and "→" in english and "workflow" not in english


def test_every_action_the_services_record_has_words():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "powerlists" / "services"
    recorded = set()
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        recorded |= set(re.findall(r'record(?:_many)?\(\s*"([a-z_]+\.[a-z_]+)"', text))
        recorded |= set(re.findall(r'make_event\(\s*"([a-z_]+\.[a-z_]+)"', text))
        recorded |= {f"workflow.{a}" for a in re.findall(r'_step\(\w+, "([a-z_]+)"', text)}
    # the scan finds what the services record (a scan that found nothing would pass on any table)
    assert {"workflow.propose", "workflow.approve", "item.create", "edition.publish", "import.mapping"} <= recorded
    missing = sorted(a for a in recorded if a not in VERBS and not a.startswith("evaluation."))
    assert not missing, missing


def test_the_items_history_over_the_api_says_it_in_words_and_names_no_one_to_the_public(people, tree, make_item, api):
    from .helpers import client_for, devolve

    people.city_reviewer.display_name = "哈尔滨市编办审核人"
    people.city_reviewer.save()
    item = make_item(tree.city, name="建设用地规划许可")
    devolve(item, tree.city, tree.district, D(2017, 3, 1), actor=people.administrator)
    signed_in = client_for(people.city_reviewer).get(f"/api/v1/items/{item.pk}/history/",
                                                     HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert signed_in[0]["summary"] == "administrator carried out Devolve: 建设用地规划许可 (哈尔滨市 → 道里区)", \
        signed_in[0]["summary"]
    public = api.get(f"/api/v1/items/{item.pk}/history/").json()["results"]
    assert public[0]["summary"] == "实施了 下放：建设用地规划许可（哈尔滨市 → 道里区）", public[0]["summary"]
