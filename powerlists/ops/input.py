"""A query string or a submitted form holding a NUL character is refused with 400 before any view reads it.

No text column can keep a NUL (PostgreSQL refuses it outright), and no legitimate address or form field
carries one; refusing it here means no filter, search box, page parameter or hand-read form field has to
remember to. JSON bodies are checked by the API's serializers (DRF's character fields refuse NUL);
uploaded files by the spreadsheet reader.
"""
from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language

MESSAGE_ZH = "请求参数或表单中含有不允许的字符（NUL）。"
MESSAGE_EN = "A query parameter or form field holds a character that is not allowed (NUL)."
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(query) -> list[str]:
    return sorted({name for name, values in query.lists() if "\x00" in name or any("\x00" in v for v in values)})


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        names = _has_nul(request.GET)
        if not names and request.method == "POST" and request.content_type in FORMS:
            names = _has_nul(request.POST)
        if not names:
            return self.get_response(request)
        english = (get_language() or "").startswith("en")
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "invalid_characters", "message": MESSAGE_EN if english else MESSAGE_ZH,
                                 "details": {"parameters": [n.replace("\x00", "\\0") for n in names]}},
                                status=400, json_dumps_params={"ensure_ascii": False})
        return HttpResponse(
            '<!doctype html><html><head><meta charset="utf-8"><title>400</title></head><body><h1>400</h1>'
            f"<p role=\"alert\">{escape(MESSAGE_ZH)}</p><p>{escape(MESSAGE_EN)}</p></body></html>", status=400)
