"""Devolution (下放) and recall (收回): who may give what to whom, when, and how history is kept."""
import datetime

import pytest
from django.utils import timezone

from powerlists import services
from powerlists.models import Arrangement, Exercise, Method, Origin, Role, Tier, Transfer, TransferState
from powerlists.services import Conflict, InvalidInput, TransferError

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

DAY = D(2017, 3, 1)


@pytest.fixture
def govs(tree):
    return [tree.city, tree.district, tree.district2, tree.street, tree.street2, tree.community]


# --- devolve: success -----------------------------------------------------------------------------


def test_devolve_opens_receiver_row_and_audits(tree, make_item):
    item = make_item()
    mark = max_event_id()
    t = devolve(item, tree.city, tree.district, DAY, method=Method.ENTRUSTED, origin=Origin.REQUESTED,
                receiving_department=tree.district_dept, staff_posts=3, reason="强区放权", actor_name="市编办")
    t.refresh_from_db()
    assert (t.kind, t.state, t.giver, t.receiver, t.effective_on) == (
        "devolve", TransferState.EFFECTIVE, tree.city, tree.district, DAY)
    assert (t.method, t.origin, t.staff_posts) == (Method.ENTRUSTED, Origin.REQUESTED, 3)
    row = Exercise.objects.get(item=item, government=tree.district)
    city_row = Exercise.objects.get(item=item, government=tree.city)
    assert (row.role, row.source, row.department, row.method, row.valid_from, row.valid_to, row.transfer) == (
        Role.RECEIVER, city_row, tree.district_dept, Method.ENTRUSTED, DAY, None, t)
    assert city_row.valid_to is None  # the giver keeps its row: it still answers for the item
    event = assert_one_new_event(mark, "transfer.devolve")
    assert (event.transfer, event.item, event.government) == (t, item, tree.city)
    assert event.before == {"state": "draft"}
    assert event.after["state"] == "effective"
    assert [r["government_id"] for r in event.after["opened"]] == [tree.district.pk]
    assert event.after["closed"] == []
    assert event.reason == "强区放权" and event.actor_name == "市编办"


def test_devolve_changes_arrangements_from_its_date(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    assert arrangements(tree.city, DAY - datetime.timedelta(days=1)) == {item.pk: Arrangement.RETAINED}
    assert arrangements(tree.city, DAY) == {item.pk: Arrangement.DEVOLVED_OUT}
    assert arrangements(tree.district, DAY - datetime.timedelta(days=1)) == {}
    assert arrangements(tree.district, DAY) == {item.pk: Arrangement.RECEIVED}
    row = [r for r in services_list(tree.district, DAY)][0]
    assert row["source__government__code"] == "2301"


def services_list(government, day):
    from powerlists.queries import power_list

    return power_list(government, day)


def test_devolve_to_several_receivers_and_on_down(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.city, tree.district2, DAY)
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    devolve(item, tree.street, tree.community, D(2019, 1, 1))
    street_row = Exercise.objects.get(item=item, government=tree.street)
    assert street_row.source.government == tree.district
    # A receiver that passes the item on still shows it as received (its role), with the street as receiver.
    assert arrangements(tree.district, D(2018, 1, 1)) == {item.pk: Arrangement.RECEIVED}
    assert arrangements(tree.street, D(2019, 1, 1)) == {item.pk: Arrangement.RECEIVED}
    assert Exercise.objects.get(item=item, government=tree.community).source == street_row
    assert arrangements(tree.community, D(2019, 1, 1)) == {item.pk: Arrangement.RECEIVED}
    assert arrangements(tree.district2, D(2019, 1, 1)) == {item.pk: Arrangement.RECEIVED}


def test_devolve_to_lowest_tier_allowed(tree, make_item):
    item = make_item(lowest_tier=Tier.TOWNSHIP)
    devolve(item, tree.city, tree.street, DAY)  # the city may skip the district
    assert item_ids(tree.street, DAY) == {item.pk}


def test_devolve_through_batch_takes_its_date(tree, make_item):
    item = make_item()
    batch = services.create_batch(issuer=tree.city, title="第一批下放事项", number="哈政发〔2017〕1号",
                                  effective_on=DAY, state="effective")
    t = services.devolve(item=item, giver=tree.city, receiver=tree.district, batch=batch, staff_posts=2)
    assert t.effective_on == DAY and t.batch == batch
    assert services.staff_posts_moved(batch) == [{
        "giver__code": "2301", "giver__name": "哈尔滨市", "receiver__code": "230102",
        "receiver__name": "道里区", "posts_out": 2, "posts_back": 0, "posts": 2}]
    other = make_item()
    with refused(InvalidInput, "date_differs_from_batch"):
        services.devolve(item=other, giver=tree.city, receiver=tree.district, batch=batch,
                         effective_on=D(2018, 1, 1))


def test_devolve_does_not_change_earlier_lists(tree, make_item, govs):
    item, other = make_item(), make_item()
    devolve(other, tree.city, tree.district2, D(2016, 6, 1))
    days = [D(2016, 1, 1), D(2016, 6, 1), D(2017, 2, 28)]
    history = lists_of(govs, days)
    rows = exercise_rows()
    devolve(item, tree.city, tree.district, DAY)
    assert lists_of(govs, days) == history
    assert_history_kept(rows, DAY)


def test_future_devolution_takes_effect_on_its_date(tree, make_item):
    today = timezone.localdate()
    later = today + datetime.timedelta(days=30)
    item = make_item()
    devolve(item, tree.city, tree.district, later)
    assert item_ids(tree.district, today) == set()
    assert item_ids(tree.district, later - datetime.timedelta(days=1)) == set()
    assert item_ids(tree.district) == set()  # default day is today
    assert item_ids(tree.district, later) == {item.pk}
    assert arrangements(tree.city, today) == {item.pk: Arrangement.RETAINED}
    assert arrangements(tree.city, later) == {item.pk: Arrangement.DEVOLVED_OUT}


# --- devolve: refusals ----------------------------------------------------------------------------


def test_giver_must_exercise_on_the_date(tree, make_item):
    item = make_item(holder_from=D(2016, 1, 1))
    with refused(TransferError, "giver_not_exercising"):
        devolve(item, tree.city, tree.district, D(2015, 12, 31))
    with refused(TransferError, "giver_not_exercising"):
        devolve(item, tree.district, tree.street, DAY)  # the district has not received it
    devolve(item, tree.city, tree.district, DAY)
    with refused(TransferError, "giver_not_exercising"):
        devolve(item, tree.district, tree.street, DAY - datetime.timedelta(days=1))  # before it received it


def test_item_without_holder_cannot_be_devolved(tree, make_item):
    item = make_item(holder_from=None)
    with refused(TransferError, "giver_not_exercising"):
        devolve(item, tree.city, tree.district, DAY)


def test_giver_whose_exercise_ends_cannot_devolve(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1))
    with refused(Conflict, "giver_exercise_ends"):
        devolve(item, tree.district, tree.street, D(2019, 1, 1))


@pytest.mark.parametrize("giver, receiver", [
    ("city", "city"),            # itself
    ("city", "province"),        # above it
    ("city", "other_city"),      # another territory
    ("district", "street2"),     # a street of the neighbouring district
    ("district", "district2"),   # a sibling
    ("street", "district"),      # its parent
])
def test_receiver_inside_territory_at_lower_tier(tree, make_item, giver, receiver):
    item = make_item(government=getattr(tree, giver))
    with refused(TransferError, "receiver_outside_territory"):
        devolve(item, getattr(tree, giver), getattr(tree, receiver), DAY)


@pytest.mark.parametrize("lowest, receiver", [
    (Tier.COUNTY, "street"), (Tier.COUNTY, "community"), (Tier.CITY, "district"), (Tier.TOWNSHIP, "community"),
])
def test_never_below_lowest_tier(tree, make_item, lowest, receiver):
    item = make_item(lowest_tier=lowest)
    with refused(TransferError, "below_lowest_tier") as info:
        devolve(item, tree.city, getattr(tree, receiver), DAY)
    assert info.value.details["lowest_tier"] == lowest


def test_lowest_tier_applies_to_further_devolution(tree, make_item):
    item = make_item(lowest_tier=Tier.COUNTY)
    devolve(item, tree.city, tree.district, DAY)
    with refused(TransferError, "below_lowest_tier"):
        devolve(item, tree.district, tree.street, D(2018, 1, 1))


def test_receiver_never_exercises_twice(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    with refused(TransferError, "receiver_already_exercises"):
        devolve(item, tree.city, tree.district, D(2018, 1, 1))
    # Also not when the existing row only starts later (it would overlap).
    other = make_item()
    devolve(other, tree.city, tree.district, D(2019, 1, 1))
    with refused(TransferError, "receiver_already_exercises"):
        devolve(other, tree.city, tree.district, DAY)
    # Nor when the receiver got it from elsewhere in the chain.
    third = make_item()
    devolve(third, tree.city, tree.district, DAY)
    devolve(third, tree.district, tree.street, D(2018, 1, 1))
    with refused(TransferError, "receiver_already_exercises"):
        devolve(third, tree.city, tree.street, D(2019, 1, 1))


def test_receiver_with_a_past_row_overlapping_the_date(tree, make_item):
    item = make_item(holder_from=D(2010, 1, 1))
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2019, 1, 1))
    # A backdated devolution whose open row would overlap the closed one.
    with refused(TransferError, "receiver_already_exercises"):
        devolve(item, tree.city, tree.district, D(2015, 1, 1))
    # After the recall it may be devolved again.
    devolve(item, tree.city, tree.district, D(2020, 1, 1))
    assert item_ids(tree.district, D(2018, 1, 1)) == {item.pk}
    assert item_ids(tree.district, D(2019, 6, 1)) == set()
    assert item_ids(tree.district, D(2020, 1, 1)) == {item.pk}


def test_devolve_input_validation(tree, make_item):
    item = make_item()
    with refused(TransferError, "department_not_of_receiver"):
        devolve(item, tree.city, tree.district, DAY, receiving_department=tree.street_dept)
    with refused(InvalidInput, "invalid_method"):
        devolve(item, tree.city, tree.district, DAY, method="teleport")
    with refused(InvalidInput, "invalid_staff_posts"):
        devolve(item, tree.city, tree.district, DAY, staff_posts=-1)
    with refused(InvalidInput, "invalid_origin"):
        devolve(item, tree.city, tree.district, DAY, origin="rumour")
    with refused(InvalidInput, "date_required"):
        devolve(item, tree.city, tree.district, None)
    with refused(InvalidInput, "receiver_required"):
        services.apply_transfer(Transfer(kind="devolve", item=item, giver=tree.city, effective_on=DAY))
    with refused(InvalidInput, "invalid_kind"):
        services.apply_transfer(Transfer(kind="merge", item=item, giver=tree.city, effective_on=DAY))


def test_cancelled_item_cannot_be_devolved(tree, make_item):
    item = make_item()
    services.cancel(item=item, effective_on=D(2020, 1, 1))
    with refused(Conflict, "item_cancelled"):
        devolve(item, tree.city, tree.district, DAY)


def test_adjusted_item_cannot_be_devolved(tree, make_item):
    item = make_item()
    services.adjust(item=item, changes={"name": "新"}, effective_on=D(2020, 1, 1))
    with refused(Conflict, "item_replaced"):
        devolve(item, tree.city, tree.district, DAY)


def test_applying_effective_transfer_again_is_conflict(tree, make_item):
    item = make_item()
    t = devolve(item, tree.city, tree.district, DAY)
    with refused(Conflict, "already_effective"):
        services.apply_transfer(Transfer.objects.get(pk=t.pk))
    rejected = Transfer.objects.create(kind="devolve", item=item, giver=tree.city, receiver=tree.district2,
                                       effective_on=DAY, state=TransferState.REJECTED)
    with refused(Conflict, "transfer_closed"):
        services.apply_transfer(rejected)


def test_saved_transfer_applies_only_once_confirmed_by_both_sides(tree, make_item):
    item = make_item()
    draft = Transfer.objects.create(kind="devolve", item=item, giver=tree.city, receiver=tree.district,
                                    effective_on=DAY, method=Method.DIRECT)
    before = exercise_rows()
    with pytest.raises(services.Conflict) as refused:
        services.apply_transfer(draft, actor_name="审核员")
    assert refused.value.code == "not_confirmed"
    assert exercise_rows() == before
    Transfer.objects.filter(pk=draft.pk).update(state=TransferState.ACCEPTED)
    draft.refresh_from_db()
    mark = max_event_id()
    services.apply_transfer(draft, actor_name="审核员")
    draft.refresh_from_db()
    assert draft.state == TransferState.EFFECTIVE and draft.version == 2
    assert item_ids(tree.district, DAY) == {item.pk}
    assert assert_one_new_event(mark, "transfer.devolve").transfer_id == draft.pk


# --- recall ---------------------------------------------------------------------------------------


def test_recall_closes_receiver_row_and_audits(tree, make_item, govs):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    days = [D(2016, 1, 1), DAY, D(2019, 12, 31)]
    history = lists_of(govs, days)
    rows = exercise_rows()
    mark = max_event_id()
    t = services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1),
                        origin=Origin.EVALUATION, reason="运行不良")
    event = assert_one_new_event(mark, "transfer.recall")
    assert event.transfer == t and event.reason == "运行不良"
    district_row = Exercise.objects.get(item=item, government=tree.district)
    assert [c["id"] for c in event.after["closed"]] == [district_row.pk]
    assert event.after["opened"] == []
    assert (district_row.valid_to, district_row.closed_by) == (D(2020, 1, 1), t)
    assert item_ids(tree.district, D(2020, 1, 1)) == set()
    assert arrangements(tree.city, D(2020, 1, 1)) == {item.pk: Arrangement.RETAINED}
    assert lists_of(govs, days) == history
    assert_history_kept(rows, D(2020, 1, 1))


def test_recall_takes_back_what_was_devolved_further(tree, make_item, govs):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    devolve(item, tree.street, tree.community, D(2018, 6, 1))
    history = lists_of(govs, [D(2018, 6, 1), D(2019, 12, 31)])
    t = services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1))
    for gov in (tree.district, tree.street, tree.community):
        row = Exercise.objects.get(item=item, government=gov)
        assert (row.valid_to, row.closed_by) == (D(2020, 1, 1), t)
        assert item_ids(gov, D(2020, 1, 1)) == set()
    assert arrangements(tree.city, D(2020, 1, 1)) == {item.pk: Arrangement.RETAINED}
    assert lists_of(govs, [D(2018, 6, 1), D(2019, 12, 31)]) == history


def test_recall_of_further_devolution_only(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    services.recall(item=item, giver=tree.district, receiver=tree.street, effective_on=D(2020, 1, 1))
    assert arrangements(tree.district, D(2020, 1, 1)) == {item.pk: Arrangement.RECEIVED}
    assert item_ids(tree.street, D(2020, 1, 1)) == set()


def test_recall_other_receivers_untouched(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.city, tree.district2, DAY)
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1))
    assert item_ids(tree.district2, D(2020, 1, 1)) == {item.pk}
    assert arrangements(tree.city, D(2020, 1, 1)) == {item.pk: Arrangement.DEVOLVED_OUT}


def test_recall_only_what_is_devolved(tree, make_item):
    item = make_item()
    with refused(TransferError, "not_devolved_by_giver"):
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=DAY)
    devolve(item, tree.city, tree.district, DAY)
    with refused(TransferError, "not_devolved_by_giver"):  # before the devolution
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=DAY - datetime.timedelta(1))
    with refused(TransferError, "not_devolved_by_giver"):  # another district
        services.recall(item=item, giver=tree.city, receiver=tree.district2, effective_on=D(2020, 1, 1))
    with refused(TransferError, "not_devolved_by_giver"):  # the holder itself
        services.recall(item=item, giver=tree.city, receiver=tree.city, effective_on=D(2020, 1, 1))


def test_recall_only_from_the_government_that_received_it(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    with refused(TransferError, "not_devolved_by_giver"):  # the city did not give it to the street
        services.recall(item=item, giver=tree.city, receiver=tree.street, effective_on=D(2020, 1, 1))
    with refused(TransferError, "not_devolved_by_giver"):  # the province never had it
        services.recall(item=item, giver=tree.province, receiver=tree.district, effective_on=D(2020, 1, 1))


def test_recall_twice_refused(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1))
    with refused(TransferError, "not_devolved_by_giver"):
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2020, 1, 1))
    with refused(TransferError, "not_devolved_by_giver"):
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2021, 1, 1))


def test_recall_dated_before_a_recall_already_scheduled_refused(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2030, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2025, 1, 1))


def test_recall_dated_before_further_devolution_refused(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.district, tree.street, D(2019, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2018, 1, 1))


def test_recall_when_further_recall_is_scheduled_later(tree, make_item):
    """The district will take the item back from the street in 2030; the city recalls the district in 2025.

    The street must not keep the item from 2025 to 2030 on a source that has ended: either the recall is
    refused (nothing written) or the street's exercise ends with it.
    """
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    devolve(item, tree.district, tree.street, D(2018, 1, 1))
    services.recall(item=item, giver=tree.district, receiver=tree.street, effective_on=D(2030, 1, 1))
    with refused(Conflict, "later_change_scheduled"):
        services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2025, 1, 1))
    assert item_ids(tree.street, D(2026, 1, 1)) == {item.pk}


def test_future_recall_takes_effect_on_its_date(tree, make_item):
    today = timezone.localdate()
    later = today + datetime.timedelta(days=10)
    item = make_item()
    devolve(item, tree.city, tree.district, DAY)
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=later)
    assert item_ids(tree.district) == {item.pk}
    assert item_ids(tree.district, later - datetime.timedelta(days=1)) == {item.pk}
    assert item_ids(tree.district, later) == set()
    assert arrangements(tree.city, today) == {item.pk: Arrangement.DEVOLVED_OUT}
    assert arrangements(tree.city, later) == {item.pk: Arrangement.RETAINED}
