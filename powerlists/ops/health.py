"""``/healthz``: is this process able to serve? Checks every configured database and the cache.

Answers 200 with ``{"status": "ok", ...}`` when all answer, else 503 naming what failed (without
details an outsider could use). Public, never cached, not throttled: load balancers call it.
"""
from __future__ import annotations

import time
import uuid

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database(alias: str) -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0] == 1
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False


def _check_cache() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
        return ok
    except Exception:  # noqa: BLE001
        return False


@never_cache
@require_GET
def healthz(request):
    started = time.perf_counter()
    checks = {f"database:{alias}": _check_database(alias) for alias in connections}
    checks["cache"] = _check_cache()
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: "ok" if ok else "failed" for name, ok in checks.items()},
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if healthy else 503)
