"""Synthetic data at scale: a county, a province or the nation's government tree, written in bulk.

``python manage.py synthesize --scale {county,province,nation} [--seed N]`` (see the command).

- ``county``: one province → one city → one county of about 3,000 list items, six towns, thirty villages
  (a few seconds; CI runs it).
- ``province``: one province of 15 cities, 150 county-level, 2,000 township-level and 30,000 village-level
  governments; a few thousand items per county and hundreds per town, with seven years of batches —
  devolutions from province to cities, cities to counties, counties to towns and towns to villages,
  shared powers, cancellations, adjustments, an evaluation's recalls and re-devolutions — so that there
  are about 1.35 million exercise rows, 0.9 million transfers and 1.4 million audit events.
- ``nation``: the tree of about 500,000 governments (31 provinces … villages), without lists.

The rows are those the services would write — every transfer with the exercise rows it opened and
closed and its one audit event (``transfer.<kind>``, with the same before/after snapshot), every item
with its holder row and ``item.create`` event, every government, department and batch with theirs —
but written with COPY (PostgreSQL) or one prepared INSERT per chunk (SQLite) in one transaction: it
is all there or none of it. Ids are taken from above the tables' current maximum under a table lock,
and the sequences moved past them afterwards.

Codes start with the scale's letter (``C9…``, ``P9…``, ``N11…``): the scales can live side by side,
and a scale already present is refused.
"""
from __future__ import annotations

import datetime
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone
from tqdm import tqdm

from .models import (
    Arrangement,
    AuditEvent,
    Batch,
    BatchState,
    Department,
    DepartmentKind,
    Exercise,
    Government,
    Method,
    Origin,
    PowerItem,
    Role,
    Tier,
    Transfer,
    TransferKind,
    TransferParty,
    TransferState,
)
from .seedcases import vocabulary as v

D = datetime.date

# --- the calendar of the synthetic province ---------------------------------------------------------

HOLD_FROM = D(2018, 1, 1)  # every catalogue in force from here
CREATED = D(2017, 12, 15)
PROVINCE_BATCH = D(2018, 7, 1)
CITY_BATCHES = (D(2019, 3, 1), D(2021, 3, 1), D(2023, 3, 1))
COUNTY_ROUNDS = tuple(D(year, 6, 1) for year in range(2019, 2026))
VILLAGE_DAY = D(2020, 5, 1)
SHARE_DAY = D(2020, 7, 1)
CANCEL_DAY = D(2022, 1, 1)
RECALL_DAY = D(2023, 9, 1)
ADJUST_DAY = D(2024, 1, 1)
REDEVOLVE_DAY = D(2025, 1, 1)
PAST_DATE = D(2021, 6, 30)  # "a past date" for the benchmark: before cancellations, recalls, adjustments
STATS_DATE = D(2024, 6, 30)  # "a date" for the statistics

ACTOR = "synthesize"


@dataclass(frozen=True)
class Shape:
    scale: str
    prefix: str  # first letter(s) of every code
    provinces: int = 1
    cities: int = 1
    counties: tuple[int, ...] = (1,)  # per city, cycled
    towns: tuple[int, ...] = (6,)  # per county, cycled
    villages: tuple[int, ...] = (5,)  # per town, cycled
    lists: bool = True
    province_items: int = 0
    province_devolved: int = 0  # to every city
    city_items: int = 0
    city_devolved: int = 0  # to every county, over the three city batches
    city_onward: int = 0  # of those, devolved on by each county to its towns
    county_items: int = 0
    town_devolved: int = 0  # county items devolved to every town over the rounds
    shared: int = 0  # county items shared with the first towns (county lead 60 %, four towns 10 % each)
    share_towns: int = 4
    cancelled: int = 0
    adjusted: int = 0
    recalled: int = 0  # devolved items recalled from every town after the evaluation
    redevolved: int = 0  # of those, devolved again to every other town
    town_items: int = 0
    village_items: int = 0

    def root_codes(self) -> list[str]:
        if self.provinces == 1:
            return [f"{self.prefix}9"]
        return [f"{self.prefix}{11 + p}" for p in range(self.provinces)]


SHAPES = {
    "county": Shape(
        scale="county", prefix="C", cities=1, counties=(1,), towns=(6,), villages=(5,),
        province_items=200, province_devolved=50, city_items=400, city_devolved=300, city_onward=30,
        county_items=2700, town_devolved=230, shared=18, cancelled=30, adjusted=10, recalled=20, redevolved=10,
        town_items=50, village_items=8,
    ),
    "province": Shape(
        scale="province", prefix="P", cities=15, counties=(10,), towns=(13, 13, 14), villages=(15,),
        province_items=600, province_devolved=100, city_items=1000, city_devolved=400, city_onward=30,
        county_items=2600, town_devolved=230, shared=18, cancelled=30, adjusted=10, recalled=20, redevolved=10,
        town_items=50, village_items=8,
    ),
    "nation": Shape(
        scale="nation", prefix="N", provinces=31, cities=11, counties=(9, 8, 9), towns=(13,),
        villages=(12, 12, 12, 12, 13), lists=False,
    ),
}


# --- names -------------------------------------------------------------------------------------------

SYLLABLES = (
    "安宝北昌春大德东丰福高古广海汉和河华怀黄建江金锦景靖九康兰乐黎利临灵龙隆鲁罗梅南宁平浦齐青清庆泉仁荣瑞"
    "沙山尚邵石寿顺思松太泰天通桐万文武西溪仙祥新兴修阳永玉元云长正中周竹"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"

# Subjects of ex officio powers by field (who is penalised or inspected).
FIELD_SUBJECTS = {
    "市场监管": ["食品经营者", "食品生产者", "药品经营企业", "特种设备使用单位", "广告经营者", "计量器具使用者"],
    "环境保护": ["排污单位", "建设单位", "危险废物经营单位", "机动车排放检验机构", "医疗废物处置单位", "餐饮服务单位"],
    "安全管理": ["生产经营单位", "危险化学品经营单位", "烟花爆竹经营单位", "非煤矿山企业", "金属冶炼单位", "人员密集场所"],
    "规划建设": ["建设单位", "施工单位", "勘察设计单位", "工程监理单位", "房地产开发企业", "物业服务企业"],
    "城市管理": ["户外广告设置人", "建筑垃圾运输单位", "临街商户", "城市道路占用人", "园林绿化施工单位", "环卫作业单位"],
    "公共卫生": ["公共场所经营者", "医疗机构", "集中式供水单位", "消毒产品生产企业", "放射诊疗机构", "学校卫生责任单位"],
    "文化教育": ["民办学校", "校外培训机构", "娱乐场所", "互联网上网服务营业场所", "出版物经营单位", "演出经营单位"],
    "住房保障": ["房地产经纪机构", "住房租赁企业", "保障性住房承租人", "住宅专项维修资金管理单位", "物业服务企业", "房屋出租人"],
    "社会保障": ["用人单位", "社会保险经办机构", "定点医疗机构", "养老服务机构", "社会救助申请人", "劳务派遣单位"],
    "劳动就业": ["用人单位", "职业中介机构", "人力资源服务机构", "职业技能培训机构", "劳务派遣单位", "建设施工企业"],
    "农业农村": ["农药经营者", "兽药经营企业", "种子生产经营者", "生猪屠宰企业", "农产品生产企业", "渔业船舶所有人"],
    "交通运输": ["道路运输经营者", "机动车维修经营者", "出租汽车经营者", "驾驶员培训机构", "公路施工单位", "水路运输经营者"],
    "水利": ["取水单位", "河道采砂单位", "水利工程建设单位", "生产建设项目单位", "城镇供水单位", "水库管理单位"],
    "自然资源": ["用地单位", "采矿权人", "测绘单位", "土地复垦义务人", "不动产登记申请人", "地质勘查单位"],
    "林业": ["林木采伐单位", "木材经营加工单位", "林木种苗生产经营者", "野生动物经营单位", "林地使用单位", "森林防火责任单位"],
    "民政服务": ["社会团体", "民办非企业单位", "养老机构", "殡葬服务单位", "慈善组织", "婚姻介绍机构"],
    "投资审批": ["企业投资项目单位", "政府投资项目单位", "固定资产投资项目单位", "招标人", "招标代理机构", "节能评估机构"],
    "基础设施建设": ["燃气经营企业", "供热单位", "城镇排水单位", "市政设施施工单位", "地下管线权属单位", "预拌混凝土生产企业"],
    "财政政策": ["政府采购代理机构", "会计师事务所", "代理记账机构", "财政资金使用单位", "政府采购供应商", "行政事业单位"],
    "社会治安": ["旅馆业经营者", "典当业经营者", "公章刻制单位", "保安服务公司", "寄递物流企业", "大型活动承办者"],
    "应急管理": ["防汛责任单位", "应急救援队伍", "地震监测单位", "物资储备单位", "避难场所管理单位", "重大危险源单位"],
}
VIOLATIONS = [
    "未依法取得许可擅自从事相关活动", "未按规定办理变更手续", "伪造、涂改、出租、出借许可证件", "拒绝、阻碍监督检查",
    "未按规定建立管理制度", "未按规定报送有关材料或者报送虚假材料", "未按规定公示有关信息", "超出许可范围从事活动",
    "未按规定进行年度报告", "违反安全管理规定造成事故隐患", "未按规定配备专业技术人员", "未按规定保存有关记录",
]
SEVERITIES = ["（情节较轻）", "（情节严重）"]
COERCION_FORMS = ["查封{s}的场所、设施", "扣押{s}的违法物品", "责令{s}暂停相关活动"]
LEVIES = [
    ("城市基础设施配套费征收", "基础设施建设"), ("水土保持补偿费征收", "水利"), ("森林植被恢复费征收", "林业"),
    ("防空地下室易地建设费征收", "规划建设"), ("残疾人就业保障金征收", "社会保障"), ("国有土地使用权出让收入征收", "自然资源"),
]
REWARDS = [
    ("见义勇为人员奖励", "社会治安"), ("安全生产举报奖励", "安全管理"), ("食品安全违法行为举报奖励", "市场监管"),
    ("环境违法行为举报奖励", "环境保护"), ("优秀教师表彰", "文化教育"), ("科学技术奖励", "投资审批"),
]
ADJUDICATIONS = [
    ("林木林地权属争议裁决", "林业"), ("土地权属争议调处", "自然资源"), ("水事纠纷裁决", "水利"),
    ("劳动人事争议仲裁", "劳动就业"), ("专利侵权纠纷处理", "市场监管"),
]


@dataclass(frozen=True)
class ItemSpec:
    name: str
    category: str
    field: str
    parent: int | None = None  # index of the main item (主项) in the pool


def item_pool() -> list[ItemSpec]:
    """About 3,800 names of real kinds of powers: the seeds' vocabulary, sub-items (子项) under their main
    items, and penalties, inspections and coercions of each field's regulated subjects. Fields interleave,
    so any slice of the pool covers every field."""
    by_field: dict[str, list[list[ItemSpec]]] = defaultdict(list)  # groups: a main item and its sub-items
    street = {n for n, _, _ in v.STREET_OWN}
    for name, category, fld in v.APPLICATION_BASES:
        if name in street:
            continue
        group = [ItemSpec(name, category, fld)]
        group += [ItemSpec(name + s, category, fld, parent=0) for s in v.VARIANTS.get(category, [""]) if s]
        by_field[fld].append(group)
    for k, (fld, subjects) in enumerate(FIELD_SUBJECTS.items()):
        for i, subject in enumerate(subjects):
            for j, violation in enumerate(VIOLATIONS):
                name = f"对{subject}{violation}的处罚"
                group = [ItemSpec(name, "penalty", fld)]
                if (i + j + k) % 3 == 0:
                    group += [ItemSpec(name + s, "penalty", fld, parent=0) for s in SEVERITIES]
                by_field[fld].append(group)
            by_field[fld].append([ItemSpec(f"对{subject}的监督检查", "inspection", fld)])
            form = COERCION_FORMS[(i + k) % len(COERCION_FORMS)]
            by_field[fld].append([ItemSpec(form.format(s=subject), "coercion", fld)])
    for name in v.CONSTRUCTION_OTHERS:
        by_field["规划建设"].append([ItemSpec(name, "other", "规划建设")])
    for name in v.CONSTRUCTION_INSPECTIONS:
        by_field["基础设施建设"].append([ItemSpec(f"对{name}的监督检查", "inspection", "基础设施建设")])
    for name, fld in LEVIES:
        by_field[fld].append([ItemSpec(name, "levy", fld)])
    for name, fld in REWARDS:
        by_field[fld].append([ItemSpec(name, "reward", fld)])
    for name, fld in ADJUDICATIONS:
        by_field[fld].append([ItemSpec(name, "adjudication", fld)])
    pool: list[ItemSpec] = []
    queues = [list(groups) for groups in by_field.values()]
    while any(queues):
        for queue in queues:
            if queue:
                group = queue.pop(0)
                base = len(pool)
                pool.extend(ItemSpec(s.name, s.category, s.field, None if s.parent is None else base) for s in group)
    return pool


TOWN_POOL = [ItemSpec(n, c, f) for n, c, f in v.STREET_OWN] + [ItemSpec(n, c, f) for n, c, f in v.STREET_ENFORCEMENT]
ABBR = {
    "licensing": "XK", "penalty": "CF", "coercion": "QZ", "levy": "ZS", "benefit": "JF", "inspection": "JC",
    "confirmation": "QR", "reward": "JL", "adjudication": "CJ", "other": "QT", "public_service": "GG",
}
DAYS = {"licensing": (20, 10), "confirmation": (15, 7), "benefit": (15, 7)}
METHODS = [Method.DIRECT] * 5 + [Method.ENTRUSTED] * 3 + [Method.STATIONED_AGENCY, Method.STAFF_SENT]
COUNTY_DEPARTMENTS = sorted({names[1] for names in v.DEPARTMENT_BY_FIELD.values()})
CITY_DEPARTMENTS = sorted({names[0] for names in v.DEPARTMENT_BY_FIELD.values()})
ENFORCEMENT = ("penalty", "coercion", "inspection")


def responsibilities(category: str) -> list[str]:
    if category == "penalty":
        return list(v.PENALTY_RESPONSIBILITIES)
    if category == "licensing":
        return list(v.LICENSING_RESPONSIBILITIES)
    return list(v.OTHER_RESPONSIBILITIES)


# --- writing rows in bulk ----------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(x) for x in value]
    if isinstance(value, dict):
        return {str(k): _json_value(x) for k, x in value.items()}
    return value


class Table:
    """Rows of one model, buffered and written in chunks: COPY on PostgreSQL, executemany on SQLite."""

    CHUNK = 20_000

    def __init__(self, writer: Writer, model: type[models.Model]):
        self.writer, self.model = writer, model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.defaults = {}
        for f in self.fields:
            if f.primary_key:
                continue
            if f.has_default():
                self.defaults[f.attname] = f.get_default()
            elif f.null:
                self.defaults[f.attname] = None
            elif isinstance(f, models.CharField | models.TextField):
                self.defaults[f.attname] = ""
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.table = model._meta.db_table
        self.rows: list[tuple] = []
        self.written = 0
        self.next_id = 1

    def snapshot(self, row: dict, only: list[str] | None = None) -> dict:
        """What :func:`services.audit.snapshot` records of the saved instance."""
        out = {}
        for f in self.fields:
            if only is not None and f.name not in only:
                continue
            value = row.get(f.attname, self.defaults.get(f.attname))
            out[f.attname] = _json_value(value)
        return out

    def new_id(self) -> int:
        pk = self.next_id
        self.next_id += 1
        return pk

    def add(self, row: dict) -> dict:
        defaults = self.defaults
        self.rows.append(tuple(row[a] if a in row else defaults[a] for a in self.attnames))
        if len(self.rows) >= self.CHUNK:
            self.flush()
        return row

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        self.writer.write(self, rows)
        self.written += len(rows)
        self.writer.bar.update(len(rows))


class Writer:
    """Allocates ids above the current maximum of each table and writes rows in bulk."""

    MODELS = (Government, Department, PowerItem, Exercise, Batch, Transfer, TransferParty, AuditEvent)

    def __init__(self, bar):
        self.bar = bar
        self.vendor = connection.vendor
        self.tables = {m: Table(self, m) for m in self.MODELS}
        connection.ensure_connection()
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                names = ", ".join(connection.ops.quote_name(t.table) for t in self.tables.values())
                cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
            for t in self.tables.values():
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(t.table)}")
                t.next_id = (cursor.fetchone()[0] or 0) + 1
            # The audit events' hash chain (powerlists/audit_chain.py): each event signed, and linked to the
            # one before. The table lock keeps other writers from sealing events meanwhile; the database's
            # sealing trigger then finds every event already sealed.
            self.chain = None
            if {"seq", "hash", "prev_hash", "content_hash"} <= set(self.tables[AuditEvent].attnames):
                from . import audit_chain

                cursor.execute(f"SELECT seq, hash FROM {connection.ops.quote_name(self.tables[AuditEvent].table)} "
                               f"WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
                last = cursor.fetchone()
                self.chain = [last[0] if last else 0, (last[1] or "") if last else "", audit_chain]
        self.now = timezone.now()

    def __getitem__(self, model) -> Table:
        return self.tables[model]

    def _sqlite_value(self, value):
        if isinstance(value, datetime.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, bool):
            return int(value)
        return value

    def write(self, table: Table, rows: list[tuple]) -> None:
        json_positions = [i for i, a in enumerate(table.attnames) if a in table.json]
        if json_positions:
            fixed = []
            for row in rows:
                row = list(row)
                for i in json_positions:
                    row[i] = json.dumps(row[i])
                fixed.append(row)
            rows = fixed
        columns = [f.column for f in table.fields]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        name = connection.ops.quote_name(table.table)
        if self.vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(columns))
            convert = self._sqlite_value
            connection.connection.executemany(
                f"INSERT INTO {name} ({quoted}) VALUES ({marks})",
                [tuple(convert(x) for x in row) for row in rows],
            )

    def finish(self) -> None:
        for t in self.tables.values():
            t.flush()
        if self.vendor == "postgresql":
            with connection.cursor() as cursor:
                for t in self.tables.values():
                    table = connection.ops.quote_name(t.table)
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                        f"GREATEST((SELECT MAX(id) FROM {table}), 1))", [t.table])

    # --- one row of each kind, with the audit event the services write ------------------------------

    def audit(self, action: str, object_type: str, object_id, at, *, government=None, item=None, transfer=None,
              batch=None, before=None, after=None, reason: str = "") -> None:
        t = self.tables[AuditEvent]
        row = {"id": t.new_id(), "at": at, "actor_id": None, "actor_name": ACTOR, "action": action,
               "object_type": object_type, "object_id": str(object_id), "government_id": government,
               "item_id": item, "transfer_id": transfer, "batch_id": batch, "before": before, "after": after,
               "reason": reason}
        if self.chain is not None:
            seq, prev, chain = self.chain
            seq += 1
            content = chain.content_hash(row)
            link = chain.link_hash(seq, prev, content)
            row.update(content_hash=content, seq=seq, prev_hash=prev, hash=link)
            self.chain[0], self.chain[1] = seq, link
        t.add(row)


def moment(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=timezone.get_default_timezone())


# --- the build ---------------------------------------------------------------------------------------


@dataclass
class Expectation:
    """What the build wrote, to check against the queries afterwards."""

    governments: int = 0
    items: int = 0
    exercises: int = 0
    transfers: int = 0
    batches: int = 0
    by_date: Counter = field(default_factory=Counter)  # rows in force on each checked date
    sample: dict[int, list[tuple]] = field(default_factory=dict)  # government id → its rows
    derived: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))  # source id → rows
    sample_codes: dict[str, str] = field(default_factory=dict)  # role in the sample → code
    roots: list[str] = field(default_factory=list)


@dataclass
class Gov:
    id: int
    code: str
    name: str
    tier: int
    path: str
    depth: int
    departments: dict[str, int] = field(default_factory=dict)


class Builder:
    def __init__(self, shape: Shape, seed: int, bar, checked_dates: tuple[datetime.date, ...]):
        self.shape, self.rng, self.bar = shape, random.Random(seed), bar
        self.w = Writer(bar)
        self.expect = Expectation(roots=shape.root_codes())
        self.checked_dates = checked_dates
        self.pool = item_pool() if shape.lists else []
        self.sample_ids: set[int] = set()
        self.sample_rows: set[int] = set()

    # --- names ---------------------------------------------------------------------------------------

    def _two(self) -> str:
        return self.rng.choice(SYLLABLES) + self.rng.choice(SYLLABLES)

    def _village_name(self, urban: bool) -> str:
        if urban:
            return self._two() + "社区"
        pick = self.rng.random()
        if pick < 0.3:
            return self.rng.choice(SURNAMES) + "家村"
        if pick < 0.45:
            return self.rng.choice(SURNAMES) + "庄村"
        return self._two() + "村"

    # --- rows ----------------------------------------------------------------------------------------

    def government(self, code, name, tier, parent: Gov | None, kind="", assessment_type="") -> Gov:
        t = self.w[Government]
        path = (parent.path if parent else "/") + code + "/"
        depth = parent.depth + 1 if parent else 0
        pk = t.new_id()
        row = t.add({"id": pk, "code": code, "name": name, "kind": kind, "tier": tier,
                     "parent_id": parent.id if parent else None, "path": path, "depth": depth, "aliases": [],
                     "search_text": name, "assessment_type": assessment_type, "created_at": moment(CREATED)})
        after = t.snapshot(row)
        after["tags"] = []
        self.w.audit("government.create", "government", pk, moment(CREATED), government=pk, after=after)
        self.expect.governments += 1
        return Gov(pk, code, name, tier, path, depth)

    def department(self, gov: Gov, name: str, kind=DepartmentKind.DEPARTMENT) -> int:
        t = self.w[Department]
        pk = t.new_id()
        row = t.add({"id": pk, "government_id": gov.id, "code": "", "name": name, "kind": kind,
                     "upper_department_id": None})
        self.w.audit("department.create", "department", pk, moment(CREATED), government=gov.id, after=t.snapshot(row))
        gov.departments[name] = pk
        return pk

    def exercise(self, **row) -> int:
        t = self.w[Exercise]
        pk = t.new_id()
        row["id"] = pk
        row.setdefault("created_at", moment(row["valid_from"]))
        t.add(row)
        self.expect.exercises += 1
        start, end = row["valid_from"], row.get("valid_to")
        for day in self.checked_dates:
            if start <= day and (end is None or end > day):
                self.expect.by_date[day] += 1
        gov = row["government_id"]
        if gov in self.sample_ids:
            self.expect.sample.setdefault(gov, []).append((pk, start, end, row["role"]))
            self.sample_rows.add(pk)
        if row.get("source_id") in self.sample_rows:
            self.expect.derived[row["source_id"]].append((start, end))
        return pk

    def item(self, gov: Gov, spec: ItemSpec, code: str, *, department: int | None, lowest_tier: int,
             parent: int | None = None, is_core=False, cancelled_on=None, replaced=None,
             holder_to=None, holder_closed_by=None, holder: bool = True) -> tuple[int, int | None, dict]:
        """An item of ``gov``'s catalogue with its holder row and its ``item.create`` event.

        ``replaced`` is (day, new item id); ``holder_to`` / ``holder_closed_by`` end the holder row."""
        t = self.w[PowerItem]
        pk = t.new_id()
        statutory, promised = DAYS.get(spec.category, (None, None))
        row = {"id": pk, "government_id": gov.id, "department_id": department, "division_id": None,
               "code": code, "name": spec.name, "category": spec.category, "field": spec.field,
               "legal_basis": v.LAWS.get(spec.field, ""), "statutory_days": statutory, "promised_days": promised,
               "responsibilities": responsibilities(spec.category),
               "accountability": list(v.ACCOUNTABILITY[:2]) if spec.category in DAYS else [],
               "parent_id": parent, "lowest_tier": lowest_tier, "is_core": is_core, "cancelled_on": None,
               "replaced_by_id": None, "replaced_on": None, "version": 1, "created_at": moment(CREATED),
               "updated_at": moment(CREATED)}
        after = t.snapshot(row)
        holder_id = None
        if holder:
            holder_row = {"item_id": pk, "government_id": gov.id, "role": Role.HOLDER, "department_id": department,
                          "method": "", "valid_from": HOLD_FROM, "created_at": moment(CREATED)}
            holder_id = self.exercise(**holder_row, valid_to=holder_to, closed_by_id=holder_closed_by)
            after["holding"] = self.w[Exercise].snapshot({**holder_row, "id": holder_id})
        self.w.audit("item.create", "poweritem", pk, moment(CREATED), government=gov.id, item=pk, after=after)
        if cancelled_on:
            row.update(cancelled_on=cancelled_on, version=2, updated_at=moment(cancelled_on))
        if replaced:
            row.update(replaced_on=replaced[0], replaced_by_id=replaced[1], version=2, updated_at=moment(replaced[0]))
        t.add(row)
        self.expect.items += 1
        return pk, holder_id, row

    def batch(self, issuer: Gov, title: str, number: str, day: datetime.date, round_no=None) -> int:
        t = self.w[Batch]
        pk = t.new_id()
        issued = day - datetime.timedelta(days=15)
        row = {"id": pk, "issuer_id": issuer.id, "title": title, "number": number, "round_no": round_no,
               "issued_on": issued, "effective_on": day, "state": BatchState.EFFECTIVE, "created_by_id": None,
               "decided_by_id": None, "decided_at": moment(issued), "created_at": moment(issued, 8), "version": 1}
        t.add(row)
        self.w.audit("batch.create", "batch", pk, moment(issued, 8), government=issuer.id, batch=pk,
                     after=t.snapshot(row))
        self.expect.batches += 1
        return pk

    def effect(self, batch_id: int, issuer: Gov, day: datetime.date, transfer_ids: list[int]) -> None:
        self.w.audit("batch.effect", "batch", batch_id, moment(day, 8), government=issuer.id, batch=batch_id,
                     before={"state": BatchState.APPROVED},
                     after={"state": BatchState.EFFECTIVE, "transfers": transfer_ids})

    def transfer(self, pk: int, *, kind, item: int, giver: Gov, day, batch: int, receiver: Gov | None = None,
                 method="", origin=Origin.OFFERED, department=None, staff_posts=0, reason="", changes=None,
                 result_item=None, opened=(), closed=(), parties=None, new_item=None) -> int:
        t = self.w[Transfer]
        row = {"id": pk, "batch_id": batch, "item_id": item, "kind": kind, "method": method, "origin": origin,
               "giver_id": giver.id, "receiver_id": receiver.id if receiver else None,
               "receiving_department_id": department, "staff_posts": staff_posts, "reason": reason,
               "changes": changes or {}, "result_item_id": result_item, "effective_on": day,
               "state": TransferState.EFFECTIVE, "created_by_id": None, "created_at": moment(day - datetime.timedelta(30)),
               "updated_at": moment(day), "version": 1}
        t.add(row)
        after = t.snapshot(row)
        ex = self.w[Exercise]
        after["closed"] = [ex.snapshot(r, ["id", "government", "role", "valid_from", "valid_to"]) for r in closed]
        after["opened"] = [ex.snapshot(r) for r in opened]
        if new_item is not None:
            after["new_item"] = self.w[PowerItem].snapshot(new_item)
        if parties is not None:
            after["parties"] = parties
        self.w.audit(f"transfer.{kind}", "transfer", pk, moment(day), government=giver.id, item=item, transfer=pk,
                     batch=batch, before={"state": TransferState.DRAFT}, after=after, reason=reason)
        self.expect.transfers += 1
        return pk

    def devolve(self, *, item: int, giver: Gov, receiver: Gov, source: int, day, batch: int, department=None,
                method=Method.DIRECT, origin=Origin.OFFERED, staff_posts=0, valid_to=None, closed_by=None) -> tuple[int, int]:
        """A devolution: the transfer, the receiver's row (ended later by ``closed_by``) and the event."""
        tid = self.w[Transfer].new_id()
        row = {"item_id": item, "government_id": receiver.id, "role": Role.RECEIVER, "department_id": department,
               "method": method, "source_id": source, "transfer_id": tid, "valid_from": day}
        pk = self.exercise(**row, valid_to=valid_to, closed_by_id=closed_by)
        # The event shows the row as it was opened (not yet ended).
        self.transfer(tid, kind=TransferKind.DEVOLVE, item=item, giver=giver, receiver=receiver, day=day, batch=batch,
                      method=method, origin=origin, department=department, staff_posts=staff_posts,
                      opened=[{**row, "id": pk, "created_at": moment(day)}])
        return tid, pk

    # --- the tree --------------------------------------------------------------------------------------

    def build(self) -> Expectation:
        shape = self.shape
        roots = shape.root_codes()
        county_no = town_no = 0
        for p, root_code in enumerate(roots):
            province = self.government(root_code, self._two() + "省", Tier.PROVINCE, None, kind="省")
            if p == 0:
                self.sample_ids.add(province.id)
                self.expect.sample_codes["province"] = province.code
            province_ctx = self.province_lists(province) if shape.lists else None
            for c in range(shape.cities):
                city = self.government(f"{root_code}{c + 1:02d}", self._two() + "市", Tier.CITY, province, kind="市")
                if p == 0 and c == 0:
                    self.sample_ids.add(city.id)
                    self.expect.sample_codes["city"] = city.code
                city_ctx = self.city_lists(city, province, province_ctx) if shape.lists else None
                for k in range(shape.counties[c % len(shape.counties)]):
                    kind = ("区", "县", "县", "县级市")[k % 4]
                    county = self.government(f"{city.code}{k + 1:02d}", self._two() + kind[-1], Tier.COUNTY, city,
                                             kind=kind)
                    first_county = p == 0 and c == 0 and k == 0
                    towns = []
                    for t in range(shape.towns[county_no % len(shape.towns)]):
                        kind = "街道" if t < 3 else ("镇" if t % 5 else "乡")
                        town = self.government(
                            f"{county.code}{t + 1:03d}", self._two() + kind, Tier.TOWNSHIP, county, kind=kind,
                            assessment_type=("service", "industry", "agriculture")[0 if t < 3 else 1 + t % 2])
                        villages = []
                        for vno in range(shape.villages[town_no % len(shape.villages)]):
                            name = self._village_name(kind == "街道")
                            villages.append(self.government(f"{town.code}{vno + 1:03d}", name, Tier.VILLAGE, town,
                                                            kind=name[-2:] if name.endswith("社区") else "村"))
                        towns.append((town, villages))
                        town_no += 1
                    if first_county:
                        self.sample_ids.add(county.id)
                        self.sample_ids.add(towns[0][0].id)
                        self.sample_ids.add(towns[1][0].id)
                        self.sample_ids.add(towns[0][1][0].id)
                        self.expect.sample_codes.update(county=county.code, town=towns[0][0].code,
                                                        town2=towns[1][0].code, village=towns[0][1][0].code)
                    if shape.lists:
                        self.county_lists(county, city, city_ctx, towns)
                    county_no += 1
                if city_ctx:  # the city's batches take effect (their events list every county's transfers)
                    for batch, day, tids in zip(city_ctx["batches"], CITY_BATCHES, city_ctx["transfers"], strict=True):
                        self.effect(batch, city, day, tids)
            if province_ctx:
                self.effect(province_ctx["batch"], province, PROVINCE_BATCH, province_ctx["transfers"])
        self.w.finish()
        return self.expect

    # --- lists ---------------------------------------------------------------------------------------

    def _code(self, level: int, spec: ItemSpec, serial: int) -> str:
        return f"{ABBR[spec.category]}{level}{serial:05d}"

    def _catalogue(self, gov: Gov, specs: list[ItemSpec], level: int, department_of: Callable[[ItemSpec], int],
                   tiers: dict[int, int], default_tiers: tuple[int, ...], plans: dict[int, dict] | None = None,
                   pool_index: list[int] | None = None) -> list[dict]:
        """Items of one catalogue with their holder rows. ``plans`` may end a holder row, cancel or replace
        an item (by position). Sub-items point at their main item when it is in the same catalogue."""
        plans = plans or {}
        made: list[dict] = []
        by_pool: dict[int, int] = {}
        for n, spec in enumerate(specs):
            plan = plans.get(n, {})
            parent = None
            if pool_index is not None and spec.parent is not None:
                parent = by_pool.get(spec.parent)
            tier = tiers.get(n, default_tiers[n % len(default_tiers)])
            pk, holder, row = self.item(
                gov, spec, self._code(level, spec, n + 1), department=department_of(spec), lowest_tier=tier,
                parent=parent, is_core=plan.get("core", False), cancelled_on=plan.get("cancelled_on"),
                replaced=plan.get("replaced"), holder_to=plan.get("holder_to"),
                holder_closed_by=plan.get("closed_by"))
            if pool_index is not None:
                by_pool[pool_index[n]] = pk
            made.append({"id": pk, "holder": holder, "spec": spec, "row": row, "n": n})
        return made

    def province_lists(self, province: Gov) -> dict:
        shape = self.shape
        for name in CITY_DEPARTMENTS:
            self.department(province, "省" + name)
        specs = self.pool[: shape.province_items]
        dept = {fld: province.departments["省" + names[0]] for fld, names in v.DEPARTMENT_BY_FIELD.items()}
        devolved = set(range(0, shape.province_items, max(1, shape.province_items // shape.province_devolved)))
        devolved = set(sorted(devolved)[: shape.province_devolved])
        items = self._catalogue(province, specs, 1, lambda s: dept.get(s.field), {n: 2 for n in devolved}, (1, 2),
                                pool_index=list(range(len(specs))))
        batch = self.batch(province, f"{province.name}人民政府关于向设区的市下放部分省级行政权力事项的决定",
                           f"{province.name[0]}政发〔2018〕12号", PROVINCE_BATCH)
        return {"items": [items[n] for n in sorted(devolved)], "batch": batch, "transfers": []}

    def city_lists(self, city: Gov, province: Gov, province_ctx: dict) -> dict:
        shape = self.shape
        for name in CITY_DEPARTMENTS:
            self.department(city, name)
        dept = {fld: city.departments[names[0]] for fld, names in v.DEPARTMENT_BY_FIELD.items()}
        # The province's devolutions to this city.
        for it in province_ctx["items"]:
            tid, _ = self.devolve(item=it["id"], giver=province, receiver=city, source=it["holder"], day=PROVINCE_BATCH,
                                  batch=province_ctx["batch"], department=dept.get(it["spec"].field),
                                  method=self.rng.choice(METHODS))
            province_ctx["transfers"].append(tid)
        # The city's own catalogue: the pool after the province's slice, so that names do not repeat.
        start = shape.province_items
        index = list(range(start, start + shape.city_items))
        specs = [self.pool[i % len(self.pool)] for i in index]
        order = list(range(len(specs)))
        self.rng.shuffle(order)
        devolved = order[: shape.city_devolved]
        onward = set(devolved[: shape.city_onward])
        tiers = {n: (4 if n in onward else 3) for n in devolved}
        items = self._catalogue(city, specs, 2, lambda s: dept.get(s.field), tiers, (2, 3), pool_index=index)
        batches = [
            self.batch(city, f"{city.name}人民政府关于向县（市、区）下放第{k + 1}批市级行政权力事项的决定",
                       f"{city.name[0]}政发〔{day.year}〕{3 + k}号", day, round_no=k + 1)
            for k, day in enumerate(CITY_BATCHES)
        ]
        slices = [devolved[k::3] for k in range(3)]
        # onward items go in the first batch (the counties devolve them on from 2019-06-01)
        slices = [[n for n in devolved if n in onward] + [n for n in slices[0] if n not in onward],
                  [n for n in slices[1] if n not in onward], [n for n in slices[2] if n not in onward]]
        return {"items": items, "slices": slices, "onward": onward, "batches": batches,
                "transfers": [[] for _ in CITY_BATCHES], "names": {items[n]["spec"].name for n in devolved}}

    def county_lists(self, county: Gov, city: Gov, city_ctx: dict, towns: list[tuple[Gov, list[Gov]]]) -> None:
        shape, rng, w = self.shape, self.rng, self.w
        for name in [*COUNTY_DEPARTMENTS, "综合行政执法局"]:
            self.department(county, name)
        dept = {fld: county.departments[names[1]] for fld, names in v.DEPARTMENT_BY_FIELD.items()}
        for town, _ in towns:
            self.department(town, "便民服务中心", DepartmentKind.SERVICE_CENTRE)
            self.department(town, "综合行政执法办公室", DepartmentKind.OFFICE)

        def receiving_unit(town: Gov, spec: ItemSpec) -> int:
            return town.departments["综合行政执法办公室" if spec.category in ENFORCEMENT else "便民服务中心"]

        # --- the city's devolutions to this county --------------------------------------------------
        received: dict[int, tuple[dict, int]] = {}  # city item position → (item, county receiver row)
        for k, positions in enumerate(city_ctx["slices"]):
            for n in positions:
                it = city_ctx["items"][n]
                tid, row = self.devolve(item=it["id"], giver=city, receiver=county, source=it["holder"],
                                        day=CITY_BATCHES[k], batch=city_ctx["batches"][k],
                                        department=dept.get(it["spec"].field), method=rng.choice(METHODS),
                                        staff_posts=1 if n % 40 == 0 else 0)
                city_ctx["transfers"][k].append(tid)
                received[n] = (it, row)

        # --- the county's own catalogue ---------------------------------------------------------------
        names = city_ctx["names"]
        index = [i for i in range(len(self.pool)) if self.pool[i].name not in names][: shape.county_items]
        specs = [self.pool[i] for i in index]
        has_children = {s.parent for s in specs if s.parent is not None}
        order = list(range(len(specs)))
        rng.shuffle(order)
        simple = [n for n in order if index[n] not in has_children]
        with_days = [n for n in simple if specs[n].category in DAYS]
        adjusted = with_days[: shape.adjusted]
        taken = set(adjusted)
        cancelled = [n for n in simple if n not in taken][: shape.cancelled]
        taken |= set(cancelled)
        shared = [n for n in order if n not in taken][: shape.shared]
        taken |= set(shared)
        devolved = [n for n in order if n not in taken][: shape.town_devolved]
        taken |= set(devolved)
        core = [n for n in order if n not in taken][:10]
        rounds = [devolved[r::len(COUNTY_ROUNDS)] for r in range(len(COUNTY_ROUNDS))]
        early = [n for r in rounds[:3] for n in r]  # devolved before the evaluation (2019–2021)
        recalled = early[: shape.recalled]
        redevolved = recalled[: shape.redevolved]

        # Batches (the county issues twelve documents over seven years).
        county_batches = [
            self.batch(county, f"{county.name}人民政府关于向乡镇（街道）下放第{r + 1}批县级行政权力事项的通知",
                       f"{county.name[0]}政发〔{day.year}〕{20 + r}号", day, round_no=r + 1)
            for r, day in enumerate(COUNTY_ROUNDS)
        ]
        share_batch = self.batch(county, f"{county.name}关于公布县乡共有事权清单的通知",
                                 f"{county.name[0]}办发〔2020〕8号", SHARE_DAY)
        cancel_batch = self.batch(county, f"{county.name}人民政府关于取消一批行政权力事项的决定",
                                  f"{county.name[0]}政发〔2022〕1号", CANCEL_DAY)
        recall_batch = self.batch(county, f"{county.name}关于收回部分运行不良下放事项的通知",
                                  f"{county.name[0]}政发〔2023〕30号", RECALL_DAY)
        adjust_batch = self.batch(county, f"{county.name}关于压缩部分行政许可事项承诺时限的通知",
                                  f"{county.name[0]}政发〔2024〕2号", ADJUST_DAY)
        redevolve_batch = self.batch(county, f"{county.name}关于重新下放部分行政权力事项的通知",
                                     f"{county.name[0]}政发〔2025〕5号", REDEVOLVE_DAY)
        transfers_of = defaultdict(list)

        # Plans for the holder rows that end, with the ids of the transfers that end them.
        T = w[Transfer]
        plans: dict[int, dict] = {}
        share_tid = {n: T.new_id() for n in shared}
        cancel_tid = {n: T.new_id() for n in cancelled}
        adjust_tid = {n: T.new_id() for n in adjusted}
        new_item_id = {n: w[PowerItem].new_id() for n in adjusted}
        for n in shared:
            plans[n] = {"holder_to": SHARE_DAY, "closed_by": share_tid[n]}
        for n in cancelled:
            plans[n] = {"holder_to": CANCEL_DAY, "closed_by": cancel_tid[n], "cancelled_on": CANCEL_DAY}
        for n in adjusted:
            plans[n] = {"holder_to": ADJUST_DAY, "closed_by": adjust_tid[n], "replaced": (ADJUST_DAY, new_item_id[n])}
        for n in core:
            plans[n] = {"core": True}
        tiers = {n: 4 for n in devolved + shared}
        items = self._catalogue(county, specs, 3, lambda s: dept.get(s.field), tiers, (3, 3, 4, 5), plans,
                                pool_index=index)

        # Shared powers (共有事权): the county leads (60 %), the first towns support (10 % each).
        share_towns = [t for t, _ in towns[: shape.share_towns]]
        for n in shared:
            it = items[n]
            tid = share_tid[n]
            county_share = Decimal("100") - Decimal("10") * len(share_towns)
            opened = []
            parties = [(county, Role.LEAD, county_share, dept.get(it["spec"].field))]
            parties += [(t, Role.SUPPORT, Decimal("10"), None) for t in share_towns]
            for gov, role, share_pct, department in parties:
                row = {"item_id": it["id"], "government_id": gov.id, "role": role, "department_id": department,
                       "method": "", "fiscal_share": share_pct.quantize(Decimal("0.01")), "shared_by_id": county.id,
                       "transfer_id": tid, "valid_from": SHARE_DAY}
                opened.append({**row, "id": self.exercise(**row), "created_at": moment(SHARE_DAY)})
                P = w[TransferParty]
                P.add({"id": P.new_id(), "transfer_id": tid, "government_id": gov.id, "role": role,
                       "fiscal_share": share_pct.quantize(Decimal("0.01")), "department_id": department,
                       "decision": "", "decided_by_id": None, "decided_at": None})
            holder = {"id": it["holder"], "government_id": county.id, "role": Role.HOLDER, "valid_from": HOLD_FROM,
                      "valid_to": SHARE_DAY}
            self.transfer(tid, kind=TransferKind.SHARE, item=it["id"], giver=county, day=SHARE_DAY,
                          batch=share_batch, origin=Origin.REFORM, closed=[holder], opened=opened,
                          parties=[{"government": g.code, "role": r, "fiscal_share": str(s.quantize(Decimal("0.01")))}
                                   for g, r, s, _ in parties])
            transfers_of[share_batch].append(tid)

        for n in cancelled:
            it = items[n]
            holder = {"id": it["holder"], "government_id": county.id, "role": Role.HOLDER, "valid_from": HOLD_FROM,
                      "valid_to": CANCEL_DAY}
            self.transfer(cancel_tid[n], kind=TransferKind.CANCEL, item=it["id"], giver=county, day=CANCEL_DAY,
                          batch=cancel_batch, origin=Origin.REFORM, reason="改革取消", closed=[holder])
            transfers_of[cancel_batch].append(cancel_tid[n])

        for n in adjusted:
            it = items[n]
            old = it["row"]
            new = dict(old, id=new_item_id[n], promised_days=max(1, (old["promised_days"] or 2) // 2),
                       replaced_on=None, replaced_by_id=None, version=1, created_at=moment(ADJUST_DAY),
                       updated_at=moment(ADJUST_DAY))
            w[PowerItem].add(new)
            self.expect.items += 1
            row = {"item_id": new["id"], "government_id": county.id, "role": Role.HOLDER,
                   "department_id": old["department_id"], "method": "", "transfer_id": adjust_tid[n],
                   "valid_from": ADJUST_DAY}
            pk = self.exercise(**row)
            holder = {"id": it["holder"], "government_id": county.id, "role": Role.HOLDER, "valid_from": HOLD_FROM,
                      "valid_to": ADJUST_DAY}
            self.transfer(adjust_tid[n], kind=TransferKind.ADJUST, item=it["id"], giver=county, day=ADJUST_DAY,
                          batch=adjust_batch, origin=Origin.REFORM, changes={"promised_days": new["promised_days"]},
                          result_item=new["id"], closed=[holder],
                          opened=[{**row, "id": pk, "created_at": moment(ADJUST_DAY)}], new_item=new)
            transfers_of[adjust_batch].append(adjust_tid[n])

        # Devolutions to every town, round by round; the onward items of the city go in the first round.
        onward = [received[n] for n in sorted(city_ctx["onward"])]
        recalled_set, redevolved_set = set(recalled), set(redevolved)
        for t_no, (town, villages) in enumerate(towns):
            for r, positions in enumerate(rounds):
                day, batch = COUNTY_ROUNDS[r], county_batches[r]
                work = [(items[n], items[n]["holder"], n) for n in positions]
                if r == 0:
                    work += [(it, row, None) for it, row in onward]
                for it, source, n in work:
                    closed_by = T.new_id() if n in recalled_set else None
                    method = METHODS[(t_no + (n or 0)) % len(METHODS)]
                    tid, row = self.devolve(
                        item=it["id"], giver=county, receiver=town, source=source, day=day, batch=batch,
                        department=receiving_unit(town, it["spec"]), method=method,
                        origin=Origin.REQUESTED if (n or 0) % 5 == 0 else Origin.OFFERED,
                        valid_to=RECALL_DAY if closed_by else None, closed_by=closed_by)
                    transfers_of[batch].append(tid)
                    if closed_by:
                        closed = {"id": row, "government_id": town.id, "role": Role.RECEIVER, "valid_from": day,
                                  "valid_to": RECALL_DAY}
                        self.transfer(closed_by, kind=TransferKind.RECALL, item=it["id"], giver=county,
                                      receiver=town, day=RECALL_DAY, batch=recall_batch, origin=Origin.EVALUATION,
                                      reason="评估为运行不良事项，予以收回", closed=[closed])
                        transfers_of[recall_batch].append(closed_by)
                        if n in redevolved_set and t_no % 2 == 0:
                            tid, _ = self.devolve(
                                item=it["id"], giver=county, receiver=town, source=source, day=REDEVOLVE_DAY,
                                batch=redevolve_batch, department=receiving_unit(town, it["spec"]), method=method,
                                origin=Origin.EVALUATION)
                            transfers_of[redevolve_batch].append(tid)
            self.town_lists(town, villages)
        for batch, tids in transfers_of.items():
            day = {b: d for b, d in zip(county_batches, COUNTY_ROUNDS, strict=True)}.get(batch)
            day = day or {share_batch: SHARE_DAY, cancel_batch: CANCEL_DAY, recall_batch: RECALL_DAY,
                          adjust_batch: ADJUST_DAY, redevolve_batch: REDEVOLVE_DAY}[batch]
            self.effect(batch, county, day, tids)

    def town_lists(self, town: Gov, villages: list[Gov]) -> None:
        shape = self.shape
        centre = town.departments["便民服务中心"]
        office = town.departments["综合行政执法办公室"]
        specs = [TOWN_POOL[i % len(TOWN_POOL)] for i in range(shape.town_items)]
        for_villages = [n for n, s in enumerate(specs) if s.category in ("public_service", "benefit", "confirmation",
                                                                         "other")][: shape.village_items]
        tiers = {n: 5 for n in for_villages}
        items = self._catalogue(town, specs, 4, lambda s: office if s.category in ENFORCEMENT else centre, tiers,
                                (4,))
        if not villages or not for_villages:
            return
        batch = self.batch(town, f"{town.name}关于委托村（社区）代办便民服务事项的通知",
                           f"{town.name[:2]}发〔2020〕6号", VILLAGE_DAY)
        tids = []
        for village in villages:
            for n in for_villages:
                tid, _ = self.devolve(item=items[n]["id"], giver=town, receiver=village, source=items[n]["holder"],
                                      day=VILLAGE_DAY, batch=batch, method=Method.ENTRUSTED)
                tids.append(tid)
        self.effect(batch, town, VILLAGE_DAY, tids)


# --- entry points ------------------------------------------------------------------------------------


class AlreadyThere(Exception):
    pass


def existing_roots(scale: str) -> list[str]:
    return list(Government.objects.filter(code__in=SHAPES[scale].root_codes()).values_list("code", flat=True))


def synthesize(scale: str, seed: int = 7, *, progress: bool | None = None, out=sys.stderr) -> Expectation:
    """Build ``scale`` into the default database in one transaction; refuse when it is already there."""
    shape = SHAPES[scale]
    found = existing_roots(scale)
    if found:
        raise AlreadyThere(
            f"数据库中已有规模“{scale}”的合成数据（政府 {', '.join(found)}）。合成数据不会写入两次；"
            f"请换一个空数据库，或使用另一规模。 / The database already holds the synthetic {scale} data "
            f"(government {', '.join(found)}); it is never written twice. Use an empty database or another scale.")
    today = timezone.localdate()
    bar = tqdm(total=estimate_rows(shape), desc=f"synthesize {scale}", unit="rows", unit_scale=True, file=out,
               disable=None if progress is None else not progress, mininterval=1)
    with transaction.atomic():
        builder = Builder(shape, seed, bar, (today, PAST_DATE, STATS_DATE))
        expect = builder.build()
        try:  # lists on the governments just written: cached answers for them are stale
            from .listcache import lists_changed

            lists_changed()
        except ImportError:
            pass
    bar.close()
    expect.sample_codes["today"] = today.isoformat()
    return expect


def estimate_rows(shape: Shape) -> int:
    """About how many rows a build writes (for the progress bar)."""
    counties = shape.provinces * shape.cities * sum(shape.counties) / len(shape.counties)
    towns = counties * sum(shape.towns) / len(shape.towns)
    villages = towns * sum(shape.villages) / len(shape.villages)
    govs = shape.provinces * (1 + shape.cities) + counties + towns + villages
    total = 2 * govs
    if shape.lists:
        items = shape.province_items + shape.cities * shape.city_items + counties * shape.county_items \
            + towns * shape.town_items
        receivers = shape.cities * shape.province_devolved + counties * shape.city_devolved \
            + towns * (shape.town_devolved + shape.city_onward) + villages * shape.village_items
        total += 3 * items + 3 * receivers + 3 * towns * shape.recalled
    return int(total)


# --- checks ------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def verify(expect: Expectation, scale: str) -> list[Check]:
    """Check what was written against the build's own record, through the product's queries."""
    from .queries import ancestors, counts, power_list, subtree

    shape = SHAPES[scale]
    checks: list[Check] = []
    roots = list(Government.objects.filter(code__in=expect.roots))
    gov_total = sum(subtree(r).count() for r in roots)
    checks.append(Check("governments in the subtrees", gov_total == expect.governments,
                        f"{gov_total:,} (written {expect.governments:,})"))
    qn = connection.ops.quote_name
    g = qn(Government._meta.db_table)
    e = qn(Exercise._meta.db_table)
    with connection.cursor() as cursor:
        prefix_filters = " OR ".join(["c.path LIKE %s"] * len(roots))
        cursor.execute(
            f"SELECT COUNT(*) FROM {g} c JOIN {g} p ON c.parent_id = p.id WHERE ({prefix_filters}) AND "
            f"(c.path <> p.path || c.code || '/' OR c.depth <> p.depth + 1 OR c.tier <> p.tier + 1)",
            [r.path + "%" for r in roots])
        bad = cursor.fetchone()[0]
    checks.append(Check("paths, depths and tiers follow the parents", bad == 0, f"{bad} inconsistent"))
    sample = expect.sample_codes
    village = Government.objects.get(code=sample["village"]) if "village" in sample else \
        Government.objects.filter(path__startswith=roots[0].path, tier=Tier.VILLAGE).order_by("path").first()
    chain = ancestors(village)
    checks.append(Check("ancestors of a village", [c.tier for c in chain] == [1, 2, 3, 4]
                        and all(village.path.startswith(c.path) for c in chain),
                        " / ".join(c.name for c in chain) + f" / {village.name}"))
    if not shape.lists:
        return checks

    own = Exercise.objects.filter(government__path__startswith=roots[0].path)
    checks.append(Check("exercise rows", own.count() == expect.exercises, f"{expect.exercises:,}"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT e.item_id, e.government_id FROM {e} e JOIN {g} c ON c.id = e.government_id "
            f"WHERE c.path LIKE %s AND e.valid_to IS NULL GROUP BY e.item_id, e.government_id HAVING COUNT(*) > 1) x",
            [roots[0].path + "%"])
        doubles = cursor.fetchone()[0]
    checks.append(Check("one open row per item and government", doubles == 0, f"{doubles} pairs with two"))
    sample_ids = list(expect.sample)
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(sample_ids))
        cursor.execute(
            f"SELECT COUNT(*) FROM {e} a JOIN {e} b ON a.item_id = b.item_id AND a.government_id = b.government_id "
            f"AND a.id < b.id WHERE a.government_id IN ({marks}) "
            f"AND a.valid_from < COALESCE(b.valid_to, %s) AND b.valid_from < COALESCE(a.valid_to, %s)",
            [*sample_ids, D(9999, 12, 31), D(9999, 12, 31)])
        overlaps = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) FROM {e} r JOIN {e} s ON s.id = r.source_id JOIN {g} rg ON rg.id = r.government_id "
            f"JOIN {g} sg ON sg.id = s.government_id WHERE r.government_id IN ({marks}) AND r.role = 'receiver' AND "
            f"(s.valid_from > r.valid_from OR (s.valid_to IS NOT NULL AND s.valid_to <= r.valid_from) "
            f"OR s.item_id <> r.item_id OR rg.depth <= sg.depth)", sample_ids)
        bad_sources = cursor.fetchone()[0]
    checks.append(Check("no overlapping rows (sample governments)", overlaps == 0, f"{overlaps} overlaps"))
    checks.append(Check("receivers' sources above them and in force", bad_sources == 0, f"{bad_sources} bad"))

    code_of = {gov.pk: gov for gov in Government.objects.filter(pk__in=sample_ids)}
    for gov_id, rows in sorted(expect.sample.items(), key=lambda kv: code_of[kv[0]].depth):
        gov = code_of[gov_id]
        for day in (D.fromisoformat(sample["today"]), PAST_DATE):
            listed = power_list(gov, day)
            in_force = [r for r in rows if r[1] <= day and (r[2] is None or r[2] > day)]
            arrangements = Counter(r["arrangement"] for r in listed)
            expected = Counter()
            for pk, _s, _e, role in in_force:
                if role == Role.RECEIVER:
                    expected[Arrangement.RECEIVED] += 1
                elif role == Role.LEAD:
                    expected[Arrangement.SHARED_LEAD] += 1
                elif role == Role.SUPPORT:
                    expected[Arrangement.SHARED_SUPPORT] += 1
                elif any(s <= day and (en is None or en > day) for s, en in expect.derived.get(pk, [])):
                    expected[Arrangement.DEVOLVED_OUT] += 1
                else:
                    expected[Arrangement.RETAINED] += 1
            ok = len(listed) == len(in_force) and arrangements == expected
            detail = f"{len(listed):,} rows on {day} ({', '.join(f'{k} {n}' for k, n in sorted(arrangements.items()))})"
            if not ok:
                detail += f"; expected {len(in_force)} ({dict(expected)})"
            checks.append(Check(f"list of {gov.name} ({gov.code})", ok, detail))
    for day in (STATS_DATE, PAST_DATE):
        total = sum(x["exercises"] for x in counts(roots[0], day, "tier").values())
        checks.append(Check(f"statistics of the province on {day}", total == expect.by_date[day],
                            f"{total:,} rows in force (written {expect.by_date[day]:,})"))
    audits = AuditEvent.objects.filter(action__startswith="transfer.", transfer__giver__path__startswith=roots[0].path)
    n_audits = audits.count()
    checks.append(Check("one audit event per transfer", n_audits == expect.transfers,
                        f"{n_audits:,} events, {expect.transfers:,} transfers"))
    checks += chain_checks(roots[0])
    return checks


def chain_checks(root: Government) -> list[Check]:
    """A sample of the events written verifies as links of the audit chain (signature, link, predecessor)."""
    try:
        from .audit_chain import events_verify
    except ImportError:
        return []
    ids = list(AuditEvent.objects.filter(government__path__startswith=root.path).order_by("id")
               .values_list("id", flat=True)[:200_000])
    sample = random.Random(1).sample(ids, min(2000, len(ids)))
    ok = events_verify(AuditEvent.objects.filter(id__in=sample).order_by("seq"))
    return [Check("audit events are sealed links of the hash chain", ok, f"{len(sample):,} sampled events")]


def run(scale: str, seed: int = 7, *, out=sys.stdout, err=sys.stderr, progress: bool | None = None,
        check: bool = True) -> tuple[Expectation, float, list[Check]]:
    """Build and (by default) verify; print a summary. Returns the expectation, the seconds the build took
    (the transaction, without the VACUUM / ANALYZE after it) and the checks."""
    started = time.perf_counter()
    expect = synthesize(scale, seed, progress=progress, out=err)
    took = time.perf_counter() - started
    tidy = time.perf_counter()
    with connection.cursor() as cursor:
        # As after any bulk load: statistics for the planner and, on PostgreSQL, the visibility map and hint
        # bits set now rather than by the first readers and autovacuum (outside the transaction).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" and connection.get_autocommit()
                       else "ANALYZE")
    tidy = time.perf_counter() - tidy
    print(f"synthesize {scale}: {expect.governments:,} governments, {expect.items:,} items, "
          f"{expect.exercises:,} exercise rows, {expect.transfers:,} transfers in {expect.batches:,} batches "
          f"— written in {took:.1f} s on {connection.vendor}, then {'VACUUM ' if connection.vendor == 'postgresql' else ''}"
          f"ANALYZE in {tidy:.1f} s", file=out)
    checks = verify(expect, scale) if check else []
    if not shape_has_lists(scale) and check:
        checks += chain_checks(Government.objects.get(code=SHAPES[scale].root_codes()[0]))
    for c in checks:
        print(f"  {'✓' if c.ok else '✗'} {c.name}: {c.detail}", file=out)
    return expect, took, checks


def shape_has_lists(scale: str) -> bool:
    return SHAPES[scale].lists
