"""Evaluation of devolved powers (评估): Hubei's four categories, from evidence, confirmed by people.

Evidence is recorded per item, receiving government and period; a round computes a suggested
category for every (item, government) pair in its scope with the thresholds in ``rules``; a
reviewer confirms or overrides each suggestion; decided results generate follow-up proposals.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_RULES = {
    "min_cases": 10,  # 可推广: at least this many cases handled in the period
    "min_satisfaction": 80,  # percent; below it → 运行不良, at or above it (with the rest) → 可推广
    "max_days_ratio": 1.0,  # average days above ratio × statutory days → 运行不良
    "compare_before": True,  # average days above the item's promised days before devolution → 运行不良
    "not_yet_overdue_days": 90,  # approved/accepted devolution not effective this long before period end
    "requested_undecided_days": 60,  # requested (点菜) devolution still undecided this long after creation
}


def default_rules():
    return dict(DEFAULT_RULES)


class Capacity(models.TextChoices):
    ADEQUATE = "adequate", _("具备承接能力")
    NO_QUALIFIED_STAFF = "no_qualified_staff", _("无具备资格的人员")
    NO_LEGAL_STANDING = "no_legal_standing", _("不具备执法主体资格")
    UNKNOWN = "unknown", _("不详")


class EvaluationCategory(models.TextChoices):
    PROMOTABLE = "promotable", _("可推广")
    SHOULD_NOT = "should_not", _("不应放")
    NOT_YET = "not_yet", _("应放未放")
    POOR = "poor", _("运行不良")


class RoundState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    EVALUATED = "evaluated", _("已评估")
    CONFIRMED = "confirmed", _("已确认")


class Evidence(models.Model):
    """What is known of one devolved item in one receiving government over one period."""

    item = models.ForeignKey("powerlists.PowerItem", verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="evidence")
    government = models.ForeignKey("powerlists.Government", verbose_name=_("承接政府"), on_delete=models.PROTECT,
                                   related_name="evidence")
    period_start = models.DateField(_("统计起始日期"))
    period_end = models.DateField(_("统计截止日期"))
    cases_handled = models.PositiveIntegerField(_("办件量"), default=0)
    average_days = models.DecimalField(_("平均办理时间（工作日）"), max_digits=8, decimal_places=2, null=True,
                                       blank=True)
    statutory_days = models.PositiveIntegerField(_("法定时限（工作日）"), null=True, blank=True)
    satisfaction = models.DecimalField(_("满意度（%）"), max_digits=5, decimal_places=2, null=True, blank=True)
    complaints = models.PositiveIntegerField(_("投诉数"), default=0)
    receiving_unit_named = models.BooleanField(_("已明确承接单位"), default=True)
    staffed = models.BooleanField(_("已配备人员"), default=True)
    capacity = models.CharField(_("承接能力"), max_length=20, choices=Capacity.choices, default=Capacity.UNKNOWN)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["government_id", "item_id", "period_start"]
        verbose_name = _("评估依据")
        verbose_name_plural = pgettext_lazy("plural", "评估依据")
        constraints = [
            models.UniqueConstraint(fields=["item", "government", "period_start", "period_end"],
                                    name="evidence_unique_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="evidence_period"),
            models.CheckConstraint(condition=Q(cases_handled__gte=0), name="evidence_cases_range"),
            models.CheckConstraint(condition=Q(complaints__gte=0), name="evidence_complaints_range"),
            models.CheckConstraint(condition=Q(average_days__isnull=True) | Q(average_days__gte=0),
                                   name="evidence_days_range"),
            models.CheckConstraint(condition=Q(statutory_days__isnull=True) | Q(statutory_days__gte=0),
                                   name="evidence_statutory_range"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=0, satisfaction__lte=100),
                name="evidence_satisfaction_range"),
            models.CheckConstraint(condition=Q(capacity__in=Capacity.values), name="evidence_capacity_valid"),
        ]
        indexes = [models.Index(fields=["government", "period_start"], name="evidence_gov_period")]

    def __str__(self):
        return f"{self.government_id}:{self.item_id} [{self.period_start}, {self.period_end}]"


class EvaluationRound(models.Model):
    """One evaluation of the devolved powers in a territory (a government's subtree) and/or a tag."""

    name = models.CharField(_("名称"), max_length=200)
    scope_government = models.ForeignKey("powerlists.Government", verbose_name=_("评估范围（辖区）"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="evaluation_rounds")
    scope_tag = models.SlugField(_("评估范围（标签）"), max_length=50, blank=True)
    period_start = models.DateField(_("评估期起始"))
    period_end = models.DateField(_("评估期截止"))
    rules = models.JSONField(_("评估规则"), default=default_rules)
    state = models.CharField(_("状态"), max_length=10, choices=RoundState.choices, default=RoundState.DRAFT)
    summary = models.JSONField(_("评估汇总"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="evaluation_rounds_created")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    evaluated_at = models.DateTimeField(_("评估时间"), null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-id"]
        verbose_name = _("评估轮次")
        verbose_name_plural = pgettext_lazy("plural", "评估轮次")
        constraints = [
            models.CheckConstraint(condition=Q(scope_government__isnull=False) | ~Q(scope_tag=""),
                                   name="round_has_scope"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="round_period"),
            models.CheckConstraint(condition=Q(state__in=RoundState.values), name="round_state_valid"),
        ]

    def __str__(self):
        return self.name

    def rule(self, name):
        """A threshold of this round (falling back to the default for one the round does not set)."""
        return (self.rules or {}).get(name, DEFAULT_RULES[name])


class EvaluationResult(models.Model):
    """The suggested category of one (item, government) pair in a round, and the people's decision."""

    # Few indexes on purpose: a round writes its results in bulk. The unique (round, item, government)
    # index answers every lookup by round; rows are never looked up from an exercise or a transfer.
    round = models.ForeignKey(EvaluationRound, verbose_name=_("评估轮次"), on_delete=models.CASCADE,
                              related_name="results", db_index=False)
    item = models.ForeignKey("powerlists.PowerItem", verbose_name=_("事项"), on_delete=models.PROTECT,
                             related_name="evaluation_results")
    government = models.ForeignKey("powerlists.Government", verbose_name=_("承接政府"), on_delete=models.PROTECT,
                                   related_name="evaluation_results")
    exercise = models.ForeignKey("powerlists.Exercise", verbose_name=_("行使记录"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="evaluation_results", db_index=False)
    transfer = models.ForeignKey("powerlists.Transfer", verbose_name=_("相关变更"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="evaluation_results", db_index=False)
    suggested = models.CharField(_("评估建议"), max_length=12, choices=EvaluationCategory.choices)
    rule = models.CharField(_("依据规则"), max_length=50)
    figures = models.JSONField(_("依据数据"), default=dict, blank=True)
    decision = models.CharField(_("确认结果"), max_length=12, choices=EvaluationCategory.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="evaluation_results_decided",
                                   db_index=False)
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    decision_reason = models.TextField(_("确认意见"), blank=True)
    follow_up_transfer = models.ForeignKey("powerlists.Transfer", verbose_name=_("后续变更"), null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="evaluation_follow_ups",
                                           db_index=False)
    follow_up_note = models.TextField(_("后续处理说明"), blank=True)

    class Meta:
        ordering = ["round_id", "government_id", "item_id"]
        verbose_name = _("评估结果")
        verbose_name_plural = pgettext_lazy("plural", "评估结果")
        constraints = [
            models.UniqueConstraint(fields=["round", "item", "government"], name="result_unique_pair"),
            models.CheckConstraint(condition=Q(suggested__in=EvaluationCategory.values), name="result_suggested_valid"),
            models.CheckConstraint(condition=Q(decision="") | Q(decision__in=EvaluationCategory.values),
                                   name="result_decision_valid"),
            models.CheckConstraint(condition=Q(decision="") | Q(decided_at__isnull=False),
                                   name="result_decision_dated"),
        ]

    def __str__(self):
        return f"{self.round_id}:{self.government_id}:{self.item_id} {self.suggested}/{self.decision or '-'}"

    @property
    def category(self) -> str:
        """The decided category, else the suggested one."""
        return self.decision or self.suggested

    @category.setter
    def category(self, value) -> None:
        """Queries annotate the same value (queries.evaluation.category_expression); it is derived, not kept."""
