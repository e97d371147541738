"""Generate the fixture files in ``fixtures/`` from the seed cases and the vocabulary.

Run ``python -m powerlists.seedcases.build`` to rewrite them; the files are committed, and the loader
reads only them. The generator is deterministic (no randomness): the same files every time.

Each file is one case: ``{"source": "000", "title": ..., "ops": [...]}``; the ops are applied in order
by :mod:`powerlists.seedcases.loader`, each through one service call. The counts the seeds report are
the *shape* given to the data here; the figures are then computed back from the database records.
"""
from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

from . import vocabulary as v

FIXTURES_DIR = Path(__file__).resolve().parent.parent.parent / "fixtures"

PROVINCE, CITY, COUNTY, TOWNSHIP, VILLAGE = 1, 2, 3, 4, 5
APPLICATION_CATEGORIES = ("licensing", "confirmation", "benefit", "reward", "adjudication", "public_service")
ABBR = {
    "licensing": "XK", "penalty": "CF", "coercion": "QZ", "levy": "ZS", "benefit": "JF", "inspection": "JC",
    "confirmation": "QR", "reward": "JL", "adjudication": "CJ", "other": "QT", "public_service": "GG",
}


def iso(y, m, d) -> str:
    return datetime.date(y, m, d).isoformat()


class Codes:
    """One standard code per item name (事项编码), shared by every catalogue that lists the item."""

    def __init__(self):
        self.by_name: dict[str, str] = {}
        self.serial: dict[str, int] = {}

    def code(self, name: str, category: str) -> str:
        if name not in self.by_name:
            prefix = ABBR[category]
            self.serial[prefix] = self.serial.get(prefix, 0) + 1
            self.by_name[name] = f"{prefix}{self.serial[prefix]:05d}"
        return self.by_name[name]


CODES = Codes()


def application_pool(exclude=()) -> list[tuple[str, str, str]]:
    """Application-based (依申请类) item names: bases × sub-item qualifiers, fields interleaved."""
    street_names = {n for n, _, _ in v.STREET_OWN}
    by_field: dict[str, list] = {}
    for name, category, field in v.APPLICATION_BASES:
        if name in street_names or name in exclude:
            continue
        for suffix in v.VARIANTS.get(category, [""]):
            by_field.setdefault(field, []).append((name + suffix, category, field))
    pool, lists = [], list(by_field.values())
    while any(lists):
        for lst in lists:
            if lst:
                pool.append(lst.pop(0))
    return pool


def responsibilities(category: str) -> list[str]:
    if category == "penalty":
        return list(v.PENALTY_RESPONSIBILITIES)
    if category == "licensing":
        return list(v.LICENSING_RESPONSIBILITIES)
    return list(v.OTHER_RESPONSIBILITIES)


def days(category: str, promised: int | None = None):
    if category == "licensing":
        return 20, promised if promised is not None else 10
    if category in ("confirmation", "benefit"):
        return 15, promised if promised is not None else 7
    return None, None


class Case:
    def __init__(self, source: str, title: str):
        self.source, self.title, self.ops = source, title, []
        self.depts: set[tuple[str, str]] = set()

    def op(self, **kw):
        self.ops.append(kw)

    def gov(self, code, name, tier, parent=None, kind="", aliases=(), tags=(), assessment_type=""):
        self.op(op="government", code=code, name=name, tier=tier, parent=parent, kind=kind,
                aliases=list(aliases), tags=list(tags), assessment_type=assessment_type)

    def dept(self, gov, name, kind="department", upper=None):
        if (gov, name) in self.depts:
            return name
        self.depts.add((gov, name))
        self.op(op="department", government=gov, name=name, kind=kind, upper=upper)
        return name

    def item(self, gov, name, category, field, holder_from, *, department=None, division=None, lowest_tier=VILLAGE,
             is_core=False, promised=None, resp=None, legal_basis=None, seed=False):
        statutory, promised_days = days(category, promised)
        code = CODES.code(name, category)
        self.op(op="item", government=gov, code=code, name=name, category=category, field=field,
                legal_basis=legal_basis or v.LAWS.get(field, ""), statutory_days=statutory,
                promised_days=promised_days, responsibilities=resp if resp is not None else responsibilities(category),
                accountability=list(v.ACCOUNTABILITY[:2]) if category in APPLICATION_CATEGORIES else [],
                lowest_tier=lowest_tier, is_core=is_core, department=department, division=division,
                holder_from=holder_from, seed_name=seed or name in v.SEED_NAMES)
        return code

    def batch(self, key, issuer, title, effective_on, number="", round_no=None, issued_on=None):
        self.op(op="batch", key=key, issuer=issuer, title=title, number=number, round_no=round_no,
                effective_on=effective_on, issued_on=issued_on or effective_on)

    def write(self, filename):
        data = {"source": self.source, "title": self.title, "ops": self.ops}
        path = FIXTURES_DIR / filename
        with path.open("w", encoding="utf-8") as fh:
            fh.write("{\n")
            fh.write(f' "source": {json.dumps(self.source)},\n "title": {json.dumps(self.title, ensure_ascii=False)},\n')
            fh.write(' "ops": [\n')
            fh.write(",\n".join("  " + json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in data["ops"]))
            fh.write("\n ]\n}\n")
        return path


def county_dept(gov_name, field):
    return gov_name + v.DEPARTMENT_BY_FIELD.get(field, ("", "综合行政执法局"))[1]


# ------------------------------------------------------------------------------------------------
# 000 Harbin 强区放权
# ------------------------------------------------------------------------------------------------

HARBIN_DISTRICTS = [
    ("230102", "道里区", True), ("230103", "南岗区", False), ("230104", "道外区", True),
    ("230108", "平房区", True), ("230109", "松北区", False), ("230110", "香坊区", False),
    ("230111", "呼兰区", False), ("230112", "阿城区", False), ("230113", "双城区", False),
]
HARBIN_STREETS = {
    "230102": [("230102001", "兆麟街道", "兆麟社区"), ("230102002", "新阳路街道", "安丰社区")],
    "230104": [("230104001", "靖宇街道", "南勋社区"), ("230104002", "太古街道", "太古社区")],
    "230108": [("230108001", "兴建街道", "兴建社区"), ("230108002", "保国街道", "保国社区")],
}
HARBIN_CITY_DEVOLVED = 175
HARBIN_CITY_RETAINED = 380
HARBIN_DISTRICT_OWN = 287 - HARBIN_CITY_DEVOLVED
HARBIN_STAFF_POSTS = 113
HARBIN_STREET_OWN = 38
HARBIN_STREET_RECEIVED = 54 - HARBIN_STREET_OWN
HARBIN_OFFERED = 149  # 端菜: items the city departments offered
HARBIN_REQUESTED = 33  # 点菜: items the districts requested
# The joint review (对接会) kept 7 proposed items at city level (illustrative choice: items touching
# public safety, ecological protection or resource development, the seed's 380 boundary): 5 offered by
# city departments, 2 requested by the districts. (name, category, field, reason). They are among the
# city's 380 retained items.
HARBIN_REJECTED_OFFERED = [
    ("危险化学品经营许可", "licensing", "安全管理",
     "涉及公共安全，危险化学品经营须全市统一监管，经对接会论证由市级行使"),
    ("大型群众性活动安全许可", "licensing", "安全管理",
     "涉及公共安全，大型活动跨区域调度警力，经对接会论证由市级行使"),
    ("辐射安全许可", "licensing", "环境保护",
     "涉及生态环境保护和辐射安全，区级缺少专业监测力量，暂不下放"),
    ("危险废物经营许可", "licensing", "环境保护",
     "涉及生态环境保护，危险废物须全市统筹处置，经对接会论证由市级行使"),
    ("采矿许可证核发", "licensing", "自然资源",
     "涉及资源开发与利用，矿产资源须全市统一规划和出让，由市级行使"),
]
HARBIN_REJECTED_REQUESTED = [
    ("建设项目环境影响评价文件审批", "licensing", "环境保护",
     "涉及生态环境保护，环评审批须按全市环境容量统一把关，由市级行使"),
    ("建设用地审批", "licensing", "自然资源",
     "涉及土地资源开发与利用，建设用地须按全市土地利用总体规划统一审批，由市级行使"),
]
# 点菜 fields: the seed says the districts asked for powers in municipal infrastructure, market access
# and urban planning (基础设施建设 belongs to 市建委, case 001; here 城市管理 stands for it).
HARBIN_REQUESTED_FIELDS = ("市场监管", "规划建设", "城市管理")
HARBIN_POSTS_ITEMS = 13  # staff posts go with the first 13 devolved items (1 per district, 113 in all)
HARBIN_ROLLOUT_FIRST = 120  # devolved items in the first document; the rest in the second

# Demo accounts (ASCII usernames: pinyin of the districts). The password is not in the fixtures: the
# loader takes it from the environment variable DEMO_PASSWORD (default in loader.DEFAULT_DEMO_PASSWORD).
HARBIN_PINYIN = {
    "230102": "daoli", "230103": "nangang", "230104": "daowai", "230108": "pingfang", "230109": "songbei",
    "230110": "xiangfang", "230111": "hulan", "230112": "acheng", "230113": "shuangcheng",
}
CITY_EDITOR, CITY_REVIEWER, CITY_REVIEWER_2 = "harbin-editor", "harbin-reviewer", "harbin-reviewer-2"


def harbin_catalogue():
    """The city's 555 市区共有 application-based items split into (devolved, retained, district_own),
    and the 7 rejected ones (taken from the retained)."""
    pool = [p for p in application_pool(exclude=set(JIANWEI_LICENSING + JIANWEI_CONFIRMATION)) if p[2] != "基础设施建设"]
    devolve_fields = {"投资审批", "规划建设", "市场监管", "城市管理", "公共卫生", "文化教育", "住房保障", "社会保障",
                      "劳动就业", "民政服务"}
    devolved = [p for p in pool if p[2] in devolve_fields][:HARBIN_CITY_DEVOLVED]
    rest = [p for p in pool if p not in devolved]
    retained = rest[:HARBIN_CITY_RETAINED]
    district_own = rest[HARBIN_CITY_RETAINED:HARBIN_CITY_RETAINED + HARBIN_DISTRICT_OWN]
    assert len(devolved) == HARBIN_CITY_DEVOLVED and len(district_own) == HARBIN_DISTRICT_OWN, len(district_own)
    rejected = [(n, cat, f, "offered", r) for n, cat, f, r in HARBIN_REJECTED_OFFERED]
    rejected += [(n, cat, f, "requested", r) for n, cat, f, r in HARBIN_REJECTED_REQUESTED]
    assert all((n, cat, f) in retained for n, cat, f, _, _ in rejected), "rejected items stay in the city's list"
    return devolved, retained, district_own, rejected


def harbin_requested(devolved) -> set[int]:
    """Indexes (in ``devolved``) of the 31 agreed items the districts requested: round-robin over the
    fields the seed names, skipping the items that carry staff posts (those the city offered)."""
    agreed = HARBIN_REQUESTED - len(HARBIN_REJECTED_REQUESTED)
    by_field = {f: [i for i, p in enumerate(devolved) if p[2] == f and i >= HARBIN_POSTS_ITEMS]
                for f in HARBIN_REQUESTED_FIELDS}
    chosen: list[int] = []
    k = 0
    while len(chosen) < agreed:
        field = HARBIN_REQUESTED_FIELDS[k % len(HARBIN_REQUESTED_FIELDS)]
        if by_field[field]:
            chosen.append(by_field[field].pop(0))
        k += 1
    return set(chosen)


def build_harbin() -> Case:
    c = Case("000", "哈尔滨市强区放权改革")
    c.gov("23", "黑龙江省", PROVINCE, kind="省")
    c.gov("2301", "哈尔滨市", CITY, "23", kind="副省级市")
    for code, name, pilot in HARBIN_DISTRICTS:
        c.gov(code, name, COUNTY, "2301", kind="区", tags=["pilot"] if pilot else [])
    for district, streets in HARBIN_STREETS.items():
        for code, name, community in streets:
            c.gov(code, name, TOWNSHIP, district, kind="街道")
            c.gov(code + "001", community, VILLAGE, code, kind="社区")

    # Harbin city's catalogue: application-based powers shared by city and district law (市区共有),
    # 175 to be devolved and 380 kept at city level. 基础设施建设 belongs to 市建委 (case 001).
    devolved, retained, district_own, rejected = harbin_catalogue()
    for name, category, field in retained + devolved:
        dept = c.dept("2301", "哈尔滨市" + v.DEPARTMENT_BY_FIELD[field][0])
        c.item("2301", name, category, field, iso(2015, 12, 31), department=dept, lowest_tier=COUNTY)

    for code, name, pilot in HARBIN_DISTRICTS:
        for item_name, category, field in district_own:
            dept = c.dept(code, county_dept(name, field))
            c.item(code, item_name, category, field, iso(2015, 12, 31), department=dept, lowest_tier=TOWNSHIP)
        if pilot:
            for item_name, category, field in v.STREET_ENFORCEMENT[:HARBIN_STREET_RECEIVED]:
                dept = c.dept(code, name + "城市管理行政执法局")
                c.item(code, item_name, category, field, iso(2015, 12, 31), department=dept, lowest_tier=TOWNSHIP)
    for streets in HARBIN_STREETS.values():
        for scode, sname, _ in streets:
            centre = c.dept(scode, sname + "便民服务中心", kind="service_centre")
            c.dept(scode, sname + "综合执法队", kind="office")
            for item_name, category, field in v.STREET_OWN[:HARBIN_STREET_OWN]:
                c.item(scode, item_name, category, field, iso(2017, 1, 1), department=centre, lowest_tier=TOWNSHIP)

    # Demo accounts: for the city an editor and two reviewers, for each district an editor and a reviewer.
    c.op(op="user", username=CITY_EDITOR, display_name="哈尔滨市编办经办人（示例）",
         memberships=[{"government": "2301", "role": "editor", "include_subtree": False}])
    c.op(op="user", username=CITY_REVIEWER, display_name="哈尔滨市编办审核人（示例）",
         memberships=[{"government": "2301", "role": "reviewer", "include_subtree": False}])
    c.op(op="user", username=CITY_REVIEWER_2, display_name="哈尔滨市编办复核人（示例）",
         memberships=[{"government": "2301", "role": "reviewer", "include_subtree": False}])
    for dcode, dname, _ in HARBIN_DISTRICTS:
        for role, label in (("editor", "经办人"), ("reviewer", "审核人")):
            c.op(op="user", username=f"{HARBIN_PINYIN[dcode]}-{role}", display_name=f"{dname}{label}（示例）",
                 memberships=[{"government": dcode, "role": role, "include_subtree": True}])

    # Two documents (illustrative numbers), opened as draft batches by the city editor: a city
    # government decree and a normative document.
    c.op(op="batch_draft", key="hrb-1", actor=CITY_EDITOR, issuer="2301",
         title="哈尔滨市人民政府关于向区级政府下放部分行政职权事项的决定", number="哈尔滨市人民政府令（示例第1号）",
         round_no=None, effective_on=iso(2017, 3, 1), issued_on=iso(2017, 2, 10))
    c.op(op="batch_draft", key="hrb-2", actor=CITY_EDITOR, issuer="2301",
         title="哈尔滨市人民政府关于进一步向区级政府下放行政职权事项的通知", number="哈政规〔2017〕示例号",
         round_no=None, effective_on=iso(2017, 9, 1), issued_on=iso(2017, 8, 15))

    # The proposals: every item to every district, one transfer each. (item index, name, category,
    # field, origin, batch, staff posts per district, rejection reason or "")
    requested = harbin_requested(devolved)
    proposals = []
    posts_left = HARBIN_STAFF_POSTS
    for i, (name, category, field) in enumerate(devolved):
        batch = "hrb-1" if i < HARBIN_ROLLOUT_FIRST else "hrb-2"
        posts = []
        for _ in HARBIN_DISTRICTS:
            posts.append(1 if posts_left > 0 and i < HARBIN_POSTS_ITEMS else 0)
            posts_left -= posts[-1]
        proposals.append((name, category, field, "requested" if i in requested else "offered", batch, posts, ""))
    assert posts_left == 0
    for name, category, field, origin, reason in rejected:
        batch = "hrb-1" if origin == "offered" else "hrb-2"
        proposals.append((name, category, field, origin, batch, [0] * len(HARBIN_DISTRICTS), reason))
    offered = [p for p in proposals if p[3] == "offered"]
    asked = [p for p in proposals if p[3] == "requested"]
    assert (len(offered), len(asked)) == (HARBIN_OFFERED, HARBIN_REQUESTED), (len(offered), len(asked))

    def key(name, category, dcode):
        return f"hrb:{CODES.code(name, category)}:{dcode}"

    def propose(actor, name, category, field, origin, batch, dcode, dname, posts):
        unit = c.dept(dcode, county_dept(dname, field))
        why = "市级部门梳理提出，区级行使效率更高、更加便民利企" if origin == "offered" else \
            f"{dname}申请市级下放，以支持区级经济发展"
        c.op(op="propose", key=key(name, category, dcode), actor=actor, kind="devolve",
             item=["2301", CODES.code(name, category)], giver="2301", receiver=dcode, batch=batch, method="direct",
             origin=origin, receiving_department=[dcode, unit], staff_posts=posts, reason=why)

    # 端菜: the city editor offers 149 items to each district; 点菜: each district's editor requests 33.
    for name, category, field, origin, batch, posts, _ in offered:
        for (dcode, dname, _), n in zip(HARBIN_DISTRICTS, posts, strict=True):
            propose(CITY_EDITOR, name, category, field, origin, batch, dcode, dname, n)
    for dcode, dname, _ in HARBIN_DISTRICTS:
        for name, category, field, origin, batch, _posts, _ in asked:
            propose(f"{HARBIN_PINYIN[dcode]}-editor", name, category, field, origin, batch, dcode, dname, 0)
    # Every proposal submitted by its author.
    for name, category, _field, _origin, _batch, _posts, _ in offered:
        for dcode, _dname, _ in HARBIN_DISTRICTS:
            c.op(op="submit", proposal=key(name, category, dcode), actor=CITY_EDITOR)
    for dcode, _dname, _ in HARBIN_DISTRICTS:
        for name, category, *_ in asked:
            c.op(op="submit", proposal=key(name, category, dcode), actor=f"{HARBIN_PINYIN[dcode]}-editor")
    # 对接会: the city reviewer rejects the 7 items kept at city level (each district's proposal)...
    for name, category, _field, _origin, _batch, _posts, reason in proposals:
        if reason:
            for dcode, _dname, _ in HARBIN_DISTRICTS:
                c.op(op="reject", proposal=key(name, category, dcode), actor=CITY_REVIEWER, reason=reason)
    # ... approves the rest batch by batch (放得下); each district's reviewer accepts its devolutions of
    # each batch in one action (接得住; each proposal names its receiving unit); the documents take effect.
    for batch in ("hrb-1", "hrb-2"):
        c.op(op="approve_batch", batch=batch, actor=CITY_REVIEWER, comment="经市区对接会逐项论证，市区达成共识")
    for dcode, _dname, _ in HARBIN_DISTRICTS:
        for batch in ("hrb-1", "hrb-2"):
            c.op(op="accept_in_batch", batch=batch, actor=f"{HARBIN_PINYIN[dcode]}-reviewer", government=dcode,
                 receiving_department=None, comment="经对接会确认承接，承接单位已明确")
    for batch in ("hrb-1", "hrb-2"):
        c.op(op="effect_batch", batch=batch, actor=CITY_REVIEWER, comment="以市政府令和规范性文件形式下放至各区")

    # 强街固网: each pilot district hands street enforcement to its streets (entrusted).
    for district, streets in HARBIN_STREETS.items():
        dname = next(n for cd, n, _ in HARBIN_DISTRICTS if cd == district)
        c.batch(f"hrb-street-{district}", district, f"{dname}关于向街道办事处委托行政执法事项的通知", iso(2017, 9, 1))
        for item_name, category, _field in v.STREET_ENFORCEMENT[:HARBIN_STREET_RECEIVED]:
            for scode, sname, _ in streets:
                c.op(op="devolve", item=[district, CODES.code(item_name, category)], giver=district, receiver=scode,
                     batch=f"hrb-street-{district}", method="entrusted", origin="offered",
                     receiving_department=[scode, sname + "综合执法队"], staff_posts=0)
    build_harbin_evaluation(c, devolved)
    return c


HARBIN_SATISFACTION = Decimal("84.92")  # the third-party evaluation's overall satisfaction (seed 000)
HARBIN_EVALUATION_PERIOD = (iso(2017, 9, 1), iso(2018, 8, 31))  # the first year after both documents


def harbin_satisfactions(weights: list[int]) -> list[Decimal]:
    """Satisfaction per (item, district), varied between about 70% and 99%, whose average weighted by
    cases handled is the seed's 84.92%: the figure is then an aggregate the product computes."""
    values = [Decimal(7000 + (k * 7919) % 2900) / 100 for k in range(len(weights))]
    total = sum(weights)
    offset = ((HARBIN_SATISFACTION * total - sum(v * w for v, w in zip(values, weights, strict=True))) / total)
    values = [min(Decimal(100), max(Decimal(0), (v + offset).quantize(Decimal("0.01")))) for v in values]
    residual = HARBIN_SATISFACTION * total - sum(v * w for v, w in zip(values, weights, strict=True))
    values[-1] = (values[-1] + residual / weights[-1]).quantize(Decimal("0.01"))
    mean = (sum(v * w for v, w in zip(values, weights, strict=True)) / total).quantize(Decimal("0.01"))
    assert mean == HARBIN_SATISFACTION and all(0 <= v <= 100 for v in values), mean
    return values


def build_harbin_evaluation(c: Case, devolved):
    """The third-party evaluation of the devolved powers: evidence for each of the 175 powers in each
    of the 9 districts, recorded by the city, and a round over the city run on it."""
    pairs = [(name, category, dcode) for dcode, _dname, _ in HARBIN_DISTRICTS for name, category, _ in devolved]
    cases = [12 + (k * 53) % 240 for k in range(len(pairs))]
    satisfaction = harbin_satisfactions(cases)
    for dcode, _dname, _ in HARBIN_DISTRICTS:
        rows = []
        for k, (name, category, code) in enumerate(pairs):
            if code != dcode:
                continue
            statutory, promised = days(category)
            limit = promised or statutory
            average = f"{limit * (35 + k % 70) / 100:.2f}" if limit else f"{1 + k % 6}.00"
            rows.append(["2301", CODES.code(name, category), dcode, *HARBIN_EVALUATION_PERIOD, cases[k], average,
                         str(satisfaction[k]), k % 4, True, True, "adequate"])
        c.op(op="evidence", actor=CITY_EDITOR, rows=rows)
    c.op(op="evaluation_round", key="harbin", actor=CITY_EDITOR, scope="2301",
         name="哈尔滨市强区放权下放事权第三方评估", period_start=HARBIN_EVALUATION_PERIOD[0],
         period_end=HARBIN_EVALUATION_PERIOD[1])


# ------------------------------------------------------------------------------------------------
# 001 Harbin 大处室: 市建委
# ------------------------------------------------------------------------------------------------

JIANWEI = "哈尔滨市城乡建设委员会"
JIANWEI_DIVISIONS = [
    ("办公室", "内部综合"), ("统筹发展处", "内部综合"), ("人事处", "内部综合"), ("法制处", "内部综合"),
    ("建筑业管理处", "建筑行业监管"), ("行政审批办公室", "建筑行业监管"), ("质量安全监管处", "建筑行业监管"),
    ("房地产开发和住宅建设处", "建筑行业监管"),
    ("城市建设管理处", "城市建设管理"), ("城市管线统筹管理办公室", "城市建设管理"), ("村镇建设处", "城市建设管理"),
    ("重点工程协调推进处", "工程项目建设"), ("工程招投标管理处", "工程项目建设"),
    ("地震监测预报处", "地震监测防御"), ("震害防御处", "地震监测防御"),
]
SUBJECT_DIVISION = {
    "建设单位": "质量安全监管处", "施工单位": "质量安全监管处", "勘察单位": "建筑业管理处", "设计单位": "建筑业管理处",
    "工程监理单位": "建筑业管理处", "房地产开发企业": "房地产开发和住宅建设处", "物业服务企业": "房地产开发和住宅建设处",
    "燃气经营企业": "城市建设管理处", "供热单位": "城市建设管理处", "工程造价咨询企业": "工程招投标管理处",
    "建设工程质量检测机构": "质量安全监管处", "预拌混凝土生产企业": "建筑业管理处",
}
INSPECTION_DIVISION = {
    "建设工程招标投标活动": "工程招投标管理处", "工程造价咨询活动": "工程招投标管理处", "地下管线工程": "城市管线统筹管理办公室",
    "城市地下综合管廊": "城市管线统筹管理办公室", "海绵城市建设": "城市管线统筹管理办公室", "抗震设防": "震害防御处",
    "地震监测设施": "地震监测预报处", "城镇燃气安全": "城市建设管理处", "城市供热": "城市建设管理处",
    "房地产开发经营": "房地产开发和住宅建设处", "物业服务活动": "房地产开发和住宅建设处",
}
JIANWEI_LICENSING = ["建筑工程施工许可证核发", "商品房预售许可", "燃气经营许可", "城市排水许可", "城镇污水排入排水管网许可",
                     "建设工程消防设计审查", "建设工程消防验收", "市政设施建设类审批"]
JIANWEI_CONFIRMATION = ["建设工程质量监督注册", "建设工程安全监督注册", "房屋建筑工程竣工验收备案", "市政工程招标投标备案"]


def build_jianwei() -> Case:
    c = Case("001", "哈尔滨市“大处室”改革：市建委权责清单分解到处室")
    dept = c.dept("2301", JIANWEI)
    for name, module in JIANWEI_DIVISIONS:
        c.op(op="division", government="2301", department=dept, name=name, module=module)
    rows = []  # (name, category, field, division)
    licensing = [n + s for n in JIANWEI_LICENSING for s in v.VARIANTS["licensing"][1:]]
    rows += [(n, "licensing", "规划建设", "行政审批办公室") for n in licensing]
    for subject in v.CONSTRUCTION_SUBJECTS:
        for violation in v.CONSTRUCTION_VIOLATIONS:
            rows.append((f"对{subject}{violation}的处罚", "penalty", "规划建设", SUBJECT_DIVISION[subject]))
    for subject in v.CONSTRUCTION_SUBJECTS:
        for what in ("资质条件的动态核查", "安全生产条件的监督检查", "执行工程建设强制性标准情况的监督检查"):
            rows.append((f"对{subject}{what}", "inspection", "规划建设", SUBJECT_DIVISION[subject]))
    for what in v.CONSTRUCTION_INSPECTIONS:
        rows.append((f"对{what}的监督检查", "inspection", "规划建设", INSPECTION_DIVISION.get(what, "质量安全监管处")))
    rows += [(n, "coercion", "规划建设", "质量安全监管处") for n in v.CONSTRUCTION_COERCIONS]
    for n in v.CONSTRUCTION_OTHERS:
        division = "震害防御处" if "地震" in n or "抗震" in n else (
            "城市管线统筹管理办公室" if "管线" in n else ("统筹发展处" if "基金" in n else "建筑业管理处"))
        rows.append((n, "other", "规划建设", division))
    for base in JIANWEI_CONFIRMATION:
        division = "工程招投标管理处" if "招标" in base else "质量安全监管处"
        rows += [(base + s, "confirmation", "基础设施建设", division) for s in v.VARIANTS["confirmation"][1:]]
    rows += [("城市基础设施配套费征收" + s, "levy", "基础设施建设", "统筹发展处") for s in v.VARIANTS["levy"]]
    rows += [(n, "reward", "规划建设", "人事处") for n in ("建设工程优质工程评选表彰", "建筑业先进企业表彰", "防震减灾工作表彰")]
    rows += [(n, "adjudication", "规划建设", "法制处") for n in ("国有土地上房屋征收补偿决定", "物业专项维修资金使用争议处理",
                                                           "建设工程造价计价争议调解")]
    rows += [(n, "public_service", "规划建设", d) for n, d in (
        ("城建档案查询利用", "办公室"), ("城乡建设政策咨询", "办公室"), ("建设工程信息公开", "办公室"),
        ("重点工程建设进度公开", "重点工程协调推进处"), ("地震速报信息发布", "地震监测预报处"),
        ("防震减灾知识宣传", "震害防御处"), ("应急避难场所信息公开", "震害防御处"), ("城市管线信息查询", "城市管线统筹管理办公室"),
        ("村镇建设技术指导", "村镇建设处"), ("住宅产业化技术推广", "房地产开发和住宅建设处"),
    )]
    target = 339
    assert len(rows) >= target, len(rows)
    # Keep every category; trim penalties to the count the seed reports.
    surplus = len(rows) - target
    penalties = [r for r in rows if r[1] == "penalty"]
    drop = set(map(id, penalties[len(penalties) - surplus:])) if surplus else set()
    rows = [r for r in rows if id(r) not in drop]
    for name, category, field, division in rows:
        c.item("2301", name, category, field, iso(2015, 12, 31), department=dept, division=division, lowest_tier=CITY)
    return c


# ------------------------------------------------------------------------------------------------
# 002 Weifang Kuiwen 扩权强街
# ------------------------------------------------------------------------------------------------

KUIWEN_FIELDS = ["规划建设", "环境保护", "市场监管", "安全管理", "城市管理", "公共卫生", "文化教育", "住房保障", "社会保障",
                 "劳动就业", "民政服务", "林业", "农业农村", "水利", "自然资源", "投资审批"]
KUIWEN_EXTRA_FIELDS = ["交通运输", "财政政策"]


def build_kuiwen() -> Case:
    c = Case("002", "潍坊市奎文区大虞街道“扩权强街”")
    c.gov("37", "山东省", PROVINCE, kind="省")
    c.gov("3707", "潍坊市", CITY, "37", kind="地级市")
    c.gov("370705", "奎文区", COUNTY, "3707", kind="区")
    for code, name in (("370705001", "东关街道"), ("370705002", "大虞街道"), ("370705003", "梨园街道"),
                       ("370705004", "廿里堡街道"), ("370705005", "潍州路街道")):
        c.gov(code, name, TOWNSHIP, "370705", kind="街道", tags=["pilot"] if name == "大虞街道" else [])
    dayu = "370705002"
    centre = c.dept(dayu, "大虞街道便民服务中心", kind="service_centre")
    livelihood = c.dept(dayu, "大虞街道民生保障服务中心", kind="office")
    grid = c.dept(dayu, "大虞街道网格化综合管理中心", kind="office")
    c.dept(dayu, "大虞街道社区党建办公室", kind="office")
    market = c.dept("370705", county_dept("奎文区", "市场监管"))
    env = c.dept("370705", county_dept("奎文区", "环境保护"))
    agencies = {
        "市场监管": c.dept(dayu, "奎文区市场监督管理局大虞市场监管所", kind="stationed_agency", upper=["370705", market]),
        "环境保护": c.dept(dayu, "奎文区环境保护局大虞环保所", kind="stationed_agency", upper=["370705", env]),
    }

    pool = application_pool()
    by_field: dict[str, list] = {}
    for entry in pool:
        by_field.setdefault(entry[2], []).append(entry)
    seed_items = [("林木采伐", "licensing", "林业"), ("建筑报批", "licensing", "规划建设")]
    survivors = list(seed_items)
    i = 0
    while len(survivors) < 66:  # round-robin over the 16 fields so that every one keeps a power
        field = KUIWEN_FIELDS[i % len(KUIWEN_FIELDS)]
        for entry in by_field[field]:
            if entry not in survivors:
                survivors.append(entry)
                break
        i += 1
    removed = []
    fields = KUIWEN_FIELDS + KUIWEN_EXTRA_FIELDS
    i = 0
    while len(removed) < 62:
        field = fields[i % len(fields)]
        for entry in by_field[field]:
            if entry not in survivors and entry not in removed:
                removed.append(entry)
                break
        i += 1
    retained = [e for e in pool if e not in survivors and e not in removed][:20]
    # Survivors and removed interleaved across the two batches (76 + 52 = 128).
    devolved = []
    for k in range(max(len(survivors), len(removed))):
        if k < len(survivors):
            devolved.append(("keep", survivors[k]))
        if k < len(removed):
            devolved.append(("cancel" if k % 9 < 5 else "recall", removed[k]))
    assert len(devolved) == 128

    for name, category, field in [e for _, e in devolved] + retained:
        promised = 5 if name in ("林木采伐", "建筑报批") else None
        c.item("370705", name, category, field, iso(2016, 1, 1), department=c.dept("370705", county_dept("奎文区", field)),
               lowest_tier=TOWNSHIP, promised=promised)
    c.batch("kw-1", "370705", "奎文区人民政府关于向大虞街道下放第一批区级管理权限的通知", iso(2016, 7, 1),
            number="奎政字〔2016〕示例号")
    c.batch("kw-2", "370705", "奎文区人民政府关于向大虞街道下放第二批区级管理权限的通知", iso(2017, 5, 1),
            number="奎政字〔2017〕示例号")
    staff_sent_fields = {"自然资源", "水利"}
    for k, (_fate, (name, category, field)) in enumerate(devolved):
        code = CODES.code(name, category)
        if field in agencies:
            method, dept = "stationed_agency", agencies[field]
        elif field in staff_sent_fields:
            # 派员办理: the 奎文区 department keeps the power and sends staff to the street.
            c.op(op="devolve", item=["370705", code], giver="370705", receiver=dayu,
                 batch="kw-1" if k < 76 else "kw-2", method="staff_sent", origin="offered",
                 receiving_department=["370705", county_dept("奎文区", field)], staff_posts=0)
            continue
        else:
            method = "entrusted"
            dept = livelihood if field in ("社会保障", "劳动就业", "民政服务", "住房保障", "公共卫生") else (
                grid if field in ("城市管理", "安全管理") else centre)
        c.op(op="devolve", item=["370705", code], giver="370705", receiver=dayu, batch="kw-1" if k < 76 else "kw-2",
             method=method, origin="offered", receiving_department=[dayu, dept], staff_posts=0)
    # Processing time cut from 5 to 2 working days once devolved (林木采伐、建筑报批).
    for name, category, _ in seed_items:
        c.op(op="adjust", item=["370705", CODES.code(name, category)], effective_on=iso(2016, 8, 1),
             changes={"promised_days": 2}, reason="下放大虞街道后承诺时限由5个工作日压缩至2个工作日")
    # After institutional reform and streamlining: cancelled or taken back; some adjusted.
    c.batch("kw-3", "370705", "奎文区关于调整下放大虞街道权力事项的通知", iso(2019, 3, 1), number="奎政字〔2019〕示例号")
    for fate, (name, category, _) in devolved:
        code = CODES.code(name, category)
        if fate == "cancel":
            c.op(op="cancel", item=["370705", code], batch="kw-3", reason="简政放权，该事项已取消")
        elif fate == "recall":
            c.op(op="recall", item=["370705", code], giver="370705", receiver=dayu, batch="kw-3", origin="reform",
                 reason="机构改革后调整由区级部门行使")
    for name, category, field in survivors[2:10]:
        c.op(op="adjust", item=["370705", CODES.code(name, category)], batch="kw-3",
             changes={"legal_basis": v.LAWS.get(field, "") + "（机构改革后依据更新）"}, reason="机构改革后实施依据调整")

    # Dayu's own lists: 64 power items carrying 94 responsibility items.
    own = (v.STREET_OWN + v.STREET_ENFORCEMENT)[:64]
    for k, (name, category, field) in enumerate(own):
        resp = responsibilities(category)[:2] if k < 30 else responsibilities(category)[:1]
        c.item(dayu, name, category, field, iso(2017, 1, 1), department=grid if category in (
            "penalty", "inspection", "coercion") else centre, lowest_tier=TOWNSHIP, resp=resp)
    return c


# ------------------------------------------------------------------------------------------------
# 003 Linyi Lanshan 1+X
# ------------------------------------------------------------------------------------------------

LANSHAN_UNITS = [
    ("371302001", "兰山街道", "街道", "service"), ("371302002", "银雀山街道", "街道", "service"),
    ("371302003", "金雀山街道", "街道", "service"), ("371302004", "柳青街道", "街道", "service"),
    ("371302101", "白沙埠镇", "镇", "industry"), ("371302102", "义堂镇", "镇", "industry"),
    ("371302103", "半程镇", "镇", "industry"), ("371302104", "枣园镇", "镇", "agriculture"),
    ("371302105", "李官镇", "镇", "agriculture"), ("371302106", "方城镇", "镇", "agriculture"),
    ("371302107", "汪沟镇", "镇", "agriculture"), ("371302400", "山东兰山经济开发区", "开发区", "industry"),
]
LANSHAN_CORE = [
    ("全域发展规划编制", "other", "规划建设"), ("产业布局统筹", "other", "投资审批"), ("片区开发", "other", "规划建设"),
    ("项目审批（联合审批）", "licensing", "投资审批"), ("土地利用总体规划编制", "other", "自然资源"),
    ("招商引资项目入园审核", "other", "投资审批"), ("棚户区改造", "other", "住房保障"),
    ("旧城旧村征收征地", "other", "自然资源"), ("城乡建设用地增减挂钩", "other", "自然资源"),
    ("政府投资项目建设管理", "other", "基础设施建设"),
]
LANSHAN_SHARED = [
    ("城管执法", "penalty", "城市管理", 64), ("道路维护", "public_service", "基础设施建设", 52),
    ("城乡环卫一体化", "public_service", "城市管理", 40), ("违法建设治理", "coercion", "规划建设", 64),
    ("生态环境保护督察整改", "inspection", "环境保护", 52), ("安全生产监管", "inspection", "安全管理", 64),
    ("河道管理", "other", "水利", 52), ("森林防火", "other", "林业", 40), ("农村公路养护", "public_service", "交通运输", 52),
    ("城市绿化养护", "public_service", "城市管理", 40), ("市政设施维护", "public_service", "基础设施建设", 52),
    ("防汛抗旱", "other", "应急管理", 64), ("信访维稳", "other", "社会治安", 76), ("食品安全监管", "inspection", "市场监管", 64),
    ("散乱污企业整治", "inspection", "环境保护", 52), ("秸秆禁烧", "inspection", "环境保护", 40),
    ("农村饮水安全", "public_service", "水利", 52), ("物业服务监管", "inspection", "住房保障", 64),
]


def build_lanshan() -> Case:
    c = Case("003", "临沂市兰山区“1+X”事权改革")
    c.gov("3713", "临沂市", CITY, "37", kind="地级市")
    c.gov("371302", "兰山区", COUNTY, "3713", kind="区")
    centres = {}
    for code, name, kind, atype in LANSHAN_UNITS:
        c.gov(code, name, TOWNSHIP, "371302", kind=kind, assessment_type=atype)
        centres[code] = c.dept(code, name + "便民服务中心", kind="service_centre")
    start = iso(2018, 1, 1)
    for name, category, field in LANSHAN_CORE:
        c.item("371302", name, category, field, start, department=c.dept("371302", county_dept("兰山区", field)),
               is_core=True, lowest_tier=COUNTY)
    for name, category, field, _ in LANSHAN_SHARED:
        c.item("371302", name, category, field, start, department=c.dept("371302", county_dept("兰山区", field)),
               lowest_tier=TOWNSHIP)
    seed_devolved = [("工商登记", "confirmation", "市场监管"), ("食品经营许可", "licensing", "市场监管"),
                     ("卫生许可", "licensing", "公共卫生")]
    pool = application_pool(exclude={n for n, _, _ in seed_devolved})
    devolved = seed_devolved + [p for p in pool if not any(s in p[0] for s in ("建设用地", "采矿", "辐射"))][:51]
    for name, category, field in devolved:
        c.item("371302", name, category, field, start, department=c.dept("371302", county_dept("兰山区", field)),
               lowest_tier=TOWNSHIP)
    c.batch("ls-shared", "371302", "兰山区区镇共有重要事权清单（第一批）", iso(2019, 7, 1), number="兰政发〔2019〕示例号")
    c.batch("ls-devolved", "371302", "兰山区区级调整下放事权清单", iso(2019, 7, 1), number="兰政发〔2019〕示例号之二")
    for name, category, field, district_share in LANSHAN_SHARED:
        town_share = (100 - district_share) // len(LANSHAN_UNITS)
        assert district_share + town_share * len(LANSHAN_UNITS) == 100
        parties = [{"government": "371302", "role": "lead", "fiscal_share": str(district_share),
                    "department": ["371302", county_dept("兰山区", field)]}]
        parties += [{"government": code, "role": "support", "fiscal_share": str(town_share), "department": None}
                    for code, *_ in LANSHAN_UNITS]
        c.op(op="share", item=["371302", CODES.code(name, category)], sharer="371302", batch="ls-shared",
             parties=parties, origin="reform")
    for name, category, _ in devolved:
        for code, *_ in LANSHAN_UNITS:
            c.op(op="devolve", item=["371302", CODES.code(name, category)], giver="371302", receiver=code,
                 batch="ls-devolved", method="direct", origin="reform", receiving_department=[code, centres[code]],
                 staff_posts=0)
    build_lanshan_evaluation(c, devolved)
    return c


LANSHAN_EDITOR = "lanshan-editor"
LANSHAN_EVALUATION_PERIOD = (iso(2019, 7, 1), iso(2020, 6, 30))


def lanshan_condition(assessment_type: str, field: str, k: int) -> str:
    """How a devolved power runs depends on the town's economy (差异化考核): investment and market
    powers are little used in agricultural towns, and some run slowly in industrial ones."""
    if assessment_type == "agriculture":
        if field in ("投资审批", "市场监管") and k % 3 == 0:
            return "no_cases"
        if k % 7 == 3:
            return "low_satisfaction"
        return "few" if k % 5 == 1 else "good"
    if assessment_type == "industry":
        if k % 9 == 4:
            return "slow"
        return "no_qualified_staff" if k % 17 == 8 else "good"
    return "few" if field == "投资审批" and k % 2 else "good"


def build_lanshan_evaluation(c: Case, devolved):
    """Evidence for the 54 devolved powers in each of the 12 towns, streets and zone, and a round over
    兰山区 whose report compares the three assessment types."""
    c.op(op="user", username=LANSHAN_EDITOR, display_name="兰山区编办经办人（示例）",
         memberships=[{"government": "371302", "role": "editor", "include_subtree": False}])
    for code, _name, _kind, atype in LANSHAN_UNITS:
        evidence_op(c, LANSHAN_EDITOR, "371302", code, LANSHAN_EVALUATION_PERIOD, devolved,
                    [lanshan_condition(atype, field, k) for k, (_n, _c, field) in enumerate(devolved)])
    c.op(op="evaluation_round", key="lanshan", actor=LANSHAN_EDITOR, scope="371302",
         name="兰山区下放事权运行评估（2019—2020）", period_start=LANSHAN_EVALUATION_PERIOD[0],
         period_end=LANSHAN_EVALUATION_PERIOD[1])


# ------------------------------------------------------------------------------------------------
# 004 Hubei 经济发达镇
# ------------------------------------------------------------------------------------------------

HUBEI_CITIES = [
    ("4202", "黄石市"), ("4203", "十堰市"), ("4205", "宜昌市"), ("4206", "襄阳市"), ("4207", "鄂州市"), ("4208", "荆门市"),
    ("4209", "孝感市"), ("4210", "荆州市"), ("4211", "黄冈市"), ("4212", "咸宁市"), ("4213", "随州市"),
    ("4228", "恩施土家族苗族自治州"),
]
# (city or None for a county directly under the province, county code, county, kind, town code, town,
#  national?, 镇区合一 alias)
HUBEI_TOWNS = [
    ("4205", "420506", "夷陵区", "区", "420506103", "龙泉镇", True, ""),
    ("4209", "420984", "汉川市", "县级市", "420984104", "马口镇", True, ""),
    ("4206", "420683", "枣阳市", "县级市", "420683104", "吴店镇", False, "湖北枣阳吴店经济开发区"),
    ("4211", "421127", "黄梅县", "县", "421127103", "小池镇", False, ""),
    ("4202", "420281", "大冶市", "县级市", "420281106", "还地桥镇", False, "湖北大冶还地桥经济开发区"),
    ("4202", "420222", "阳新县", "县", "420222108", "富池镇", False, ""),
    ("4203", "420381", "丹江口市", "县级市", "420381105", "六里坪镇", False, "湖北丹江口六里坪经济开发区"),
    ("4203", "420304", "郧阳区", "区", "420304103", "茶店镇", False, ""),
    ("4205", "420581", "宜都市", "县级市", "420581103", "枝城镇", False, "湖北宜都枝城经济开发区"),
    ("4205", "420583", "枝江市", "县级市", "420583103", "董市镇", False, ""),
    ("4205", "420582", "当阳市", "县级市", "420582104", "河溶镇", False, ""),
    ("4206", "420625", "谷城县", "县", "420625101", "石花镇", False, "湖北谷城石花经济开发区"),
    ("4206", "420682", "老河口市", "县级市", "420682103", "孟楼镇", False, ""),
    ("4206", "420684", "宜城市", "县级市", "420684104", "小河镇", False, ""),
    ("4210", "421023", "监利县", "县", "421023105", "新沟镇", False, ""),
    ("4210", "421087", "松滋市", "县级市", "421087106", "陈店镇", False, ""),
    ("4210", "421083", "洪湖市", "县级市", "421083104", "峰口镇", False, ""),
    ("4208", "420881", "钟祥市", "县级市", "420881105", "胡集镇", False, "湖北钟祥胡集经济开发区"),
    ("4208", "420821", "京山县", "县", "420821100", "新市镇", False, ""),
    ("4208", "420822", "沙洋县", "县", "420822104", "后港镇", False, "湖北沙洋后港经济开发区"),
    ("4209", "420981", "应城市", "县级市", "420981106", "杨河镇", False, ""),
    ("4209", "420982", "安陆市", "县级市", "420982103", "烟店镇", False, ""),
    ("4207", "420703", "华容区", "区", "420703102", "葛店镇", False, "湖北葛店经济开发区"),
    ("4212", "421221", "嘉鱼县", "县", "421221104", "潘家湾镇", False, ""),
    ("4212", "421281", "赤壁市", "县级市", "421281105", "赵李桥镇", False, ""),
    ("4211", "421182", "武穴市", "县级市", "421182103", "梅川镇", False, "湖北武穴梅川经济开发区"),
    ("4211", "421181", "麻城市", "县级市", "421181105", "白果镇", False, ""),
    ("4213", "421303", "曾都区", "区", "421303103", "淅河镇", False, ""),
    ("4213", "421381", "广水市", "县级市", "421381105", "杨寨镇", False, ""),
    ("4228", "422802", "利川市", "县级市", "422802104", "汪营镇", False, ""),
    (None, "429004", "仙桃市", "省直管县级市", "429004103", "彭场镇", False, "湖北仙桃彭场经济开发区"),
    (None, "429006", "天门市", "省直管县级市", "429006102", "岳口镇", False, "湖北天门岳口经济开发区"),
    (None, "429005", "潜江市", "省直管县级市", "429005104", "熊口镇", False, ""),
]
HUBEI_FIRST_BATCH_TOTAL = 1977
XIAOCHI_FIRST = 166
MAKOU_SEED = [("企业投资项目核准、备案", "licensing", "投资审批"), ("技术改造项目核准", "licensing", "投资审批"),
              ("企业集中提取技术开发费审批", "licensing", "投资审批")]
TOWN_OFFICES = [("便民服务中心", "service_centre"), ("经济发展办公室", "office"), ("社会事务办公室", "office"),
                ("综合执法局", "office")]


def town_office(category, field):
    if field in ("投资审批", "财政政策"):
        return "经济发展办公室"
    if category in ("licensing", "confirmation", "levy"):
        return "便民服务中心"
    if category in ("benefit", "public_service", "reward"):
        return "社会事务办公室"
    return "综合执法局"


def build_hubei() -> Case:
    c = Case("004", "湖北省经济发达镇行政管理体制改革试点")
    c.gov("42", "湖北省", PROVINCE, kind="省")
    for code, name in HUBEI_CITIES:
        c.gov(code, name, CITY, "42", kind="自治州" if name.endswith("州") else "地级市")
    for city, ccode, cname, ckind, tcode, tname, national, alias in HUBEI_TOWNS:
        c.gov(ccode, cname, COUNTY, city or "42", kind=ckind)
        tags = ["pilot", "national-pilot" if national else "provincial-pilot"]
        c.gov(tcode, tname, TOWNSHIP, ccode, kind="镇", aliases=[alias] if alias else [], tags=tags)
        for office, kind in TOWN_OFFICES:
            c.dept(tcode, tname + office, kind=kind)

    # Items per town in the first batch: 小池镇 166, the other 32 sharing the rest of 1,977.
    others = len(HUBEI_TOWNS) - 1
    rest = HUBEI_FIRST_BATCH_TOTAL - XIAOCHI_FIRST
    base, extra = divmod(rest, others)
    spread = [base + (1 if k < extra else 0) for k in range(others)]
    # vary sizes (±k) while keeping the sum
    for k in range(0, others - 1, 2):
        delta = (k * 7) % 19
        spread[k] += delta
        spread[k + 1] -= delta
    sizes = {}
    k = 0
    for row in HUBEI_TOWNS:
        if row[5] == "小池镇":
            sizes[row[4]] = XIAOCHI_FIRST
        else:
            sizes[row[4]] = spread[k]
            k += 1
    assert sum(sizes.values()) == HUBEI_FIRST_BATCH_TOTAL

    pool = application_pool(exclude={n for n, _, _ in MAKOU_SEED})
    towns = {}
    xiaochi = ([], [])
    huangmei_new = 9  # powers first devolved in the rounds of adjustment (应放未放)
    for n, (_city, ccode, cname, _k, tcode, tname, _nat, _al) in enumerate(HUBEI_TOWNS):
        size = sizes[tcode]
        chosen = list(MAKOU_SEED) if tname == "马口镇" else []
        offset = (n * 37) % len(pool)
        rotated = pool[offset:] + pool[:offset]
        chosen += [p for p in rotated if p not in chosen][: size - len(chosen)]
        later = rotated[size:size + huangmei_new] if tname == "小池镇" else []
        for name, category, field in chosen + later:
            c.item(ccode, name, category, field, iso(2012, 12, 31), department=c.dept(ccode, county_dept(cname, field)),
                   lowest_tier=TOWNSHIP)
        effective = iso(2013, 3 + n % 9, 1)
        c.batch(f"hb-{ccode}-1", ccode, f"{cname}人民政府关于向{tname}下放第一批县级管理权限的通知", effective,
                number=f"{cname[:2]}政发〔2013〕示例号")
        for name, category, field in chosen:
            c.op(op="devolve", item=[ccode, CODES.code(name, category)], giver=ccode, receiver=tcode,
                 batch=f"hb-{ccode}-1", method="entrusted" if category == "penalty" else "direct", origin="requested",
                 receiving_department=[tcode, tname + town_office(category, field)], staff_posts=0)
        towns[tcode] = chosen
        if tname == "小池镇":
            xiaochi = (chosen, later)
    build_hubei_evaluation(c, towns, *xiaochi)
    return c


# The evaluation (评估) of case 004: the rules of the product classify each devolved power from the
# evidence below; nothing here names a category. Evidence is illustrative; which powers run badly is
# chosen so that the three rounds of 黄梅县 take 小池镇 from 166 to 120 powers.
HUBEI_P1 = (iso(2013, 7, 1), iso(2015, 6, 30))  # two years after the first batch
HUBEI_P2 = (iso(2015, 7, 1), iso(2015, 12, 31))
HUBEI_P3 = (iso(2016, 1, 1), iso(2016, 6, 30))
HUBEI_EDITOR, HUBEI_REVIEWER = "hubei-editor", "hubei-reviewer"
HUANGMEI_EDITOR, HUANGMEI_REVIEWER = "huangmei-editor", "huangmei-reviewer"
XIAOCHI_EDITOR, XIAOCHI_REVIEWER = "xiaochi-editor", "xiaochi-reviewer"
# (round, follow-up date, powers running badly, powers requested and approved but never devolved,
#  powers cancelled by the county, adjustments)
HUANGMEI_ROUNDS = [
    (1, iso(2015, 9, 1), HUBEI_P1, 28, 6, 0, 0),
    (2, iso(2016, 3, 1), HUBEI_P2, 18, 0, 4, 0),
    (3, iso(2016, 9, 1), HUBEI_P3, 5, 3, 0, 2),
]
BAD_CONDITIONS = ("no_legal_standing", "no_cases", "low_satisfaction", "no_qualified_staff", "slow", "no_cases",
                  "low_satisfaction")


def evidence_values(category: str, condition: str, h: int) -> list:
    """(cases, average days, satisfaction, complaints, unit named, staffed, capacity) for one power in
    one condition; ``h`` varies the figures deterministically."""
    statutory, promised = days(category)
    limit = promised or statutory
    good_days = f"{max(1, limit) * (40 + h % 40) / 100:.2f}" if limit else f"{2 + h % 5}.00"
    cases = 20 + (h * 37) % 180
    satisfaction = f"{86 + (h * 53) % 1300 / 100:.2f}"
    row = [cases, good_days, satisfaction, h % 3, True, True, "adequate"]
    if condition == "few":
        row[0] = 1 + h % 8
    elif condition == "no_cases":
        row[:3] = [0, None, None]
    elif condition == "low_satisfaction" or (condition == "slow" and not statutory):
        row[2] = f"{60 + (h * 29) % 1990 / 100:.2f}"
        row[3] = 3 + h % 9
    elif condition == "slow":
        row[1] = f"{statutory * (120 + h % 60) / 100:.2f}"
        row[3] = 2 + h % 5
    elif condition in ("no_legal_standing", "no_qualified_staff"):
        row[6] = condition
        row[5] = condition != "no_qualified_staff"
    elif condition == "no_unit":
        row[4] = False
    return row


def hubei_condition(k: int) -> str:
    """The other pilot towns: most powers run well; a few of each kind do not."""
    for modulus, remainder, condition in ((31, 4, "no_legal_standing"), (37, 9, "no_qualified_staff"),
                                          (19, 6, "no_cases"), (17, 2, "low_satisfaction"), (23, 13, "slow"),
                                          (29, 20, "no_unit"), (11, 7, "few")):
        if k % modulus == remainder:
            return condition
    return "good"


def evidence_op(c: Case, actor: str, item_gov: str, town: str, period, powers, conditions):
    rows = []
    for k, ((name, category, _field), condition) in enumerate(zip(powers, conditions, strict=True)):
        h = int(town[-4:]) * 7 + k * 13 + int(period[0][:4])
        rows.append([item_gov, CODES.code(name, category), town, period[0], period[1],
                     *evidence_values(category, condition, h)])
    c.op(op="evidence", actor=actor, rows=rows)


def build_hubei_evaluation(c: Case, towns: dict, xiaochi_first, xiaochi_later):
    """Evidence for every pilot town, a province-wide round over the pilots (left for a reviewer to
    confirm), then 黄梅县's three rounds for 小池镇 carried through the workflow."""
    c.op(op="user", username=HUBEI_EDITOR, display_name="湖北省编办经办人（示例）",
         memberships=[{"government": "42", "role": "editor", "include_subtree": True}])
    c.op(op="user", username=HUBEI_REVIEWER, display_name="湖北省编办审核人（示例）",
         memberships=[{"government": "42", "role": "reviewer", "include_subtree": True}])
    for username, display, government, role in (
            (HUANGMEI_EDITOR, "黄梅县编办经办人（示例）", "421127", "editor"),
            (HUANGMEI_REVIEWER, "黄梅县编办审核人（示例）", "421127", "reviewer"),
            (XIAOCHI_EDITOR, "小池镇经办人（示例）", "421127103", "editor"),
            (XIAOCHI_REVIEWER, "小池镇审核人（示例）", "421127103", "reviewer")):
        c.op(op="user", username=username, display_name=display,
             memberships=[{"government": government, "role": role, "include_subtree": False}])

    # The rounds' plan for 小池镇: which first-batch powers run badly in which round.
    remaining = list(xiaochi_first)
    bad_in: dict[int, list] = {}
    cancelled, adjusted = [], []
    for round_no, _date, _period, bad, _new, cancels, adjusts in HUANGMEI_ROUNDS:
        bad_in[round_no] = remaining[-bad:]
        remaining = remaining[:-bad]
        if cancels:
            cancelled = remaining[-cancels:]
            remaining = remaining[:-cancels]
        if adjusts:
            adjusted = remaining[:adjusts]
    new_in = {}
    later = list(xiaochi_later)
    for round_no, _date, _period, _bad, new, _cancels, _adjusts in HUANGMEI_ROUNDS:
        new_in[round_no], later = later[:new], later[new:]

    # Period 1 evidence for every pilot town.
    for _city, ccode, _cname, _k, tcode, tname, _nat, _al in HUBEI_TOWNS:
        powers = towns[tcode]
        if tname == "小池镇":
            conditions = [BAD_CONDITIONS[k % len(BAD_CONDITIONS)] if p in bad_in[1] else
                          ("few" if k % 11 == 7 else "good") for k, p in enumerate(powers)]
            evidence_op(c, HUANGMEI_EDITOR, ccode, tcode, HUBEI_P1, powers, conditions)
        else:
            evidence_op(c, HUBEI_EDITOR, ccode, tcode, HUBEI_P1, powers,
                        [hubei_condition(k) for k in range(len(powers))])

    county, town = "421127", "421127103"
    dept = "小池镇便民服务中心"
    requests = {}

    def request(round_no, effective_on):
        for name, category, field in new_in[round_no]:
            key = f"xc-request-{CODES.code(name, category)}"
            requests.setdefault(round_no, []).append(key)
            c.op(op="propose", key=key, actor=XIAOCHI_EDITOR, kind="devolve", item=[county, CODES.code(name, category)],
                 giver=county, receiver=town, effective_on=effective_on, origin="requested",
                 receiving_department=[town, "小池镇" + town_office(category, field)],
                 reason="小池镇申请下放（点菜）：本镇企业办理需求集中")
            c.op(op="submit", proposal=key, actor=XIAOCHI_EDITOR)
            c.op(op="approve", proposal=key, actor=HUANGMEI_REVIEWER, comment="同意下放，待批次落实")

    request(1, iso(2014, 12, 1))
    c.op(op="evaluation_round", key="hubei-pilots", actor=HUBEI_EDITOR, scope="42", tag="pilot",
         name="湖北省经济发达镇扩权两年评估（2013—2015）", period_start=HUBEI_P1[0], period_end=HUBEI_P1[1])

    for round_no, follow_date, period, _bad, _new, cancels, adjusts in HUANGMEI_ROUNDS:
        if round_no == 3:
            request(3, iso(2016, 2, 1))
        if round_no > 1:
            in_force = [p for p in xiaochi_first if p in remaining or any(p in bad_in[r] for r in bad_in if r >= round_no)
                        or (p in cancelled and round_no <= 2)] + [p for r in new_in if r < round_no for p in new_in[r]]
            conditions = [BAD_CONDITIONS[k % len(BAD_CONDITIONS)] if p in bad_in[round_no] else
                          ("few" if k % 11 == 7 else "good") for k, p in enumerate(in_force)]
            evidence_op(c, HUANGMEI_EDITOR, county, town, period, in_force, conditions)
        key = f"hm-{round_no}"
        c.op(op="evaluation_round", key=key, actor=HUANGMEI_EDITOR, scope=county,
             name=f"黄梅县下放小池镇权限评估（第{round_no}轮）", period_start=period[0], period_end=period[1])
        overrides = []
        if round_no == 1:
            name, category, _ = next(p for k, p in enumerate(xiaochi_first) if p in bad_in[1]
                                     and BAD_CONDITIONS[k % len(BAD_CONDITIONS)] == "low_satisfaction")
            overrides.append({"item": [county, CODES.code(name, category)], "government": town,
                              "decision": "should_not", "reason": "该事项需专业检验检测能力，镇级不具备，属于不应放事项"})
        c.op(op="decide_round", round=key, actor=HUANGMEI_REVIEWER, overrides=overrides)
        batch = f"hb-{county}-r{round_no}"
        c.op(op="follow_up", key=batch, round=key, actor=HUANGMEI_EDITOR, round_no=round_no,
             title=f"黄梅县关于调整下放小池镇权限事项的通知（第{round_no}轮）", number=f"梅政发〔{follow_date[:4]}〕示例号",
             effective_on=follow_date)
        c.op(op="submit_batch", batch=batch, actor=HUANGMEI_EDITOR)
        c.op(op="approve_batch", batch=batch, actor=HUANGMEI_REVIEWER)
        if new_in[round_no]:
            c.op(op="accept_in_batch", batch=batch, actor=XIAOCHI_REVIEWER, government=town,
                 receiving_department=[town, dept])
        c.op(op="effect_batch", batch=batch, actor=HUANGMEI_REVIEWER)
        for key in requests.get(round_no, []):
            c.op(op="withdraw", proposal=key, actor=XIAOCHI_EDITOR, comment="已由评估后续批次下放，本申请撤回")
        if cancels:
            c.batch(f"hb-{county}-cancel", county, "黄梅县关于取消部分行政权力事项的通知", follow_date,
                    number=f"梅政发〔{follow_date[:4]}〕示例号之二")
            for name, category, _ in cancelled:
                c.op(op="cancel", item=[county, CODES.code(name, category)], batch=f"hb-{county}-cancel",
                     reason="上级取消该事项")
        if adjusts:
            c.batch(f"hb-{county}-adjust", county, "黄梅县关于调整部分行政权力事项名称和依据的通知", follow_date,
                    number=f"梅政发〔{follow_date[:4]}〕示例号之三")
            for name, category, field in adjusted:
                c.op(op="adjust", item=[county, CODES.code(name, category)], batch=f"hb-{county}-adjust",
                     changes={"name": name + "（含变更）", "legal_basis": v.LAWS.get(field, "") + "（依据修订）"},
                     reason="事项名称与依据按新法规调整")


def build_all() -> list[Path]:
    FIXTURES_DIR.mkdir(exist_ok=True)
    cases = [(build_harbin, "000_harbin_devolution.json"), (build_jianwei, "001_harbin_divisions.json"),
             (build_kuiwen, "002_weifang_kuiwen.json"), (build_lanshan, "003_linyi_lanshan.json"),
             (build_hubei, "004_hubei_towns.json")]
    return [builder().write(filename) for builder, filename in cases]


if __name__ == "__main__":  # pragma: no cover
    for path in build_all():
        print(path)
