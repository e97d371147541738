"""Searching Chinese names anywhere in the text can use an index on PostgreSQL (pg_trgm, GIN)."""
import pytest
from django.db import connection

from powerlists.models import Government, PowerItem
from powerlists.queries import list_queryset

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="trigram indexes are PostgreSQL's")


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        # A tiny test table: ask whether an index *can* serve the filter (no full scan, no ordered scan).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    return queryset.order_by().explain()


def test_government_search_uses_the_trigram_index(tree):
    plan = _plan(Government.objects.filter(search_text__icontains="兆麟"))
    assert "government_search_trgm" in plan, plan


def test_item_search_uses_the_trigram_indexes(tree, make_item):
    make_item(name="食品经营许可")
    plan = _plan(PowerItem.objects.filter(name__icontains="经营"))
    assert "item_name_trgm" in plan, plan
    found = list_queryset(tree.city, None, search="经营许可")
    assert [r["item__name"] for r in found] == ["食品经营许可"]
