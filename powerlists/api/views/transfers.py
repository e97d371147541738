"""Transfers (devolve, recall, share, cancel, adjust): proposals and their review over HTTP.

Anonymous callers see effective transfers only; a signed-in caller also sees the proposals
:func:`powerlists.policy.can_view_transfer` allows, as one SQL filter built from their memberships. A
transfer the caller cannot see answers 404 to every request, an action included. Writes go through
:mod:`powerlists.services.workflow`, which asks the policy; serializers only validate and render.

This module also holds what the write resources share: the error component of the schema, the
If-Match / Idempotency-Key header parameters, stable ordering and the visibility filters.
"""
from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, filters, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import policy
from ...models import (
    Batch,
    Decision,
    Department,
    Government,
    Method,
    Origin,
    PowerItem,
    Transfer,
    TransferKind,
    TransferParty,
    TransferState,
)
from ...models.choices import SHARED_ROLE_CHOICES
from ...models.transfers import SCHEDULED, SCHEDULED_LABEL, shown_state_q
from ...services import Party, workflow
from ...services.bounds import MAX_CHANGES_FIELDS, MAX_PARTIES, MAX_REASON
from ...services.errors import InvalidInput
from ..bounds import BoundedDictField, BoundedListSerializer, CodeFilter, CodeRelatedField
from ..concurrency import expected_version, with_etag
from ..filters import IdFilter, id_field
from ..idempotency import idempotent

# --- shared by the write resources ------------------------------------------------------------------

PARTY_ROLES = SHARED_ROLE_CHOICES
SHOWN_STATES = [*TransferState.choices, (SCHEDULED, SCHEDULED_LABEL)]

ERROR = inline_serializer("Error", fields={
    "code": serializers.CharField(help_text="A stable code, e.g. `invalid`, `forbidden`, `invalid_state`, "
                                            "`precondition_failed`, `idempotency_key_reused`, `throttled`."),
    "message": serializers.CharField(help_text="In the request's language (Accept-Language: zh-hans, en)."),
    "details": serializers.JSONField(help_text="Field errors for `invalid`; otherwise facts about the refusal."),
})

ERROR_DESCRIPTIONS = {
    400: "Invalid input (field errors in `details`), or a rule of the domain refuses the change. Nothing changed.",
    401: "Not signed in: send `Authorization: Bearer <token>`.",
    403: "The caller may not do this here (`forbidden`, `maker_checker`, `author_only`, …). Nothing changed.",
    404: "Absent, or not visible to the caller.",
    409: "Conflicts with the current state (e.g. `invalid_state`: already approved), or the Idempotency-Key "
         "was used for a different request (`idempotency_key_reused`). Nothing changed.",
    412: "If-Match does not match the current ETag (`precondition_failed`). Nothing changed.",
    428: "This write needs If-Match with the ETag you read (`precondition_required`).",
    429: "Too many requests (`throttled`); wait `Retry-After` seconds.",
}


def errors(*codes: int) -> dict:
    """Error responses for the schema, all in the one shape."""
    return {code: OpenApiResponse(ERROR, description=ERROR_DESCRIPTIONS[code]) for code in codes}


IF_MATCH = OpenApiParameter(
    "If-Match", str, location=OpenApiParameter.HEADER,
    description="The ETag you read. A stale one answers 412 and changes nothing; without it the step is not "
                "checked against your copy.",
)
IF_MATCH_REQUIRED = OpenApiParameter(
    "If-Match", str, location=OpenApiParameter.HEADER, required=True,
    description="The ETag you read (required: 428 without it; 412 and nothing changed when stale).",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, location=OpenApiParameter.HEADER,
    description="1–100 visible ASCII characters. The same key replays the first answer (24 hours) and does "
                "nothing twice; the same key with a different request answers 409 `idempotency_key_reused`.",
)
ETAG_HEADER = OpenApiParameter("ETag", str, location=OpenApiParameter.HEADER, response=[200, 201],
                               description="The record's version, for If-Match.")
LOCATION_HEADER = OpenApiParameter("Location", str, location=OpenApiParameter.HEADER, response=[201],
                                   description="The URL of the record created.")
WRITE_HEADERS = [IDEMPOTENCY_KEY, ETAG_HEADER]
ACTION_PARAMETERS = [IF_MATCH, IDEMPOTENCY_KEY, ETAG_HEADER]


class StableOrdering(filters.OrderingFilter):
    """``?ordering=`` with the primary key last, so pages never repeat or skip a row."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not any(f.lstrip("-") in ("id", "pk") for f in ordering):
            ordering.append("id")
        return ordering


def require_signed_in(request) -> None:
    """401 for an anonymous write (before anything else is looked at)."""
    if not policy.is_active_user(request.user):
        raise exceptions.NotAuthenticated()


visible_transfers = policy.visible_transfers
visible_batches = policy.visible_batches


def actor_visible(request) -> bool:
    """Names of people are shown to signed-in callers only."""
    return policy.is_active_user(request.user)


# --- serializers --------------------------------------------------------------------------------------


def blank_choice(choices):
    """A read-only choice that may also be empty (an undecided side, a change without a method)."""
    return serializers.ChoiceField(choices=choices, allow_blank=True, read_only=True)


class TransferPartySerializer(serializers.ModelSerializer):
    decision = blank_choice(Decision.choices)
    government = serializers.CharField(source="government.code", read_only=True)
    government_name = serializers.CharField(source="government.name", read_only=True)

    class Meta:
        model = TransferParty
        fields = ["government", "government_name", "role", "fiscal_share", "department", "decision", "decided_at"]
        read_only_fields = fields


class TransferSerializer(serializers.ModelSerializer):
    """A transfer as the API shows it (output only)."""

    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    giver = serializers.CharField(source="giver.code", read_only=True)
    giver_name = serializers.CharField(source="giver.name", read_only=True)
    receiver = serializers.CharField(source="receiver.code", read_only=True, allow_null=True, default=None)
    receiver_name = serializers.CharField(source="receiver.name", read_only=True, allow_null=True, default=None)
    receiving_department_name = serializers.CharField(source="receiving_department.name", read_only=True,
                                                      allow_null=True, default=None)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True,
                                        help_text="The state in words, as true today: 待生效（DATE 起） for a "
                                                  "change decided in full whose date has not come.")
    shown_state = serializers.ChoiceField(choices=SHOWN_STATES, read_only=True,
                                          help_text="`state`, except `scheduled` for an effective change whose "
                                                    "date has not come (in force from `effective_on`).")
    parties = TransferPartySerializer(many=True, read_only=True)
    created_by = serializers.SerializerMethodField()
    method = blank_choice(Method.choices)
    giver_decision = blank_choice(Decision.choices)
    receiver_decision = blank_choice(Decision.choices)

    class Meta:
        model = Transfer
        fields = [
            "id", "kind", "kind_label", "state", "shown_state", "state_label", "origin", "method", "item", "item_code", "item_name",
            "giver", "giver_name", "receiver", "receiver_name", "receiving_department", "receiving_department_name",
            "staff_posts", "reason", "changes", "result_item", "effective_on", "batch", "parties",
            "giver_decision", "giver_decided_at", "receiver_decision", "receiver_decided_at", "decision_reason",
            "created_by", "created_at", "updated_at", "version",
        ]
        read_only_fields = fields

    def get_created_by(self, obj) -> str | None:
        request = self.context.get("request")
        if request is None or not actor_visible(request) or obj.created_by_id is None:
            return None
        return obj.created_by.username


class TransferPartyInputSerializer(serializers.Serializer):
    government = CodeRelatedField(slug_field="code", queryset=Government.objects.all(),
                                  help_text="Code of the party's government.")
    role = serializers.ChoiceField(choices=PARTY_ROLES)
    fiscal_share = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                            help_text="财权分配占比 in percent; the parties' shares add up to 100.")
    department = id_field(Department.objects.all(), required=False,
                                                    allow_null=True)

    class Meta:
        list_serializer_class = BoundedListSerializer


def _parties(data) -> list[Party]:
    return [Party(p["government"], p["role"], p["fiscal_share"], p.get("department")) for p in data]


class TransferCreateSerializer(serializers.Serializer):
    """A proposal, saved in draft by ``workflow.propose``."""

    kind = serializers.ChoiceField(choices=TransferKind.choices)
    item = id_field(PowerItem.objects.all(), help_text="Id of the power item.")
    giver = CodeRelatedField(slug_field="code", queryset=Government.objects.all(),
                             help_text="Code of the giving (upper) government.")
    receiver = CodeRelatedField(slug_field="code", queryset=Government.objects.all(), required=False,
                                allow_null=True, help_text="Code of the receiving government "
                                                           "(devolve, recall).")
    effective_on = serializers.DateField()
    origin = serializers.ChoiceField(choices=Origin.choices, required=False,
                                     help_text="`offered` (端菜, by the giver's editors, default) or `requested` "
                                               "(点菜, by the receiver's editors).")
    method = serializers.ChoiceField(choices=Method.choices, required=False, allow_blank=True)
    receiving_department = id_field(Department.objects.all(), required=False,
                                                              allow_null=True)
    staff_posts = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)
    changes = BoundedDictField(max_length=MAX_CHANGES_FIELDS, required=False,
                               help_text="For an adjustment: the item's fields after it.")
    parties = TransferPartyInputSerializer(many=True, required=False, max_length=MAX_PARTIES,
                                           help_text="For a shared arrangement: every party.")
    batch = id_field(Batch.objects.none(), required=False, allow_null=True,
                                               help_text="Id of a draft batch to propose into.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["batch"].queryset = visible_batches(request.user)


class TransferEditSerializer(serializers.Serializer):
    """Changes to a draft or returned proposal (``workflow.edit``)."""

    receiver = CodeRelatedField(slug_field="code", queryset=Government.objects.all(), required=False,
                                help_text="Another receiving government (devolve, recall).")
    item = id_field(PowerItem.objects.all(), required=False, help_text="Another power item.")

    method = serializers.ChoiceField(choices=Method.choices, required=False, allow_blank=True)
    receiving_department = id_field(Department.objects.all(), required=False,
                                                              allow_null=True)
    staff_posts = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)
    effective_on = serializers.DateField(required=False)
    changes = BoundedDictField(max_length=MAX_CHANGES_FIELDS, required=False)
    parties = TransferPartyInputSerializer(many=True, required=False, max_length=MAX_PARTIES)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON,
                                    help_text="Why; kept in the audit trail.")


class TransferCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON,
                                    help_text="Kept in the audit trail.")


class TransferRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON, help_text="Why the proposal is refused (required).")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON,
                                    help_text="Ignored when a reason is given; the reason is the comment.")


class TransferReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=MAX_REASON, help_text="What to change (required).")


class TransferAcceptSerializer(serializers.Serializer):
    receiving_department = id_field(
        Department.objects.all(), required=False, allow_null=True,
        help_text="Id of the receiving unit (承接单位), a department of the receiver; required for a devolution "
                  "unless the proposal names one.")
    government = CodeRelatedField(
        slug_field="code", queryset=Government.objects.all(), required=False, allow_null=True,
        help_text="For a shared arrangement: the party accepted for, when the reviewer may act for several.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON)


def validated(serializer_class, request, **kwargs) -> dict:
    """The request body checked by ``serializer_class``. A field it does not take — the state, who
    approved, the holder, a timestamp — is refused (400), never silently dropped or assigned."""
    serializer = serializer_class(data=request.data, context={"request": request}, **kwargs)
    if isinstance(request.data, dict):
        writable = {name for name, field in serializer.fields.items() if not field.read_only}
        unknown = sorted(set(request.data) - writable)
        if unknown:
            raise InvalidInput("unknown_fields", "不能设置这些字段：" + "、".join(unknown),
                               "These fields cannot be set: " + ", ".join(unknown), fields=unknown)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- the viewset --------------------------------------------------------------------------------------


class TransferFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=SHOWN_STATES, method="filter_state",
                                        help_text="As `shown_state`: `scheduled` is decided but not yet in force, "
                                                  "`effective` in force today.")
    kind = django_filters.ChoiceFilter(choices=TransferKind.choices)
    origin = django_filters.ChoiceFilter(choices=Origin.choices)
    giver = CodeFilter(field_name="giver__code", help_text="Code of the giving government.")
    receiver = CodeFilter(field_name="receiver__code", help_text="Code of the receiving government.")
    item = IdFilter(field_name="item_id", help_text="Id of the power item.")
    batch = IdFilter(field_name="batch_id", help_text="Id of the batch.")

    class Meta:
        model = Transfer
        fields = ["state", "kind", "origin", "giver", "receiver", "item", "batch"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(shown_state_q(value))


def transfer_queryset(qs):
    return qs.select_related("item", "giver", "receiver", "receiving_department", "created_by").prefetch_related(
        Prefetch("parties", queryset=TransferParty.objects.select_related("government").order_by("role", "id"))
    )


ACTION_ERRORS = errors(400, 401, 403, 404, 409, 412, 429)


def _action_schema(summary: str, description: str, request=TransferCommentSerializer):
    return extend_schema(summary=summary, description=description, request=request,
                         parameters=ACTION_PARAMETERS, responses={200: TransferSerializer, **ACTION_ERRORS})


@extend_schema_view(
    list=extend_schema(
        summary="Transfers",
        description="Anonymous callers see effective transfers; a signed-in caller also the proposals of "
                    "governments where they hold a role (giver, receiver or party).",
        responses={200: TransferSerializer(many=True), **errors(400, 429)},
    ),
    retrieve=extend_schema(summary="One transfer", parameters=[ETAG_HEADER],
                           responses={200: TransferSerializer, **errors(404, 429)}),
)
class TransferViewSet(viewsets.GenericViewSet):
    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrdering]
    ordering_fields = ["id", "effective_on", "created_at", "updated_at", "state"]
    ordering = ["-effective_on", "-id"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return transfer_queryset(visible_transfers(self.request.user))

    def _visible(self) -> Transfer:
        """The transfer named in the URL if the caller may see it, else 404 (never 403)."""
        return get_object_or_404(visible_transfers(self.request.user).only("id", "version"), pk=self.kwargs["pk"])

    def _answer(self, pk: int, code: int = status.HTTP_200_OK, headers=None) -> Response:
        transfer = transfer_queryset(Transfer.objects.all()).get(pk=pk)
        data = TransferSerializer(transfer, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=code, headers=headers), transfer)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        transfer = self.get_object()
        return with_etag(Response(self.get_serializer(transfer).data), transfer)

    @extend_schema(
        summary="Propose a transfer (saved in draft)",
        description="Editors of the giver offer (端菜, `origin=offered`); editors of the receiver request a "
                    "devolution (点菜, `origin=requested`). A shared arrangement names its `parties`.",
        request=TransferCreateSerializer, parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: TransferSerializer, **errors(400, 401, 403, 409, 429)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in(request)
        data = dict(validated(TransferCreateSerializer, request))
        if "parties" in data:
            data["parties"] = _parties(data["parties"])
        for optional in ("origin", "method"):
            if optional in data and data[optional] in (None, ""):
                del data[optional]
        transfer = workflow.propose(actor=request.user, **data)
        location = reverse("api-transfer-detail", args=[transfer.pk])
        return self._answer(transfer.pk, status.HTTP_201_CREATED, {"Location": location})

    @extend_schema(
        summary="Edit a draft or returned proposal",
        description="Only fields sent are changed; `parties` replaces the parties of a shared arrangement.",
        request=TransferEditSerializer, parameters=[IF_MATCH_REQUIRED, ETAG_HEADER],
        responses={200: TransferSerializer, **errors(400, 401, 403, 404, 409, 412, 428, 429)},
    )
    def partial_update(self, request, *args, **kwargs):
        require_signed_in(request)
        transfer = self._visible()
        version = expected_version(request, transfer, required=True)
        data = dict(validated(TransferEditSerializer, request, partial=True))
        comment = data.pop("comment", "")
        if "parties" in data:
            data["parties"] = _parties(data["parties"])
        if data.get("method") is None and "method" in data:
            data["method"] = ""
        workflow.edit(transfer, actor=request.user, expected_version=version, comment=comment, **data)
        return self._answer(transfer.pk)

    def _step(self, request, step, serializer_class=TransferCommentSerializer, **fixed):
        require_signed_in(request)
        transfer = self._visible()
        version = expected_version(request, transfer)
        data = dict(validated(serializer_class, request))
        step(transfer, actor=request.user, expected_version=version, **fixed, **data)
        return self._answer(transfer.pk)

    @_action_schema("Submit a draft for review", "By an editor of the proposing side.")
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, pk=None):
        return self._step(request, workflow.submit)

    @_action_schema("Approve for the giving side (放得下)",
                    "By a reviewer of the giver who neither created nor edited it (maker-checker). A recall, "
                    "cancel or adjustment outside a batch takes effect at once.")
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        return self._step(request, workflow.approve)

    @_action_schema("Reject", "A reviewer of the giving side (submitted) or of the receiving side (approved) "
                              "closes the proposal, with a reason.", TransferRejectSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, pk=None):
        def step(transfer, *, reason, comment="", **kwargs):
            return workflow.reject(transfer, reason=reason, **kwargs)

        return self._step(request, step, TransferRejectSerializer)

    @_action_schema("Accept for the receiving side (接得住)",
                    "A reviewer of the receiver names the receiving unit; for a shared arrangement each party "
                    "accepts. Outside a batch the last acceptance makes it effective.", TransferAcceptSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        return self._step(request, workflow.accept, TransferAcceptSerializer)

    @_action_schema("Withdraw", "Its author (or an administrator of the proposing side) takes it back before it "
                                "takes effect.")
    @action(detail=True, methods=["post"])
    @idempotent
    def withdraw(self, request, pk=None):
        return self._step(request, workflow.withdraw)

    @_action_schema("Return for changes", "A reviewer of the giver sends a submitted proposal back to its makers, "
                                          "saying what to change.", TransferReturnSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    @idempotent
    def return_for_changes(self, request, pk=None):
        return self._step(request, workflow.return_for_changes, TransferReturnSerializer)


__all__ = [
    "ERROR", "IDEMPOTENCY_KEY", "IF_MATCH", "IF_MATCH_REQUIRED", "StableOrdering", "TransferViewSet", "errors",
    "visible_batches", "visible_transfers",
]


def _attach_bulk() -> None:
    """``POST /api/v1/transfers/bulk/`` (views/bulk.py), an action of this viewset."""
    from .bulk import bulk

    TransferViewSet.bulk = action(detail=False, methods=["post"], url_path="bulk", filter_backends=[])(
        idempotent(bulk))


_attach_bulk()
