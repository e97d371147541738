"""Routes of /api/v1/. Each resource lives in powerlists/api/views/<resource>.py."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import urls_evaluation, urls_read, urls_write
from .views import editions
from .views.governments import GovernmentViewSet

# One router, so that the index at /api/v1/ lists every resource. No format suffixes (/items.json):
# the schema does not describe them, and the Accept header or ?format= does the same.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("governments", GovernmentViewSet, basename="api-government")
for group in (urls_read, urls_write, urls_evaluation):
    for prefix, viewset, basename in group.REGISTRY:
        router.register(prefix, viewset, basename=basename)

EDITIONS = r"^v1/governments/(?P<code>[0-9A-Za-z_-]{1,20})/editions/"
EDITION = EDITIONS + rf"(?P<number>{editions.NUMBER_PATTERN})/"
urlpatterns = [
    # Editions of a government's list, by their number (views/editions.py).
    re_path(EDITIONS + "$", editions.EditionListView.as_view(), name="api-government-editions"),
    re_path(EDITION + "$", editions.EditionDetailView.as_view(), name="api-government-edition"),
    re_path(EDITION + "compare/$", editions.EditionCompareView.as_view(), name="api-government-edition-compare"),
    re_path(EDITION + "approve/$", editions.EditionApproveView.as_view(), name="api-government-edition-approve"),
    re_path(EDITION + "publish/$", editions.EditionPublishView.as_view(), name="api-government-edition-publish"),
    re_path(EDITION + "file/$", editions.EditionFileView.as_view(), name="api-government-edition-file"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
