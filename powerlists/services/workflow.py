"""The review workflow: proposals, two-sided confirmation, batches, maker-checker.

The life of a transfer::

    draft ──submit──▶ submitted ──approve (giver)──▶ approved ──accept (receiver / each party)──▶ accepted
      ▲                  │  │                          │                                          │
      └──── returned ◀───┘  └─reject─▶ rejected ◀──────┘ reject (receiver)                        ▼
                                                                                    effective (on its date)

A recall, cancel or adjustment needs only the giving side: its approval is final. A devolution needs
the receiver's acceptance, which names the receiving unit; a shared arrangement every party's. The
author may withdraw a proposal until it takes effect. A transfer outside a batch takes effect as soon
as its last confirmation is given (its exercise rows carry its effective date, so it shows in lists
from that date); a transfer in a batch waits for the batch, which takes effect all at once or not at all.

Every step locks the rows it changes, checks the state *after* taking the lock, and writes an audit
event with the actor, the comment and the state before and after. A step that lost a race gets a
:class:`Conflict` (409) and changes nothing.
"""
from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .. import policy
from ..models import (
    AuditEvent,
    Batch,
    BatchState,
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
from .audit import make_event, record, snapshot
from .bounds import bounded
from .errors import Conflict, InvalidInput, TransferError
from .transfers import (
    Party,
    _check_item_open,
    _clean_parties,
    apply_transfer,
    check_not_core,
    check_receiving_unit,
    check_transfer,
)

OPEN_STATES = (TransferState.DRAFT, TransferState.SUBMITTED, TransferState.APPROVED, TransferState.ACCEPTED,
               TransferState.RETURNED)
EDITABLE_STATES = (TransferState.DRAFT, TransferState.RETURNED)
TERMINAL_STATES = (TransferState.EFFECTIVE, TransferState.REJECTED, TransferState.WITHDRAWN)

EDITABLE_FIELDS = {"method", "receiving_department", "staff_posts", "reason", "effective_on", "changes", "parties",
                   "receiver", "item"}


def _state_conflict(transfer: Transfer, action_zh: str, action_en: str) -> Conflict:
    return Conflict(
        "invalid_state",
        f"该提议当前状态为“{transfer.get_state_display()}”，不能{action_zh}。",
        f"This proposal is {transfer.state}; it cannot be {action_en}.",
        state=transfer.state,
    )


def _lock(transfer: Transfer) -> Transfer:
    """Lock the transfer (and its batch first, always in that order) and return it fresh.

    A database without row locks (SQLite) serializes writers and reads one snapshot per transaction:
    there the transfer is simply read (the batch lookup would lock nothing and could not differ)."""
    locking = connection.features.has_select_for_update
    batch_id = None
    if locking:
        batch_id = Transfer.objects.filter(pk=transfer.pk).values_list("batch_id", flat=True).first()
        if batch_id is not None:
            Batch.objects.select_for_update().filter(pk=batch_id).values_list("pk", flat=True).first()
    current = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("giver", "receiver", "item", "batch", "receiving_department")
        .get(pk=transfer.pk)
    )
    if locking and current.batch_id != batch_id:  # moved between batches meanwhile
        raise Conflict("concurrent_change", "该提议刚被他人修改，请刷新后重试。",
                       "This proposal was just changed by someone else; reload and try again.")
    return current


def _check_version(current: Transfer, expected_version: int | None) -> None:
    if expected_version is not None and current.version != expected_version:
        raise Conflict("stale_version", "该提议已被他人修改，请刷新后重试。",
                       "Someone else changed this proposal; reload and try again.",
                       expected_version=expected_version, current_version=current.version)


def _step_event(current: Transfer, action: str, actor, before_state: str, comment: str, extra: dict | None = None):
    after = {"state": current.state, "version": current.version}
    if extra:
        after.update(extra)
    return make_event(f"workflow.{action}", current, actor=actor, before={"state": before_state}, after=after,
                      reason=comment, government=current.giver, item=current.item, transfer=current,
                      batch=current.batch)


def _step(current: Transfer, action: str, actor, before_state: str, comment: str, extra: dict | None = None):
    current.version += 1
    current.save()
    _step_event(current, action, actor, before_state, comment, extra).save()


def _steps(transfers: list[Transfer], fields: tuple[str, ...], action: str, actor, before_state: str, comment: str,
           extra=None) -> None:
    """:func:`_step` for many locked transfers of one batch action: the same rows and the same audit
    events, written in a few statements instead of two per transfer. ``fields`` are the ones the action
    changed (the rest were just read under lock); transfers writing the same values share one UPDATE.
    ``extra`` maps a transfer to the extra audit detail."""
    if not transfers:
        return
    now = timezone.now()
    groups: dict[tuple, list[Transfer]] = {}
    for t in transfers:
        t.version += 1
        t.updated_at = now
        groups.setdefault(tuple(getattr(t, Transfer._meta.get_field(f).attname) for f in fields), []).append(t)
    attnames = [Transfer._meta.get_field(f).attname for f in fields]
    for values, group in groups.items():
        for start in range(0, len(group), 500):
            chunk = group[start:start + 500]
            Transfer.objects.filter(pk__in=[t.pk for t in chunk]).update(
                version=F("version") + 1, updated_at=now, **dict(zip(attnames, values, strict=True)))
    AuditEvent.objects.bulk_create(
        [_step_event(t, action, actor, before_state, comment, extra(t) if extra else None) for t in transfers],
        batch_size=500,
    )


# --- proposing --------------------------------------------------------------------------------------


@bounded
def propose(
    *,
    actor,
    kind: str,
    item: PowerItem,
    giver: Government,
    effective_on: datetime.date,
    receiver: Government | None = None,
    origin: str = Origin.OFFERED,
    method: str = "",
    receiving_department: Department | None = None,
    staff_posts: int = 0,
    reason: str = "",
    changes: dict | None = None,
    parties: list[Party] | None = None,
    batch: Batch | None = None,
) -> Transfer:
    """Create a proposal in draft. Editors of the giver offer (端菜); editors of the receiver request (点菜)."""
    if kind not in TransferKind.values:
        raise InvalidInput("invalid_kind", "变更类型无效。", "Unknown kind of change.", kind=kind)
    if origin not in Origin.values:
        raise InvalidInput("invalid_origin", "来源无效。", "Unknown origin.", origin=origin)
    if kind == TransferKind.DEVOLVE:
        method = method or Method.DIRECT
        if method not in Method.values:
            raise InvalidInput("invalid_method", "下放方式无效。", "Unknown devolution method.", method=method)
        if receiver is None:
            raise InvalidInput("receiver_required", "下放必须指明承接方。", "A devolution needs a receiver.")
    elif method:
        raise InvalidInput("method_only_for_devolve", "只有下放才有下放方式。", "Only a devolution has a method.")
    if kind in (TransferKind.CANCEL, TransferKind.ADJUST, TransferKind.SHARE) and receiver is not None:
        raise InvalidInput("no_receiver", "取消、调整和共有不指定承接方。",
                           "A cancel, adjustment or shared arrangement has no single receiver.")
    if not isinstance(staff_posts, int) or staff_posts < 0:
        raise InvalidInput("invalid_staff_posts", "划转编制数必须是非负整数。",
                           "Staff posts moved must be a whole number.")
    if not isinstance(effective_on, datetime.date):
        raise InvalidInput("date_required", "请填写生效日期。", "An effective date is required.")
    if batch is not None and effective_on != batch.effective_on:
        raise InvalidInput("date_differs_from_batch", "变更的生效日期必须与批次一致。",
                           "A change takes effect on its batch's date.")
    _check_item_open(item, effective_on)  # a cancelled or superseded item takes no proposal
    transfer = Transfer(
        kind=kind, item=item, giver=giver, receiver=receiver, origin=origin, method=method or "",
        receiving_department=receiving_department, staff_posts=staff_posts, reason=reason or "",
        changes=changes or {}, effective_on=effective_on, batch=batch, state=TransferState.DRAFT,
    )
    policy.require(actor, "transfer.propose", transfer)
    transfer.created_by = actor
    if batch is not None:
        _check_batch_open(batch)
        _check_in_batch_territory(transfer, batch)
    if kind == TransferKind.DEVOLVE:
        # Refused when proposed, not only when it would take effect: the rules that the item and the named
        # unit decide alone (the rest are checked again on approval and on the effective date).
        check_not_core(item)
        check_receiving_unit(method, receiving_department, giver, receiver)
    cleaned = _clean_parties(transfer, parties or []) if kind == TransferKind.SHARE else []
    with transaction.atomic():
        transfer.save()
        transfer.editors.add(actor)
        if cleaned:
            TransferParty.objects.bulk_create([
                TransferParty(transfer=transfer, government=p.government, role=p.role, fiscal_share=p.fiscal_share,
                              department=p.department)
                for p in cleaned
            ])
        after = snapshot(transfer)
        if cleaned:
            after["parties"] = [{"government": p.government.code, "role": p.role, "fiscal_share": p.fiscal_share}
                                for p in cleaned]
        record("workflow.propose", transfer, actor=actor, before=None, after=after, reason=reason,
               government=giver, item=item, transfer=transfer, batch=batch)
    return transfer


@bounded
def edit(transfer: Transfer, *, actor, expected_version: int | None = None, comment: str = "", **changes) -> Transfer:
    """Change a draft or returned proposal. The editor becomes one of its makers."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput("field_not_editable", "这些字段不能修改：" + "、".join(sorted(unknown)),
                           "These fields cannot be changed: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    with transaction.atomic():
        current = _lock(transfer)
        policy.require(actor, "transfer.edit", current)
        _check_version(current, expected_version)
        if current.state not in EDITABLE_STATES:
            raise _state_conflict(current, "修改", "edited")
        before = snapshot(current)
        for name, value in changes.items():
            if name == "parties":
                continue
            setattr(current, name, value)
        if "method" in changes and current.kind == TransferKind.DEVOLVE and current.method not in Method.values:
            raise InvalidInput("invalid_method", "下放方式无效。", "Unknown devolution method.")
        if not isinstance(current.staff_posts, int) or current.staff_posts < 0:
            raise InvalidInput("invalid_staff_posts", "划转编制数必须是非负整数。",
                               "Staff posts moved must be a whole number.")
        if current.batch_id and current.effective_on != current.batch.effective_on:
            raise InvalidInput("date_differs_from_batch", "变更的生效日期必须与批次一致。",
                               "A change takes effect on its batch's date.")
        if "receiver" in changes:
            if current.kind not in (TransferKind.DEVOLVE, TransferKind.RECALL):
                raise InvalidInput("no_receiver", "只有下放和收回才有承接方。", "Only a devolution or a recall has a receiver.")
            if not isinstance(current.receiver, Government):
                raise InvalidInput("receiver_required", "请指明承接方。", "A receiver is required.")
        if "item" in changes:
            if not isinstance(current.item, PowerItem):
                raise InvalidInput("item_required", "请指明事项。", "An item is required.")
            _check_item_open(current.item, current.effective_on)
        if {"receiver", "item"} & set(changes):
            # Another receiver or item is another proposal: the editor must be one who could make it.
            policy.require(actor, "transfer.propose", current)
            if current.kind == TransferKind.DEVOLVE:
                check_not_core(current.item)
        if current.kind == TransferKind.DEVOLVE and {"method", "receiving_department", "receiver"} & set(changes):
            check_receiving_unit(current.method, current.receiving_department, current.giver, current.receiver)
        if "parties" in changes and current.kind == TransferKind.SHARE:
            cleaned = _clean_parties(current, changes["parties"] or [])
            # Parties of a draft are replaced as a whole; a draft's parties are not history yet.
            current.parties.all().delete()
            TransferParty.objects.bulk_create([
                TransferParty(transfer=current, government=p.government, role=p.role,
                              fiscal_share=p.fiscal_share, department=p.department)
                for p in cleaned
            ])
        current.editors.add(actor)
        current.version += 1
        current.save()
        record("workflow.edit", current, actor=actor, before=before, after=snapshot(current), reason=comment,
               government=current.giver, item=current.item, transfer=current, batch=current.batch)
    return current


@bounded
def submit(transfer: Transfer, *, actor, comment: str = "", expected_version: int | None = None) -> Transfer:
    """Send a draft (or a returned proposal) for review. Its rules are checked now, and again on effect."""
    with transaction.atomic():
        current = _lock(transfer)
        policy.require(actor, "transfer.submit", current)
        _check_version(current, expected_version)
        if current.state not in EDITABLE_STATES:
            raise _state_conflict(current, "提交", "submitted")
        check_transfer(current)
        before = current.state
        current.state = TransferState.SUBMITTED
        current.giver_decision = current.receiver_decision = ""
        current.giver_decided_by = current.receiver_decided_by = None
        current.giver_decided_at = current.receiver_decided_at = None
        if current.kind == TransferKind.SHARE:  # only a shared arrangement has parties deciding
            current.parties.update(decision="", decided_by=None, decided_at=None)
        _step(current, "submit", actor, before, comment)
    return current


# --- deciding ---------------------------------------------------------------------------------------


def _finish_if_ready(current: Transfer, actor, comment: str) -> None:
    """Outside a batch, a transfer whose last confirmation is given takes effect now (dated its date)."""
    if current.batch_id is None:
        apply_transfer(current, actor=actor, reason=comment)


@bounded
def approve(transfer: Transfer, *, actor, comment: str = "", expected_version: int | None = None) -> Transfer:
    """The giving side's reviewer agrees (放得下). For a recall, cancel or adjustment that is final."""
    with transaction.atomic():
        current = _lock(transfer)
        policy.require(actor, "transfer.approve", current)
        _check_version(current, expected_version)
        if current.state != TransferState.SUBMITTED:
            raise _state_conflict(current, "批准", "approved")
        before = current.state
        current.state = TransferState.APPROVED
        current.giver_decision = Decision.APPROVED
        current.giver_decided_by, current.giver_decided_at = actor, timezone.now()
        _step(current, "approve", actor, before, comment)
        if not policy.needs_acceptance(current):
            _finish_if_ready(current, actor, comment)
    return current


@bounded
def accept(
    transfer: Transfer,
    *,
    actor,
    receiving_department: Department | None = None,
    government: Government | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Transfer:
    """The receiving side's reviewer agrees (接得住) and names the receiving unit (承接单位).

    For a shared arrangement each party accepts for itself (``government``, when the reviewer may act
    for several); the arrangement is accepted when every party has.
    """
    with transaction.atomic():
        current = _lock(transfer)
        policy.require(actor, "transfer.accept", current)
        _check_version(current, expected_version)
        if current.state != TransferState.APPROVED or not policy.needs_acceptance(current):
            raise _state_conflict(current, "确认承接", "accepted")
        before = current.state
        now = timezone.now()
        if current.kind == TransferKind.DEVOLVE:
            department = receiving_department or current.receiving_department
            if department is None:
                raise InvalidInput("receiving_unit_required", "承接方确认时必须指定承接单位。",
                                   "Accepting a devolution names the receiving unit.")
            check_receiving_unit(current.method, department, current.giver, current.receiver)
            current.receiving_department = department
            current.receiver_decision = Decision.APPROVED
            current.receiver_decided_by, current.receiver_decided_at = actor, now
            current.state = TransferState.ACCEPTED
            extra = {"receiving_department": department.pk}
        else:
            party = _party_for(current, actor, government)
            party.decision, party.decided_by, party.decided_at = Decision.APPROVED, actor, now
            party.save(update_fields=["decision", "decided_by", "decided_at"])
            waiting = current.parties.exclude(government_id=current.giver_id).exclude(decision=Decision.APPROVED)
            if not waiting.exists():
                current.state = TransferState.ACCEPTED
                current.receiver_decision = Decision.APPROVED
                current.receiver_decided_by, current.receiver_decided_at = actor, now
            extra = {"party": party.government.code}
        _step(current, "accept", actor, before, comment, extra)
        if current.state == TransferState.ACCEPTED:
            _finish_if_ready(current, actor, comment)
    return current


def _party_for(current: Transfer, actor, government: Government | None) -> TransferParty:
    parties = [p for p in current.parties.select_related("government") if p.government_id != current.giver_id]
    if government is not None:
        parties = [p for p in parties if p.government_id == government.pk]
    mine = [p for p in parties if policy.has_role(actor, policy.REVIEWER, p.government)]
    pending = [p for p in mine if p.decision != Decision.APPROVED]
    if not mine:
        policy._deny_role()
    if not pending:
        raise Conflict("already_accepted", "您所在的一方已确认。", "Your party has already accepted.")
    if government is None and len(pending) > 1:
        raise InvalidInput("party_required", "请指明代表哪一方确认。", "Say which party you accept for.")
    return pending[0]


@bounded
def reject(transfer: Transfer, *, actor, reason: str, expected_version: int | None = None) -> Transfer:
    """Either side's reviewer refuses the proposal, with a reason. It is closed."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason_required", "驳回必须说明理由。", "A rejection needs a reason.")
    with transaction.atomic():
        current = _lock(transfer)
        _check_version(current, expected_version)
        if current.state == TransferState.SUBMITTED:
            policy.require(actor, "transfer.reject_as_giver", current)
            current.giver_decision = Decision.REJECTED
            current.giver_decided_by, current.giver_decided_at = actor, timezone.now()
        elif current.state == TransferState.APPROVED and policy.needs_acceptance(current):
            policy.require(actor, "transfer.reject_as_receiver", current)
            current.receiver_decision = Decision.REJECTED
            current.receiver_decided_by, current.receiver_decided_at = actor, timezone.now()
        else:
            raise _state_conflict(current, "驳回", "rejected")
        before = current.state
        current.state = TransferState.REJECTED
        current.decision_reason = reason
        _step(current, "reject", actor, before, reason)
    return current


@bounded
def return_for_changes(transfer: Transfer, *, actor, comment: str, expected_version: int | None = None) -> Transfer:
    """The giving side's reviewer sends a submitted proposal back to its makers for changes."""
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput("comment_required", "退回修改必须说明要修改什么。", "Say what to change when returning.")
    with transaction.atomic():
        current = _lock(transfer)
        policy.require(actor, "transfer.return", current)
        _check_version(current, expected_version)
        if current.state != TransferState.SUBMITTED:
            raise _state_conflict(current, "退回", "returned")
        before = current.state
        current.state = TransferState.RETURNED
        current.giver_decision = Decision.RETURNED
        current.giver_decided_by, current.giver_decided_at = actor, timezone.now()
        current.decision_reason = comment
        _step(current, "return", actor, before, comment)
    return current


@bounded
def withdraw(transfer: Transfer, *, actor, comment: str = "", expected_version: int | None = None) -> Transfer:
    """The author takes a proposal back before it takes effect."""
    with transaction.atomic():
        current = _lock(transfer)
        policy.require(actor, "transfer.withdraw", current)
        _check_version(current, expected_version)
        if current.state not in OPEN_STATES:
            raise _state_conflict(current, "撤回", "withdrawn")
        if current.batch_id and current.batch.state == BatchState.EFFECTIVE:
            raise Conflict("batch_effective", "所在批次已生效，不能撤回。", "Its batch has taken effect; too late to withdraw.")
        before = current.state
        current.state = TransferState.WITHDRAWN
        _step(current, "withdraw", actor, before, comment)
    return current


# --- batches ----------------------------------------------------------------------------------------


def _check_batch_open(batch: Batch) -> None:
    if batch.state != BatchState.DRAFT:
        raise Conflict("batch_not_draft", "只能向草稿状态的批次加入变更。", "Changes are added only to a draft batch.",
                       state=batch.state)


def _check_in_batch_territory(transfer: Transfer, batch: Batch) -> None:
    if not transfer.giver.is_within(batch.issuer):
        raise TransferError("outside_batch_issuer", f"放出方必须在发文政府{batch.issuer.name}的辖区内。",
                            f"The giver must be inside the territory of {batch.issuer.name}, which issues the batch.")


@bounded
def add_to_batch(transfer: Transfer, batch: Batch, *, actor, comment: str = "") -> Transfer:
    """Put an open proposal into a draft batch; it takes the batch's effective date."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        policy.require(actor, "batch.edit", batch)
        current = _lock(transfer)
        policy.require(actor, "transfer.edit", current)
        _check_batch_open(batch)
        if current.state not in OPEN_STATES:
            raise _state_conflict(current, "加入批次", "added to a batch")
        if current.batch_id and current.batch_id != batch.pk:
            raise Conflict("in_other_batch", "该提议已在另一批次中。", "This proposal is already in another batch.")
        _check_in_batch_territory(current, batch)
        before = current.state
        current.batch = batch
        current.effective_on = batch.effective_on
        _step(current, "add_to_batch", actor, before, comment, {"batch": batch.pk})
    return current


def _batch_transfers(batch: Batch, **filters) -> list[Transfer]:
    """The batch's transfers (those matching ``filters``), locked, with what the steps read of them."""
    return list(
        Transfer.objects.select_for_update(of=("self",)).filter(batch=batch, **filters)
        .select_related("giver", "receiver", "item", "batch", "receiving_department").order_by("id")
    )


@bounded
def approve_batch(batch: Batch, *, actor, comment: str = "") -> Batch:
    """Approve every submitted proposal of a batch in one action (each under maker-checker)."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        policy.require(actor, "batch.approve", batch)
        if batch.state != BatchState.DRAFT:
            raise Conflict("batch_not_draft", "该批次已审批过。", "This batch has already been decided.", state=batch.state)
        transfers = _batch_transfers(batch)
        pending = [t for t in transfers if t.state == TransferState.SUBMITTED]
        unready = [t.pk for t in transfers if t.state in (TransferState.DRAFT, TransferState.RETURNED)]
        if unready:
            raise Conflict("batch_has_drafts", "批次中还有未提交的提议。", "The batch still holds proposals not submitted.",
                           transfers=unready)
        for t in pending:
            policy.require(actor, "transfer.approve", t)
        now = timezone.now()
        for t in pending:
            t.state = TransferState.APPROVED
            t.giver_decision = Decision.APPROVED
            t.giver_decided_by, t.giver_decided_at = actor, now
        _steps(pending, ("state", "giver_decision", "giver_decided_by", "giver_decided_at"), "approve", actor,
               TransferState.SUBMITTED, comment)
        batch.state = BatchState.APPROVED
        batch.decided_by, batch.decided_at = actor, now
        batch.version += 1
        batch.save()
        record("batch.approve", batch, actor=actor, before={"state": BatchState.DRAFT},
               after={"state": batch.state, "approved": [t.pk for t in pending]}, reason=comment,
               government=batch.issuer, batch=batch)
    return batch


@bounded
def accept_in_batch(
    batch: Batch,
    *,
    actor,
    government: Government,
    receiving_department: Department | None = None,
    comment: str = "",
) -> list[Transfer]:
    """The receiving side's reviewer accepts, in one action, every approved devolution of a batch to
    ``government`` (the outcome of a joint review). Each keeps its receiving unit if it names one, else
    takes ``receiving_department``; each is checked under maker-checker. All or none."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        transfers = _batch_transfers(batch, receiver=government, kind=TransferKind.DEVOLVE,
                                     state=TransferState.APPROVED)
        if not transfers:
            raise Conflict("nothing_to_accept", "该批次中没有等待该政府确认的下放。",
                           "No devolution in this batch waits for this government's acceptance.")
        now = timezone.now()
        for t in transfers:
            policy.require(actor, "transfer.accept", t)
            department = t.receiving_department or receiving_department
            if department is None:
                raise InvalidInput("receiving_unit_required", "承接方确认时必须指定承接单位。",
                                   "Accepting a devolution names the receiving unit.", transfer=t.pk)
            check_receiving_unit(t.method, department, t.giver, government)
            t.receiving_department = department
            t.receiver_decision = Decision.APPROVED
            t.receiver_decided_by, t.receiver_decided_at = actor, now
            t.state = TransferState.ACCEPTED
        _steps(transfers, ("receiving_department", "receiver_decision", "receiver_decided_by", "receiver_decided_at",
                           "state"), "accept", actor, TransferState.APPROVED, comment,
               lambda t: {"receiving_department": t.receiving_department_id})
    return transfers


@bounded
def reject_batch(batch: Batch, *, actor, reason: str) -> Batch:
    """Reject a whole batch: every open proposal in it is rejected with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("reason_required", "驳回必须说明理由。", "A rejection needs a reason.")
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        policy.require(actor, "batch.reject", batch)
        if batch.state not in (BatchState.DRAFT, BatchState.APPROVED):
            raise Conflict("batch_closed", "该批次已生效或已驳回。", "This batch has taken effect or been rejected.",
                           state=batch.state)
        rejected = []
        transfers = _batch_transfers(batch)
        for t in transfers:
            if t.state in OPEN_STATES and policy.is_maker(actor, t):
                policy.require_not_maker(actor, t)
        for t in transfers:
            if t.state in OPEN_STATES:
                before = t.state
                t.state = TransferState.REJECTED
                t.decision_reason = reason
                _step(t, "reject", actor, before, reason)
                rejected.append(t.pk)
        before = batch.state
        batch.state = BatchState.REJECTED
        batch.decided_by, batch.decided_at = actor, timezone.now()
        batch.version += 1
        batch.save()
        record("batch.reject", batch, actor=actor, before={"state": before},
               after={"state": batch.state, "rejected": rejected}, reason=reason, government=batch.issuer, batch=batch)
    return batch


def _ready(t: Transfer) -> bool:
    if policy.needs_acceptance(t):
        return t.state == TransferState.ACCEPTED
    return t.state == TransferState.APPROVED


@bounded
def effect_batch(batch: Batch, *, actor, comment: str = "") -> Batch:
    """The batch takes effect on its date: all its confirmed transfers, or none.

    Withdrawn and rejected proposals are not part of it; any other proposal not yet confirmed by
    every side stops the whole batch.
    """
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        policy.require(actor, "batch.effect", batch)
        if batch.state != BatchState.APPROVED:
            raise Conflict("batch_not_approved", "批次须先审批通过才能生效。", "A batch takes effect only once approved.",
                           state=batch.state)
        transfers = [t for t in _batch_transfers(batch)
                     if t.state not in (TransferState.WITHDRAWN, TransferState.REJECTED)]
        unready = [t.pk for t in transfers if not _ready(t)]
        if unready:
            raise Conflict("batch_not_ready", "批次中还有提议未经双方确认。",
                           "Some proposals in the batch are not yet confirmed by every side.", transfers=unready)
        if not transfers:
            raise Conflict("batch_empty", "批次中没有可生效的变更。", "The batch holds no change to take effect.")
        for t in transfers:
            apply_transfer(t, actor=actor, reason=comment)
        batch.state = BatchState.EFFECTIVE
        batch.version += 1
        batch.save()
        record("batch.effect", batch, actor=actor, before={"state": BatchState.APPROVED},
               after={"state": batch.state, "transfers": [t.pk for t in transfers]}, reason=comment,
               government=batch.issuer, batch=batch)
    return batch


@bounded
def create_batch(*, actor, issuer: Government, title: str, effective_on: datetime.date, number: str = "",
                 issued_on: datetime.date | None = None, round_no: int | None = None, reason: str = "") -> Batch:
    """An editor of the issuing government opens a draft batch for a document."""
    from .batches import create_batch as _create

    policy.require(actor, "batch.create", Batch(issuer=issuer))
    batch = _create(issuer=issuer, title=title, effective_on=effective_on, number=number, issued_on=issued_on,
                    round_no=round_no, state=BatchState.DRAFT, actor=actor, reason=reason)
    Batch.objects.filter(pk=batch.pk).update(created_by=actor)
    batch.created_by = actor
    return batch


__all__ = [
    "accept", "accept_in_batch", "add_to_batch", "approve", "approve_batch", "create_batch", "edit",
    "effect_batch", "propose", "reject", "reject_batch", "return_for_changes", "submit", "withdraw",
]
