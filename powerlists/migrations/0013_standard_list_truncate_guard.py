"""PostgreSQL: the tables of migration 0012 (laws, legal bases, editions, 镇区合一 mergers) refuse
TRUNCATE like the other history tables (migration 0011)."""
import importlib

from django.db import migrations

guard = importlib.import_module("powerlists.migrations.0011_history_truncate_guard")

TABLES = ("powerlists_law", "powerlists_legalbasis", "powerlists_edition", "powerlists_townzonemerger")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(guard.guard_sql(table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(guard.unguard_sql(table))


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0012_standard_list")]
    operations = [migrations.RunPython(forwards, backwards)]
