"""Reads to a replica when one is configured (``DATABASE_REPLICA_URL``), writes to the primary.

A read goes to the primary instead when it must see what was just written:
- inside a transaction on the primary (the services read what they lock and write);
- during a request that writes (any method but GET, HEAD, OPTIONS), pinned by :class:`PinPrimaryMiddleware`;
- for a short while after this client wrote (a cookie set on a write), so a user who just saved sees it
  even when the replica lags.
Migrations run on the primary only; the replica is a copy of it (in tests, a mirror).
"""
from __future__ import annotations

import contextvars

from django.conf import settings
from django.db import connections

REPLICA = "replica"
PIN_COOKIE = "pl_primary"
PIN_SECONDS = 10
_pinned = contextvars.ContextVar("powerlists_primary_pinned", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_configured() or _pinned.get() or connections["default"].in_atomic_block:
            return "default"
        return REPLICA

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class pinned_to_primary:  # noqa: N801 - used like a function: ``with pinned_to_primary():``
    def __enter__(self):
        self._token = _pinned.set(True)

    def __exit__(self, *exc):
        _pinned.reset(self._token)


class PinPrimaryMiddleware:
    """Pins a request's reads to the primary when it writes or when its client wrote just before."""

    SAFE = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = request.method not in self.SAFE
        token = _pinned.set(writes or PIN_COOKIE in request.COOKIES)
        try:
            response = self.get_response(request)
        finally:
            _pinned.reset(token)
        if writes and replica_configured():
            response.set_cookie(PIN_COOKIE, "1", max_age=PIN_SECONDS, httponly=True, samesite="Lax",
                                secure=request.is_secure())
        return response
