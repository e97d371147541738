"""The database keeps the history: it seals each audit event into the hash chain and refuses to change
or remove a sealed event or a closed exercise row (see powerlists/audit_chain.py).

Existing events are signed and chained first, in the order of their ids.

SQLite: an AFTER INSERT trigger seals each event at once (SQLite has one writer at a time); the hash is
computed by ``powerlists_sha256``, a function the application registers on each connection.
PostgreSQL: a constraint trigger deferred to commit seals the transaction's events under an advisory
lock, so the chain follows commit order and a writer never holds the chain while it waits for a row.
"""
from django.db import migrations

SQLITE = [
    """CREATE TRIGGER audit_seal AFTER INSERT ON powerlists_auditevent WHEN NEW.hash IS NULL
    BEGIN
        UPDATE powerlists_auditevent SET
            seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM powerlists_auditevent),
            prev_hash = COALESCE((SELECT hash FROM powerlists_auditevent
                                  WHERE seq = (SELECT MAX(seq) FROM powerlists_auditevent)), ''),
            hash = powerlists_sha256(
                (SELECT COALESCE(MAX(seq), 0) + 1 FROM powerlists_auditevent) || ':' ||
                COALESCE((SELECT hash FROM powerlists_auditevent
                          WHERE seq = (SELECT MAX(seq) FROM powerlists_auditevent)), '') || ':' ||
                NEW.content_hash)
        WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON powerlists_auditevent WHEN OLD.hash IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'powerlists: audit events cannot be changed'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON powerlists_auditevent
    BEGIN SELECT RAISE(ABORT, 'powerlists: audit events cannot be deleted'); END""",
    """CREATE TRIGGER exercise_closed_no_update BEFORE UPDATE ON powerlists_exercise WHEN OLD.valid_to IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'powerlists: a closed exercise row cannot be changed'); END""",
    """CREATE TRIGGER exercise_closed_no_delete BEFORE DELETE ON powerlists_exercise WHEN OLD.valid_to IS NOT NULL
    BEGIN SELECT RAISE(ABORT, 'powerlists: a closed exercise row cannot be deleted'); END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in (
    "audit_seal", "audit_no_update", "audit_no_delete", "exercise_closed_no_update", "exercise_closed_no_delete")]

POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION powerlists_audit_seal() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE last_seq bigint; last_hash text;
    BEGIN
        PERFORM pg_advisory_xact_lock(7243031);
        SELECT seq, hash INTO last_seq, last_hash FROM powerlists_auditevent
            WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
        last_seq := COALESCE(last_seq, 0) + 1;
        last_hash := COALESCE(last_hash, '');
        UPDATE powerlists_auditevent SET seq = last_seq, prev_hash = last_hash,
            hash = encode(sha256(convert_to(last_seq || ':' || last_hash || ':' || content_hash, 'UTF8')), 'hex')
        WHERE id = NEW.id AND hash IS NULL;
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON powerlists_auditevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION powerlists_audit_seal()""",
    """CREATE OR REPLACE FUNCTION powerlists_audit_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            RAISE EXCEPTION 'powerlists: audit events cannot be deleted' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF OLD.hash IS NOT NULL THEN
            RAISE EXCEPTION 'powerlists: audit events cannot be changed' USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER audit_immutable BEFORE UPDATE OR DELETE ON powerlists_auditevent
    FOR EACH ROW EXECUTE FUNCTION powerlists_audit_immutable()""",
    """CREATE OR REPLACE FUNCTION powerlists_exercise_closed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'powerlists: a closed exercise row cannot be changed or deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    """CREATE TRIGGER exercise_closed_immutable BEFORE UPDATE OR DELETE ON powerlists_exercise
    FOR EACH ROW WHEN (OLD.valid_to IS NOT NULL) EXECUTE FUNCTION powerlists_exercise_closed()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_seal ON powerlists_auditevent",
    "DROP TRIGGER IF EXISTS audit_immutable ON powerlists_auditevent",
    "DROP TRIGGER IF EXISTS exercise_closed_immutable ON powerlists_exercise",
    "DROP FUNCTION IF EXISTS powerlists_audit_seal()",
    "DROP FUNCTION IF EXISTS powerlists_audit_immutable()",
    "DROP FUNCTION IF EXISTS powerlists_exercise_closed()",
]


def chain_existing(apps, schema_editor):
    """Sign and chain the events written before this migration, in the order of their ids."""
    from powerlists.audit_chain import CONTENT_FIELDS, content_hash, link_hash

    AuditEvent = apps.get_model("powerlists", "AuditEvent")
    seq, prev = 0, ""
    batch = []
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        seq += 1
        event.content_hash = content_hash({name: getattr(event, name) for name in CONTENT_FIELDS})
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = link_hash(seq, event.prev_hash, event.content_hash)
        batch.append(event)
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_update(batch, ["content_hash", "seq", "prev_hash", "hash"])
            batch = []
    if batch:
        AuditEvent.objects.bulk_update(batch, ["content_hash", "seq", "prev_hash", "hash"])


def create_triggers(apps, schema_editor):
    statements = POSTGRESQL if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    statements = POSTGRESQL_DROP if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0008_audit_chain")]
    operations = [
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
