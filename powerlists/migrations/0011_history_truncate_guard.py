"""PostgreSQL: the history tables refuse TRUNCATE.

The row triggers of migration 0009 refuse UPDATE and DELETE of sealed audit events and closed exercise
rows, but TRUNCATE fires no row trigger: ``TRUNCATE powerlists_auditevent CASCADE`` would empty the
history, and a new chain would begin that verifies. A statement-level ``BEFORE TRUNCATE`` trigger on
every table of the lists and their history refuses it; a ``TRUNCATE … CASCADE`` of any other table that
reaches one of them (the users, say, whom audit events name) is refused too, since PostgreSQL fires the
trigger of every table a TRUNCATE empties.

Every trigger is named ``history_no_truncate`` and calls ``powerlists_refuse_truncate()``: a later
migration guards a new table with ``guard_sql(table)`` (see :data:`TABLES`). Left out: the idempotency
records (kept a day, then deleted). SQLite has no TRUNCATE (``DELETE FROM`` fires the row triggers).
The test suite lifts the guard around its own flush only (tests/conftest.py).
"""
from django.db import migrations

TRIGGER = "history_no_truncate"

# Every table of the lists and their history at this migration.
TABLES = (
    "powerlists_auditevent",
    "powerlists_exercise",
    "powerlists_poweritem",
    "powerlists_transfer",
    "powerlists_transfer_editors",
    "powerlists_transferparty",
    "powerlists_batch",
    "powerlists_government",
    "powerlists_government_tags",
    "powerlists_tag",
    "powerlists_department",
    "powerlists_division",
    "powerlists_evidence",
    "powerlists_evaluationround",
    "powerlists_evaluationresult",
)

FUNCTION = """CREATE OR REPLACE FUNCTION powerlists_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
        MESSAGE = 'powerlists: ' || TG_TABLE_NAME || ' holds the lists and their history and cannot be truncated';
END $$"""
DROP_FUNCTION = "DROP FUNCTION IF EXISTS powerlists_refuse_truncate()"

# In tests only (tests/conftest.py): around a flush, the guards of every table that has one are disabled,
# then enabled again, in the flush's transaction.
_EACH_GUARD = (f"DO $$ DECLARE t regclass; BEGIN FOR t IN SELECT tgrelid::regclass FROM pg_trigger "
               f"WHERE tgname = '{TRIGGER}' LOOP EXECUTE 'ALTER TABLE ' || t::text || ' {{}} TRIGGER {TRIGGER}'; "
               f"END LOOP; END $$")
DISABLE_ALL = _EACH_GUARD.format("DISABLE")
ENABLE_ALL = _EACH_GUARD.format("ENABLE")


def guard_sql(table: str) -> str:
    return (f'CREATE TRIGGER {TRIGGER} BEFORE TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION powerlists_refuse_truncate()")


def unguard_sql(table: str) -> str:
    return f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"'


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(guard_sql(table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(unguard_sql(table))
    schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0010_audit_seal_only_unsealed")]
    operations = [migrations.RunPython(forwards, backwards)]
