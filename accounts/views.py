"""Signed-in people change their own password: the old one first, the new one validated
(AUTH_PASSWORD_VALIDATORS: length, similarity to the name, common passwords, not only digits).
A wrong old password counts as a failed sign-in (accounts/lockout.py), so a session left open cannot be
used to guess the password either."""
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

from . import lockout, services


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"

    def post(self, request, *args, **kwargs):
        if lockout.is_locked(request, request.user.get_username()):
            form = self.get_form_class()(user=request.user)
            form.cleaned_data = {}  # an unbound form carrying one message
            form.add_error(None, _("登录失败次数过多，已暂时锁定。请%(minutes)d分钟后再试。")
                           % {"minutes": lockout.lockout_seconds() // 60})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            lockout.record_failure(self.request, self.request.user.get_username())
        return super().form_invalid(form)

    def form_valid(self, form):
        services.change_password(form.user, form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)  # this session stays signed in; others end
        return HttpResponseRedirect(self.get_success_url())


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"
