"""Rate limits per caller (``API_RATE_ANON``, ``API_RATE_USER``), counted in the cache.

When the cache cannot be reached the request is let through and an error is logged: a Redis outage
must not take the whole API down with it (the lists themselves are then read from the database).
"""
from __future__ import annotations

import logging

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from ..ops.cache import FAILURES

logger = logging.getLogger("powerlists.faults")


class _FailOpen:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except FAILURES:  # the cache is down: serve, do not count (powerlists/ops/cache.py logs it once)
            logger.warning("rate limit: the cache is unavailable; request not counted")
            return True


class AnonThrottle(_FailOpen, AnonRateThrottle):
    pass


class UserThrottle(_FailOpen, UserRateThrottle):
    pass
