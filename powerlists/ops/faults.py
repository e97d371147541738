"""A lost database connection is a 503 the client may retry, not a 500.

When the database goes away in the middle of a request (a restart, a failover, a killed connection),
the transaction the request was running is rolled back by the database, so nothing of it was written.
The client is told exactly that, with ``Retry-After``: in the API's one error shape under ``/api/``, as a
short page elsewhere (rendered without touching the database). The error is logged with its traceback.
"""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language

logger = logging.getLogger("powerlists.faults")
RETRY_AFTER_SECONDS = 5

MESSAGE_ZH = "数据库暂时不可用，本次操作未写入任何内容，请稍后重试。"
MESSAGE_EN = "The database is unavailable for a moment; nothing of this request was written. Please try again."


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
        message = MESSAGE_EN if english else MESSAGE_ZH
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": "database_unavailable", "message": message, "details": {}},
                                    status=503, json_dumps_params={"ensure_ascii": False})
        else:
            other = MESSAGE_ZH if english else MESSAGE_EN
            response = HttpResponse(
                '<!doctype html><html><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>503</title></head><body><h1>503</h1><p>{escape(message)}</p><p>{escape(other)}</p>"
                "</body></html>",
                status=503,
            )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
