"""Failed sign-ins are throttled and locked out, whatever the way in (the login page, the admin).

After ``LOGIN_MAX_FAILURES`` failures for one username (default 5), or ``LOGIN_MAX_FAILURES_PER_ADDRESS``
from one address (default 30, against trying one password on many accounts), within
``LOGIN_LOCKOUT_SECONDS`` (default 15 minutes), further attempts are refused — even with the right
password — until that time has passed since the last failure. A successful sign-in clears the
username's count. Counts live in the cache (Redis in production, shared by every process).

When the cache cannot be reached, sign-in goes on without counting (and an error is logged): people keep
signing in while Redis is down, and the passwords' strength and hashing still stand.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from powerlists.ops.cache import FAILURES
from powerlists.ops.client_ip import client_ip

logger = logging.getLogger("powerlists.faults")


def max_failures() -> int:
    return getattr(settings, "LOGIN_MAX_FAILURES", 5)


def max_per_address() -> int:
    return getattr(settings, "LOGIN_MAX_FAILURES_PER_ADDRESS", 30)


def lockout_seconds() -> int:
    return getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60)


def _address(request) -> str:
    """The client's address behind the trusted proxies (``TRUSTED_PROXIES``; powerlists/ops/client_ip.py):
    behind nginx every request has the proxy's REMOTE_ADDR, which would lock everyone out at once."""
    return client_ip(request)


def _user_key(username) -> str:
    return f"login-failures:user:{str(username or '').strip().lower()[:150]}"


def _address_key(request) -> str:
    return f"login-failures:address:{_address(request)}"


def is_locked(request, username) -> bool:
    try:
        return (cache.get(_user_key(username), 0) >= max_failures()
                or cache.get(_address_key(request), 0) >= max_per_address())
    except FAILURES:  # a cache outage must not stop everyone signing in
        logger.warning("sign-in lockout: the cache is unavailable; not counting")
        return False


def _count(key: str) -> None:
    try:
        # add-then-incr: parallel guesses are each counted (a get and a set would lose some)
        if not cache.add(key, 1, lockout_seconds()):
            try:
                cache.incr(key)
            except ValueError:  # expired between the two calls
                cache.set(key, 1, lockout_seconds())
            cache.touch(key, lockout_seconds())  # the lock lasts this long after the last failure
    except FAILURES:
        logger.warning("sign-in lockout: the cache is unavailable; a failure was not counted")


def record_failure(request, username) -> None:
    _count(_user_key(username))
    _count(_address_key(request))


class LockoutBackend(ModelBackend):
    """The model backend, refusing while locked out and counting failures."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if is_locked(request, username):
            raise PermissionDenied("locked out")  # stops authentication here
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            try:
                cache.delete(_user_key(username))
            except FAILURES:
                logger.warning("sign-in lockout: the cache is unavailable")
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD
