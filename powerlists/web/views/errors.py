"""Error answers: in the API's one error shape under /api/, the site's pages elsewhere."""
from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

MESSAGES = {
    "bad_request": ("请求无效。", "Bad request."),
    "forbidden": ("您无权执行此操作。", "You are not allowed to do this."),
    "not_found": ("未找到。", "Not found."),
    "server_error": ("服务器内部错误，已记录；请稍后重试。", "Server error; it has been logged. Please try again later."),
}


def _api_error(request, code: str, status: int):
    english = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
    zh, en = MESSAGES[code]
    return JsonResponse({"code": code, "message": en if english else zh, "details": {}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


@requires_csrf_token
def bad_request(request, exception=None):
    """400 — e.g. a request body over DATA_UPLOAD_MAX_MEMORY_SIZE, or a forbidden Host header."""
    if _is_api(request):
        return _api_error(request, "bad_request", 400)
    return defaults.bad_request(request, exception)


@requires_csrf_token
def permission_denied(request, exception=None):
    if _is_api(request):
        return _api_error(request, "forbidden", 403)
    return defaults.permission_denied(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return _api_error(request, "not_found", 404)
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    if _is_api(request):
        return _api_error(request, "server_error", 500)
    return defaults.server_error(request)
