"""Reading an uploaded workbook (python-calamine): the safety limits, the template checks, then the rows.

Refusals (`ImportRefused`, a DomainError with a Chinese message) concern the file as a whole: too big, not an
.xlsx, corrupt, not a template of this system, another institution's template (spec 4.2.4 (3)), an outdated one
(spec 4.2.4 (6)), a changed header, too many rows. Formulas are never evaluated: calamine returns what Excel
stored for the cell.
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.org import Institution
from app.services.imports.cells import SourceRow, cell_text
from app.services.imports.columns import INSTITUTION_LABEL, SETS, Catalogue
from app.services.imports.template import (
    COLUMNS_LIST,
    ERROR_HEADER,
    GUIDE_SHEET,
    LIST_FIRST_COLUMN,
    META_SHEET,
    RECORD_VERSIONS,
    decode_versions,
)

MB = 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportRefused(DomainError):
    """The file itself cannot be imported (nothing was written); `message` says why, in Chinese."""


@dataclass
class Limits:
    max_bytes: int = 20 * MB
    max_uncompressed: int = 200 * MB
    max_rows: int = 100_000


def _size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.0f} MB" if n % MB == 0 or n >= 10 * MB else f"{n / MB:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _normal_header(text) -> str:
    text = cell_text(text) or ""
    return "".join(text.split()).strip("*＊")


def _load(source, limits: Limits):
    """(calamine workbook, size in bytes); refuses oversize, non-xlsx and zip bombs before parsing anything."""
    data = path = None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ImportRefused(f"找不到文件：{path}")
        size = os.path.getsize(path)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        size = len(data)
    elif hasattr(source, "read"):
        data = source.read(limits.max_bytes + 1)
        size = len(data)
        if size > limits.max_bytes:
            raise ImportRefused(f"文件超过 {_size(limits.max_bytes)}，无法导入，请分成几个文件分别导入")
    else:
        raise ImportRefused("无法读取上传的文件")
    if size > limits.max_bytes:
        raise ImportRefused(f"文件大小 {_size(size)}，超过上限 {_size(limits.max_bytes)}，请分成几个文件分别导入")
    if size == 0:
        raise ImportRefused("文件是空的（0 字节），请重新选择填好的模板文件")
    if data is None:
        with open(path, "rb") as fh:
            magic = fh.read(8)
    else:
        magic = data[:8]
    if magic.startswith(_OLE_MAGIC):
        raise ImportRefused("这是旧版 Excel（.xls）文件或已加密的文件，无法导入：请用 Excel 打开后“另存为”"
                            "Excel 工作簿（.xlsx，不设密码）再上传")
    if not magic.startswith(b"PK\x03\x04"):
        raise ImportRefused("文件不是 Excel 工作簿（.xlsx），或文件已损坏：请上传从本系统下载并填写的模板")
    try:
        with zipfile.ZipFile(path if data is None else io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            expanded = sum(i.file_size for i in infos)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ImportRefused("文件已损坏，无法作为 Excel 工作簿（.xlsx）打开：请用 Excel 打开检查后重新保存再上传") from None
    if expanded > limits.max_uncompressed:
        raise ImportRefused(f"文件解压后的内容有 {_size(expanded)}，超过上限 {_size(limits.max_uncompressed)}"
                            "（文件可能被恶意构造，或数据过多），请分成几个文件分别导入")
    if "xl/workbook.xml" not in names:
        raise ImportRefused("文件不是 Excel 工作簿（.xlsx）：请上传从本系统下载并填写的模板")
    try:
        book = CalamineWorkbook.from_path(path) if data is None else CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for every kind of damage
        raise ImportRefused(f"文件已损坏，无法读取（{type(exc).__name__}）：请用 Excel 打开检查后重新保存再上传") from None
    return book, size


def _sheet_rows(book, name):
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise ImportRefused(f"工作表“{name}”已损坏，无法读取（{type(exc).__name__}）") from None


def _meta(book) -> tuple[dict, dict]:
    if META_SHEET not in book.sheet_names:
        raise ImportRefused("此文件不是从本系统下载的导入模板（缺少模板信息）：请在导入页面点击“下载模板”，"
                            "在下载的模板中填写后上传")
    rows = _sheet_rows(book, META_SHEET)
    info = {}
    for row in rows:
        if len(row) >= 2 and isinstance(row[0], str) and row[0]:
            info[row[0]] = cell_text(row[1])
    lists = {}
    if rows:
        for j in range(LIST_FIRST_COLUMN - 1, len(rows[0])):
            key = cell_text(rows[0][j])
            if key:
                lists[key] = [cell_text(r[j]) for r in rows[1:] if j < len(r) and cell_text(r[j]) is not None]
    return info, lists


def _preview(values, limit=5) -> str:
    shown = "、".join(f"“{v}”" for v in values[:limit])
    return shown + (f" 等 {len(values)} 项" if len(values) > limit else "")


def describe_changes(old: dict, cat: Catalogue) -> list[str]:
    """What differs between the lists stored in an old template and the current ones."""
    new = {COLUMNS_LIST: cat.headers(), **cat.lists()}
    labels = {}
    for col in cat.columns:
        if col.choice:
            labels.setdefault(col.choice, []).append(col.label)
    changes = []
    for key in list(new) + [k for k in old if k not in new]:
        before, after = old.get(key, []), new.get(key, [])
        added = [v for v in after if v not in before]
        removed = [v for v in before if v not in after]
        if not added and not removed:
            continue
        parts = ([f"新增 {_preview(added)}"] if added else []) + ([f"删除 {_preview(removed)}"] if removed else [])
        if key == COLUMNS_LIST:
            changes.append("表头的列有变化（" + "；".join(parts) + "）")
        else:
            what = "、".join(f"“{label}”" for label in labels.get(key, [key]))
            changes.append(f"{what}的下拉选项有变化（" + "；".join(parts) + "）")
    return changes or ["模板的格式已更新"]


@dataclass
class Sheet:
    """The data sheet of an accepted workbook: where each template column is, and how many rows it may hold
    (`total`: the rows under the header, blank ones included, so an upper bound; the runner counts the
    non-blank rows as it goes)."""

    catalogue: Catalogue
    positions: list  # template column i → index in the sheet's rows
    first_row: int  # sheet row number of the header
    total: int
    has_error_column: bool
    _book: object
    _sheet: object
    record_versions: dict = field(default_factory=dict)  # {record id: version} of an exported file

    def rows(self):
        """SourceRow for every non-blank data row, in file order."""
        skip = _blank_skip(self.catalogue)
        positions = self.positions
        width = max(positions) + 1
        for index, row in enumerate(self._sheet.iter_rows()):
            if index == 0:
                continue
            if len(row) < width:
                row = list(row) + [None] * (width - len(row))
            cells = [row[p] for p in positions]
            if _is_blank(cells, skip):
                continue
            yield SourceRow(number=self.first_row + index, cells=cells)

    def close(self):
        try:
            self._book.close()
        except Exception:  # already closed
            pass


def _blank_skip(cat: Catalogue) -> set:
    """A row with nothing but 机构名称 (copied down the sheet) is blank."""
    return {i for i, c in enumerate(cat.columns) if c.key == "institution_name"}


def _is_blank(cells, skip) -> bool:
    for i, v in enumerate(cells):
        if i in skip or v is None:
            continue
        if isinstance(v, str):
            if v.strip():
                return False
        else:
            return False
    return True


def no_data(cat: Catalogue) -> ImportRefused:
    return ImportRefused(f"文件中没有需要导入的数据：请在“{cat.label}”工作表的表头下方逐行填写"
                         f"（{INSTITUTION_LABEL}以外的列都为空的行视为空行）")


def open_sheet(source, cat: Catalogue, limits: Limits | None = None) -> Sheet:
    """Checks the file (limits, template identity and version, header) and counts its data rows."""
    limits = limits or Limits()
    book, _size = _load(source, limits)
    try:
        info, stored = _meta(book)
        record_versions = decode_versions(stored.pop(RECORD_VERSIONS, None))
        code = info.get("institution_code")
        if code != cat.institution_code:
            owner = db.session.scalar(select(Institution.name).where(Institution.code == code)) if code else None
            owner = owner or info.get("institution_name") or "其他机构"
            raise ImportRefused(f"此模板属于 {owner}，请使用本机构账号下载的模板")
        if info.get("set") != cat.set_key:
            other = SETS.get(info.get("set"), info.get("set") or "其他信息")
            raise ImportRefused(f"此文件是“{other}”的导入模板，不能导入“{cat.label}”：请在“{cat.label}”的导入页面下载模板")
        if info.get("version") != cat.version():
            raise ImportRefused("模板已更新，请重新下载：" + "；".join(describe_changes(stored, cat)) +
                                "。请下载新模板，把数据复制到新模板中再上传")
        name = cat.label if cat.label in book.sheet_names else next(
            (n for n in book.sheet_names if n not in (GUIDE_SHEET, META_SHEET)), None)
        if name is None:
            raise ImportRefused(f"文件中找不到“{cat.label}”工作表，请使用下载的模板填写")
        try:
            sheet = book.get_sheet_by_name(name)
        except Exception as exc:
            raise ImportRefused(f"工作表“{name}”已损坏，无法读取（{type(exc).__name__}）：请用 Excel 打开检查后重新保存"
                                "再上传") from None
        start = sheet.start or (0, 0)
        header = next(iter(sheet.iter_rows()), [])
        labels = [_normal_header(h) for h in header]
        has_error_column = ERROR_HEADER in labels  # the error workbook's first column: ignored wherever it is
        where, repeated = {}, []
        for i, label in enumerate(labels):
            if not label or label == ERROR_HEADER:
                continue
            if label in where:
                repeated.append(label)
            where[label] = i
        known = {c.label for c in cat.columns}
        unknown = [label for label in where if label not in known]
        missing = [c.label for c in cat.columns if c.label not in where]
        problems = []
        if missing:
            problems.append("缺少列 " + "、".join(f"“{m}”" for m in missing))
        if unknown:
            problems.append("有模板以外的列 " + "、".join(f"“{u}”" for u in unknown))
        if repeated:
            problems.append("列 " + "、".join(f"“{r}”" for r in repeated) + " 出现了不止一次")
        if problems:
            raise ImportRefused("表头与模板不一致：" + "；".join(problems) + "。请不要增加、删除或修改模板的列，"
                                "或重新下载模板")
        positions = [where[c.label] for c in cat.columns]
        result = Sheet(catalogue=cat, positions=positions, first_row=start[0] + 1, total=max(0, sheet.height - 1),
                       has_error_column=has_error_column, _book=book, _sheet=sheet,
                       record_versions=record_versions)
        if result.total > limits.max_rows:  # blank rows do not count: count the others before refusing
            result.total = sum(1 for _ in result.rows())
            if result.total > limits.max_rows:
                raise ImportRefused(f"文件有 {result.total:,} 行数据，超过单次导入的上限 {limits.max_rows:,} 行，"
                                    "请分成几个文件分别导入")
        if result.total == 0:
            raise no_data(cat)
        return result
    except BaseException:
        try:
            book.close()
        except Exception:
            pass
        raise
