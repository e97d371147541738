"""Reform in bulk (issue "Reform in bulk", point 1): one change proposed for many items and receivers at
once — checked pair by pair against the rules of a single proposal, every refusal named with its reason,
then all written or none."""
from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from powerlists.models import AuditEvent, Batch, Tier, Transfer, TransferKind, TransferState
from powerlists.services import workflow
from powerlists.services.bulk import MAX_ITEMS, propose_bulk
from powerlists.services.errors import InvalidInput

from .helpers import db_state, devolve

D = datetime.date
DAY = D(2017, 3, 1)


def bulk(people, tree, items, receivers=None, **kw):
    kw.setdefault("kind", TransferKind.DEVOLVE)
    kw.setdefault("reason", "简政放权")
    return propose_bulk(actor=kw.pop("actor", people.city_editor), giver=kw.pop("giver", tree.city), items=items,
                        receivers=[tree.district, tree.district2] if receivers is None else receivers,
                        effective_on=kw.pop("effective_on", DAY), **kw)


def test_items_times_receivers_become_drafts_in_a_new_batch_with_their_events(tree, make_item, people):
    items = [make_item(tree.city, name=f"事项{n}") for n in range(3)]
    result = bulk(people, tree, items, new_batch={"title": "关于下放第一批市级权力事项的决定", "number": "哈政发〔2017〕1号"})
    assert result.written and not result.refused and len(result.transfers) == 6
    batch = result.batch
    assert batch.state == "draft" and batch.title == "关于下放第一批市级权力事项的决定"
    transfers = Transfer.objects.filter(batch=batch)
    assert transfers.count() == 6 and {t.state for t in transfers} == {TransferState.DRAFT}
    assert {(t.item_id, t.receiver_id) for t in transfers} == {
        (i.pk, r.pk) for i in items for r in (tree.district, tree.district2)}
    assert all(list(t.editors.all()) == [people.city_editor] for t in transfers)
    events = AuditEvent.objects.filter(action="workflow.propose", transfer__in=transfers)
    assert events.count() == 6 and {e.reason for e in events} == {"简政放权"}
    # Each draft goes on through the workflow like any other.
    workflow.submit(transfers.first(), actor=people.city_editor)


def test_one_refused_pair_writes_nothing_and_each_refusal_says_why(tree, make_item, people):
    good = make_item(tree.city, name="可下放事项")
    core = make_item(tree.city, name="重大建设项目核准", is_core=True)
    city_only = make_item(tree.city, name="市级事项", lowest_tier=Tier.CITY)
    before = db_state()
    result = bulk(people, tree, [good, core, city_only])
    assert not result.written and db_state() == before
    refused = {(p.item.name, p.receiver.code): p.code for p in result.refused}
    assert refused == {("重大建设项目核准", "230102"): "core_power", ("重大建设项目核准", "230104"): "core_power",
                       ("市级事项", "230102"): "below_lowest_tier", ("市级事项", "230104"): "below_lowest_tier"}
    assert all(p.message_zh and p.message_en for p in result.refused)
    assert len(result.accepted) == 2


def test_a_dry_run_is_the_preview_and_writes_nothing(tree, make_item, people):
    items = [make_item(tree.city) for _ in range(2)]
    before = db_state()
    result = bulk(people, tree, items, dry_run=True)
    assert not result.written and not result.refused and len(result.accepted) == 4
    assert db_state() == before


def test_a_receiver_outside_the_givers_territory_and_a_person_without_the_role_are_refused(tree, make_item, people):
    item = make_item(tree.city)
    result = bulk(people, tree, [item], receivers=[tree.district, tree.other_city])
    assert [(p.receiver.code, p.code) for p in result.refused] == [("4211", "receiver_outside_territory")]
    result = bulk(people, tree, [item], actor=people.district_editor)
    assert {p.code for p in result.refused} == {"forbidden"} and not result.written


def test_bad_requests_are_refused_before_any_work(tree, make_item, people):
    item = make_item(tree.city)
    cases = [
        ({"kind": "merge"}, "invalid_kind"),
        ({"receivers": []}, "receiver_required"),
        ({"items": []}, "items_required"),
        ({"items": [item, item]}, "duplicate_items"),
        ({"receivers": [tree.district, tree.district]}, "duplicate_receivers"),
        ({"kind": TransferKind.RECALL}, "one_receiver_to_recall"),
        ({"method": "by_pigeon"}, "invalid_method"),
        ({"reason": "理" * 2001}, "too_long"),
    ]
    for change, code in cases:
        kw = {"items": [item], **change}
        with pytest.raises(InvalidInput) as info:
            bulk(people, tree, kw.pop("items"), **kw)
        assert info.value.code == code, (change, info.value.code)
    with pytest.raises(InvalidInput) as info:
        bulk(people, tree, [item] * (MAX_ITEMS + 1))
    assert info.value.code == "too_many_items"


def test_recall_and_cancel_in_bulk(tree, make_item, people):
    items = [make_item(tree.city) for _ in range(3)]
    for item in items:
        devolve(item, tree.city, tree.district, D(2016, 6, 1))
    recalled = bulk(people, tree, items, kind=TransferKind.RECALL, receivers=[tree.district])
    assert recalled.written and len(recalled.transfers) == 3
    assert {t.kind for t in recalled.transfers} == {TransferKind.RECALL}
    cancelled = bulk(people, tree, [make_item(tree.city)], kind=TransferKind.CANCEL, receivers=[])
    assert cancelled.written and cancelled.transfers[0].receiver is None


def test_an_existing_batch_takes_them_and_its_date_rules(tree, make_item, people):
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="第二批", effective_on=DAY)
    items = [make_item(tree.city) for _ in range(2)]
    with pytest.raises(InvalidInput) as info:
        bulk(people, tree, items, batch=batch, effective_on=D(2017, 4, 1))
    assert info.value.code == "date_differs_from_batch"
    result = bulk(people, tree, items, batch=batch)
    assert result.written and Transfer.objects.filter(batch=batch).count() == 4
    assert Batch.objects.count() == 1


@pytest.mark.parametrize("per_pair", [8])
def test_queries_grow_by_a_few_per_pair_and_writes_are_bulk(tree, make_item, people, per_pair):
    def count(n):
        items = [make_item(tree.city) for _ in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            result = bulk(people, tree, items)
        assert result.written
        writes = [q for q in ctx.captured_queries if "INSERT INTO" in q["sql"][:40].upper()]  # "40 times: INSERT…"
        return len(ctx.captured_queries), len(writes)

    small, small_writes = count(2)
    large, large_writes = count(20)
    assert large - small <= per_pair * (40 - 4), (small, large)
    # Transfers, makers, events: a few statements, not one per pair (SQLite binds at most 999 values in one
    # statement, so its transfers' INSERT is split in two at this size).
    assert small_writes == 3 and large_writes <= 4
