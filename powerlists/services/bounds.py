"""Bounds on what a caller may send: the longest text, the longest list, checked before any work.

The same limits are used by the API's serializers (and so said in the OpenAPI schema), the web forms and
the services; the services check them on entry, so the admin, the management commands and any other
caller are bounded too. A value over its bound is an :class:`InvalidInput` (400) naming the field, its
length and the limit; nothing is written and nothing else is looked at first.
"""
from __future__ import annotations

import functools

from .errors import InvalidInput

MAX_REASON = 2_000  # a reason, a comment, a decision's explanation
MAX_NAME = 200  # a name, a document's title
MAX_NUMBER = 100  # a document number (文号)
MAX_CODE = 50  # a code of a government, an item, a tag (as sent in a filter or a reference)
MAX_LEGAL_TEXT = 20_000  # a legal basis (设定依据) and similar texts of the law
MAX_NOTE = 10_000  # a note on an evidence row
MAX_PARTIES = 200  # the parties of a shared arrangement
MAX_LIST_ITEMS = 200  # entries of a list field (responsibilities, accountability, …)
MAX_LIST_ENTRY = 2_000  # one entry of such a list
MAX_CHANGES_FIELDS = 32  # fields named in an adjustment's ``changes``
MAX_IDS = 1_000  # ids in one request

# The text arguments the services take, with their bound and their name in both languages.
TEXT_BOUNDS = {
    "reason": (MAX_REASON, "理由", "The reason"),
    "comment": (MAX_REASON, "意见", "The comment"),
    "title": (MAX_NAME, "文件标题", "The title"),
    "number": (MAX_NUMBER, "文号", "The document number"),
}


def too_long(field: str, length: int, limit: int, zh: str | None = None, en: str | None = None) -> InvalidInput:
    zh, en = zh or field, en or field
    return InvalidInput("too_long", f"{zh}过长：最多{limit}个字符（收到{length}个）。",
                        f"{en} is too long: at most {limit} characters (got {length}).",
                        field=field, max_length=limit, length=length)


def too_many(field: str, count: int, limit: int, zh: str | None = None, en: str | None = None) -> InvalidInput:
    zh, en = zh or field, en or field
    return InvalidInput("too_many", f"{zh}过多：最多{limit}项（收到{count}项）。",
                        f"Too many {en}: at most {limit} (got {count}).", field=field, max_items=limit, count=count)


def check_text(field: str, value, limit: int, zh: str | None = None, en: str | None = None) -> None:
    """Refuse a text longer than ``limit`` characters (anything that is not a text is left to other checks)."""
    if isinstance(value, str) and len(value) > limit:
        raise too_long(field, len(value), limit, zh, en)


def check_count(field: str, values, limit: int, zh: str | None = None, en: str | None = None) -> None:
    """Refuse a list (or any sized collection) of more than ``limit`` entries: ``len`` only, nothing is read."""
    if values is not None and hasattr(values, "__len__") and len(values) > limit:
        raise too_many(field, len(values), limit, zh, en)


def check_parties(parties) -> None:
    check_count("parties", parties, MAX_PARTIES, "共有事权的参与方", "parties")


def check_changes(changes) -> None:
    """An adjustment's new values: a bounded number of fields, each a bounded text or list of texts."""
    if not isinstance(changes, dict):
        return
    check_count("changes", changes, MAX_CHANGES_FIELDS, "调整内容的字段", "fields in changes")
    for name, value in changes.items():
        field = f"changes.{name}"
        if isinstance(value, str):
            check_text(field, value, MAX_LEGAL_TEXT)
        elif isinstance(value, list | tuple):
            check_count(field, value, MAX_LIST_ITEMS)
            for entry in value:
                check_text(field, entry, MAX_LIST_ENTRY)


def check_arguments(arguments: dict) -> None:
    """The bounds of the free-text and list arguments a service was called with."""
    for name, (limit, zh, en) in TEXT_BOUNDS.items():
        if name in arguments:
            check_text(name, arguments[name], limit, zh, en)
    if "parties" in arguments:
        check_parties(arguments["parties"])
    if "changes" in arguments:
        check_changes(arguments["changes"])


def bounded(service):
    """Check the bounds of a service's keyword arguments (``reason``, ``comment``, ``title``, ``number``,
    ``parties``, ``changes``) before it does anything else: no lock, no query, no policy question."""

    @functools.wraps(service)
    def wrapper(*args, **kwargs):
        check_arguments(kwargs)
        return service(*args, **kwargs)

    return wrapper
