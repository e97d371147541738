"""The tamper-evident history: a hash chain over the audit events, kept by the database, verified."""
import datetime
import importlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from powerlists import audit_chain, audit_checkpoints, backup, services
from powerlists.models import AuditEvent, Exercise

from .helpers import client_for, devolve

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


# --- removing the newest events: heads kept outside the database ------------------------------------------
# Removing the newest events leaves no gap: the chain that remains verifies on its own. What shows it is a
# head kept elsewhere — given to verifyaudit --head, published at /api/v1/audit/head/, in every backup's
# manifest, and signed into the checkpoint files (powerlists/audit_checkpoints.py).

NEW_ITEM = {"government": "2301", "code": "CP01", "name": "检查点事项", "category": "licensing", "field": "规划建设",
            "holder_from": "2016-01-01"}


def remove_newest(count):
    """Delete the newest ``count`` events behind the application's back (triggers dropped first)."""
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    drop_triggers()
    raw("DELETE FROM powerlists_auditevent WHERE seq > %s", [last - count])
    return last - count


def more_history(tree, make_item):
    item = make_item()
    devolve(item, tree.city, tree.district, D(2019, 1, 1))
    audit_chain.seal_pending()


def verifyaudit(*args):
    call_command("verifyaudit", "--no-progress", *args)


@pytest.fixture
def checkpoints(settings, tmp_path):
    """Checkpoints into this test's own directory, after every request that may write."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    settings.AUDIT_CHECKPOINT_INTERVAL = 0
    settings.AUDIT_CHECKPOINT_AFTER_REQUESTS = True
    return settings.AUDIT_CHECKPOINT_DIR


def checkpoint_lines(directory):
    files = list(directory.glob("*.jsonl"))
    assert len(files) == 1, files
    return [json.loads(line) for line in files[0].read_text().splitlines()]


def test_the_head_is_public_in_the_api_and_in_every_backup(history, api, tmp_path):
    last = AuditEvent.objects.order_by("-seq").first()
    response = api.get("/api/v1/audit/head/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-cache"
    body = response.json()
    assert body["seq"] == last.seq and body["hash"] == last.hash
    assert datetime.datetime.fromisoformat(body["at"]) == last.at
    assert body == audit_chain.head()
    manifest = backup.write(tmp_path / "b.jsonl.gz")
    assert manifest["chain_head"] == {"seq": last.seq, "hash": last.hash}
    assert backup.read_manifest(tmp_path / "b.jsonl.gz")["chain_head"] == manifest["chain_head"]


def test_the_head_of_an_empty_chain(db, api):
    assert api.get("/api/v1/audit/head/").json() == {"seq": 0, "hash": "", "at": None}


def test_verifyaudit_head_catches_the_newest_events_removed(history, tree, make_item, api, capsys):
    kept = api.get("/api/v1/audit/head/").json()  # as anyone could keep it
    verifyaudit("--head", kept["hash"])
    verifyaudit("--head", f"{kept['seq']}:{kept['hash']}")
    more_history(tree, make_item)  # the chain grows: it still holds the head kept
    verifyaudit("--head", kept["hash"], "--head", f"{kept['seq']}:{kept['hash']}")
    assert "2 heads given" in capsys.readouterr().out
    now = audit_chain.head()

    left = remove_newest(2)
    assert audit_chain.verify().ok  # the chain that remains verifies on its own: why a head is kept elsewhere
    with pytest.raises(CommandError) as info:
        verifyaudit("--head", f"{now['seq']}:{now['hash']}")
    assert info.value.returncode == 1
    assert f"Audit events #{left + 1} to #{now['seq']} are missing" in str(info.value)
    assert f"第{left + 1}至{now['seq']}条审计事件缺失" in str(info.value)
    with pytest.raises(CommandError) as info:
        verifyaudit("--head", now["hash"])
    assert f"does not hold the hash {now['hash']}" in str(info.value) and f"ends at #{left}" in str(info.value)
    verifyaudit("--head", kept["hash"])  # what was kept before them is still there


def test_verifyaudit_refuses_a_malformed_head(history):
    with pytest.raises(CommandError) as info:
        verifyaudit("--head", "not-a-hash")
    assert info.value.returncode == 2 and "SEQ:HASH" in str(info.value)


def test_checkpoints_are_signed_appended_and_checked(history, tree, make_item, checkpoints, capsys):
    call_command("auditcheckpoint")
    call_command("auditcheckpoint")  # the head has not moved: nothing written
    assert "nothing written" in capsys.readouterr().out
    more_history(tree, make_item)
    call_command("auditcheckpoint")
    lines = checkpoint_lines(checkpoints)
    head = audit_chain.head()
    assert len(lines) == 2 and lines[-1]["seq"] == head["seq"] and lines[-1]["hash"] == head["hash"]
    assert lines[-1]["at"] == head["at"] and lines[0]["seq"] < lines[1]["seq"]
    assert all(line["sig"] == audit_checkpoints.sign(line) for line in lines)
    verifyaudit()
    assert "all 2 checkpoints" in capsys.readouterr().out

    left = remove_newest(1)
    assert audit_chain.verify().ok
    with pytest.raises(CommandError) as info:
        verifyaudit()
    message = str(info.value)
    assert f"Audit events #{left + 1} to #{head['seq']} are missing" in message
    assert f"the checkpoint of {lines[-1]['written_at']}" in message and "line 2" in message


def test_a_rewritten_tail_is_caught_by_the_checkpoints(history, tree, make_item, checkpoints):
    """Someone holding SECRET_KEY and the database removes the newest event and writes another in its place,
    properly signed and chained: the chain verifies, the checkpoint of the event removed does not."""
    call_command("auditcheckpoint")
    head = audit_chain.head()
    remove_newest(1)
    for sql in triggers.POSTGRESQL if connection.vendor == "postgresql" else triggers.SQLITE:
        raw(sql)
    services.update_item(history, name="改写的历史", actor_name="mallory")
    audit_chain.seal_pending()
    now = audit_chain.head()
    assert now["seq"] == head["seq"] and now["hash"] != head["hash"] and audit_chain.verify().ok
    with pytest.raises(CommandError) as info:
        verifyaudit()
    assert f"Audit event #{head['seq']} is not the one the checkpoint of" in str(info.value)
    assert "rewritten" in str(info.value)


def test_a_checkpoint_altered_or_signed_with_another_key_is_refused(history, checkpoints, settings):
    call_command("auditcheckpoint")
    path = next(checkpoints.glob("*.jsonl"))
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "seq": line["seq"] + 5}) + "\n")  # to hide events removed later
    with pytest.raises(CommandError) as info:
        verifyaudit()
    assert "Line 1 of the checkpoint file" in str(info.value) and "does not match its signature" in str(info.value)
    path.write_text("{not json\n")
    with pytest.raises(CommandError) as info:
        verifyaudit()
    assert "is damaged" in str(info.value)
    path.unlink()
    settings.SECRET_KEY = "another-key-" + "x" * 50
    call_command("auditcheckpoint")
    settings.SECRET_KEY = "powerlists-test-run-only-key-never-used-in-production-7c1e5a90d2b4"
    with pytest.raises(CommandError) as info:
        verifyaudit("--checkpoints", str(path), "--no-checkpoints")
    assert "does not match its signature" in str(info.value)


def test_a_request_that_writes_leaves_a_checkpoint_at_most_once_an_interval(people, checkpoints, settings):
    audit_chain.seal_pending()
    editor = client_for(people.city_editor)
    assert editor.post("/api/v1/items/", NEW_ITEM, format="json").status_code == 201
    lines = checkpoint_lines(checkpoints)
    assert len(lines) == 1 and lines[0]["hash"] == audit_chain.head()["hash"]
    settings.AUDIT_CHECKPOINT_INTERVAL = 3600  # the last checkpoint is recent: none until an hour has passed
    assert editor.post("/api/v1/items/", {**NEW_ITEM, "code": "CP02"}, format="json").status_code == 201
    assert editor.get("/api/v1/items/").status_code == 200
    assert len(checkpoint_lines(checkpoints)) == 1
    settings.AUDIT_CHECKPOINT_INTERVAL = 0
    assert editor.get("/api/v1/items/").status_code == 200  # a read writes no checkpoint
    assert len(checkpoint_lines(checkpoints)) == 1
    assert editor.post("/api/v1/items/", {**NEW_ITEM, "code": "CP03"}, format="json").status_code == 201
    lines = checkpoint_lines(checkpoints)
    assert len(lines) == 2 and lines[1]["hash"] == audit_chain.head()["hash"]
    verifyaudit()


def test_a_checkpoint_that_cannot_be_written_never_fails_the_request(people, settings, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.AUDIT_CHECKPOINT_DIR = blocker / "audit-checkpoints"  # a directory that cannot be made
    settings.AUDIT_CHECKPOINT_INTERVAL = 0
    settings.AUDIT_CHECKPOINT_AFTER_REQUESTS = True
    audit_chain.seal_pending()
    with caplog.at_level("ERROR", logger="powerlists.audit"):
        response = client_for(people.city_editor).post("/api/v1/items/", NEW_ITEM, format="json")
    assert response.status_code == 201
    assert any("checkpoint could not be written" in r.getMessage() for r in caplog.records)
    with pytest.raises(CommandError) as info:
        call_command("auditcheckpoint")
    assert info.value.returncode == 1
