"""Batches: the documents that issue sets of transfers (批次 / 轮)."""
from __future__ import annotations

import datetime

from django.db import transaction

from .. import policy
from ..models import Batch, BatchState, Government, TransferKind
from .audit import record, snapshot
from .bounds import bounded
from .errors import InvalidInput


@bounded
def create_batch(
    *,
    issuer: Government,
    title: str,
    effective_on: datetime.date,
    number: str = "",
    issued_on: datetime.date | None = None,
    round_no: int | None = None,
    state: str = BatchState.DRAFT,
    actor=None,
    actor_name: str = "",
    reason: str = "",
) -> Batch:
    """Record a batch. An administrator recording an already issued document creates it ``effective``."""
    title = (title or "").strip()
    if not title:
        raise InvalidInput("title_required", "请填写文件标题。", "A batch needs the title of its document.")
    if not isinstance(effective_on, datetime.date):
        raise InvalidInput("date_required", "请填写生效日期。", "An effective date is required.")
    if issued_on is not None and issued_on > effective_on:
        raise InvalidInput("issued_after_effective", "印发日期不能晚于生效日期。",
                           "A document cannot be issued after it takes effect.")
    if state not in BatchState.values:
        raise InvalidInput("invalid_state", "批次状态无效。", "Unknown batch state.")
    if round_no is not None and (not isinstance(round_no, int) or round_no < 1):
        raise InvalidInput("invalid_round", "轮次必须是正整数。", "A round is a positive whole number.")
    if actor is not None:
        # A draft is an editor's proposal; a batch recorded as already issued is a correction.
        if state == BatchState.DRAFT:
            policy.require(actor, "batch.create", Batch(issuer=issuer))
        else:
            policy.require(actor, "list.correct", issuer)
    batch = Batch(issuer=issuer, title=title, number=(number or "").strip(), issued_on=issued_on,
                  effective_on=effective_on, round_no=round_no, state=state)
    with transaction.atomic():
        batch.save()
        record("batch.create", batch, actor=actor, actor_name=actor_name, after=snapshot(batch), reason=reason,
               government=issuer, batch=batch)
    return batch


def staff_posts_moved(batch: Batch) -> list[dict]:
    """Staff posts moved with a batch (编随事走), per giver and receiver: ``posts_out`` go down with its
    devolutions and shares, ``posts_back`` come back up with its recalls, and ``posts`` is the net moved
    down (out minus back). Withdrawn and rejected proposals move nothing."""
    from django.db.models import Case, IntegerField, Q, Sum, Value, When

    back = Q(kind=TransferKind.RECALL)
    rows = (
        batch.transfers.filter(staff_posts__gt=0).exclude(state__in=["withdrawn", "rejected"])
        .values("giver__code", "giver__name", "receiver__code", "receiver__name")
        .annotate(
            posts_out=Sum(Case(When(back, then=Value(0)), default="staff_posts", output_field=IntegerField())),
            posts_back=Sum(Case(When(back, then="staff_posts"), default=Value(0), output_field=IntegerField())),
        )
        .order_by("giver__code", "receiver__code")
    )
    return [{**row, "posts": row["posts_out"] - row["posts_back"]} for row in rows]
