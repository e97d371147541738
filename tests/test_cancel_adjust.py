"""Cancellation (取消) and adjustment (调整): items leave or are replaced in every list from a date."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from powerlists import services
from powerlists.models import Arrangement, Category, Exercise, PowerItem, Role, Tier, Transfer
from powerlists.services import Conflict, InvalidInput, Party, RuleViolation, TransferError

from .helpers import (
    D,
    arrangements,
    assert_history_kept,
    assert_one_new_event,
    devolve,
    exercise_rows,
    item_ids,
    lists_of,
    max_event_id,
    refused,
)

CUT = D(2020, 1, 1)


@pytest.fixture
def govs(tree):
    return [tree.city, tree.district, tree.district2, tree.street, tree.community]


@pytest.fixture
def devolved(tree, make_item):
    """An item held by the city, devolved to the district and on to the street, and one untouched item."""
    item = make_item(statutory_days=20, promised_days=10)
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    return item


EARLIER = [D(2016, 1, 1), D(2017, 1, 1), D(2018, 1, 1), D(2019, 12, 31)]


# --- cancel ---------------------------------------------------------------------------------------


def test_cancel_leaves_every_list_from_its_date(tree, make_item, devolved, govs):
    keep = make_item()
    history = lists_of(govs, EARLIER)
    rows = exercise_rows()
    mark = max_event_id()
    t = services.cancel(item=devolved, effective_on=CUT, reason="法律废止")
    devolved.refresh_from_db()
    assert devolved.cancelled_on == CUT and devolved.version == 2
    assert devolved.status_on(CUT) == "cancelled" and devolved.status_on(CUT - datetime.timedelta(1)) == "active"
    for gov in (tree.city, tree.district, tree.street):
        assert devolved.pk not in item_ids(gov, CUT)
        assert devolved.pk not in item_ids(gov, D(2030, 1, 1))
        assert devolved.pk in item_ids(gov, CUT - datetime.timedelta(1))
    assert item_ids(tree.city, CUT) == {keep.pk}
    assert Exercise.objects.filter(item=devolved, valid_to__isnull=True).count() == 0
    assert set(Exercise.objects.filter(item=devolved).values_list("closed_by", flat=True)) == {t.pk}
    event = assert_one_new_event(mark, "transfer.cancel")
    assert (event.transfer, event.item, event.reason) == (t, devolved, "法律废止")
    assert len(event.after["closed"]) == 3
    assert lists_of(govs, EARLIER) == history
    assert_history_kept(rows, CUT)
    assert PowerItem.objects.filter(pk=devolved.pk).exists()  # the item's row stays, for history


def test_cancel_takes_sub_items_with_it(tree, make_item):
    parent = make_item(code="P1")
    subs = [make_item(code="P1-1", parent=parent), make_item(code="P1-2", parent=parent)]
    devolve(subs[0], tree.city, tree.district, D(2017, 1, 1))
    other = make_item(code="P2")
    services.cancel(item=parent, effective_on=CUT)
    for it in [parent, *subs]:
        it.refresh_from_db()
        assert it.cancelled_on == CUT
    assert item_ids(tree.city, CUT) == {other.pk}
    assert item_ids(tree.district, CUT) == set()
    assert item_ids(tree.city, CUT - datetime.timedelta(1)) == {parent.pk, subs[0].pk, subs[1].pk, other.pk}


def test_cancel_shared_item(tree, make_item):
    item = make_item()
    services.share(item=item, sharer=tree.city, parties=[Party(tree.city, Role.LEAD, 50),
                                                         Party(tree.district, Role.SUPPORT, 50)],
                   effective_on=D(2018, 1, 1))
    services.cancel(item=item, effective_on=CUT)
    assert item_ids(tree.city, CUT) == set() == item_ids(tree.district, CUT)
    assert arrangements(tree.district, CUT - datetime.timedelta(1)) == {item.pk: Arrangement.SHARED_SUPPORT}


def test_future_cancel_takes_effect_on_its_date(tree, devolved):
    today = timezone.localdate()
    later = today + datetime.timedelta(days=20)
    services.cancel(item=devolved, effective_on=later)
    assert devolved.pk in item_ids(tree.street)
    assert devolved.pk in item_ids(tree.city, later - datetime.timedelta(1))
    assert devolved.pk not in item_ids(tree.street, later)
    assert devolved.pk not in item_ids(tree.city, later)


def test_cancel_twice_refused(tree, devolved):
    services.cancel(item=devolved, effective_on=CUT)
    with refused(Conflict, "item_cancelled"):
        services.cancel(item=devolved, effective_on=D(2021, 1, 1))
    with refused(Conflict, "item_cancelled"):
        services.cancel(item=devolved, effective_on=D(2019, 1, 1))


def test_cancel_before_a_scheduled_change_refused(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, D(2022, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.cancel(item=item, effective_on=CUT)


def test_cancel_on_or_before_the_holding_began_refused(tree, make_item):
    item = make_item(holder_from=D(2016, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.cancel(item=item, effective_on=D(2016, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.cancel(item=item, effective_on=D(2015, 1, 1))


def test_cancel_while_a_later_recall_is_scheduled(tree, devolved):
    """A recall of the district is scheduled for 2030; cancelling the item in 2020 must not leave the
    district (or the street) with the item from 2020 to 2030. Refused, with nothing written."""
    services.recall(item=devolved, giver=tree.city, receiver=tree.district, effective_on=D(2030, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.cancel(item=devolved, effective_on=CUT)
    for gov in (tree.district, tree.street):
        assert devolved.pk in item_ids(gov, D(2025, 1, 1))
        assert devolved.pk not in item_ids(gov, D(2030, 1, 1))


def test_cancel_or_adjust_only_by_owner(tree, make_item):
    item = make_item()
    for kind, code in (("cancel", "cancel_by_owner_only"), ("adjust", "adjust_by_owner_only")):
        with refused(TransferError, code):
            services.apply_transfer(Transfer(kind=kind, item=item, giver=tree.district, effective_on=CUT,
                                             changes={"name": "x"}))


# --- adjust ---------------------------------------------------------------------------------------


def test_adjust_replaces_item_in_every_list_from_its_date(tree, devolved, govs):
    history = lists_of(govs, EARLIER)
    rows = exercise_rows()
    mark = max_event_id()
    t = services.adjust(item=devolved, changes={"name": "调整后的名称", "promised_days": 5}, effective_on=CUT,
                        reason="流程再造")
    devolved.refresh_from_db()
    new = devolved.replaced_by
    assert new is not None and t.result_item == new
    assert (devolved.replaced_on, devolved.version, devolved.name) == (CUT, 2, "测试事项1")
    assert devolved.status_on(CUT) == "replaced"
    assert (new.name, new.promised_days, new.statutory_days, new.code, new.government) == (
        "调整后的名称", 5, 20, devolved.code, tree.city)
    assert new.replaced_on is None and new.status_on(CUT) == "active"
    for gov in (tree.city, tree.district, tree.street):
        assert item_ids(gov, CUT) == {new.pk}
        assert item_ids(gov, CUT - datetime.timedelta(1)) == {devolved.pk}
    assert arrangements(tree.city, CUT) == {new.pk: Arrangement.DEVOLVED_OUT}
    assert arrangements(tree.district, CUT) == {new.pk: Arrangement.RECEIVED}
    assert arrangements(tree.street, CUT) == {new.pk: Arrangement.RECEIVED}
    # Receivers' sources are remapped to the adjusted item's rows.
    city_new = Exercise.objects.get(item=new, government=tree.city)
    district_new = Exercise.objects.get(item=new, government=tree.district)
    street_new = Exercise.objects.get(item=new, government=tree.street)
    assert (city_new.role, city_new.source) == (Role.HOLDER, None)
    assert district_new.source == city_new and street_new.source == district_new
    assert all(r.valid_from == CUT and r.transfer == t for r in (city_new, district_new, street_new))
    assert Exercise.objects.filter(item=devolved, valid_to__isnull=True).count() == 0
    event = assert_one_new_event(mark, "transfer.adjust")
    assert event.after["new_item"]["name"] == "调整后的名称"
    assert event.after["changes"] == {"name": "调整后的名称", "promised_days": 5}
    assert len(event.after["closed"]) == 3 and len(event.after["opened"]) == 3
    assert event.reason == "流程再造"
    assert lists_of(govs, EARLIER) == history
    assert_history_kept(rows, CUT)


def test_adjust_keeps_department_method_and_shares(tree, make_item):
    item = make_item(department=tree.city_dept)
    services.share(item=item, sharer=tree.city, parties=[
        Party(tree.city, Role.LEAD, "70.5", tree.city_dept), Party(tree.district, Role.SUPPORT, "29.5")],
        effective_on=D(2018, 1, 1))
    other = make_item()
    devolve(other, tree.city, tree.district2, D(2018, 1, 1), method="entrusted",
            receiving_department=None)
    services.adjust(item=item, changes={"category": Category.INSPECTION}, effective_on=CUT)
    services.adjust(item=other, changes={"field": "市场监管"}, effective_on=CUT)
    new = PowerItem.objects.get(pk=item.pk).replaced_by
    lead = Exercise.objects.get(item=new, role=Role.LEAD)
    support = Exercise.objects.get(item=new, role=Role.SUPPORT)
    assert (lead.government, lead.fiscal_share, lead.shared_by, lead.department) == (
        tree.city, Decimal("70.50"), tree.city, tree.city_dept)
    assert (support.government, support.fiscal_share, support.shared_by) == (
        tree.district, Decimal("29.50"), tree.city)
    assert arrangements(tree.city, CUT) == {
        new.pk: Arrangement.SHARED_LEAD, PowerItem.objects.get(pk=other.pk).replaced_by_id: Arrangement.DEVOLVED_OUT}
    new_other = PowerItem.objects.get(pk=other.pk).replaced_by
    assert Exercise.objects.get(item=new_other, government=tree.district2).method == "entrusted"
    # The shared arrangement of the adjusted item can be ended by its sharer.
    services.recall(item=new, giver=tree.city, receiver=None, effective_on=D(2021, 1, 1))
    assert arrangements(tree.district, D(2021, 1, 1)) == {}


def test_adjust_lowering_lowest_tier_below_a_receiver_refused(tree, devolved):
    with refused(TransferError, "below_lowest_tier"):
        services.adjust(item=devolved, changes={"lowest_tier": Tier.COUNTY}, effective_on=CUT)
    with refused(TransferError, "below_lowest_tier"):
        services.adjust(item=devolved, changes={"lowest_tier": Tier.CITY}, effective_on=CUT)
    services.adjust(item=devolved, changes={"lowest_tier": Tier.TOWNSHIP}, effective_on=CUT)
    devolved.refresh_from_db()
    assert devolved.replaced_by.lowest_tier == Tier.TOWNSHIP


@pytest.mark.parametrize("changes, error, code", [
    ({}, InvalidInput, "no_changes"),
    ({"government": 1}, InvalidInput, "unknown_field"),
    ({"parent": None}, InvalidInput, "unknown_field"),
    ({"category": "bogus"}, InvalidInput, "invalid_category"),
    ({"name": ""}, InvalidInput, "name_required"),
    ({"promised_days": 30}, RuleViolation, "promise_exceeds_statute"),
    ({"lowest_tier": 0}, InvalidInput, "invalid_tier"),
])
def test_adjust_validation_writes_nothing(tree, devolved, changes, error, code):
    with refused(error, code):
        services.adjust(item=devolved, changes=changes, effective_on=CUT)


def test_adjust_changes_must_be_mapping(tree, devolved):
    with refused(InvalidInput, "invalid_changes"):
        services.adjust(item=devolved, changes=["name"], effective_on=CUT)


def test_adjust_to_a_code_in_use_refused(tree, make_item, devolved):
    make_item(code="TAKEN")
    with refused(Conflict):
        services.adjust(item=devolved, changes={"code": "TAKEN"}, effective_on=CUT)


def test_adjust_item_with_sub_items_refused(tree, make_item):
    parent = make_item()
    make_item(parent=parent)
    with refused(TransferError, "adjust_has_sub_items"):
        services.adjust(item=parent, changes={"name": "新"}, effective_on=CUT)


def test_adjust_sub_item_keeps_parent(tree, make_item):
    parent = make_item()
    sub = make_item(parent=parent)
    services.adjust(item=sub, changes={"name": "新子项"}, effective_on=CUT)
    sub.refresh_from_db()
    assert sub.replaced_by.parent == parent
    services.cancel(item=parent, effective_on=D(2021, 1, 1))
    sub.replaced_by.refresh_from_db()
    assert sub.replaced_by.cancelled_on == D(2021, 1, 1)
    assert item_ids(tree.city, D(2021, 1, 1)) == set()


def test_adjust_twice_acts_on_the_adjusted_item(tree, devolved):
    services.adjust(item=devolved, changes={"name": "第一轮"}, effective_on=CUT)
    with refused(Conflict, "item_replaced"):
        services.adjust(item=devolved, changes={"name": "第二轮"}, effective_on=D(2021, 1, 1))
    devolved.refresh_from_db()
    second = services.adjust(item=devolved.replaced_by, changes={"name": "第二轮"}, effective_on=D(2021, 1, 1))
    third = second.result_item
    assert item_ids(tree.street, D(2021, 1, 1)) == {third.pk}
    assert item_ids(tree.street, CUT) == {devolved.replaced_by_id}
    assert item_ids(tree.street, D(2019, 1, 1)) == {devolved.pk}


def test_adjust_before_a_scheduled_change_refused(tree, devolved):
    devolve(devolved, tree.city, tree.district2, D(2022, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.adjust(item=devolved, changes={"name": "新"}, effective_on=CUT)


def test_adjust_while_a_later_recall_is_scheduled(tree, devolved):
    """The district's exercise ends in 2030: an adjustment in 2020 cannot leave the district with the old
    version from 2020 to 2030. Refused, with nothing written."""
    services.recall(item=devolved, giver=tree.city, receiver=tree.district, effective_on=D(2030, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.adjust(item=devolved, changes={"name": "新"}, effective_on=CUT)


def test_future_adjust_takes_effect_on_its_date(tree, devolved):
    today = timezone.localdate()
    later = today + datetime.timedelta(days=3)
    t = services.adjust(item=devolved, changes={"name": "明天起的新名称"}, effective_on=later)
    assert [r["item__name"] for r in services_list(tree.street)] == ["测试事项1"]
    assert [r["item__name"] for r in services_list(tree.street, later)] == ["明天起的新名称"]
    assert item_ids(tree.city) == {devolved.pk}
    assert item_ids(tree.city, later) == {t.result_item_id}


def services_list(government, day=None):
    from powerlists.queries import power_list

    return power_list(government, day)
