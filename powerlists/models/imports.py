from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportMapping(models.Model):
    """A government's saved answer to "which column is this?" for a header its imports use that the
    product does not know: the column key it stands for, or ``-`` for a column left alone. Set once in an
    import's preview (or by ``importlist --map``), used by every later import of that government."""

    government = models.ForeignKey(
        "powerlists.Government", verbose_name=_("政府"), on_delete=models.CASCADE, related_name="import_mappings"
    )
    header = models.CharField(_("表头"), max_length=100)
    key = models.CharField(_("对应栏目"), max_length=30)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["government_id", "header"]
        verbose_name = _("导入列对应")
        verbose_name_plural = pgettext_lazy("plural", "导入列对应")
        constraints = [models.UniqueConstraint(fields=["government", "header"], name="import_mapping_unique_header")]

    def __str__(self):
        return f"{self.header} → {self.key}"
