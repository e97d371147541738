"""Power items (权力事项): the catalogue, its corrections, and each item's audit history.

Items are public. An editor of the item's government creates and corrects them through
:mod:`powerlists.services.items`; a correction needs If-Match. The history shows an item's audit
events newest first, leaving out the events of proposals the caller may not see, and people's names
for anonymous callers.
"""
from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import filters, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import policy
from ...audit_chain import events_verify
from ...models import (
    AuditEvent,
    BasisRole,
    Category,
    DaysUnit,
    Department,
    Division,
    Government,
    Initiation,
    Law,
    LegalBasis,
    PowerItem,
    ProcessingStep,
    Tier,
    Transfer,
)
from ...models.laws import MAX_ARTICLE_TEXT
from ...queries.history import describe, with_subjects
from ...services import create_item, update_item
from ...services.bounds import MAX_CODE, MAX_LEGAL_TEXT, MAX_LIST_ENTRY, MAX_LIST_ITEMS, MAX_REASON
from ...services.errors import InvalidInput
from ...services.items import MAX_BASES, TEXT_LIMITS
from ..concurrency import expected_version, with_etag
from ..filters import IdFilter, id_field
from ..idempotency import idempotent
from .transfers import (
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    IF_MATCH_REQUIRED,
    LOCATION_HEADER,
    StableOrdering,
    blank_choice,
    errors,
    require_signed_in,
    validated,
)

STATUSES = [("active", "现行"), ("cancelled", "已取消"), ("replaced", "已调整")]


class ServiceCheckedChoiceField(serializers.ChoiceField):
    """A code of the national standard (依申请/依职权, a processing step, a basis's role…), documented as an enum
    but checked by the item service: a wrong one is refused with the service's reason — its code, and its
    Chinese and English messages — not a generic field error. Only a text of at most MAX_CODE characters
    gets through to the service; anything else is refused here."""

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) <= MAX_CODE:
            if data == "" and not self.allow_blank:
                self.fail("invalid_choice", input=data)
            return self.choice_strings_to_values.get(data, data)
        return super().to_internal_value(data)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 6,
                      "description": "1 国家, 2 省, 3 市, 4 县, 5 乡镇（街道）, 6 村（社区）"})
class LevelField(serializers.IntegerField):
    """A national level code (1..6): any whole number is passed on, and the item service refuses one that is
    no level with its reason (``invalid_level``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", -(2**31))
        kwargs.setdefault("max_value", 2**31)
        super().__init__(**kwargs)


class LawBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Law
        fields = ["id", "name", "kind", "document", "version_date", "effective_on"]
        read_only_fields = fields


class LegalBasisSerializer(serializers.ModelSerializer):
    """设定依据 / 实施依据: one article of one law (in the version cited)."""

    law = LawBriefSerializer(read_only=True)

    class Meta:
        model = LegalBasis
        fields = ["role", "law", "article", "text"]
        read_only_fields = fields


class ProcessingStepSerializer(serializers.Serializer):
    """One step of multi-level processing (初审 → 审核 → 决定 → 备案) and the national level that takes it."""

    step = ServiceCheckedChoiceField(choices=ProcessingStep.choices)
    level = LevelField(help_text="1 国家, 2 省, 3 市, 4 县, 5 乡镇（街道）, 6 村（社区）")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PowerItemSerializer(serializers.ModelSerializer):
    """A power item as the API shows it (output only)."""

    bases = LegalBasisSerializer(many=True, read_only=True, help_text="设定依据 and 实施依据, structured.")
    processing_steps = ProcessingStepSerializer(many=True, read_only=True)
    levels = serializers.ListField(child=serializers.IntegerField(), read_only=True,
                                   help_text="行使层级: the national level codes at which the item is exercised.")
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None,
                                        help_text="The main item's code (主项), for a sub-item (子项).")
    initiation = blank_choice(Initiation.choices)  # "" where the list does not say (schemathesis found it)

    government = serializers.CharField(source="government.code", read_only=True)
    government_name = serializers.CharField(source="government.name", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True, default=None)
    division_name = serializers.CharField(source="division.name", read_only=True, allow_null=True, default=None)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status = serializers.ChoiceField(choices=STATUSES, read_only=True, help_text="On today's date.")

    class Meta:
        model = PowerItem
        fields = [
            "id", "government", "government_name", "code", "name", "category", "category_label", "field",
            "legal_basis", "statutory_days", "promised_days", "days_unit", "responsibilities", "accountability",
            "department",
            "department_name", "division", "division_name", "parent", "parent_code", "lowest_tier", "is_core",
            "basic_code", "initiation", "levels", "processing_steps", "bases", "fee_basis", "service_object",
            "supervision", "supervision_phone", "status", "cancelled_on", "replaced_by", "replaced_on", "version",
            "created_at", "updated_at",
        ]
        read_only_fields = fields


class LegalBasisInSerializer(serializers.Serializer):
    role = ServiceCheckedChoiceField(choices=BasisRole.choices, help_text="setting (设定依据) or implementing (实施依据)")
    law = id_field(Law.objects.all(), help_text="Id of a registered law (/api/v1/laws/).")
    article = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="如：第二十九条")
    text = serializers.CharField(max_length=MAX_ARTICLE_TEXT, required=False, allow_blank=True)


class ItemValuesSerializer(serializers.Serializer):
    """The fields of an item a caller may set (validated here, written by the service)."""

    code = serializers.CharField(max_length=50, help_text="事项编码, unique in the government's list.")
    name = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices)
    field = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="领域, e.g. 市场监管")
    legal_basis = serializers.CharField(max_length=MAX_LEGAL_TEXT, required=False, allow_blank=True,
                                        help_text="依据（原文）: the legal basis as the list words it.")
    statutory_days = serializers.IntegerField(min_value=0, max_value=3650, required=False, allow_null=True)
    promised_days = serializers.IntegerField(min_value=0, max_value=3650, required=False, allow_null=True)
    responsibilities = serializers.ListField(child=serializers.CharField(allow_blank=True, max_length=MAX_LIST_ENTRY),
                                             max_length=MAX_LIST_ITEMS, required=False)
    accountability = serializers.ListField(child=serializers.CharField(allow_blank=True, max_length=MAX_LIST_ENTRY),
                                           max_length=MAX_LIST_ITEMS, required=False)
    basic_code = serializers.CharField(max_length=12, required=False, allow_blank=True,
                                       help_text="基本编码: 12 digits or capital letters.")
    initiation = ServiceCheckedChoiceField(choices=Initiation.choices, required=False, allow_blank=True,
                                           help_text="依申请 (application) or 依职权 (ex_officio).")
    days_unit = ServiceCheckedChoiceField(choices=DaysUnit.choices, required=False,
                                          help_text="时限单位: working or calendar days.")
    levels = serializers.ListField(child=LevelField(), max_length=6,
                                   required=False, help_text="行使层级, e.g. [2, 3, 4]; the lowest sets lowest_tier.")
    processing_steps = serializers.ListField(child=ProcessingStepSerializer(), required=False, max_length=12,
                                             help_text="多级办理: which level takes each step.")
    bases = serializers.ListField(child=LegalBasisInSerializer(), required=False, max_length=MAX_BASES,
                                  help_text="Replaces the item's structured legal bases.")
    fee_basis = serializers.CharField(max_length=TEXT_LIMITS["fee_basis"], required=False, allow_blank=True,
                                      help_text="收费依据及标准")
    service_object = serializers.CharField(max_length=TEXT_LIMITS["service_object"], required=False, allow_blank=True,
                                           help_text="服务对象")
    supervision = serializers.CharField(max_length=TEXT_LIMITS["supervision"], required=False, allow_blank=True,
                                        help_text="监督方式")
    supervision_phone = serializers.CharField(max_length=TEXT_LIMITS["supervision_phone"], required=False,
                                              allow_blank=True, help_text="监督电话")
    lowest_tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    is_core = serializers.BooleanField(required=False)
    department = id_field(Department.objects.all(), required=False,
                                                    allow_null=True)
    division = id_field(Division.objects.all(), required=False, allow_null=True)
    parent = id_field(PowerItem.objects.all(), required=False, allow_null=True,
                                                help_text="Id of the main item, for a sub-item.")
    parent_code = serializers.CharField(max_length=50, required=False, allow_blank=True,
                                        help_text="Or the main item's code in the same government's list "
                                                  "(\"\": no main item); not with `parent`.")
    reason = serializers.CharField(max_length=MAX_REASON, required=False, allow_blank=True,
                                   help_text="Why; kept in the audit trail.")

    def validate_government(self, value):
        government = Government.objects.filter(code=value).first()
        if government is None:
            raise serializers.ValidationError(f"没有代码为“{value}”的政府。 / No government with code “{value}”.")
        return government

    def validate_processing_steps(self, value):
        return [dict(step) for step in value]

    def validate_bases(self, value):
        return [dict(basis) for basis in value]


def resolve_parent_code(data: dict, government) -> dict:
    """``parent_code``: the main item named by its code in ``government``'s list (its current version)."""
    if "parent_code" not in data:
        return data
    code = data.pop("parent_code").strip()
    if "parent" in data:
        raise InvalidInput("parent_twice", "请只用 parent 或 parent_code 之一指明主项。",
                           "Name the main item by parent or by parent_code, not both.")
    if not code:
        data["parent"] = None
        return data
    parent = PowerItem.objects.filter(government=government, code=code, replaced_on__isnull=True).first()
    if parent is None:
        raise InvalidInput("invalid_parent", f"本政府的清单中没有编码为“{code}”的事项，不能作为主项。",
                           f"This government's list has no item coded “{code}” to be the main item.",
                           parent_code=code)
    data["parent"] = parent
    return data


class ItemCreateSerializer(ItemValuesSerializer):
    government = serializers.CharField(max_length=50, help_text="Code of the government whose list defines the item.")
    holder_from = serializers.DateField(required=False, allow_null=True,
                                        help_text="The government exercises the item from this date.")


class ItemUpdateSerializer(ItemValuesSerializer):
    code = serializers.CharField(max_length=50, required=False)
    name = serializers.CharField(max_length=200, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)


class ItemHistoryEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="Shown to signed-in callers only.")
    summary = serializers.SerializerMethodField(
        help_text="The event in words, in the request's language (who acted: for signed-in callers only).")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "action", "summary", "actor", "object_type", "object_id", "transfer", "batch",
                  "before", "after", "reason"]
        read_only_fields = fields

    def _signed_in(self) -> bool:
        request = self.context.get("request")
        return request is not None and policy.is_active_user(request.user)

    def get_summary(self, obj) -> str:
        return describe(obj, with_actor=self._signed_in())

    def get_actor(self, obj) -> str | None:
        return (obj.actor_name or None) if self._signed_in() else None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self._signed_in():  # no trace of who acted for anonymous callers, not even a user id
            data["before"], data["after"] = _without_people(data["before"]), _without_people(data["after"])
        return data


PEOPLE_KEYS = {"created_by_id", "decided_by_id", "giver_decided_by_id", "receiver_decided_by_id", "editors"}


def _without_people(value):
    if isinstance(value, dict):
        return {k: _without_people(v) for k, v in value.items() if k not in PEOPLE_KEYS}
    if isinstance(value, list):
        return [_without_people(v) for v in value]
    return value


class ItemFilter(django_filters.FilterSet):
    government = django_filters.CharFilter(field_name="government__code",
                                           help_text="Code of the government whose list defines the item.")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    field = django_filters.CharFilter(field_name="field", help_text="领域, e.g. 市场监管")
    department = IdFilter(field_name="department_id", help_text="Id of the department.")
    status = django_filters.ChoiceFilter(choices=STATUSES, method="filter_status", help_text="On today's date.")
    is_core = django_filters.BooleanFilter()
    lowest_tier = django_filters.TypedChoiceFilter(choices=Tier.choices, coerce=int)

    class Meta:
        model = PowerItem
        fields = ["government", "category", "field", "department", "status", "is_core", "lowest_tier"]

    def filter_status(self, queryset, name, value):
        today = timezone.localdate()
        cancelled = Q(cancelled_on__lte=today)
        replaced = Q(replaced_on__lte=today)
        if value == "cancelled":
            return queryset.filter(cancelled)
        if value == "replaced":
            return queryset.filter(replaced).exclude(cancelled)
        return queryset.exclude(cancelled).exclude(replaced)


class ItemSearch(filters.SearchFilter):
    """``?search=`` matches every word (Chinese words such as 许可 included) against the name and the code."""

    search_description = "Words matched against the item's name and code, e.g. 许可 or 建设 许可."

    def filter_queryset(self, request, queryset, view):
        for term in self.get_search_terms(request):
            queryset = queryset.filter(Q(name__icontains=term) | Q(code__icontains=term))
        return queryset


@extend_schema_view(
    list=extend_schema(summary="Power items", description="Every government's catalogue; filter, search, order.",
                       responses={200: PowerItemSerializer(many=True), **errors(400, 429)}),
    retrieve=extend_schema(summary="One power item", parameters=[ETAG_HEADER],
                           responses={200: PowerItemSerializer, **errors(404, 429)}),
)
class PowerItemViewSet(viewsets.GenericViewSet):
    serializer_class = PowerItemSerializer
    filterset_class = ItemFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, ItemSearch, StableOrdering]
    search_fields = ["name", "code"]
    ordering_fields = ["id", "code", "name", "category", "field", "lowest_tier", "updated_at"]
    ordering = ["government_id", "code", "id"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return PowerItem.objects.select_related("government", "department", "division", "parent").prefetch_related(
            Prefetch("bases", queryset=LegalBasis.objects.select_related("law").order_by("position", "id")))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        item = self.get_object()
        return with_etag(Response(self.get_serializer(item).data), item)

    def _answer(self, pk: int, code: int = status.HTTP_200_OK, headers=None) -> Response:
        item = self.get_queryset().get(pk=pk)
        return with_etag(Response(self.get_serializer(item).data, status=code, headers=headers), item)

    @extend_schema(
        summary="Add an item to a government's list",
        description="By an editor of the government. With `holder_from` the government exercises it from that "
                    "date.",
        request=ItemCreateSerializer, parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: PowerItemSerializer, **errors(400, 401, 403, 409, 429)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in(request)
        data = dict(validated(ItemCreateSerializer, request))
        resolve_parent_code(data, data["government"])
        item = create_item(actor=request.user, government=data.pop("government"),
                           holder_from=data.pop("holder_from", None), reason=data.pop("reason", ""), **data)
        return self._answer(item.pk, status.HTTP_201_CREATED, {"Location": reverse("api-item-detail", args=[item.pk])})

    @extend_schema(
        summary="Correct an item",
        description="By an editor of the item's government; only fields sent change. A correction keeps no "
                    "date: a change of substance that must show on a date is an adjustment (a transfer).",
        request=ItemUpdateSerializer, parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: PowerItemSerializer, **errors(400, 401, 403, 404, 409, 412, 428, 429)},
    )
    def partial_update(self, request, *args, **kwargs):
        require_signed_in(request)
        item = get_object_or_404(PowerItem.objects.select_related("government"), pk=kwargs["pk"])
        policy.require(request.user, "item.edit", item.government)
        version = expected_version(request, item, required=True)
        data = resolve_parent_code(dict(validated(ItemUpdateSerializer, request, partial=True)), item.government)
        update_item(item, expected_version=version, actor=request.user, reason=data.pop("reason", ""), **data)
        return self._answer(item.pk)

    @extend_schema(
        summary="The item's audit history, newest first",
        description="Events of proposals the caller may not see are left out (anonymous callers see the public "
                    "history: the item's own changes and effective transfers); names only for signed-in callers. "
                    "`verified` says whether every event of the item's history is an intact link of the audit "
                    "hash chain (signed content, linked to the event before it).",
        responses={200: ItemHistoryEventSerializer(many=True), **errors(404, 429)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, pk=None):
        item = get_object_or_404(PowerItem.objects.only("id"), pk=pk)
        events = AuditEvent.objects.filter(item=item)
        visible = policy.transfer_visibility_q(request.user)
        if visible is not None:
            events = events.filter(Q(transfer__isnull=True)
                                   | Q(transfer__in=Transfer.objects.filter(visible).values("pk")))
        events = with_subjects(events).order_by("-id")
        page = self.paginate_queryset(events)
        serializer = ItemHistoryEventSerializer(page, many=True, context=self.get_serializer_context())
        response = self.get_paginated_response(serializer.data)
        response.data["verified"] = events_verify(AuditEvent.objects.filter(item=item))
        return response
