"""Editions of a list (年度动态调整) and 镇区合一 mergers: each step audited, in one transaction.

An edition is drafted by the government's 编办 (an editor), approved by the government and published with
a 文号 (a reviewer who did not draft it), and filed (备案) with the upper level's 编办 (a reviewer there).
Its content is the government's list on its publication date, read from the time-keeping rows: nothing
is copied, so an edition compares with another as two dates do (``queries.editions``).
"""
from __future__ import annotations

import datetime
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import policy
from ..models import Edition, EditionState, Government, Tier, TownZoneMerger
from .audit import record, snapshot
from .errors import Conflict, InvalidInput, RuleViolation

NUMBER = re.compile(r"^[0-9A-Za-z_-]{1,30}$")  # no dot: an address ending in .json is no edition


def _text(value, limit: int, zh: str, en: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("invalid_text", f"{zh}必须是文字。", f"{en} must be text.")
    value = value.strip()
    if required and not value:
        raise InvalidInput("text_required", f"请填写{zh}。", f"{en} is required.")
    if len(value) > limit:
        raise InvalidInput("text_too_long", f"{zh}不能超过{limit}个字符。", f"{en} has at most {limit} characters.")
    return value


def _date(value, zh: str, en: str) -> datetime.date:
    if not isinstance(value, datetime.date):
        raise InvalidInput("date_required", f"请填写{zh}。", f"{en} is required.")
    return value


def _locked(edition: Edition) -> Edition:
    return Edition.objects.select_for_update(of=("self",)).select_related("government", "filed_with").get(
        pk=edition.pk)


def _check_state(edition: Edition, expected: str, zh: str, en: str) -> None:
    if edition.state != expected:
        raise Conflict("edition_state", f"该版本当前为“{edition.get_state_display()}”，不能{zh}。",
                       f"This edition is {edition.state}; it cannot be {en}.", state=edition.state)


def _check_version(edition: Edition, expected_version: int | None) -> None:
    if expected_version is not None and edition.version != expected_version:
        raise Conflict("stale_version", "该版本已被他人修改，请刷新后重试。",
                       "Someone else changed this edition; reload and try again.",
                       expected_version=expected_version, current_version=edition.version)


def draft_edition(
    government: Government, *, number: str, title: str, actor=None, actor_name: str = "", reason: str = "",
) -> Edition:
    """The 编办 drafts a new edition of ``government``'s list."""
    number = _text(number, 30, "版本号", "The edition number", required=True)
    if not NUMBER.match(number):
        raise InvalidInput("invalid_edition_number", "版本号只能由字母、数字、下划线或连字符组成（如 2021）。",
                           "An edition number is letters, digits, underscores or hyphens (e.g. 2021).")
    title = _text(title, 200, "标题", "The title", required=True)
    if actor is not None:
        policy.require(actor, "edition.draft", government)
    edition = Edition(government=government, number=number, title=title,
                      created_by=actor if getattr(actor, "pk", None) else None)
    try:
        with transaction.atomic():
            edition.save()
            record("edition.draft", edition, actor=actor, actor_name=actor_name, after=snapshot(edition),
                   reason=reason, government=government)
    except IntegrityError as exc:
        raise Conflict("edition_exists", f"{government.name}已有版本号为{number}的清单。",
                       f"{government.name} already has an edition numbered {number}.", number=number) from exc
    return edition


def approve_edition(edition: Edition, *, approved_on: datetime.date, actor=None, actor_name: str = "",
                    reason: str = "", expected_version: int | None = None) -> Edition:
    """The government approves the drafted edition (审定)."""
    approved_on = _date(approved_on, "审定日期", "The approval date")
    with transaction.atomic():
        current = _locked(edition)
        if actor is not None:
            policy.require(actor, "edition.approve", current)
        _check_version(current, expected_version)
        _check_state(current, EditionState.DRAFT, "审定", "approved")
        before = snapshot(current)
        current.state, current.approved_on = EditionState.APPROVED, approved_on
        current.approved_by = actor if getattr(actor, "pk", None) else None
        current.version += 1
        current.save()
        record("edition.approve", current, actor=actor, actor_name=actor_name, before=before,
               after=snapshot(current), reason=reason, government=current.government)
    return current


def publish_edition(edition: Edition, *, document_number: str, published_on: datetime.date, actor=None,
                    actor_name: str = "", reason: str = "", expected_version: int | None = None) -> Edition:
    """Publish the approved edition with its 文号: from then on it is the list as of ``published_on``."""
    document_number = _text(document_number, 100, "公布文号", "The document number", required=True)
    published_on = _date(published_on, "公布日期", "The publication date")
    with transaction.atomic():
        current = _locked(edition)
        if actor is not None:
            policy.require(actor, "edition.publish", current)
        _check_version(current, expected_version)
        _check_state(current, EditionState.APPROVED, "公布", "published")
        if published_on < current.approved_on:
            raise RuleViolation("published_before_approved", "公布日期不能早于审定日期。",
                                "An edition cannot be published before it was approved.")
        if published_on > timezone.localdate():
            raise RuleViolation("published_in_future", "公布日期不能晚于今天。", "An edition cannot be published in the future.")
        later = (Edition.objects.filter(government=current.government, published_on__gt=published_on)
                 .exclude(pk=current.pk).values_list("number", flat=True).first())
        if later is not None:
            raise RuleViolation("edition_out_of_order", f"已有更晚公布的版本{later}，新版本的公布日期不能早于它。",
                                f"Edition {later} was published later; a new edition cannot be dated before it.")
        before = snapshot(current)
        current.state, current.document_number, current.published_on = (
            EditionState.PUBLISHED, document_number, published_on)
        current.version += 1
        current.save()
        record("edition.publish", current, actor=actor, actor_name=actor_name, before=before,
               after=snapshot(current), reason=reason, government=current.government)
    return current


def file_edition(edition: Edition, *, filed_with: Government, filed_on: datetime.date, filing_number: str = "",
                 actor=None, actor_name: str = "", reason: str = "",
                 expected_version: int | None = None) -> Edition:
    """Record that the published edition was filed (备案) with the upper level's 编办."""
    filed_on = _date(filed_on, "备案日期", "The filing date")
    filing_number = _text(filing_number, 100, "备案号", "The filing number")
    with transaction.atomic():
        current = _locked(edition)
        _check_version(current, expected_version)
        _check_state(current, EditionState.PUBLISHED, "备案", "filed")
        government = current.government
        if not isinstance(filed_with, Government) or not (
            government.is_within(filed_with) and filed_with.pk != government.pk
        ):
            raise RuleViolation("filed_with_not_upper", "清单只能向上级政府（的编办）备案。",
                                "An edition is filed with an upper government.")
        if filed_on < current.published_on:
            raise RuleViolation("filed_before_published", "备案日期不能早于公布日期。",
                                "An edition cannot be filed before it was published.")
        before = snapshot(current)
        current.filed_with, current.filed_on, current.filing_number = filed_with, filed_on, filing_number
        if actor is not None:
            policy.require(actor, "edition.file", current)
        current.state = EditionState.FILED
        current.version += 1
        current.save()
        record("edition.file", current, actor=actor, actor_name=actor_name, before=before,
               after=snapshot(current), reason=reason, government=government)
    return current


def merge_town_and_zone(
    town: Government, *, zone_name: str, effective_on: datetime.date, document: str = "", actor=None,
    actor_name: str = "", reason: str = "",
) -> TownZoneMerger:
    """Record 镇区合一: ``town`` and the development zone ``zone_name`` become one body with two names.

    The zone's name becomes an alias of the town (searchable); the merger itself is the record."""
    from .governments import update_government

    zone_name = _text(zone_name, 100, "开发区名称", "The zone's name", required=True)
    document = _text(document, 200, "批准文件", "The approving document")
    effective_on = _date(effective_on, "合署日期", "The date of the merger")
    if town.tier != Tier.TOWNSHIP:
        raise RuleViolation("merger_needs_town", "镇区合一是乡镇（街道）与开发区的合署，请选择乡级政府。",
                            "镇区合一 merges a township-tier government with a development zone.",
                            government=town.code)
    if actor is not None:
        policy.require(actor, "list.correct", town)
    try:
        with transaction.atomic():
            merger = TownZoneMerger.objects.create(town=town, zone_name=zone_name, document=document,
                                                   effective_on=effective_on)
            if zone_name not in (town.aliases or []):
                update_government(town, aliases=[*(town.aliases or []), zone_name], actor=actor,
                                  actor_name=actor_name, reason=reason or "镇区合一")
            record("merger.create", merger, actor=actor, actor_name=actor_name, after=snapshot(merger),
                   reason=reason, government=town)
    except IntegrityError as exc:
        raise Conflict("merger_exists", f"{town.name}与{zone_name}的合署已登记。",
                       f"The merger of {town.name} and {zone_name} is already recorded.") from exc
    return merger
