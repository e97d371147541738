import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .choices import BatchState, Decision, Method, Origin, Role, TransferKind, TransferState

SCHEDULED = "scheduled"
SCHEDULED_LABEL = _("待生效")


def shown_state(state: str, effective_on, today: datetime.date | None = None) -> str:
    """``scheduled`` for a decided change (or batch) whose effective date is after ``today``; else ``state``."""
    if state == "effective" and effective_on is not None and effective_on > (today or timezone.localdate()):
        return SCHEDULED
    return state


def state_label(state: str, effective_on, today: datetime.date | None = None, choices=TransferState) -> str:
    """The state's words, with the date for a scheduled one ("待生效（2027-01-01 起）" / "scheduled for …")."""
    if shown_state(state, effective_on, today) == SCHEDULED:
        return gettext("待生效（%(day)s 起）") % {"day": effective_on.isoformat()}
    return str(dict(choices.choices).get(state, state))


def shown_state_q(value: str, today: datetime.date | None = None, prefix: str = "") -> Q:
    """A filter on the shown state: ``scheduled`` and ``effective`` split by the effective date."""
    today = today or timezone.localdate()
    if value == SCHEDULED:
        return Q(**{f"{prefix}state": "effective", f"{prefix}effective_on__gt": today})
    if value == "effective":
        return Q(**{f"{prefix}state": "effective", f"{prefix}effective_on__lte": today})
    return Q(**{f"{prefix}state": value})


class Batch(models.Model):
    """The document that issues a set of transfers together (批次 / 轮)."""

    issuer = models.ForeignKey(
        "powerlists.Government", verbose_name=_("发文政府"), on_delete=models.PROTECT, related_name="batches"
    )
    title = models.CharField(_("文件标题"), max_length=200)
    number = models.CharField(_("文号"), max_length=100, blank=True, help_text=_("如：市政府令第X号"))
    round_no = models.PositiveSmallIntegerField(_("轮次"), null=True, blank=True)
    issued_on = models.DateField(_("印发日期"), null=True, blank=True)
    effective_on = models.DateField(_("生效日期"))
    state = models.CharField(_("状态"), max_length=10, choices=BatchState.choices, default=BatchState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="batches_created",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="batches_decided",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        ordering = ["effective_on", "id"]
        verbose_name = _("批次")
        verbose_name_plural = pgettext_lazy("plural", "批次")
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True) | Q(issued_on__lte=models.F("effective_on")),
                name="batch_issued_before_effective",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}".strip()

    @property
    def shown_state(self) -> str:
        """As :attr:`Transfer.shown_state`: an effective batch whose date has not come is ``scheduled``."""
        return shown_state(self.state, self.effective_on)

    def get_state_display(self) -> str:
        return state_label(self.state, self.effective_on, choices=BatchState)


class Transfer(models.Model):
    """One change of one item between a giver and a receiver: devolve, recall, share, cancel or adjust."""

    batch = models.ForeignKey(
        Batch, verbose_name=_("批次"), null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    item = models.ForeignKey(
        "powerlists.PowerItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="transfers"
    )
    kind = models.CharField(_("变更类型"), max_length=10, choices=TransferKind.choices)
    method = models.CharField(_("下放方式"), max_length=20, choices=Method.choices, blank=True)
    origin = models.CharField(_("来源"), max_length=12, choices=Origin.choices, default=Origin.OFFERED)
    giver = models.ForeignKey(
        "powerlists.Government", verbose_name=_("放出方"), on_delete=models.PROTECT, related_name="transfers_given"
    )
    receiver = models.ForeignKey(
        "powerlists.Government", verbose_name=_("承接方"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="transfers_received",
    )
    receiving_department = models.ForeignKey(
        "powerlists.Department", verbose_name=_("承接单位"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="transfers_received",
    )
    staff_posts = models.PositiveIntegerField(_("划转编制数"), default=0)
    reason = models.TextField(_("理由"), blank=True)
    changes = models.JSONField(_("调整内容"), default=dict, blank=True)
    result_item = models.ForeignKey(
        "powerlists.PowerItem", verbose_name=_("调整后事项"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="adjusted_from_transfers",
    )
    effective_on = models.DateField(_("生效日期"))
    state = models.CharField(_("状态"), max_length=10, choices=TransferState.choices, default=TransferState.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="transfers_created",
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("编辑过的人"), blank=True, related_name="transfers_edited",
        help_text=_("创建或修改过该变更的人：他们不能审批它（审核与经办分离）"),
    )
    giver_decision = models.CharField(_("放出方意见"), max_length=10, choices=Decision.choices, blank=True)
    giver_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("放出方审核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="transfers_decided_as_giver",
    )
    giver_decided_at = models.DateTimeField(_("放出方审核时间"), null=True, blank=True)
    receiver_decision = models.CharField(_("承接方意见"), max_length=10, choices=Decision.choices, blank=True)
    receiver_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承接方审核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="transfers_decided_as_receiver",
    )
    receiver_decided_at = models.DateTimeField(_("承接方审核时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审核意见"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        ordering = ["-effective_on", "-id"]
        verbose_name = _("变更")
        verbose_name_plural = pgettext_lazy("plural", "变更")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="devolve") | Q(receiver__isnull=False), name="transfer_devolve_has_receiver"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["cancel", "adjust", "share"]) | Q(receiver__isnull=True),
                name="transfer_receiver_only_when_needed",
            ),
        ]
        indexes = [
            models.Index(fields=["giver", "state"], name="transfer_giver_state"),
            models.Index(fields=["receiver", "state"], name="transfer_receiver_state"),
            models.Index(fields=["item", "effective_on"], name="transfer_item_date"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.item_id} {self.giver_id}→{self.receiver_id or '-'} {self.effective_on}"

    @property
    def shown_state(self) -> str:
        """The state as it is true today: a transfer decided in full whose date has not come is ``scheduled``
        (待生效), not yet in force; it becomes ``effective`` on its date (its rows start then)."""
        return shown_state(self.state, self.effective_on)

    def get_state_display(self) -> str:
        return state_label(self.state, self.effective_on)


class TransferParty(models.Model):
    """A party of a shared arrangement (共有事权): lead or support, with its fiscal share."""

    transfer = models.ForeignKey(Transfer, verbose_name=_("变更"), on_delete=models.PROTECT, related_name="parties")
    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("政府"), on_delete=models.PROTECT, related_name="share_parties"
    )
    role = models.CharField(_("责任"), max_length=10, choices=[(Role.LEAD, Role.LEAD.label), (Role.SUPPORT, Role.SUPPORT.label)])
    fiscal_share = models.DecimalField(_("财权分配占比（%）"), max_digits=5, decimal_places=2)
    department = models.ForeignKey(
        "powerlists.Department", verbose_name=_("实施部门"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="share_parties",
    )
    decision = models.CharField(_("该方意见"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("该方审核人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="share_parties_decided",
    )
    decided_at = models.DateTimeField(_("该方审核时间"), null=True, blank=True)

    class Meta:
        ordering = ["transfer_id", "role", "id"]
        verbose_name = _("共有方")
        verbose_name_plural = pgettext_lazy("plural", "共有方")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "government"], name="party_unique_government"),
            models.CheckConstraint(
                condition=Q(fiscal_share__gte=0, fiscal_share__lte=100), name="party_fiscal_share_range"
            ),
        ]

    def __str__(self):
        return f"{self.government_id} {self.get_role_display()} {self.fiscal_share}%"
