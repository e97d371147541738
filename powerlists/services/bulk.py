"""One change for many items and receivers at once: a reform's devolution of 175 powers to nine districts.

:func:`propose_bulk` makes one proposal (a draft, as :func:`workflow.propose` does) for every pair of an
item and a receiver — or one per item for a recall from one receiver, a cancel, or a shared arrangement
with the same parties. Every pair is checked first against the same rules as a single proposal and the
rows as they are now (:func:`transfers.check_transfer`): the result names each pair that would be made
and each that a rule refuses, with the reason in Chinese and English. Then either all are written — the
transfers, their makers and one audit event each, in a few statements, in one transaction — or, when any
pair is refused (or with ``dry_run``), none.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .. import policy
from ..models import (
    Batch,
    Department,
    Exercise,
    Government,
    Method,
    Origin,
    PowerItem,
    Transfer,
    TransferKind,
    TransferState,
    in_force_q,
)
from .audit import make_event, record_many, snapshot
from .bounds import bounded
from .errors import DomainError, InvalidInput
from .transfers import (
    Party,
    _check_item_open,
    _clean_parties,
    check_not_core,
    check_receiving_unit,
    check_transfer,
)
from .workflow import _check_batch_open, _check_in_batch_territory, create_batch

MAX_ITEMS = 2_000
MAX_RECEIVERS = 60
MAX_PAIRS = 6_000
CHUNK = 500
KINDS = (TransferKind.DEVOLVE, TransferKind.RECALL, TransferKind.CANCEL, TransferKind.SHARE)


@dataclass
class BulkPair:
    item: PowerItem
    receiver: Government | None
    transfer: Transfer | None = None  # unsaved until written
    code: str = ""  # the refusal's code; "" when the pair can be made
    message_zh: str = ""
    message_en: str = ""

    @property
    def ok(self) -> bool:
        return not self.code

    def message(self) -> str:
        from django.utils import translation

        return self.message_en if (translation.get_language() or "").startswith("en") else self.message_zh


@dataclass
class BulkResult:
    pairs: list[BulkPair] = field(default_factory=list)
    written: bool = False
    batch: Batch | None = None

    @property
    def refused(self) -> list[BulkPair]:
        return [p for p in self.pairs if not p.ok]

    @property
    def accepted(self) -> list[BulkPair]:
        return [p for p in self.pairs if p.ok]

    @property
    def transfers(self) -> list[Transfer]:
        return [p.transfer for p in self.pairs if p.ok and p.transfer is not None]


def _refuse(pair: BulkPair, error: DomainError) -> None:
    pair.code, pair.message_zh, pair.message_en = error.code, error.message_zh, error.message_en


def _check_shape(kind, giver, receivers, items, method, origin, effective_on) -> None:
    if kind not in KINDS:
        raise InvalidInput("invalid_kind", "批量变更的类型应为下放、收回、共有或取消。",
                           "A change in bulk is a devolution, recall, shared arrangement or cancellation.", kind=kind)
    if not isinstance(giver, Government):
        raise InvalidInput("giver_required", "请指明放出方。", "A giver is required.")
    if not items:
        raise InvalidInput("items_required", "请至少选择一个事项。", "Choose at least one item.")
    if len(items) > MAX_ITEMS:
        raise InvalidInput("too_many_items", f"一次最多{MAX_ITEMS}个事项。", f"At most {MAX_ITEMS:,} items at once.")
    if len(set(i.pk for i in items)) != len(items):
        raise InvalidInput("duplicate_items", "事项有重复。", "An item is chosen twice.")
    if len(receivers) > MAX_RECEIVERS:
        raise InvalidInput("too_many_receivers", f"一次最多{MAX_RECEIVERS}个承接方。",
                           f"At most {MAX_RECEIVERS} receivers at once.")
    if len(set(r.pk for r in receivers)) != len(receivers):
        raise InvalidInput("duplicate_receivers", "承接方有重复。", "A receiver is chosen twice.")
    if kind == TransferKind.DEVOLVE and not receivers:
        raise InvalidInput("receiver_required", "下放必须指明至少一个承接方。", "A devolution needs at least one receiver.")
    if kind == TransferKind.RECALL and len(receivers) != 1:
        raise InvalidInput("one_receiver_to_recall", "收回须指明一个被收回的下级政府。",
                           "A recall names the one government it recalls from.")
    if kind in (TransferKind.CANCEL, TransferKind.SHARE) and receivers:
        raise InvalidInput("no_receiver", "取消和共有不指定承接方。", "A cancellation or shared arrangement has no receiver.")
    if len(items) * max(1, len(receivers)) > MAX_PAIRS:
        raise InvalidInput("too_many_pairs", f"一次最多{MAX_PAIRS}个变更（事项数×承接方数）。",
                           f"At most {MAX_PAIRS:,} changes (items × receivers) at once.")
    if kind == TransferKind.DEVOLVE and (method or Method.DIRECT) not in Method.values:
        raise InvalidInput("invalid_method", "下放方式无效。", "Unknown devolution method.", method=method)
    if kind != TransferKind.DEVOLVE and method:
        raise InvalidInput("method_only_for_devolve", "只有下放才有下放方式。", "Only a devolution has a method.")
    if origin not in Origin.values:
        raise InvalidInput("invalid_origin", "来源无效。", "Unknown origin.", origin=origin)
    if not isinstance(effective_on, datetime.date):
        raise InvalidInput("date_required", "请填写生效日期。", "An effective date is required.")


def items_by_code(giver: Government, codes: list[str]) -> list[PowerItem]:
    """Items by their code in the giver's list: its own catalogue, else what it exercises today."""
    own = {i.code: i for i in PowerItem.objects.filter(government=giver, replaced_on__isnull=True, code__in=codes)}
    rest = [c for c in codes if c not in own]
    if rest:
        held = PowerItem.objects.filter(code__in=rest, replaced_on__isnull=True, pk__in=Exercise.objects.filter(
            in_force_q(timezone.localdate()), government=giver).values("item_id"))
        own.update({i.code: i for i in held})
    missing = [c for c in codes if c not in own]
    if missing:
        raise InvalidInput("unknown_items", f"{giver.name}的清单中没有这些事项编码：" + "、".join(missing[:20]),
                           f"{giver.name}'s list has no items with these codes: " + ", ".join(missing[:20]),
                           codes=missing[:100])
    return [own[c] for c in codes]


@bounded
def propose_bulk(
    *,
    actor,
    kind: str,
    giver: Government,
    items: list[PowerItem],
    effective_on: datetime.date,
    receivers: list[Government] | None = None,
    method: str = "",
    origin: str = Origin.OFFERED,
    reason: str = "",
    receiving_departments: dict[int, Department] | None = None,
    parties: list[Party] | None = None,
    batch: Batch | None = None,
    new_batch: dict | None = None,
    dry_run: bool = False,
) -> BulkResult:
    """Propose ``kind`` for every item (× every receiver): all or nothing. See the module's text.

    ``receiving_departments`` maps a receiver's id to the unit that receives there (派驻机构交办 and the
    like); ``new_batch`` (``title``, ``number``…) opens a draft batch of the giver for them all, on
    ``effective_on``. With ``dry_run``, or when any pair is refused, nothing is written; the result says
    why for each pair."""
    receivers = list(receivers or [])
    items = list(items)
    _check_shape(kind, giver, receivers, items, method, origin, effective_on)
    if kind == TransferKind.DEVOLVE:
        method = method or Method.DIRECT
    if batch is not None and new_batch is not None:
        raise InvalidInput("one_batch", "请选择已有批次或新建批次，不能同时。", "Choose an existing batch or a new one, not both.")
    if batch is not None:
        if effective_on != batch.effective_on:
            raise InvalidInput("date_differs_from_batch", "变更的生效日期必须与批次一致。",
                               "A change takes effect on its batch's date.")
        _check_batch_open(batch)
        policy.require(actor, "batch.edit", batch)
    if new_batch is not None:
        policy.require(actor, "batch.create", Batch(issuer=giver))

    cleaned_parties: list[Party] = []
    result = BulkResult(batch=batch)
    allowed: dict[int | None, DomainError | None] = {}  # per receiver: the policy's answer
    for receiver in receivers or [None]:
        probe = Transfer(kind=kind, item=items[0], giver=giver, receiver=receiver, origin=origin, method=method,
                         effective_on=effective_on, state=TransferState.DRAFT)
        try:
            policy.require(actor, "transfer.propose", probe)
            allowed[receiver.pk if receiver else None] = None
        except DomainError as error:
            allowed[receiver.pk if receiver else None] = error
        if kind == TransferKind.SHARE and not cleaned_parties:
            cleaned_parties = _clean_parties(probe, parties or [])
    departments = receiving_departments or {}
    for item in items:
        for receiver in receivers or [None]:
            pair = BulkPair(item=item, receiver=receiver)
            result.pairs.append(pair)
            transfer = Transfer(
                kind=kind, item=item, giver=giver, receiver=receiver if kind in (TransferKind.DEVOLVE,
                                                                                 TransferKind.RECALL) else None,
                origin=origin, method=method or "", effective_on=effective_on, reason=reason or "", batch=batch,
                receiving_department=departments.get(receiver.pk) if receiver else None,
                state=TransferState.DRAFT, created_by=actor,
            )
            pair.transfer = transfer
            denied = allowed[receiver.pk if receiver else None]
            if denied is not None:
                _refuse(pair, denied)
                continue
            try:
                _check_item_open(item, effective_on)
                if batch is not None:
                    _check_in_batch_territory(transfer, batch)
                if kind == TransferKind.DEVOLVE:
                    check_not_core(item)
                    check_receiving_unit(method, transfer.receiving_department, giver, receiver)
                check_transfer(transfer, parties=cleaned_parties if kind == TransferKind.SHARE else None)
            except DomainError as error:
                _refuse(pair, error)
    if dry_run or result.refused:
        return result
    with transaction.atomic():
        if new_batch is not None:
            result.batch = create_batch(actor=actor, issuer=giver, effective_on=effective_on,
                                        title=new_batch.get("title", ""), number=new_batch.get("number", ""),
                                        issued_on=new_batch.get("issued_on"), reason=reason)
            for pair in result.pairs:
                pair.transfer.batch = result.batch
        _write(result, actor, kind, cleaned_parties)
        result.written = True
    return result


def _write(result: BulkResult, actor, kind: str, parties: list[Party]) -> None:
    from ..models import TransferParty

    transfers = result.transfers
    for start in range(0, len(transfers), CHUNK):
        Transfer.objects.bulk_create(transfers[start:start + CHUNK])
    if any(t.pk is None for t in transfers):  # a database that returns no ids from a bulk insert
        raise RuntimeError("bulk insert returned no ids")
    Through = Transfer.editors.through
    Through.objects.bulk_create([Through(transfer_id=t.pk, user_id=actor.pk) for t in transfers], batch_size=CHUNK)
    party_rows = []
    if kind == TransferKind.SHARE:
        for t in transfers:
            party_rows += [TransferParty(transfer=t, government=p.government, role=p.role, fiscal_share=p.fiscal_share,
                                         department=p.department) for p in parties]
        TransferParty.objects.bulk_create(party_rows, batch_size=CHUNK)
    described = [{"government": p.government.code, "role": p.role, "fiscal_share": p.fiscal_share} for p in parties]
    events = []
    for t in transfers:
        after = snapshot(t)
        if described:
            after["parties"] = described
        events.append(make_event("workflow.propose", t, actor=actor, after=after, reason=t.reason,
                                 government=t.giver, item=t.item, transfer=t, batch=t.batch))
    for start in range(0, len(events), CHUNK):
        record_many(events[start:start + CHUNK])


__all__ = ["BulkPair", "BulkResult", "items_by_code", "propose_bulk"]
