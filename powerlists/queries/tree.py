"""The government tree: subtree and ancestors, each one indexed query whatever the tree's size."""
from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet

from ..models import Government
from ..models.governments import PATH_SEPARATOR

# The character right after the separator: every path inside "/23/" sorts in ["/23/", "/230").
_PATH_END = chr(ord(PATH_SEPARATOR) + 1)


def path_prefix_q(path: str, field: str = "path") -> Q:
    """Rows whose ``field`` starts with ``path``, in a form the database answers from its index.

    PostgreSQL answers ``LIKE 'prefix%'`` from the ``varchar_pattern_ops`` index Django creates for
    the path. SQLite uses an index for LIKE only with case-sensitive LIKE, so there the prefix is
    written as the equivalent byte range, which its ordinary (binary) index answers.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": path})
    return Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + _PATH_END})


def subtree(government: Government, *, include_self: bool = True) -> QuerySet[Government]:
    """``government`` and everything inside its territory: one indexed range query on the path."""
    qs = Government.objects.filter(path_prefix_q(government.path))
    if not include_self:
        qs = qs.exclude(pk=government.pk)
    return qs


def within_q(government: Government, prefix: str = "government__") -> Q:
    """A filter for rows whose government lies inside ``government``'s territory (itself included)."""
    return path_prefix_q(government.path, f"{prefix}path")


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
