"""TRUNCATE cannot empty the history (PostgreSQL; migration 0011): row triggers do not see a TRUNCATE, so
every table of the lists and their history has a statement-level BEFORE TRUNCATE trigger that refuses it,
with or without CASCADE, and whichever table a cascade starts from."""
import importlib

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from powerlists import audit_chain, services
from powerlists.models import AuditEvent, Exercise, PowerItem, Transfer

from .helpers import devolve

guard = importlib.import_module("powerlists.migrations.0011_history_truncate_guard")
D = __import__("datetime").date

postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite has no TRUNCATE")


@pytest.fixture
def history(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2018, 1, 1))
    audit_chain.seal_pending()
    return item


def _counts():
    with connection.cursor() as cursor:
        counts = {}
        for table in guard.TABLES:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def _refused(sql):
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    return str(info.value)


# The history committed, each TRUNCATE in a transaction of its own, as someone at the database would.
@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cascade", ["", " CASCADE"])
def test_truncate_of_any_history_table_is_refused_and_the_history_stays(history, cascade):
    before = _counts()
    assert before["powerlists_auditevent"] > 0 and before["powerlists_exercise"] > 0
    head = audit_chain.head()
    for table in guard.TABLES:
        message = _refused(f'TRUNCATE "{table}"{cascade}')
        # Without CASCADE a table other tables refer to is refused for that first; the guard refuses the rest.
        assert "cannot be truncated" in message or (not cascade and "foreign key" in message), (table, message)
    assert "cannot be truncated" in _refused(f"TRUNCATE powerlists_auditevent{cascade}")
    assert _refused(f"TRUNCATE {', '.join(guard.TABLES)}{cascade}")  # all at once
    assert _counts() == before
    assert audit_chain.head() == head
    result = audit_chain.verify()
    assert result.ok and result.events == before["powerlists_auditevent"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_cascade_from_another_table_that_reaches_the_history_is_refused(history):
    """The users (audit events name them) and the governments (everything hangs on them)."""
    before = _counts()
    for table in ("accounts_user", "powerlists_government", "powerlists_tag"):
        assert "cannot be truncated" in _refused(f'TRUNCATE "{table}" CASCADE')
    assert _counts() == before and AuditEvent.objects.count() == before["powerlists_auditevent"]


@postgresql_only
def test_only_the_history_is_guarded(db):
    """Idempotency records (kept a day) are not history: TRUNCATE still empties them."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE powerlists_idempotencyrecord")


@pytest.mark.django_db(transaction=True)
def test_the_test_suites_flush_lifts_the_guard_for_itself_only(tree, make_item):
    """Tests that commit are cleaned by Django's flush (TRUNCATE on PostgreSQL): tests/conftest.py lifts
    the guard around it, in its transaction, and the guard is back after."""
    item = make_item()
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    assert AuditEvent.objects.exists() and Transfer.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not Exercise.objects.exists() and not PowerItem.objects.exists()
    if connection.vendor == "postgresql":
        assert "cannot be truncated" in _refused("TRUNCATE powerlists_auditevent CASCADE")
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM pg_trigger WHERE tgname = %s AND tgenabled = 'O'", [guard.TRIGGER])
            assert cursor.fetchone()[0] >= len(guard.TABLES)


# A table of list data made after migration 0011 needs ``guard.guard_sql(table)`` in a migration of its
# own (0013 guards 0012's): a new table of the product fails the test below until it is guarded.
NOT_HISTORY = {"powerlists_idempotencyrecord",  # kept a day, then deleted
               "powerlists_importmapping"}  # a setting of the import (its changes are audited), replaced in place


@postgresql_only
def test_every_table_of_the_product_is_guarded_or_named(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                       "AND tablename LIKE 'powerlists\\_%%'")
        tables = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [guard.TRIGGER])
        guarded = {row[0].strip('"') for row in cursor.fetchall()}
    assert set(guard.TABLES) <= guarded
    assert tables - guarded - NOT_HISTORY == set(), tables - guarded - NOT_HISTORY
