"""``Idempotency-Key`` on POST: the same key replayed returns the first answer and does nothing twice.

Nobody's body is read before we know who is asking: an anonymous write with a key is refused (401) like
every anonymous write, without its body being parsed or hashed. A signed-in caller's body is hashed only
to compare it with an earlier request under the same key, or after the handler (which has asked the
policy) has answered, to store it with that answer.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import policy
from ..models import IdempotencyRecord
from ..services.errors import Conflict, InvalidInput
from .errors import IdempotencyConflict

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,100}$")
KEEP_FOR = timedelta(hours=24)


def _owner(request) -> str:
    user = getattr(request, "user", None)
    return f"user:{user.pk}" if user is not None and user.is_authenticated else "anonymous"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str) if request.data else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(handler):
    """Wrap a POST handler: with an Idempotency-Key, run it once, store its answer in the same
    transaction, and replay that answer for the same key (24 hours)."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(self, request, *args, **kwargs)
        if not policy.is_active_user(request.user):  # before the key or the body is looked at
            raise exceptions.NotAuthenticated()
        if not KEY_PATTERN.match(key):
            raise InvalidInput("invalid_idempotency_key", "Idempotency-Key 须为1至100个可见ASCII字符。",
                               "An Idempotency-Key is 1 to 100 visible ASCII characters.")
        owner = _owner(request)
        since = timezone.now() - KEEP_FOR
        previous = IdempotencyRecord.objects.filter(owner=owner, key=key, created_at__gte=since).first()
        if previous is not None:
            if previous.fingerprint != _fingerprint(request):
                raise IdempotencyConflict()
            return _replay(previous)
        IdempotencyRecord.objects.filter(owner=owner, key=key, created_at__lt=since).delete()
        try:
            with transaction.atomic():
                response = handler(self, request, *args, **kwargs)
                if response.status_code < 500:
                    IdempotencyRecord.objects.create(
                        owner=owner, key=key, fingerprint=_fingerprint(request), status_code=response.status_code,
                        body=json.loads(JSONRenderer().render(response.data) or b"null"),
                        etag=response.get("ETag", ""), location=response.get("Location", ""),
                    )
        except IntegrityError as exc:  # the same key raced in from another request: its answer stands
            raise Conflict("idempotency_key_in_progress", "使用该 Idempotency-Key 的请求正在处理中。",
                           "A request with this Idempotency-Key is being processed.") from exc
        return response

    return wrapper


def _replay(record: IdempotencyRecord) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if record.etag:
        headers["ETag"] = record.etag
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status_code, headers=headers)
