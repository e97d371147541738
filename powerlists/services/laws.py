"""Laws and their versions, and what a change of the law does to items: each change audited.

A law is registered once per version (``version_date``); items cite it through their legal bases
(:func:`services.items.create_item` / ``update_item`` with ``bases``).

``apply_law_revision`` is the one way to raise an item's lowest tier while governments below it still
exercise the item: the law changed, and the list must follow. It records which governments the law
now places below the item's lowest tier; the evaluation's tier rule (不应放) finds them, and their
recall goes through the ordinary workflow.
"""
from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from .. import policy
from ..models import Exercise, Law, LawKind, PowerItem, Tier
from .audit import record, snapshot
from .errors import Conflict, InvalidInput, RuleViolation
from .items import _write_bases, bases_snapshot, clean_bases, current_bases

KINDS = frozenset(LawKind.values)


def create_law(
    *,
    name: str,
    kind: str,
    version_date: datetime.date,
    document: str = "",
    effective_on: datetime.date | None = None,
    actor=None,
    actor_name: str = "",
    reason: str = "",
) -> Law:
    """Register one version of a law, regulation, rules or normative document."""
    name = (name or "").strip().strip("《》")
    document = (document or "").strip()
    if not name:
        raise InvalidInput("name_required", "请填写法律法规的名称。", "The law's name is required.")
    if len(name) > 200 or len(document) > 200:
        raise InvalidInput("law_text_too_long", "名称和发布文号各不能超过200个字符。",
                           "The name and the issuing document have at most 200 characters each.")
    if kind not in KINDS:
        raise InvalidInput("invalid_law_kind", "效力层级应为法律、行政法规、地方性法规、规章或规范性文件。",
                           "The kind is a law, administrative regulation, local regulation, rules or normative "
                           "document.", kind=str(kind)[:40])
    if not isinstance(version_date, datetime.date):
        raise InvalidInput("date_required", "请填写现行版本的日期。", "The date of the version in force is required.")
    if effective_on is not None and effective_on < version_date:
        raise InvalidInput("effective_before_version", "施行日期不能早于通过或修订日期。",
                           "A version cannot take effect before it was adopted.")
    if actor is not None:
        policy.require(actor, "law.register", None)
    law = Law(name=name, kind=kind, document=document, version_date=version_date, effective_on=effective_on)
    try:
        with transaction.atomic():
            law.save()
            record("law.create", law, actor=actor, actor_name=actor_name, after=snapshot(law), reason=reason)
    except IntegrityError as exc:
        raise Conflict("law_exists", f"《{name}》{version_date}的版本已登记。",
                       f"{name} of {version_date} is already registered.", name=name) from exc
    return law


def apply_law_revision(
    item: PowerItem,
    *,
    lowest_tier: int,
    effective_on: datetime.date,
    reason: str,
    bases=None,
    actor=None,
    actor_name: str = "",
) -> PowerItem:
    """The law changed: raise ``item``'s lowest tier (and cite the revised law in ``bases``).

    Governments below the new lowest tier that exercise the item keep their rows (they are facts until
    recalled); the audit event names them, and the evaluation's tier rule finds them."""
    if lowest_tier not in Tier.values:
        raise InvalidInput("invalid_tier", "法定最低实施层级无效。", "Unknown lowest tier.")
    if not (reason or "").strip():
        raise InvalidInput("reason_required", "请说明法律的修改（如修订后的条款）。",
                           "Say how the law changed (e.g. the revised article).")
    new_bases = clean_bases(bases) if bases is not None else None
    with transaction.atomic():
        current = PowerItem.objects.select_for_update(of=("self",)).select_related("government").get(pk=item.pk)
        if actor is not None:
            policy.require(actor, "list.correct", current.government)
        if current.cancelled_on or current.replaced_on:
            raise Conflict("item_closed", "已取消或已调整的事项不能再修改。",
                           "A cancelled or adjusted item cannot be edited.")
        if lowest_tier >= current.lowest_tier:
            raise RuleViolation("revision_does_not_raise", "法律修改只用于提高法定最低实施层级；放宽层级请直接修改事项。",
                                "A law revision here raises the lowest tier; to lower it, edit the item.",
                                lowest_tier=current.lowest_tier)
        for basis in new_bases or []:
            if basis["law"].version_date > effective_on:
                raise RuleViolation("law_postdates_revision", "所引用的法律版本晚于修改的生效日期。",
                                    "The cited version of the law is later than the revision's date.")
        before = snapshot(current)
        below = list(
            Exercise.objects.filter(item=current, government__tier__gt=lowest_tier)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=effective_on))
            .values_list("government__code", "government__name")
        )
        current.lowest_tier = lowest_tier
        current.levels = [level for level in current.levels if level <= lowest_tier + 1]
        current.version += 1
        current.save()
        after = snapshot(current)
        if new_bases is not None:
            before["bases"] = bases_snapshot(current_bases(current))
            after["bases"] = _write_bases(current, new_bases)
        after["effective_on"] = effective_on.isoformat()
        after["below_lowest_tier"] = [{"code": code, "name": name} for code, name in below]
        record("item.law_revision", current, actor=actor, actor_name=actor_name, before=before, after=after,
               reason=reason, government=current.government, item=current)
    return current
