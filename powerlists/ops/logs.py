"""Structured logs: one JSON object per line (``LOG_FORMAT=json``), and one line per request.

Each request line carries method, path, status, duration, the user's id (never a name or a token), the
client's address (resolved behind ``TRUSTED_PROXIES``, powerlists/ops/client_ip.py) and the request id (from ``X-Request-ID`` when the front server sets one, else generated, and echoed back).
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from .client_ip import client_ip

request_logger = logging.getLogger("powerlists.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "duration_ms", "user", "request_id", "client_ip")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        duration = round((time.perf_counter() - started) * 1000, 1)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        request_logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status_code, duration,
            extra={"method": request.method, "path": request.path, "status": response.status_code,
                   "duration_ms": duration, "request_id": request_id, "client_ip": client_ip(request),
                   "user": user.pk if getattr(user, "is_authenticated", False) else None},
        )
        return response
