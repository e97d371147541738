"""Query parameters validated into clear 400 errors (never a 500)."""
from __future__ import annotations

import datetime

from django.utils import timezone

from ..services.errors import InvalidInput


def date_param(request, name: str, *, default: datetime.date | None = None, required: bool = False):
    value = request.query_params.get(name)
    if value in (None, ""):
        if required:
            raise InvalidInput("date_required", f"请提供日期参数 {name}（YYYY-MM-DD）。",
                               f"The date parameter {name} (YYYY-MM-DD) is required.", parameter=name)
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("invalid_date", f"日期参数 {name} 应为 YYYY-MM-DD 格式。",
                           f"The date parameter {name} must be a date in the form YYYY-MM-DD.",
                           parameter=name, value=value) from None


def as_of(request) -> datetime.date:
    return date_param(request, "as_of", default=timezone.localdate())


def choice_param(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in choices:
        raise InvalidInput("invalid_choice", f"参数 {name} 的值无效，应为：" + "、".join(choices),
                           f"Unknown value for {name}; use one of: " + ", ".join(choices),
                           parameter=name, value=value)
    return value


def int_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise InvalidInput("invalid_number", f"参数 {name} 应为整数。", f"The parameter {name} must be a whole number.",
                           parameter=name, value=value) from None
    if number < 0 or number > 2**62:
        raise InvalidInput("invalid_number", f"参数 {name} 超出范围。", f"The parameter {name} is out of range.",
                           parameter=name, value=value)
    return number
