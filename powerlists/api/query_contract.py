"""The API answers 400 to a query parameter its operation does not take.

The OpenAPI schema is the contract: the query parameters an operation lists there (filters, ordering,
pagination, ``as_of``...) are the ones it reads, and any other name is refused with
``{"code": "unknown_parameters", ...}`` naming it, in Chinese or English. A misspelt filter
(``?goverment=...``) would otherwise be silently ignored and return the whole list, which a client
would take for an answer. ``format`` (the browsable API's switch) is taken everywhere.

The contract is read from the schema generator once per process (about a second, on the first API
request) and kept. Pages outside ``/api/v1/`` are not checked: a shared link with a tracking parameter
still opens the page; their own bad values are refused by ``web/views/public_params.py``.
"""
from __future__ import annotations

import re
import threading

from django.http import JsonResponse
from django.utils.translation import get_language

from .errors import error_body

API_PREFIX = "/api/v1/"
ALWAYS_ALLOWED = frozenset({"format"})
UNCHECKED_METHODS = frozenset({"OPTIONS"})

_lock = threading.Lock()
_contract: dict | None = None


def _build() -> dict:
    """``{(view callback, METHOD): frozenset(query parameter names)}`` from the generated schema."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    # The schema may rename a path's variables ({pk} becomes {id}); match paths with them blanked out.
    operations = {_shape(path): item for path, item in schema["paths"].items()}
    contract = {}
    for path, _path_regex, method, callback in generator.endpoints:
        operation = operations.get(_shape(path), {}).get(method.lower())
        if operation is None:
            continue
        names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
        contract[(callback, method.upper())] = frozenset(names) | ALWAYS_ALLOWED
        if method.upper() == "GET":
            contract[(callback, "HEAD")] = contract[(callback, "GET")]
    return contract


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def contract() -> dict:
    global _contract
    if _contract is None:
        with _lock:
            if _contract is None:
                _contract = _build()
    return _contract


def allowed_parameters(view_func, method: str) -> frozenset | None:
    """What an operation takes; ``None`` when the view answers this method otherwise (405 from the view).
    A view the schema leaves out altogether (the API's index) takes only ``format``."""
    terms = contract()
    allowed = terms.get((view_func, method))
    if allowed is not None:
        return allowed
    if any(callback is view_func for callback, _method in terms):
        return None
    return ALWAYS_ALLOWED


def unknown_parameters(request, view_func) -> list[str]:
    allowed = allowed_parameters(view_func, request.method)
    if allowed is None:
        return []
    return sorted(name for name in request.GET if name not in allowed)


class QueryContractMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.path_info.startswith(API_PREFIX) or request.method in UNCHECKED_METHODS:
            return None
        if not request.GET:
            return None
        unknown = unknown_parameters(request, view_func)
        if not unknown:
            return None
        allowed = sorted(allowed_parameters(view_func, request.method) - ALWAYS_ALLOWED)
        names = ", ".join(unknown)
        if (get_language() or "").startswith("en"):
            message = f"Unknown query parameter(s): {names}. This operation takes: {', '.join(allowed) or 'none'}."
        else:
            message = f"未知的查询参数：{'、'.join(unknown)}。该接口可用的参数：{'、'.join(allowed) or '无'}。"
        body = error_body("unknown_parameters", message, {"unknown": unknown, "allowed": allowed})
        return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
