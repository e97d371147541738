"""The administrator's view of everything. Every change made here goes through the services.

Each add or change form calls its service once its own fields are valid (in ``_post_clean``), so a
refusal by a domain rule shows as an error on the form with what was typed kept, and nothing is written.
The admin's ``save_model`` then has nothing left to do. Nothing can be deleted here: history is kept.
Exercise rows and audit events are read-only; exercises change only through recorded changes (变更).
"""
from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import policy, services
from .models import (
    AuditEvent,
    Batch,
    Department,
    Division,
    Exercise,
    Government,
    PowerItem,
    Role,
    Tag,
    Transfer,
    TransferKind,
    TransferParty,
)
from .services.errors import DomainError


class ServiceForm(forms.ModelForm):
    """A model form whose save is a service call. Subclasses implement ``call_service``."""

    actor = None  # set by the admin before validation

    def call_service(self, data: dict):  # pragma: no cover - abstract
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            return
        try:
            result = self.call_service(self.cleaned_data)
        except DomainError as error:
            self.add_error(None, _error_text(error))
            return
        if result is not None:
            self.instance = result


class ServiceAdmin(admin.ModelAdmin):
    """Saves through the form's service call; never deletes."""

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        """The service has saved (and audited) the object while validating the form."""

    def save_related(self, request, form, formsets, change):
        """Relations are written by the service too."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _error_text(error: DomainError) -> str:
    english = (translation.get_language() or "").startswith("en")
    return f"{error.message()} ({error.code})" if english else f"{error.message()}（{error.code}）"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace("，", ",").replace(",", "\n").splitlines() if line.strip()]


# --- governments ----------------------------------------------------------------------------------


class GovernmentForm(ServiceForm):
    aliases_text = forms.CharField(label=_("别名"), required=False, help_text=_("每行一个，或用逗号分隔"),
                                   widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("修改理由"), required=False)

    class Meta:
        model = Government
        fields = ["code", "name", "tier", "parent", "kind", "tags", "assessment_type"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["aliases_text"].initial = "\n".join(self.instance.aliases)
            for name in ("code", "tier", "parent"):
                self.fields[name].disabled = True

    def call_service(self, data):
        policy.require(self.actor, "list.correct", self.instance if self.instance.pk else data.get("parent"))
        aliases = _lines(data.get("aliases_text", ""))
        tags = list(data.get("tags") or [])
        if self.instance.pk:
            return services.update_government(
                self.instance, actor=self.actor, reason=data.get("reason", ""), name=data["name"],
                kind=data.get("kind", ""), aliases=aliases, tags=tags,
                assessment_type=data.get("assessment_type", ""),
            )
        return services.create_government(
            code=data["code"], name=data["name"], tier=data["tier"], parent=data.get("parent"),
            kind=data.get("kind", ""), aliases=aliases, tags=tags, assessment_type=data.get("assessment_type", ""),
            actor=self.actor, reason=data.get("reason", ""),
        )

    def validate_unique(self):
        """Uniqueness is the service's to check (it answers with a clear conflict)."""


@admin.register(Government)
class GovernmentAdmin(ServiceAdmin):
    form = GovernmentForm
    list_display = ["code", "name", "tier", "kind", "parent", "assessment_type"]
    list_filter = ["tier", "assessment_type", "tags"]
    search_fields = ["code", "search_text"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth"]
    fields = ["code", "name", "tier", "parent", "kind", "aliases_text", "tags", "assessment_type", "path", "depth",
              "reason"]
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    list_display = ["slug", "name"]


class DepartmentForm(ServiceForm):
    reason = forms.CharField(label=_("修改理由"), required=False)

    class Meta:
        model = Department
        fields = ["government", "name", "code", "kind", "upper_department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("government", "kind", "upper_department"):
                self.fields[name].disabled = True

    def validate_unique(self):
        pass

    def call_service(self, data):
        government = self.instance.government if self.instance.pk else data["government"]
        policy.require(self.actor, "list.correct", government)
        if self.instance.pk:
            return services.update_department(self.instance, actor=self.actor, reason=data.get("reason", ""),
                                              name=data["name"], code=data.get("code", ""))
        return services.create_department(
            government=data["government"], name=data["name"], code=data.get("code", ""), kind=data["kind"],
            upper_department=data.get("upper_department"), actor=self.actor, reason=data.get("reason", ""),
        )


@admin.register(Department)
class DepartmentAdmin(ServiceAdmin):
    form = DepartmentForm
    list_display = ["name", "government", "kind", "upper_department"]
    list_filter = ["kind", "government__tier"]
    search_fields = ["name", "code", "government__name"]
    list_select_related = ["government", "upper_department"]
    raw_id_fields = ["government", "upper_department"]


class DivisionForm(ServiceForm):
    reason = forms.CharField(label=_("修改理由"), required=False)

    class Meta:
        model = Division
        fields = ["department", "name", "module"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["department"].disabled = True

    def validate_unique(self):
        pass

    def call_service(self, data):
        department = self.instance.department if self.instance.pk else data["department"]
        policy.require(self.actor, "list.correct", department.government)
        if self.instance.pk:
            return services.update_division(self.instance, actor=self.actor, reason=data.get("reason", ""),
                                            name=data["name"], module=data.get("module", ""))
        return services.create_division(department=data["department"], name=data["name"],
                                        module=data.get("module", ""), actor=self.actor,
                                        reason=data.get("reason", ""))


@admin.register(Division)
class DivisionAdmin(ServiceAdmin):
    form = DivisionForm
    list_display = ["name", "module", "department"]
    list_filter = ["module"]
    search_fields = ["name", "module", "department__name"]
    list_select_related = ["department"]
    raw_id_fields = ["department"]


# --- items ----------------------------------------------------------------------------------------


ITEM_FORM_FIELDS = [
    "government", "code", "name", "category", "field", "department", "division", "parent", "legal_basis",
    "statutory_days", "promised_days", "lowest_tier", "is_core",
]


class PowerItemForm(ServiceForm):
    responsibilities_text = forms.CharField(label=_("责任事项"), required=False, help_text=_("每行一项"),
                                            widget=forms.Textarea(attrs={"rows": 3}))
    accountability_text = forms.CharField(label=_("追责情形"), required=False, help_text=_("每行一项"),
                                          widget=forms.Textarea(attrs={"rows": 3}))
    holder_from = forms.DateField(label=_("本级行使起始日期"), required=False,
                                  help_text=_("新增事项时填写：所属政府自该日起行使"))
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("修改理由"), required=False)

    class Meta:
        model = PowerItem
        fields = ITEM_FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["government"].disabled = True
            self.fields["holder_from"].disabled = True
            self.fields["responsibilities_text"].initial = "\n".join(self.instance.responsibilities)
            self.fields["accountability_text"].initial = "\n".join(self.instance.accountability)
            self.fields["expected_version"].initial = self.instance.version

    def validate_unique(self):
        pass

    def _post_clean(self):
        # Model validation would see the cleaned values on the instance; the service validates instead.
        if self.instance.pk:
            self._original = PowerItem.objects.get(pk=self.instance.pk)
        super()._post_clean()

    def call_service(self, data):
        government = self.instance.government if self.instance.pk else data["government"]
        policy.require(self.actor, "item.edit" if self.instance.pk else "item.create", government)
        values = {name: data.get(name) for name in ITEM_FORM_FIELDS if name != "government"}
        values["responsibilities"] = [x.strip() for x in data.get("responsibilities_text", "").splitlines()]
        values["accountability"] = [x.strip() for x in data.get("accountability_text", "").splitlines()]
        values["field"] = values.get("field") or ""
        values["legal_basis"] = values.get("legal_basis") or ""
        if self.instance.pk:
            return services.update_item(self._original, expected_version=data.get("expected_version"),
                                        actor=self.actor, reason=data.get("reason", ""), **values)
        return services.create_item(government=data["government"], holder_from=data.get("holder_from"),
                                    actor=self.actor, reason=data.get("reason", ""), **values)


@admin.register(PowerItem)
class PowerItemAdmin(ServiceAdmin):
    form = PowerItemForm
    list_display = ["code", "name", "category", "field", "government", "department", "lowest_tier", "status_label"]
    list_filter = ["category", "lowest_tier", "is_core", "government__tier"]
    search_fields = ["code", "name"]
    list_select_related = ["government", "department"]
    raw_id_fields = ["government", "department", "division", "parent"]
    readonly_fields = ["version", "cancelled_on", "replaced_on", "replaced_by"]
    show_full_result_count = False

    @admin.display(description=_("状态"))
    def status_label(self, obj):
        return {"active": _("有效"), "cancelled": _("已取消"), "replaced": _("已调整")}[obj.status]


# --- changes --------------------------------------------------------------------------------------


class TransferForm(ServiceForm):
    """Record a change that takes effect at once: the administrator's audited correction."""

    parties_text = forms.CharField(
        label=_("共有方"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("共有事权时填写，每行：政府代码, lead 或 support, 财权占比。例如：371302, lead, 60"),
    )
    changes_text = forms.CharField(
        label=_("调整内容（JSON）"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_('调整时填写，例如：{"name": "新名称", "promised_days": 2}'),
    )

    class Meta:
        model = Transfer
        fields = ["kind", "item", "giver", "receiver", "receiving_department", "method", "origin", "effective_on",
                  "batch", "staff_posts", "reason"]

    def clean_changes_text(self):
        text = self.cleaned_data.get("changes_text", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("调整内容必须是JSON对象。")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("调整内容必须是JSON对象。"))
        return value

    def clean_parties_text(self):
        parties = []
        for number, line in enumerate((self.cleaned_data.get("parties_text") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) != 3:
                raise forms.ValidationError(_("第%(n)s行应为：政府代码, lead 或 support, 财权占比") % {"n": number})
            code, role, share = parts
            government = Government.objects.filter(code=code).first()
            if government is None:
                raise forms.ValidationError(_("第%(n)s行：找不到政府代码 %(code)s") % {"n": number, "code": code})
            if role not in (Role.LEAD, Role.SUPPORT):
                raise forms.ValidationError(_("第%(n)s行：责任应为 lead 或 support") % {"n": number})
            try:
                share = Decimal(share)
            except InvalidOperation:
                raise forms.ValidationError(_("第%(n)s行：财权占比必须是数字") % {"n": number}) from None
            parties.append(services.Party(government, role, share))
        return parties

    def call_service(self, data):
        policy.require(self.actor, "list.correct", data["giver"])
        common = {"effective_on": data.get("effective_on"), "reason": data.get("reason", ""),
                  "batch": data.get("batch"), "actor": self.actor}
        kind, item = data["kind"], data["item"]
        if kind == TransferKind.DEVOLVE:
            return services.devolve(item=item, giver=data["giver"], receiver=data.get("receiver"),
                                    method=data.get("method") or "direct", origin=data.get("origin") or "offered",
                                    receiving_department=data.get("receiving_department"),
                                    staff_posts=data.get("staff_posts") or 0, **common)
        if kind == TransferKind.RECALL:
            return services.recall(item=item, giver=data["giver"], receiver=data.get("receiver"),
                                   staff_posts=data.get("staff_posts") or 0, **common)
        if kind == TransferKind.SHARE:
            return services.share(item=item, sharer=data["giver"], parties=data.get("parties_text") or [], **common)
        if kind == TransferKind.CANCEL:
            return services.cancel(item=item, **common)
        return services.adjust(item=item, changes=data.get("changes_text") or {}, **common)

    def _post_clean(self):
        # The model's own validation would reject combinations the service explains better.
        self._validate_unique = False
        if self.errors:
            return
        try:
            result = self.call_service(self.cleaned_data)
        except DomainError as error:
            self.add_error(None, _error_text(error))
            return
        self.instance = result


class TransferPartyInline(admin.TabularInline):
    model = TransferParty
    extra = 0
    can_delete = False
    readonly_fields = ["government", "role", "fiscal_share", "department"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(ServiceAdmin):
    form = TransferForm
    list_display = ["id", "kind", "item", "giver", "receiver", "method", "origin", "effective_on", "state", "batch"]
    list_filter = ["kind", "state", "origin", "method"]
    search_fields = ["item__name", "item__code", "giver__name", "receiver__name"]
    list_select_related = ["item", "giver", "receiver", "batch"]
    raw_id_fields = ["item", "giver", "receiver", "receiving_department", "batch"]
    inlines = [TransferPartyInline]
    date_hierarchy = "effective_on"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*TransferForm.Meta.fields, "parties_text", "changes_text"]
        return [f.name for f in Transfer._meta.concrete_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in Transfer._meta.concrete_fields]

    def get_inlines(self, request, obj):
        return [TransferPartyInline] if obj is not None else []


class BatchForm(ServiceForm):
    reason = forms.CharField(label=_("理由"), required=False)

    class Meta:
        model = Batch
        fields = ["issuer", "title", "number", "round_no", "issued_on", "effective_on", "state"]

    def call_service(self, data):
        policy.require(self.actor, "list.correct", data["issuer"])
        return services.create_batch(
            issuer=data["issuer"], title=data["title"], number=data.get("number", ""),
            round_no=data.get("round_no"), issued_on=data.get("issued_on"), effective_on=data["effective_on"],
            state=data["state"], actor=self.actor, reason=data.get("reason", ""),
        )


@admin.register(Batch)
class BatchAdmin(ServiceAdmin):
    form = BatchForm
    list_display = ["number", "title", "issuer", "round_no", "issued_on", "effective_on", "state"]
    list_filter = ["state"]
    search_fields = ["title", "number"]
    list_select_related = ["issuer"]
    raw_id_fields = ["issuer"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)


@admin.register(Exercise)
class ExerciseAdmin(ReadOnlyAdmin):
    list_display = ["id", "item", "government", "role", "department", "fiscal_share", "valid_from", "valid_to"]
    list_filter = ["role", "government__tier"]
    search_fields = ["item__name", "item__code", "government__name"]
    list_select_related = ["item", "government", "department"]
    raw_id_fields = ["item", "government", "department", "division", "source", "transfer", "closed_by",
                     "shared_by"]
    show_full_result_count = False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor_name", "action", "object_type", "object_id", "government", "item"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_name", "action", "object_id", "reason"]
    list_select_related = ["government", "item"]
    raw_id_fields = ["actor", "government", "item", "transfer", "batch"]
    date_hierarchy = "at"
    show_full_result_count = False
