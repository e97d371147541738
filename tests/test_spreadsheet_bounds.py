"""Uploaded workbooks that expand are refused quickly and in little memory (powerlists/spreadsheet_reader.py).

Each hostile file is written here with :mod:`zipfile` (its XML by hand, so making it is fast) and read by
``read_table`` in a fresh Python process that reports the code it was refused with, the seconds the
reading took and the peak resident memory of the whole process (VmHWM, Django loaded). With
openpyxl's read-only reader the first three held a worker 27–45 s and up to +800 MB.

Measure one by hand (``/usr/bin/time -v`` prints "Maximum resident set size"), e.g. the million-row file::

    .venv/bin/python -c "import sys; sys.path.insert(0, 'tests'); import test_spreadsheet_bounds as t; \
open('/tmp/rows.xlsx', 'wb').write(t.million_numbered_rows())"
    /usr/bin/time -v .venv/bin/python tests/test_spreadsheet_bounds.py /tmp/rows.xlsx
"""
from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

SECONDS = 3.0                   # to refuse a hostile file, reading only
PEAK_BYTES = 250 * 1024 * 1024  # resident memory of the whole process, Django and the file included
ROOT = Path(__file__).resolve().parent.parent
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DATE1904 = ' date1904="1"'


# --- workbooks written by hand -------------------------------------------------------------------------


def _content_types(shared: bool) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_TYPE}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{SHEET_TYPE}.styles+xml"/>'
            + (f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEET_TYPE}.sharedStrings+xml"/>'
               if shared else "") + '</Types>')


STYLES = (f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN}">'
          '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy/mm/dd"/></numFmts>'
          '<fonts count="1"><font/></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
          '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
          '<cellXfs count="3"><xf numFmtId="0" xfId="0"/><xf numFmtId="164" xfId="0"/><xf numFmtId="14" xfId="0"/>'
          '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


def workbook(sheet, shared=None, *, extra=(), date1904=False) -> bytes:
    """An XLSX file whose first worksheet is ``sheet`` and whose shared strings are ``shared``: each bytes,
    str or an iterable of byte chunks (streamed into the archive, so a part of 200 MB costs no memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _content_types(shared is not None))
        archive.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><workbookPr'
                                            f'{DATE1904 if date1904 else ""}/>'
                                            '<sheets><sheet name="清单" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE_RELS}">'
                         f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                         f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/></Relationships>')
        archive.writestr("xl/styles.xml", STYLES)
        for name, part in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared), *extra):
            if part is None:
                continue
            if isinstance(part, str | bytes):
                archive.writestr(name, part)
                continue
            with archive.open(name, "w", force_zip64=True) as out:
                for chunk in part:
                    out.write(chunk)
    return buffer.getvalue()


def sheet_xml(rows_xml: str) -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{rows_xml}</sheetData></worksheet>'


def inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def header_and(*rows: list[str]) -> str:
    return sheet_xml("".join("<row>" + "".join(inline(t) for t in row) + "</row>"
                             for row in (["事项编码", "事项名称", "权力类别"], *rows)))


def _chunks(head: bytes, body, tail: bytes):
    yield head
    yield from body
    yield tail


def million_rows() -> bytes:
    """1,000,000 rows of one cell each, all alike: 63 KB, compressed 400 to 1."""
    rows = (b'<row><c><v>1</v></c></row>' * 50_000 for _ in range(20))
    return workbook(_chunks(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode(), rows, b"</sheetData></worksheet>"))


def million_numbered_rows() -> bytes:
    """1,000,000 rows of one cell each, numbered: 2.4 MB, compressed 15 to 1 like any workbook."""
    rows = (b"".join(b'<row r="%d"><c><v>1</v></c></row>' % n for n in range(start, start + 50_000))
            for start in range(1, 1_000_001, 50_000))
    return workbook(_chunks(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode(), rows, b"</sheetData></worksheet>"))


def million_columns() -> bytes:
    """One row of 1,000,000 cells, all alike: 29 KB, compressed 500 to 1."""
    cells = (b"<c><v>1</v></c>" * 50_000 for _ in range(20))
    return workbook(_chunks(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'.encode(), cells,
                            b"</row></sheetData></worksheet>"))


def million_numbered_columns() -> bytes:
    """One row of 1,000,000 cells holding 0 to 999,999: 2.6 MB, compressed 8 to 1."""
    cells = (b"".join(b"<c><v>%d</v></c>" % n for n in range(start, start + 50_000))
             for start in range(0, 1_000_000, 50_000))
    return workbook(_chunks(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'.encode(), cells,
                            b"</row></sheetData></worksheet>"))


def huge_cell(megabytes: int = 200) -> bytes:
    """One inline-string cell of 200 MB."""
    text = (b"a" * (1024 * 1024) for _ in range(megabytes))
    return workbook(_chunks(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
                            .encode(), text, b"</t></is></c></row></sheetData></worksheet>"))


def zip_bomb() -> bytes:
    """A worksheet under the size limit that is almost all blanks: 100 MB compressed about 1,000 to 1."""
    blanks = (b" " * (1024 * 1024) for _ in range(100))
    return workbook(_chunks(f'<worksheet xmlns="{MAIN}"><sheetData><row>{inline("事项编码")}'.encode(), blanks,
                            b"</row></sheetData></worksheet>"))


def huge_entry() -> bytes:
    """A valid small sheet beside an entry that declares 300 MB of zeros (never decompressed)."""
    zeros = (b"\x00" * (1024 * 1024) for _ in range(300))
    return workbook(header_and(["A1", "许可", "行政许可"]), extra=[("xl/media/image1.bin", zeros)])


def many_entries(count: int = 40_000) -> bytes:
    return workbook(header_and(["A1", "许可", "行政许可"]), extra=[(f"x/{n}", b"") for n in range(count)])


def many_shared_strings(count: int = 600_000) -> bytes:
    """A shared-string table of 600,000 distinct entries (under every size limit, over the count)."""
    strings = (b"".join(b"<si><t>%d</t></si>" % n for n in range(start, min(start + 50_000, count)))
               for start in range(0, count, 50_000))
    return workbook(header_and(["A1", "许可", "行政许可"]),
                    _chunks(f'<sst xmlns="{MAIN}">'.encode(), strings, b"</sst>"))


def huge_shared_strings() -> bytes:
    """A shared-string table that declares 150 MB."""
    strings = (b"<si><t>" + b"b" * (1024 * 1024) + b"</t></si>" for _ in range(150))
    return workbook(header_and(["A1", "许可", "行政许可"]), _chunks(f'<sst xmlns="{MAIN}">'.encode(), strings, b"</sst>"))


# --- reading in a fresh process ------------------------------------------------------------------------


def measure(path: Path, limits: dict | None = None) -> dict:
    """Read ``path`` in a new process: the refusal's code and messages, the seconds and the peak RSS."""
    env = {"SECRET_KEY": "test-only-key-for-the-spreadsheet-bounds-subprocess-0123456789", **os.environ,
           "DJANGO_SETTINGS_MODULE": "powerlists.settings"}
    args = [sys.executable, __file__, str(path)] + ([json.dumps(limits)] if limits else [])
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _peak_resident_bytes() -> int:
    """This process's peak resident memory: VmHWM of /proc/self/status, which belongs to the process's own
    address space. (``ru_maxrss`` is not used: Linux carries it across fork and exec, so a child of a
    large pytest process would report the parent's peak, not its own.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _main(path: str, limits: str | None = None) -> None:  # run as a script by measure()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from powerlists.services.errors import InvalidInput
    from powerlists.spreadsheets import MAX_ROWS, read_table

    data = Path(path).read_bytes()
    if limits:
        from powerlists import spreadsheet_reader

        def read(data, filename):
            return spreadsheet_reader.read_xlsx(data, max_rows=MAX_ROWS,
                                                limits=spreadsheet_reader.Limits(**json.loads(limits)))
    else:
        read = read_table
    outcome = {"code": None, "zh": "", "en": ""}
    start = time.perf_counter()
    try:
        read(data, "upload.xlsx")
    except InvalidInput as error:
        outcome = {"code": error.code, "zh": error.message_zh, "en": error.message_en}
    outcome["seconds"] = time.perf_counter() - start
    outcome["peak_bytes"] = _peak_resident_bytes()
    outcome["file_bytes"] = len(data)
    print(json.dumps(outcome))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    made = {}

    def make(name, builder):
        if name not in made:
            path = folder / f"{name}.xlsx"
            path.write_bytes(builder())
            made[name] = path
        return made[name]

    return make


def assert_refused_in_bounds(outcome: dict, code: str, zh: str, en: str) -> None:
    assert outcome["code"] == code, outcome
    assert zh in outcome["zh"] and en in outcome["en"], outcome
    assert outcome["seconds"] < SECONDS, outcome
    assert outcome["peak_bytes"] < PEAK_BYTES, outcome


# (name, builder, code, a piece of the Chinese message, a piece of the English one)
HOSTILE = [
    ("rows-1m", million_rows, "xlsx_compression_ratio", "压缩比异常", "zip bomb"),
    ("rows-1m-numbered", million_numbered_rows, "too_many_rows", "行数过多", "Too many rows"),
    ("columns-1m", million_columns, "xlsx_compression_ratio", "压缩比异常", "zip bomb"),
    ("columns-1m-numbered", million_numbered_columns, "too_many_columns", "列数过多", "Too many columns"),
    ("cell-200mb", huge_cell, "xlsx_entry_too_large", "解压后过大", "too large once decompressed"),
    ("zip-bomb", zip_bomb, "xlsx_compression_ratio", "压缩比异常", "zip bomb"),
    ("huge-entry", huge_entry, "xlsx_entry_too_large", "解压后过大", "too large once decompressed"),
    ("entries-40k", many_entries, "xlsx_too_many_entries", "部件过多", "too many parts"),
    ("shared-strings-600k", many_shared_strings, "xlsx_too_many_strings", "共享字符串过多", "too many shared strings"),
    ("shared-strings-150mb", huge_shared_strings, "xlsx_entry_too_large", "解压后过大", "too large once decompressed"),
]
# The archive's checks switched off: what the streaming alone does with the same files.
NO_ARCHIVE_CHECKS = {"entry_bytes": 2**40, "total_bytes": 2**40, "ratio": 2**40}
STREAMED = [
    ("rows-1m", million_rows, "too_many_rows", "行数过多", "Too many rows"),
    ("columns-1m", million_columns, "too_many_columns", "列数过多", "Too many columns"),
    ("cell-200mb", huge_cell, "cell_too_long", "单元格内容过长", "A cell is too long (row 1, column 1)"),
    ("shared-strings-150mb", huge_shared_strings, "cell_too_long", "第 1 个共享字符串", "shared string 1"),
]


@pytest.mark.parametrize(("name", "builder", "code", "zh", "en"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_workbook_that_expands_is_refused_quickly_in_little_memory(files, name, builder, code, zh, en):
    path = files(name, builder)
    assert path.stat().st_size < 5 * 1024 * 1024  # every one of them is an upload the size check lets in
    assert_refused_in_bounds(measure(path), code, zh, en)


@pytest.mark.parametrize(("name", "builder", "code", "zh", "en"), STREAMED, ids=[h[0] for h in STREAMED])
def test_the_streaming_bounds_hold_even_when_the_archive_checks_let_a_file_through(files, name, builder, code, zh,
                                                                                    en):
    """Defence in depth: with the archive's size and ratio checks off, the same files are refused while
    streaming: at row 20,002, at column 201, at character 32,768."""
    assert_refused_in_bounds(measure(files(name, builder), NO_ARCHIVE_CHECKS), code, zh, en)


def test_a_zip_bomb_of_blanks_is_read_through_in_bounded_time_and_memory(files):
    """Blanks are no data: past the archive checks, 100 MB of them cost a pass, not memory."""
    bomb = measure(files("zip-bomb", zip_bomb), NO_ARCHIVE_CHECKS)
    assert bomb["code"] is None, bomb  # a header row alone
    assert bomb["seconds"] < SECONDS and bomb["peak_bytes"] < PEAK_BYTES, bomb


# --- the limits, one by one, on small files ------------------------------------------------------------


def _refused(data: bytes, code: str, **limits):
    from powerlists import spreadsheet_reader
    from powerlists.services.errors import InvalidInput
    from powerlists.spreadsheets import MAX_ROWS

    with pytest.raises(InvalidInput) as info:
        spreadsheet_reader.read_xlsx(data, max_rows=MAX_ROWS, limits=spreadsheet_reader.Limits(**limits))
    assert info.value.code == code, info.value
    assert info.value.message_zh and info.value.message_en and info.value.message_zh != info.value.message_en
    return info.value


def _read(data: bytes) -> list[list[str]]:
    from powerlists.spreadsheets import read_table

    headers, rows = read_table(data, "list.xlsx")
    return [headers, *rows]


def test_two_hundred_columns_are_read_and_a_value_in_the_201st_is_refused():
    wide = [f"c{n}" for n in range(200)]
    assert _read(workbook(header_and(wide)))[1] == wide
    error = _refused(workbook(header_and(wide + ["one too many"])), "too_many_columns")
    assert error.details == {"row": 2, "column": 201}
    # an empty, formatted cell far to the right (as spreadsheet programs write) is nothing to refuse
    far = sheet_xml('<row><c t="inlineStr"><is><t>事项编码</t></is></c><c r="XFD1" s="1"/></row>')
    assert _read(workbook(far)) == [["事项编码"]]


@pytest.mark.parametrize("where", ["inline", "shared", "formula-text"])
def test_a_cell_of_32767_characters_is_read_and_one_more_is_refused(where):
    def book(length):
        if where == "inline":
            return workbook(header_and(["A1", "名" * length, "行政许可"]))
        if where == "shared":
            return workbook(sheet_xml('<row><c t="s"><v>0</v></c></row>'), f'<sst xmlns="{MAIN}"><si><r><t>'
                            f'{"名" * (length - 1)}</t></r><r><t>x</t></r></si></sst>')
        return workbook(sheet_xml(f'<row><c t="str"><f>A2</f><v>{"9" * length}</v></c></row>'))

    rows = _read(book(32_767))
    assert len(rows[1][1] if where == "inline" else rows[0][0]) == 32_767
    _refused(book(32_768), "cell_too_long")


def test_twenty_thousand_rows_are_read_and_one_more_is_refused_without_reading_on():
    from powerlists.spreadsheets import MAX_ROWS

    rows = "".join(f'<row><c t="inlineStr"><is><t>R{n}</t></is></c><c><v>{n}</v></c></row>' for n in range(MAX_ROWS))
    at_bound = workbook(sheet_xml('<row><c t="inlineStr"><is><t>事项编码</t></is></c></row>' + rows))
    assert len(_read(at_bound)) == MAX_ROWS + 1
    # blank rows (formatted, or cells of spaces) do not count, as they are not data
    blank = '<row><c s="1"/></row><row><c t="inlineStr"><is><t>  </t></is></c></row>' * 10
    assert len(_read(workbook(sheet_xml('<row><c t="inlineStr"><is><t>事项编码</t></is></c></row>' + blank + rows))))\
        == MAX_ROWS + 1
    error = _refused(workbook(sheet_xml('<row><c t="inlineStr"><is><t>事项编码</t></is></c></row>' + rows
                                        + "<row><c><v>1</v></c></row>" + "<bad>" * 100)), "too_many_rows")
    assert error.message_zh == f"行数过多：最多 {MAX_ROWS} 行。"  # refused before the unclosed tags are met


def test_every_other_limit_is_a_refusal_naming_it():
    small = workbook(header_and(["A1", "许可", "行政许可"], ["A2", "确认", "行政确认"]))
    _refused(small, "xlsx_too_many_entries", entries=5)
    _refused(small, "xlsx_entry_too_large", entry_bytes=500)
    _refused(small, "xlsx_too_large", total_bytes=2_000)
    _refused(small, "xlsx_compression_ratio", ratio=1, ratio_floor=100)
    _refused(small, "xlsx_too_complex", elements=10)
    _refused(small, "too_many_cells", cells=5)
    _refused(small, "too_much_text", text_chars=20)
    _refused(workbook(header_and(), f'<sst xmlns="{MAIN}"><si><t>a</t></si><si><t>b</t></si></sst>'),
             "xlsx_too_many_strings", shared_strings=1)


ENTITIES = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;'
            '&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')


@pytest.mark.parametrize("part", ["sheet", "shared strings", "external entity"])
def test_a_document_type_declaration_is_refused_so_no_entity_expands(part):
    if part == "sheet":
        data = workbook(ENTITIES + sheet_xml('<row><c t="inlineStr"><is><t>&lol3;</t></is></c></row>'))
    elif part == "shared strings":
        data = workbook(sheet_xml('<row><c t="s"><v>0</v></c></row>'),
                        ENTITIES + f'<sst xmlns="{MAIN}"><si><t>&lol3;</t></si></sst>')
    else:
        data = workbook('<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                        + sheet_xml('<row><c t="inlineStr"><is><t>&x;</t></is></c></row>'))
    _refused(data, "xlsx_doctype")


@pytest.mark.parametrize("sheet", [
    sheet_xml('<row><c t="s"><v>7</v></c></row>'),                       # no such shared string
    sheet_xml('<row><c><v>twelve</v></c></row>'),                         # not a number
    sheet_xml(f'<row><c><v>{"1" * 5000}</v></c></row>'),                  # more digits than Python converts
    sheet_xml('<row><c r="ABCD1"><v>1</v></c></row>'),                    # not a column
    sheet_xml('<row><c t="inlineStr"><is><t>unclosed</t></is></c>'),      # not XML
    sheet_xml('<row><c t="inlineStr"><is><t>&nbsp;</t></is></c></row>'),  # an undeclared entity
])
def test_a_damaged_sheet_is_not_a_spreadsheet_rather_than_an_error(sheet):
    _refused(workbook(sheet), "not_a_spreadsheet")


# --- valid files read exactly as before ----------------------------------------------------------------


def _as_openpyxl_read_them(data: bytes) -> list[list[str]]:
    """The rows the importers got before: openpyxl read-only, values only, blank rows dropped."""
    from openpyxl import load_workbook

    from powerlists.spreadsheet_reader import cell_text

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = [["" if v is None else (v if isinstance(v, str) else cell_text(v)) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return [row for row in rows if any(cell.strip() for cell in row)]


LEGAL_BASIS = "《中华人民共和国行政许可法》第十二条：" + "依法设定行政许可，" * 555  # 5,004 characters


@pytest.mark.parametrize("write_only", [True, False], ids=["write-only", "ordinary"])
@pytest.mark.parametrize("date1904", [False, True], ids=["1900", "1904"])
def test_a_workbook_written_by_openpyxl_reads_exactly_as_before(write_only, date1904):
    from openpyxl import Workbook

    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("权力清单") if write_only else book.active
    if date1904:
        book.epoch = datetime.datetime(1904, 1, 1)
    sheet.append(["事项编码", "事项名称", "权力类别", "设定依据", "法定时限（工作日）", "起始日期", "核心事权"])
    sheet.append(["XK-001", "企业投资项目核准", "行政许可", LEGAL_BASIS, 20, datetime.date(2020, 1, 31), True])
    sheet.append(["XK-002", " 建筑工程施工许可 ", "行政许可", "", 3.0, datetime.datetime(2021, 5, 6, 7, 8), False])
    sheet.append([None, "", "  "])  # a blank row
    sheet.append(["XK-003", "=SUM(A1)", "#N/A", 2.5, 12345678901234567890, datetime.time(12, 30), -1e-5])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()

    expected = [
        ["事项编码", "事项名称", "权力类别", "设定依据", "法定时限（工作日）", "起始日期", "核心事权"],
        ["XK-001", "企业投资项目核准", "行政许可", LEGAL_BASIS, "20", "2020-01-31", "True"],
        ["XK-002", " 建筑工程施工许可 ", "行政许可", "", "3", "2021-05-06", "False"],
        ["XK-003", "", "#N/A", "2.5", "12345678901234569216", "12:30:00", "-1e-05"],  # a formula: no cached value
    ]
    assert _read(data) == expected
    assert _as_openpyxl_read_them(data) == [[h.strip() if i == 0 else h for h in row]
                                            for i, row in enumerate(expected)]


@pytest.mark.filterwarnings("ignore:Cell C8 is marked as a date")
def test_a_workbook_as_excel_writes_it_reads_as_openpyxl_read_it():
    """Shared strings with rich-text runs and phonetic guides, styles with built-in and custom date formats,
    booleans, formula results, error values, ISO dates, rows and cells without references, a row out of
    order (skipped, as openpyxl skips it) and the declared dimension's width."""
    shared = (f'<sst xmlns="{MAIN}"><si><t>事项编码</t></si><si><t xml:space="preserve"> 名称 </t></si>'
              '<si><r><rPr><b/></rPr><t>权力</t></r><r><t>类别</t></r><rPh sb="0" eb="1"><t>けん</t></rPh></si>'
              '<si><t>A&amp;B &lt;x&gt; x005F_y</t></si><si><t/></si></sst>')
    sheet = (f'<worksheet xmlns="{MAIN}"><dimension ref="A1:F8"/><sheetData>'
             '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
             '<c r="D1" t="s"><v>3</v></c></row>'
             '<row r="2"><c r="A2" s="1"><v>43831</v></c><c r="B2" s="2"><v>43831.5</v></c><c r="C2"><v>1234.5</v></c>'
             '</row><row r="4"><c t="b"><v>1</v></c><c t="str"><f>A1</f><v>文本</v></c><c t="e"><v>#N/A</v></c>'
             '<c t="d"><v>2020-02-03T04:05:06</v></c><c t="inlineStr"><is><r><t>内</t></r><r><t>联</t></r></is></c>'
             '</row><row><c r="B5"><v>7.0</v></c><c r="A5"><v>1E3</v></c><c r="C5" t="s"><v>4</v></c></row>'
             '<row r="3"><c r="A3"><v>999</v></c></row>'
             '<row r="8"><c r="A8" s="1"><v>0.5</v></c><c r="B8"><v>-0</v></c><c r="C8" s="1"><v>1e9</v></c></row>'
             '</sheetData></worksheet>')
    for date1904 in (False, True):
        data = workbook(sheet, shared, date1904=date1904)
        day = "2024-01-02" if date1904 else "2020-01-01"
        assert _read(data) == [
            ["事项编码", "名称", "权力类别", "A&B <x> y", "", ""],
            [day, day, "1234.5", "", "", ""],
            ["True", "文本", "#N/A", "2020-02-03", "内联", ""],
            ["1000", "7", "", "", "", ""],
            ["12:00:00", "0", "#VALUE!", "", "", ""],
        ]
        rows = _as_openpyxl_read_them(data)
        assert [[c.strip() for c in rows[0]], *rows[1:]] == _read(data)


# --- both imports read through the bounded reader ------------------------------------------------------


def test_the_item_import_refuses_an_expanding_workbook(tree, files):
    from powerlists.services import imports
    from powerlists.services.errors import InvalidInput

    from .helpers import db_state

    before = db_state()
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as info:
        imports.preview_import(tree.city, files("columns-1m-numbered", million_numbered_columns).read_bytes(),
                               "list.xlsx")
    assert info.value.code == "too_many_columns"
    assert time.perf_counter() - started < SECONDS
    assert db_state() == before


def test_the_evidence_import_refuses_an_expanding_workbook(files):
    from powerlists.services.errors import InvalidInput
    from powerlists.spreadsheets_evaluation import read_evidence

    started = time.perf_counter()
    with pytest.raises(InvalidInput) as info:
        read_evidence(files("rows-1m-numbered", million_numbered_rows).read_bytes(), "evidence.xlsx")
    assert info.value.code == "too_many_rows"
    assert time.perf_counter() - started < SECONDS


if __name__ == "__main__":
    _main(*sys.argv[1:])
