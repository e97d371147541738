"""Exercise rows: who exercised which item, in which role, from when to when. All rows are public history."""
from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from ...models import Exercise, Method, Role, in_force_q
from ..bounds import BoundedSearchFilter, CodeFilter
from ..concurrency import with_etag
from ..filters import IdFilter, StableOrderingFilter
from .governments import implementing_code

ROW_FIELDS = (
    "id", "item_id", "item__code", "item__name", "government__code", "government__name", "role",
    "department_id", "department__name", "division_id", "division__name", "method", "fiscal_share",
    "source_id", "source__government__code", "shared_by__code", "transfer_id", "closed_by_id",
    "valid_from", "valid_to", "government__tier", "department__credit_code", "item__basic_code",
)


@extend_schema_field({"type": "string", "enum": ["true", "false"],
                     "description": "true: rows with no end date; false: closed rows."})
class BooleanChoiceFilter(django_filters.TypedChoiceFilter):
    """``true`` or ``false`` (documented as such: the schema would otherwise take the type of the field)."""


class ExerciseRowSerializer(serializers.Serializer):
    """The shape of one row (documentation only: rows are built from ``.values()`` by :func:`exercise_row`)."""

    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    government = serializers.CharField(help_text="Code of the exercising government.")
    government_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    department_id = serializers.IntegerField(allow_null=True)
    department = serializers.CharField(allow_null=True)
    division_id = serializers.IntegerField(allow_null=True)
    division = serializers.CharField(allow_null=True)
    method = serializers.ChoiceField(choices=[("", "")] + list(Method.choices), allow_blank=True)
    fiscal_share = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    source_id = serializers.IntegerField(allow_null=True, help_text="The upper row a received or shared row comes from.")
    source_government = serializers.CharField(allow_null=True)
    shared_by = serializers.CharField(allow_null=True)
    transfer_id = serializers.IntegerField(allow_null=True, help_text="The transfer that opened the row.")
    closed_by_id = serializers.IntegerField(allow_null=True, help_text="The transfer that closed the row.")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True, help_text="Null while still in force.")
    implementing_code = serializers.CharField(
        allow_null=True, help_text="实施编码: the department's 统一社会信用代码, the level digit of the exercising "
                                   "government and the item's basic code; null unless both codes are known.")


def exercise_row(row: dict) -> dict:
    share = row["fiscal_share"]
    return {
        "id": row["id"], "item_id": row["item_id"], "item_code": row["item__code"], "item_name": row["item__name"],
        "government": row["government__code"], "government_name": row["government__name"], "role": row["role"],
        "department_id": row["department_id"], "department": row["department__name"],
        "division_id": row["division_id"], "division": row["division__name"], "method": row["method"],
        "fiscal_share": None if share is None else f"{share:.2f}", "source_id": row["source_id"],
        "source_government": row["source__government__code"], "shared_by": row["shared_by__code"],
        "transfer_id": row["transfer_id"], "closed_by_id": row["closed_by_id"],
        "valid_from": row["valid_from"].isoformat(),
        "valid_to": row["valid_to"].isoformat() if row["valid_to"] else None,
        "implementing_code": implementing_code(row["department__credit_code"], row["government__tier"],
                                               row["item__basic_code"]),
    }


class ExerciseFilter(django_filters.FilterSet):
    government = CodeFilter(field_name="government__code", help_text="Code of the government.")
    item = IdFilter(field_name="item_id", help_text="Id of the power item.")
    role = django_filters.ChoiceFilter(choices=Role.choices)
    department = IdFilter(field_name="department_id")
    division = IdFilter(field_name="division_id")
    in_force_on = django_filters.DateFilter(method="filter_in_force_on",
                                            help_text="Rows in force on this date (YYYY-MM-DD).")
    valid_from = django_filters.DateFromToRangeFilter(help_text="Start date range: valid_from_after, valid_from_before.")
    valid_to = django_filters.DateFromToRangeFilter(help_text="End date range: valid_to_after, valid_to_before.")
    open = BooleanChoiceFilter(
        field_name="valid_to", lookup_expr="isnull", choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true", help_text="true: rows with no end date; false: closed rows.")
    transfer = IdFilter(method="filter_transfer", help_text="Id of a transfer: the rows it opened or closed.")

    class Meta:
        model = Exercise
        fields = ["government", "item", "role", "department", "division", "in_force_on", "valid_from", "valid_to",
                  "open", "transfer"]

    def filter_in_force_on(self, queryset, name, value):
        return queryset.filter(in_force_q(value))

    def filter_transfer(self, queryset, name, value):
        return queryset.filter(Q(transfer_id=value) | Q(closed_by_id=value))


@extend_schema_view(
    list=extend_schema(summary="Exercise rows",
                       description="Who exercises which item in which role, from when to when; `search` matches "
                                   "the item's name or code (Chinese works, e.g. 许可)."),
    retrieve=extend_schema(summary="One exercise row"),
)
class ExerciseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Read-only: rows are opened and closed only by the services."""
    lookup_value_regex = r"[0-9]{1,18}"  # a longer id cannot exist: 404, not an integer overflow

    serializer_class = ExerciseRowSerializer
    filterset_class = ExerciseFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BoundedSearchFilter,
                       StableOrderingFilter]
    search_fields = ["item__name", "item__code"]
    ordering_fields = ["id", "valid_from", "valid_to", "item__code", "government__path", "role"]
    ordering = ["government__path", "item__code", "valid_from", "id"]

    def get_queryset(self):
        return Exercise.objects.order_by(*self.ordering).values(*ROW_FIELDS)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response([exercise_row(r) for r in page])

    def retrieve(self, request, *args, **kwargs):
        return with_etag(Response(exercise_row(self.get_object())))

