from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("powerlists.web.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("powerlists.api.urls")),
]


handler404 = "powerlists.web.views.errors.not_found"
