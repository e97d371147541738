"""PostgreSQL: the seal trigger fires only for an event inserted unsealed (``WHEN (NEW.hash IS NULL)``), as
the SQLite one already does. Events written sealed — by a restore, or by the benchmark's generator —
no longer take the chain's lock and update nothing, one call per row."""
from django.db import migrations

WITH_WHEN = """CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON powerlists_auditevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.hash IS NULL) EXECUTE FUNCTION powerlists_audit_seal()"""
WITHOUT_WHEN = """CREATE CONSTRAINT TRIGGER audit_seal AFTER INSERT ON powerlists_auditevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION powerlists_audit_seal()"""
DROP = "DROP TRIGGER IF EXISTS audit_seal ON powerlists_auditevent"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(WITH_WHEN)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(WITHOUT_WHEN)


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0009_audit_chain_triggers")]
    operations = [migrations.RunPython(forwards, backwards)]
