"""Caching of lists and statistics, invalidated exactly when something a list shows changes.

Every change that can alter a list — a transfer applied (directly or when a batch takes effect), an
item created, updated or imported, a government, department or division edited — writes an audit event
(:mod:`powerlists.services.audit`), and that write calls :func:`lists_changed`. It moves one number, the
*list version*, kept in the cache (Redis in production, shared by every process): at once, so the
writer's next read is fresh, and again when the transaction commits, so nothing a concurrent reader
cached in between (still seeing the old rows) outlives the commit.

Cached answers are keyed by the version; a new version makes every older entry unreachable (they expire
on their own). The ETag of a list answer is derived from the version and the request, so a client
holding the list answers a conditional request with 304 until the lists change. When the cache is
emptied the version restarts from the clock, so an old ETag is never reused.
"""
from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "lists:version"
TIMEOUT = 60 * 60  # cached answers; the version makes them unreachable long before that when lists change

# Audit actions whose change can show in a list or in the statistics.
LIST_ACTIONS = ("transfer.", "item.", "items.", "exercise.", "government.", "department.", "division.",
                "batch.effect")


def list_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY, 0)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key is gone (cache emptied or evicted): restart from the clock
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def lists_changed() -> None:
    """Lists may have changed in the current transaction: invalidate now and again at commit."""
    _bump()
    transaction.on_commit(_bump)


def changes_lists(action: str) -> bool:
    return action.startswith(LIST_ACTIONS)


def key_for(kind: str, *parts) -> str:
    """A cache key for one answer: the kind, the current list version and a digest of the parts."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]
    return f"lists:{kind}:{list_version()}:{digest}"


def etag_for(kind: str, *parts) -> str:
    """A weak ETag for one answer, valid until the lists change."""
    digest = hashlib.sha256("\x1f".join([kind, str(list_version()), *map(str, parts)]).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def if_none_match(request, etag: str) -> bool:
    """True when the request's If-None-Match names ``etag`` (or is ``*``): answer 304."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    tags = [t.strip() for t in header.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in tags or any(t.removeprefix("W/") == bare for t in tags)


def get_or_compute(key: str, compute):
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, TIMEOUT)
    return value


__all__ = ["changes_lists", "etag_for", "get_or_compute", "if_none_match", "key_for", "list_version",
           "lists_changed"]
