"""The domain's fixed vocabularies (see shared/domain.md). Values are English; labels are Chinese."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.IntegerChoices):
    """Government tiers, from the top. A larger number is a lower tier."""

    PROVINCE = 1, _("省级")
    CITY = 2, _("市级")
    COUNTY = 3, _("县级（区、县）")
    TOWNSHIP = 4, _("乡级（街道、镇、乡）")
    VILLAGE = 5, _("村级（社区、村）")


class AssessmentType(models.TextChoices):
    """差异化考核: the type a town is assessed as."""

    SERVICE = "service", _("现代服务业主导型")
    INDUSTRY = "industry", _("工业主导型")
    AGRICULTURE = "agriculture", _("农业主导型")


class DepartmentKind(models.TextChoices):
    DEPARTMENT = "department", _("工作部门")
    STATIONED_AGENCY = "stationed_agency", _("派驻机构")
    SERVICE_CENTRE = "service_centre", _("便民服务中心")
    OFFICE = "office", _("内设办事机构")


class Category(models.TextChoices):
    """The standard categories of a power item."""

    LICENSING = "licensing", _("行政许可")
    PENALTY = "penalty", _("行政处罚")
    COERCION = "coercion", _("行政强制")
    LEVY = "levy", _("行政征收")
    BENEFIT = "benefit", _("行政给付")
    INSPECTION = "inspection", _("行政检查")
    CONFIRMATION = "confirmation", _("行政确认")
    REWARD = "reward", _("行政奖励")
    ADJUDICATION = "adjudication", _("行政裁决")
    OTHER = "other", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


class Role(models.TextChoices):
    """In which capacity a government exercises an item."""

    HOLDER = "holder", _("本级行使")
    RECEIVER = "receiver", _("承接下放")
    LEAD = "lead", _("共有事权·主体责任")
    SUPPORT = "support", _("共有事权·配合责任")


SHARED_ROLES = (Role.LEAD, Role.SUPPORT)
SHARED_ROLE_CHOICES = [(Role.LEAD.value, Role.LEAD.label), (Role.SUPPORT.value, Role.SUPPORT.label)]


class Arrangement(models.TextChoices):
    """How an item sits in one government's list on one date (derived, never stored)."""

    RETAINED = "retained", _("保留行使")
    DEVOLVED_OUT = "devolved_out", _("已下放")
    SHARED_OUT = "shared_out", _("已设共有")
    RECEIVED = "received", _("承接")
    SHARED_LEAD = "shared_lead", _("共有·主体责任")
    SHARED_SUPPORT = "shared_support", _("共有·配合责任")


class TransferKind(models.TextChoices):
    DEVOLVE = "devolve", _("下放")
    RECALL = "recall", _("收回")
    SHARE = "share", _("共有")
    CANCEL = "cancel", _("取消")
    ADJUST = "adjust", _("调整")


class Method(models.TextChoices):
    """How a devolved power is handed over."""

    DIRECT = "direct", _("直接下放")
    ENTRUSTED = "entrusted", _("授权委托")
    STATIONED_AGENCY = "stationed_agency", _("派驻机构交办")
    STAFF_SENT = "staff_sent", _("派员办理")


class Origin(models.TextChoices):
    OFFERED = "offered", _("端菜（上级提出）")
    REQUESTED = "requested", _("点菜（下级申请）")
    EVALUATION = "evaluation", _("评估后续")
    REFORM = "reform", _("改革调整")


class TransferState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    APPROVED = "approved", _("放出方已批准")
    ACCEPTED = "accepted", _("承接方已确认")
    EFFECTIVE = "effective", _("已生效")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    RETURNED = "returned", _("退回修改")


class Decision(models.TextChoices):
    """One side's decision on a proposal (joint review shows both sides')."""

    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("不同意")
    RETURNED = "returned", _("退回修改")


class BatchState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已批准")
    EFFECTIVE = "effective", _("已生效")
    REJECTED = "rejected", _("已驳回")


FIELDS = (
    "规划建设", "环境保护", "市场监管", "安全管理", "投资审批", "城市管理", "文化教育", "公共卫生",
    "住房保障", "社会保障", "基础设施建设", "财政政策", "民政服务", "农业农村", "自然资源", "交通运输",
    "水利", "林业", "劳动就业", "社会治安", "民族宗教", "应急管理",
)
"""Fields (领域) the seed documents name; an item's field is free text, these are suggestions."""


class Initiation(models.TextChoices):
    """依申请 / 依职权: whether the power is exercised on application or on the authority's own initiative."""

    APPLICATION = "application", _("依申请")
    EX_OFFICIO = "ex_officio", _("依职权")


class LawKind(models.TextChoices):
    """The rank of a legal basis, as the platforms mark it (【法律】【行政法规】…)."""

    LAW = "law", _("法律")
    ADMINISTRATIVE_REGULATION = "administrative_regulation", _("行政法规")
    LOCAL_REGULATION = "local_regulation", _("地方性法规")
    RULES = "rules", _("规章")
    NORMATIVE_DOCUMENT = "normative_document", _("规范性文件")


class BasisRole(models.TextChoices):
    SETTING = "setting", _("设定依据")
    IMPLEMENTING = "implementing", _("实施依据")


class ProcessingStep(models.TextChoices):
    """Steps of multi-level processing (多级办理): which level does what."""

    PRELIMINARY = "preliminary", _("初审")
    REVIEW = "review", _("审核")
    DECISION = "decision", _("决定")
    FILING = "filing", _("备案")


class DaysUnit(models.TextChoices):
    WORKING = "working", _("工作日")
    CALENDAR = "calendar", _("自然日")


class EditionState(models.TextChoices):
    DRAFT = "draft", _("草稿（编办起草）")
    APPROVED = "approved", _("政府已审定")
    PUBLISHED = "published", _("已公布")
    FILED = "filed", _("已备案")
