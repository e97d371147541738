"""Forms of the evaluation pages. They only read and check what was typed; the services decide."""
from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ...models import DEFAULT_RULES, EvaluationCategory, Government, Tag
from ...spreadsheets import MAX_UPLOAD_BYTES

# What each threshold of a round means (the form's help and the round page's explanation).
RULE_LABELS = {
    "min_cases": _("可推广的最少办件量"),
    "min_satisfaction": _("满意度阈值（%）"),
    "max_days_ratio": _("办理时间上限（法定时限的倍数）"),
    "compare_before": _("与下放前的承诺时限比较"),
    "not_yet_overdue_days": _("下放逾期未生效的天数"),
    "requested_undecided_days": _("点菜申请未决的天数"),
}
RULE_HELP = {
    "min_cases": _("评估期内办件量达到此数（且满意度、办理时间达标）才建议“可推广”；办件量为 0 的为“运行不良”。"),
    "min_satisfaction": _("满意度低于此值为“运行不良”；达到此值是“可推广”的条件之一。"),
    "max_days_ratio": _("平均办理时间超过“法定时限 × 此倍数”为“运行不良”。1 表示不得超过法定时限。"),
    "compare_before": _("勾选时，平均办理时间慢于该事项下放前的承诺时限也为“运行不良”。"),
    "not_yet_overdue_days": _("已批准或已确认的下放，生效日期早于评估期截止日超过此天数仍未生效的，为“应放未放”。"),
    "requested_undecided_days": _("下级申请（点菜）的下放，提出后超过此天数仍未决定的，为“应放未放”。"),
}
RULE_ORDER = list(DEFAULT_RULES)


def government_by_code_or_name(text: str) -> Government:
    """The government with this code, else the one with this name; a name shared by several is refused."""
    text = (text or "").strip()
    government = Government.objects.filter(code=text).first()
    if government is not None:
        return government
    named = list(Government.objects.filter(name=text).order_by("path")[:6])
    if len(named) == 1:
        return named[0]
    if named:
        raise forms.ValidationError(
            _("有多个政府名为“%(name)s”，请改填政府代码：%(codes)s。"),
            params={"name": text, "codes": "、".join(g.code for g in named[:5])})
    raise forms.ValidationError(_("找不到代码或名称为“%(text)s”的政府。"), params={"text": text})


def _plain(value: Decimal):
    """A threshold as the service stores it: an int when whole, else a float."""
    return int(value) if value == value.to_integral_value() else float(value)


class RoundForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200,
                           help_text=_("例如：经济发达镇扩权改革两年评估（2018—2019）。"))
    scope_government = forms.CharField(
        label=_("评估范围：政府代码或名称"), max_length=100, required=False,
        help_text=_("评估该政府辖区内（含下级）承接下放的全部事项。只按标签评估时可不填。"))
    scope_tag = forms.ChoiceField(label=_("评估范围：标签（可选）"), required=False,
                                  help_text=_("只评估带该标签的政府（如试点镇）；与辖区同时填写时须同时满足。"))
    period_start = forms.DateField(label=_("评估期起始"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("评估期截止"), widget=forms.DateInput(attrs={"type": "date"}))
    min_cases = forms.IntegerField(label=RULE_LABELS["min_cases"], min_value=0, max_value=10**9,
                                   initial=DEFAULT_RULES["min_cases"], help_text=RULE_HELP["min_cases"])
    min_satisfaction = forms.DecimalField(label=RULE_LABELS["min_satisfaction"], min_value=0, max_value=100,
                                          max_digits=5, decimal_places=2, initial=DEFAULT_RULES["min_satisfaction"],
                                          help_text=RULE_HELP["min_satisfaction"])
    max_days_ratio = forms.DecimalField(label=RULE_LABELS["max_days_ratio"], min_value=0, max_value=100,
                                        max_digits=6, decimal_places=2, initial=DEFAULT_RULES["max_days_ratio"],
                                        help_text=RULE_HELP["max_days_ratio"])
    compare_before = forms.BooleanField(label=RULE_LABELS["compare_before"], required=False,
                                        initial=DEFAULT_RULES["compare_before"], help_text=RULE_HELP["compare_before"])
    not_yet_overdue_days = forms.IntegerField(label=RULE_LABELS["not_yet_overdue_days"], min_value=0,
                                              max_value=36500, initial=DEFAULT_RULES["not_yet_overdue_days"],
                                              help_text=RULE_HELP["not_yet_overdue_days"])
    requested_undecided_days = forms.IntegerField(label=RULE_LABELS["requested_undecided_days"], min_value=0,
                                                  max_value=36500, initial=DEFAULT_RULES["requested_undecided_days"],
                                                  help_text=RULE_HELP["requested_undecided_days"])

    RULE_FIELDS = RULE_ORDER

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope_tag"].choices = [("", "—")] + [(t.slug, f"{t.name}（{t.slug}）")
                                                         for t in Tag.objects.order_by("slug")]

    def clean_scope_government(self):
        text = (self.cleaned_data.get("scope_government") or "").strip()
        return government_by_code_or_name(text) if text else None

    def clean(self):
        data = super().clean()
        if not data.get("scope_government") and not data.get("scope_tag") and "scope_government" not in self.errors:
            self.add_error("scope_government", _("请填写评估范围：政府或标签至少填一项。"))
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("评估期截止日期不能早于起始日期。"))
        return data

    def rules(self) -> dict:
        d = self.cleaned_data
        return {
            "min_cases": d["min_cases"], "min_satisfaction": _plain(d["min_satisfaction"]),
            "max_days_ratio": float(d["max_days_ratio"]), "compare_before": bool(d["compare_before"]),
            "not_yet_overdue_days": d["not_yet_overdue_days"],
            "requested_undecided_days": d["requested_undecided_days"],
        }

    def rule_fields(self):
        return [self[name] for name in self.RULE_FIELDS]

    def scope_fields(self):
        return [self[name] for name in ("name", "scope_government", "scope_tag", "period_start", "period_end")]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("评估结论"), choices=EvaluationCategory.choices)
    reason = forms.CharField(label=_("理由（改变建议时必填）"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(forms.Form):
    title = forms.CharField(label=_("文件标题"), max_length=200,
                            help_text=_("例如：关于调整经济发达镇行政权力事项的决定。"))
    number = forms.CharField(label=_("文号"), max_length=100, required=False)
    round_no = forms.IntegerField(label=_("轮次（可选）"), min_value=1, max_value=1000, required=False,
                                  help_text=_("第几轮调整，如小池镇的第二轮、第三轮。"))
    effective_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}),
                                   help_text=_("批次及其中每项变更的生效日期；收回的事项自该日起移出乡镇清单。"))


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(label=_("表格文件（.xlsx 或 .csv）"),
                           help_text=format_lazy(_("使用模板中的列；最大 {mb} MB。"), mb=MAX_UPLOAD_BYTES // 1024 // 1024))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:  # refused before it is read
            raise forms.ValidationError(
                _("文件过大：最大 %(mb)s MB。请拆分文件后分别导入。"), params={"mb": MAX_UPLOAD_BYTES // 1024 // 1024})
        return upload
