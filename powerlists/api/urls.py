"""Routes of /api/v1/. Each resource lives in powerlists/api/views/<resource>.py."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import urls_evaluation, urls_read, urls_write
from .views.governments import GovernmentViewSet

router = DefaultRouter()
router.register("governments", GovernmentViewSet, basename="api-government")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("v1/", include(urls_read.router.urls)),
    path("v1/", include(urls_write.router.urls)),
    path("v1/", include(urls_evaluation.router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
