from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.forms import LockoutAuthenticationForm
from powerlists.ops.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LockoutAuthenticationForm),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", account_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("admin/", admin.site.urls),
    path("api/", include("powerlists.api.urls")),
    # Last, so that where a page and an API route share a name (government-diff) reverse() gives the page.
    path("", include("powerlists.web.urls")),
]


handler400 = "powerlists.web.views.errors.bad_request"
handler403 = "powerlists.web.views.errors.permission_denied"
handler404 = "powerlists.web.views.errors.not_found"
handler500 = "powerlists.web.views.errors.server_error"
