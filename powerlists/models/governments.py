from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import AssessmentType, DepartmentKind, Tier

PATH_SEPARATOR = "/"


class Tag(models.Model):
    """A label on governments, e.g. ``pilot`` (试点)."""

    slug = models.SlugField(_("标识"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("标签")
        verbose_name_plural = pgettext_lazy("plural", "标签")

    def __str__(self):
        return self.name


class Government(models.Model):
    """A government in the tree province → city → county-level → township-level → village-level.

    ``path`` is a materialized path of codes (``/42/4211/421127/``): a subtree is one indexed prefix
    query, the ancestors one ``code IN (...)`` query. Governments are never moved or deleted.
    """

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, blank=True, help_text=_("区、县、县级市、街道、镇、乡、社区、村、开发区…"))
    tier = models.PositiveSmallIntegerField(_("层级"), choices=Tier.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("深度"), editable=False)
    aliases = models.JSONField(_("别名"), default=list, blank=True, help_text=_("镇区合一：一个机构两块牌子"))
    search_text = models.TextField(_("检索文本"), editable=False, default="")
    tags = models.ManyToManyField(Tag, verbose_name=_("标签"), blank=True, related_name="governments")
    assessment_type = models.CharField(_("考核类型"), max_length=20, choices=AssessmentType.choices, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("政府")
        verbose_name_plural = pgettext_lazy("plural", "政府")
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__gte=1, tier__lte=5), name="government_tier_range"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=True) | models.Q(depth__gt=0), name="government_child_has_depth"
            ),
        ]
        indexes = [models.Index(fields=["tier", "path"], name="government_tier_path")]

    def __str__(self):
        return self.name

    @property
    def ancestor_codes(self) -> list[str]:
        """Codes of the ancestors, from the root down, read off the path (no query)."""
        return [c for c in self.path.split(PATH_SEPARATOR) if c][:-1]

    def is_within(self, other: "Government") -> bool:
        """True when this government is ``other`` or lies inside its territory."""
        return self.path.startswith(other.path)


class Department(models.Model):
    """A department of a government, a stationed agency (派驻机构) or a service centre."""

    government = models.ForeignKey(
        Government, verbose_name=_("所属政府"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("代码"), max_length=30, blank=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=20, choices=DepartmentKind.choices, default=DepartmentKind.DEPARTMENT)
    upper_department = models.ForeignKey(
        "self",
        verbose_name=_("派出部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stationed_agencies",
        help_text=_("派驻机构所属的上级部门"),
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    approvals_concentrated = models.BooleanField(
        _("审批集中（三集中）"), default=False,
        help_text=_("开启后，本部门的全部行政许可事项必须由同一个处室承办"),
    )

    class Meta:
        ordering = ["government_id", "name"]
        verbose_name = _("部门")
        verbose_name_plural = pgettext_lazy("plural", "部门")
        constraints = [
            models.UniqueConstraint(fields=["government", "name"], name="department_unique_name"),
        ]

    def __str__(self):
        return self.name


class Division(models.Model):
    """An internal division (处室) of a department; ``module`` groups divisions (职能模块)."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="divisions"
    )
    name = models.CharField(_("名称"), max_length=100)
    module = models.CharField(_("职能模块"), max_length=50, blank=True)

    class Meta:
        ordering = ["department_id", "module", "name"]
        verbose_name = _("处室")
        verbose_name_plural = pgettext_lazy("plural", "处室")
        constraints = [
            models.UniqueConstraint(fields=["department", "name"], name="division_unique_name"),
        ]

    def __str__(self):
        return self.name
