from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class User(AbstractUser):
    """A person or system account. What it may do comes from its memberships (see powerlists.policy)."""

    display_name = models.CharField(_("显示名称"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

    def __str__(self):
        return self.display_name or self.username


class MembershipRole(models.TextChoices):
    EDITOR = "editor", _("编辑")
    REVIEWER = "reviewer", _("审核")
    ADMINISTRATOR = "administrator", _("管理员")


class Membership(models.Model):
    """A role a user holds in a government, and optionally in the whole of its territory."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships")
    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("政府"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=15, choices=MembershipRole.choices)
    include_subtree = models.BooleanField(_("含下级政府"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = pgettext_lazy("plural", "角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "government", "role"], name="membership_unique_role"),
        ]

    def __str__(self):
        scope = _("及下级") if self.include_subtree else ""
        return f"{self.user} · {self.government_id}{scope} · {self.get_role_display()}"
