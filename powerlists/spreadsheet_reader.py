"""Reading an uploaded XLSX workbook within fixed bounds of time and memory.

``openpyxl.load_workbook(read_only=True)`` sizes the whole worksheet before a caller can stop it (and
builds a whole row before yielding it), so a small upload that expands — a million one-cell rows, one
row of a million columns, one cell of 200 MB — held a worker for half a minute and hundreds of MB. This
reader never lets a file grow past the limits below:

1. before anything is decompressed, the ZIP archive's directory is checked: its number of entries, each
   entry's declared uncompressed size, their total and each entry's compression ratio (``zipfile`` never
   returns more than the declared size of an entry, so the declared sizes bound what can be read);
2. the parts it needs — content types, workbook, its relationships, styles, shared strings and the first
   worksheet — are streamed through expat in 64 KB chunks, never as a tree: a document type declaration
   (and so any entity) is refused, each part has a budget of XML elements, each cell and shared string a
   length, each row a number of columns, the sheet a number of rows, of cells and of characters; the
   first limit reached ends the reading with a refusal (:class:`InvalidInput`) naming it, in Chinese and
   in English.

For a valid file the rows are those ``openpyxl`` read-only gave the importers (``values_only`` with
``data_only``): the first worksheet, shared and inline strings, numbers (integral floats as integers),
booleans, and numbers styled with a date format as ISO dates (through openpyxl's own date-format
test and serial conversion), rows padded to the sheet's declared width; rows holding only blank cells
are left out. Deliberate differences, on files only a broken or hostile writer makes: a wrong
``<dimension>`` no longer drops the rows or columns outside it (nor pads past the column limit), and a
cell that openpyxl could not decode (a shared-string index out of range, a number that is not one) is a
refusal instead of an exception.
"""
from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass
from xml.parsers import expat

from .services.errors import InvalidInput


@dataclass(frozen=True)
class Limits:
    entries: int = 1_000                      # entries in the ZIP archive (a workbook has about ten)
    entry_bytes: int = 128 * 1024 * 1024      # declared uncompressed size of any one entry
    total_bytes: int = 256 * 1024 * 1024      # declared uncompressed size of all entries
    ratio: int = 100                          # uncompressed / compressed, for an entry over ratio_floor
    ratio_floor: int = 1024 * 1024            # (Apache POI's bound too; a workbook's XML is 10-30 to 1)
    elements: int = 4_000_000                 # XML elements in one part
    columns: int = 200                        # columns of a row (a cell holding text beyond is refused)
    cell_chars: int = 32_767                  # characters of a cell or shared string (Excel's own cap)
    shared_strings: int = 500_000             # entries of the shared-string table
    cells: int = 1_000_000                    # non-empty cells of the sheet
    text_chars: int = 64 * 1024 * 1024        # characters of the shared strings and the cells, together


LIMITS = Limits()
CHUNK = 64 * 1024

_WORKBOOK_TYPES = tuple(f"application/vnd.{kind}.main+xml" for kind in (
    "ms-excel.template.macroEnabled", "ms-excel.sheet.macroEnabled",
    "openxmlformats-officedocument.spreadsheetml.template", "openxmlformats-officedocument.spreadsheetml.sheet"))
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_R_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"


def _refuse(code: str, zh: str, en: str, **details):
    raise InvalidInput(code, zh, en, **details)


def _not_a_spreadsheet(**details):
    _refuse("not_a_spreadsheet", "该文件不是有效的 Excel（.xlsx）文件。", "The file is not a valid Excel (.xlsx) file.",
            **details)


def cell_text(value) -> str:
    """A cell's value as the importers read it: integral floats as integers, dates as ISO dates."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


# --- 1. the archive ------------------------------------------------------------------------------------


def _declared_entries(data: bytes) -> int | None:
    """The entry count of the end-of-central-directory record, read before ``zipfile`` builds an object
    per entry (None when absent or deferred to a ZIP64 record: the directory is counted after opening)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65_535))
    if at < 0 or at + 22 > len(data):
        return None
    total = struct.unpack_from("<H", data, at + 10)[0]
    return None if total == 0xFFFF else total


def open_archive(data: bytes, limits: Limits = LIMITS) -> zipfile.ZipFile:
    """The workbook's ZIP archive, refused when its directory says it would expand past the limits."""
    declared = _declared_entries(data)
    if declared is not None and declared > limits.entries:
        _too_many_entries(declared, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, struct.error) as exc:
        _not_a_spreadsheet(error=type(exc).__name__)
    infos = archive.infolist()
    if len(infos) > limits.entries:
        _too_many_entries(len(infos), limits)
    total = 0
    for info in infos:
        if info.file_size > limits.entry_bytes:
            _refuse("xlsx_entry_too_large",
                    f"该 Excel 文件中的“{info.filename[:100]}”解压后过大（{info.file_size} 字节，最多 "
                    f"{limits.entry_bytes // 1024 // 1024} MB）。",
                    f"The part “{info.filename[:100]}” of the Excel file is too large once decompressed "
                    f"({info.file_size} bytes; at most {limits.entry_bytes // 1024 // 1024} MB).",
                    part=info.filename[:100], size=info.file_size)
        total += info.file_size
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            _refuse("xlsx_compression_ratio",
                    f"该 Excel 文件中的“{info.filename[:100]}”压缩比异常（{ratio}:1，最多 {limits.ratio}:1），"
                    "可能是压缩炸弹。",
                    f"The part “{info.filename[:100]}” of the Excel file is compressed {ratio}:1 (at most "
                    f"{limits.ratio}:1); it may be a zip bomb.", part=info.filename[:100], ratio=ratio)
    if total > limits.total_bytes:
        _refuse("xlsx_too_large",
                f"该 Excel 文件解压后总大小过大（{total} 字节，最多 {limits.total_bytes // 1024 // 1024} MB）。",
                f"The Excel file is too large once decompressed ({total} bytes; at most "
                f"{limits.total_bytes // 1024 // 1024} MB).", size=total)
    return archive


def _too_many_entries(count: int, limits: Limits):
    _refuse("xlsx_too_many_entries", f"该 Excel 文件包含的部件过多（{count} 个，最多 {limits.entries} 个）。",
            f"The Excel file has too many parts ({count}; at most {limits.entries}).", entries=count)


# --- 2. streaming the parts ----------------------------------------------------------------------------


class _Part:
    """Handlers for one part, fed by :func:`_stream`: ``start(name, attrs)``, ``end(name)`` with local
    names, and ``text(data)`` for character data while ``self.capturing`` is true."""

    capturing = False

    def start(self, name: str, attrs: dict) -> None: ...

    def end(self, name: str) -> None: ...

    def text(self, data: str) -> None: ...


def _stream(archive: zipfile.ZipFile, name: str, part: _Part, limits: Limits) -> None:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = CHUNK
    count = 0

    def start(tag, attrs):
        nonlocal count
        count += 1
        if count > limits.elements:
            _refuse("xlsx_too_complex",
                    f"该 Excel 文件结构过于复杂（“{name}”中的 XML 元素超过 {limits.elements} 个）。",
                    f"The Excel file is too complex (more than {limits.elements} XML elements in “{name}”).",
                    part=name)
        part.start(tag.rpartition(" ")[2], attrs)

    def text(data):
        if part.capturing:
            part.text(data)

    def doctype(*args):
        _refuse("xlsx_doctype", "该 Excel 文件包含不允许的 XML 文档类型声明（DOCTYPE）。",
                "The Excel file holds an XML document type declaration (DOCTYPE), which is not allowed.", part=name)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: part.end(tag.rpartition(" ")[2])
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        with archive.open(name) as source:
            while chunk := source.read(CHUNK):
                parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
            ValueError, OSError) as exc:
        _not_a_spreadsheet(part=name, error=type(exc).__name__)


class _ContentTypes(_Part):
    def __init__(self):
        self.workbook = self.shared_strings = None
        self.default_workbook = False

    def start(self, name, attrs):
        kind = attrs.get("ContentType", "")
        if name == "Override":
            part = attrs.get("PartName", "").lstrip("/")
            if kind in _WORKBOOK_TYPES and self.workbook is None:
                self.workbook = part
            elif kind == _SHARED_STRINGS_TYPE and self.shared_strings is None:
                self.shared_strings = part
        elif name == "Default" and kind in _WORKBOOK_TYPES:
            self.default_workbook = True  # some writers reassign application/xml (openpyxl takes xl/workbook.xml)


class _Workbook(_Part):
    def __init__(self):
        self.date1904 = False
        self.sheet_ids: list[str] = []

    def start(self, name, attrs):
        if name == "workbookPr":
            flag = attrs.get("date1904", "")
            self.date1904 = bool(flag) and flag not in ("false", "f", "0")
        elif name == "sheet" and attrs.get(_R_ID) and len(self.sheet_ids) < 10_000:
            self.sheet_ids.append(attrs[_R_ID])


class _Relationships(_Part):
    def __init__(self, folder: str):
        self.parent = posixpath.split(folder)[0]
        self.targets: dict[str, tuple[str, str]] = {}

    def start(self, name, attrs):
        if name != "Relationship" or attrs.get("TargetMode") == "External" or len(self.targets) >= 10_000:
            return
        target = attrs.get("Target", "")
        target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(self.parent, target))
        self.targets[attrs.get("Id", "")] = (attrs.get("Type", ""), target)


class _Styles(_Part):
    """Which cell styles (``cellXfs`` indexes) have a date or a time-interval number format."""

    def __init__(self):
        self.custom: dict[int, str] = {}
        self.xf_formats: list[int] = []
        self.in_cell_xfs = False

    def start(self, name, attrs):
        if name == "numFmt":
            self.custom[_int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")[:1000]
        elif name == "cellXfs":
            self.in_cell_xfs = True
        elif name == "xf" and self.in_cell_xfs:
            self.xf_formats.append(_int(attrs.get("numFmtId", "0")))

    def end(self, name):
        if name == "cellXfs":
            self.in_cell_xfs = False

    def date_formats(self) -> tuple[set[int], set[int]]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        dates, intervals = set(), set()
        for index, number_format in enumerate(self.xf_formats):
            code = self.custom[number_format] if number_format in self.custom else BUILTIN_FORMATS.get(number_format)
            if is_date_format(code):
                dates.add(index)
                if is_timedelta_format(code):
                    intervals.add(index)
        return dates, intervals


def _int(text: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        _not_a_spreadsheet(error=f"not a number: {str(text)[:20]}")


class _Budget:
    """The characters and cells the whole reading may keep, shared by the string table and the sheet."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.chars = 0
        self.cells = 0

    def add_text(self, count: int) -> None:
        self.chars += count
        if self.chars > self.limits.text_chars:
            _refuse("too_much_text", f"文件中的文字过多：最多 {self.limits.text_chars} 个字符。请拆分文件后分别导入。",
                    f"The file holds too much text: at most {self.limits.text_chars} characters. Split it and "
                    "import the parts one by one.")

    def add_cell(self) -> None:
        self.cells += 1
        if self.cells > self.limits.cells:
            _refuse("too_many_cells", f"非空单元格过多：最多 {self.limits.cells} 个。请拆分文件后分别导入。",
                    f"Too many non-empty cells: at most {self.limits.cells}. Split the file and import the parts "
                    "one by one.")


def _cell_too_long(limits: Limits, where_zh: str, where_en: str, **details):
    _refuse("cell_too_long", f"单元格内容过长（{where_zh}）：每个单元格最多 {limits.cell_chars} 个字符。",
            f"A cell is too long ({where_en}): at most {limits.cell_chars} characters per cell.", **details)


class _RichText(_Part):
    """Text of a string item (``si``, or a cell's ``is``): its ``t`` and the ``t`` of its runs (``r``),
    not the phonetic guides (``rPh``) — openpyxl's ``Text.content``."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.pieces: list[str] = []
        self.length = 0
        self.skip = 0  # depth inside rPh
        self.capturing = False

    def begin(self):
        self.pieces, self.length, self.skip, self.capturing = [], 0, 0, False

    def start_text(self, name):
        if name == "rPh":
            self.skip += 1
        elif name == "t" and not self.skip:
            self.capturing = True

    def end_text(self, name):
        if name == "rPh":
            self.skip -= 1
        elif name == "t":
            self.capturing = False

    def add(self, data: str) -> bool:
        """Keep ``data``; False once the text is longer than a cell may be."""
        self.length += len(data)
        if self.length > self.limits.cell_chars:
            return False
        self.pieces.append(data)
        return True

    def value(self) -> str:
        return "".join(self.pieces)


class _SharedStrings(_RichText):
    def __init__(self, limits: Limits, budget: _Budget):
        super().__init__(limits)
        self.budget = budget
        self.strings: list[str] = []
        self.inside = False

    def start(self, name, attrs):
        if name == "si":
            self.begin()
            self.inside = True
        elif self.inside:
            self.start_text(name)

    def end(self, name):
        if name == "si":
            self.inside = self.capturing = False
            if len(self.strings) >= self.limits.shared_strings:
                _refuse("xlsx_too_many_strings",
                        f"该 Excel 文件的共享字符串过多：最多 {self.limits.shared_strings} 个。",
                        f"The Excel file has too many shared strings: at most {self.limits.shared_strings}.")
            text = self.value().replace("x005F_", "")
            self.budget.add_text(len(text))
            self.strings.append(text)
        elif self.inside:
            self.end_text(name)

    def text(self, data):
        if not self.add(data):
            _cell_too_long(self.limits, f"第 {len(self.strings) + 1} 个共享字符串",
                           f"shared string {len(self.strings) + 1}", string=len(self.strings) + 1)


class _Sheet(_RichText):
    """The rows of a worksheet, as lists of text, read row by row."""

    def __init__(self, limits: Limits, budget: _Budget, strings: list[str], dates: set[int], intervals: set[int],
                 epoch, max_rows: int):
        super().__init__(limits)
        self.budget, self.strings, self.dates, self.intervals, self.epoch = budget, strings, dates, intervals, epoch
        self.max_rows = max_rows
        self.rows: list[list[str]] = []
        self.width = 0           # the declared <dimension>'s width, when within the column limit
        self.row_index = 0       # as openpyxl counts: a row's r, or the one before plus one
        self.last_kept = 0       # a row numbered at or before the last one read is skipped (as openpyxl)
        self.cells: dict[int, str] | None = None
        self.row_width = 0
        self.column = 0
        self.cell = None         # (type, style) of the open cell
        self.value_pieces: list[str] | None = None
        self.in_inline = False
        self.has_inline = False

    # where in the file, for messages
    def _where(self):
        return (f"第 {self.row_index} 行第 {self.column} 列", f"row {self.row_index}, column {self.column}")

    def start(self, name, attrs):
        if self.cell is not None:
            if self.in_inline:
                self.start_text(name)
            elif name == "v":
                self.value_pieces = []
                self.length = 0
                self.capturing = True
            elif name == "is":
                self.in_inline = self.has_inline = True
                self.begin()
            return
        if name == "c" and self.cells is not None:
            reference = attrs.get("r")
            self.column = _column(reference) if reference else self.column + 1
            style = attrs.get("s")
            self.cell = (attrs.get("t", "n"), _int(style) if style else 0)
            self.value_pieces = None
            self.has_inline = self.in_inline = False
        elif name == "row":
            number = attrs.get("r")
            self.row_index = _row_number(number) if number is not None else self.row_index + 1
            self.cells, self.row_width, self.column = {}, 0, 0
        elif name == "dimension":
            self.width = _dimension_width(attrs.get("ref", ""), self.limits.columns)

    def text(self, data):
        if self.in_inline:
            ok = self.add(data)
        else:
            self.length += len(data)
            ok = self.length <= self.limits.cell_chars
            if ok:
                self.value_pieces.append(data)
        if not ok:
            zh, en = self._where()
            _cell_too_long(self.limits, zh, en, row=self.row_index, column=self.column)

    def end(self, name):
        if self.cell is not None:
            if name == "c":
                self._end_cell()
            elif self.in_inline:
                if name == "is":
                    self.in_inline = self.capturing = False
                else:
                    self.end_text(name)
            elif name == "v":
                self.capturing = False
        elif name == "row" and self.cells is not None:
            self._end_row()

    def _end_cell(self):
        kind, style = self.cell
        self.cell, self.capturing = None, False
        text = self._value(kind, style)
        column = self.column
        if column > self.limits.columns:
            if text.strip():
                zh, en = self._where()
                _refuse("too_many_columns", f"列数过多（{zh}）：最多 {self.limits.columns} 列。",
                        f"Too many columns ({en}): at most {self.limits.columns}.", row=self.row_index,
                        column=column)
            return  # an empty (formatted) cell past the limit is nothing to read
        if len(text) > self.limits.cell_chars:
            zh, en = self._where()
            _cell_too_long(self.limits, zh, en, row=self.row_index, column=column)
        self.row_width = max(self.row_width, column)
        if text:
            if kind != "s":  # a shared string's characters are counted once, in the table
                self.budget.add_text(len(text))
            self.budget.add_cell()
            self.cells[column] = text
        else:
            self.cells.pop(column, None)

    def _value(self, kind: str, style: int) -> str:
        if kind == "inlineStr":
            return self.value() if self.has_inline else ""
        value = "".join(self.value_pieces) if self.value_pieces else None
        if value is None:
            return ""
        try:
            if kind == "n":
                number = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                if style in self.dates:
                    from openpyxl.utils.datetime import from_excel

                    try:
                        return cell_text(from_excel(number, self.epoch, timedelta=style in self.intervals))
                    except (OverflowError, ValueError):
                        return "#VALUE!"
                return cell_text(number)
            if kind == "s":
                return self.strings[int(value)]
            if kind == "b":
                return cell_text(bool(int(value)))
            if kind == "d":
                from openpyxl.utils.datetime import from_ISO8601

                return cell_text(from_ISO8601(value))
        except (ValueError, IndexError, OverflowError, TypeError):
            _not_a_spreadsheet(row=self.row_index, column=self.column, error=f"bad {kind} cell")
        return value  # str (a formula's text result), e (an error such as #N/A), or a type openpyxl keeps

    def _end_row(self):
        cells, self.cells = self.cells, None
        if self.row_index <= self.last_kept:
            return
        self.last_kept = self.row_index
        if not any(text.strip() for text in cells.values()):
            return
        if len(self.rows) >= self.max_rows:
            _refuse("too_many_rows", f"行数过多：最多 {self.max_rows - 1} 行。",
                    f"Too many rows: at most {self.max_rows - 1}.")
        row = [""] * max(self.row_width, self.width)
        for column, text in cells.items():
            row[column - 1] = text
        self.rows.append(row)


def _column(reference: str) -> int:
    """The column number of a cell reference such as ``AB12`` (letters only: 1 to 18,278)."""
    letters = reference.rstrip("0123456789$").lstrip("$").upper()
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        _not_a_spreadsheet(error=f"bad cell reference {reference[:20]}")
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            number = 0.5
        if not number.is_integer():
            _not_a_spreadsheet(error=f"bad row number {text[:20]}")
        return int(number)


def _dimension_width(ref: str, limit: int) -> int:
    """The width a ``<dimension ref="A1:T200">`` declares, or 0 when absent, unreadable or past ``limit``
    (rows are then as wide as their own cells)."""
    last = ref.rpartition(":")[2]
    letters = last.rstrip("0123456789$").lstrip("$").upper()
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        return 0
    width = 0
    for letter in letters:
        width = width * 26 + ord(letter) - 64
    return width if width <= limit else 0


# --- 3. the workbook -----------------------------------------------------------------------------------


def read_xlsx(data: bytes, *, max_rows: int, limits: Limits = LIMITS) -> list[list[str]]:
    """The non-blank rows of the first worksheet of an XLSX file, each a list of text.

    ``max_rows`` bounds the data rows after the first (the header): the reading stops with a
    ``too_many_rows`` refusal at the first row past them. Any other limit of ``limits`` reached is a
    refusal naming it; a file that is not a workbook is ``not_a_spreadsheet``.
    """
    archive = open_archive(data, limits)
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        _not_a_spreadsheet(error="no [Content_Types].xml")
    types = _ContentTypes()
    _stream(archive, "[Content_Types].xml", types, limits)
    workbook_name = types.workbook or ("xl/workbook.xml" if types.default_workbook else None)
    if workbook_name not in names:
        _not_a_spreadsheet(error="no workbook part")
    workbook = _Workbook()
    _stream(archive, workbook_name, workbook, limits)
    folder, base = posixpath.split(workbook_name)
    rels_name = posixpath.join(folder, "_rels", base + ".rels")
    if rels_name not in names:
        _not_a_spreadsheet(error="no workbook relationships")
    relationships = _Relationships(posixpath.join(folder, "_rels"))
    _stream(archive, rels_name, relationships, limits)
    sheet_name = None
    for sheet_id in workbook.sheet_ids:
        kind, target = relationships.targets.get(sheet_id, ("", ""))
        if target in names and "chartsheet" not in kind:
            sheet_name = target
            break
    if sheet_name is None:
        _not_a_spreadsheet(error="no worksheet")

    dates, intervals = set(), set()
    if "xl/styles.xml" in names:  # where openpyxl looks for it
        styles = _Styles()
        _stream(archive, "xl/styles.xml", styles, limits)
        dates, intervals = styles.date_formats()
    budget = _Budget(limits)
    strings: list[str] = []
    if types.shared_strings in names:
        table = _SharedStrings(limits, budget)
        _stream(archive, types.shared_strings, table, limits)
        strings = table.strings

    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

    sheet = _Sheet(limits, budget, strings, dates, intervals, MAC_EPOCH if workbook.date1904 else WINDOWS_EPOCH,
                   max_rows + 1)
    _stream(archive, sheet_name, sheet, limits)
    archive.close()
    return sheet.rows
