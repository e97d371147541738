from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Method, Role


class ExerciseQuerySet(models.QuerySet):
    def in_force(self, day):
        """Rows in force on ``day``: ``valid_from <= day < valid_to`` (an open row has no end)."""
        return self.filter(in_force_q(day))


def in_force_q(day, prefix: str = "") -> Q:
    """The one definition of "in force on a day", usable across relations via ``prefix``."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gt": day})
    )


class Exercise(models.Model):
    """Which government exercises which item, in which role, from when to when.

    Rows are never updated except to close an open row (set ``valid_to`` once) and never deleted: a
    change closes rows and opens new ones, so a list on any past date stays as it was.
    """

    item = models.ForeignKey(
        "powerlists.PowerItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="exercises"
    )
    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("行使政府"), on_delete=models.PROTECT, related_name="exercises"
    )
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)
    department = models.ForeignKey(
        "powerlists.Department", verbose_name=_("实施部门/承接单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="exercises",
    )
    division = models.ForeignKey(
        "powerlists.Division", verbose_name=_("承办处室"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="exercises",
    )
    method = models.CharField(_("下放方式"), max_length=20, choices=Method.choices, blank=True)
    fiscal_share = models.DecimalField(
        _("财权分配占比（%）"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    source = models.ForeignKey(
        "self", verbose_name=_("来源"), null=True, blank=True, on_delete=models.PROTECT, related_name="derived",
        help_text=_("承接或共有所来自的上级行使记录"),
    )
    shared_by = models.ForeignKey(
        "powerlists.Government", verbose_name=_("共有设立方"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="shared_exercises", help_text=_("共有事权：设立共有安排的政府"),
    )
    transfer = models.ForeignKey(
        "powerlists.Transfer", verbose_name=_("产生该记录的变更"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="opened_exercises",
    )
    closed_by = models.ForeignKey(
        "powerlists.Transfer", verbose_name=_("结束该记录的变更"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="closed_exercises",
    )
    implementing_code = models.CharField(
        _("实施编码"), max_length=36, blank=True,
        help_text=_("实施主体的统一社会信用代码＋层级代码＋基本编码；空则由部门和事项推算"),
    )
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("终止日期"), null=True, blank=True, help_text=_("空表示仍在行使"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("行使记录")
        verbose_name_plural = pgettext_lazy("plural", "行使记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="exercise_valid_range",
            ),
            models.CheckConstraint(
                condition=Q(fiscal_share__isnull=True) | Q(fiscal_share__gte=0, fiscal_share__lte=100),
                name="exercise_fiscal_share_range",
            ),
            models.CheckConstraint(
                condition=(Q(role__in=["lead", "support"]) & Q(fiscal_share__isnull=False))
                | (Q(role__in=["holder", "receiver"]) & Q(fiscal_share__isnull=True)),
                name="exercise_share_only_when_shared",
            ),
            models.CheckConstraint(
                condition=~Q(role="receiver") | Q(source__isnull=False),
                name="exercise_receiver_has_source",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["holder", "receiver"]) | Q(shared_by__isnull=False),
                name="exercise_shared_has_sharer",
            ),
            models.CheckConstraint(
                condition=Q(closed_by__isnull=True) | Q(valid_to__isnull=False),
                name="exercise_closed_by_needs_end",
            ),
            # Never two open rows for one item in one government. PostgreSQL also has an exclusion
            # constraint on overlapping date ranges (migration 0002).
            models.UniqueConstraint(
                fields=["item", "government"], condition=Q(valid_to__isnull=True), name="exercise_one_open_per_item"
            ),
        ]
        indexes = [
            models.Index(fields=["government", "valid_from"], name="exercise_gov_from"),
            models.Index(fields=["item", "government"], name="exercise_item_gov"),
            models.Index(fields=["valid_to"], name="exercise_valid_to"),
        ]

    def __str__(self):
        return f"{self.government_id}:{self.item_id}:{self.role} [{self.valid_from}, {self.valid_to or '…'})"

    def is_in_force(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to > day)
