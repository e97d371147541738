"""Spreadsheets in and out: the columns of a power list, written as XLSX or CSV and read back.

The export of any list and the import of items share :data:`ITEM_COLUMNS`; an export adds the
read-only :data:`LIST_COLUMNS` after them, which an import ignores. Cells that a spreadsheet program
would run as a formula (starting with = + - @, or a tab or carriage return) are written with a leading
apostrophe. Reading is bounded in size and rows and checks the file really is what it claims to be.
"""
from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Arrangement, Category, Tier
from .models.choices import Initiation
from .services.errors import InvalidInput

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
LIST_SEPARATOR = "；"


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header, which an import matches (an English header is accepted too)
    english: str


ITEM_COLUMNS = [
    Column("code", "事项编码", "Code"),
    Column("name", "事项名称", "Name"),
    Column("category", "权力类别", "Category"),
    Column("field", "领域", "Field"),
    Column("department", "实施部门", "Department"),
    Column("division", "承办处室", "Division"),
    Column("legal_basis", "设定依据", "Legal basis"),
    Column("statutory_days", "法定时限（工作日）", "Statutory time limit (working days)"),
    Column("promised_days", "承诺时限（工作日）", "Promised time limit (working days)"),
    Column("lowest_tier", "法定最低实施层级", "Lowest tier allowed by law"),
    Column("responsibilities", "责任事项", "Responsibility items"),
    Column("accountability", "追责情形", "Accountability cases"),
    Column("is_core", "核心事权", "Core power"),
    Column("parent_code", "所属主项编码", "Parent item code"),
    Column("basic_code", "基本编码", "Basic code"),
    Column("levels", "行使层级", "Levels"),
    Column("initiation", "依申请/依职权", "On application or ex officio"),
    Column("fee_basis", "收费依据及标准", "Fee basis and standard"),
    Column("service_object", "服务对象", "Service object"),
    Column("supervision", "监督方式", "Supervision"),
    Column("supervision_phone", "监督电话", "Supervision telephone"),
]
# The headers of the provincial government-service platforms' exports (and other common spellings),
# recognised with no mapping. Where one file has two headers of one key, the first listed wins and
# the other is ignored (e.g. 实施主体 before 授权部门).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("职权编码", "权力编码", "权力事项编码", "事项代码", "清单编码"),
    "name": ("职权名称", "权力名称", "权力事项名称", "事项名"),
    "category": ("事项类型", "职权类型", "权力类型", "事项类别", "类别"),
    "department": ("实施主体", "实施机关", "实施主体名称", "行使主体", "责任主体", "授权部门"),
    "legal_basis": ("依据", "法律依据", "设定依据（原文）", "设定和实施依据"),
    "statutory_days": ("法定时限", "法定办结时限", "法定期限"),
    "promised_days": ("承诺时限", "承诺办结时限", "承诺期限"),
    "levels": ("实施层级", "行使层级（代码）", "层级"),
    "initiation": ("依申请或依职权", "行使类型", "办理类型", "申请类型"),
    # Read only: its text is kept with the legal basis (see services.imports), never exported apart.
    "implementing_basis": ("实施依据", "实施依据（原文）", "Implementing basis"),
    # Read only: checked against the basic code; gives a department the import creates its credit code.
    "implementing_code": ("实施编码", "Implementing code"),
    "fee_basis": ("收费依据", "收费标准", "收费标准及依据", "是否收费及依据"),
    "service_object": ("服务对象类型",),
    "supervision_phone": ("监督投诉电话", "投诉电话"),
    "parent_code": ("主项编码",),
}
# Columns of the platforms' exports that this product derives or does not keep: read and left alone.
IGNORED_HEADERS = frozenset({"序号", "备注", "事项状态", "更新时间", "版本号"})
# The target of a saved mapping that means "leave this column alone".
IGNORE = "-"

LIST_COLUMNS = [
    Column("arrangement", "行使方式", "Arrangement"),
    Column("role", "角色", "Role"),
    Column("from_government", "来源政府", "From government"),
    Column("fiscal_share", "财权分配占比（%）", "Fiscal share (%)"),
    Column("valid_from", "起始日期", "In force from"),
    Column("valid_to", "终止日期", "In force until"),
]
EXPORT_COLUMNS = ITEM_COLUMNS + LIST_COLUMNS
STANDARD_ITEM_KEYS = ("basic_code", "levels", "initiation", "fee_basis", "service_object", "supervision",
                      "supervision_phone")
# The item fields a list's export reads beside queries.lists.LIST_FIELDS (``.values(*...)``).
LIST_EXPORT_ITEM_FIELDS = ("item__responsibilities", "item__accountability", "item__parent__code",
                           *(f"item__{key}" for key in STANDARD_ITEM_KEYS))

CATEGORY_BY_LABEL = {str(label): value for value, label in Category.choices}
TIER_BY_LABEL = {str(label): value for value, label in Tier.choices}
YES = {"是", "yes", "y", "true", "1", "√", "✓"}
NO = {"否", "no", "n", "false", "0", ""}


class RowOutcomes:
    """What a spreadsheet preview says of its rows (each with an ``outcome``, one of ``OUTCOMES``): the
    count of each outcome, and the rows in error. Shared by the item and the evidence imports."""

    OUTCOMES: tuple[str, ...] = ()
    ERROR = "error"

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(self.OUTCOMES, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def has_errors(self) -> bool:
        return any(row.outcome == self.ERROR for row in self.rows)

    @property
    def errors(self) -> list:
        return [row for row in self.rows if row.outcome == self.ERROR]


def neutralise(value) -> object:
    """A text cell a spreadsheet would evaluate as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


@functools.cache
def _zh_labels() -> dict:
    """The canonical Chinese labels of categories, tiers and arrangements, looked up once per process
    (switching the language for every row was most of an export's time)."""
    with translation.override("zh-hans"):
        return {
            "category": {c.value: str(c.label) for c in Category},
            "tier": {t.value: str(t.label) for t in Tier},
            "arrangement": {a.value: str(a.label) for a in Arrangement},
            "initiation": {i.value: str(i.label) for i in Initiation},
        }


def item_cells(item: dict) -> dict:
    """Export cells of one item (a dict with the model's field names) keyed by column key.

    Labels are always the canonical Chinese ones, whatever the page's language, so that every export
    can be imported again.
    """
    labels = _zh_labels()
    category = item.get("category")
    tier = item.get("lowest_tier")
    return {
        "code": item.get("code", ""),
        "name": item.get("name", ""),
        "category": labels["category"].get(category, category or ""),
        "field": item.get("field", ""),
        "department": item.get("department") or "",
        "division": item.get("division") or "",
        "legal_basis": item.get("legal_basis", ""),
        "statutory_days": item.get("statutory_days"),
        "promised_days": item.get("promised_days"),
        "lowest_tier": labels["tier"].get(tier, ""),
        "responsibilities": LIST_SEPARATOR.join(item.get("responsibilities") or []),
        "accountability": LIST_SEPARATOR.join(item.get("accountability") or []),
        "is_core": "是" if item.get("is_core") else "否",
        "parent_code": item.get("parent_code") or "",
        "basic_code": item.get("basic_code") or "",
        "levels": ",".join(str(level) for level in item.get("levels") or []),
        "initiation": labels["initiation"].get(item.get("initiation"), ""),
        "fee_basis": item.get("fee_basis") or "",
        "service_object": item.get("service_object") or "",
        "supervision": item.get("supervision") or "",
        "supervision_phone": item.get("supervision_phone") or "",
    }


def list_cells(row: dict) -> dict:
    """Export cells of one row of a list (from queries.lists), import columns first."""
    cells = item_cells({
        "code": row["item__code"], "name": row["item__name"], "category": row["item__category"],
        "field": row["item__field"], "department": row.get("department__name"),
        "division": row.get("division__name"), "legal_basis": row["item__legal_basis"],
        "statutory_days": row["item__statutory_days"], "promised_days": row["item__promised_days"],
        "lowest_tier": row["item__lowest_tier"], "responsibilities": row.get("item__responsibilities"),
        "accountability": row.get("item__accountability"), "is_core": row["item__is_core"],
        "parent_code": row.get("item__parent__code"),
        **{key: row.get(f"item__{key}") for key in STANDARD_ITEM_KEYS},
    })
    share = row.get("fiscal_share")
    cells.update({
        "arrangement": _zh_labels()["arrangement"].get(row.get("arrangement"), ""),
        "role": row.get("role", ""),
        "from_government": row.get("source__government__name") or "",
        "fiscal_share": "" if share is None else f"{share:.2f}",
        "valid_from": row["valid_from"].isoformat() if row.get("valid_from") else "",
        "valid_to": row["valid_to"].isoformat() if row.get("valid_to") else "",
    })
    return cells


def write_csv(records: list[dict], columns: list[Column] = EXPORT_COLUMNS) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for record in records:
        writer.writerow(["" if record.get(c.key) is None else neutralise(record.get(c.key)) for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sheet_title(text: str) -> str:
    """A worksheet's title from any text (a government's name): without the characters Excel forbids
    there (/ \\ ? * : [ ]), without a leading or trailing apostrophe, at most 31 characters."""
    title = re.sub(r"[/\\?*:\[\]]", "_", str(text or ""))[:31].strip("'")
    return title or "Sheet1"


def write_xlsx(records: list[dict], columns: list[Column] = EXPORT_COLUMNS, title: str = "权力清单") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.append([c.header for c in columns])
    for record in records:
        sheet.append([neutralise(record.get(c.key)) for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- reading ---------------------------------------------------------------------------------------


def _refuse(code: str, zh: str, en: str, **details):
    raise InvalidInput(code, zh, en, **details)


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (as text) of an uploaded XLSX or CSV file, refusing anything else."""
    if len(data) > MAX_UPLOAD_BYTES:
        _refuse("file_too_large", f"文件过大：最大 {MAX_UPLOAD_BYTES // 1024 // 1024} MB。",
                f"The file is too large: at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB.", size=len(data))
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        rows = _read_xlsx(data)
    elif name.endswith(".csv"):
        rows = _read_csv(data)
    else:
        _refuse("unsupported_file", "只接受 .xlsx 或 .csv 文件。", "Only .xlsx and .csv files are accepted.")
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        _refuse("empty_file", "文件中没有数据。", "The file holds no data.")
    if len(rows) - 1 > MAX_ROWS:
        _refuse("too_many_rows", f"行数过多：最多 {MAX_ROWS} 行。", f"Too many rows: at most {MAX_ROWS}.",
                rows=len(rows) - 1)
    headers = [h.strip() for h in rows[0]]
    return headers, rows[1:]


def _read_csv(data: bytes) -> list[list[str]]:
    if b"\x00" in data:  # a binary file, or text no database column could keep
        _refuse("not_a_spreadsheet", "该文件不是有效的 CSV 文本文件。", "The file is not a valid CSV text file.")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        _refuse("bad_encoding", "无法识别文件编码，请另存为 UTF-8 编码的 CSV。",
                "The file's encoding is not recognised; save it as UTF-8 CSV.")
    try:
        return [list(row) for row in csv.reader(io.StringIO(text))]
    except csv.Error as exc:
        _refuse("bad_csv", "CSV 格式有误。", "The CSV file is malformed.", error=str(exc))


def _read_xlsx(data: bytes) -> list[list[str]]:
    """The first worksheet's non-blank rows, read within the bounds of :mod:`spreadsheet_reader` (entries,
    sizes and compression of the archive; rows, columns, cell length and text while streaming)."""
    from .spreadsheet_reader import read_xlsx

    return read_xlsx(data, max_rows=MAX_ROWS)


@functools.cache
def _header_keys() -> dict[str, tuple[int, str]]:
    """Every recognised header (normalised, lower-cased) → (its priority, its column key): the template's
    Chinese and English headers first, then the platforms' aliases in their order."""
    known: dict[str, tuple[int, str]] = {}
    for column in ITEM_COLUMNS:
        known.setdefault(normalise_header(column.header).lower(), (0, column.key))
        known.setdefault(normalise_header(column.english).lower(), (0, column.key))
    for key, aliases in HEADER_ALIASES.items():
        for rank, alias in enumerate(aliases, start=1):
            known.setdefault(normalise_header(alias).lower(), (rank, key))
    return known


def _export_only() -> set[str]:
    return {normalise_header(h).lower() for c in LIST_COLUMNS for h in (c.header, c.english)}


def normalise_header(header: str) -> str:
    """A header as it is matched: trimmed, full-width brackets and spaces as half-width, without a
    trailing "*" (platforms mark required columns so)."""
    text = str(header or "").replace("\u3000", " ").strip().rstrip("*＊").strip()
    return text.replace("(", "（").replace(")", "）")


def column_keys(headers: list[str], mapping: dict[str, str] | None = None,
                *, refuse_unknown: bool = True) -> list[str | None]:
    """The column key of each header (Chinese, English, a platform's header, or the government's saved
    ``mapping`` of header → key, ``IGNORE`` for a column left alone); export-only columns map to None.

    Raises InvalidInput naming unknown headers (``details["columns"]``) and missing required ones."""
    known = _header_keys()
    export_only = _export_only()
    mapping = {normalise_header(h).lower(): k for h, k in (mapping or {}).items()}
    chosen: dict[str, tuple[int, int]] = {}  # key -> (priority, index) of the column that gives it
    keys: list[str | None] = []
    unknown: list[str] = []
    duplicated: set[str] = set()
    for index, raw in enumerate(headers):
        header = normalise_header(raw)
        lowered = header.lower()
        rank_key = known.get(lowered)
        if lowered in mapping:
            rank_key = None if mapping[lowered] == IGNORE else (0, mapping[lowered])
            if rank_key is None:
                keys.append(None)
                continue
        if rank_key is None:
            if header and lowered not in export_only and header not in IGNORED_HEADERS:
                unknown.append(header)
            keys.append(None)
            continue
        rank, key = rank_key
        if key in chosen:
            previous_rank, previous_index = chosen[key]
            if previous_rank == rank:
                duplicated.add(key)
            elif rank < previous_rank:  # this header is the better name of the key: it wins
                keys[previous_index] = None
                chosen[key] = (rank, index)
                keys.append(key)
                continue
            keys.append(None)
            continue
        chosen[key] = (rank, index)
        keys.append(key)
    if unknown and refuse_unknown:
        _refuse("unknown_columns", "无法识别这些列：" + "、".join(unknown) + "。请在预览中为它们指定对应的栏目（保存后本政府的导入都会沿用），或使用模板中的列。",
                "Unknown columns: " + ", ".join(unknown) + ". Map them to the product's columns in the preview "
                "(the mapping is kept for this government's imports), or use the template's columns.",
                columns=unknown)
    if duplicated:
        _refuse("duplicate_columns", "有重复的列。", "Some columns appear twice.", columns=sorted(duplicated))
    required = [c for c in ITEM_COLUMNS[:3] if c.key not in keys and not (c.key == "code" and "basic_code" in keys)]
    if required:
        missing = [c.header for c in required]
        _refuse("missing_columns", "缺少必需的列：" + "、".join(missing) + "。",
                "Required columns are missing: " + ", ".join(missing) + ".", columns=missing)
    return keys


def unknown_headers(headers: list[str], mapping: dict[str, str] | None = None) -> list[str]:
    """The headers of a file that neither the product nor the saved mapping knows."""
    known = _header_keys()
    export_only = _export_only()
    mapped = {normalise_header(h).lower() for h in (mapping or {})}
    result = []
    for raw in headers:
        header = normalise_header(raw)
        lowered = header.lower()
        if (header and lowered not in known and lowered not in mapped and lowered not in export_only
                and header not in IGNORED_HEADERS and header not in result):
            result.append(header)
    return result


TEMPLATE_NOTE = _("模板：第一行是列名；权力类别填写中文名称（如“行政许可”）；责任事项用“；”分隔。")
