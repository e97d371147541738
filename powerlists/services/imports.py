"""Importing a catalogue of power items from a spreadsheet (XLSX or CSV): preview, then apply.

``preview_import`` reads the file (bounded, type-checked: :func:`spreadsheets.read_table`), validates
every row against the government's catalogue and tells, row by row, what an import would do — new,
changed (which fields), unchanged, or an error with its reason — without writing anything.

``apply_import`` re-reads and re-validates the same file inside one transaction (after locking the
items it changes) and, only when no row has an error, writes every row: all or nothing.

The write is a bulk path kept here rather than a loop over ``create_item`` / ``update_item`` (which
issue several statements per item and make 10,000 rows take minutes on PostgreSQL). It applies the
same rules — every row's values go through :func:`services.items.apply_item_values`, the rules
between items (sub-items, codes, the lowest tier of exercised items) are checked over the whole file
with a few bulk queries — asks the same policy ("item.create" / "item.edit" on the government) and
writes the same audit events (``item.create`` / ``item.update``, one per item, same before/after),
with ``bulk_create``. A constant number of queries whatever the number of rows.
"""
from __future__ import annotations

import copy
import datetime
import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation

from .. import policy, standard_codes
from ..models import (
    AuditEvent,
    Category,
    Department,
    Division,
    Exercise,
    Government,
    ImportMapping,
    Initiation,
    PowerItem,
    Role,
    Tier,
)
from ..spreadsheets import (
    CATEGORY_BY_LABEL,
    IGNORE,
    ITEM_COLUMNS,
    LIST_SEPARATOR,
    NO,
    TIER_BY_LABEL,
    YES,
    RowOutcomes,
    column_keys,
    normalise_header,
    read_table,
)
from .audit import make_event, record, record_many, snapshot
from .errors import Conflict, DomainError, InvalidInput
from .items import apply_item_values

NEW, CHANGED, UNCHANGED, ERROR = "new", "changed", "unchanged", "error"
OUTCOMES = (NEW, CHANGED, UNCHANGED, ERROR)
COLUMN_BY_KEY = {c.key: c for c in ITEM_COLUMNS}
# Item fields compared to tell "changed" from "unchanged", with the column that sets each.
COMPARED = {
    "name": "name", "category": "category", "field": "field", "legal_basis": "legal_basis",
    "statutory_days": "statutory_days", "promised_days": "promised_days", "responsibilities": "responsibilities",
    "accountability": "accountability", "lowest_tier": "lowest_tier", "is_core": "is_core",
    "department_id": "department", "division_id": "division", "parent_id": "parent_code",
    "basic_code": "basic_code", "levels": "levels", "initiation": "initiation", "fee_basis": "fee_basis",
    "service_object": "service_object", "supervision": "supervision", "supervision_phone": "supervision_phone",
}
TEXT_KEYS = ("name", "field", "legal_basis", "fee_basis", "service_object", "supervision", "supervision_phone")
# The keys a saved mapping may name: the template's columns, the implementing basis (read into the legal
# basis) and the implementing code (checked; gives a new department its credit code).
MAPPABLE_KEYS = (*(c.key for c in ITEM_COLUMNS), "implementing_basis", "implementing_code")
MAX_MAPPINGS = 200
FORMULA_STARTS = "=+-@\t\r"
CHUNK = 1000


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class RowOutcome:
    line: int  # the line in the file (the header is line 1)
    code: str
    name: str
    outcome: str = NEW
    changed: list[str] = field(default_factory=list)  # column keys
    errors: list[tuple[str, str]] = field(default_factory=list)  # (Chinese, English)
    values: dict = field(default_factory=dict, repr=False)
    parent_code: str | None = None  # None: the file does not say
    item: PowerItem | None = field(default=None, repr=False)  # the validated item (unsaved for a new row)
    before: dict | None = field(default=None, repr=False)
    # What each code of the file became: (column, the cell, its meaning here), shown in the preview.
    mapped: list[tuple[str, str, str]] = field(default_factory=list)
    new_department: str = ""  # a department the import creates for this row (create_departments)

    def error(self, zh: str, en: str) -> None:
        self.errors.append((zh, en))
        self.outcome = ERROR

    def error_text(self) -> str:
        english = (translation.get_language() or "").startswith("en")
        return "；".join(en if english else zh for zh, en in self.errors)

    def mapped_text(self) -> str:
        return "；".join(f"{column} {cell} → {meaning}" for column, cell, meaning in self.mapped)

    def changed_labels(self) -> str:
        english = (translation.get_language() or "").startswith("en")
        return "、".join(COLUMN_BY_KEY[k].english if english else COLUMN_BY_KEY[k].header for k in self.changed)


@dataclass
class ImportPreview(RowOutcomes):
    OUTCOMES = OUTCOMES

    government: Government
    filename: str
    fingerprint: str
    columns: list[str]
    rows: list[RowOutcome] = field(default_factory=list)
    # Departments the import creates (``create_departments``): name -> the unsaved Department.
    new_departments: dict[str, Department] = field(default_factory=dict)

    @property
    def code_meanings(self) -> list[tuple[str, str, str, int]]:
        """Each distinct (column, cell, meaning) the file's codes were read as, with the rows that use it."""
        counts: dict[tuple[str, str, str], int] = {}
        for row in self.rows:
            for entry in row.mapped:
                counts[entry] = counts.get(entry, 0) + 1
        return [(*entry, n) for entry, n in sorted(counts.items())]


@dataclass
class ImportResult:
    created: int
    changed: int
    unchanged: int
    preview: ImportPreview


# --- reading cells ------------------------------------------------------------------------------------


def _text(cell: str) -> str:
    """A cell's text, without the apostrophe the exporter put before = + - @ (formula guard)."""
    cell = (cell or "").strip()
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS:
        cell = cell[1:]
    return cell


def _days(text: str, row: RowOutcome, key: str):
    if text == "":
        return None
    header = COLUMN_BY_KEY[key]
    try:
        value = int(text) if not text.endswith(".0") else int(text[:-2])
    except ValueError:
        row.error(f"“{header.header}”应为整数（工作日），而不是“{text}”。",
                  f"“{header.english}” must be a whole number of working days, not “{text}”.")
        return None
    if value < 0 or value > 3650:
        row.error(f"“{header.header}”必须在0至3650之间。", f"“{header.english}” must be between 0 and 3650.")
        return None
    return value


def _list(text: str) -> list[str]:
    parts = text.replace(";", LIST_SEPARATOR).replace("\n", LIST_SEPARATOR).split(LIST_SEPARATOR)
    return [p.strip() for p in parts if p.strip()]


CATEGORY_BY_ENGLISH = {}
# The short names lists use (许可 for 行政许可 …), besides the product's labels and the platforms' codes.
CATEGORY_SHORT = {
    "许可": Category.LICENSING, "处罚": Category.PENALTY, "强制": Category.COERCION, "征收": Category.LEVY,
    "给付": Category.BENEFIT, "检查": Category.INSPECTION, "确认": Category.CONFIRMATION, "奖励": Category.REWARD,
    "裁决": Category.ADJUDICATION, "其他": Category.OTHER, "其他权力": Category.OTHER,
}


def _type_code(text: str) -> str | None:
    """A 事项类型 code as the platforms write it ("01", or 1 when a spreadsheet made it a number)."""
    digits = text[:-2] if text.endswith(".0") else text
    if digits.isdigit() and len(digits) <= 2:
        return digits.zfill(2)
    return None


def _category(text: str, row: RowOutcome, header: str = ""):
    if text in CATEGORY_BY_LABEL:
        return CATEGORY_BY_LABEL[text]
    if text in Category.values:
        return text
    code = _type_code(text)
    if code is not None:
        if code in standard_codes.TYPE_CODES:
            category = standard_codes.TYPE_CODES[code]
            row.mapped.append((header or "事项类型", text, str(Category(category).label)))
            return category
        known = "、".join(f"{c} {Category(v).label}" for c, v in standard_codes.TYPE_CODES.items())
        row.error(f"事项类型代码“{text}”无法识别，应为：{known}。",
                  f"Unknown item type code “{text}”; use one of: {', '.join(standard_codes.TYPE_CODES)}.")
        return None
    if text in CATEGORY_SHORT:
        row.mapped.append((header or "权力类别", text, str(Category(CATEGORY_SHORT[text]).label)))
        return CATEGORY_SHORT[text]
    if not CATEGORY_BY_ENGLISH:
        with translation.override("en"):
            CATEGORY_BY_ENGLISH.update({str(label).lower(): value for value, label in Category.choices})
    if text.lower() in CATEGORY_BY_ENGLISH:
        return CATEGORY_BY_ENGLISH[text.lower()]
    labels = "、".join(CATEGORY_BY_LABEL)
    if text == "":
        row.error("请填写权力类别。", "The category is required.")
    else:
        row.error(f"权力类别“{text}”无法识别，应为：{labels}，或事项类型代码（01 至 10、20、99）。",
                  f"Unknown category “{text}”; use one of: {', '.join(Category.values)} (or the Chinese names, "
                  f"or an item type code 01–10, 20, 99).")
    return None


def _levels(text: str, row: RowOutcome, header: str = ""):
    """行使层级 "2,3,4" → [2, 3, 4]; the lowest of them is the lowest tier the law allows."""
    if text == "":
        return []
    try:
        levels = standard_codes.parse_levels(text)
    except ValueError as exc:
        row.error(f"行使层级“{exc.args[0]}”无法识别，应为层级代码 1 国家、2 省、3 市、4 县、5 乡镇（街道）、6 村（社区），"
                  f"多个用逗号分隔（如“2,3,4”）。",
                  f"Unknown level “{exc.args[0]}”: use the national level codes 1 (State) to 6 (village or "
                  f"community), several separated by commas (e.g. “2,3,4”).")
        return None
    names = "、".join(standard_codes.LEVEL_NAMES[level] for level in levels)
    lowest = standard_codes.lowest_tier_of_levels(levels)
    meaning = names + (f"（最低：{Tier(lowest).label}）" if lowest is not None else "")
    row.mapped.append((header or "行使层级", text, meaning))
    return levels


INITIATION_BY_TEXT = {"依申请": Initiation.APPLICATION, "依职权": Initiation.EX_OFFICIO,
                      "申请": Initiation.APPLICATION, "职权": Initiation.EX_OFFICIO,
                      "application": Initiation.APPLICATION, "on application": Initiation.APPLICATION,
                      "ex_officio": Initiation.EX_OFFICIO, "ex officio": Initiation.EX_OFFICIO}


def _initiation(text: str, row: RowOutcome):
    if text == "":
        return ""
    value = INITIATION_BY_TEXT.get(text) or INITIATION_BY_TEXT.get(text.lower())
    if value is None:
        row.error(f"“依申请/依职权”应填“依申请”或“依职权”，而不是“{text}”。",
                  f"“On application or ex officio” must be 依申请 or 依职权, not “{text}”.")
    return value


def _tier(text: str, row: RowOutcome):
    if text == "":
        return Tier.VILLAGE
    if text in TIER_BY_LABEL:
        return TIER_BY_LABEL[text]
    if text.isdigit() and int(text) in Tier.values:
        return int(text)
    row.error(f"法定最低实施层级“{text}”无法识别，应为：{'、'.join(TIER_BY_LABEL)}。",
              f"Unknown lowest tier “{text}”; use one of the tier names of the template, or 1–5.")
    return None


def _bool(text: str, row: RowOutcome):
    if text.lower() in YES:
        return True
    if text.lower() in NO:
        return False
    row.error(f"核心事权应填“是”或“否”，而不是“{text}”。", f"“Core power” must be yes or no, not “{text}”.")
    return None


# --- validation -------------------------------------------------------------------------------------


_PARSED: dict[tuple[str, str], tuple[list[str], list[list[str]]]] = {}


def _read(data: bytes, filename: str, digest: str):
    """:func:`read_table`, remembering the last parse: the same bytes always parse the same, and an
    XLSX of 10,000 rows takes seconds to parse. Confirming a preview in the same process re-validates
    every row against the database but need not parse the file again."""
    key = (digest, (filename or "").lower().rsplit(".", 1)[-1])
    if key not in _PARSED:
        table = read_table(data, filename)
        _PARSED.clear()
        _PARSED[key] = table
    headers, rows = _PARSED[key]
    return list(headers), rows


def saved_mapping(government: Government) -> dict[str, str]:
    """The government's saved header → column key mapping (one query)."""
    return dict(ImportMapping.objects.filter(government=government).values_list("header", "key"))


def file_headers(data: bytes, filename: str) -> list[str]:
    """The headers of an uploaded file (read once, bounded like every import)."""
    return _read(data, filename, fingerprint(data))[0]


def _validate(government: Government, data: bytes, filename: str, *, lock: bool = False,
              mapping: dict[str, str] | None = None, create_departments: bool = False) -> ImportPreview:
    digest = fingerprint(data)
    headers, raw_rows = _read(data, filename, digest)
    known = saved_mapping(government)
    known.update(clean_mapping(mapping) if mapping else {})  # one import's own mapping, checked as a saved one
    keys = column_keys(headers, known)
    present = {k for k in keys if k}
    header_of = {key: normalise_header(headers[i]) for i, key in enumerate(keys) if key}
    preview = ImportPreview(government=government, filename=filename, fingerprint=digest,
                            columns=[k for k in keys if k])
    code_from_basic = "code" not in present and "basic_code" in present  # 基本编码 alone names the item
    if code_from_basic:
        present.add("code")

    # Bulk look-ups, up front: the catalogue, departments and divisions (three queries).
    catalogue_qs = PowerItem.objects.filter(government=government, replaced_on__isnull=True).select_related(
        "department", "division")
    if lock:
        catalogue_qs = catalogue_qs.select_for_update(of=("self",))
    catalogue = {item.code: item for item in catalogue_qs}
    departments = {d.name: d for d in Department.objects.filter(government=government)}
    divisions = {(d.department_id, d.name): d for d in Division.objects.filter(department__government=government)}
    by_id = {item.pk: item for item in catalogue.values()}

    seen: dict[str, RowOutcome] = {}
    for index, raw in enumerate(raw_rows, start=2):
        cells = {key: _text(raw[i] if i < len(raw) else "") for i, key in enumerate(keys) if key}
        if code_from_basic:
            cells["code"] = cells["basic_code"].upper()
        row = RowOutcome(line=index, code=cells.get("code", ""), name=cells.get("name", ""))
        preview.rows.append(row)
        _row_values(row, cells, present, departments, divisions, header_of,
                    preview.new_departments if create_departments else None, government)
        if not row.code:
            row.error("请填写事项编码。", "The item code is required.")
        elif row.code in seen:
            row.error(f"事项编码“{row.code}”在文件中重复（第{seen[row.code].line}行已有）。",
                      f"The item code “{row.code}” appears twice in the file (already on line {seen[row.code].line}).")
            continue
        else:
            seen[row.code] = row
        if row.outcome == ERROR:
            continue
        existing = catalogue.get(row.code)
        if existing is not None and existing.cancelled_on:
            row.error("该事项已取消，不能再修改。", "This item is cancelled; it cannot be changed.")
            continue
        item = copy.copy(existing) if existing is not None else PowerItem(government=government)
        item.government = government
        values = dict(row.values)
        if existing is None:
            values.setdefault("category", "")
        kept_parent = item.parent_id
        item.parent_id = None  # sub-items are checked over the whole file below, without a query per row
        try:
            apply_item_values(item, values, check_concentration=False)  # one item's checks; 三集中 below
        except DomainError as exc:
            row.error(exc.message_zh, exc.message_en)
            continue
        item.parent_id = kept_parent
        row.item = item
        if existing is not None:
            row.before = snapshot(existing)
            row.outcome = UNCHANGED

    _check_parents(preview, catalogue, by_id, "parent_code" in present)
    _check_lowest_tiers(preview)
    _check_concentration(preview, catalogue, departments)

    for row in preview.rows:
        if row.outcome == ERROR or row.item is None or row.before is None:
            continue
        existing = catalogue[row.code]
        row.changed = [col for attr, col in COMPARED.items()
                       if getattr(row.item, attr) != getattr(existing, attr)]
        new_parent = getattr(row.item, "_import_parent_code", None)
        if new_parent and new_parent not in catalogue and "parent_code" not in row.changed:
            row.changed.append("parent_code")  # under an item the file creates
        row.outcome = CHANGED if row.changed else UNCHANGED
    return preview


def _row_values(row: RowOutcome, cells: dict, present: set, departments: dict, divisions: dict,
                header_of: dict, new_departments: dict | None, government: Government) -> None:
    values = {}
    for key in TEXT_KEYS:
        if key in present:
            values[key] = cells[key]
    if "implementing_basis" in present and cells["implementing_basis"]:
        setting = values.get("legal_basis", "")
        values["legal_basis"] = (setting + "\n" if setting else "") + "实施依据：" + cells["implementing_basis"]
    if "basic_code" in present:
        values["basic_code"] = cells["basic_code"].upper()
    elif standard_codes.BASIC_CODE.match(row.code.upper()):
        values["basic_code"] = row.code.upper()  # 职权编码 / 事项编码 of a platform: the 12-character basic code
    if "category" in present:
        category = _category(cells["category"], row, header_of.get("category", ""))
        if category:
            values["category"] = category
    for key in ("statutory_days", "promised_days"):
        if key in present:
            values[key] = _days(_strip_days(cells[key]), row, key)
    levels = None
    if "levels" in present:
        levels = _levels(cells["levels"], row, header_of.get("levels", ""))
        if levels is not None:
            values["levels"] = levels
    if "lowest_tier" in present and not (cells["lowest_tier"] == "" and levels):
        tier = _tier(cells["lowest_tier"], row)
        if tier is not None:
            values["lowest_tier"] = tier
    if "initiation" in present:
        initiation = _initiation(cells["initiation"], row)
        if initiation is not None:
            values["initiation"] = initiation
    for key in ("responsibilities", "accountability"):
        if key in present:
            values[key] = _list(cells[key])
    if "is_core" in present:
        core = _bool(cells["is_core"], row)
        if core is not None:
            values["is_core"] = core
    credit_code = ""
    if "implementing_code" in present and cells["implementing_code"]:
        credit_code = _implementing_code(cells["implementing_code"].upper(), values.get("basic_code", ""), row)
    department = None
    if "department" in present:
        name = cells["department"]
        if name:
            department = departments.get(name)
            if department is None and new_departments is not None and len(name) <= 100:
                department = new_departments.get(name)
                if department is None:
                    department = new_departments[name] = Department(government=government, name=name)
                if credit_code and not department.credit_code:
                    department.credit_code = credit_code
                row.new_department = name
            elif department is None:
                row.error(f"实施部门“{name}”不是本政府的部门；请先在部门中添加、改正名称，或选择“新建表中的部门”。",
                          f"The department “{name}” is not a department of this government; add it first, fix "
                          f"the name, or choose to create the file's departments.")
        values["department"] = department
    if "division" in present:
        name = cells["division"]
        division = None
        if name:
            if department is None:
                row.error(f"填写承办处室“{name}”时须同时填写其所属实施部门。",
                          f"The division “{name}” needs its department in the department column.")
            else:
                division = divisions.get((department.pk, name)) if department.pk else None
                if division is None:
                    row.error(f"承办处室“{name}”不是“{department.name}”的处室。",
                              f"The division “{name}” is not a division of “{department.name}”.")
        values["division"] = division
    elif "department" in present:
        values["division"] = None
    if "parent_code" in present:
        row.parent_code = cells["parent_code"]
    values["code"] = row.code
    row.values = values


def _strip_days(text: str) -> str:
    """"20个工作日" / "20日" / "20天" → "20" (the platforms write the unit into the cell)."""
    for unit in ("个工作日", "工作日", "个自然日", "自然日", "日", "天"):
        if text.endswith(unit) and text[: -len(unit)].strip().isdigit():
            return text[: -len(unit)].strip()
    return text


def _implementing_code(code: str, basic_code: str, row: RowOutcome) -> str:
    """Check a 实施编码 (credit code 18 + level 1 + basic code 12, up to 36 in all); its credit code, or ""."""
    if not standard_codes.IMPLEMENTING_CODE.match(code):
        row.error(f"实施编码“{code[:40]}”应为31至36位数字或大写字母（统一社会信用代码18位＋层级1位＋基本编码12位）。",
                  f"The implementing code “{code[:40]}” must be 31 to 36 digits or capital letters (an 18-character "
                  f"credit code, the level digit and the 12-character basic code).")
        return ""
    if basic_code and code[19:31] != basic_code:
        row.error(f"实施编码“{code}”中的基本编码（{code[19:31]}）与基本编码“{basic_code}”不一致。",
                  f"The basic code inside the implementing code “{code}” ({code[19:31]}) differs from the basic "
                  f"code “{basic_code}”.")
        return ""
    credit = code[:18]
    return credit if standard_codes.is_valid_credit_code(credit) else ""


def _check_parents(preview: ImportPreview, catalogue: dict, by_id: dict, parents_given: bool) -> None:
    """Sub-items after the import: a parent exists (in the file or the catalogue), is current, and is
    not itself a sub-item; an item with sub-items is not a sub-item; no item is its own parent."""
    valid = {row.code: row for row in preview.rows if row.item is not None and row.outcome != ERROR}
    in_file = {row.code for row in preview.rows if row.code}
    # The parent code of every code after the import.
    parent_of = {code: (by_id[item.parent_id].code if item.parent_id in by_id else None)
                 for code, item in catalogue.items()}
    if parents_given:
        for code, row in valid.items():
            parent_of[code] = row.parent_code or None
    children: dict[str, list[str]] = {}
    for code, parent in parent_of.items():
        if parent:
            children.setdefault(parent, []).append(code)
    for code, row in valid.items():
        parent = parent_of.get(code)
        if not parents_given:
            continue
        if parent is None:
            row.item.parent = None
            continue
        if parent == code:
            row.error("事项不能是自己的子项。", "An item cannot be its own sub-item.")
            continue
        if parent not in in_file and parent not in catalogue:
            row.error(f"所属主项编码“{parent}”既不在文件中，也不在本政府的清单中。",
                      f"The parent code “{parent}” is neither in the file nor in this government's catalogue.")
            continue
        if parent in in_file and parent not in valid:
            row.error(f"所属主项“{parent}”本身有错误，请先改正它。", f"The parent item “{parent}” has errors; fix it first.")
            continue
        if parent not in in_file and catalogue[parent].cancelled_on:
            row.error(f"所属主项“{parent}”已取消，请选择现行的主项。",
                      f"The parent item “{parent}” is cancelled; choose a current one.")
            continue
        if parent_of.get(parent):
            row.error(f"所属主项“{parent}”本身是子项：子项下不能再设子项。",
                      f"The parent item “{parent}” is itself a sub-item; sub-items cannot have sub-items.")
            continue
        if children.get(code):
            row.error("有子项的事项不能再作为子项。", "An item that has sub-items cannot itself be a sub-item.")
            continue
        # The parent object is set on write (a new parent gets its id then); for comparison use the id.
        row.item.parent_id = catalogue[parent].pk if parent in catalogue else None
        row.item._import_parent_code = parent


def _check_lowest_tiers(preview: ImportPreview) -> None:
    """A raised lowest tier cannot leave a government below it exercising the item (one query)."""
    raised = {row.item.pk: row for row in preview.rows
              if row.outcome != ERROR and row.before is not None and row.item.lowest_tier < row.before["lowest_tier"]}
    if not raised:
        return
    today = timezone.localdate()
    below = (
        Exercise.objects.filter(item_id__in=list(raised)).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .values_list("item_id", "government__tier", "government__name")
    )
    for item_id, tier, name in below:
        row = raised[item_id]
        if tier > row.item.lowest_tier and row.outcome != ERROR:
            row.error(f"{name}正在行使该事项，法定最低实施层级不能高于它。",
                      f"{name} exercises this item; the lowest tier cannot be set above it.")


def _check_concentration(preview: ImportPreview, catalogue: dict, departments: dict) -> None:
    """三集中 over the whole file (no query): in a department that concentrates its approvals, every current
    licensing item after the import names one and the same division."""
    concentrated = {d.pk: d for d in departments.values() if d.approvals_concentrated}
    if not concentrated:
        return
    in_file = {row.code for row in preview.rows}
    kept: dict[int, set] = {}  # department -> divisions of its licensing items the file leaves alone
    for code, item in catalogue.items():
        if (code not in in_file and item.department_id in concentrated and item.category == Category.LICENSING
                and not item.cancelled_on and item.division_id):
            kept.setdefault(item.department_id, set()).add(item.division_id)
    chosen = {dept: next(iter(divisions)) for dept, divisions in kept.items() if len(divisions) == 1}
    division_names = {}
    for item in catalogue.values():
        if item.division_id:
            division_names[item.division_id] = item.division.name
    for row in preview.rows:
        item = row.item
        if (row.outcome == ERROR or item is None or item.category != Category.LICENSING
                or item.department_id not in concentrated):
            continue
        department = concentrated[item.department_id]
        if not item.division_id:
            row.error(f"{department.name}实行审批集中（三集中），行政许可事项须由其审批处室承办，请填写承办处室。",
                      f"{department.name} concentrates its approvals in one division: a licensing item must name "
                      f"that division.")
            continue
        division_names.setdefault(item.division_id, item.division.name)
        target = chosen.setdefault(item.department_id, item.division_id)
        if item.division_id != target:
            name = division_names.get(target, "")
            row.error(f"{department.name}实行审批集中（三集中），其行政许可事项均由“{name}”承办，不能分散到其他处室。",
                      f"{department.name} concentrates its approvals in “{name}”: its licensing items cannot be "
                      f"spread across divisions.")


# --- the two entry points ---------------------------------------------------------------------------


def preview_import(government: Government, data: bytes, filename: str, actor=None, *,
                   mapping: dict[str, str] | None = None, create_departments: bool = False) -> ImportPreview:
    """What importing the file into ``government``'s catalogue would do, row by row. Writes nothing.

    Headers are matched against the template's, the provincial platforms' and the government's saved
    mapping (``mapping`` adds to it for this call). ``create_departments``: a 实施部门 / 实施主体 that is not
    a department of the government is created by the import (and shown so in the preview).
    A file that cannot be read at all (wrong type, too large, unknown columns) raises InvalidInput."""
    if actor is not None:
        policy.require(actor, "item.create", government)
        if create_departments:  # departments are the administrator's (as services.create_department asks)
            policy.require(actor, "list.correct", government)
    return _validate(government, data, filename, mapping=mapping, create_departments=create_departments)


def clean_mapping(mapping) -> dict[str, str]:
    """A header → column key mapping checked whole (for a saved one and for one given to a single import):
    1 to MAX_MAPPINGS entries, headers not empty and at most 100 characters, keys the product's columns or
    ``-``, no column named twice. Raises InvalidInput."""
    if not isinstance(mapping, dict) or not mapping or len(mapping) > MAX_MAPPINGS:
        raise InvalidInput("invalid_mapping", f"列对应须为1至{MAX_MAPPINGS}个“表头→栏目”。",
                           f"A mapping has 1 to {MAX_MAPPINGS} header → column entries.")
    allowed = set(MAPPABLE_KEYS) | {IGNORE}
    cleaned: dict[str, str] = {}
    for header, key in mapping.items():
        header = normalise_header(header) if isinstance(header, str) else ""
        if not header or len(header) > 100:
            raise InvalidInput("invalid_mapping_header", "表头不能为空，最多100个字符。",
                               "A header is not empty and has at most 100 characters.")
        if key not in allowed:
            raise InvalidInput("invalid_mapping_key", f"表头“{header}”对应的栏目“{str(key)[:30]}”不存在。",
                               f"The header “{header}” is mapped to an unknown column “{str(key)[:30]}”.",
                               header=header)
        cleaned[header] = key
    targets = [k for k in cleaned.values() if k != IGNORE]
    if len(targets) != len(set(targets)):
        raise InvalidInput("mapping_duplicates", "两个表头不能对应同一个栏目。", "Two headers cannot map to one column.")
    return cleaned


def save_mapping(government: Government, mapping: dict[str, str], *, actor=None, actor_name: str = "") -> dict:
    """Keep ``mapping`` (header → column key, or ``-`` to leave the column alone) for the government's
    imports. Audited; refused whole if any entry is invalid."""
    if actor is not None:
        policy.require(actor, "item.create", government)
    cleaned = clean_mapping(mapping)
    with transaction.atomic():
        before = saved_mapping(government)
        for header, key in cleaned.items():
            ImportMapping.objects.update_or_create(government=government, header=header, defaults={"key": key})
        after = saved_mapping(government)
        record("import.mapping", government, actor=actor, actor_name=actor_name, government=government,
               before={"mapping": before}, after={"mapping": after})
    return after


def apply_import(
    government: Government,
    data: bytes,
    filename: str,
    actor=None,
    expected_fingerprint: str | None = None,
    *,
    actor_name: str = "",
    holder_from: datetime.date | None = None,
    reason: str = "",
    mapping: dict[str, str] | None = None,
    create_departments: bool = False,
) -> ImportResult:
    """Write every row of the file, in one transaction, or nothing at all.

    ``expected_fingerprint`` is the fingerprint of the file that was previewed: another file is refused.
    With ``holder_from`` the government exercises each new item from that date."""
    if expected_fingerprint is not None and fingerprint(data) != expected_fingerprint:
        raise Conflict("file_changed", "文件与预览时的不一致，请重新上传并预览。",
                       "The file differs from the one previewed; upload and preview it again.")
    if actor is not None:
        policy.require(actor, "item.create", government)
    try:
        with transaction.atomic():
            preview = _validate(government, data, filename, lock=True, mapping=mapping,
                                create_departments=create_departments)
            if preview.has_errors:
                first = preview.errors[0]
                raise InvalidInput(
                    "import_has_errors",
                    f"文件中有 {len(preview.errors)} 行错误（如第{first.line}行：{first.errors[0][0]}），未导入任何数据。",
                    f"{len(preview.errors)} rows have errors (e.g. line {first.line}: {first.errors[0][1]}); "
                    f"nothing was imported.",
                    rows=[r.line for r in preview.errors][:100],
                )
            if actor is not None and any(r.outcome == CHANGED for r in preview.rows):
                policy.require(actor, "item.edit", government)
            if actor is not None and preview.new_departments:
                policy.require(actor, "list.correct", government)
            created, changed = _write(preview, actor=actor, actor_name=actor_name, holder_from=holder_from,
                                      reason=reason)
            counts = preview.counts
            record("items.import", government, actor=actor, actor_name=actor_name, reason=reason,
                   government=government,
                   after={"filename": filename[:200], "fingerprint": preview.fingerprint, "created": created,
                          "changed": changed, "unchanged": counts[UNCHANGED]})
    except IntegrityError as exc:
        raise Conflict("import_conflict", "导入时与他人的修改冲突（如事项编码已被占用），未导入任何数据，请重新预览。",
                       "The import conflicted with a concurrent change (e.g. a code just taken); nothing was "
                       "imported. Preview again.") from exc
    return ImportResult(created=created, changed=changed, unchanged=preview.counts[UNCHANGED], preview=preview)


def _write(preview: ImportPreview, *, actor, actor_name: str, holder_from, reason: str) -> tuple[int, int]:
    government = preview.government
    new_rows = [r for r in preview.rows if r.outcome == NEW]
    changed_rows = [r for r in preview.rows if r.outcome == CHANGED]
    new_codes = {r.code for r in new_rows}

    # Departments the file names that the government did not have (create_departments), through the service.
    from .governments import create_department

    for name, pending in preview.new_departments.items():
        made = create_department(government=government, name=name, credit_code=pending.credit_code, actor=actor,
                                 actor_name=actor_name, reason=reason)
        pending.pk, pending.id = made.pk, made.pk
    for row in preview.rows:
        if row.item is not None and row.item.department is not None and row.item.department_id is None:
            row.item.department = row.item.department  # sets department_id from the department just saved

    # New items whose parent already exists (or who have none) first, then those under a new parent.
    first = [r for r in new_rows if getattr(r.item, "_import_parent_code", None) not in new_codes]
    second = [r for r in new_rows if getattr(r.item, "_import_parent_code", None) in new_codes]
    ids: dict[str, int] = {}
    for group in (first, second):
        for row in group:
            parent = getattr(row.item, "_import_parent_code", None)
            if parent in ids:
                row.item.parent_id = ids[parent]
        for start in range(0, len(group), CHUNK):
            _create_chunk([r.item for r in group[start:start + CHUNK]])
        missing = [r for r in group if r.item.pk is None]
        if missing:  # a database that does not return ids from a bulk insert
            found = dict(PowerItem.objects.filter(government=government, replaced_on__isnull=True,
                                                  code__in=[r.code for r in missing]).values_list("code", "pk"))
            for r in missing:
                r.item.pk = found[r.code]
        ids.update({r.code: r.item.pk for r in group})

    # Changed items: parent ids of new parents are known now.
    now = timezone.now()
    for row in changed_rows:
        parent = getattr(row.item, "_import_parent_code", None)
        if parent in ids:
            row.item.parent_id = ids[parent]
        row.item.version += 1
        row.item.updated_at = now
    fields = ["name", "category", "field", "legal_basis", "statutory_days", "promised_days", "responsibilities",
              "accountability", "lowest_tier", "is_core", "department", "division", "parent", "basic_code", "levels",
              "initiation", "fee_basis", "service_object", "supervision", "supervision_phone", "version",
              "updated_at"]
    for start in range(0, len(changed_rows), CHUNK):
        PowerItem.objects.bulk_update([r.item for r in changed_rows[start:start + CHUNK]], fields)

    holdings = {}
    if holder_from is not None and new_rows:
        exercises = [Exercise(item_id=r.item.pk, government=government, role=Role.HOLDER,
                              department_id=r.item.department_id, division_id=r.item.division_id,
                              valid_from=holder_from) for r in new_rows]
        Exercise.objects.bulk_create(exercises, batch_size=CHUNK)
        holdings = {e.item_id: e for e in exercises}

    events = []
    for row in new_rows:
        after = snapshot(row.item)
        if row.item.pk in holdings and holdings[row.item.pk].pk:
            after["holding"] = snapshot(holdings[row.item.pk])
        events.append(make_event("item.create", row.item, actor=actor, actor_name=actor_name, after=after,
                                 reason=reason, government=government, item=row.item))
    for row in changed_rows:
        events.append(make_event("item.update", row.item, actor=actor, actor_name=actor_name, before=row.before,
                                 after=snapshot(row.item), reason=reason, government=government, item=row.item))
    for start in range(0, len(events), CHUNK):
        _audit_chunk(events[start:start + CHUNK])
    return len(new_rows), len(changed_rows)


def _create_chunk(items: list[PowerItem]) -> None:
    PowerItem.objects.bulk_create(items)


def _audit_chunk(events: list[AuditEvent]) -> None:
    record_many(events)


__all__ = ["ImportPreview", "ImportResult", "RowOutcome", "apply_import", "file_headers", "fingerprint", "preview_import",
           "save_mapping", "saved_mapping"]
