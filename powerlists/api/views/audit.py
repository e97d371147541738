"""Audit events, newest first, each caller seeing what powerlists.policy lets them see.

Public history — events about governments, departments, divisions, items, exercises, and effective
transfers and batches — is open to all, without the actor. A user with a role also sees the events of
the proposals and batches they may view (the same rule as :func:`powerlists.policy.can_view_transfer`,
written as one SQL filter built from their memberships) and who acted. A superuser sees everything.
Role grants and tokens (``membership.*``, ``token.*``) are shown to superusers only.

``audit/head/`` is the chain's head (the newest event's ``seq``, ``hash`` and time), public: kept outside
the database by anyone who reads it, it shows later whether the newest events were removed
(``manage.py verifyaudit --head SEQ:HASH``; see powerlists/audit_chain.py).
"""
from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from ... import audit_chain, policy
from ...models import AuditEvent, BatchState, TransferState
from ..bounds import CodeFilter
from ..concurrency import with_etag
from ..filters import BoundedIsoDateTimeFilter, IdFilter, StableOrderingFilter

PUBLIC_OBJECT_TYPES = ("government", "department", "division", "poweritem", "exercise")
PRIVATE_ACTIONS = ("membership.", "token.")

ROW_FIELDS = ("id", "at", "action", "object_type", "object_id", "government__code", "item_id", "transfer_id",
              "batch_id", "actor__username", "actor_name", "before", "after", "reason")


def visible_q(user) -> Q | None:
    """The events ``user`` may see, as one filter; ``None`` means every event (a superuser)."""
    if policy.is_active_user(user) and user.is_superuser:
        return None
    private = Q()
    for prefix in PRIVATE_ACTIONS:
        private |= Q(action__startswith=prefix)
    transfer_visible = Q(transfer__state=TransferState.EFFECTIVE)
    batch_visible = Q(batch__state=BatchState.EFFECTIVE)
    if policy.is_active_user(user) and policy._memberships(user):
        transfer_visible = policy.transfer_visibility_q(user, prefix="transfer__")
        batch_visible |= policy.scope_q(user, "batch__issuer__path")
    return (
        (Q(object_type__in=PUBLIC_OBJECT_TYPES)
         | (Q(object_type="transfer") & Q(transfer__isnull=False) & transfer_visible)
         | (Q(object_type="batch") & Q(batch__isnull=False) & batch_visible))
        & ~private
    )


def shows_actor(user) -> bool:
    """Who acted is shown to superusers and to users holding a role."""
    if not policy.is_active_user(user):
        return False
    return bool(user.is_superuser or policy._memberships(user))


class AuditEventRowSerializer(serializers.Serializer):
    """The shape of one event (documentation only: rows are built from ``.values()``)."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField(help_text="e.g. item.create, transfer.devolve, workflow.approve, batch.effect")
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    government = serializers.CharField(allow_null=True)
    item_id = serializers.IntegerField(allow_null=True)
    transfer_id = serializers.IntegerField(allow_null=True)
    batch_id = serializers.IntegerField(allow_null=True)
    actor = serializers.CharField(allow_null=True, help_text="Username; null unless you hold a role.")
    actor_name = serializers.CharField(allow_null=True, help_text="Null unless you hold a role.")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    reason = serializers.CharField()


class AuditHeadSerializer(serializers.Serializer):
    seq = serializers.IntegerField(help_text="Sequence number of the newest event in the chain (0: no event).")
    hash = serializers.CharField(help_text="Its chain hash (SHA-256, hex); empty when there is no event.")
    at = serializers.DateTimeField(allow_null=True, help_text="Its time (UTC); null when there is no event.")


def audit_row(row: dict, with_actor: bool) -> dict:
    return {
        "id": row["id"], "at": timezone.localtime(row["at"]).isoformat(), "action": row["action"],
        "object_type": row["object_type"], "object_id": row["object_id"], "government": row["government__code"],
        "item_id": row["item_id"], "transfer_id": row["transfer_id"], "batch_id": row["batch_id"],
        "actor": row["actor__username"] if with_actor else None,
        "actor_name": row["actor_name"] if with_actor else None,
        "before": row["before"], "after": row["after"], "reason": row["reason"],
    }


class AuditEventFilter(django_filters.FilterSet):
    item = IdFilter(field_name="item_id", help_text="Id of the power item.")
    government = CodeFilter(field_name="government__code", help_text="Code of the government.")
    transfer = IdFilter(field_name="transfer_id")
    batch = IdFilter(field_name="batch_id")
    action = CodeFilter(help_text="Exact action, e.g. transfer.devolve.")
    object_type = CodeFilter(help_text="e.g. poweritem, transfer, batch, government.")
    since = BoundedIsoDateTimeFilter(field_name="at", lookup_expr="gte",
                                             help_text="Events at or after this time (ISO 8601).")
    until = BoundedIsoDateTimeFilter(field_name="at", lookup_expr="lt",
                                             help_text="Events before this time (ISO 8601).")

    class Meta:
        model = AuditEvent
        fields = ["item", "government", "transfer", "batch", "action", "object_type", "since", "until"]


@extend_schema_view(
    list=extend_schema(summary="Audit events, newest first",
                       description="What you may see: public history for everyone; proposals' events and "
                                   "the actor for holders of a role; everything for superusers."),
    retrieve=extend_schema(summary="One audit event"),
)
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]{1,18}"  # a longer id cannot exist: 404, not an integer overflow
    serializer_class = AuditEventRowSerializer
    filterset_class = AuditEventFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        qs = AuditEvent.objects.all()
        visible = visible_q(self.request.user)
        if visible is not None:
            qs = qs.filter(visible)
        return qs.order_by(*self.ordering).values(*ROW_FIELDS)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        with_actor = shows_actor(request.user)
        return self.get_paginated_response([audit_row(r, with_actor) for r in page])

    def retrieve(self, request, *args, **kwargs):
        return with_etag(Response(audit_row(self.get_object(), shows_actor(request.user))))

    @extend_schema(
        summary="The audit chain's head",
        description="The newest event of the audit history's hash chain: its sequence number, chain hash and "
                    "time. Public. Keep it somewhere outside this service (a log, another system, print): "
                    "`manage.py verifyaudit --head SEQ:HASH` fails, naming the events missing, when the "
                    "chain no longer holds that hash — the newest events were removed or the chain rewritten.",
        responses=AuditHeadSerializer,
    )
    @action(detail=False, methods=["get"], url_path="head", filter_backends=[], pagination_class=None)
    def head(self, request, *args, **kwargs):
        response = Response(audit_chain.head())
        response["Cache-Control"] = "no-cache"
        return response
