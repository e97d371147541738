"""Shared powers (共有事权): one lead, parties inside the sharer's territory, fiscal shares adding to 100%."""
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from powerlists import services
from powerlists.models import Arrangement, Exercise, Role, Tier, TransferParty
from powerlists.services import Conflict, InvalidInput, Party, TransferError

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

DAY = D(2018, 1, 1)
LEAD, SUPPORT = Role.LEAD, Role.SUPPORT


def share(item, sharer, parties, day=DAY, **kwargs):
    return services.share(item=item, sharer=sharer, parties=parties, effective_on=day, **kwargs)


def end_share(item, sharer, day):
    return services.recall(item=item, giver=sharer, receiver=None, effective_on=day)


@pytest.fixture
def district_item(tree, make_item):
    return make_item(government=tree.district)


def test_share_with_sharer_as_lead(tree, district_item):
    item = district_item
    history = lists_of([tree.district, tree.street], [D(2016, 1, 1), D(2017, 12, 31)])
    rows = exercise_rows()
    mark = max_event_id()
    t = share(item, tree.district, [Party(tree.district, LEAD, "60"), Party(tree.street, SUPPORT, 40)],
              reason="1+X 共有事权")
    assert lists_of([tree.district, tree.street], [D(2016, 1, 1), D(2017, 12, 31)]) == history
    assert_history_kept(rows, DAY)
    holder = Exercise.objects.get(item=item, government=tree.district, role=Role.HOLDER)
    assert (holder.valid_to, holder.closed_by) == (DAY, t)
    lead = Exercise.objects.get(item=item, government=tree.district, role=LEAD)
    support = Exercise.objects.get(item=item, government=tree.street, role=SUPPORT)
    assert (lead.fiscal_share, lead.shared_by, lead.valid_from, lead.valid_to) == (
        Decimal("60.00"), tree.district, DAY, None)
    assert (support.fiscal_share, support.shared_by, support.valid_from) == (Decimal("40.00"), tree.district, DAY)
    assert sorted(TransferParty.objects.filter(transfer=t).values_list("government__code", "role", "fiscal_share")) == [
        ("230102", "lead", Decimal("60.00")), ("230102001", "support", Decimal("40.00"))]
    assert arrangements(tree.district, DAY) == {item.pk: Arrangement.SHARED_LEAD}
    assert arrangements(tree.street, DAY) == {item.pk: Arrangement.SHARED_SUPPORT}
    assert arrangements(tree.district, DAY - datetime.timedelta(1)) == {item.pk: Arrangement.RETAINED}
    assert item_ids(tree.street, DAY - datetime.timedelta(1)) == set()
    event = assert_one_new_event(mark, "transfer.share")
    assert event.transfer == t and event.item == item and event.reason == "1+X 共有事权"
    assert [(p["government"], p["role"], Decimal(p["fiscal_share"])) for p in event.after["parties"]] == [
        ("230102", "lead", Decimal(60)), ("230102001", "support", Decimal(40))]
    assert [r["id"] for r in event.after["closed"]] == [holder.pk]
    assert {r["government_id"] for r in event.after["opened"]} == {tree.district.pk, tree.street.pk}


def test_share_between_lower_governments_only(tree, make_item):
    item = make_item()
    share(item, tree.city, [Party(tree.district2, LEAD, 70), Party(tree.district, SUPPORT, 30)])
    assert Exercise.objects.get(item=item, government=tree.city).valid_to is None
    assert arrangements(tree.city, DAY) == {item.pk: Arrangement.SHARED_OUT}
    assert arrangements(tree.district2, DAY) == {item.pk: Arrangement.SHARED_LEAD}
    assert arrangements(tree.district, DAY) == {item.pk: Arrangement.SHARED_SUPPORT}


def test_shares_with_decimals_add_to_exactly_100(tree, district_item):
    parties = [Party(tree.district, LEAD, "33.34"), Party(tree.street, SUPPORT, Decimal("33.33")),
               Party(tree.community, SUPPORT, "33.33")]
    share(district_item, tree.district, parties)
    assert Exercise.objects.filter(item=district_item, valid_to__isnull=True).count() == 3


@pytest.mark.parametrize("shares", [("60", "39.99"), ("60", "40.01"), ("50", "50.01"), (0, 0)])
def test_shares_must_add_to_100(tree, district_item, shares):
    a, b = shares
    with refused(TransferError, "shares_not_100") as info:
        share(district_item, tree.district, [Party(tree.district, LEAD, a), Party(tree.street, SUPPORT, b)])
    assert "100" in info.value.message("en")


def test_share_of_9999_and_10001_refused(tree, district_item):
    with refused(TransferError, "shares_not_100") as info:
        share(district_item, tree.district, [Party(tree.district, LEAD, "59.99"), Party(tree.street, SUPPORT, 40)])
    assert info.value.details["total"] == "99.99"
    with refused(TransferError, "shares_not_100") as info:
        share(district_item, tree.district, [Party(tree.district, LEAD, "60.01"), Party(tree.street, SUPPORT, 40)])
    assert info.value.details["total"] == "100.01"


def test_exactly_one_lead(tree, district_item):
    with refused(TransferError, "share_needs_one_lead") as info:
        share(district_item, tree.district, [Party(tree.district, LEAD, 50), Party(tree.street, LEAD, 50)])
    assert info.value.details["leads"] == 2
    with refused(TransferError, "share_needs_one_lead") as info:
        share(district_item, tree.district, [Party(tree.district, SUPPORT, 50), Party(tree.street, SUPPORT, 50)])
    assert info.value.details["leads"] == 0


def test_at_least_two_parties(tree, district_item):
    with refused(InvalidInput, "share_needs_parties"):
        share(district_item, tree.district, [Party(tree.district, LEAD, 100)])
    with refused(InvalidInput, "share_needs_parties"):
        share(district_item, tree.district, [])


def test_duplicate_party(tree, district_item):
    with refused(InvalidInput, "duplicate_party"):
        share(district_item, tree.district, [Party(tree.street, LEAD, 50), Party(tree.street, SUPPORT, 50)])


@pytest.mark.parametrize("outsider", ["street2", "district2", "city", "other_city"])
def test_parties_inside_sharer_territory(tree, district_item, outsider):
    with refused(TransferError, "party_outside_territory"):
        share(district_item, tree.district, [Party(tree.district, LEAD, 50),
                                             Party(getattr(tree, outsider), SUPPORT, 50)])


@pytest.mark.parametrize("value", ["33.333", "-1", "100.5", "abc", "NaN"])
def test_fiscal_share_value(tree, district_item, value):
    with refused(InvalidInput, "invalid_fiscal_share"):
        share(district_item, tree.district, [Party(tree.district, LEAD, value), Party(tree.street, SUPPORT, 50)])


def test_party_role(tree, district_item):
    with refused(InvalidInput, "invalid_share_role"):
        share(district_item, tree.district, [Party(tree.district, LEAD, 50), Party(tree.street, Role.HOLDER, 50)])


def test_party_department_belongs_to_party(tree, district_item):
    with refused(TransferError, "department_not_of_party"):
        share(district_item, tree.district, [Party(tree.district, LEAD, 50, tree.street_dept),
                                             Party(tree.street, SUPPORT, 50)])
    share(district_item, tree.district, [Party(tree.district, LEAD, 50, tree.district_dept),
                                         Party(tree.street, SUPPORT, 50, tree.street_dept)])
    assert Exercise.objects.get(item=district_item, government=tree.street).department == tree.street_dept


def test_party_below_lowest_tier(tree, make_item):
    item = make_item(government=tree.district, lowest_tier=Tier.COUNTY)
    with refused(TransferError, "below_lowest_tier"):
        share(item, tree.district, [Party(tree.district, LEAD, 50), Party(tree.street, SUPPORT, 50)])


def test_sharer_must_hold_the_item(tree, make_item):
    item = make_item()
    with refused(TransferError, "sharer_not_holder"):  # the district does not exercise it at all
        share(item, tree.district, [Party(tree.district, LEAD, 50), Party(tree.street, SUPPORT, 50)])
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    with refused(TransferError, "sharer_not_holder"):  # a receiver cannot share what it received
        share(item, tree.district, [Party(tree.district, LEAD, 50), Party(tree.street, SUPPORT, 50)])
    with refused(TransferError, "sharer_not_holder"):  # before the holder's exercise began
        share(item, tree.city, [Party(tree.city, LEAD, 50), Party(tree.district2, SUPPORT, 50)], D(2015, 1, 1))


def test_devolved_item_cannot_be_shared_until_recalled(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    with refused(TransferError, "item_devolved_out"):
        share(item, tree.city, [Party(tree.city, LEAD, 50), Party(tree.district2, SUPPORT, 50)])
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 6, 1))
    share(item, tree.city, [Party(tree.city, LEAD, 50), Party(tree.district2, SUPPORT, 50)])
    assert arrangements(tree.city, DAY) == {item.pk: Arrangement.SHARED_LEAD}


def test_former_receiver_may_become_a_party_after_its_exercise_ends(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2030, 1, 1))
    with refused(TransferError, "item_devolved_out"):  # still devolved on that date
        share(item, tree.city, [Party(tree.district2, LEAD, 50), Party(tree.district, SUPPORT, 50)], D(2029, 1, 1))
    share(item, tree.city, [Party(tree.district2, LEAD, 50), Party(tree.district, SUPPORT, 50)], D(2031, 1, 1))
    assert arrangements(tree.district, D(2029, 1, 1)) == {item.pk: Arrangement.RECEIVED}
    assert arrangements(tree.district, D(2030, 6, 1)) == {}
    assert arrangements(tree.district, D(2031, 1, 1)) == {item.pk: Arrangement.SHARED_SUPPORT}


def test_already_shared(tree, make_item):
    item = make_item()
    share(item, tree.city, [Party(tree.district2, LEAD, 50), Party(tree.district, SUPPORT, 50)])
    with refused(TransferError, "already_shared"):
        share(item, tree.city, [Party(tree.district2, LEAD, 50), Party(tree.street2, SUPPORT, 50)], D(2019, 1, 1))


def test_shared_power_cannot_be_devolved(tree, make_item):
    item = make_item()
    share(item, tree.city, [Party(tree.district, LEAD, 50), Party(tree.district2, SUPPORT, 50)])
    with refused(TransferError, "item_is_shared"):  # by the sharer, who still holds it
        devolve(item, tree.city, tree.street2, D(2019, 1, 1))
    with refused(TransferError, "shared_cannot_devolve"):  # by the lead
        devolve(item, tree.district, tree.street, D(2019, 1, 1))


# --- ending a shared arrangement (recall with no receiver) ----------------------------------------


def test_end_share_reopens_sharers_holding(tree, district_item):
    item = district_item
    share(item, tree.district, [Party(tree.district, LEAD, 60), Party(tree.street, SUPPORT, 40)])
    govs = [tree.district, tree.street]
    history = lists_of(govs, [D(2017, 1, 1), DAY, D(2019, 12, 31)])
    rows = exercise_rows()
    mark = max_event_id()
    t = end_share(item, tree.district, D(2020, 1, 1))
    event = assert_one_new_event(mark, "transfer.recall")
    assert event.transfer == t
    assert len(event.after["closed"]) == 2 and len(event.after["opened"]) == 1
    for role in (LEAD, SUPPORT):
        row = Exercise.objects.get(item=item, role=role)
        assert (row.valid_to, row.closed_by) == (D(2020, 1, 1), t)
    holding = Exercise.objects.get(item=item, role=Role.HOLDER, valid_to__isnull=True)
    assert (holding.government, holding.valid_from, holding.transfer) == (tree.district, D(2020, 1, 1), t)
    assert arrangements(tree.district, D(2020, 1, 1)) == {item.pk: Arrangement.RETAINED}
    assert item_ids(tree.street, D(2020, 1, 1)) == set()
    assert lists_of(govs, [D(2017, 1, 1), DAY, D(2019, 12, 31)]) == history
    assert_history_kept(rows, D(2020, 1, 1))


def test_end_share_when_sharer_was_not_a_party(tree, make_item):
    item = make_item()
    share(item, tree.city, [Party(tree.district2, LEAD, 50), Party(tree.district, SUPPORT, 50)])
    end_share(item, tree.city, D(2020, 1, 1))
    assert Exercise.objects.filter(item=item, government=tree.city).count() == 1  # the holding never closed
    assert arrangements(tree.city, D(2020, 1, 1)) == {item.pk: Arrangement.RETAINED}
    assert item_ids(tree.district, D(2020, 1, 1)) == set() == item_ids(tree.district2, D(2020, 1, 1))
    # And the item may be devolved again.
    devolve(item, tree.city, tree.district, D(2021, 1, 1))


def test_end_share_refusals(tree, make_item):
    item = make_item()
    with refused(TransferError, "not_shared"):
        end_share(item, tree.city, D(2020, 1, 1))
    share(item, tree.city, [Party(tree.district2, LEAD, 50), Party(tree.district, SUPPORT, 50)])
    with refused(TransferError, "not_shared"):  # only the sharer ends it
        end_share(item, tree.district2, D(2020, 1, 1))
    with refused(Conflict, "later_change_scheduled"):  # before it began
        end_share(item, tree.city, DAY - datetime.timedelta(1))
    with refused(Conflict, "later_change_scheduled"):  # on the day it began
        end_share(item, tree.city, DAY)
    end_share(item, tree.city, D(2030, 1, 1))
    with refused(Conflict, "later_change_scheduled"):  # an end is already scheduled later
        end_share(item, tree.city, D(2025, 1, 1))


def test_future_share_takes_effect_on_its_date(tree, district_item):
    today = timezone.localdate()
    later = today + datetime.timedelta(days=7)
    share(district_item, tree.district, [Party(tree.district, LEAD, 60), Party(tree.street, SUPPORT, 40)], later)
    assert arrangements(tree.district, today) == {district_item.pk: Arrangement.RETAINED}
    assert item_ids(tree.street, today) == set()
    assert arrangements(tree.district, later) == {district_item.pk: Arrangement.SHARED_LEAD}
    assert arrangements(tree.street, later) == {district_item.pk: Arrangement.SHARED_SUPPORT}
