"""Errors in one shape: ``{"code": "...", "message": "...", "details": {...}}``, in the request's language.

400 invalid input, 401 no or bad credentials, 403 not allowed, 404 absent or not visible, 409 a state
conflict, 412 a stale If-Match, 428 a write that needs If-Match without one, 429 too many requests
(with Retry-After). Domain errors carry their own code; DRF's and Django's are given one here.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..services.errors import DomainError


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"
    default_detail = "The resource has changed since you read it (If-Match does not match its ETag)."


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_code = "precondition_required"
    default_detail = "This write needs an If-Match header with the ETag you read."


class IdempotencyConflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for a different request."


MESSAGES = {
    "precondition_failed": ("该记录已被他人修改（If-Match 与当前 ETag 不符），请重新读取后再试。",
                            "The resource has changed since you read it (If-Match does not match its ETag)."),
    "precondition_required": ("该写操作需要带上读取时得到的 ETag（If-Match 请求头）。",
                              "This write needs an If-Match header with the ETag you read."),
    "idempotency_key_reused": ("该 Idempotency-Key 已用于另一个不同的请求。",
                               "This Idempotency-Key was used for a different request."),
    "idempotency_key_in_progress": ("使用该 Idempotency-Key 的请求正在处理中。",
                                    "A request with this Idempotency-Key is being processed."),
}


def _english(request) -> bool:
    language = getattr(request, "LANGUAGE_CODE", "") or ""
    return language.startswith("en")


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details if details is not None else {}}


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, DomainError):
        if exc.code == "stale_version" and request is not None and request.headers.get("If-Match"):
            zh, en = MESSAGES["precondition_failed"]
            body = error_body("precondition_failed", en if _english(request) else zh, exc.details)
            return Response(body, status=status.HTTP_412_PRECONDITION_FAILED)
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handler, logged
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body("invalid", _("输入无效，请按 details 修改后重试。") if not _english(request)
                       else "Invalid input; see details.", response.data),
            status=response.status_code, headers=_headers(response),
        )
    if isinstance(exc.detail, dict | list):
        message, details = str(exc.default_detail), exc.detail
    else:
        message, details = str(exc.detail), {}
        code = getattr(exc.detail, "code", code) or code
    if code in MESSAGES:
        zh, en = MESSAGES[code]
        message = en if _english(request) else zh
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details = {"retry_after_seconds": int(exc.wait + 0.999)}
    return Response(error_body(str(code), message, details), status=response.status_code, headers=_headers(response))


def _headers(response) -> dict:
    return {name: value for name, value in response.items() if name in ("Retry-After", "WWW-Authenticate", "Allow")}
