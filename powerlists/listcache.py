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
import logging
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)
VERSION_KEY = "lists:version"
TIMEOUT = 60 * 60  # cached answers; the version makes them unreachable long before that when lists change

# Audit actions whose change can show in a list or in the statistics.
LIST_ACTIONS = ("transfer.", "item.", "items.", "exercise.", "government.", "department.", "division.", "law.",
                "edition.", "merger.",
                "batch.effect")


def list_version() -> int | None:
    """The current list version; ``None`` when the cache cannot be reached (then nothing is cached and no
    ETag is given: answers are computed, never stale)."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, time.time_ns(), timeout=None)
            version = cache.get(VERSION_KEY, 0)
        return version
    except Exception:  # noqa: BLE001 - a cache outage must not break reading the lists
        logger.warning("list cache unreachable; answering without it", exc_info=True)
        return None


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key is gone (cache emptied or evicted): restart from the clock
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001 - a cache outage must not refuse a change; the restart from the
        # clock when the cache comes back empty keeps old answers unreachable
        logger.warning("list cache unreachable; version not moved", exc_info=True)


def lists_changed() -> None:
    """Lists may have changed in the current transaction: invalidate now and again at commit."""
    _bump()
    transaction.on_commit(_bump)


def changes_lists(action: str) -> bool:
    return action.startswith(LIST_ACTIONS)


def key_for(kind: str, *parts) -> str | None:
    """A cache key for one answer: the kind, the current list version and a digest of the parts
    (``None`` without a cache)."""
    version = list_version()
    if version is None:
        return None
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]
    return f"lists:{kind}:{version}:{digest}"


def etag_for(kind: str, *parts) -> str | None:
    """A weak ETag for one answer, valid until the lists change (``None`` without a cache)."""
    version = list_version()
    if version is None:
        return None
    digest = hashlib.sha256("\x1f".join([kind, str(version), *map(str, parts)]).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def if_none_match(request, etag: str | None) -> bool:
    """True when the request's If-None-Match names ``etag`` (or is ``*``): answer 304."""
    header = request.headers.get("If-None-Match", "")
    if not header or etag is None:
        return False
    tags = [t.strip() for t in header.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in tags or any(t.removeprefix("W/") == bare for t in tags)


def get_or_compute(key: str | None, compute):
    if key is None:
        return compute()
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001
        logger.warning("list cache unreachable; computing", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, TIMEOUT)
        except Exception:  # noqa: BLE001
            logger.warning("list cache unreachable; answer not kept", exc_info=True)
    return value


__all__ = ["changes_lists", "etag_for", "get_or_compute", "if_none_match", "key_for", "list_version",
           "lists_changed"]
