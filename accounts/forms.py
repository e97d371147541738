from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .lockout import is_locked, lockout_seconds


class LockoutAuthenticationForm(AuthenticationForm):
    """The sign-in form, saying so when too many failures have locked the account or address."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is not None and is_locked(self.request, username):
            raise ValidationError(
                _("登录失败次数过多，已暂时锁定。请%(minutes)d分钟后再试。"), code="locked_out",
                params={"minutes": max(1, lockout_seconds() // 60)})
        return super().clean()
