"""Public pages. The full browsing pages come with the web issue; this is the front door."""
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

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

