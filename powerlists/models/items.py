import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import Category, DaysUnit, Initiation, Tier


class PowerItem(models.Model):
    """One administrative power or public service (权力事项), as defined in one government's catalogue.

    ``government`` is the government whose catalogue defines the item (its original holder). Who
    exercises it on a date is kept in :class:`Exercise` rows, not here. A cancelled item keeps its row;
    an adjusted item is ``replaced_by`` the adjusted version from the adjustment's date.
    """

    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("所属政府"), on_delete=models.PROTECT, related_name="items"
    )
    department = models.ForeignKey(
        "powerlists.Department",
        verbose_name=_("实施部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    division = models.ForeignKey(
        "powerlists.Division",
        verbose_name=_("承办处室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    code = models.CharField(_("事项编码"), max_length=50)
    name = models.CharField(_("事项名称"), max_length=200)
    category = models.CharField(_("权力类别"), max_length=20, choices=Category.choices)
    field = models.CharField(_("领域"), max_length=50, blank=True)
    basic_code = models.CharField(
        _("基本编码"), max_length=12, blank=True,
        help_text=_("12位：区划（或00）、事项类型、部门、主项、子项"),
    )
    initiation = models.CharField(_("行使方式（依申请/依职权）"), max_length=20, choices=Initiation.choices, blank=True)
    legal_basis = models.TextField(_("依据（原文）"), blank=True)
    statutory_days = models.PositiveIntegerField(_("法定时限（工作日）"), null=True, blank=True)
    promised_days = models.PositiveIntegerField(_("承诺时限（工作日）"), null=True, blank=True)
    days_unit = models.CharField(_("时限单位"), max_length=10, choices=DaysUnit.choices, default=DaysUnit.WORKING)
    levels = models.JSONField(
        _("行使层级"), default=list, blank=True,
        help_text=_("国家标准层级代码：1 国家、2 省、3 市、4 县、5 乡镇（街道）、6 村（社区）"),
    )
    processing_steps = models.JSONField(
        _("多级办理"), default=list, blank=True, help_text=_("各层级的初审、审核、决定、备案"),
    )
    fee_basis = models.TextField(_("收费依据及标准"), blank=True)
    service_object = models.CharField(_("服务对象"), max_length=200, blank=True)
    supervision = models.TextField(_("监督方式"), blank=True)
    supervision_phone = models.CharField(_("监督电话"), max_length=50, blank=True)
    responsibilities = models.JSONField(_("责任事项"), default=list, blank=True)
    accountability = models.JSONField(_("追责情形"), default=list, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("所属主项"), null=True, blank=True, on_delete=models.PROTECT, related_name="sub_items"
    )
    lowest_tier = models.PositiveSmallIntegerField(
        _("法定最低实施层级"), choices=Tier.choices, default=Tier.VILLAGE,
        help_text=_("法律允许行使该事项的最低层级；不得下放到更低层级"),
    )
    is_core = models.BooleanField(_("核心事权（上级统筹）"), default=False)
    cancelled_on = models.DateField(_("取消日期"), null=True, blank=True, editable=False)
    replaced_by = models.ForeignKey(
        "self", verbose_name=_("调整后事项"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="replaces", editable=False,
    )
    replaced_on = models.DateField(_("调整日期"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["government_id", "code"]
        verbose_name = _("权力事项")
        verbose_name_plural = pgettext_lazy("plural", "权力事项")
        constraints = [
            # A code names one current item per catalogue; an adjusted item's old version keeps its code.
            models.UniqueConstraint(
                fields=["government", "code"],
                condition=models.Q(replaced_on__isnull=True),
                name="item_unique_current_code",
            ),
            models.CheckConstraint(
                condition=models.Q(lowest_tier__gte=1, lowest_tier__lte=5), name="item_lowest_tier_range"
            ),
            models.CheckConstraint(
                condition=models.Q(promised_days__isnull=True)
                | models.Q(statutory_days__isnull=True)
                | models.Q(promised_days__lte=models.F("statutory_days")),
                name="item_promised_within_statutory",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="item_name_not_empty"),
            models.CheckConstraint(condition=~models.Q(code=""), name="item_code_not_empty"),
        ]
        indexes = [
            models.Index(fields=["basic_code"], name="item_basic_code"),
            models.Index(fields=["category"], name="item_category"),
            models.Index(fields=["field"], name="item_field"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def status_on(self, day: datetime.date | None = None) -> str:
        """``active``, ``cancelled`` or ``replaced`` on ``day`` (default today)."""
        day = day or timezone.localdate()
        if self.cancelled_on and self.cancelled_on <= day:
            return "cancelled"
        if self.replaced_on and self.replaced_on <= day:
            return "replaced"
        return "active"

    @property
    def status(self) -> str:
        return self.status_on()
