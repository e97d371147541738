"""The power-list domain model. See shared/design.md: time is kept in Exercise rows."""
from .audit import AuditEvent
from .choices import (
    Arrangement,
    AssessmentType,
    BasisRole,
    BatchState,
    Category,
    DaysUnit,
    Decision,
    DepartmentKind,
    EditionState,
    Initiation,
    LawKind,
    Method,
    Origin,
    ProcessingStep,
    Role,
    Tier,
    TransferKind,
    TransferState,
)
from .editions import Edition, TownZoneMerger
from .evaluation import (
    DEFAULT_RULES,
    Capacity,
    EvaluationCategory,
    EvaluationResult,
    EvaluationRound,
    Evidence,
    RoundState,
)
from .exercises import Exercise, in_force_q
from .governments import Department, Division, Government, Tag
from .idempotency import IdempotencyRecord
from .imports import ImportMapping
from .items import PowerItem
from .laws import Law, LegalBasis
from .transfers import Batch, Transfer, TransferParty

__all__ = [
    "DEFAULT_RULES", "Arrangement", "AssessmentType", "AuditEvent", "Capacity", "EvaluationCategory",
    "EvaluationResult", "EvaluationRound", "Evidence", "RoundState", "Batch", "BatchState", "Category", "Decision", "Department",
    "DepartmentKind", "Division", "Exercise", "Government", "IdempotencyRecord", "Method", "Origin", "PowerItem", "Role", "Tag",
    "Tier", "Transfer", "TransferKind", "TransferParty", "TransferState", "in_force_q",
    "BasisRole", "DaysUnit", "Edition", "EditionState", "Initiation", "Law", "LawKind", "LegalBasis",
    "ProcessingStep", "TownZoneMerger", "ImportMapping",
]
