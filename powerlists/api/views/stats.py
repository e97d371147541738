"""Counts over a government's subtree on a date, by tier, category, field or arrangement."""
from __future__ import annotations

from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from ... import listcache
from ...models import Arrangement, Category, Government, Tier
from ...queries import counts
from ...queries.stats import GROUPINGS
from ...services.errors import InvalidInput
from ..concurrency import list_cache_headers
from ..params import as_of

LABELS = {"tier": Tier, "category": Category, "arrangement": Arrangement}


class StatsGroupSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The group: a tier number, a category, a field (领域) or an arrangement.")
    label = serializers.CharField(help_text="The group's name in the request's language.")
    exercises = serializers.IntegerField(help_text="Exercise rows in force on the date.")
    items = serializers.IntegerField(help_text="Distinct power items among them.")


class StatsGroupingSerializer(serializers.Serializer):
    by = serializers.ChoiceField(choices=list(GROUPINGS))
    groups = StatsGroupSerializer(many=True)


@extend_schema_serializer(many=False)
class StatsSerializer(serializers.Serializer):
    government = serializers.CharField()
    government_name = serializers.CharField()
    as_of = serializers.DateField()
    groupings = StatsGroupingSerializer(many=True, help_text="One object per requested grouping, in order.")


def _label(by: str, key) -> str:
    choices = LABELS.get(by)
    if choices is not None:
        try:
            return str(choices(key).label)
        except ValueError:
            pass
    return "" if key is None else str(key)


def _groupings(request) -> list[str]:
    raw = request.query_params.get("by") or "tier"
    wanted = []
    for part in raw.split(","):
        part = part.strip()
        if part not in GROUPINGS:
            raise InvalidInput("invalid_grouping", "统计维度无效，应为：" + "、".join(GROUPINGS),
                               "Unknown grouping; use one of: " + ", ".join(GROUPINGS), by=part)
        if part not in wanted:
            wanted.append(part)
    return wanted


class StatsViewSet(viewsets.GenericViewSet):
    """Counts are computed from the records, one query per grouping."""

    pagination_class = None
    filter_backends = []
    serializer_class = StatsSerializer
    queryset = Government.objects.none()

    @extend_schema(
        summary="Counts over a government's territory on a date",
        description="Exercises in force in the government's subtree (itself included) on `as_of`, grouped "
                    "`by` tier, category, field or arrangement; several groupings at once with commas "
                    "(`by=tier,category`).",
        parameters=[
            OpenApiParameter("government", str, required=True, description="Code of the government."),
            OpenApiParameter("as_of", OpenApiTypes.DATE, description="The date (default today)."),
            OpenApiParameter("by", str, description="tier (default), category, field, arrangement, or several "
                                                    "separated by commas."),
        ],
        responses=StatsSerializer,
    )
    def list(self, request, *args, **kwargs):
        code = request.query_params.get("government")
        if not code:
            raise InvalidInput("government_required", "请提供政府代码参数 government。",
                               "The parameter government (a government code) is required.", parameter="government")
        day = as_of(request)
        groupings = _groupings(request)
        government = get_object_or_404(Government.objects.only("id", "code", "name", "path"), code=code)
        parts = (government.code, day, ",".join(groupings), get_language())
        etag = listcache.etag_for("stats", *parts)
        if listcache.if_none_match(request, etag):
            return list_cache_headers(Response(status=status.HTTP_304_NOT_MODIFIED), etag, day)
        data = listcache.get_or_compute(listcache.key_for("stats", *parts), lambda: {
            "government": government.code, "government_name": government.name, "as_of": day.isoformat(),
            "groupings": [
                {"by": by, "groups": [
                    {"key": "" if key is None else str(key), "label": _label(by, key), **values}
                    for key, values in counts(government, day, by).items()
                ]}
                for by in groupings
            ],
        })
        return list_cache_headers(Response(data), etag, day)
