"""The single write path: every change to list data goes through these functions.

Each validates its input, writes in one transaction and records an AuditEvent in that transaction;
on refusal it raises a DomainError and nothing is written.
"""
from . import workflow
from .batches import create_batch, staff_posts_moved
from .editions import approve_edition, draft_edition, file_edition, merge_town_and_zone, publish_edition
from .errors import Conflict, DomainError, Forbidden, InvalidInput, RuleViolation, TransferError
from .governments import (
    create_department,
    create_division,
    create_government,
    update_department,
    update_division,
    update_government,
)
from .items import create_item, establish_holding, update_item
from .laws import apply_law_revision, create_law
from .transfers import Party, adjust, apply_transfer, cancel, check_transfer, devolve, recall, share

__all__ = [
    "Conflict", "DomainError", "Forbidden", "InvalidInput", "Party", "RuleViolation", "TransferError", "adjust",
    "apply_transfer", "cancel", "check_transfer", "create_batch", "create_department", "create_division",
    "create_government", "create_item", "devolve", "establish_holding", "recall", "share", "staff_posts_moved", "update_department",
    "update_division", "update_government", "update_item", "workflow",
    "apply_law_revision", "approve_edition", "create_law", "draft_edition", "file_edition", "merge_town_and_zone",
    "publish_edition",
]
