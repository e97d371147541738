"""A lost database connection is a 503 the client may retry, not a 500.

When the database goes away in the middle of a request (a restart, a failover, a killed connection),
the transaction it was running is rolled back by the database: every change is one transaction, so a
change is either wholly saved or not at all. Which of the two, the product cannot always tell — the
connection may have been lost after the commit, while the answer was being prepared. So a read is told
to try again, and a change is told to read the record again (or to retry with the same
Idempotency-Key) before doing it again. With ``Retry-After``; in the API's one error shape under
``/api/``, as a short page elsewhere (rendered without touching the database); logged with its traceback.
"""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language

logger = logging.getLogger("powerlists.faults")
RETRY_AFTER_SECONDS = 5

READ_ZH = "数据库暂时不可用，请稍后重试。"
READ_EN = "The database is unavailable for a moment. Please try again."
WRITE_ZH = ("数据库暂时不可用。本次修改要么完整保存、要么完全没有保存：请先重新读取该记录确认，"
            "或用同一 Idempotency-Key 重试。")
WRITE_EN = ("The database is unavailable for a moment. Your change was either saved whole or not at all: read the "
            "record again before repeating it, or retry with the same Idempotency-Key.")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable during %s %s", request.method, request.path, exc_info=exception)
        english = (get_language() or "").startswith("en")
        zh, en = (READ_ZH, READ_EN) if request.method in SAFE_METHODS else (WRITE_ZH, WRITE_EN)
        message = en if english else zh
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": "database_unavailable", "message": message, "details": {}},
                                    status=503, json_dumps_params={"ensure_ascii": False})
        else:
            other = zh if english else en
            response = HttpResponse(
                '<!doctype html><html><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>503</title></head><body><h1>503</h1><p>{escape(message)}</p><p>{escape(other)}</p>"
                "</body></html>",
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
