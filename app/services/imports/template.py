"""Import templates (spec 4.2.4 (1), (6), (9); 4.2.2) and every workbook in the template's form.

A workbook has three sheets: the data sheet (named after the set, Chinese headers, * marks the required ones,
a note on each header, dropdowns, text-formatted ID / phone / certificate columns), 填写须知, and the hidden `_meta`
sheet with the institution code, the set, the template version (a hash of the columns and the lists) and the lists
the dropdowns point to. Exports and error reports are the same workbook with rows in it, so they can be uploaded
again as they are.

openpyxl writes the package (styles, header, notes, validations, the other sheets). The data rows are rendered by
`_RowWriter` straight into the data sheet's XML, with a shared-strings table, and their notes appended to the notes
part openpyxl wrote for the header: openpyxl's per-cell path costs about 15 µs a cell and its notes writer about
100 µs a note, which put a 10,000-row error report at 6–9 s against a budget of 3 s. Every string cell is written
as a string (never a formula), and one that starts with = + - @ also gets Excel's quote prefix, so a value typed
by a user can never become a formula in an exported or error workbook, not even after editing the cell.
"""
from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from flask import current_app, has_app_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation

from app.services.imports.columns import BASIC, NATURAL_KEYS, SETS, TEMPLATE_FORMAT, Catalogue

META_SHEET = "_meta"
GUIDE_SHEET = "填写须知"
NOTES_SHEET = "提醒"  # a report's rows imported with a warning
NOTES_HEADER = ("行号", "姓名", "提醒内容")
ERROR_HEADER = "错误原因"
COLUMNS_LIST = "__columns__"
# An export's record versions (optimistic concurrency): "id:version,…" in cells of at most VERSION_CELL characters,
# a column of _meta. A re-imported row whose record has a newer version is reported, not written (checks.py).
RECORD_VERSIONS = "__record_versions__"
VERSION_CELL = 30000
META_KEYS = ("institution_code", "institution_name", "set", "version", "format", "generated_at")
LIST_FIRST_COLUMN = 4  # lists start in column D of _meta
AUTHOR = "卫生健康基础资源管理系统"
DEFAULT_MAX_ROWS = 100_000
COMPRESS_LEVEL = 1  # the sheet XML is repetitive: level 1 is 3–4× faster than 6 for a file about 15 % larger

_RED = PatternFill("solid", fgColor="FFC7CE")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_ERROR_HEADER_FILL = PatternFill("solid", fgColor="F8CBAD")
_INJECTION_START = ("=", "+", "-", "@")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_SHEET_PART = "xl/worksheets/sheet1.xml"  # the data sheet is always created first
_COMMENTS_PART = "xl/comments/comment1.xml"  # its header notes; the other sheets have none
_VML_PART = "xl/drawings/commentsDrawing1.vml"
_SST_PART = "xl/sharedStrings.xml"
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
_VML_NAMESPACES = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                   b'xmlns:x="urn:schemas-microsoft-com:office:excel">')
_VML_SHAPE = (  # the shape Excel writes for a note (openpyxl's, with the namespaces declared once on the root)
    '<v:shape id="_x0000_s{id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;'
    'width:{w}px;height:{h}px;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
    '<v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/><v:path o:connecttype="none"/>'
    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/></v:textbox>'
    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill>'
    '<x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData></v:shape>'
)


def _background_rows() -> int:
    return int(current_app.config.get("IMPORT_BACKGROUND_ROWS", 100)) if has_app_context() else 100


def max_rows() -> int:
    if has_app_context():
        return int(current_app.config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))
    return DEFAULT_MAX_ROWS


@dataclass
class SheetRow:
    """A data row to write: `cells` in the order of the template's columns; for error reports the 错误原因 text
    and the notes of the offending cells (column index in `cells` → message)."""

    cells: list
    reason: str | None = None
    marks: dict = field(default_factory=dict)


def build_template(institution, set_key: str) -> bytes:
    """The empty import template of one set for one institution (.xlsx bytes)."""
    return write_workbook(Catalogue(institution, set_key), ())


def template_filename(institution, set_key: str, kind: str = "导入模板") -> str:
    return f"{institution.name}-{SETS[set_key]}{kind}-{datetime.date.today():%Y%m%d}.xlsx"


# ---- text helpers ------------------------------------------------------------------------------------------------

def _clean(text: str) -> str:
    text = _ILLEGAL_XML.sub("", text)
    if "_x" in text:  # Excel would read _x0041_ as an escaped character: escape the underscore itself
        text = _EXCEL_ESCAPE.sub(r"_x005F_\1", text)
    return text


def _xml_text(text: str) -> str:
    return escape(_clean(text))


def _safe_cell(ws, value, **style) -> WriteOnlyCell:
    """A cell for openpyxl that is never a formula (openpyxl treats any string starting with = as one)."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(_INJECTION_START):
            cell.quotePrefix = True
    for key, v in style.items():
        setattr(cell, key, v)
    return cell


# ---- the fast row writer -----------------------------------------------------------------------------------------

REASON_WIDTH = 50  # width of the 错误原因 column (characters of the default font)
LINE_POINTS = 15  # height of one line of text


def _reason_height(text: str) -> int:
    """Row height (points) that shows the whole 错误原因 text wrapped in its column: a CJK character takes two
    character widths. Excel allows at most 409 points."""
    per_line = REASON_WIDTH - 2
    lines = 0
    for line in text.split("\n"):
        width = sum(2 if ord(ch) > 0x2E7F else 1 for ch in line)
        lines += max(1, -(-width // per_line))
    return min(409, lines * LINE_POINTS + 3)


class _RowWriter:
    """Renders data rows (from row 2) as SpreadsheetML with a shared-strings table; collects the cell notes."""

    def __init__(self, styles: dict, text_columns: set, lead: int, first_shape_id: int):
        self.styles = styles  # (as_text, quoted, date, red) → xf id; "reason" → xf id of the 错误原因 cells
        self.text_columns = text_columns
        self.lead = lead
        self.strings: dict[str, int] = {}
        self.string_refs = 0
        self.comments: list[str] = []
        self.shapes: list[str] = []
        self.next_shape = first_shape_id
        self.letters = [get_column_letter(i) for i in range(1, 200)]

    def _string(self, text: str) -> int:
        self.string_refs += 1
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def _other(self, ref: str, value, as_text: bool, red: bool) -> str:
        """A cell that is not a string."""
        styles = self.styles
        if isinstance(value, bool):
            return f'<c r="{ref}" s="{styles[(as_text, False, False, red)]}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, (int, float)) and math.isfinite(value):
            return f'<c r="{ref}" s="{styles[(as_text, False, False, red)]}"><v>{value!r}</v></c>'
        if isinstance(value, datetime.date):  # datetime included
            return f'<c r="{ref}" s="{styles[(False, False, True, red)]}"><v>{to_excel(value)!r}</v></c>'
        text = str(value)
        style = styles[(as_text, text.startswith(_INJECTION_START), False, red)]
        return f'<c r="{ref}" s="{style}" t="s"><v>{self._string(text)}</v></c>'

    def _note(self, ref: str, row: int, col: int, text: str):
        self.comments.append(f'<comment ref="{ref}" authorId="0" shapeId="0"><text><t xml:space="preserve">'
                             f'{_xml_text(text)}</t></text></comment>')
        lines = max(3, min(12, len(text) // 16 + 2))
        self.shapes.append(_VML_SHAPE.format(w=260, h=18 * lines, id=self.next_shape, row=row - 1, col=col - 1))
        self.next_shape += 1

    def render(self, rows):
        """Yields the XML of the rows (from row 2) in chunks of bytes."""
        styles, strings, letters, lead = self.styles, self.strings, self.letters, self.lead
        text_style = {(as_text, quoted): styles[(as_text, quoted, False, False)]
                      for as_text in (False, True) for quoted in (False, True)}
        columns = None
        buf, r = [], 1
        for row in rows:
            r += 1
            rs = str(r)
            if columns is None:
                columns = [(letters[i + lead], i in self.text_columns) for i in range(len(row.cells))]
            if lead and row.reason:  # an explicit height: LibreOffice/WPS do not grow the row for wrapped text
                parts = ['<row r="', rs, f'" ht="{_reason_height(row.reason)}" customHeight="1">']
            else:
                parts = ['<row r="', rs, '">']
            if lead and row.reason:
                parts.append(f'<c r="A{rs}" s="{styles["reason"]}" t="s"><v>{self._string(row.reason)}</v></c>')
            marks = row.marks
            for i, value in enumerate(row.cells):
                if marks and i in marks:
                    letter, as_text = columns[i]
                    ref = letter + rs
                    if value is None or value == "":
                        parts.append(f'<c r="{ref}" s="{styles[(as_text, False, False, True)]}"/>')
                    elif value.__class__ is str:
                        style = styles[(as_text, value.startswith(_INJECTION_START), False, True)]
                        parts.append(f'<c r="{ref}" s="{style}" t="s"><v>{self._string(value)}</v></c>')
                    else:
                        parts.append(self._other(ref, value, as_text, True))
                    self._note(ref, r, i + 1 + lead, marks[i])
                    continue
                if value is None:
                    continue
                if value.__class__ is str:
                    if not value:
                        continue
                    letter, as_text = columns[i]
                    self.string_refs += 1
                    index = strings.get(value)
                    if index is None:
                        index = strings[value] = len(strings)
                    style = text_style[(as_text, value[0] in "=+-@")]
                    parts.append(f'<c r="{letter}{rs}" s="{style}" t="s"><v>{index}</v></c>')
                else:
                    letter, as_text = columns[i]
                    parts.append(self._other(letter + rs, value, as_text, False))
            parts.append("</row>")
            buf.append("".join(parts))
            if len(buf) >= 1000:
                yield "".join(buf).encode("utf-8")
                buf = []
        if buf:
            yield "".join(buf).encode("utf-8")

    def shared_strings(self) -> bytes:
        out = [f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{self.string_refs}" '
               f'uniqueCount="{len(self.strings)}">']
        for text in self.strings:
            clean = _xml_text(text)
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            out.append(f"<si><t{space}>{clean}</t></si>")
        out.append("</sst>")
        return "".join(out).encode("utf-8")


# ---- the workbook ------------------------------------------------------------------------------------------------

def _guide_lines(cat: Catalogue, version: str, limit: int) -> list[str]:
    lines = [
        f"本模板用于“{cat.institution_name}”的“{cat.label}”批量导入（模板版本 {version}，"
        f"生成时间 {datetime.datetime.now():%Y-%m-%d %H:%M}）。请使用本机构账号下载的模板，不要使用其他机构的模板。",
        "1. 带 * 的列为必填项；表头单元格的批注说明了该列的填写要求。请不要修改表头、不要删除或显示隐藏的工作表。",
        f"2. 机构名称须与登录机构名称完全一致：{cat.institution_name}。",
        "3. 有下拉框的列须按下拉框中的内容填写，不能填写其他内容（例如性别为“男性”“女性”）。",
        "4. 证件号码、手机号码、证书编号等列已设为文本格式，请不要让 Excel 把它们改成 4.2E+17 这样的科学计数法；"
        "手机号码须为 11 位且前 3 位符合手机号段。",
        "5. 日期格式为 YYYY-MM-DD（如 2020-09-01），没有具体日期时可精确到月（YYYY-MM，系统自动补为 01 日），"
        "也可以使用 Excel 的日期格式；仍在进行中的截止日期填写汉字“至今”。",
        f"6. 空白行会被忽略；一个文件最多 {limit:,} 行数据，超过 {_background_rows()} 行时系统在后台导入，"
        "可在“人员信息导入管理”中查看进度。",
        "7. 勾选“更新已存在的数据”时，系统中已存在的记录将被本文件中的内容替换（空白单元格会清空原有内容）；"
        "不勾选时，已存在的记录跳过不导入。",
        "8. 模板会随系统的字典、部门、岗位变化而更新：请在上传前重新下载模板，旧模板会被拒绝并说明变化的内容。",
        "9. 导入失败的行可下载错误报告：第一列“错误原因”列出该行的全部错误，出错的单元格标红并带批注。"
        "改正后可直接上传错误报告（系统会忽略“错误原因”列），也可以删去第一列后上传。",
    ]
    if cat.set_key == BASIC:
        lines += [
            "10. 证件号码是识别人员的依据：本机构已有该证件号码的人员视为已存在；姓名须与系统中登记的一致。",
            "11. 所在科室须与“部门管理”中维护的名称完全一致（包括标点、空格、罗马数字），岗位须为“岗位管理”中已有的岗位；"
            "批量导入前须维护好部门和岗位，且至少有一个岗位完成映射。",
            "12. 学历为大专及以上时，所学专业必填。证件类型为居民身份证时，性别和出生日期可不填，系统按证件号码识别。",
        ]
    else:
        keys = "、".join(f.label for f in cat.detail_set.fields if f.key in NATURAL_KEYS[cat.set_key])
        lines += [
            "10. 姓名和证件号码须与此人基本信息中的完全一致；所在部门（选填）须与此人实际所在科室完全一致。",
            f"11. 同一人员的“{keys}”相同的记录视为同一条记录，重复导入不会产生重复数据。",
            "12. 批量导入不需要附件；附件图片可在“附件批量导入”中上传。",
        ]
    return lines


def encode_versions(versions: dict) -> list[str]:
    """{record id: version} → the text cells of the RECORD_VERSIONS column."""
    cells, current, size = [], [], 0
    for pk, version in versions.items():
        item = f"{pk}:{version}"
        if current and size + len(item) + 1 > VERSION_CELL:
            cells.append(",".join(current))
            current, size = [], 0
        current.append(item)
        size += len(item) + 1
    if current:
        cells.append(",".join(current))
    return cells


def decode_versions(cells) -> dict:
    """The RECORD_VERSIONS cells → {record id: version}; anything unreadable is left out (no check for it)."""
    versions = {}
    for cell in cells or ():
        for item in str(cell).split(","):
            pk, _, version = item.partition(":")
            if pk.strip().isdigit() and version.strip().isdigit():
                versions[int(pk)] = int(version)
    return versions


def write_workbook(cat: Catalogue, rows=(), *, with_errors: bool = False, record_versions: dict | None = None,
                   notes=None) -> bytes:
    """The template of `cat` with `rows` (SheetRow) in its data sheet; `with_errors` adds the 错误原因 column;
    `record_versions` ({id: version} of the exported records) go to _meta for the re-import's conflict check;
    `notes` ((row number, name, message) per warning) make a 提醒 sheet after the data sheet (the reader reads the
    data sheet by name, so the report still uploads as it is)."""
    limit = max_rows()
    version = cat.version()
    lists = cat.lists()
    lead = 1 if with_errors else 0
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(cat.label)
    if notes:
        _notes_sheet(wb.create_sheet(NOTES_SHEET), notes)
    guide = wb.create_sheet(GUIDE_SHEET)
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "hidden"

    # columns: widths, text format (so what the user types later stays text), dropdowns from _meta
    list_column = {key: get_column_letter(LIST_FIRST_COLUMN + 1 + i) for i, key in enumerate(lists)}
    last_row = limit + 1
    if with_errors:
        ws.column_dimensions["A"].width = REASON_WIDTH
    for i, col in enumerate(cat.columns):
        letter = get_column_letter(i + 1 + lead)
        ws.column_dimensions[letter].width = col.width
        if col.as_text:
            ws.column_dimensions[letter].number_format = "@"
        values = lists.get(col.choice) if col.choice else None
        if values:
            src = list_column[col.choice]
            dv = DataValidation(type="list", formula1=f"'{META_SHEET}'!${src}$2:${src}${len(values) + 1}",
                                allow_blank=True, showErrorMessage=True, errorStyle="stop",
                                errorTitle=col.label, error=f"请从下拉列表中选择{col.label}")
            dv.add(f"{letter}2:{letter}{last_row}")
            ws.data_validations.append(dv)
    ws.freeze_panes = "B2" if with_errors else "A2"

    # the header row, a note on every column
    header = []
    if with_errors:
        note = Comment("本列列出该行的全部错误（导入时会被忽略）。改正标红的单元格后可直接上传本文件。", AUTHOR,
                       width=260, height=90)
        header.append(_safe_cell(ws, ERROR_HEADER, font=Font(bold=True, color="C00000"), fill=_ERROR_HEADER_FILL,
                                 comment=note, alignment=Alignment(horizontal="center", vertical="center")))
    for col in cat.columns:
        text = ("必填。" if col.required and not col.note.startswith("必填") else "") + col.note
        note = Comment(text, AUTHOR, width=260, height=max(60, 18 * (len(text) // 16 + 2)))
        header.append(_safe_cell(ws, col.header, font=Font(bold=True, color="C00000" if col.required else "000000"),
                                 fill=_HEADER_FILL, comment=note,
                                 alignment=Alignment(horizontal="center", vertical="center", wrap_text=True)))
    ws.append(header)

    # the styles the data rows use, registered before the package is written
    styles = {}
    for as_text in (False, True):
        for quoted in (False, True):
            for is_date in (False, True):
                for red in (False, True):
                    cell = WriteOnlyCell(ws)
                    if as_text:
                        cell.number_format = "@"
                    if is_date:
                        cell.number_format = "yyyy-mm-dd"
                    if quoted:
                        cell.quotePrefix = True
                    if red:
                        cell.fill = _RED
                    styles[(as_text, quoted, is_date, red)] = cell.style_id
    reason = WriteOnlyCell(ws)
    reason.font = Font(color="C00000")
    reason.alignment = Alignment(wrap_text=True, vertical="top")
    styles["reason"] = reason.style_id

    # 填写须知
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 10
    guide.column_dimensions["C"].width = 90
    for line in _guide_lines(cat, version, limit):
        guide.append([_safe_cell(guide, line)])
    guide.append([])
    guide.append([_safe_cell(guide, t, font=Font(bold=True)) for t in ("列名", "是否必填", "填写说明")])
    for col in cat.columns:
        guide.append([_safe_cell(guide, col.label), _safe_cell(guide, "必填" if col.required else "选填"),
                      _safe_cell(guide, col.note, alignment=Alignment(wrap_text=True))])

    # _meta: the template's identity, its columns and the lists of the dropdowns
    info = {"institution_code": cat.institution_code, "institution_name": cat.institution_name,
            "set": cat.set_key, "version": version, "format": str(TEMPLATE_FORMAT),
            "generated_at": datetime.datetime.now().isoformat(timespec="seconds")}
    stored = {COLUMNS_LIST: cat.headers(), **lists}
    if record_versions:
        stored[RECORD_VERSIONS] = encode_versions(record_versions)
    height = max(len(META_KEYS), 1 + max(len(v) for v in stored.values()))
    keys = list(stored)
    for r in range(height):
        row = [None] * (LIST_FIRST_COLUMN - 1 + len(keys))
        if r < len(META_KEYS):
            row[0], row[1] = _safe_cell(meta, META_KEYS[r]), _safe_cell(meta, info[META_KEYS[r]])
        for j, key in enumerate(keys):
            values = stored[key]
            text = key if r == 0 else (values[r - 1] if r - 1 < len(values) else None)
            if text is not None:
                row[LIST_FIRST_COLUMN - 1 + j] = _safe_cell(meta, text)
        meta.append(row)

    skeleton = io.BytesIO()
    wb.save(skeleton)
    first_shape = 1026 + len(cat.columns) + lead
    writer = _RowWriter(styles, {i for i, c in enumerate(cat.columns) if c.as_text}, lead, first_shape)
    return _assemble(skeleton, writer, rows)


def _notes_sheet(ws, notes) -> None:
    """The 提醒 sheet of a report: rows imported with a warning (an alias taken, a row skipped …), one line each."""
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 90
    ws.append([_safe_cell(ws, t, font=Font(bold=True)) for t in NOTES_HEADER])
    for number, name, message in notes:
        ws.append([number, _safe_cell(ws, name or ""), _safe_cell(ws, message)])


def _assemble(skeleton: io.BytesIO, writer: _RowWriter, rows) -> bytes:
    """The package openpyxl wrote, with the rows spliced into the data sheet and their notes into its notes part."""
    out = io.BytesIO()
    with zipfile.ZipFile(skeleton) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as dst:
        names = src.namelist()
        sheet = src.read(_SHEET_PART).decode("utf-8")
        head, tail = sheet.split("</sheetData>", 1)
        with dst.open(_SHEET_PART, "w", force_zip64=True) as fh:
            fh.write(head.encode("utf-8"))
            for chunk in writer.render(rows):
                fh.write(chunk)
            fh.write(("</sheetData>" + tail).encode("utf-8"))
        for name in names:
            if name == _SHEET_PART:
                continue
            data = src.read(name)
            if name == _COMMENTS_PART and writer.comments:
                data = data.replace(b"</commentList>", "".join(writer.comments).encode("utf-8") + b"</commentList>")
            elif name == _VML_PART and writer.shapes:
                assert data.startswith(b"<xml>")
                data = _VML_NAMESPACES + data[5:].replace(b"</xml>", "".join(writer.shapes).encode("utf-8") + b"</xml>")
                # shape ids are allocated in blocks of 1,024 (block 1: 1024–2047); declare every block used
                blocks = ",".join(str(b) for b in range(1, (writer.next_shape - 1) // 1024 + 1))
                data = data.replace(b'data="1"', f'data="{blocks}"'.encode(), 1)
            elif name == "[Content_Types].xml" and writer.strings:
                data = data.replace(b"</Types>", f'<Override PartName="/{_SST_PART}" ContentType="{_SST_TYPE}"/>'
                                    .encode() + b"</Types>")
            elif name == "xl/_rels/workbook.xml.rels" and writer.strings:
                data = data.replace(b"</Relationships>", f'<Relationship Type="{_SST_REL}" '
                                    f'Target="/{_SST_PART}" Id="rIdSharedStrings"/>'.encode() + b"</Relationships>")
            dst.writestr(name, data)
        if writer.strings:
            dst.writestr(_SST_PART, writer.shared_strings())
    return out.getvalue()
