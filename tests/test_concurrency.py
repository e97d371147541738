"""Races end in exactly one outcome: real concurrent transactions on PostgreSQL (threads, own connections)."""
import datetime
import threading
import time
from unittest import mock

import pytest
from django.db import connection, connections

from powerlists import queries, services
from powerlists.models import AuditEvent, Exercise, Transfer, TransferState
from powerlists.services import Conflict, DomainError, workflow

D = datetime.date
DAY = D(2017, 3, 1)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are proven on PostgreSQL"),
]


def race(*calls, stagger: float = 0.0):
    """Run ``calls`` in threads released together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            if index:
                time.sleep(stagger * index)
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def submitted(people, tree, item, batch=None):
    t = workflow.propose(actor=people.city_editor, kind="devolve", item=item, giver=tree.city,
                         receiver=tree.district, effective_on=DAY, batch=batch)
    return workflow.submit(t, actor=people.city_editor)


def test_two_reviewers_approve_at_once_one_wins(people, tree, make_item):
    t = submitted(people, tree, make_item())
    results = race(lambda: workflow.approve(t, actor=people.city_reviewer),
                   lambda: workflow.approve(t, actor=people.city_reviewer2))
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], Conflict), results
    assert errors[0].code == "invalid_state" and errors[0].status == 409
    assert Transfer.objects.get(pk=t.pk).state == TransferState.APPROVED
    assert AuditEvent.objects.filter(transfer=t, action="workflow.approve").count() == 1


def test_two_acceptances_at_once_never_double_the_exercise(people, tree, make_item, django_user_model):
    from accounts.models import Membership
    second = django_user_model.objects.create_user("district_reviewer2")
    Membership.objects.create(user=second, government=tree.district, role="reviewer")
    t = submitted(people, tree, make_item())
    workflow.approve(t, actor=people.city_reviewer)
    results = race(
        lambda: workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept),
        lambda: workflow.accept(t, actor=second, receiving_department=tree.district_dept),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert Exercise.objects.filter(item=t.item, government=tree.district).count() == 1
    assert Transfer.objects.get(pk=t.pk).state == TransferState.EFFECTIVE


def test_two_direct_devolutions_of_one_item_at_once(tree, make_item):
    item = make_item()
    results = race(
        lambda: services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=DAY),
        lambda: services.devolve(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2017, 4, 1)),
    )
    assert sum(isinstance(r, DomainError) for r in results) == 1, results
    assert Exercise.objects.filter(item=item, government=tree.district).count() == 1


def test_batch_taking_effect_while_a_transfer_is_withdrawn(people, tree, make_item):
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="第一批", effective_on=DAY)
    ts = [submitted(people, tree, make_item(), batch=batch) for _ in range(3)]
    workflow.approve_batch(batch, actor=people.city_reviewer)
    for t in ts:
        workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)

    from powerlists.services import transfers as transfer_service
    real_write = transfer_service._write

    def slow_write(*args, **kwargs):  # widen the window in which the withdrawal arrives
        time.sleep(0.2)
        return real_write(*args, **kwargs)

    with mock.patch.object(transfer_service, "_write", slow_write):
        results = race(lambda: workflow.effect_batch(batch, actor=people.city_reviewer),
                       lambda: workflow.withdraw(ts[1], actor=people.city_editor), stagger=0.1)
    effect, withdrawal = results
    states = {t.pk: Transfer.objects.get(pk=t.pk).state for t in ts}
    listed = {r["item_id"] for r in queries.power_list(tree.district, DAY)}
    if isinstance(withdrawal, Exception):  # the batch won: all three in force
        assert isinstance(withdrawal, Conflict) and not isinstance(effect, Exception)
        assert set(states.values()) == {TransferState.EFFECTIVE}
        assert listed == {t.item_id for t in ts}
    else:  # the withdrawal won: the batch took effect without it
        assert not isinstance(effect, Exception)
        assert states[ts[1].pk] == TransferState.WITHDRAWN
        assert listed == {ts[0].item_id, ts[2].item_id}
    assert Exercise.objects.filter(government=tree.district).count() == len(listed)
