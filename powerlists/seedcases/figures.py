"""The figures the seed documents report, computed from the database records.

Every computed value is a query over governments, items, exercises, transfers and batches as the
services wrote them — never a stored number and never the fixture files. Governments and the
department 市建委 are found by the names the seeds give. The seed values appear only in the
``seed`` column, to compare against.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q

from ..models import (
    Arrangement,
    BatchState,
    Category,
    Decision,
    Department,
    EvaluationCategory,
    EvaluationResult,
    EvaluationRound,
    Exercise,
    Government,
    PowerItem,
    Role,
    Tier,
    Transfer,
    TransferKind,
    TransferState,
    in_force_q,
)
from ..models.choices import SHARED_ROLES
from ..queries import power_list, subtree
from ..queries.evaluation import evidence_satisfaction, round_report
from ..queries.joint_review import JointReview, joint_review
from ..queries.lists import arrangement_expression
from ..services import staff_posts_moved

D = datetime.date

# Dates at which the seeds describe the state of things (see fixtures/README.md).
HARBIN_BOUNDARY_DAY = D(2018, 1, 1)  # after both devolution documents of 2017
HARBIN_DIVISIONS_DAY = D(2016, 3, 7)  # the 大处室 article
KUIWEN_DAY = D(2019, 12, 31)  # after the 2019 adjustment
LANSHAN_DAY = D(2019, 12, 31)  # after the three lists of 2019

# 依申请类: powers exercised on a citizen's or a company's application (the seed's "依申請類行政職權").
APPLICATION_CATEGORIES = (
    Category.LICENSING, Category.CONFIRMATION, Category.BENEFIT, Category.REWARD, Category.ADJUDICATION,
    Category.PUBLIC_SERVICE,
)
EFFECTIVE = TransferState.EFFECTIVE
TIMING_ITEMS = ("林木采伐", "建筑报批")  # the items 002 names for the 5 → 2 working days


@dataclass
class Figure:
    source: str
    description: str
    seed: str
    computed: str
    match: bool | None  # None: cannot be computed yet
    pending: str = ""

    @property
    def status(self) -> str:
        if self.match is None:
            return f"pending: {self.pending}"
        return "✓" if self.match else "✗"


class MissingCase(Exception):
    pass


def _gov(name: str, within: Government | None = None) -> Government:
    qs = Government.objects.filter(name=name)
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    gov = qs.first()
    if gov is None:
        raise MissingCase(name)
    return gov


def _fig(source, description, seed, computed, expected=None) -> Figure:
    expected = seed if expected is None else expected
    return Figure(source, description, str(seed), str(computed), computed == expected)


# ------------------------------------------------------------------------------------------------
# 000 Harbin 强区放权
# ------------------------------------------------------------------------------------------------


def harbin_joint_review(city: Government) -> list[JointReview]:
    """The joint review (对接会) between 哈尔滨市 and each of its districts: every devolution proposal,
    drafts and withdrawn ones left out."""
    districts = Government.objects.filter(parent=city, tier=Tier.COUNTY).order_by("code")
    return [joint_review(city, district) for district in districts]


def harbin_workflow_figures(city: Government) -> list[Figure]:
    """Offered, requested, agreed and rejected proposals, from the proposals as the workflow recorded them."""
    reviews = harbin_joint_review(city)
    offered = {r["item_id"] for jr in reviews for r in jr.offered}
    requested = {r["item_id"] for jr in reviews for r in jr.requested}
    agreed = [r for jr in reviews for r in jr.catalogue if r["state"] == TransferState.EFFECTIVE]
    agreed_items = {r["item_id"] for r in agreed}
    rejected = [r for jr in reviews for r in jr.rejected]
    rejected_items = {r["item_id"] for r in rejected}
    without_reason = sum(1 for r in rejected if not (r["decision_reason"] or "").strip())
    one_sided = [r for r in agreed
                 if r["giver_decision"] != Decision.APPROVED or r["receiver_decision"] != Decision.APPROVED]
    both_sides = agreed_items - {r["item_id"] for r in one_sided}
    return [
        _fig("000", "端菜：市级部门提出拟下放事项 / offered by city departments", 149, len(offered)),
        _fig("000", "点菜：区级申请下放事项 / requested by districts", 33, len(requested)),
        _fig("000", "达成共识并下放至区的事项 / agreed at the joint review and devolved to districts", 175,
             len(agreed_items)),
        Figure("000", "对接会未达成共识（驳回并说明理由）/ rejected at the joint review, each with a reason", "7",
               str(len(rejected_items)) if not without_reason else f"{len(rejected_items)} ({without_reason} without reason)",
               len(rejected_items) == 7 and not without_reason and bool(rejected)),
        Figure("000", "对接会：每项共识均经市区双方确认 / joint review: every agreed proposal has both sides' decisions",
               "175", f"{len(both_sides)} ({len(agreed) - len(one_sided)}/{len(agreed)} proposals)",
               len(both_sides) == 175 and not one_sided and bool(agreed)),
    ]


def harbin_figures() -> list[Figure]:
    city = _gov("哈尔滨市")
    devolutions = Transfer.objects.filter(
        kind=TransferKind.DEVOLVE, state=EFFECTIVE, giver=city, receiver__tier=Tier.COUNTY
    )
    figures = harbin_workflow_figures(city)

    # The boundary: application-based powers the law lets either level exercise (市区共有:
    # lowest tier at or below county), as they stand after the reform.
    shared_law = Q(item__category__in=APPLICATION_CATEGORIES, item__lowest_tier__gte=Tier.COUNTY)
    at_boundary = Exercise.objects.filter(in_force_q(HARBIN_BOUNDARY_DAY), shared_law).annotate(
        arrangement=arrangement_expression(HARBIN_BOUNDARY_DAY))
    city_count = at_boundary.filter(government=city, arrangement=Arrangement.RETAINED).count()
    figures.append(_fig("000", f"市区职权边界：明确由市级行使 / exercised by the city ({HARBIN_BOUNDARY_DAY})", 380,
                        city_count))
    district_codes = (
        at_boundary.filter(government__tier=Tier.COUNTY, government__path__startswith=city.path,
                           arrangement__in=[Arrangement.RETAINED, Arrangement.RECEIVED])
        .values("item__code").distinct().count()
    )
    figures.append(_fig("000", f"市区职权边界：明确由区级行使 / exercised by districts ({HARBIN_BOUNDARY_DAY})", 287,
                        district_codes))

    batches = {t.batch for t in devolutions.select_related("batch").filter(batch__isnull=False)}
    posts = sum(row["posts"] for batch in batches for row in staff_posts_moved(batch)
                if row["giver__code"] == city.code)
    figures.append(_fig("000", "编随事走：市级编制划转至区 / staff posts moved city → districts", 113, posts))

    pilot_streets = Government.objects.filter(
        tier=Tier.TOWNSHIP, parent__tags__slug="pilot", path__startswith=city.path
    ).order_by("code")
    sizes = sorted({len(power_list(street, HARBIN_BOUNDARY_DAY)) for street in pilot_streets})
    computed = "/".join(str(s) for s in sizes) or "-"
    figures.append(Figure("000", f"试点区街道办事处行政权力清单 / street power list ({len(pilot_streets)} pilot streets)",
                          "54", computed, sizes == [54]))
    figures.append(harbin_satisfaction_figure(city))
    return figures


def harbin_satisfaction_figure(city: Government) -> Figure:
    """The third-party evaluation's satisfaction: the evidence of the latest round over the city,
    weighted by cases handled (queries.evaluation.evidence_satisfaction)."""
    rnd = EvaluationRound.objects.filter(scope_government=city).order_by("-period_end", "-id").first()
    if rnd is None:
        return Figure("000", "第三方评估满意度 / satisfaction (evaluation evidence)", "84.92%", "-", False)
    evidence = evidence_satisfaction(rnd)
    value = evidence["satisfaction"]
    computed = "-" if value is None else f"{value}%"
    return Figure("000", f"第三方评估满意度（{evidence['evidence_rows']}条评估依据，{evidence['cases_handled']}件，"
                  f"按办件量加权）/ satisfaction (evaluation evidence, weighted by cases)", "84.92%", computed,
                  computed == "84.92%")


# ------------------------------------------------------------------------------------------------
# 001 Harbin 大处室
# ------------------------------------------------------------------------------------------------


def jianwei_figures() -> list[Figure]:
    city = _gov("哈尔滨市")
    jianwei = Department.objects.filter(government=city, name__contains="城乡建设委员会").first()
    if jianwei is None:
        raise MissingCase("市建委")
    rows = Exercise.objects.filter(in_force_q(HARBIN_DIVISIONS_DAY), government=city, item__department=jianwei)
    assigned = rows.filter(item__division__isnull=False)
    modules = assigned.values("item__division__module").distinct().count()
    approval_divisions = (
        assigned.filter(item__category=Category.LICENSING).values("item__division").distinct().count()
    )
    unassigned = rows.filter(item__division__isnull=True).count()
    return [
        _fig("001", "市建委权责清单事项均分解到处室 / 市建委 items assigned to divisions", 339,
             assigned.count() if not unassigned else f"{assigned.count()} (+{unassigned} unassigned)"),
        _fig("001", "职能模块 / modules", 5, modules),
        _fig("001", "行政审批事项集中的处室数 / divisions holding all approvals", 1, approval_divisions),
    ]


# ------------------------------------------------------------------------------------------------
# 002 Weifang Kuiwen 扩权强街
# ------------------------------------------------------------------------------------------------


def _first_version(item: PowerItem) -> PowerItem:
    while True:
        previous = PowerItem.objects.filter(replaced_by=item).first()
        if previous is None:
            return item
        item = previous


def kuiwen_figures() -> list[Figure]:
    district = _gov("奎文区")
    dayu = _gov("大虞街道", district)
    devolutions = Transfer.objects.filter(kind=TransferKind.DEVOLVE, state=EFFECTIVE, giver=district, receiver=dayu)
    items = devolutions.values("item").distinct().count()
    batches = devolutions.values("batch").distinct().count()
    received = Exercise.objects.filter(
        in_force_q(KUIWEN_DAY), government=dayu, role=Role.RECEIVER, source__government=district
    )
    in_force = received.count()
    fields = received.values("item__field").distinct().count()
    own = [r for r in power_list(dayu, KUIWEN_DAY) if r["role"] == Role.HOLDER]
    responsibilities = sum(
        len(resp) for resp in PowerItem.objects.filter(pk__in=[r["item_id"] for r in own])
        .values_list("responsibilities", flat=True)
    )
    timing = []
    for row in received.filter(item__name__in=TIMING_ITEMS) \
            .select_related("item").order_by("item__name"):
        first = _first_version(row.item)
        timing.append(f"{row.item.name} {first.promised_days}→{row.item.promised_days}")
    return [
        _fig("002", "两批下放大虞街道的区级权力事项 / devolved to Dayu street in 2 batches", "128 in 2 batches",
             f"{items} in {batches} batches"),
        _fig("002", f"取消、调整后仍下放并有效 / still devolved and in force ({KUIWEN_DAY})", "66 in 16 fields",
             f"{in_force} in {fields} fields"),
        _fig("002", "大虞街道权力清单 / 责任清单 / own power items / responsibility items", "64 / 94",
             f"{len(own)} / {responsibilities}"),
        Figure("002", "林木采伐、建筑报批办理时限（工作日）/ processing time", "5→2", "; ".join(timing) or "-",
               bool(timing) and all(t.endswith(" 5→2") for t in timing)),
    ]


# ------------------------------------------------------------------------------------------------
# 003 Linyi Lanshan 1+X
# ------------------------------------------------------------------------------------------------


def lanshan_figures() -> list[Figure]:
    lanshan = _gov("兰山区")
    rows = power_list(lanshan, LANSHAN_DAY)
    core = sum(1 for r in rows if r["arrangement"] == Arrangement.RETAINED and r["item__is_core"])
    devolved = sum(1 for r in rows if r["arrangement"] == Arrangement.DEVOLVED_OUT)
    shared = Exercise.objects.filter(in_force_q(LANSHAN_DAY), shared_by=lanshan, role__in=SHARED_ROLES)
    shared_items = shared.values("item").distinct().count()
    well_formed = sum(
        1 for r in shared.values("item").annotate(leads=Count("id", filter=Q(role=Role.LEAD)))
        if r["leads"] == 1
    )
    units = subtree(lanshan, include_self=False).exclude(assessment_type="")
    return [
        _fig("003", "区级统筹的核心事权 / core powers kept at district level", 10, core),
        _fig("003", "区镇共有事权（各有一个主体责任方）/ shared powers (one lead each)", 18,
             shared_items if well_formed == shared_items else f"{shared_items} ({well_formed} with one lead)"),
        _fig("003", "下沉镇街的事权 / devolved to towns and streets", 54, devolved),
        _fig("003", "差异化考核主体与类型 / assessed units in types", "12 in 3 types",
             f"{units.count()} in {units.values('assessment_type').distinct().count()} types"),
    ]


# ------------------------------------------------------------------------------------------------
# 004 Hubei 经济发达镇
# ------------------------------------------------------------------------------------------------


def hubei_figures() -> list[Figure]:
    hubei = _gov("湖北省")
    towns = subtree(hubei).filter(tier=Tier.TOWNSHIP, tags__slug="pilot").distinct()
    national = towns.filter(tags__slug="national-pilot").count()
    merged = sum(1 for aliases in towns.values_list("aliases", flat=True) if aliases)
    devolutions = Transfer.objects.filter(kind=TransferKind.DEVOLVE, state=EFFECTIVE, receiver__in=towns)
    first_dates = dict(devolutions.values("receiver").annotate(first=Min("effective_on")).values_list("receiver", "first"))
    first_batch_total = 0
    for receiver, day in first_dates.items():
        first_batch_total += devolutions.filter(receiver=receiver, effective_on=day).values("item").distinct().count()

    county = _gov("黄梅县", hubei)
    xiaochi = _gov("小池镇", county)
    first_day = first_dates.get(xiaochi.pk)
    before = len(power_list(xiaochi, first_day)) if first_day else 0
    # The rounds: evaluations of 小池镇 whose follow-up batches took effect, each with its date.
    followed = (
        EvaluationResult.objects.filter(government=xiaochi, follow_up_transfer__batch__state=BatchState.EFFECTIVE)
        .values_list("round_id", "follow_up_transfer__batch__effective_on").distinct().order_by(
            "follow_up_transfer__batch__effective_on")
    )
    steps = [before] + [len(power_list(xiaochi, day)) for _, day in followed]
    n_rounds = len({round_id for round_id, _ in followed})
    figures = [
        _fig("004", "经济发达镇行政管理体制改革试点镇 / pilot towns (national + provincial)", "33 (2 + 31)",
             f"{towns.count()} ({national} + {towns.count() - national})"),
        _fig("004", "镇区合一（试点镇兼开发区）/ towns merged with a development zone", 11, merged),
        _fig("004", "第一批扩权事项合计 / powers devolved in each town's first batch", 1977, first_batch_total),
        Figure("004", "黄梅县下放小池镇：首批 → 三轮评估及后续调整后 / Xiaochi: first batch → after three evaluation "
               "rounds and their follow-up batches", "166 → 120 over 3 rounds",
               f"{' → '.join(str(n) for n in steps)} over {n_rounds} rounds",
               steps[0] == 166 and steps[-1] == 120 and n_rounds == 3),
    ]
    figures.append(hubei_categories_figure(hubei))
    return figures


def hubei_categories_figure(hubei: Government) -> Figure:
    """The province-wide round over the pilot towns: the rules put devolved powers in all four
    categories (可推广 / 不应放 / 应放未放 / 运行不良), computed from the evidence."""
    rnd = (EvaluationRound.objects.filter(scope_government=hubei, scope_tag="pilot")
           .order_by("-period_end", "-id").first())
    if rnd is None:
        return Figure("004", "两年评估：四类事项 / the two-year evaluation's four categories", "4", "-", False)
    counts = {row["category"]: row["count"] for row in round_report(rnd).by_category}
    computed = "、".join(f"{EvaluationCategory(c).label} {n}" for c, n in counts.items())
    present = sum(1 for n in counts.values() if n)
    return Figure("004", "两年评估：所有下放事项分为四类 / the two-year evaluation puts devolved powers in four "
                  "categories", "可推广、不应放、应放未放、运行不良", computed, present == 4)


CASES = (
    ("000", harbin_figures), ("001", jianwei_figures), ("002", kuiwen_figures), ("003", lanshan_figures),
    ("004", hubei_figures),
)


def compute_figures() -> list[Figure]:
    """Every figure, in source order. A case whose governments are missing gives one failing row."""
    figures: list[Figure] = []
    for source, compute in CASES:
        try:
            figures.extend(compute())
        except MissingCase as exc:
            figures.append(Figure(source, f"案例数据缺失 / case data missing: {exc}", "-", "-", False))
    return figures
