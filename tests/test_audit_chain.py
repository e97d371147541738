"""The tamper-evident history: a hash chain over the audit events, kept by the database, verified."""
import importlib

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from powerlists import audit_chain, services
from powerlists.models import AuditEvent, Exercise

from .helpers import devolve

triggers = importlib.import_module("powerlists.migrations.0009_audit_chain_triggers")
D = __import__("datetime").date


@pytest.fixture
def history(tree, make_item):
    """A few audited changes, sealed into the chain (on PostgreSQL the seal otherwise waits for commit)."""
    audit_chain.seal_pending()
    item = make_item()
    devolve(item, tree.city, tree.district, D(2017, 1, 1))
    services.recall(item=item, giver=tree.city, receiver=tree.district, effective_on=D(2018, 1, 1))
    return item


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def drop_triggers():
    """What someone with the database's password could do. Rolled back with the test."""
    for sql in triggers.POSTGRESQL_DROP if connection.vendor == "postgresql" else triggers.SQLITE_DROP:
        raw(sql)


def test_every_event_is_sealed_into_one_chain_that_verifies(history):
    events = list(AuditEvent.objects.order_by("seq"))
    assert events and all(e.seq is not None and e.hash and e.content_hash for e in events)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = audit_chain.verify()
    assert result.ok and result.events == len(events)
    assert audit_chain.events_verify(AuditEvent.objects.filter(item=history))


def _in_savepoint(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic():
        raw(sql, params)


def test_the_database_refuses_to_change_or_remove_history(history):
    event = AuditEvent.objects.order_by("seq").last()
    _in_savepoint("UPDATE powerlists_auditevent SET reason = 'x' WHERE id = %s", [event.pk])
    _in_savepoint("DELETE FROM powerlists_auditevent WHERE id = %s", [event.pk])
    closed = Exercise.objects.filter(valid_to__isnull=False).first()
    assert closed is not None
    _in_savepoint("UPDATE powerlists_exercise SET valid_to = %s WHERE id = %s", [D(2030, 1, 1), closed.pk])
    _in_savepoint("DELETE FROM powerlists_exercise WHERE id = %s", [closed.pk])
    with pytest.raises(DatabaseError), transaction.atomic():  # through the ORM too
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert audit_chain.verify().ok


def test_an_altered_event_is_caught(history):
    victim = AuditEvent.objects.order_by("seq")[1]
    drop_triggers()
    raw("UPDATE powerlists_auditevent SET reason = 'rewritten' WHERE id = %s", [victim.pk])
    problem = audit_chain.verify().problem
    assert problem.kind == "altered" and problem.seq == victim.seq and problem.event_id == victim.pk
    assert not audit_chain.events_verify(AuditEvent.objects.filter(pk=victim.pk))


def test_a_removed_event_is_caught(history):
    victim = AuditEvent.objects.order_by("seq")[1]
    drop_triggers()
    raw("DELETE FROM powerlists_auditevent WHERE id = %s", [victim.pk])
    problem = audit_chain.verify().problem
    assert problem.kind == "removed" and problem.seq == victim.seq + 1


def test_an_event_inserted_behind_the_applications_back_is_caught(history):
    last = AuditEvent.objects.order_by("seq").last()
    drop_triggers()
    # A forger who knows the formula links the row properly, but cannot sign its content.
    forged = "0" * 64
    link = audit_chain.link_hash(last.seq + 1, last.hash, forged)
    raw("INSERT INTO powerlists_auditevent (at, actor_name, action, object_type, object_id, reason, content_hash, "
        "seq, prev_hash, hash) VALUES (%s, 'mallory', 'transfer.devolve', 'transfer', '1', '', %s, %s, %s, %s)",
        [last.at, forged, last.seq + 1, last.hash, link])
    problem = audit_chain.verify().problem
    assert problem.kind == "altered" and problem.seq == last.seq + 1


def test_an_unchained_event_is_caught(history):
    drop_triggers()
    raw("INSERT INTO powerlists_auditevent (at, actor_name, action, object_type, object_id, reason, content_hash) "
        "VALUES (CURRENT_TIMESTAMP, 'mallory', 'transfer.devolve', 'transfer', '1', '', '')")
    problem = audit_chain.verify().problem
    assert problem.kind == "inserted" and problem.seq is None


def test_verifyaudit_reports_and_exits_non_zero(history, capsys):
    call_command("verifyaudit", "--no-progress")
    assert "verifies" in capsys.readouterr().out
    victim = AuditEvent.objects.order_by("seq")[0]
    drop_triggers()
    raw("UPDATE powerlists_auditevent SET actor_name = 'someone else' WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError) as info:
        call_command("verifyaudit", "--no-progress")
    assert info.value.returncode == 1 and f"event id {victim.pk}" in str(info.value)


def test_an_items_history_shows_that_it_verifies(history, api, client):
    body = api.get(f"/api/v1/items/{history.pk}/history/").json()
    assert body["verified"] is True
    page = client.get(f"/items/{history.pk}/").content.decode()
    assert "history-verified" in page
    victim = AuditEvent.objects.filter(item=history).order_by("seq").first()
    drop_triggers()
    raw("UPDATE powerlists_auditevent SET reason = 'rewritten' WHERE id = %s", [victim.pk])
    assert api.get(f"/api/v1/items/{history.pk}/history/").json()["verified"] is False
    assert "history-not-verified" in client.get(f"/items/{history.pk}/").content.decode()
