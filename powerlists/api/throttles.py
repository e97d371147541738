"""Rate limits per caller (``API_RATE_ANON``, ``API_RATE_USER``), counted atomically in the cache.

A caller is a signed-in user, or else the client's address resolved behind ``TRUSTED_PROXIES``
(powerlists/ops/client_ip.py: a forged ``X-Forwarded-For`` does not make a new caller).

Counting is a fixed window: one counter per caller and window (the rate's period), created with its
expiry and raised with the cache's ``incr`` — Redis ``INCR``, one atomic step — so that concurrent
requests each get a distinct count and no more than the limit pass in a window. (DRF's own throttle
reads a history, decides and writes it back: concurrent requests read the same history and all pass.)

When the cache cannot be reached the request is let through and an error is logged: a Redis outage
must not take the whole API down with it (the lists themselves are then read from the database).
"""
from __future__ import annotations

import logging
import time

from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from ..ops.cache import FAILURES
from ..ops.client_ip import client_ip

logger = logging.getLogger("powerlists.faults")


def count_in_window(key: str, seconds: int) -> int:
    """Add one to ``key``'s counter, made with an expiry of ``seconds`` when it is new; the new count."""
    for _attempt in range(3):
        if cache.add(key, 1, seconds + 1):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr: make it again
            continue
    return cache.incr(key)


class AtomicWindowThrottle:
    """Mixed in before DRF's throttle classes: their scopes, rates and keys; this counting."""

    timer = time.time

    def get_ident(self, request):
        return client_ip(request)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        try:
            count = count_in_window(f"{self.key}:w{window}", self.duration)
        except FAILURES:  # the cache is down: serve, do not count (powerlists/ops/cache.py logs it once)
            logger.warning("rate limit: the cache is unavailable; request not counted")
            return True
        if count > self.num_requests:
            self._wait = (window + 1) * self.duration - now
            return False
        return True

    def wait(self):
        return max(0.0, getattr(self, "_wait", 0.0))


class AnonThrottle(AtomicWindowThrottle, AnonRateThrottle):
    pass


class UserThrottle(AtomicWindowThrottle, UserRateThrottle):
    pass
