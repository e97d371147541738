"""Governments, their power lists on a date, and the difference between two dates."""
from __future__ import annotations

import django_filters
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import filters, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import listcache, standard_codes
from ...models import Arrangement, AssessmentType, Category, Department, Government, PowerItem, Tier
from ...queries import diff, list_queryset
from ...queries.lists import LIST_FIELDS
from ...queries.tree import path_prefix_q
from ..concurrency import list_cache_headers, with_etag
from ..params import as_of, choice_param, date_param, int_param


class GovernmentSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", read_only=True, allow_null=True, default=None)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Government
        fields = ["code", "name", "kind", "tier", "tier_label", "parent", "path", "depth", "aliases", "tags",
                  "assessment_type"]

    def get_tags(self, obj) -> list[str]:
        return [t.slug for t in obj.tags.all()]


class GovernmentFilter(django_filters.FilterSet):
    tier = django_filters.TypedChoiceFilter(choices=Tier.choices, coerce=int)
    parent = django_filters.CharFilter(field_name="parent__code", help_text="Code of the parent government.")
    ancestor = django_filters.CharFilter(method="filter_ancestor",
                                         help_text="Code of a government: those inside its territory (not itself).")
    tag = django_filters.CharFilter(field_name="tags__slug", help_text="A tag such as `pilot`.")
    assessment_type = django_filters.ChoiceFilter(choices=AssessmentType.choices)

    class Meta:
        model = Government
        fields = ["tier", "parent", "ancestor", "tag", "assessment_type"]

    def filter_ancestor(self, queryset, name, value):
        ancestor = Government.objects.filter(code=value).only("path").first()
        if ancestor is None:
            return queryset.none()
        return queryset.filter(path_prefix_q(ancestor.path)).exclude(code=value)


class NameSearch(filters.SearchFilter):
    """``?search=`` matches every word against the name, the aliases and the code."""

    def filter_queryset(self, request, queryset, view):
        terms = self.get_search_terms(request)
        for term in terms:
            queryset = queryset.filter(Q(search_text__icontains=term) | Q(code__startswith=term))
        return queryset


POWER_ROW = inline_serializer("PowerListRow", fields={
    "item_id": serializers.IntegerField(),
    "code": serializers.CharField(),
    "name": serializers.CharField(),
    "category": serializers.ChoiceField(choices=Category.choices),
    "field": serializers.CharField(),
    "legal_basis": serializers.CharField(),
    "statutory_days": serializers.IntegerField(allow_null=True),
    "promised_days": serializers.IntegerField(allow_null=True),
    "lowest_tier": serializers.IntegerField(),
    "is_core": serializers.BooleanField(),
    "parent_item_id": serializers.IntegerField(allow_null=True),
    "role": serializers.CharField(),
    "arrangement": serializers.ChoiceField(choices=Arrangement.choices),
    "method": serializers.CharField(),
    "fiscal_share": serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True),
    "department_id": serializers.IntegerField(allow_null=True),
    "department": serializers.CharField(allow_null=True),
    "division": serializers.CharField(allow_null=True),
    "from_government": serializers.CharField(allow_null=True),
    "shared_by": serializers.CharField(allow_null=True),
    "valid_from": serializers.DateField(),
    "valid_to": serializers.DateField(allow_null=True),
    "exercise_id": serializers.IntegerField(),
    "implementing_code": serializers.CharField(
        allow_null=True, help_text="实施编码: the exercising department's 统一社会信用代码, the level digit of the "
                                   "exercising government and the item's basic code; null unless both codes are known."),
})


PAGINATED_POWER_LIST = inline_serializer("PaginatedPowerList", fields={
    "count": serializers.IntegerField(),
    "next": serializers.URLField(allow_null=True),
    "previous": serializers.URLField(allow_null=True),
    "results": POWER_ROW.__class__(many=True),
})


CODE_FIELDS = ("department__credit_code", "item__basic_code")
"""What a row needs beyond :data:`queries.lists.LIST_FIELDS` for its 实施编码 (read in the list's own query)."""


def with_codes(rows):
    """A list queryset of rows (:func:`queries.lists.list_queryset`) also reading the exercising department's
    credit code and the item's basic code: the same one query, two more columns of tables it joins already."""
    return rows.values(*LIST_FIELDS, *CODE_FIELDS)


def add_codes(*row_lists) -> None:
    """Rows read without :data:`CODE_FIELDS` (those of :func:`queries.lists.diff`) get them, for any number of
    rows, in two queries at most: the departments' credit codes and the items' basic codes."""
    rows = [r for rows in row_lists for r in rows]
    department_ids = {r["department_id"] for r in rows if r["department_id"]}
    item_ids = {r["item_id"] for r in rows}
    credit = dict(Department.objects.filter(pk__in=department_ids).values_list("pk", "credit_code")) if (
        department_ids) else {}
    basic = dict(PowerItem.objects.filter(pk__in=item_ids).values_list("pk", "basic_code")) if item_ids else {}
    for r in rows:
        r["department__credit_code"] = credit.get(r["department_id"], "")
        r["item__basic_code"] = basic.get(r["item_id"], "")


def implementing_code(credit_code, tier, basic_code) -> str | None:
    """The 实施编码 of an exercising row, or None when the department's credit code or the basic code is unknown."""
    return standard_codes.implementing_code(credit_code or "", tier, basic_code or "") or None


def power_row(row: dict, tier: int) -> dict:
    """One row of a list as the API gives it: plain values, no per-object serializer overhead. ``tier`` is
    the exercising government's (the list's), for the level digit of the 实施编码."""
    share = row["fiscal_share"]
    return {
        "item_id": row["item_id"], "code": row["item__code"], "name": row["item__name"],
        "category": row["item__category"], "field": row["item__field"], "legal_basis": row["item__legal_basis"],
        "statutory_days": row["item__statutory_days"], "promised_days": row["item__promised_days"],
        "lowest_tier": row["item__lowest_tier"], "is_core": row["item__is_core"],
        "parent_item_id": row["item__parent_id"], "role": row["role"], "arrangement": row["arrangement"],
        "method": row["method"], "fiscal_share": None if share is None else f"{share:.2f}",
        "department_id": row["department_id"], "department": row["department__name"],
        "division": row["division__name"], "from_government": row["source__government__code"],
        "shared_by": row["shared_by__code"],
        "valid_from": row["valid_from"].isoformat(),
        "valid_to": row["valid_to"].isoformat() if row["valid_to"] else None, "exercise_id": row["id"],
        "implementing_code": implementing_code(row["department__credit_code"], tier, row["item__basic_code"]),
    }


def diff_body(result, tier: int) -> dict:
    """The rows of a :class:`queries.lists.ListDiff` as the API gives them (two queries for their codes)."""
    add_codes(result.added, result.removed, [a for a, _b in result.changed], [b for _a, b in result.changed])
    return {
        "added": [power_row(r, tier) for r in result.added],
        "removed": [power_row(r, tier) for r in result.removed],
        "changed": [{"before": power_row(a, tier), "after": power_row(b, tier)} for a, b in result.changed],
    }


LIST_PARAMETERS = [
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="The date of the list (default today)."),
    OpenApiParameter("category", str, enum=Category.values),
    OpenApiParameter("field", str, description="领域, e.g. 市场监管"),
    OpenApiParameter("arrangement", str, enum=Arrangement.values),
    OpenApiParameter("department", int, description="Id of the exercising department or receiving unit."),
    OpenApiParameter("search", str, description="Words matched against the item's name and code (Chinese works)."),
]


@extend_schema_view(
    list=extend_schema(summary="Governments", description="The government tree; filter and search it."),
    retrieve=extend_schema(summary="One government, by code"),
)
class GovernmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Governments are public."""

    serializer_class = GovernmentSerializer
    lookup_field = "code"
    lookup_value_regex = r"[0-9A-Za-z_-]{1,20}"
    filterset_class = GovernmentFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, NameSearch, filters.OrderingFilter]
    search_fields = ["search_text"]
    ordering_fields = ["code", "name", "tier", "path"]
    ordering = ["path"]

    def get_queryset(self):
        return Government.objects.select_related("parent").prefetch_related("tags").order_by("path")

    def retrieve(self, request, *args, **kwargs):
        return with_etag(super().retrieve(request, *args, **kwargs))

    def _government(self) -> Government:
        """The government named in the URL, without the list's joins (one query)."""
        return get_object_or_404(Government.objects.only("id", "code", "path", "tier", "name"),
                                 code=self.kwargs["code"])

    @extend_schema(summary="The government's power list on a date", parameters=[
        *LIST_PARAMETERS,
        OpenApiParameter("page", int, description="Page number (from 1)."),
        OpenApiParameter("page_size", int, description="Rows per page (at most 500)."),
    ], responses=PAGINATED_POWER_LIST)
    @action(detail=True, methods=["get"])
    def powers(self, request, code=None):
        government = self._government()
        day = as_of(request)
        filters = dict(
            category=choice_param(request, "category", Category.values),
            field=request.query_params.get("field") or None,
            arrangement=choice_param(request, "arrangement", Arrangement.values),
            department=int_param(request, "department"),
            search=request.query_params.get("search") or None,
        )
        parts = (request.get_host(), request.get_full_path(), get_language(), day, government.code)
        etag = listcache.etag_for("powers", *parts)
        if listcache.if_none_match(request, etag):
            return list_cache_headers(Response(status=status.HTTP_304_NOT_MODIFIED), etag, day)

        def compute():
            page = self.paginate_queryset(with_codes(list_queryset(government, day, **filters)))
            return self.get_paginated_response([power_row(r, government.tier) for r in page]).data

        data = listcache.get_or_compute(listcache.key_for("powers", *parts), compute)
        return list_cache_headers(Response(data), etag, day)

    @extend_schema(
        summary="What changed in the government's list between two dates",
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE, required=True),
                    OpenApiParameter("to", OpenApiTypes.DATE, description="Default today.")],
        responses=inline_serializer("ListDiff", fields={
            "government": serializers.CharField(), "from": serializers.DateField(), "to": serializers.DateField(),
            "count_from": serializers.IntegerField(), "count_to": serializers.IntegerField(),
            "unchanged": serializers.IntegerField(),
            "added": POWER_ROW.__class__(many=True), "removed": POWER_ROW.__class__(many=True),
            "changed": inline_serializer("ListDiffChange", many=True, fields={
                "before": POWER_ROW.__class__(), "after": POWER_ROW.__class__()}),
        }),
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, code=None):
        government = self._government()
        date_from = date_param(request, "from", required=True)
        date_to = date_param(request, "to", default=timezone.localdate())
        result = diff(government, date_from, date_to)
        return Response({
            "government": government.code, "from": date_from.isoformat(), "to": date_to.isoformat(),
            "count_from": result.count_from, "count_to": result.count_to, "unchanged": result.unchanged,
            **diff_body(result, government.tier),
        })
