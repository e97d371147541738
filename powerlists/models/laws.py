from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import BasisRole, LawKind

MAX_ARTICLE_TEXT = 20_000


class Law(models.Model):
    """A law, regulation, rules or normative document in one version (法律法规, with the version in force).

    The same law revised is a new row (a new ``version_date``): an item cites the version in force when
    it was set, and a legal basis never names a version later than the item it sets.
    """

    name = models.CharField(_("名称"), max_length=200, help_text=_("不含书名号，如：中华人民共和国行政许可法"))
    kind = models.CharField(_("效力层级"), max_length=30, choices=LawKind.choices)
    document = models.CharField(_("发布文号"), max_length=200, blank=True, help_text=_("如：中华人民共和国主席令第七号"))
    version_date = models.DateField(_("现行版本日期"), help_text=_("通过或最近一次修订（修正）的日期"))
    effective_on = models.DateField(_("施行日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["name", "version_date"]
        verbose_name = _("法律法规")
        verbose_name_plural = pgettext_lazy("plural", "法律法规")
        constraints = [
            models.UniqueConstraint(fields=["name", "version_date"], name="law_unique_version"),
            models.CheckConstraint(condition=~models.Q(name=""), name="law_name_not_empty"),
        ]

    def __str__(self):
        return f"《{self.name}》（{self.version_date.isoformat()}）"


class LegalBasis(models.Model):
    """One article of one law that sets (设定依据) or implements (实施依据) an item."""

    item = models.ForeignKey(
        "powerlists.PowerItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="bases"
    )
    role = models.CharField(_("依据类型"), max_length=20, choices=BasisRole.choices)
    law = models.ForeignKey(Law, verbose_name=_("法律法规"), on_delete=models.PROTECT, related_name="bases")
    article = models.CharField(_("条款"), max_length=100, blank=True, help_text=_("如：第二十九条第一款"))
    text = models.TextField(_("条款内容"), blank=True)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        ordering = ["item_id", "role", "position", "id"]
        verbose_name = _("法律依据")
        verbose_name_plural = pgettext_lazy("plural", "法律依据")
        indexes = [models.Index(fields=["item", "role", "position"], name="basis_item_role")]

    def __str__(self):
        return f"{self.law.name} {self.article}".strip()
