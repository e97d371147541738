"""The government tree: subtree and ancestors, each one indexed query whatever the tree's size."""
from __future__ import annotations

from django.db.models import Q, QuerySet

from ..models import Government


def subtree(government: Government, *, include_self: bool = True) -> QuerySet[Government]:
    """``government`` and everything inside its territory: one prefix query on the indexed path."""
    qs = Government.objects.filter(path__startswith=government.path)
    if not include_self:
        qs = qs.exclude(pk=government.pk)
    return qs


def within_q(government: Government, prefix: str = "government__") -> Q:
    """A filter for rows whose government lies inside ``government``'s territory (itself included)."""
    return Q(**{f"{prefix}path__startswith": government.path})


def ancestors(government: Government, *, include_self: bool = False) -> list[Government]:
    """The chain from the root down to the parent (or to ``government``): one ``code IN`` query."""
    codes = government.ancestor_codes
    if include_self:
        codes = [*codes, government.code]
    if not codes:
        return []
    found = {g.code: g for g in Government.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def children(government: Government) -> QuerySet[Government]:
    return Government.objects.filter(parent=government).order_by("code")
