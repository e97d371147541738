"""The database connection dies in the middle of a batch: nothing is written, the client gets a 503 telling
it to check before retrying, and the retry succeeds.

On PostgreSQL the connection is really killed: a second connection calls ``pg_terminate_backend`` on the
request's server process after the third new exercise row of the batch, and waits until it is gone. On
SQLite, which has no server to kill, the driver's own error (``OperationalError``) is raised at the same
point. The test is transactional, so what the batch wrote before the fault was really sent to the
database and only the database's rollback takes it away.
"""
import datetime
import time

import pytest
from django.db import OperationalError, connection

from powerlists import audit_chain, queries
from powerlists.models import Batch, BatchState, Transfer, TransferState
from powerlists.services import workflow

from .helpers import client_for, db_state

D = datetime.date
DAY = D(2017, 3, 1)

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate_from_outside(pid: int) -> None:
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(dbname=settings["NAME"], user=settings["USER"] or None, host=settings["HOST"] or None,
                         port=settings["PORT"] or None, password=settings["PASSWORD"] or None,
                         autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
        deadline = time.monotonic() + 10
        while other.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]:
            assert time.monotonic() < deadline, "the server process did not end"
            time.sleep(0.05)


class ConnectionKiller:
    """An execute wrapper that kills the connection just before the ``after``-th INSERT of an exercise row."""

    def __init__(self, after: int):
        self.after, self.inserts, self.killed = after, 0, False

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith('INSERT INTO "POWERLISTS_EXERCISE"'):
            self.inserts += 1
            if self.inserts == self.after and not self.killed:
                self.killed = True
                if connection.vendor == "postgresql":
                    _terminate_from_outside(connection.connection.info.backend_pid)
                else:
                    raise OperationalError("disk I/O error: the database connection was lost (injected)")
        return execute(sql, params, many, context)


@pytest.fixture
def ready_batch(people, tree, make_item):
    batch = workflow.create_batch(actor=people.city_editor, issuer=tree.city, title="关于向各区下放事权的决定",
                                  number="哈尔滨市人民政府令第9号", effective_on=DAY, issued_on=D(2017, 2, 15))
    transfers = []
    for _ in range(5):
        t = workflow.propose(actor=people.city_editor, kind="devolve", item=make_item(), giver=tree.city,
                             receiver=tree.district, effective_on=DAY, batch=batch)
        transfers.append(workflow.submit(t, actor=people.city_editor))
    workflow.approve_batch(batch, actor=people.city_reviewer)
    for t in transfers:
        workflow.accept(t, actor=people.district_reviewer, receiving_department=tree.district_dept)
    return batch, transfers


def test_killed_connection_mid_batch_writes_nothing_and_the_retry_succeeds(people, tree, ready_batch):
    batch, transfers = ready_batch
    before = db_state()
    chain_before = audit_chain.verify()
    assert chain_before.ok
    client = client_for(people.city_reviewer)
    killer = ConnectionKiller(after=3)

    with connection.execute_wrapper(killer):
        response = client.post(f"/api/v1/batches/{batch.pk}/effect/", {"comment": "印发"}, format="json",
                               HTTP_ACCEPT_LANGUAGE="en")

    assert killer.killed and killer.inserts == 3
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "database_unavailable"
    assert "saved whole or not at all" in response.json()["message"]
    assert response["Retry-After"] == "5"

    connection.close()  # the test client does not recycle a broken connection between requests
    assert db_state() == before
    assert Batch.objects.get(pk=batch.pk).state == BatchState.APPROVED
    assert {Transfer.objects.get(pk=t.pk).state for t in transfers} == {TransferState.ACCEPTED}
    assert queries.power_list(tree.district, DAY) == []
    after = audit_chain.verify()
    assert after.ok and after.events == chain_before.events

    retry = client.post(f"/api/v1/batches/{batch.pk}/effect/", {"comment": "印发"}, format="json")
    assert retry.status_code == 200, retry.content
    assert retry.json()["state"] == "effective"
    assert len(queries.power_list(tree.district, DAY)) == 5
    assert audit_chain.verify().ok


def test_killed_connection_in_the_service_leaves_the_batch_as_it_was(people, tree, ready_batch):
    batch, transfers = ready_batch
    before = db_state()
    with connection.execute_wrapper(ConnectionKiller(after=2)), pytest.raises(OperationalError):
        workflow.effect_batch(batch, actor=people.city_reviewer)
    connection.close()
    assert db_state() == before
    workflow.effect_batch(Batch.objects.get(pk=batch.pk), actor=people.city_reviewer)
    assert len(queries.power_list(tree.district, DAY)) == 5


def test_a_page_whose_database_is_gone_says_so_in_both_languages(tree):
    from django.test import Client

    def broken(execute, sql, params, many, context):
        raise OperationalError("server closed the connection unexpectedly (injected)")

    with connection.execute_wrapper(broken):
        response = Client().get(f"/g/{tree.city.code}/")
    assert response.status_code == 503
    text = response.content.decode()
    assert "数据库暂时不可用，请稍后重试" in text and "The database is unavailable for a moment. Please try again" in text
    assert response["Retry-After"] == "5"

