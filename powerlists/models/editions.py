from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import EditionState


class Edition(models.Model):
    """A republished list (年度动态调整): drafted by the 编办, approved by the government, published with a
    文号, filed (备案) with the upper level's 编办.

    An edition holds no copy of the list: its content is the government's list as of ``published_on``,
    read from the time-keeping rows, so two editions compare as two dates do.
    """

    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("政府"), on_delete=models.PROTECT, related_name="editions"
    )
    number = models.CharField(_("版本号"), max_length=30, help_text=_("如：2021"))
    title = models.CharField(_("标题"), max_length=200)
    state = models.CharField(_("状态"), max_length=10, choices=EditionState.choices, default=EditionState.DRAFT)
    document_number = models.CharField(_("公布文号"), max_length=100, blank=True)
    approved_on = models.DateField(_("审定日期"), null=True, blank=True)
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    filed_with = models.ForeignKey(
        "powerlists.Government", verbose_name=_("备案机关所属政府"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="editions_filed",
    )
    filing_number = models.CharField(_("备案号"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("起草人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="editions_drafted",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审定人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="editions_approved",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        ordering = ["government_id", "published_on", "number"]
        verbose_name = _("清单版本")
        verbose_name_plural = pgettext_lazy("plural", "清单版本")
        constraints = [
            models.UniqueConstraint(fields=["government", "number"], name="edition_unique_number"),
            models.CheckConstraint(
                condition=Q(published_on__isnull=True) | Q(approved_on__isnull=False, approved_on__lte=models.F("published_on")),
                name="edition_approved_before_published",
            ),
            models.CheckConstraint(
                condition=Q(filed_on__isnull=True) | Q(published_on__isnull=False, published_on__lte=models.F("filed_on")),
                name="edition_published_before_filed",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class TownZoneMerger(models.Model):
    """镇区合一: a town government and a development zone's committee merged into one body with two names."""

    town = models.ForeignKey(
        "powerlists.Government", verbose_name=_("乡镇"), on_delete=models.PROTECT, related_name="zone_mergers"
    )
    zone_name = models.CharField(_("开发区名称"), max_length=100)
    document = models.CharField(_("批准文件"), max_length=200, blank=True)
    effective_on = models.DateField(_("合署日期"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        ordering = ["town_id", "effective_on"]
        verbose_name = _("镇区合一")
        verbose_name_plural = pgettext_lazy("plural", "镇区合一")
        constraints = [models.UniqueConstraint(fields=["town", "zone_name"], name="merger_unique_zone")]

    def __str__(self):
        return f"{self.town} · {self.zone_name}"
