"""On PostgreSQL, forbid overlapping date ranges for one item in one government at the database level.

SQLite has no exclusion constraints: there the partial unique index on open rows and the services'
checks enforce the rule.
"""
from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE powerlists_exercise ADD CONSTRAINT exercise_no_overlap
    EXCLUDE USING gist (item_id WITH =, government_id WITH =,
                        daterange(valid_from, valid_to, '[)') WITH &&);
"""
BACKWARD = "ALTER TABLE powerlists_exercise DROP CONSTRAINT IF EXISTS exercise_no_overlap;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
