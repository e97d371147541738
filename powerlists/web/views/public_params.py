"""Reading the public pages' query parameters: dates and filters, each refused with a clear message.

A page given a bad value still renders (with the default in its place) and says what was wrong; the
view answers 400 so that a client or crawler knows the address was not what it meant.
"""
from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from ...models import Arrangement, Category

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID_RE = re.compile(r"^\d{1,18}$")
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2999, 12, 31)
MAX_TEXT = 100
GROUPS = ("category", "field")


class Params:
    """The request's GET parameters, read one by one; every refusal is kept in ``problems``."""

    def __init__(self, request):
        self.data = request.GET
        self.problems: list[str] = []

    def text(self, name: str, max_length: int = MAX_TEXT) -> str:
        value = (self.data.get(name) or "").strip()
        if len(value) > max_length:
            self.problems.append(_("“%(name)s”过长：最多 %(max)d 个字符。") % {"name": name, "max": max_length})
            return ""
        return value

    def date(self, name: str, default: datetime.date | None) -> datetime.date | None:
        raw = (self.data.get(name) or "").strip()
        if not raw:
            return default
        value = None
        if DATE_RE.match(raw):
            try:
                value = datetime.date.fromisoformat(raw)
            except ValueError:
                value = None
        if value is None:
            self.problems.append(
                _("日期“%(value)s”无效：请按 YYYY-MM-DD 填写，如 2018-01-01。") % {"value": raw[:20]}
            )
            return default
        if not MIN_DATE <= value <= MAX_DATE:
            self.problems.append(
                _("日期“%(value)s”超出范围：应在 %(min)s 与 %(max)s 之间。")
                % {"value": raw, "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
            )
            return default
        return value

    def choice(self, name: str, allowed, default: str = "") -> str:
        value = (self.data.get(name) or "").strip()
        if not value:
            return default
        if value not in allowed:
            self.problems.append(
                _("“%(name)s”的取值“%(value)s”无效，已忽略。") % {"name": name, "value": value[:40]}
            )
            return default
        return value

    def ident(self, name: str) -> int | None:
        value = (self.data.get(name) or "").strip()
        if not value:
            return None
        if not ID_RE.match(value):
            self.problems.append(
                _("“%(name)s”的取值“%(value)s”无效，已忽略。") % {"name": name, "value": value[:40]}
            )
            return None
        return int(value)


def list_filters(params: Params) -> dict:
    """The filters of a government's list (those ``queries.list_queryset`` takes)."""
    return {
        "category": params.choice("category", Category.values) or None,
        "field": params.text("field", 50) or None,
        "arrangement": params.choice("arrangement", Arrangement.values) or None,
        "department": params.ident("department"),
        "search": params.text("q") or None,
    }


def a_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
