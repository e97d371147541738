"""Public pages. The full browsing pages come with the web issue; this is the front door."""
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.defaults import page_not_found

from .models import Government, PowerItem, Tier, in_force_q


def home(request):
    """The top of the tree with how many powers each government exercises today."""
    today = timezone.localdate()
    governments = (
        Government.objects.filter(tier__lte=Tier.CITY)
        .annotate(powers=Count("exercises", filter=in_force_q(today, "exercises__")))
        .order_by("path")
    )
    context = {
        "today": today,
        "governments": governments,
        "government_count": Government.objects.count(),
        "item_count": PowerItem.objects.filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=today)).count(),
    }
    return render(request, "powerlists/home.html", context)


def not_found(request, exception=None):
    """404: in the API's one error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        english = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
        message = "Not found." if english else "未找到。"
        return JsonResponse({"code": "not_found", "message": message, "details": {}}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)
