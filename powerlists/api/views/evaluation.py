"""Evaluation rounds (评估轮次) and their results over HTTP: Hubei's four categories.

A confirmed round is public, its results and report with it; before that a round is seen by those with a
role in its territory (:func:`powerlists.policy.round_visibility_q`, one SQL filter). A round or result
the caller cannot see answers 404 to every request, an action included. Writes go through
:mod:`powerlists.services.evaluation`, which asks the policy: a round is opened, run and followed up by
editors of its scope government, a result decided by a reviewer of the giving side or of the round's
scope. The follow-up is a draft batch of draft transfers that then goes through ``/api/v1/transfers/``
and ``/api/v1/batches/`` like any other.

A result's ETag counts its writes (``v1`` computed, ``v2`` decided, ``v3`` followed up): ``decide`` takes
If-Match like the other actions, checked under the result's row lock. A round has no version column: its
ETag is a digest of what was read, and its actions are guarded by its state instead (a confirmed round is
not run again, a result is followed up once: 409). People's names (``created_by``, ``decided_by``) are
shown to signed-in callers only.
"""
from __future__ import annotations

import math

import django_filters
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import policy
from ...models import (
    DEFAULT_RULES,
    AssessmentType,
    EvaluationCategory,
    EvaluationResult,
    EvaluationRound,
    Government,
    RoundState,
    Tag,
    TransferState,
)
from ...queries.evaluation import CATEGORIES, category_expression, round_report
from ...services import Conflict
from ...services.bounds import MAX_NAME, MAX_NUMBER, MAX_REASON
from ...services.errors import InvalidInput
from ...services.evaluation import create_round, decide, generate_follow_up, run_round
from ..bounds import BoundedDictField, CodeFilter, CodeRelatedField
from ..concurrency import expected_version, with_etag
from ..filters import IdFilter, StableOrderingFilter
from ..idempotency import idempotent
from .transfers import (
    ACTION_PARAMETERS,
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    LOCATION_HEADER,
    actor_visible,
    errors,
    require_signed_in,
    validated,
    visible_batches,
)

CATEGORY_LABELS = dict(EvaluationCategory.choices)
MAX_RULES = 32  # names in a round's rules (every one the service does not know is refused anyway)


def _label(choices: dict, value) -> str:
    return str(choices.get(value, "")) if value else ""


# --- rounds: serializers --------------------------------------------------------------------------------


class RoundRulesSerializer(serializers.Serializer):
    """The thresholds of a round (documentation of ``rules``); a rule not sent takes its default."""

    min_cases = serializers.IntegerField(min_value=0, required=False, help_text=(
        f"可推广: at least this many cases handled in the period (default {DEFAULT_RULES['min_cases']})."))
    min_satisfaction = serializers.FloatField(min_value=0, max_value=100, required=False, help_text=(
        f"Percent: below it 运行不良; at or above it, with the rest, 可推广 (default "
        f"{DEFAULT_RULES['min_satisfaction']})."))
    max_days_ratio = serializers.FloatField(min_value=0, required=False, help_text=(
        f"Average days above this ratio × statutory days → 运行不良 (default {DEFAULT_RULES['max_days_ratio']})."))
    compare_before = serializers.BooleanField(required=False, help_text=(
        "Average days above the item's promised days before devolution → 运行不良 (default true)."))
    not_yet_overdue_days = serializers.IntegerField(min_value=0, required=False, help_text=(
        "应放未放: an approved or accepted devolution not effective this many days before the period ends "
        f"(default {DEFAULT_RULES['not_yet_overdue_days']})."))
    requested_undecided_days = serializers.IntegerField(min_value=0, required=False, help_text=(
        "应放未放: a requested (点菜) devolution still undecided this many days after it was made "
        f"(default {DEFAULT_RULES['requested_undecided_days']})."))


@extend_schema_field(RoundRulesSerializer)
class RulesField(BoundedDictField):
    """The rules as sent: names and values are checked by the service (an unknown name is a 400)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=MAX_RULES, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        for name, number in value.items():
            if isinstance(number, float) and not math.isfinite(number):
                raise InvalidInput("invalid_rules", f"{name} 必须是有限的数。", f"{name} must be a finite number.",
                                   rule=name)
        return value


ROUND_SUMMARY = inline_serializer("EvaluationRoundSummary", fields={
    "pairs": serializers.IntegerField(required=False, help_text="(item, town) pairs in scope."),
    "results": serializers.IntegerField(required=False, help_text="Results computed by the last run."),
    "kept_decided": serializers.IntegerField(required=False, help_text="Decided results the last run kept."),
    "insufficient_evidence": serializers.IntegerField(required=False,
                                                      help_text="Pairs with no evidence and no rule applying."),
    "replaced": serializers.IntegerField(required=False, help_text="Undecided results the last run replaced."),
    "suggested": serializers.DictField(child=serializers.IntegerField(), required=False,
                                       help_text="Results of the last run by suggested category."),
})

ROUND_LINKS = inline_serializer("EvaluationRoundLinks", fields={
    "self": serializers.CharField(), "results": serializers.CharField(), "report": serializers.CharField(),
    "run": serializers.CharField(), "follow_up": serializers.CharField(),
    "evidence": serializers.CharField(help_text="The evidence of one town in the round's period (add "
                                                "`&government=<code>`)."),
})

FOLLOW_UP_BATCH = inline_serializer("EvaluationFollowUpBatch", fields={
    "id": serializers.IntegerField(), "state": serializers.CharField(), "url": serializers.CharField(),
}, many=True)


class EvaluationRoundSerializer(serializers.ModelSerializer):
    """A round as the API shows it (output only)."""

    scope_government = serializers.CharField(source="scope_government.code", read_only=True, allow_null=True,
                                             default=None, help_text="Code of the government whose territory "
                                                                     "is evaluated.")
    scope_government_name = serializers.CharField(source="scope_government.name", read_only=True,
                                                  allow_null=True, default=None)
    scope_tag = serializers.CharField(read_only=True, help_text="The tag the round is scoped by (e.g. `pilot`); "
                                                                "empty when it is scoped by territory only.")
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    summary = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField(help_text="Shown to signed-in callers only.")

    class Meta:
        model = EvaluationRound
        fields = ["id", "name", "scope_government", "scope_government_name", "scope_tag", "period_start",
                  "period_end", "state", "state_label", "summary", "created_by", "created_at", "evaluated_at"]
        read_only_fields = fields

    @extend_schema_field(ROUND_SUMMARY)
    def get_summary(self, obj) -> dict:
        return obj.summary or {}

    def get_created_by(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or not actor_visible(request) or obj.created_by_id is None:
            return None
        return obj.created_by.username


class EvaluationRoundDetailSerializer(EvaluationRoundSerializer):
    """A round with its rules, the batches that followed it up (those the caller may see) and its links."""

    rules = serializers.SerializerMethodField()
    follow_up_batches = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta(EvaluationRoundSerializer.Meta):
        fields = [*EvaluationRoundSerializer.Meta.fields, "rules", "follow_up_batches", "links"]
        read_only_fields = fields

    @extend_schema_field(RoundRulesSerializer)
    def get_rules(self, obj) -> dict:
        return {name: obj.rule(name) for name in DEFAULT_RULES}

    @extend_schema_field(FOLLOW_UP_BATCH)
    def get_follow_up_batches(self, obj) -> list:
        request = self.context.get("request")
        rows = (visible_batches(request.user if request else None)
                .filter(transfers__evaluation_follow_ups__round=obj).distinct().order_by("id").values("id", "state"))
        return [{"id": r["id"], "state": r["state"], "url": reverse("api-batch-detail", args=[r["id"]])}
                for r in rows]

    @extend_schema_field(ROUND_LINKS)
    def get_links(self, obj) -> dict:
        detail = reverse("api-evaluation-round-detail", args=[obj.pk])
        return {
            "self": detail,
            "results": f"{reverse('api-evaluation-result-list')}?round={obj.pk}",
            "report": reverse("api-evaluation-round-report", args=[obj.pk]),
            "run": reverse("api-evaluation-round-run", args=[obj.pk]),
            "follow_up": reverse("api-evaluation-round-follow-up", args=[obj.pk]),
            "evidence": (f"{reverse('api-evidence-list')}?period_start_after={obj.period_start.isoformat()}"
                         f"&period_end_before={obj.period_end.isoformat()}"),
        }


class RoundCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=MAX_NAME, help_text="e.g. 经济发达镇扩权两年评估")
    scope_government = CodeRelatedField(
        slug_field="code", queryset=Government.objects.all(), required=False, allow_null=True,
        help_text="Code of the government whose territory is evaluated (its editors open the round).")
    scope_tag = CodeRelatedField(
        slug_field="slug", queryset=Tag.objects.all(), required=False, allow_null=True,
        help_text="A tag such as `pilot`: only the governments carrying it (with a scope government, inside "
                  "its territory; a tag alone is for a superuser).")
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Not before period_start.")
    rules = RulesField(required=False, help_text="Thresholds; an unknown name is refused (400).")


class FollowUpSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=MAX_NAME, help_text="Title of the follow-up batch (文件标题).")
    number = serializers.CharField(max_length=MAX_NUMBER, required=False, allow_blank=True, default="",
                                   help_text="文号")
    effective_on = serializers.DateField(help_text="The date the follow-up changes take effect.")


FOLLOW_UP_RESULT = inline_serializer("EvaluationFollowUp", fields={
    "round": serializers.IntegerField(),
    "batch": serializers.IntegerField(help_text="Id of the new draft batch."),
    "transfers": serializers.ListField(child=serializers.IntegerField(),
                                       help_text="Ids of the draft transfers proposed in it."),
    "links": inline_serializer("EvaluationFollowUpLinks", fields={
        "batch": serializers.CharField(), "transfers": serializers.CharField()}),
})


def _count_fields(**extra):
    fields = {c: serializers.IntegerField() for c in CATEGORIES}
    fields["total"] = serializers.IntegerField()
    fields.update(extra)
    return fields


REPORT = inline_serializer("EvaluationReport", fields={
    "round": serializers.IntegerField(),
    "totals": inline_serializer("EvaluationReportTotals", fields={
        "results": serializers.IntegerField(), "decided": serializers.IntegerField(),
        "undecided": serializers.IntegerField(), "overridden": serializers.IntegerField(),
        "follow_up": serializers.IntegerField(help_text="Results with a follow-up transfer."),
        "follow_up_effective": serializers.IntegerField(help_text="Of them, transfers in effect."),
        "pairs": serializers.IntegerField(allow_null=True), "insufficient_evidence": serializers.IntegerField(
            allow_null=True)}),
    "by_category": inline_serializer("EvaluationReportCategory", many=True, fields={
        "category": serializers.ChoiceField(choices=EvaluationCategory.choices),
        "label": serializers.CharField(help_text="In the request's language."),
        "suggested": serializers.IntegerField(help_text="Results the rules suggested in this category."),
        "count": serializers.IntegerField(help_text="Results in this category: the decision, else the suggestion."),
        "decided": serializers.IntegerField(), "overridden": serializers.IntegerField(),
        "follow_up": serializers.IntegerField(), "follow_up_effective": serializers.IntegerField(),
        "follow_up_refused": serializers.IntegerField(help_text="Follow-up transfers rejected or withdrawn."),
        "noted_only": serializers.IntegerField(help_text="Followed up with a note and no transfer."),
    }),
    "by_town": inline_serializer("EvaluationReportTown", many=True, fields=_count_fields(
        government=serializers.CharField(), name=serializers.CharField(),
        assessment_type=serializers.CharField(help_text="差异化考核 type, or empty."),
        assessment_type_label=serializers.CharField())),
    "by_field": inline_serializer("EvaluationReportField", many=True, fields=_count_fields(
        field=serializers.CharField(help_text="领域"))),
    "by_assessment_type": inline_serializer("EvaluationReportAssessmentType", many=True, fields=_count_fields(
        assessment_type=serializers.CharField(), label=serializers.CharField(),
        towns=serializers.IntegerField())),
    "evidence": inline_serializer("EvaluationReportEvidence", fields={
        "satisfaction": serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                                 help_text="Percent, weighted by cases handled."),
        "cases_handled": serializers.IntegerField(), "complaints": serializers.IntegerField(),
        "evidence_rows": serializers.IntegerField()}),
})


class RoundFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RoundState.choices)
    scope_government = CodeFilter(field_name="scope_government__code",
                                  help_text="Code of the round's scope government.")
    scope_tag = CodeFilter(field_name="scope_tag", help_text="The round's tag, e.g. `pilot`.")

    class Meta:
        model = EvaluationRound
        fields = ["state", "scope_government", "scope_tag"]


ACTION_ERRORS = errors(400, 401, 403, 404, 409, 429)


@extend_schema_view(
    list=extend_schema(
        summary="Evaluation rounds",
        description="Confirmed rounds for everyone; before that, rounds in the territory of a role you hold.",
        responses={200: EvaluationRoundSerializer(many=True), **errors(400, 429)},
    ),
    retrieve=extend_schema(summary="One evaluation round, with its rules and links", parameters=[ETAG_HEADER],
                           responses={200: EvaluationRoundDetailSerializer, **errors(404, 429)}),
)
class EvaluationRoundViewSet(viewsets.GenericViewSet):
    serializer_class = EvaluationRoundSerializer
    filterset_class = RoundFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "name", "period_start", "period_end", "created_at", "evaluated_at"]
    ordering = ["-period_end", "-id"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return policy.visible_rounds(self.request.user)

    def get_serializer_class(self):
        return EvaluationRoundSerializer if self.action == "list" else EvaluationRoundDetailSerializer

    def _visible(self) -> EvaluationRound:
        """The round named in the URL if the caller may see it, else 404 (never 403)."""
        return get_object_or_404(policy.visible_rounds(self.request.user), pk=self.kwargs["pk"])

    def _answer(self, pk: int, code: int = status.HTTP_200_OK, headers=None) -> Response:
        rnd = EvaluationRound.objects.select_related("scope_government", "created_by").get(pk=pk)
        data = EvaluationRoundDetailSerializer(rnd, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=code, headers=headers))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(EvaluationRoundSerializer(page, many=True,
                                                                     context=self.get_serializer_context()).data)

    def retrieve(self, request, *args, **kwargs):
        return with_etag(Response(self.get_serializer(self._visible()).data))

    @extend_schema(
        summary="Open an evaluation round (draft)",
        description="By an editor of the scope government (a superuser for a round scoped by a tag alone). The "
                    "rules are stored with the round, so that every result can be explained later.",
        request=RoundCreateSerializer, parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: EvaluationRoundDetailSerializer, **errors(400, 401, 403, 409, 429)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in(request)
        data = dict(validated(RoundCreateSerializer, request))
        tag = data.pop("scope_tag", None)
        rnd = create_round(actor=request.user, name=data["name"], period_start=data["period_start"],
                           period_end=data["period_end"], scope_government=data.get("scope_government"),
                           scope_tag=tag.slug if tag else "", rules=data.get("rules"))
        return self._answer(rnd.pk, status.HTTP_201_CREATED,
                            {"Location": reverse("api-evaluation-round-detail", args=[rnd.pk])})

    @extend_schema(
        summary="Run the round: suggest a category for every devolved power in scope",
        description="By an editor of the scope government. Running again replaces the undecided results (under "
                    "new ids) and keeps the decided ones; a confirmed round is not run again (409 "
                    "`round_confirmed`).",
        request=None, parameters=[IDEMPOTENCY_KEY, ETAG_HEADER],
        responses={200: EvaluationRoundDetailSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def run(self, request, pk=None):
        require_signed_in(request)
        rnd = self._visible()
        run_round(rnd, actor=request.user)
        return self._answer(rnd.pk)

    @extend_schema(
        summary="Generate the follow-up batch from the decided results",
        description="By an editor of the scope government: one new draft batch of draft transfers (origin "
                    "`evaluation`) — recalls for 不应放 and 运行不良, devolutions to complete for 应放未放, "
                    "devolutions to peer towns for 可推广 — which then go through /api/v1/transfers/ and "
                    "/api/v1/batches/. Each decided result is followed up once (409 `nothing_to_follow_up`).",
        request=FollowUpSerializer, parameters=[IDEMPOTENCY_KEY, LOCATION_HEADER],
        responses={201: FOLLOW_UP_RESULT, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="follow-up", url_name="follow-up", filter_backends=[],
            pagination_class=None)
    @idempotent
    def follow_up(self, request, pk=None):
        require_signed_in(request)
        rnd = self._visible()
        data = validated(FollowUpSerializer, request)
        batch = generate_follow_up(rnd, actor=request.user, batch_title=data["title"],
                                   batch_number=data.get("number", ""), effective_on=data["effective_on"])
        location = reverse("api-batch-detail", args=[batch.pk])
        return Response({
            "round": rnd.pk, "batch": batch.pk,
            "transfers": list(batch.transfers.order_by("id").values_list("id", flat=True)),
            "links": {"batch": location, "transfers": f"{reverse('api-transfer-list')}?batch={batch.pk}"},
        }, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary="The round's report",
        description="Counts of the results by category (the decision, else the suggestion; with what was done "
                    "about each), by town, by field and by assessment type (差异化考核), and the satisfaction of "
                    "the evidence in scope weighted by cases handled. Labels follow Accept-Language.",
        responses={200: REPORT, **errors(404, 429)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def report(self, request, pk=None):
        rnd = self._visible()
        data = round_report(rnd).as_dict()
        types = dict(AssessmentType.choices)
        for row in data["by_town"]:
            row["assessment_type"] = row["assessment_type"] or ""
            row["assessment_type_label"] = _label(types, row["assessment_type"])
        for row in data["by_assessment_type"]:
            row["assessment_type"] = row["assessment_type"] or ""
        satisfaction = data["evidence"]["satisfaction"]
        data["evidence"]["satisfaction"] = None if satisfaction is None else f"{satisfaction:.2f}"
        return with_etag(Response(data))


# --- results ----------------------------------------------------------------------------------------------

RESULT_FIELDS = (
    "id", "round_id", "item_id", "item__code", "item__name", "item__field", "government__code",
    "government__name", "suggested", "rule", "figures", "decision", "decision_reason", "decided_by__username",
    "decided_at", "follow_up_transfer_id", "follow_up_transfer__state", "follow_up_note", "category",
)


def result_version(decision: str, follow_up_transfer_id, follow_up_note: str) -> int:
    """How many times a result has been written: computed (1), decided (2), followed up (3)."""
    return 1 + bool(decision) + bool(follow_up_transfer_id or follow_up_note)


def result_etag(pk: int, version: int) -> str:
    return f'"evaluationresult-{pk}-v{version}"'


class EvaluationResultSerializer(serializers.Serializer):
    """The shape of one result (documentation only: rows are built from ``.values()`` by :func:`result_row`)."""

    id = serializers.IntegerField()
    round = serializers.IntegerField()
    item = serializers.IntegerField(help_text="Id of the power item.")
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    field = serializers.CharField(help_text="The item's field (领域).")
    government = serializers.CharField(help_text="Code of the receiving government (the town).")
    government_name = serializers.CharField()
    suggested = serializers.ChoiceField(choices=EvaluationCategory.choices, help_text="What the rules suggest.")
    suggested_label = serializers.CharField()
    rule = serializers.CharField(help_text="The rule that produced the suggestion, e.g. `poor.no_cases`.")
    figures = serializers.JSONField(help_text="The figures the rules used, and every rule that applied "
                                              "(`rules_applied`); the thresholds are the round's rules.")
    decision = serializers.ChoiceField(choices=EvaluationCategory.choices, allow_blank=True,
                                       help_text="The reviewer's decision; empty while undecided.")
    decision_label = serializers.CharField()
    category = serializers.ChoiceField(choices=EvaluationCategory.choices,
                                       help_text="The decision, else the suggestion.")
    category_label = serializers.CharField()
    decision_reason = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True, help_text="Shown to signed-in callers only.")
    decided_at = serializers.DateTimeField(allow_null=True)
    follow_up_transfer = serializers.IntegerField(allow_null=True, help_text="Id of the (first) follow-up transfer.")
    follow_up_transfer_state = serializers.ChoiceField(choices=TransferState.choices, allow_null=True)
    follow_up_note = serializers.CharField()
    version = serializers.IntegerField(help_text="Writes so far: 1 computed, 2 decided, 3 followed up (the ETag).")


def result_row(row: dict, with_people: bool) -> dict:
    decided_at = row["decided_at"]
    return {
        "id": row["id"], "round": row["round_id"], "item": row["item_id"], "item_code": row["item__code"],
        "item_name": row["item__name"], "field": row["item__field"], "government": row["government__code"],
        "government_name": row["government__name"], "suggested": row["suggested"],
        "suggested_label": _label(CATEGORY_LABELS, row["suggested"]), "rule": row["rule"],
        "figures": row["figures"], "decision": row["decision"],
        "decision_label": _label(CATEGORY_LABELS, row["decision"]), "category": row["category"],
        "category_label": _label(CATEGORY_LABELS, row["category"]), "decision_reason": row["decision_reason"],
        "decided_by": row["decided_by__username"] if with_people else None,
        "decided_at": timezone.localtime(decided_at).isoformat() if decided_at else None,
        "follow_up_transfer": row["follow_up_transfer_id"],
        "follow_up_transfer_state": row["follow_up_transfer__state"],
        "follow_up_note": row["follow_up_note"],
        "version": result_version(row["decision"], row["follow_up_transfer_id"], row["follow_up_note"]),
    }


def visible_results(user):
    qs = EvaluationResult.objects.all()
    visible = policy.round_visibility_q(user, prefix="round__")
    return qs if visible is None else qs.filter(visible)


TRUE_FALSE = [("true", "true"), ("false", "false")]


class ResultFilter(django_filters.FilterSet):
    round = IdFilter(field_name="round_id", help_text="Id of the evaluation round.")
    category = django_filters.ChoiceFilter(field_name="category", choices=EvaluationCategory.choices,
                                           help_text="The decision, else the suggestion.")
    suggested = django_filters.ChoiceFilter(choices=EvaluationCategory.choices)
    decision = django_filters.ChoiceFilter(choices=EvaluationCategory.choices)
    decided = django_filters.ChoiceFilter(method="filter_decided", choices=TRUE_FALSE,
                                          help_text="true: decided; false: undecided.")
    government = CodeFilter(field_name="government__code", help_text="Code of the receiving government.")
    item = IdFilter(field_name="item_id", help_text="Id of the power item.")
    field = CodeFilter(field_name="item__field", help_text="The item's field (领域).")
    rule = CodeFilter(help_text="The rule that produced the suggestion, e.g. `poor.no_cases`.")
    followed_up = django_filters.ChoiceFilter(method="filter_followed_up", choices=TRUE_FALSE,
                                              help_text="true: a follow-up transfer or note exists.")

    class Meta:
        model = EvaluationResult
        fields = ["round", "category", "suggested", "decision", "decided", "government", "item", "field", "rule",
                  "followed_up"]

    def filter_decided(self, queryset, name, value: str):
        return queryset.exclude(decision="") if value == "true" else queryset.filter(decision="")

    def filter_followed_up(self, queryset, name, value: str):
        done = Q(follow_up_transfer__isnull=False) | ~Q(follow_up_note="")
        return queryset.filter(done) if value == "true" else queryset.exclude(done)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=EvaluationCategory.choices,
                                       help_text="The suggestion to confirm it, another category to override it.")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON,
                                   help_text="Why (required to override the suggestion); kept in the audit trail.")


@extend_schema_view(
    list=extend_schema(
        summary="Evaluation results",
        description="The results of the rounds you may see (filter by `round`), each with the rule and figures "
                    "behind its suggestion, the decision and what was done about it.",
        responses={200: EvaluationResultSerializer(many=True), **errors(400, 429)},
    ),
    retrieve=extend_schema(summary="One evaluation result", parameters=[ETAG_HEADER],
                           responses={200: EvaluationResultSerializer, **errors(404, 429)}),
)
class EvaluationResultViewSet(viewsets.GenericViewSet):
    serializer_class = EvaluationResultSerializer
    filterset_class = ResultFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["id", "suggested", "decided_at", "rule"]
    ordering = ["round_id", "government__path", "item__code", "id"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return (visible_results(self.request.user).annotate(category=category_expression())
                .order_by(*self.ordering).values(*RESULT_FIELDS))

    def _response(self, row: dict, code: int = status.HTTP_200_OK) -> Response:
        data = result_row(row, actor_visible(self.request))
        response = Response(data, status=code)
        response["ETag"] = result_etag(data["id"], data["version"])
        return response

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        with_people = actor_visible(request)
        return self.get_paginated_response([result_row(r, with_people) for r in page])

    def retrieve(self, request, *args, **kwargs):
        return self._response(self.get_object())

    @extend_schema(
        summary="Confirm or override a result",
        description="By a reviewer of the giving side (the town's upper government) or of the round's scope "
                    "government. A decision other than the suggestion needs a reason; both stay in the history. "
                    "A result is decided once (409 `already_decided`); when none is left undecided the round is "
                    "confirmed, and public.",
        request=DecideSerializer, parameters=ACTION_PARAMETERS,
        responses={200: EvaluationResultSerializer, **errors(400, 401, 403, 404, 409, 412, 429)},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    @idempotent
    def decide(self, request, pk=None):
        require_signed_in(request)
        result = get_object_or_404(visible_results(request.user).only("id"), pk=pk)
        version = expected_version(request, result)
        data = validated(DecideSerializer, request)
        with transaction.atomic():
            if version is not None:
                current = (EvaluationResult.objects.select_for_update(of=("self",))
                           .only("id", "decision", "follow_up_transfer_id", "follow_up_note").get(pk=result.pk))
                now = result_version(current.decision, current.follow_up_transfer_id, current.follow_up_note)
                if now != version:
                    raise Conflict("stale_version", "该评估结果已被他人修改，请刷新后重试。",
                                   "Someone else changed this result; reload and try again.",
                                   expected_version=version, current_version=now)
            decide(result, data["decision"], actor=request.user, reason=data["reason"])
        row = (EvaluationResult.objects.annotate(category=category_expression()).filter(pk=result.pk)
               .values(*RESULT_FIELDS).get())
        return self._response(row)


__all__ = ["EvaluationResultViewSet", "EvaluationRoundViewSet"]
