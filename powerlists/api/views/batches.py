"""Batches (批次 / 轮): the documents that issue sets of transfers together, and their review.

Anonymous callers see effective batches; a role holder also the batches issued inside their scope and
those holding a transfer they may see. A batch the caller cannot see answers 404 to every request.
Writes go through :mod:`powerlists.services.workflow`; If-Match on an action is checked against the
batch's version under the batch's row lock, in the action's transaction.
"""
from __future__ import annotations

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ...models import Batch, BatchState, Department, Government, Transfer
from ...services import Conflict, staff_posts_moved, workflow
from ...services.bounds import MAX_NAME, MAX_NUMBER, MAX_REASON
from ..bounds import CodeFilter, CodeRelatedField
from ..concurrency import expected_version, with_etag
from ..filters import id_field
from ..idempotency import idempotent
from .transfers import (
    ACTION_PARAMETERS,
    ETAG_HEADER,
    IDEMPOTENCY_KEY,
    LOCATION_HEADER,
    StableOrdering,
    errors,
    require_signed_in,
    validated,
    visible_batches,
    visible_transfers,
)


class BatchSerializer(serializers.ModelSerializer):
    """A batch as the API shows it (output only)."""

    issuer = serializers.CharField(source="issuer.code", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Batch
        fields = ["id", "issuer", "issuer_name", "title", "number", "round_no", "issued_on", "effective_on", "state",
                  "state_label", "decided_at", "created_at", "version"]
        read_only_fields = fields


STAFF_POSTS = inline_serializer("StaffPostsMoved", fields={
    "giver": serializers.CharField(), "giver_name": serializers.CharField(),
    "receiver": serializers.CharField(allow_null=True), "receiver_name": serializers.CharField(allow_null=True),
    "posts": serializers.IntegerField(help_text="net posts moved down: posts_out - posts_back"),
    "posts_out": serializers.IntegerField(help_text="posts moved down with devolutions and shares"),
    "posts_back": serializers.IntegerField(help_text="posts returned up with recalls"),
}, many=True)

BATCH_TRANSFER = inline_serializer("BatchTransfer", fields={
    "id": serializers.IntegerField(), "kind": serializers.CharField(), "state": serializers.CharField(),
    "item": serializers.IntegerField(), "item_name": serializers.CharField(), "giver": serializers.CharField(),
    "receiver": serializers.CharField(allow_null=True), "staff_posts": serializers.IntegerField(),
}, many=True)


class BatchDetailSerializer(BatchSerializer):
    """A batch with the staff posts it moves (编随事走) and the transfers in it the caller may see."""

    staff_posts_moved = serializers.SerializerMethodField()
    transfers = serializers.SerializerMethodField()

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "staff_posts_moved", "transfers"]
        read_only_fields = fields

    @extend_schema_field(STAFF_POSTS)
    def get_staff_posts_moved(self, obj) -> list:
        return [
            {"giver": r["giver__code"], "giver_name": r["giver__name"], "receiver": r["receiver__code"],
             "receiver_name": r["receiver__name"], "posts": r["posts"], "posts_out": r["posts_out"],
             "posts_back": r["posts_back"]}
            for r in staff_posts_moved(obj)
        ]

    @extend_schema_field(BATCH_TRANSFER)
    def get_transfers(self, obj) -> list:
        request = self.context.get("request")
        rows = (visible_transfers(request.user if request else None).filter(batch=obj).order_by("id")
                .values("id", "kind", "state", "item_id", "item__name", "giver__code", "receiver__code",
                        "staff_posts"))
        return [{"id": r["id"], "kind": r["kind"], "state": r["state"], "item": r["item_id"],
                 "item_name": r["item__name"], "giver": r["giver__code"], "receiver": r["receiver__code"],
                 "staff_posts": r["staff_posts"]} for r in rows]


class BatchCreateSerializer(serializers.Serializer):
    issuer = CodeRelatedField(slug_field="code", queryset=Government.objects.all(),
                              help_text="Code of the government issuing the document.")
    title = serializers.CharField(max_length=MAX_NAME, help_text="文件标题")
    number = serializers.CharField(max_length=MAX_NUMBER, required=False, allow_blank=True, help_text="文号")
    round_no = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True)
    issued_on = serializers.DateField(required=False, allow_null=True)
    effective_on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)


class BatchCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON,
                                    help_text="Kept in the audit trail.")


class BatchRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON,
                                   help_text="Why the batch is refused (required); every open proposal in it is "
                                             "rejected with it.")


class BatchAcceptSerializer(serializers.Serializer):
    government = CodeRelatedField(slug_field="code", queryset=Government.objects.all(),
                                  help_text="Code of the receiving government accepting.")
    receiving_department = id_field(
        Department.objects.all(), required=False, allow_null=True,
        help_text="Receiving unit for the devolutions that name none.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON)


class BatchAddSerializer(serializers.Serializer):
    transfer = id_field(Transfer.objects.none(),
                                                  help_text="Id of an open proposal to put into the batch.")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_REASON)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["transfer"].queryset = visible_transfers(request.user)


class BatchFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=BatchState.choices)
    issuer = CodeFilter(field_name="issuer__code", help_text="Code of the issuing government.")

    class Meta:
        model = Batch
        fields = ["state", "issuer"]


ACTION_ERRORS = errors(400, 401, 403, 404, 409, 412, 429)


def _action_schema(summary: str, description: str, request=BatchCommentSerializer):
    return extend_schema(summary=summary, description=description, request=request,
                         parameters=ACTION_PARAMETERS, responses={200: BatchDetailSerializer, **ACTION_ERRORS})


@extend_schema_view(
    list=extend_schema(summary="Batches", responses={200: BatchSerializer(many=True), **errors(400, 429)}),
    retrieve=extend_schema(summary="One batch, with the staff posts it moves", parameters=[ETAG_HEADER],
                           responses={200: BatchDetailSerializer, **errors(404, 429)}),
)
class BatchViewSet(viewsets.GenericViewSet):
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrdering]
    ordering_fields = ["id", "effective_on", "issued_on", "created_at"]
    ordering = ["-effective_on", "-id"]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return visible_batches(self.request.user).select_related("issuer")

    def get_serializer_class(self):
        return BatchSerializer if self.action == "list" else BatchDetailSerializer

    def _visible(self) -> Batch:
        return get_object_or_404(visible_batches(self.request.user).select_related("issuer"), pk=self.kwargs["pk"])

    def _answer(self, pk: int, code: int = status.HTTP_200_OK, headers=None) -> Response:
        batch = Batch.objects.select_related("issuer").get(pk=pk)
        data = BatchDetailSerializer(batch, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=code, headers=headers), batch)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(BatchSerializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        batch = self.get_object()
        return with_etag(Response(self.get_serializer(batch).data), batch)

    @extend_schema(
        summary="Open a draft batch", description="By an editor of the issuing government.",
        request=BatchCreateSerializer, parameters=[IDEMPOTENCY_KEY, ETAG_HEADER, LOCATION_HEADER],
        responses={201: BatchDetailSerializer, **errors(400, 401, 403, 409, 429)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in(request)
        data = dict(validated(BatchCreateSerializer, request))
        batch = workflow.create_batch(actor=request.user, **data)
        return self._answer(batch.pk, status.HTTP_201_CREATED, {"Location": reverse("api-batch-detail", args=[batch.pk])})

    def _step(self, request, step, serializer_class=BatchCommentSerializer, prepare=None):
        require_signed_in(request)
        batch = self._visible()
        version = expected_version(request, batch)
        data = dict(validated(serializer_class, request))
        with transaction.atomic():
            if version is not None:
                current = Batch.objects.select_for_update().only("id", "version").get(pk=batch.pk)
                if current.version != version:
                    raise Conflict("stale_version", "该批次已被他人修改，请刷新后重试。",
                                   "Someone else changed this batch; reload and try again.",
                                   expected_version=version, current_version=current.version)
            step(batch, actor=request.user, **data)
        return self._answer(batch.pk)

    @_action_schema("Approve a batch", "A reviewer of the issuer approves every submitted proposal in it (each "
                                       "under maker-checker). Refused while it holds drafts.")
    @action(detail=True, methods=["post"])
    @idempotent
    def approve(self, request, pk=None):
        return self._step(request, workflow.approve_batch)

    @_action_schema("Reject a batch", "A reviewer of the issuer rejects it and every open proposal in it.",
                    BatchRejectSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def reject(self, request, pk=None):
        return self._step(request, workflow.reject_batch, BatchRejectSerializer)

    @_action_schema("Make a batch effective", "A reviewer of the issuer: every confirmed transfer in it takes "
                                              "effect on its date, or none does.")
    @action(detail=True, methods=["post"])
    @idempotent
    def effect(self, request, pk=None):
        return self._step(request, workflow.effect_batch)

    @_action_schema("Accept a batch's devolutions to one government",
                    "A reviewer of the receiving government accepts, in one action, every approved devolution of "
                    "the batch to it; each keeps its receiving unit or takes `receiving_department`.",
                    BatchAcceptSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        return self._step(request, workflow.accept_in_batch, BatchAcceptSerializer)

    @_action_schema("Put a proposal into a draft batch", "By an editor of the issuer who may edit the proposal; "
                                                         "it takes the batch's effective date.", BatchAddSerializer)
    @action(detail=True, methods=["post"])
    @idempotent
    def add(self, request, pk=None):
        def step(batch, *, actor, transfer, comment=""):
            return workflow.add_to_batch(transfer, batch, actor=actor, comment=comment)

        return self._step(request, step, BatchAddSerializer)
