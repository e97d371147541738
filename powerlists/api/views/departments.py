"""Departments with their divisions (处室), and a department's table of powers and responsibilities (权责一览表)."""
from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from ...models import Category, Department, DepartmentKind, Division, Role
from ...queries.departments import responsibilities_table
from ..bounds import BoundedSearchFilter, CodeFilter
from ..concurrency import with_etag
from ..filters import IdFilter, StableOrderingFilter
from ..params import as_of

# --- departments ---------------------------------------------------------------------------------------


class DivisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["id", "name", "module"]


class UpperDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    government = serializers.CharField(source="government.code")
    government_name = serializers.CharField(source="government.name")


class DepartmentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    government = serializers.CharField(source="government.code", read_only=True)
    government_name = serializers.CharField(source="government.name", read_only=True)
    upper_department = UpperDepartmentSerializer(read_only=True, allow_null=True,
                                                 help_text="派出部门: the upper department of a stationed agency.")
    divisions = DivisionSerializer(many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "kind", "kind_label", "government", "government_name", "upper_department",
                  "credit_code", "approvals_concentrated", "divisions"]


class DepartmentFilter(django_filters.FilterSet):
    government = CodeFilter(field_name="government__code", help_text="Code of the government.")
    kind = django_filters.ChoiceFilter(choices=DepartmentKind.choices)
    upper_department = IdFilter(field_name="upper_department_id",
                                help_text="Id of an upper department: its stationed agencies.")

    class Meta:
        model = Department
        fields = ["government", "kind", "upper_department"]


RESPONSIBILITY_ITEM = inline_serializer("DivisionPowerItem", fields={
    "id": serializers.IntegerField(),
    "code": serializers.CharField(),
    "name": serializers.CharField(),
    "category": serializers.ChoiceField(choices=Category.choices),
    "field": serializers.CharField(),
    "responsibilities": serializers.ListField(child=serializers.CharField()),
    "assigned": serializers.BooleanField(help_text="The item's own division is this one."),
    "exercises": inline_serializer("DivisionExercise", many=True, fields={
        "exercise_id": serializers.IntegerField(),
        "government": serializers.CharField(),
        "role": serializers.ChoiceField(choices=Role.choices),
    }, help_text="Exercises in force on the date that this division handles."),
})

RESPONSIBILITIES = inline_serializer("DepartmentResponsibilities", fields={
    "department": inline_serializer("ResponsibilitiesDepartment", fields={
        "id": serializers.IntegerField(), "name": serializers.CharField(), "government": serializers.CharField(),
    }),
    "as_of": serializers.DateField(),
    "item_count": serializers.IntegerField(help_text="Distinct items handled by the department's divisions."),
    "divisions": inline_serializer("DivisionResponsibilities", many=True, fields={
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "module": serializers.CharField(),
        "items": RESPONSIBILITY_ITEM.__class__(many=True),
    }),
})

@extend_schema_view(
    list=extend_schema(summary="Departments",
                       description="Departments, stationed agencies (派驻机构) and service centres, with their "
                                   "divisions (处室). `search` matches the name (Chinese works, e.g. 发展)."),
    retrieve=extend_schema(summary="One department, with its divisions"),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments are public."""
    lookup_value_regex = r"[0-9]{1,18}"  # a longer id cannot exist: 404, not an integer overflow

    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, BoundedSearchFilter,
                       StableOrderingFilter]
    search_fields = ["name"]
    ordering_fields = ["id", "name", "code", "kind", "government__path"]
    ordering = ["government__path", "name", "id"]

    def get_queryset(self):
        return (
            Department.objects.select_related("government", "upper_department__government")
            .prefetch_related(Prefetch("divisions", queryset=Division.objects.order_by("module", "name", "id")))
            .order_by("government__path", "name", "id")
        )

    def retrieve(self, request, *args, **kwargs):
        return with_etag(super().retrieve(request, *args, **kwargs))

    @extend_schema(
        summary="The department's table of powers and responsibilities (权责一览表) on a date",
        description="Its divisions and, per division, the power items that division handles: items whose "
                    "division it is (existing on the date) and items exercised through it on the date.",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="The date (default today).")],
        responses=RESPONSIBILITIES,
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def responsibilities(self, request, pk=None):
        day = as_of(request)
        department = get_object_or_404(Department.objects.select_related("government").only(
            "id", "name", "government__code"), pk=pk)
        return with_etag(Response(responsibilities_table(department, day)))
