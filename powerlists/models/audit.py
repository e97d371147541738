from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEvent(models.Model):
    """Who did what, when, to what, with the state before and after, and why.

    Written by the services in the same transaction as the change they record; never updated or deleted
    (the database refuses both once the event is sealed into the hash chain).
    """

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=50, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=50)
    object_id = models.CharField(_("对象"), max_length=50)
    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("政府"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    item = models.ForeignKey(
        "powerlists.PowerItem", verbose_name=_("事项"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    transfer = models.ForeignKey(
        "powerlists.Transfer", verbose_name=_("变更"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    batch = models.ForeignKey(
        "powerlists.Batch", verbose_name=_("批次"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="audit_events",
    )
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    # The hash chain (powerlists/audit_chain.py): the application signs the content; the database
    # numbers the event and links it to the one before (triggers of migration 0009).
    content_hash = models.CharField(_("内容签名"), max_length=64, blank=True, default="", editable=False)
    seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(_("前一事件哈希"), max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(_("链哈希"), max_length=64, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("审计事件")
        verbose_name_plural = pgettext_lazy("plural", "审计事件")
        indexes = [
            models.Index(fields=["item", "id"], name="audit_item"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.object_type}#{self.object_id}"
