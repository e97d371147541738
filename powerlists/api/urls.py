"""Routes of /api/v1/. Each resource lives in powerlists/api/views/<resource>.py."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import urls_evaluation, urls_read, urls_write
from .views.governments import GovernmentViewSet

# One router, so that the index at /api/v1/ lists every resource. No format suffixes (/items.json):
# the schema does not describe them, and the Accept header or ?format= does the same.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("governments", GovernmentViewSet, basename="api-government")
for group in (urls_read, urls_write, urls_evaluation):
    for prefix, viewset, basename in group.REGISTRY:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
