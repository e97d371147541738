"""Forms of the workspace. They only read and check what was typed; the services decide."""
from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..models import Category, Government, Method, Origin, PowerItem, Tier, TransferKind
from ..services.bounds import MAX_CODE, MAX_LEGAL_TEXT, MAX_NAME, MAX_NUMBER, MAX_REASON
from ..spreadsheets import MAX_UPLOAD_BYTES


def _government_by_code(code: str, label) -> Government:
    government = Government.objects.filter(code=(code or "").strip()).first()
    if government is None:
        raise forms.ValidationError(_("找不到代码为“%(code)s”的政府，请核对政府代码。"), params={"code": code})
    return government


class ProposeForm(forms.Form):
    kind = forms.ChoiceField(label=_("变更类型"), choices=TransferKind.choices, initial=TransferKind.DEVOLVE)
    origin = forms.ChoiceField(label=_("来源"), choices=[(Origin.OFFERED, Origin.OFFERED.label),
                                                        (Origin.REQUESTED, Origin.REQUESTED.label)],
                               help_text=_("端菜：放出方的编辑提出；点菜：承接方的编辑申请（只能申请下放）。"))
    giver = forms.CharField(label=_("放出方（政府代码）"), max_length=20)
    item = forms.CharField(label=_("事项编码"), max_length=50,
                           help_text=_("放出方清单中的事项编码。"))
    receiver = forms.CharField(label=_("承接方（政府代码）"), max_length=20, required=False,
                               help_text=_("下放和收回必填；取消、调整、共有不填。"))
    method = forms.ChoiceField(label=_("下放方式"), choices=[("", "—"), *Method.choices], required=False)
    effective_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    staff_posts = forms.IntegerField(label=_("划转编制数"), min_value=0, initial=0, required=False)
    batch = forms.IntegerField(label=_("批次编号"), required=False, min_value=1,
                               help_text=_("可选：加入一个草稿批次（生效日期须与批次一致）。"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             max_length=MAX_REASON)

    def clean_giver(self):
        return _government_by_code(self.cleaned_data["giver"], _("放出方"))

    def clean_receiver(self):
        code = (self.cleaned_data.get("receiver") or "").strip()
        return _government_by_code(code, _("承接方")) if code else None

    def clean(self):
        data = super().clean()
        giver, code = data.get("giver"), (data.get("item") or "").strip()
        if giver is not None and code:
            from django.db.models import Q

            item = (
                PowerItem.objects.filter(code=code, replaced_on__isnull=True)
                .filter(Q(government=giver) | Q(exercises__government=giver, exercises__valid_to__isnull=True))
                .order_by("-government_id").first()
            )
            if item is None:
                self.add_error("item", _("放出方的清单中没有编码为“%(code)s”的事项。") % {"code": code})
            data["item_object"] = item
        return data


class CommentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                              max_length=MAX_REASON)


class ReasonForm(CommentForm):
    comment = forms.CharField(label=_("理由（必填）"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_REASON,
                              error_messages={"required": _("请说明理由。")})


class AcceptForm(CommentForm):
    receiving_department = forms.ModelChoiceField(label=_("承接单位"), queryset=None, required=False,
                                                  empty_label=_("—请选择承接单位—"))

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receiving_department"].queryset = departments


class TransferEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    method = forms.ChoiceField(label=_("下放方式"), choices=[("", "—"), *Method.choices], required=False)
    effective_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))
    staff_posts = forms.IntegerField(label=_("划转编制数"), min_value=0)
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                             max_length=MAX_REASON)
    comment = forms.CharField(label=_("修改说明"), required=False, max_length=MAX_REASON)


class BatchForm(forms.Form):
    issuer = forms.CharField(label=_("发文政府（代码）"), max_length=20)
    title = forms.CharField(label=_("文件标题"), max_length=MAX_NAME)
    number = forms.CharField(label=_("文号"), max_length=MAX_NUMBER, required=False)
    round_no = forms.IntegerField(label=_("轮次"), min_value=1, required=False)
    issued_on = forms.DateField(label=_("印发日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    effective_on = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_issuer(self):
        return _government_by_code(self.cleaned_data["issuer"], _("发文政府"))


class BatchRejectForm(forms.Form):
    reason = forms.CharField(label=_("驳回理由（必填）"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_REASON,
                             error_messages={"required": _("请说明理由。")})


class ItemForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.CharField(label=_("事项编码"), max_length=MAX_CODE)
    name = forms.CharField(label=_("事项名称"), max_length=MAX_NAME)
    category = forms.ChoiceField(label=_("权力类别"), choices=Category.choices)
    field = forms.CharField(label=_("领域"), max_length=50, required=False)
    department = forms.ModelChoiceField(label=_("实施部门"), queryset=None, required=False)
    division = forms.ModelChoiceField(label=_("承办处室"), queryset=None, required=False)
    legal_basis = forms.CharField(label=_("设定依据"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  max_length=MAX_LEGAL_TEXT)
    statutory_days = forms.IntegerField(label=_("法定时限（工作日）"), min_value=0, max_value=3650, required=False)
    promised_days = forms.IntegerField(label=_("承诺时限（工作日）"), min_value=0, max_value=3650, required=False)
    lowest_tier = forms.TypedChoiceField(label=_("法定最低实施层级"), choices=Tier.choices, coerce=int)
    responsibilities = forms.CharField(label=_("责任事项（每行一项）"), required=False, max_length=MAX_LEGAL_TEXT,
                                       widget=forms.Textarea(attrs={"rows": 3}))
    accountability = forms.CharField(label=_("追责情形（每行一项）"), required=False, max_length=MAX_LEGAL_TEXT,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    is_core = forms.BooleanField(label=_("核心事权（上级统筹）"), required=False)
    reason = forms.CharField(label=_("修改理由"), required=False, max_length=MAX_REASON)

    def __init__(self, *args, government=None, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import Department, Division

        self.fields["department"].queryset = Department.objects.filter(government=government)
        self.fields["division"].queryset = Division.objects.filter(department__government=government).select_related(
            "department")
        self.fields["division"].label_from_instance = lambda d: f"{d.department.name} · {d.name}"

    @staticmethod
    def initial_for(item: PowerItem) -> dict:
        return {
            "version": item.version, "code": item.code, "name": item.name, "category": item.category,
            "field": item.field, "department": item.department_id, "division": item.division_id,
            "legal_basis": item.legal_basis, "statutory_days": item.statutory_days,
            "promised_days": item.promised_days, "lowest_tier": item.lowest_tier,
            "responsibilities": "\n".join(item.responsibilities or []),
            "accountability": "\n".join(item.accountability or []), "is_core": item.is_core,
        }


class TokenForm(forms.Form):
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=3650, initial=90,
                              help_text=_("1至3650天；到期后令牌失效。"))


class ImportForm(forms.Form):
    government = forms.ChoiceField(label=_("导入到哪个政府的清单"))
    file = forms.FileField(label=_("表格文件（.xlsx 或 .csv）"),
                           help_text=format_lazy(_("使用模板中的列；最大 {mb} MB。"), mb=MAX_UPLOAD_BYTES // 1024 // 1024))
    holder_from = forms.DateField(label=_("本级行使起始日期（可选）"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("填写后，新增事项自该日起列入本级清单。"))
    create_departments = forms.BooleanField(
        label=_("新建表中的部门"), required=False,
        help_text=_("表中的实施部门（实施主体）不是本政府已有的部门时，导入时新建它（预览中列出；需要该政府的管理员角色）；不勾选则该行报错。"))

    def __init__(self, *args, governments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["government"].choices = [(g.code, f"{g.name}（{g.code}）") for g in governments]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:  # refused before it is read
            raise forms.ValidationError(
                _("文件过大：最大 %(mb)s MB。请拆分文件后分别导入。"), params={"mb": MAX_UPLOAD_BYTES // 1024 // 1024})
        return upload
