"""On PostgreSQL, trigram (pg_trgm, GIN) indexes for searching Chinese names anywhere in the text.

Searches filter with Django's ``icontains`` — ``UPPER(column::text) LIKE UPPER('%词%')`` — which no
B-tree index can serve; these GIN indexes on the same expression can (pg_trgm takes trigrams of CJK
text too). SQLite keeps the plain scan (its tables are small in development). Creating the extension
needs a role allowed to (see README, Deploying).
"""
from django.db import migrations

INDEXES = {
    "government_search_trgm": ("powerlists_government", "search_text"),
    "item_name_trgm": ("powerlists_poweritem", "name"),
    "item_code_trgm": ("powerlists_poweritem", "code"),
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0006_evaluation")]
    operations = [migrations.RunPython(forward, backward)]
