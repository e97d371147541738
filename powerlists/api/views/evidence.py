"""Evidence of devolved powers (评估依据): per item, receiving government and period, over HTTP.

Evidence is not public: anonymous callers see none, a role holder sees the evidence of the governments in
the scope of their roles and just below them (:func:`powerlists.policy.evidence_visibility_q`, one SQL
filter). Rows are written by :func:`powerlists.services.evaluation.record_evidence`, which asks the
policy and replaces the row of the same item, government and period: a POST answers 201 when the row is
new and 200 when it replaced one. ``bulk/`` records up to :data:`MAX_BULK_ROWS` rows all or none, and an
error names the row (``details.row``, counted from 0; the message counts from 1).
"""
from __future__ import annotations

import django_filters
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import policy
from ...models import Capacity, Evidence, Government, PowerItem
from ...services.bounds import MAX_NOTE
from ...services.errors import InvalidInput
from ...services.evaluation import bulk_record_evidence, record_evidence
from ..bounds import CodeFilter, CodeRelatedField
from ..concurrency import with_etag
from ..filters import MAX_ID, IdFilter, StableOrderingFilter, id_field
from ..idempotency import idempotent
from .transfers import ETAG_HEADER, IDEMPOTENCY_KEY, LOCATION_HEADER, errors, require_signed_in, validated

MAX_BULK_ROWS = 5000
MAX_COUNT = 2**31 - 1  # the columns are 32-bit integers

ROW_FIELDS = (
    "id", "item_id", "item__code", "item__name", "government__code", "government__name", "period_start",
    "period_end", "cases_handled", "average_days", "statutory_days", "satisfaction", "complaints",
    "receiving_unit_named", "staffed", "capacity", "note", "created_at",
)


class EvidenceRowSerializer(serializers.Serializer):
    """The shape of one row (documentation only: rows are built from ``.values()`` by :func:`evidence_row`)."""

    id = serializers.IntegerField()
    item = serializers.IntegerField(help_text="Id of the power item.")
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    government = serializers.CharField(help_text="Code of the receiving government.")
    government_name = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    cases_handled = serializers.IntegerField(help_text="办件量 in the period.")
    average_days = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True,
                                            help_text="Average processing time in working days.")
    statutory_days = serializers.IntegerField(allow_null=True, help_text="法定时限 in working days.")
    satisfaction = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, help_text="Percent.")
    complaints = serializers.IntegerField()
    receiving_unit_named = serializers.BooleanField()
    staffed = serializers.BooleanField()
    capacity = serializers.ChoiceField(choices=Capacity.choices)
    capacity_label = serializers.CharField(help_text="In the request's language.")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


def _decimal(value) -> str | None:
    return None if value is None else f"{value:.2f}"


def evidence_row(row: dict) -> dict:
    capacity = row["capacity"]
    return {
        "id": row["id"], "item": row["item_id"], "item_code": row["item__code"], "item_name": row["item__name"],
        "government": row["government__code"], "government_name": row["government__name"],
        "period_start": row["period_start"].isoformat(), "period_end": row["period_end"].isoformat(),
        "cases_handled": row["cases_handled"], "average_days": _decimal(row["average_days"]),
        "statutory_days": row["statutory_days"], "satisfaction": _decimal(row["satisfaction"]),
        "complaints": row["complaints"], "receiving_unit_named": row["receiving_unit_named"],
        "staffed": row["staffed"], "capacity": capacity,
        "capacity_label": str(Capacity(capacity).label) if capacity in Capacity.values else capacity,
        "note": row["note"], "created_at": timezone.localtime(row["created_at"]).isoformat(),
    }


class EvidenceFiguresSerializer(serializers.Serializer):
    """The period and the figures of one row; a figure not sent takes its default (the row is replaced whole)."""

    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Not before period_start.")
    cases_handled = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, help_text="办件量 in the period.")
    average_days = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False,
                                            allow_null=True, help_text="Average processing time in working days.")
    statutory_days = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False, allow_null=True,
                                              help_text="法定时限 in working days (default: the item's).")
    satisfaction = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                            required=False, allow_null=True, help_text="Percent, 0 to 100.")
    complaints = serializers.IntegerField(min_value=0, max_value=MAX_COUNT, required=False,
                                          help_text="Default 0.")
    receiving_unit_named = serializers.BooleanField(required=False, help_text="承接单位 named (default true).")
    staffed = serializers.BooleanField(required=False, help_text="Staff assigned (default true).")
    capacity = serializers.ChoiceField(choices=Capacity.choices, required=False,
                                       help_text="The capacity assessment (default `unknown`).")
    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_NOTE)


class EvidenceCreateSerializer(EvidenceFiguresSerializer):
    item = id_field(PowerItem.objects.all(), help_text="Id of the power item.")
    government = CodeRelatedField(slug_field="code", queryset=Government.objects.select_related("parent"),
                                  help_text="Code of the receiving government.")


class EvidenceBulkRowSerializer(EvidenceFiguresSerializer):
    """A row of ``bulk/``: the references are resolved for all rows at once, not one query per row."""

    item = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Id of the power item.")
    government = serializers.CharField(max_length=20, help_text="Code of the receiving government.")


BULK_RESULT = inline_serializer("EvidenceBulkResult", fields={
    "recorded": serializers.IntegerField(help_text="Rows recorded."),
    "created": serializers.IntegerField(help_text="Of them, rows new for their item, government and period."),
    "replaced": serializers.IntegerField(help_text="Of them, rows that replaced an earlier one."),
    "ids": serializers.ListField(child=serializers.IntegerField(), help_text="The rows' ids, in the order sent."),
})


class EvidenceFilter(django_filters.FilterSet):
    item = IdFilter(field_name="item_id", help_text="Id of the power item.")
    government = CodeFilter(field_name="government__code", help_text="Code of the receiving government.")
    capacity = django_filters.ChoiceFilter(choices=Capacity.choices)
    period_start = django_filters.DateFromToRangeFilter(
        help_text="Start of the period: period_start_after, period_start_before (inclusive).")
    period_end = django_filters.DateFromToRangeFilter(
        help_text="End of the period: period_end_after, period_end_before (inclusive). A round uses the rows "
                  "with period_start_after = its start and period_end_before = its end.")

    class Meta:
        model = Evidence
        fields = ["item", "government", "capacity", "period_start", "period_end"]


def _row_error(index: int, field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput("invalid_evidence", f"第{index + 1}行：{field}：{zh}", f"Row {index + 1}: {field}: {en}",
                        row=index, field=field)


def _key(item_id, government_id, start, end) -> tuple:
    return (item_id, government_id, start, end)


@extend_schema_view(
    list=extend_schema(
        summary="Evidence of devolved powers",
        description="Rows of the governments in the scope of your roles and just below them; none for anonymous "
                    "callers.",
        responses={200: EvidenceRowSerializer(many=True), **errors(400, 429)},
    ),
    retrieve=extend_schema(summary="One evidence row", parameters=[ETAG_HEADER],
                           responses={200: EvidenceRowSerializer, **errors(404, 429)}),
)
class EvidenceViewSet(viewsets.GenericViewSet):
    serializer_class = EvidenceRowSerializer
    filterset_class = EvidenceFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "period_start", "period_end", "cases_handled", "satisfaction", "average_days",
                       "complaints", "created_at"]
    ordering = ["government__path", "item__code", "period_start", "id"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        qs = Evidence.objects.all()
        visible = policy.evidence_visibility_q(self.request.user)
        if visible is not None:
            qs = qs.filter(visible)
        return qs.order_by(*self.ordering).values(*ROW_FIELDS)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([evidence_row(r) for r in page])

    def retrieve(self, request, *args, **kwargs):
        return with_etag(Response(evidence_row(self.get_object())))

    def _answer(self, pk: int, code: int, headers=None) -> Response:
        row = Evidence.objects.filter(pk=pk).values(*ROW_FIELDS).get()
        return with_etag(Response(evidence_row(row), status=code, headers=headers))

    @extend_schema(
        summary="Record the evidence of one item in one receiving government for one period",
        description="By an editor of the receiving government or of the government above it. A row of the same "
                    "item, government and period is replaced whole (200); a new row answers 201.",
        request=EvidenceCreateSerializer, parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: EvidenceRowSerializer, 200: EvidenceRowSerializer, **errors(400, 401, 403, 409, 429)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in(request)
        data = dict(validated(EvidenceCreateSerializer, request))
        item, government = data.pop("item"), data.pop("government")
        start, end = data.pop("period_start"), data.pop("period_end")
        with transaction.atomic():
            existed = Evidence.objects.filter(item=item, government=government, period_start=start,
                                              period_end=end).exists()
            evidence = record_evidence(item=item, government=government, period_start=start, period_end=end,
                                       actor=request.user, **data)
        if existed:
            return self._answer(evidence.pk, status.HTTP_200_OK)
        return self._answer(evidence.pk, status.HTTP_201_CREATED,
                            {"Location": reverse("api-evidence-detail", args=[evidence.pk])})

    @extend_schema(
        summary="Record many evidence rows, all or none",
        description=f"A JSON list of 1 to {MAX_BULK_ROWS} rows, each as for a single row. Nothing is written "
                    "unless every row is valid and allowed; the error names the first row refused "
                    "(`details.row`, counted from 0).",
        request=EvidenceBulkRowSerializer(many=True), parameters=[IDEMPOTENCY_KEY],
        responses={200: BULK_RESULT, **errors(400, 401, 403, 409, 429)},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def bulk(self, request, *args, **kwargs):
        require_signed_in(request)
        rows = request.data
        if not isinstance(rows, list):
            raise InvalidInput("invalid_rows", "请求体应为评估依据行的 JSON 数组。",
                               "The body must be a JSON list of evidence rows.")
        if not rows or len(rows) > MAX_BULK_ROWS:
            raise InvalidInput("invalid_rows", f"每次请提交1至{MAX_BULK_ROWS}行。",
                               f"Send 1 to {MAX_BULK_ROWS} rows per request.", max_rows=MAX_BULK_ROWS,
                               rows=len(rows))
        checked = EvidenceBulkRowSerializer(data=rows, many=True, context=self.get_serializer_context())
        if not checked.is_valid():
            failed = checked.errors  # by row: a list with an entry per row, or a dict of the failing rows
            failed = failed if isinstance(failed, dict) else dict(enumerate(failed))
            index = min(i for i, e in failed.items() if e)
            fields = failed[index]
            raise InvalidInput("invalid", f"第{index + 1}行：输入无效，请按 details 修改后重试。",
                               f"Row {index + 1}: invalid input; see details.", row=index, errors=fields)
        values = checked.validated_data
        items = PowerItem.objects.in_bulk({v["item"] for v in values})
        governments = {g.code: g for g in Government.objects.select_related("parent")
                       .filter(code__in={v["government"] for v in values})}
        prepared = []
        for index, row in enumerate(values):
            row = dict(row)
            item, government = items.get(row["item"]), governments.get(row["government"])
            if item is None:
                raise _row_error(index, "item", "事项不存在。", "no such power item.")
            if government is None:
                raise _row_error(index, "government", "政府不存在。", "no such government.")
            prepared.append({**row, "item": item, "government": government})
        with transaction.atomic():
            existing = set(
                Evidence.objects.filter(item_id__in={r["item"].pk for r in prepared},
                                        government_id__in={r["government"].pk for r in prepared})
                .values_list("item_id", "government_id", "period_start", "period_end"))
            keys = {_key(r["item"].pk, r["government"].pk, r["period_start"], r["period_end"]) for r in prepared}
            saved = bulk_record_evidence(prepared, actor=request.user)
        created = len(keys - existing)
        return Response({"recorded": len(saved), "created": created, "replaced": len(saved) - created,
                         "ids": [e.pk for e in saved]})
