"""Placeholder: refusing TRUNCATE on the history tables (filled in by the hardening work)."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("powerlists", "0010_audit_seal_only_unsealed")]
    operations = []
