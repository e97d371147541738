"""Optimistic concurrency: ETag on every detail response, If-Match on writes.

A versioned record (power item, transfer, batch) has a strong ETag naming its version; the version is
checked by the service *inside* the row lock, so a stale write changes nothing and answers 412.
"""
from __future__ import annotations

import hashlib
import json
import re

from rest_framework.renderers import JSONRenderer

from .errors import PreconditionFailed, PreconditionRequired

ETAG_PATTERN = re.compile(r'^(?:W/)?"([a-z]+)-(\d+)-v(\d+)"$')


def version_etag(obj) -> str:
    return f'"{obj._meta.model_name}-{obj.pk}-v{obj.version}"'


def content_etag(data) -> str:
    digest = hashlib.sha256(JSONRenderer().render(data)).hexdigest()[:32]
    return f'W/"{digest}"'


def expected_version(request, obj, *, required: bool = False) -> int | None:
    """The version the client last read, from If-Match; ``None`` when it sent none (or ``*``)."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        if required:
            raise PreconditionRequired()
        return None
    if header == "*":
        return None
    for candidate in (part.strip() for part in header.split(",")):
        match = ETAG_PATTERN.match(candidate)
        if match and match.group(1) == obj._meta.model_name and int(match.group(2)) == obj.pk:
            return int(match.group(3))
    raise PreconditionFailed()


def with_etag(response, obj=None):
    """Set the ETag of a detail response: the record's version, or a digest of the body."""
    if response.status_code < 300:
        response["ETag"] = version_etag(obj) if obj is not None and hasattr(obj, "version") else content_etag(
            response.data
        )
    return response


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def list_cache_headers(response, etag: str, day):
    """HTTP caching of a list or statistics answer (see :mod:`powerlists.listcache`): its ETag, and how
    long a client may keep it — a past date's list only changes when history is corrected, so for five
    minutes; today's and future ones must be revalidated (cheap: 304 while the lists are unchanged)."""
    from django.utils import timezone

    if etag is None:  # no cache reachable: the answer was computed, and is not to be kept
        response["Cache-Control"] = "no-cache"
        return response
    response["ETag"] = etag
    if day < timezone.localdate():
        response["Cache-Control"] = "public, max-age=300"
    else:
        response["Cache-Control"] = "no-cache"
    return response
