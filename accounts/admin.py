from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from powerlists import policy
from powerlists.admin import ServiceAdmin, ServiceForm

from . import services
from .models import Membership, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (*BaseUserAdmin.fieldsets, (_("显示"), {"fields": ("display_name",)}))
    list_display = ["username", "display_name", "email", "is_staff", "is_active"]


class MembershipForm(ServiceForm):
    reason = forms.CharField(label=_("理由"), required=False)

    class Meta:
        model = Membership
        fields = ["user", "government", "role", "include_subtree"]

    def validate_unique(self):
        """The service answers a duplicate with a clear conflict."""

    def call_service(self, data):
        policy.require(self.actor, "list.correct", data["government"])
        return services.grant(user=data["user"], government=data["government"], role=data["role"],
                              include_subtree=data.get("include_subtree", False), actor=self.actor,
                              reason=data.get("reason", ""))


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    """Roles are granted here and revoked with the delete action, each audited."""

    form = MembershipForm
    list_display = ["user", "government", "role", "include_subtree", "created_at"]
    list_filter = ["role", "include_subtree"]
    search_fields = ["user__username", "government__name", "government__code"]
    list_select_related = ["user", "government"]
    raw_id_fields = ["user", "government"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not policy.may(request.user, "list.correct", obj.government):
            return False
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        services.revoke(obj, actor=request.user, reason="admin")

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("government"):
            policy.require(request.user, "list.correct", membership.government)
            services.revoke(membership, actor=request.user, reason="admin")
