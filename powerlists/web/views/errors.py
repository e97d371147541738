from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception=None):
    """404: in the API's one error shape under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        english = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
        message = "Not found." if english else "未找到。"
        return JsonResponse({"code": "not_found", "message": message, "details": {}}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)
