"""The site's pages: public browsing (urls_public) and the workspace (urls_workspace)."""
from django.urls import include, path

urlpatterns = [
    path("", include("powerlists.web.urls_public")),
    path("workspace/", include("powerlists.web.urls_workspace")),
]
