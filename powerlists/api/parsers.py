"""The API's JSON parser: bounded in size and in nesting depth before anything is decoded.

Python's ``json`` recurses once per level of nesting, so a body nested a thousand deep is a
``RecursionError`` (a 500) inside ``json.loads``, and every later step that walks the data (hashing an
Idempotency-Key's request, validating, logging) recurses again. No request of this API nests deeper than
four levels; :data:`MAX_DEPTH` leaves room. The depth is measured on the raw bytes with a cheap scan —
strings removed, brackets counted — so an over-deep body is refused in the API's error shape (400
``json_too_deep``) before ``json.loads`` sees it. A body over :data:`MAX_BYTES` is a 413 ``body_too_large``
(Django's own ``DATA_UPLOAD_MAX_MEMORY_SIZE`` refuses a larger Content-Length before it is read at all).
"""
from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import get_language
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32


def max_bytes() -> int:
    return getattr(settings, "API_MAX_JSON_BYTES", None) or settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * 1024 * 1024


# An escape inside a string: a backslash and the byte after it (outside a string a backslash is not JSON).
ESCAPE = re.compile(rb"\\[\s\S]")
# Only quotes and brackets are kept; both kinds of opening (and closing) bracket count alike.
KEEP = b'"[]{}'
NOT_KEPT = bytes(b for b in range(256) if b not in KEEP)
BRACKETS = bytes.maketrans(b"{}", b"[]")


def _english() -> bool:
    return (get_language() or "").startswith("en")


class BodyTooDeep(exceptions.ParseError):
    default_code = "json_too_deep"


class BodyMalformed(exceptions.ParseError):
    default_code = "parse_error"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int | None:
    """How deep ``raw`` nests its arrays and objects, if at most ``limit`` and the brackets balance;
    ``None`` when deeper than ``limit``; ``-1`` when the brackets do not balance (not JSON).

    Linear and in C: escapes are removed (there are rarely any), every byte but quotes and brackets is
    dropped (``bytes.translate``), what lies between quotes — the strings — is dropped (``split``), then
    each round removes every innermost ``[]`` pair (one ``bytes.replace``): a balanced text empties in
    exactly as many rounds as it nests deep. An unterminated string hides what follows it, which
    ``json.loads`` then refuses without descending into it."""
    if b"\\" in raw:
        raw = ESCAPE.sub(b"", raw)
    brackets = b"".join(raw.translate(None, NOT_KEPT).split(b'"')[::2]).translate(BRACKETS)
    depth = 0
    while brackets:
        if depth == limit:
            return None
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            return -1
        brackets, depth = shorter, depth + 1
    return depth


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the size and depth checked first (the default parser of the API)."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = max_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            mb = limit / 1024 / 1024
            raise BodyTooLarge(f"The request body is over {mb:g} MB." if _english()
                               else f"请求体超过 {mb:g} MB。")
        depth = nesting_depth(raw, self.max_depth)
        if depth is None:
            raise BodyTooDeep(f"The JSON body nests deeper than {self.max_depth} levels." if _english()
                              else f"JSON 请求体的嵌套层数超过 {self.max_depth} 层。")
        if depth < 0:
            raise BodyMalformed("The body is not valid JSON: its brackets do not match." if _english()
                                else "请求体不是有效的 JSON：括号不配对。")
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise BodyMalformed(f"The body is not valid {encoding} text." if _english()
                                else f"请求体不是有效的 {encoding} 文本。") from exc
        try:
            return json.loads(text, parse_constant=strict_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise BodyMalformed(f"The body is not valid JSON: {exc}" if _english()
                                else f"请求体不是有效的 JSON：{exc}") from exc
