"""The database's own guards, behind the services: written here with the ORM directly, on purpose."""
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from powerlists.models import Exercise, Government, PowerItem, Role, Transfer, TransferParty

from .helpers import D

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints are PostgreSQL's")


def row(item, government, valid_from, valid_to=None, role=Role.HOLDER, **kwargs):
    return Exercise(item=item, government=government, role=role, valid_from=valid_from, valid_to=valid_to, **kwargs)


def assert_refused_by_database(obj_or_callable):
    with pytest.raises(IntegrityError), transaction.atomic():
        if callable(obj_or_callable):
            obj_or_callable()
        else:
            obj_or_callable.save()


# --- never two exercises of one item in one government at once -----------------------------------


def test_two_open_rows_refused_on_every_database(tree, make_item):
    item = make_item(holder_from=None)
    row(item, tree.city, D(2016, 1, 1)).save()
    assert_refused_by_database(row(item, tree.city, D(2018, 1, 1)))
    assert Exercise.objects.filter(item=item).count() == 1


def test_open_rows_in_different_governments_or_items_allowed(tree, make_item):
    item, other = make_item(holder_from=None), make_item(holder_from=None)
    row(item, tree.city, D(2016, 1, 1)).save()
    row(other, tree.city, D(2016, 1, 1)).save()
    first = Exercise.objects.get(item=item)
    row(item, tree.district, D(2016, 1, 1), role=Role.RECEIVER, source=first).save()
    assert Exercise.objects.filter(valid_to__isnull=True).count() == 3


def test_closed_then_open_allowed(tree, make_item):
    item = make_item(holder_from=None)
    row(item, tree.city, D(2016, 1, 1), D(2018, 1, 1)).save()
    row(item, tree.city, D(2018, 1, 1)).save()  # adjacent, not overlapping: [2016, 2018) then [2018, …)
    row(item, tree.city, D(2010, 1, 1), D(2016, 1, 1)).save()
    assert Exercise.objects.filter(item=item).count() == 3


@postgres_only
def test_overlapping_closed_ranges_refused_on_postgresql(tree, make_item):
    item = make_item(holder_from=None)
    row(item, tree.city, D(2016, 1, 1), D(2020, 1, 1)).save()
    assert_refused_by_database(row(item, tree.city, D(2018, 1, 1), D(2022, 1, 1)))
    assert_refused_by_database(row(item, tree.city, D(2015, 1, 1), D(2016, 1, 2)))
    assert_refused_by_database(row(item, tree.city, D(2017, 1, 1), D(2018, 1, 1)))  # inside
    assert Exercise.objects.filter(item=item).count() == 1


@postgres_only
def test_open_row_overlapping_a_closed_one_refused_on_postgresql(tree, make_item):
    item = make_item(holder_from=None)
    row(item, tree.city, D(2016, 1, 1), D(2020, 1, 1)).save()
    assert_refused_by_database(row(item, tree.city, D(2019, 1, 1)))
    assert_refused_by_database(row(item, tree.city, D(2010, 1, 1)))
    row(item, tree.city, D(2020, 1, 1)).save()
    assert Exercise.objects.filter(item=item).count() == 2


@postgres_only
def test_closing_a_row_into_an_overlap_refused_on_postgresql(tree, make_item):
    item = make_item(holder_from=None)
    row(item, tree.city, D(2016, 1, 1), D(2018, 1, 1)).save()
    later = row(item, tree.city, D(2020, 1, 1))
    later.save()
    # Moving the later row back so that it overlaps the first one.
    assert_refused_by_database(lambda: Exercise.objects.filter(pk=later.pk).update(valid_from=D(2017, 1, 1)))
    later.refresh_from_db()
    assert later.valid_from == D(2020, 1, 1)


# --- check constraints of exercise rows -----------------------------------------------------------


def test_exercise_check_constraints(tree, make_item):
    item = make_item(holder_from=None)
    holder = row(item, tree.city, D(2016, 1, 1))
    holder.save()
    # An empty or reversed range.
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), D(2018, 1, 1), role=Role.RECEIVER,
                                   source=holder))
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), D(2017, 1, 1), role=Role.RECEIVER,
                                   source=holder))
    # A receiver needs a source.
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), role=Role.RECEIVER))
    # A fiscal share only on a shared role, and always on one.
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), role=Role.RECEIVER, source=holder,
                                   fiscal_share=Decimal("10")))
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), role=Role.LEAD, shared_by=tree.city))
    # A shared role needs its sharer.
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), role=Role.LEAD, fiscal_share=Decimal("50")))
    # A fiscal share is a percentage.
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), role=Role.LEAD, shared_by=tree.city,
                                   fiscal_share=Decimal("100.01")))
    assert_refused_by_database(row(item, tree.district, D(2018, 1, 1), role=Role.LEAD, shared_by=tree.city,
                                   fiscal_share=Decimal("-1")))
    # closed_by only on a closed row.
    t = Transfer.objects.create(kind="cancel", item=item, giver=tree.city, effective_on=D(2018, 1, 1))
    assert_refused_by_database(row(item, tree.district2, D(2018, 1, 1), closed_by=t))
    assert Exercise.objects.filter(item=item).count() == 1
    row(item, tree.district, D(2018, 1, 1), role=Role.LEAD, shared_by=tree.city, fiscal_share=Decimal("100")).save()


# --- items, transfers, parties, governments -------------------------------------------------------


def test_item_constraints(tree, make_item):
    item = make_item(code="DUP")

    def copy(**values):
        data = {"government": tree.city, "code": "NEW", "name": "名称", "category": "licensing", **values}
        return PowerItem(**data)

    assert_refused_by_database(copy(code="DUP"))
    assert_refused_by_database(copy(name=""))
    assert_refused_by_database(copy(code=""))
    assert_refused_by_database(copy(statutory_days=5, promised_days=6))
    assert_refused_by_database(copy(lowest_tier=6))
    # A replaced version keeps its code alongside the current one.
    PowerItem.objects.filter(pk=item.pk).update(replaced_on=D(2020, 1, 1))
    copy(code="DUP").save()
    assert PowerItem.objects.filter(code="DUP").count() == 2


def test_transfer_and_party_constraints(tree, make_item):
    item = make_item()
    assert_refused_by_database(Transfer(kind="devolve", item=item, giver=tree.city, effective_on=D(2018, 1, 1)))
    assert_refused_by_database(Transfer(kind="cancel", item=item, giver=tree.city, receiver=tree.district,
                                        effective_on=D(2018, 1, 1)))
    t = Transfer.objects.create(kind="share", item=item, giver=tree.city, effective_on=D(2018, 1, 1))
    TransferParty.objects.create(transfer=t, government=tree.district, role="lead", fiscal_share=Decimal("50"))
    assert_refused_by_database(TransferParty(transfer=t, government=tree.district, role="support",
                                             fiscal_share=Decimal("50")))
    assert_refused_by_database(TransferParty(transfer=t, government=tree.district2, role="support",
                                             fiscal_share=Decimal("101")))
    assert TransferParty.objects.filter(transfer=t).count() == 1


def test_government_constraints(tree):
    assert_refused_by_database(Government(code="X9", name="坏层级", tier=6, path="/X9/", depth=0))
    assert_refused_by_database(Government(code="X8", name="无深度", tier=3, parent=tree.city, path="/X8/", depth=0))
    assert_refused_by_database(Government(code="2301", name="重复", tier=2, path="/2301b/", depth=0))
