"""Public pages (no login); included by powerlists/web/urls.py."""
from django.urls import path, re_path

from .views import public

CODE = r"(?P<code>[0-9A-Za-z_-]{1,20})"
ID = r"(?P<pk>[0-9]{1,18})"

urlpatterns = [
    path("", public.home, name="home"),
    re_path(rf"^g/{CODE}/$", public.government, name="government"),
    re_path(rf"^g/{CODE}/export\.(?P<fmt>xlsx|csv)$", public.government_export, name="government-export"),
    re_path(rf"^g/{CODE}/diff/$", public.government_diff, name="government-diff"),
    re_path(rf"^g/{CODE}/chart/$", public.government_chart, name="government-chart"),
    re_path(rf"^items/{ID}/$", public.item, name="item"),
    re_path(rf"^departments/{ID}/$", public.department, name="department"),
]
