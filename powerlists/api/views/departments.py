"""Departments with their divisions (处室), and a department's table of powers and responsibilities (权责一览表)."""
from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import filters, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from ...models import Category, Department, DepartmentKind, Division, Exercise, PowerItem, Role, in_force_q
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
                  "divisions"]


class DepartmentFilter(django_filters.FilterSet):
    government = django_filters.CharFilter(field_name="government__code", help_text="Code of the government.")
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

ITEM_FIELDS = ("id", "code", "name", "category", "field", "responsibilities", "division_id")
EXERCISE_FIELDS = ("id", "division_id", "government__code", "role", "item_id", "item__code", "item__name",
                   "item__category", "item__field", "item__responsibilities")


def _items_on(day, division_ids):
    """Items whose own division is one of ``division_ids`` and that exist on ``day``: not cancelled or
    replaced by then, and not an adjusted version whose predecessor is still current. One query."""
    not_yet = PowerItem.objects.filter(replaced_by=OuterRef("pk"), replaced_on__gt=day)
    return (
        PowerItem.objects.filter(division_id__in=division_ids)
        .filter(Q(cancelled_on__isnull=True) | Q(cancelled_on__gt=day))
        .filter(Q(replaced_on__isnull=True) | Q(replaced_on__gt=day))
        .exclude(Exists(not_yet))
        .order_by("category", "code", "id")
        .values(*ITEM_FIELDS)
    )


def responsibilities_table(department: Department, day) -> dict:
    """The department's divisions and, per division, the items it handles on ``day``. Three queries."""
    divisions = list(Division.objects.filter(department=department).order_by("module", "name", "id")
                     .values("id", "name", "module"))
    ids = [d["id"] for d in divisions]
    per_division: dict[int, dict[int, dict]] = {i: {} for i in ids}
    if ids:
        for row in _items_on(day, ids):
            per_division[row["division_id"]][row["id"]] = {
                "id": row["id"], "code": row["code"], "name": row["name"], "category": row["category"],
                "field": row["field"], "responsibilities": row["responsibilities"] or [], "assigned": True,
                "exercises": [],
            }
        exercises = (Exercise.objects.filter(in_force_q(day), division_id__in=ids)
                     .order_by("item__category", "item__code", "item_id", "government__path", "id")
                     .values(*EXERCISE_FIELDS))
        for row in exercises:
            items = per_division[row["division_id"]]
            entry = items.get(row["item_id"])
            if entry is None:
                entry = items[row["item_id"]] = {
                    "id": row["item_id"], "code": row["item__code"], "name": row["item__name"],
                    "category": row["item__category"], "field": row["item__field"],
                    "responsibilities": row["item__responsibilities"] or [], "assigned": False, "exercises": [],
                }
            entry["exercises"].append({"exercise_id": row["id"], "government": row["government__code"],
                                       "role": row["role"]})
    all_items = set()
    out = []
    for d in divisions:
        items = sorted(per_division[d["id"]].values(), key=lambda r: (r["category"], r["code"], r["id"]))
        all_items.update(r["id"] for r in items)
        out.append({**d, "items": items})
    return {
        "department": {"id": department.pk, "name": department.name, "government": department.government.code},
        "as_of": day.isoformat(),
        "item_count": len(all_items),
        "divisions": out,
    }


@extend_schema_view(
    list=extend_schema(summary="Departments",
                       description="Departments, stationed agencies (派驻机构) and service centres, with their "
                                   "divisions (处室). `search` matches the name (Chinese works, e.g. 发展)."),
    retrieve=extend_schema(summary="One department, with its divisions"),
)
class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments are public."""

    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, filters.SearchFilter,
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
