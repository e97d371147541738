"""Spreadsheets of the evaluation (评估): evidence in, the round's report out.

Evidence files (XLSX or CSV, read by :func:`spreadsheets.read_table`, bounded and type-checked) have
:data:`EVIDENCE_COLUMNS`, Chinese or English headers. :func:`preview_evidence` reads one, finds each
row's item and receiving government (a few bulk queries, whatever the number of rows), checks every
value with the rules of ``services.evaluation`` and the policy ("evaluation.evidence"), and says row by
row what an import would do — new, replacing the evidence already recorded for the same period, or an
error with its reason — writing nothing. :meth:`EvidencePreview.records` gives the rows in the form
``services.evaluation.bulk_record_evidence`` takes; the web import and the ``importevidence`` command
both write through it, all or nothing.

:func:`write_report_xlsx` writes a round's report (categories, towns, fields, assessment types, and
every result) as a streaming (write-only) workbook with the canonical Chinese labels; text cells a
spreadsheet program would run as a formula are neutralised.
"""
from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from . import policy
from .models import (
    AssessmentType,
    Capacity,
    EvaluationCategory,
    Evidence,
    Exercise,
    Government,
    PowerItem,
    Tier,
    TransferState,
)
from .services.errors import DomainError, InvalidInput
from .spreadsheets import YES, Column, RowOutcomes, neutralise, read_table, sheet_title

NEW, REPLACE, ERROR = "new", "replace", "error"
OUTCOMES = (NEW, REPLACE, ERROR)

EVIDENCE_COLUMNS = [
    Column("item_code", "事项编码", "Item code"),
    Column("government_code", "承接政府代码", "Receiving government code"),
    Column("period_start", "统计起始日期", "Period start"),
    Column("period_end", "统计截止日期", "Period end"),
    Column("cases_handled", "办件量", "Cases handled"),
    Column("average_days", "平均办理时间（工作日）", "Average processing time (working days)"),
    Column("statutory_days", "法定时限（工作日）", "Statutory time limit (working days)"),
    Column("satisfaction", "满意度（%）", "Satisfaction (%)"),
    Column("complaints", "投诉数", "Complaints"),
    Column("receiving_unit_named", "已明确承接单位", "Receiving unit named"),
    Column("staffed", "已配备人员", "Staffed"),
    Column("capacity", "承接能力", "Capacity"),
    Column("note", "备注", "Note"),
]
# Columns a person may add to read the file (names beside the codes); an import ignores them.
READ_ONLY_COLUMNS = [
    Column("item_name", "事项名称", "Item name"),
    Column("government_name", "承接政府", "Receiving government"),
]
REQUIRED = ("item_code", "government_code", "period_start", "period_end", "cases_handled")
COLUMN_BY_KEY = {c.key: c for c in EVIDENCE_COLUMNS}
# The service's field names, for its errors, mapped to the file's columns.
FIELD_COLUMN = {"cases_handled": "cases_handled", "average_days": "average_days", "statutory_days": "statutory_days",
                "satisfaction": "satisfaction", "complaints": "complaints", "capacity": "capacity",
                "period_start": "period_start", "period_end": "period_end"}
PREVIEW_LIMIT = 200  # rows without an error shown in a preview; errors are always all shown

TEMPLATE_NOTE = _("事项编码、承接政府代码、统计起始日期、统计截止日期、办件量必填；日期写作 2019-12-31；满意度为 0 到 100 的百分数；"
                  "“已明确承接单位”“已配备人员”填“是”或“否”（空白视为“是”）；承接能力填“具备承接能力”“无具备资格的人员”"
                  "“不具备执法主体资格”或“不详”（空白视为“不详”）。同一事项、同一政府、同一统计期的依据再次导入时替换原有的。")


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _capacity_by_label() -> dict[str, str]:
    """Capacity values by their value, Chinese label and English label (lower case)."""
    found = {}
    for value, _label in Capacity.choices:
        found[value.lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                found[str(Capacity(value).label).strip().lower()] = value
    return found


def column_keys(headers: list[str]) -> list[str | None]:
    """The column key of each header (Chinese or English); read-only columns map to None.

    Raises InvalidInput naming unknown headers, missing required ones and repeated ones."""
    by_header = {}
    for c in EVIDENCE_COLUMNS:
        by_header[c.header] = c.key
        by_header[c.english.lower()] = c.key
    ignored = {c.header for c in READ_ONLY_COLUMNS} | {c.english.lower() for c in READ_ONLY_COLUMNS}
    keys, unknown = [], []
    for header in headers:
        key = by_header.get(header) or by_header.get(header.lower())
        if key is None and header not in ignored and header.lower() not in ignored:
            unknown.append(header)
        keys.append(key)
    if unknown:
        raise InvalidInput("unknown_columns", "无法识别这些列：" + "、".join(unknown) + "。请使用模板中的列。",
                           "Unknown columns: " + ", ".join(unknown) + ". Use the template's columns.", columns=unknown)
    missing = [COLUMN_BY_KEY[k].header for k in REQUIRED if k not in keys]
    if missing:
        raise InvalidInput("missing_columns", "缺少必需的列：" + "、".join(missing) + "。",
                           "Required columns are missing: " + ", ".join(missing) + ".", columns=missing)
    duplicated = sorted({k for k in keys if k and keys.count(k) > 1})
    if duplicated:
        raise InvalidInput("duplicate_columns", "有重复的列。", "Some columns appear twice.", columns=duplicated)
    return keys


# --- one row ------------------------------------------------------------------------------------------


@dataclass
class EvidenceRow:
    line: int  # the line in the file (the header is line 1; blank lines are skipped)
    item_code: str
    government_code: str
    cells: dict = field(default_factory=dict, repr=False)
    outcome: str = NEW
    errors: list[tuple[str, str]] = field(default_factory=list)  # (Chinese, English)
    item: PowerItem | None = field(default=None, repr=False)
    government: Government | None = field(default=None, repr=False)
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    values: dict = field(default_factory=dict, repr=False)  # the figures, as the service takes them

    def error(self, zh: str, en: str) -> None:
        self.errors.append((zh, en))
        self.outcome = ERROR

    def error_text(self) -> str:
        english = _english()
        return "；".join(en if english else zh for zh, en in self.errors)

    @property
    def item_name(self) -> str:
        return self.item.name if self.item is not None else ""

    @property
    def government_name(self) -> str:
        return self.government.name if self.government is not None else ""

    def record(self) -> dict:
        return {"item": self.item, "government": self.government, "period_start": self.period_start,
                "period_end": self.period_end, **self.values}


@dataclass
class EvidencePreview(RowOutcomes):
    OUTCOMES = OUTCOMES

    filename: str
    rows: list[EvidenceRow] = field(default_factory=list)

    def shown(self, limit: int = PREVIEW_LIMIT) -> list[EvidenceRow]:
        """Every row with an error, and the first ``limit`` others, in file order."""
        out, others = [], 0
        for row in self.rows:
            if row.outcome == ERROR:
                out.append(row)
            elif others < limit:
                others += 1
                out.append(row)
        return out

    def records(self) -> list[dict]:
        """The rows as ``bulk_record_evidence`` takes them (only when there is no error)."""
        return [row.record() for row in self.rows]

    def line_of(self, index: int) -> int | None:
        """The file line of the ``index``-th record (as a service error's ``row`` names it)."""
        return self.rows[index].line if 0 <= index < len(self.rows) else None

    def explain(self, exc: DomainError, offset: int = 0) -> tuple[str, str]:
        """A write's refusal (Chinese, English), naming the file's line instead of the record's index
        (``offset``: the index of the first record of the rows the service was given)."""
        zh, en = exc.message_zh, exc.message_en
        index = exc.details.get("row")
        line = self.line_of(offset + index) if isinstance(index, int) else None
        if line is None:
            return zh, en
        for prefix in (f"第{index + 1}行：",):
            zh = zh[len(prefix):] if zh.startswith(prefix) else zh
        for prefix in (f"Row {index + 1}: ",):
            en = en[len(prefix):] if en.startswith(prefix) else en
        return f"第{line}行：{zh}", f"Line {line}: {en}"


_DATE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*$")


def _date(text: str) -> datetime.date | None:
    match = _DATE.match(text or "")
    if not match:
        return None
    try:
        return datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _flag(text: str) -> bool | None:
    """是/否 (or yes/no, true/false, 1/0); blank is yes (the model's default); None when unreadable."""
    value = (text or "").strip().lower()
    if value == "":
        return True
    if value in YES:
        return True
    if value in {"否", "no", "n", "false", "0", "×", "✗"}:
        return False
    return None


def _number_text(text: str) -> str:
    """A figure as typed, without thousands separators or a trailing per cent sign."""
    value = (text or "").strip().replace(",", "").replace("，", "")
    if value.endswith("%") or value.endswith("％"):
        value = value[:-1].strip()
    return value


def _service_error(row: EvidenceRow, exc: DomainError) -> None:
    """A refusal of the service's checks, told with the file's column header instead of the field's name."""
    name = exc.details.get("field")
    column = COLUMN_BY_KEY.get(FIELD_COLUMN.get(name, "")) if name else None
    zh, en = exc.message_zh, exc.message_en
    if column is not None:
        for prefix in (f"{name}：", f"{name}: "):
            zh = zh[len(prefix):] if zh.startswith(prefix) else zh
            en = en[len(prefix):] if en.startswith(prefix) else en
        zh, en = f"{column.header}：{zh}", f"{column.english}: {en}"
    row.error(zh, en)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def read_evidence(data: bytes, filename: str) -> list[EvidenceRow]:
    """The rows of an evidence file with their cells by column key (no database access)."""
    headers, raw_rows = read_table(data, filename)
    keys = column_keys(headers)
    rows = []
    for line, raw in enumerate(raw_rows, start=2):
        cells = {key: _text(raw[i] if i < len(raw) else "") for i, key in enumerate(keys) if key}
        rows.append(EvidenceRow(line=line, item_code=cells.get("item_code", ""),
                                government_code=cells.get("government_code", ""), cells=cells))
    return rows


def _parse(row: EvidenceRow, capacities: dict[str, str]) -> None:
    """Dates, flags and capacity from text; the figures are left as typed for the service to check."""
    cells = row.cells
    if not row.item_code:
        row.error("请填写事项编码。", "The item code is required.")
    if not row.government_code:
        row.error("请填写承接政府代码。", "The receiving government's code is required.")
    for key in ("period_start", "period_end"):
        column = COLUMN_BY_KEY[key]
        text = cells.get(key, "")
        day = _date(text)
        if day is None:
            if text:
                row.error(f"{column.header}：“{text}”不是有效日期（应写作 2019-12-31）。",
                          f"{column.english}: “{text}” is not a valid date (write it as 2019-12-31).")
            else:
                row.error(f"{column.header}：必须填写。", f"{column.english}: required.")
        setattr(row, key, day)
    values = {}
    for key in ("cases_handled", "average_days", "statutory_days", "satisfaction", "complaints"):
        text = _number_text(cells.get(key, ""))
        values[key] = text if text != "" else None
    if values["cases_handled"] is None:
        row.error("办件量：必须填写。", "Cases handled: required.")
    for key in ("receiving_unit_named", "staffed"):
        flag = _flag(cells.get(key, ""))
        if flag is None:
            column = COLUMN_BY_KEY[key]
            row.error(f"{column.header}：请填写“是”或“否”。", f"{column.english}: write yes or no.")
        values[key] = bool(flag) if flag is not None else True
    capacity_text = cells.get("capacity", "").strip()
    if capacity_text:
        capacity = capacities.get(capacity_text.lower())
        if capacity is None:
            row.error(f"承接能力：“{capacity_text}”无效，应为“具备承接能力”“无具备资格的人员”“不具备执法主体资格”或“不详”。",
                      f"Capacity: “{capacity_text}” is unknown; use one of the template's values.")
        values["capacity"] = capacity or Capacity.UNKNOWN
    else:
        values["capacity"] = Capacity.UNKNOWN
    values["note"] = cells.get("note", "")
    row.values = values


def _resolve(rows: list[EvidenceRow]) -> None:
    """Each row's receiving government (by code) and item: the item with that code the government
    exercises (has ever exercised), else the one in the nearest catalogue above it, else its own.
    A few queries for the whole file."""
    codes = {r.government_code for r in rows if r.government_code}
    governments = {g.code: g for g in Government.objects.filter(code__in=codes).select_related("parent")}
    item_codes = {r.item_code for r in rows if r.item_code}
    exercised: dict[tuple[int, str], set[int]] = {}
    if governments and item_codes:
        for gov_id, code, item_id in (
            Exercise.objects.filter(government__in=governments.values(), item__code__in=item_codes)
            .values_list("government_id", "item__code", "item_id").distinct()
        ):
            exercised.setdefault((gov_id, code), set()).add(item_id)
    catalogue_codes = {c for g in governments.values() for c in (*g.ancestor_codes, g.code)}
    catalogue: dict[tuple[str, str], PowerItem] = {}
    by_id: dict[int, PowerItem] = {}
    needed_ids = {i for ids in exercised.values() for i in ids}
    if item_codes and catalogue_codes:
        for it in (PowerItem.objects.filter(Q(code__in=item_codes, government__code__in=catalogue_codes)
                                            | Q(pk__in=needed_ids))
                   .select_related("government").order_by("replaced_on", "id")):
            by_id[it.pk] = it
            key = (it.government.code, it.code)
            if it.replaced_on is None:
                catalogue[key] = it  # the current version of a code wins over an adjusted one
            else:
                catalogue.setdefault(key, it)
    for row in rows:
        government = governments.get(row.government_code)
        if row.government_code and government is None:
            row.error(f"找不到代码为“{row.government_code}”的政府。",
                      f"No government has the code “{row.government_code}”.")
            continue
        if government is None or not row.item_code:
            continue
        row.government = government
        ids = exercised.get((government.pk, row.item_code), set())
        current = [by_id[i] for i in ids if i in by_id and by_id[i].replaced_on is None]
        if len(ids) == 1:
            row.item = by_id.get(next(iter(ids)))
        elif len(current) == 1:
            row.item = current[0]
        elif ids:
            row.error(f"事项编码“{row.item_code}”在{government.name}对应多个事项。",
                      f"The item code “{row.item_code}” names several items at {government.name}.")
            continue
        else:
            for code in (*reversed(government.ancestor_codes), government.code):
                if (code, row.item_code) in catalogue:
                    row.item = catalogue[(code, row.item_code)]
                    break
        if row.item is None:
            row.error(f"{government.name}及其上级的清单中没有编码为“{row.item_code}”的事项。",
                      f"No item with the code “{row.item_code}” in the lists of {government.name} or above it.")


def preview_evidence(data: bytes, filename: str, actor=None) -> EvidencePreview:
    """What importing the file would do, row by row, with every error; writes nothing.

    Raises InvalidInput for a file that cannot be read at all (type, size, columns)."""
    from .services.evaluation import clean_evidence  # the service's own checks, so preview = import

    preview = EvidencePreview(filename=filename, rows=read_evidence(data, filename))
    capacities = _capacity_by_label()
    for row in preview.rows:
        _parse(row, capacities)
    _resolve(preview.rows)
    allowed: dict[int, bool] = {}
    seen: dict[tuple, int] = {}
    for row in preview.rows:
        if row.item is not None and row.government is not None and row.period_start and row.period_end:
            try:
                row.values = clean_evidence(row.item, row.government, row.period_start, row.period_end, row.values)
            except DomainError as exc:
                _service_error(row, exc)
            key = (row.item.pk, row.government.pk, row.period_start, row.period_end)
            if key in seen:
                row.error(f"与第{seen[key]}行是同一事项、同一政府、同一统计期。",
                          f"The same item, government and period as line {seen[key]}.")
            else:
                seen[key] = row.line
        if row.government is not None and actor is not None:
            if row.government.pk not in allowed:
                allowed[row.government.pk] = policy.may(actor, "evaluation.evidence", row.government)
            if not allowed[row.government.pk]:
                row.error(f"您没有为{row.government.name}记录评估依据的权限。",
                          f"You may not record evidence for {row.government.name}.")
    if seen:
        govs = {k[1] for k in seen}
        items = {k[0] for k in seen}
        existing = set(Evidence.objects.filter(government_id__in=govs, item_id__in=items)
                       .values_list("item_id", "government_id", "period_start", "period_end"))
        for row in preview.rows:
            if row.outcome != ERROR and (row.item.pk, row.government.pk, row.period_start, row.period_end) in existing:
                row.outcome = REPLACE
    return preview


# --- writing ------------------------------------------------------------------------------------------


def evidence_template_xlsx() -> bytes:
    from .spreadsheets import write_xlsx

    return write_xlsx([], EVIDENCE_COLUMNS, title="评估依据")


def evidence_template_csv() -> bytes:
    from .spreadsheets import write_csv

    return write_csv([], EVIDENCE_COLUMNS)


RULE_LABELS = {
    "should_not.below_lowest_tier": _("承接层级低于法定最低实施层级"),
    "should_not.no_qualified_staff": _("承接能力评估：无具备资格的人员"),
    "should_not.no_legal_standing": _("承接能力评估：不具备执法主体资格"),
    "not_yet.overdue": _("已批准或已确认的下放逾期未生效"),
    "not_yet.requested_undecided": _("下级申请（点菜）的下放久未决定"),
    "not_yet.no_receiving_unit": _("已下放但未明确承接单位"),
    "poor.no_cases": _("评估期内没有办件"),
    "poor.low_satisfaction": _("满意度低于阈值"),
    "poor.slow": _("平均办理时间超过法定时限"),
    "poor.slower_than_before": _("平均办理时间慢于下放前的承诺时限"),
    "promotable.runs_well": _("已在行使、有办件，满意度和办理时间达标"),
}


def rule_label(code: str) -> str:
    label = RULE_LABELS.get(code)
    return str(label) if label is not None else code


def _label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def _yes_no(value) -> str:
    if value is None:
        return ""
    return str(_("是")) if value else str(_("否"))


def figure_lines(figures: dict, rules: dict) -> list[tuple[str, str]]:
    """The figures behind a result as (label, text) pairs in the active language, with the round's
    thresholds where one applies."""
    f = figures or {}
    out: list[tuple[str, str]] = []

    def add(label, text):
        out.append((str(label), str(text)))

    if "cases_handled" in f:
        add(_("办件量"), _("%(n)s 件（可推广至少 %(min)s 件）") % {"n": f["cases_handled"], "min": rules.get("min_cases")})
    if f.get("satisfaction") is not None:
        add(_("满意度"), _("%(v)s%%（阈值 %(min)s%%）") % {"v": f["satisfaction"], "min": rules.get("min_satisfaction")})
    if f.get("average_days") is not None:
        statutory = f.get("statutory_days")
        if statutory is not None:
            add(_("平均办理时间"), _("%(v)s 个工作日（法定 %(s)s 个工作日 × %(r)s）") % {
                "v": f["average_days"], "s": statutory, "r": rules.get("max_days_ratio")})
        else:
            add(_("平均办理时间"), _("%(v)s 个工作日") % {"v": f["average_days"]})
    elif f.get("statutory_days") is not None:
        add(_("法定时限"), _("%(s)s 个工作日") % {"s": f["statutory_days"]})
    if f.get("promised_days_before") is not None and f.get("average_days") is not None:
        add(_("下放前承诺时限"), _("%(v)s 个工作日") % {"v": f["promised_days_before"]})
    if f.get("complaints"):
        add(_("投诉数"), f["complaints"])
    if f.get("capacity"):
        add(_("承接能力"), _label(Capacity.choices, f["capacity"]))
    if "receiving_unit" in f or "receiving_unit_named" in f:
        named = f.get("receiving_unit") is not None and f.get("receiving_unit_named", True)
        add(_("承接单位"), _("已明确") if named else _("未明确"))
    if f.get("staffed") is False:
        add(_("人员配备"), _("未配备"))
    if f.get("tier") is not None and f.get("lowest_tier") is not None and f["tier"] > f["lowest_tier"]:
        add(_("承接层级"), _("%(tier)s；法定最低层级：%(lowest)s") % {
            "tier": _label(Tier.choices, f["tier"]), "lowest": _label(Tier.choices, f["lowest_tier"])})
    if f.get("transfer_state"):
        add(_("下放提议"), _("%(state)s，生效日期 %(day)s") % {
            "state": _label(TransferState.choices, f["transfer_state"]), "day": f.get("transfer_effective_on") or "—"})
    if f.get("overdue_days") is not None:
        add(_("逾期"), _("%(n)s 天（阈值 %(max)s 天）") % {"n": f["overdue_days"], "max": rules.get("not_yet_overdue_days")})
    if f.get("undecided_days") is not None:
        add(_("未决"), _("%(n)s 天（阈值 %(max)s 天）") % {
            "n": f["undecided_days"], "max": rules.get("requested_undecided_days")})
    if f.get("evidence_rows", 1) > 1:
        add(_("依据行数"), f["evidence_rows"])
    return out


def figures_text(figures: dict, rules: dict) -> str:
    return "；".join(f"{label}：{text}" for label, text in figure_lines(figures, rules))


REPORT_CATEGORY_COLUMNS = [
    ("label", "评估类别"), ("suggested", "规则建议"), ("count", "最终结果"), ("decided", "已确认"),
    ("overridden", "改变建议"), ("follow_up", "已生成后续变更"), ("follow_up_effective", "后续变更已生效"),
    ("follow_up_refused", "后续变更被驳回或撤回"), ("noted_only", "仅作说明"),
]


def _sheet(workbook, title: str, header: list[str], rows):
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    return sheet


def write_report_xlsx(report, results, *, include_people: bool = False) -> bytes:
    """The report of a round as an XLSX workbook: one sheet each for categories, towns, fields and
    assessment types, and the results in detail. ``results`` iterates over dicts from
    :func:`report_result_values` (streamed: the workbook is write-only)."""
    from openpyxl import Workbook

    with translation.override("zh-hans"):
        workbook = Workbook(write_only=True)
        categories = [c.value for c in EvaluationCategory]
        category_labels = [str(c.label) for c in EvaluationCategory]
        _sheet(workbook, "评估类别", [h for _, h in REPORT_CATEGORY_COLUMNS],
               [[str(EvaluationCategory(r["category"]).label) if k == "label" else r[k]
                 for k, _ in REPORT_CATEGORY_COLUMNS] for r in report.by_category]
               + [["合计", sum(r["suggested"] for r in report.by_category)]
                  + [sum(r[k] for r in report.by_category) for k, _ in REPORT_CATEGORY_COLUMNS[2:]]])
        type_labels = dict(AssessmentType.choices)
        _sheet(workbook, "乡镇", ["承接政府代码", "承接政府", "考核类型", *category_labels, "合计"],
               [[r["government"], r["name"], str(type_labels.get(r["assessment_type"], "")),
                 *[r[c] for c in categories], r["total"]] for r in report.by_town])
        _sheet(workbook, "领域", ["领域", *category_labels, "合计"],
               [[r["field"] or "（未填写领域）", *[r[c] for c in categories], r["total"]] for r in report.by_field])
        _sheet(workbook, "考核类型", ["考核类型", "乡镇数", *category_labels, "合计", "可推广占比（%）"],
               [[r["label"] or "（未分类）", r["towns"], *[r[c] for c in categories], r["total"],
                 _share(r)] for r in report.by_assessment_type])
        rules = {**(report.round.rules or {})}
        header = ["事项编码", "事项名称", "领域", "承接政府代码", "承接政府", "考核类型", "评估建议", "依据规则",
                  "依据数据", "办件量", "满意度（%）", "平均办理时间（工作日）", "法定时限（工作日）", "确认结果",
                  "改变建议", "确认意见"]
        if include_people:
            header.append("确认人")
        header += ["确认时间", "后续变更编号", "后续变更状态", "后续处理说明"]
        sheet = workbook.create_sheet(title="评估结果")
        sheet.append(header)
        labels = dict(EvaluationCategory.choices)
        states = dict(TransferState.choices)
        for r in results:
            figures = r["figures"] or {}
            row = [r["item__code"], r["item__name"], r["item__field"], r["government__code"], r["government__name"],
                   str(type_labels.get(r["government__assessment_type"], "")), str(labels.get(r["suggested"], "")),
                   rule_label(r["rule"]), figures_text(figures, rules), figures.get("cases_handled"),
                   _number(figures.get("satisfaction")), _number(figures.get("average_days")),
                   figures.get("statutory_days"), str(labels.get(r["decision"], "")),
                   _yes_no(r["decision"] != r["suggested"]) if r["decision"] else "", r["decision_reason"]]
            if include_people:
                row.append(r.get("decided_by__username") or "")
            row += [timezone.localtime(r["decided_at"]).strftime("%Y-%m-%d %H:%M") if r["decided_at"] else "",
                    r["follow_up_transfer_id"] or "", str(states.get(r["follow_up_transfer__state"], "")),
                    r["follow_up_note"]]
            sheet.append([neutralise(v) for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


REPORT_RESULT_FIELDS = (
    "item__code", "item__name", "item__field", "government__code", "government__name",
    "government__assessment_type", "suggested", "rule", "figures", "decision", "decision_reason", "decided_at",
    "decided_by__username", "follow_up_transfer_id", "follow_up_transfer__state", "follow_up_note",
)


def report_result_values(queryset):
    """The rows of the results sheet from ``queries.evaluation.results_queryset`` (one query, streamed)."""
    return queryset.values(*REPORT_RESULT_FIELDS).iterator(chunk_size=2000)


def _number(value):
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return int(number) if number.is_integer() else number


def _share(row: dict):
    from .queries.evaluation import promotable_share

    share = promotable_share(row)
    return float(share) if share is not None else None


__all__ = ["EVIDENCE_COLUMNS", "EvidencePreview", "EvidenceRow", "figure_lines", "figures_text", "preview_evidence",
           "read_evidence", "report_result_values", "rule_label", "write_report_xlsx"]
