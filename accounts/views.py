"""Signed-in people change their own password: the old one first, the new one validated
(AUTH_PASSWORD_VALIDATORS: length, similarity to the name, common passwords, not only digits)."""
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views

from . import services


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def form_valid(self, form):
        services.change_password(form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)  # this session stays signed in; others end
        from django.http import HttpResponseRedirect

        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
