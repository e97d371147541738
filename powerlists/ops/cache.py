"""Redis as the cache, with a circuit breaker: when Redis fails (refused, timed out, hung), every cache
call in this process fails at once for ``REDIS_RETRY_SECONDS`` (default 10) instead of waiting for the
network each time; then one call tries again. Callers already go on without the cache (lists computed
from the database, rate limits and sign-in lockouts not counted), so a Redis outage costs a request
one timeout (``REDIS_TIMEOUT``, default 0.5 s) per process and retry period, not one per cache call.

``clear()`` deletes this cache's own keys only — those under its ``KEY_PREFIX`` (``CACHE_KEY_PREFIX``) —
never the rest of the Redis database (Django's ``RedisCache.clear()`` is ``FLUSHDB``), so a deployment,
a test run and a benchmark can share one Redis database without wiping each other's keys.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("powerlists.faults")
FAILURES = (RedisConnectionError, RedisTimeoutError, OSError)


class CacheUnavailable(RedisConnectionError):
    """Raised without touching the network while the breaker is open."""


class _Breaker:
    def __init__(self):
        self.down_until = 0.0
        self.lock = threading.Lock()

    def check(self) -> None:
        if time.monotonic() < self.down_until:
            raise CacheUnavailable("the cache failed recently; not trying again yet")

    def trip(self, error) -> None:
        with self.lock:
            first = time.monotonic() >= self.down_until
            self.down_until = time.monotonic() + float(os.environ.get("REDIS_RETRY_SECONDS", "10"))
        if first:
            logger.error("the cache (Redis) is unavailable: %s; going on without it", error)

    def reset(self) -> None:
        self.down_until = 0.0


breaker = _Breaker()


def own_keys_pattern(key_prefix: str) -> str:
    """The SCAN pattern of the keys a cache with this ``KEY_PREFIX`` makes (``prefix:version:key``)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", key_prefix) + ":*"


def _clear_own_keys(self) -> bool:
    """Delete the keys under this cache's prefix (SCAN, then DEL in batches); nobody else's."""
    client = self._cache.get_client(None, write=True)
    batch = []
    for key in client.scan_iter(match=own_keys_pattern(self.key_prefix), count=1000):
        batch.append(key)
        if len(batch) == 1000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)
    return True


_OWN = {"clear": _clear_own_keys}


def _guarded(name):
    implementation = _OWN.get(name) or getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        breaker.check()
        try:
            return implementation(self, *args, **kwargs)
        except CacheUnavailable:
            raise
        except FAILURES as error:
            breaker.trip(error)
            raise

    method.__name__ = name
    return method


class ResilientRedisCache(RedisCache):
    pass


for _name in ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many",
              "clear"):
    setattr(ResilientRedisCache, _name, _guarded(_name))
