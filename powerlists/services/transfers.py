"""Changes of who exercises what: devolve, recall, share, cancel and adjust.

Every change is a :class:`Transfer`. ``apply_transfer`` makes one take effect: it locks the item,
checks every rule against the rows as they are now, closes and opens :class:`Exercise` rows dated
``effective_on`` and records one audit event — all in one transaction, nothing written on refusal.
A change dated in the future is written now with that date and shows in lists from that day on.

The functions ``devolve``, ``recall``, ``share``, ``cancel`` and ``adjust`` build a transfer and apply
it at once: the administrator's path (and the seed loader's). The review workflow builds transfers
in draft and applies them through the same ``apply_transfer`` when they are approved.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q

from .. import policy
from ..models import (
    Batch,
    Department,
    DepartmentKind,
    Exercise,
    Government,
    Method,
    Origin,
    PowerItem,
    Role,
    Transfer,
    TransferKind,
    TransferParty,
    TransferState,
)
from ..models.choices import SHARED_ROLES
from .audit import record, snapshot
from .bounds import bounded, check_parties
from .errors import Conflict, InvalidInput, TransferError
from .items import apply_item_values

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Party:
    """A party to a shared arrangement: its government, lead or support, and its fiscal share in percent."""

    government: Government
    role: str
    fiscal_share: Decimal | int | str
    department: Department | None = None


# ---------------------------------------------------------------------------------------------------
# Reading the rows a rule needs
# ---------------------------------------------------------------------------------------------------


def _rows_from(item: PowerItem, government: Government, day: datetime.date):
    """Rows of ``item`` in ``government`` that are in force on ``day`` or start later."""
    return Exercise.objects.filter(item=item, government=government).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


def _row_in_force(item: PowerItem, government: Government, day: datetime.date) -> Exercise | None:
    return (
        Exercise.objects.in_force(day)
        .filter(item=item, government=government)
        .select_related("source__government")
        .first()
    )


def _descendants(rows: list[Exercise], day: datetime.date) -> list[Exercise]:
    """Rows derived from ``rows`` (devolved on) still in force on or after ``day``, transitively.

    One query per tier at most. A row among them that already has an end is refused by the caller.
    """
    found: list[Exercise] = []
    frontier = [r.pk for r in rows]
    while frontier:
        children = list(
            Exercise.objects.filter(source_id__in=frontier, role=Role.RECEIVER).filter(
                Q(valid_to__isnull=True) | Q(valid_to__gt=day)
            )
        )
        found.extend(children)
        frontier = [c.pk for c in children]
    return found


def _check_item_open(item: PowerItem, day: datetime.date) -> None:
    if item.cancelled_on:
        raise Conflict("item_cancelled", f"该事项已于{item.cancelled_on}取消。",
                       f"This item was cancelled on {item.cancelled_on}.", cancelled_on=item.cancelled_on)
    if item.replaced_on:
        raise Conflict("item_replaced", f"该事项已于{item.replaced_on}调整，请对调整后的事项操作。",
                       f"This item was adjusted on {item.replaced_on}; act on the adjusted item.",
                       replaced_on=item.replaced_on, replaced_by=item.replaced_by_id)


def _check_can_close(rows: list[Exercise], day: datetime.date) -> None:
    """Each row must be open and have begun before ``day``: history rows are never changed."""
    for row in rows:
        if row.valid_to is not None:
            raise Conflict("later_change_scheduled", f"该行使记录已定于{row.valid_to}结束，不能再变更。",
                           f"This exercise already ends on {row.valid_to}; it cannot be changed again.",
                           exercise=row.pk, ends=row.valid_to)
        if row.valid_from >= day:
            raise Conflict("later_change_scheduled",
                           f"变更日期必须晚于该行使记录的起始日期（{row.valid_from}）。",
                           f"The change must be dated after the exercise began ({row.valid_from}).",
                           exercise=row.pk, begins=row.valid_from)


def _check_no_scheduled_rows(item: PowerItem, day: datetime.date) -> None:
    """No row of ``item`` may begin after ``day``, nor already end after it (a recall or the end of a shared
    arrangement scheduled later): such a row would outlive a cancellation or adjustment dated ``day``."""
    later = Exercise.objects.filter(item=item, valid_from__gt=day).first()
    if later is not None:
        raise Conflict("later_change_scheduled", f"该事项在{later.valid_from}已有变更安排，请先处理。",
                       f"A change of this item is already scheduled on {later.valid_from}; deal with it first.",
                       exercise=later.pk, begins=later.valid_from)
    ending = Exercise.objects.filter(item=item, valid_to__gt=day).order_by("valid_to").first()
    if ending is not None:
        raise Conflict("later_change_scheduled", f"该事项在{ending.valid_to}已有变更安排，请先处理。",
                       f"A change of this item is already scheduled on {ending.valid_to}; deal with it first.",
                       exercise=ending.pk, ends=ending.valid_to)


def _check_territory(government: Government, within: Government, *, strict: bool, code: str) -> None:
    inside = government.is_within(within) and (not strict or government.pk != within.pk)
    if not inside or (strict and government.tier <= within.tier):
        raise TransferError(code, f"{government.name}不在{within.name}的辖区内或层级不低于它。",
                            f"{government.name} is not inside {within.name}'s territory at a lower tier.",
                            government=government.code, territory=within.code)


def _check_lowest_tier(item: PowerItem, government: Government, lowest_tier: int | None = None) -> None:
    lowest = item.lowest_tier if lowest_tier is None else lowest_tier
    if government.tier > lowest:
        raise TransferError("below_lowest_tier", f"法律不允许该事项由{government.name}这一层级行使。",
                            f"The law does not allow this item to be exercised at {government.name}'s tier.",
                            government=government.code, tier=government.tier, lowest_tier=lowest)


def _check_department(department: Department | None, government: Government) -> None:
    if department is not None and department.government_id != government.pk:
        raise TransferError("department_not_of_receiver", f"承接单位必须是{government.name}的部门。",
                            f"The receiving unit must be a department of {government.name}.",
                            department=department.pk, government=government.code)


def check_not_core(item: PowerItem) -> None:
    """A core power (核心事权, kept at the upper level on purpose) is not devolved while it is marked core."""
    if item.is_core:
        raise TransferError("core_power", "该事项是核心事权（由上级统筹），不能下放；如确需下放，请先经审核取消其核心事权标记。",
                            "This is a core power, kept at the upper level on purpose: it cannot be devolved "
                            "unless its core mark is lifted first (an audited change).", item=item.pk)


def check_receiving_unit(method: str, department: Department | None, giver: Government,
                         receiver: Government) -> None:
    """The receiving unit fits the method of handing over:

    - 派驻机构交办 (stationed agency): a stationed agency in the receiver, stationed by a department of the giver;
    - 派员办理 (staff sent): the giver's own department, which sends staff — the power stays that
      department's and does not become the receiver's own;
    - 直接下放 / 授权委托: a department of the receiver (not an agency stationed there by someone else).
    ``department`` may be None while a proposal is drafted (the receiver names it when it accepts)."""
    if department is None:
        return
    if method == Method.STATIONED_AGENCY:
        upper = department.upper_department
        if (department.kind != DepartmentKind.STATIONED_AGENCY or department.government_id != receiver.pk
                or upper is None or upper.government_id != giver.pk):
            raise TransferError("method_needs_stationed_agency",
                                f"派驻机构交办须由{giver.name}的部门派驻在{receiver.name}的派驻机构承接。",
                                f"Handing over through a stationed agency needs an agency of a {giver.name} "
                                f"department stationed in {receiver.name}.",
                                department=department.pk, method=method)
        return
    if method == Method.STAFF_SENT:
        if department.government_id != giver.pk:
            raise TransferError("staff_sent_keeps_upper_department",
                                f"派员办理时事项仍由{giver.name}的部门行使（派员到{receiver.name}办理），"
                                f"承接单位应为派员的{giver.name}部门。",
                                f"With staff sent, the power stays with the {giver.name} department that sends "
                                f"staff to {receiver.name}: name that department.",
                                department=department.pk, method=method)
        return
    _check_department(department, receiver)
    if department.kind == DepartmentKind.STATIONED_AGENCY:
        raise TransferError("stationed_agency_needs_method",
                            "派驻机构承接的事项，下放方式应为“派驻机构交办”。",
                            "A stationed agency receives a power by the stationed-agency method.",
                            department=department.pk, method=method)


def _shared_rows(item: PowerItem, sharer: Government, day: datetime.date) -> list[Exercise]:
    return list(
        Exercise.objects.filter(item=item, shared_by=sharer, role__in=SHARED_ROLES)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("id")
    )


# ---------------------------------------------------------------------------------------------------
# Plans: each checks its rules and says which rows to close and which to open
# ---------------------------------------------------------------------------------------------------


@dataclass
class Plan:
    close: list[Exercise]
    open: list[Exercise]
    item_updates: dict | None = None
    new_item: PowerItem | None = None


def _plan_devolve(t: Transfer, item: PowerItem) -> Plan:
    day = t.effective_on
    giver, receiver = t.giver, t.receiver
    if receiver is None:
        raise InvalidInput("receiver_required", "下放必须指明承接方。", "A devolution needs a receiver.")
    if t.method not in Method.values:
        raise InvalidInput("invalid_method", "下放方式无效。", "Unknown devolution method.", method=t.method)
    check_not_core(item)
    _check_territory(receiver, giver, strict=True, code="receiver_outside_territory")
    _check_lowest_tier(item, receiver)
    check_receiving_unit(t.method, t.receiving_department, giver, receiver)
    # One query reads every row the rules below need: the giver's and the receiver's rows, and the
    # shares the giver set up, that are in force on the day or later.
    rows = list(
        Exercise.objects.filter(item=item)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .filter(Q(government_id__in=[giver.pk, receiver.pk]) | Q(shared_by_id=giver.pk))
        .order_by()
    )
    source = next((r for r in rows if r.government_id == giver.pk and r.valid_from <= day), None)
    if source is None:
        raise TransferError("giver_not_exercising", f"{giver.name}在{day}并不行使该事项，不能下放。",
                            f"{giver.name} does not exercise this item on {day}, so it cannot devolve it.",
                            giver=giver.code, date=day)
    if source.role in SHARED_ROLES:
        raise TransferError("shared_cannot_devolve", "共有事项不能再下放。", "A shared power cannot be devolved further.")
    if source.valid_to is not None:
        raise Conflict("giver_exercise_ends", f"{giver.name}对该事项的行使将于{source.valid_to}结束，不能再下放。",
                       f"{giver.name}'s exercise of this item ends on {source.valid_to}; it cannot devolve it.",
                       ends=source.valid_to)
    if source.role == Role.HOLDER and any(r.shared_by_id == giver.pk and r.role in SHARED_ROLES for r in rows):
        raise TransferError("item_is_shared", "该事项已设为共有事权，请先结束共有安排。",
                            "This item is shared; end the shared arrangement first.")
    existing = next((r for r in rows if r.government_id == receiver.pk), None)
    if existing is not None:
        raise TransferError("receiver_already_exercises", f"{receiver.name}已在行使或将行使该事项。",
                            f"{receiver.name} already exercises this item (or will).",
                            receiver=receiver.code, exercise=existing.pk)
    row = Exercise(
        item=item, government=receiver, role=Role.RECEIVER, department=t.receiving_department,
        method=t.method, source=source, valid_from=day,
    )
    return Plan(close=[], open=[row])


def _plan_recall(t: Transfer, item: PowerItem) -> Plan:
    day = t.effective_on
    giver, receiver = t.giver, t.receiver
    if receiver is None:
        return _plan_end_share(t, item)
    row = _row_in_force(item, receiver, day)
    if (
        row is None
        or row.role != Role.RECEIVER
        or row.source is None
        or row.source.government_id != giver.pk
    ):
        raise TransferError("not_devolved_by_giver", f"{receiver.name}在{day}并未承接由{giver.name}下放的该事项。",
                            f"{receiver.name} does not hold this item devolved by {giver.name} on {day}.",
                            giver=giver.code, receiver=receiver.code, date=day)
    rows = [row, *_descendants([row], day)]
    _check_can_close(rows, day)
    return Plan(close=rows, open=[])


def _plan_end_share(t: Transfer, item: PowerItem) -> Plan:
    day = t.effective_on
    rows = _shared_rows(item, t.giver, day)
    if not rows:
        raise TransferError("not_shared", f"{t.giver.name}在{day}没有设立该事项的共有安排。",
                            f"{t.giver.name} has no shared arrangement for this item on {day}.")
    _check_can_close(rows, day)
    opened = []
    own = next((r for r in rows if r.government_id == t.giver.pk), None)
    if own is not None:
        opened.append(Exercise(item=item, government=t.giver, role=Role.HOLDER, department=own.department,
                               division=own.division, valid_from=day))
    return Plan(close=rows, open=opened)


def _clean_parties(t: Transfer, parties: list[Party]) -> list[Party]:
    check_parties(parties)  # before looking at any of them
    if len(parties) < 2:
        raise InvalidInput("share_needs_parties", "共有事权至少需要两方。", "A shared power needs at least two parties.")
    cleaned, seen = [], set()
    for p in parties:
        if p.role not in SHARED_ROLES:
            raise InvalidInput("invalid_share_role", "共有方的责任必须是主体责任或配合责任。",
                               "Each party carries lead or support responsibility.", role=p.role)
        try:
            share = Decimal(str(p.fiscal_share)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            raise InvalidInput("invalid_fiscal_share", "财权分配占比必须是数字。",
                               "A fiscal share must be a number.", value=str(p.fiscal_share)) from None
        if share != Decimal(str(p.fiscal_share)) or share < 0 or share > HUNDRED:
            raise InvalidInput("invalid_fiscal_share", "财权分配占比必须在0至100之间，最多两位小数。",
                               "A fiscal share is between 0 and 100 with at most two decimals.",
                               value=str(p.fiscal_share))
        if p.government.pk in seen:
            raise InvalidInput("duplicate_party", f"{p.government.name}重复出现在共有方中。",
                               f"{p.government.name} appears twice among the parties.")
        seen.add(p.government.pk)
        cleaned.append(Party(p.government, p.role, share, p.department))
    leads = sum(1 for p in cleaned if p.role == Role.LEAD)
    if leads != 1:
        raise TransferError("share_needs_one_lead", "共有事权必须有且只有一个主体责任方。",
                            "A shared power has exactly one lead party.", leads=leads)
    total = sum((p.fiscal_share for p in cleaned), Decimal("0"))
    if total != HUNDRED:
        raise TransferError("shares_not_100", f"财权分配占比合计为{total}%，必须恰好为100%。",
                            f"The fiscal shares add up to {total}%; they must add up to exactly 100%.",
                            total=str(total))
    return cleaned


def _plan_share(t: Transfer, item: PowerItem, parties: list[Party]) -> Plan:
    day = t.effective_on
    sharer = t.giver
    parties = _clean_parties(t, parties)
    source = _row_in_force(item, sharer, day)
    if source is None or source.role != Role.HOLDER:
        raise TransferError("sharer_not_holder", f"{sharer.name}在{day}不是该事项的本级行使者，不能设立共有。",
                            f"{sharer.name} does not hold this item on {day}, so it cannot share it.")
    if source.valid_to is not None:
        raise Conflict("giver_exercise_ends", f"{sharer.name}对该事项的行使将于{source.valid_to}结束。",
                       f"{sharer.name}'s exercise of this item ends on {source.valid_to}.")
    if Exercise.objects.filter(source=source).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).exists():
        raise TransferError("item_devolved_out", "该事项已下放，请先收回再设立共有。",
                            "This item is devolved; recall it before sharing it.")
    if _shared_rows(item, sharer, day):
        raise TransferError("already_shared", "该事项已设为共有事权。", "This item is already shared.")
    close, opened = [], []
    for p in parties:
        _check_territory(p.government, sharer, strict=False, code="party_outside_territory")
        _check_lowest_tier(item, p.government)
        if p.department is not None and p.department.government_id != p.government.pk:
            raise TransferError("department_not_of_party", f"实施部门必须属于{p.government.name}。",
                                f"The department must belong to {p.government.name}.")
        if p.government.pk == sharer.pk:
            close.append(source)
        else:
            existing = _rows_from(item, p.government, day).first()
            if existing is not None:
                raise TransferError("party_already_exercises", f"{p.government.name}已在行使该事项。",
                                    f"{p.government.name} already exercises this item.",
                                    government=p.government.code)
        opened.append(Exercise(
            item=item, government=p.government, role=p.role, fiscal_share=p.fiscal_share,
            department=p.department if p.department is not None else (
                source.department if p.government.pk == sharer.pk else None),
            shared_by=sharer, valid_from=day,
        ))
    _check_can_close(close, day)
    return Plan(close=close, open=opened)


def _open_rows_of(item: PowerItem) -> list[Exercise]:
    return list(Exercise.objects.filter(item=item, valid_to__isnull=True).select_related("government"))


def _plan_cancel(t: Transfer, item: PowerItem) -> Plan:
    day = t.effective_on
    if t.giver.pk != item.government_id:
        raise TransferError("cancel_by_owner_only", "只有事项所属政府才能取消该事项。",
                            "Only the government whose list defines the item can cancel it.")
    items = [item, *PowerItem.objects.filter(parent=item, cancelled_on__isnull=True, replaced_on__isnull=True)]
    rows = []
    for it in items:
        _check_no_scheduled_rows(it, day)
        rows.extend(_open_rows_of(it))
    _check_can_close(rows, day)
    return Plan(close=rows, open=[], item_updates={"cancelled_on": day, "items": items})


ADJUSTABLE = {
    "code", "name", "category", "field", "legal_basis", "statutory_days", "promised_days", "responsibilities",
    "accountability", "lowest_tier", "is_core",
}


def _plan_adjust(t: Transfer, item: PowerItem) -> Plan:
    day = t.effective_on
    if t.giver.pk != item.government_id:
        raise TransferError("adjust_by_owner_only", "只有事项所属政府才能调整该事项。",
                            "Only the government whose list defines the item can adjust it.")
    changes = dict(t.changes or {})
    if not changes:
        raise InvalidInput("no_changes", "请说明调整内容。", "Say what the adjustment changes.")
    unknown = set(changes) - ADJUSTABLE
    if unknown:
        raise InvalidInput("unknown_field", "不能调整这些字段：" + "、".join(sorted(unknown)),
                           "These fields cannot be adjusted: " + ", ".join(sorted(unknown)), fields=sorted(unknown))
    if PowerItem.objects.filter(parent=item, cancelled_on__isnull=True, replaced_on__isnull=True).exists():
        raise TransferError("adjust_has_sub_items", "有子项的事项请逐项调整子项，或先取消子项。",
                            "Adjust an item's sub-items one by one, or cancel them first.")
    new_item = PowerItem(
        government=item.government, department=item.department, division=item.division, parent=item.parent,
        code=item.code, name=item.name, category=item.category, field=item.field, legal_basis=item.legal_basis,
        statutory_days=item.statutory_days, promised_days=item.promised_days,
        responsibilities=list(item.responsibilities), accountability=list(item.accountability),
        lowest_tier=item.lowest_tier, is_core=item.is_core,
    )
    apply_item_values(new_item, changes)
    if new_item.code != item.code and PowerItem.objects.filter(
        government=item.government, code=new_item.code, replaced_on__isnull=True
    ).exists():
        raise Conflict("item_code_taken", "该政府的清单中已有此事项编码。",
                       "This government's list already has an item with that code.", code=new_item.code)
    _check_no_scheduled_rows(item, day)
    rows = _open_rows_of(item)
    _check_can_close(rows, day)
    for row in rows:
        _check_lowest_tier(new_item, row.government)
    # Sources first: a receiver's source is always in a government higher in the tree.
    rows.sort(key=lambda r: (r.government.depth, r.pk))
    opened = [
        Exercise(
            government=r.government, role=r.role, department=r.department, division=r.division, method=r.method,
            fiscal_share=r.fiscal_share, shared_by_id=r.shared_by_id, valid_from=day,
            source_id=r.source_id,  # remapped to the new rows when written
        )
        for r in rows
    ]
    return Plan(close=rows, open=opened, item_updates={"replaced_on": day}, new_item=new_item)


# ---------------------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------------------


def _plan(t: Transfer, item: PowerItem, parties: list[Party] | None) -> Plan:
    if t.effective_on is None or not isinstance(t.effective_on, datetime.date):
        raise InvalidInput("date_required", "请填写生效日期。", "An effective date is required.")
    _check_item_open(item, t.effective_on)
    if t.kind == TransferKind.DEVOLVE:
        return _plan_devolve(t, item)
    if t.kind == TransferKind.RECALL:
        return _plan_recall(t, item)
    if t.kind == TransferKind.SHARE:
        return _plan_share(t, item, parties or [])
    if t.kind == TransferKind.CANCEL:
        return _plan_cancel(t, item)
    if t.kind == TransferKind.ADJUST:
        return _plan_adjust(t, item)
    raise InvalidInput("invalid_kind", "变更类型无效。", "Unknown kind of change.", kind=t.kind)


def _write(t: Transfer, item: PowerItem, plan: Plan) -> tuple[list[Exercise], list[Exercise]]:
    day = t.effective_on
    closed_ids = [r.pk for r in plan.close]
    if closed_ids:
        changed = Exercise.objects.filter(pk__in=closed_ids, valid_to__isnull=True).update(valid_to=day, closed_by=t)
        if changed != len(closed_ids):  # someone closed one of them since we read it
            raise Conflict("concurrent_change", "该事项刚被他人变更，请刷新后重试。",
                           "This item was just changed by someone else; reload and try again.")
        for r in plan.close:
            r.valid_to, r.closed_by_id = day, t.pk
    target_item = item
    if plan.new_item is not None:
        PowerItem.objects.filter(pk=item.pk).update(replaced_on=day)
        plan.new_item.save()
        PowerItem.objects.filter(pk=item.pk).update(replaced_by=plan.new_item, version=item.version + 1)
        item.replaced_on, item.replaced_by = day, plan.new_item
        target_item = plan.new_item
        t.result_item = plan.new_item
        t.save(update_fields=["result_item"])
    elif plan.item_updates and "cancelled_on" in plan.item_updates:
        for it in plan.item_updates["items"]:
            PowerItem.objects.filter(pk=it.pk).update(cancelled_on=day, version=it.version + 1)
            it.cancelled_on = day
    remap = {}
    old_by_index = plan.close if plan.new_item is not None else []
    for index, row in enumerate(plan.open):
        row.item = target_item
        row.transfer = t
        if plan.new_item is not None:
            row.source_id = remap.get(row.source_id, row.source_id)
        row.save()
        if old_by_index:
            remap[old_by_index[index].pk] = row.pk
    return plan.close, plan.open


@bounded
def apply_transfer(
    transfer: Transfer,
    *,
    parties: list[Party] | None = None,
    actor=None,
    actor_name: str = "",
    reason: str = "",
) -> Transfer:
    """Make ``transfer`` take effect on its ``effective_on`` date, or refuse and write nothing.

    ``parties`` are the shared arrangement's parties for a share (stored as :class:`TransferParty`);
    for a saved transfer they are read from the database.
    """
    try:
        with transaction.atomic():
            item = (
                PowerItem.objects.select_for_update(of=("self",)).select_related("government")
                .get(pk=transfer.item_id)
            )
            if transfer.pk:
                current = Transfer.objects.select_for_update().get(pk=transfer.pk)
                if current.state == TransferState.EFFECTIVE:
                    raise Conflict("already_effective", "该变更已经生效。", "This change has already taken effect.")
                if current.state in (TransferState.REJECTED, TransferState.WITHDRAWN):
                    raise Conflict("transfer_closed", "已驳回或已撤回的变更不能生效。",
                                   "A rejected or withdrawn change cannot take effect.", state=current.state)
                ready = TransferState.ACCEPTED if policy.needs_acceptance(current) else TransferState.APPROVED
                if current.state != ready:
                    raise Conflict("not_confirmed", "该提议尚未经各方确认，不能生效。",
                                   "This proposal has not been confirmed by every side; it cannot take effect.",
                                   state=current.state)
                if parties is None and transfer.kind == TransferKind.SHARE:
                    parties = [Party(p.government, p.role, p.fiscal_share, p.department)
                               for p in transfer.parties.select_related("government", "department")]
            state_before = transfer.state
            plan = _plan(transfer, item, parties)
            transfer.state = TransferState.EFFECTIVE
            if transfer.pk:
                transfer.version += 1
            transfer.save()
            if transfer.kind == TransferKind.SHARE and not transfer.parties.exists():
                TransferParty.objects.bulk_create([
                    TransferParty(transfer=transfer, government=p.government, role=p.role,
                                  fiscal_share=Decimal(str(p.fiscal_share)), department=p.department)
                    for p in parties
                ])
            closed, opened = _write(transfer, item, plan)
            after = snapshot(transfer)
            after["closed"] = [snapshot(r, ["id", "government", "role", "valid_from", "valid_to"]) for r in closed]
            after["opened"] = [snapshot(r) for r in opened]
            if plan.new_item is not None:
                after["new_item"] = snapshot(plan.new_item)
            if transfer.kind == TransferKind.SHARE:
                after["parties"] = [
                    {"government": p.government.code, "role": p.role, "fiscal_share": str(p.fiscal_share)}
                    for p in parties
                ]
            record(f"transfer.{transfer.kind}", transfer, actor=actor, actor_name=actor_name,
                   before={"state": state_before}, after=after, reason=reason or transfer.reason,
                   government=transfer.giver, item=item, transfer=transfer, batch=transfer.batch)
    except IntegrityError as exc:
        # The database's own constraints caught what the checks above should have: never a 500.
        raise Conflict("integrity", "该变更与现有记录冲突，未作任何修改。",
                       "This change conflicts with existing records; nothing was changed.", error=str(exc)) from exc
    return transfer


def _new_transfer(kind, *, item, giver, effective_on, batch, actor, reason, origin, **fields) -> Transfer:
    """A transfer that takes effect at once: an administrator's audited correction.

    With ``actor`` None the caller is the system itself (the seed loader, a command run by an operator).
    """
    if actor is not None:
        policy.require(actor, "list.correct", giver)
    if batch is not None:
        if effective_on is None:
            effective_on = batch.effective_on
        elif effective_on != batch.effective_on:
            raise InvalidInput("date_differs_from_batch", "变更的生效日期必须与批次一致。",
                               "A change takes effect on its batch's date.",
                               batch_date=batch.effective_on, date=effective_on)
    if origin not in Origin.values:
        raise InvalidInput("invalid_origin", "来源无效。", "Unknown origin.", origin=origin)
    return Transfer(
        kind=kind, item=item, giver=giver, effective_on=effective_on, batch=batch, reason=reason or "",
        origin=origin, created_by=actor if getattr(actor, "pk", None) else None, **fields,
    )


@bounded
def devolve(
    *,
    item: PowerItem,
    giver: Government,
    receiver: Government,
    effective_on: datetime.date | None = None,
    method: str = Method.DIRECT,
    origin: str = Origin.OFFERED,
    receiving_department: Department | None = None,
    staff_posts: int = 0,
    reason: str = "",
    batch: Batch | None = None,
    actor=None,
    actor_name: str = "",
) -> Transfer:
    """Devolve ``item`` from ``giver`` to ``receiver`` (下放), in force from ``effective_on``."""
    if not isinstance(staff_posts, int) or staff_posts < 0:
        raise InvalidInput("invalid_staff_posts", "划转编制数必须是非负整数。", "Staff posts moved must be a whole number.")
    t = _new_transfer(TransferKind.DEVOLVE, item=item, giver=giver, receiver=receiver, effective_on=effective_on,
                      batch=batch, actor=actor, reason=reason, origin=origin, method=method,
                      receiving_department=receiving_department, staff_posts=staff_posts)
    return apply_transfer(t, actor=actor, actor_name=actor_name)


@bounded
def recall(
    *,
    item: PowerItem,
    giver: Government,
    receiver: Government | None,
    effective_on: datetime.date | None = None,
    origin: str = Origin.REFORM,
    staff_posts: int = 0,
    reason: str = "",
    batch: Batch | None = None,
    actor=None,
    actor_name: str = "",
) -> Transfer:
    """Take back (收回) what ``giver`` devolved to ``receiver``, and what the receiver devolved on.

    With no receiver, end ``giver``'s shared arrangement for the item (the giver holds it alone again).
    """
    t = _new_transfer(TransferKind.RECALL, item=item, giver=giver, receiver=receiver, effective_on=effective_on,
                      batch=batch, actor=actor, reason=reason, origin=origin, staff_posts=staff_posts)
    return apply_transfer(t, actor=actor, actor_name=actor_name)


@bounded
def share(
    *,
    item: PowerItem,
    sharer: Government,
    parties: list[Party],
    effective_on: datetime.date | None = None,
    origin: str = Origin.REFORM,
    reason: str = "",
    batch: Batch | None = None,
    actor=None,
    actor_name: str = "",
) -> Transfer:
    """Make ``item`` a shared power (共有事权) of ``parties``: one lead, the rest support, shares adding to 100%."""
    t = _new_transfer(TransferKind.SHARE, item=item, giver=sharer, effective_on=effective_on, batch=batch,
                      actor=actor, reason=reason, origin=origin)
    return apply_transfer(t, parties=list(parties), actor=actor, actor_name=actor_name)


@bounded
def cancel(
    *,
    item: PowerItem,
    effective_on: datetime.date | None = None,
    reason: str = "",
    batch: Batch | None = None,
    actor=None,
    actor_name: str = "",
) -> Transfer:
    """Cancel (取消) ``item`` and its sub-items: they leave every list from ``effective_on``."""
    t = _new_transfer(TransferKind.CANCEL, item=item, giver=item.government, effective_on=effective_on,
                      batch=batch, actor=actor, reason=reason, origin=Origin.REFORM)
    return apply_transfer(t, actor=actor, actor_name=actor_name)


@bounded
def adjust(
    *,
    item: PowerItem,
    changes: dict,
    effective_on: datetime.date | None = None,
    reason: str = "",
    batch: Batch | None = None,
    actor=None,
    actor_name: str = "",
) -> Transfer:
    """Adjust (调整) ``item`` from ``effective_on``: an adjusted version replaces it in every list that has it."""
    if not isinstance(changes, dict):
        raise InvalidInput("invalid_changes", "调整内容格式无效。", "The adjustment's changes must be a mapping.")
    t = _new_transfer(TransferKind.ADJUST, item=item, giver=item.government, effective_on=effective_on,
                      batch=batch, actor=actor, reason=reason, origin=Origin.REFORM,
                      changes={k: v for k, v in changes.items()})
    return apply_transfer(t, actor=actor, actor_name=actor_name)


def check_transfer(transfer: Transfer, *, parties: list[Party] | None = None) -> None:
    """Check a proposal against the rules and the rows as they are now, writing nothing.

    The workflow checks a proposal when it is submitted, so a reviewer sees only proposals that could
    take effect; ``apply_transfer`` checks again when it does, against the rows as they are then.
    """
    item = PowerItem.objects.get(pk=transfer.item_id)
    if parties is None and transfer.kind == TransferKind.SHARE and transfer.pk:
        parties = [Party(p.government, p.role, p.fiscal_share, p.department)
                   for p in transfer.parties.select_related("government", "department")]
    _plan(transfer, item, parties)
