"""Joint review (对接会): every proposal between two governments, offered and requested side by side.

A meeting goes through them one by one; each row shows both sides' decisions. What both sides agreed
forms the devolution catalogue (拟下放权力目录).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from ..models import Government, Origin, Transfer, TransferState
from .tree import path_prefix_q

AGREED_STATES = (TransferState.ACCEPTED, TransferState.EFFECTIVE)
REVIEW_FIELDS = (
    "id", "kind", "origin", "state", "method", "effective_on", "staff_posts", "reason", "decision_reason",
    "item_id", "item__code", "item__name", "item__category", "item__field",
    "giver__code", "giver__name", "receiver__code", "receiver__name", "receiving_department__name",
    "giver_decision", "giver_decided_by__username", "giver_decided_at",
    "receiver_decision", "receiver_decided_by__username", "receiver_decided_at", "batch_id", "batch__number",
)


@dataclass
class JointReview:
    upper: Government
    lower: Government
    offered: list[dict] = field(default_factory=list)
    requested: list[dict] = field(default_factory=list)

    @property
    def catalogue(self) -> list[dict]:
        """What both sides agreed: the devolution catalogue."""
        return [r for r in self.offered + self.requested if r["state"] in AGREED_STATES]

    @property
    def rejected(self) -> list[dict]:
        return [r for r in self.offered + self.requested if r["state"] == TransferState.REJECTED]

    @property
    def undecided(self) -> list[dict]:
        return [r for r in self.offered + self.requested
                if r["state"] in (TransferState.SUBMITTED, TransferState.APPROVED)]


def joint_review(upper: Government, lower: Government, *, include_subtree: bool = False) -> JointReview:
    """Devolution proposals from ``upper`` to ``lower`` (or, with ``include_subtree``, to any government
    inside ``lower``'s territory), drafts and withdrawn ones left out. One query."""
    receiver_q = path_prefix_q(lower.path, "receiver__path") if include_subtree else Q(receiver=lower)
    rows = (
        Transfer.objects.filter(receiver_q, giver=upper, kind="devolve")
        .exclude(state__in=[TransferState.DRAFT, TransferState.WITHDRAWN])
        .order_by("item__code", "receiver__code", "id")
        .values(*REVIEW_FIELDS)
    )
    review = JointReview(upper=upper, lower=lower)
    for row in rows:
        (review.requested if row["origin"] == Origin.REQUESTED else review.offered).append(row)
    return review
