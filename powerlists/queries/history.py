"""Audit events in words, in Chinese and English: "哈尔滨市编办审核人 批准了 下放：建设用地规划许可（哈尔滨市 → 道里区）".

The history pages and the API show what happened, not the internal codes (``workflow.propose``,
``transfer.devolve``, ``draft → submitted``). :func:`describe` needs the event's actor, transfer (with its
item, giver and receiver), item and batch loaded: :func:`with_subjects` selects them in the same query.
"""
from __future__ import annotations

from django.utils import translation

from ..models import AuditEvent, TransferKind, TransferState

# action → (Chinese verb phrase, English verb phrase)
VERBS: dict[str, tuple[str, str]] = {
    "workflow.propose": ("提出了", "proposed"),
    "workflow.edit": ("修改了提议", "edited the proposal"),
    "workflow.submit": ("提交审核", "submitted for review"),
    "workflow.approve": ("批准了", "approved"),
    "workflow.accept": ("确认承接", "accepted"),
    "workflow.reject": ("驳回了", "rejected"),
    "workflow.return": ("退回修改", "returned for changes"),
    "workflow.withdraw": ("撤回了", "withdrew"),
    "workflow.add_to_batch": ("加入批次", "added to a batch"),
    "transfer.devolve": ("实施了", "carried out"),
    "transfer.recall": ("实施了", "carried out"),
    "transfer.share": ("实施了", "carried out"),
    "transfer.cancel": ("实施了", "carried out"),
    "transfer.adjust": ("实施了", "carried out"),
    "item.create": ("新增事项", "added the item"),
    "item.update": ("修改事项", "edited the item"),
    "item.core_lifted": ("取消核心事权标记", "lifted the core mark"),
    "item.law_revision": ("按法律修订调整最低实施层级", "applied a law revision"),
    "items.import": ("导入事项", "imported items"),
    "exercise.open": ("列入清单", "listed"),
    "batch.create": ("新建批次", "opened the batch"),
    "batch.approve": ("批准批次", "approved the batch"),
    "batch.reject": ("驳回批次", "rejected the batch"),
    "batch.effect": ("批次生效", "batch in force"),
    "edition.draft": ("起草清单版本", "drafted the edition"),
    "edition.approve": ("审定清单版本", "approved the edition"),
    "edition.publish": ("公布清单版本", "published the edition"),
    "edition.file": ("备案清单版本", "filed the edition"),
    "law.create": ("登记法律法规", "registered the law"),
    "merger.create": ("记录镇区合一", "recorded the town–zone merger"),
    "import.mapping": ("保存导入列对应", "saved an import column mapping"),
    "department.create": ("新增部门", "added the department"),
    "department.update": ("修改部门", "edited the department"),
    "division.create": ("新增处室", "added the division"),
    "division.update": ("修改处室", "edited the division"),
    "government.create": ("新增政府", "added the government"),
    "government.update": ("修改政府", "edited the government"),
}


def with_subjects(events):
    """``events`` with what :func:`describe` reads, in the same query."""
    return events.select_related("actor", "transfer__item", "transfer__giver", "transfer__receiver", "item", "batch")


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _state_label(state: str) -> str:
    if state in TransferState.values:
        return str(TransferState(state).label)
    return state


def actor_label(event: AuditEvent) -> str:
    if event.actor_id and event.actor is not None:
        return getattr(event.actor, "display_name", "") or event.actor.get_username()
    if event.actor_name and event.actor_name != "system":
        return event.actor_name
    return "System" if _english() else "系统"


def _subject(event: AuditEvent) -> str:
    t = event.transfer
    if t is not None:
        kind = str(TransferKind(t.kind).label) if t.kind in TransferKind.values else t.kind
        route = t.giver.name + (f" → {t.receiver.name}" if t.receiver_id else "")
        return f"{kind}：{t.item.name}（{route}）" if not _english() else f"{kind}: {t.item.name} ({route})"
    if event.item_id and event.item is not None:
        return f"{event.item.code} {event.item.name}"
    if event.batch_id and event.batch is not None:
        return f"{event.batch.number} {event.batch.title}".strip()
    after = event.after if isinstance(event.after, dict) else {}
    for key in ("title", "name", "number"):
        if after.get(key):
            return str(after[key])
    return ""


def describe(event: AuditEvent, *, with_actor: bool = True) -> str:
    """One sentence for an event, in the active language (Chinese, or English on English pages).
    ``with_actor=False`` leaves out who acted (for anonymous readers)."""
    zh, en = VERBS.get(event.action, (event.action, event.action))
    verb = en if _english() else zh
    text = f"{actor_label(event)} {verb}" if with_actor else (verb[:1].upper() + verb[1:] if _english() else verb)
    subject = _subject(event)
    if subject:
        text += (" " if _english() else " ") + subject
    before = (event.before or {}).get("state") if isinstance(event.before, dict) else None
    after = (event.after or {}).get("state") if isinstance(event.after, dict) else None
    if before and after and before != after and not event.action.startswith("transfer."):
        text += f"（{_state_label(before)} → {_state_label(after)}）" if not _english() else \
            f" ({_state_label(before)} → {_state_label(after)})"
    return text


__all__ = ["VERBS", "actor_label", "describe", "with_subjects"]
