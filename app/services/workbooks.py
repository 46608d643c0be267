"""Exports as workbooks: plain titled tables (`sheets_workbook`: bold header row, readable widths) and formatted
reports (`report_workbook`: title, 填报单位, 统计时点, 制表人, date, frozen and merged two-level headers); numbers and
dates stay numbers and dates."""
import datetime
import io
from dataclasses import dataclass, field


def sheets_workbook(sheets: dict, width: int = 24) -> bytes:
    """{sheet title: (headers, rows)} → .xlsx bytes, one sheet per table, in the dict's order. Written in openpyxl's
    write-only mode: rows stream to the file (a 10,000-person 卫统 export: half the time, a fraction of the memory)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, (headers, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
        for n in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(n)].width = width
        sheet.freeze_panes = "A2"
        head = []
        for text in headers:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            head.append(cell)
        sheet.append(head)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- formatted reports (常用报表, spec 6.2) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """A column group of a two-level header: its label over its columns' labels (merged across them)."""

    label: str
    columns: tuple[str, ...]


@dataclass
class Report:
    """One formatted report: a title, who it is of and when, the header (a column label, or a Group of labels),
    rows of values (a row's first `label_columns` cells are its labels; numbers stay numbers), optional 合计 row,
    and notes printed under the table."""

    title: str
    institution: str  # 填报单位: the institution, or the region of a whole scope
    as_of: str  # 统计时点: a day, or a period "2026-01-01 至 2026-06-30"
    made_by: str  # 制表人
    headers: list  # [str | Group]
    rows: list[list]
    totals: list | None = None
    label_columns: int = 1
    notes: tuple[str, ...] = ()
    made_on: datetime.date = field(default_factory=datetime.date.today)

    @property
    def leaves(self) -> list[str]:
        """The labels of the table's columns, left to right (a group's own columns under it)."""
        out = []
        for h in self.headers:
            out.extend(h.columns if isinstance(h, Group) else [h])
        return out

    @property
    def two_levels(self) -> bool:
        return any(isinstance(h, Group) for h in self.headers)


def report_workbook(reports: list[Report] | Report, sheet_titles: list[str] | None = None) -> bytes:
    """Formatted reports → .xlsx bytes, one sheet each: the title (merged over the table, large), 填报单位 and 统计时点,
    the header (two rows with merged group cells when the report has groups; a plain column merged over both),
    frozen below the header and right of the label columns, thin borders, numbers as numbers, a 合计 row in bold,
    then 制表人 and 制表日期. Printed landscape, one page wide, the header repeated on every page."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    if isinstance(reports, Report):
        reports = [reports]
    book = Workbook()
    book.remove(book.active)
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for n, report in enumerate(reports):
        title = (sheet_titles[n] if sheet_titles else report.title)[:31]  # Excel's limit on a sheet name
        sheet = book.create_sheet(title)
        width = len(report.leaves)
        last = get_column_letter(width)
        sheet.append([report.title])
        sheet.merge_cells(f"A1:{last}1")
        sheet["A1"].font = Font(bold=True, size=16)
        sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
        sheet.row_dimensions[1].height = 30
        sheet.append([f"填报单位：{report.institution}"])
        split = max(1, width // 2)
        sheet.merge_cells(f"A2:{get_column_letter(split)}2")
        if width > split:
            sheet.cell(row=2, column=split + 1, value=f"统计时点：{report.as_of}")
            sheet.merge_cells(f"{get_column_letter(split + 1)}2:{last}2")
            sheet.cell(row=2, column=split + 1).alignment = Alignment(horizontal="right")
        else:
            sheet["A2"].value = f"填报单位：{report.institution}    统计时点：{report.as_of}"
        top = 3
        depth = 2 if report.two_levels else 1
        column = 1
        for h in report.headers:
            if isinstance(h, Group):
                sheet.cell(row=top, column=column, value=h.label)
                if len(h.columns) > 1:
                    sheet.merge_cells(start_row=top, start_column=column, end_row=top,
                                      end_column=column + len(h.columns) - 1)
                for k, label in enumerate(h.columns):
                    sheet.cell(row=top + 1, column=column + k, value=label)
                column += len(h.columns)
            else:
                sheet.cell(row=top, column=column, value=h)
                if depth == 2:
                    sheet.merge_cells(start_row=top, start_column=column, end_row=top + 1, end_column=column)
                column += 1
        for r in range(top, top + depth):
            for c in range(1, width + 1):
                cell = sheet.cell(row=r, column=c)
                cell.font, cell.alignment, cell.border, cell.fill = Font(bold=True), centre, border, head_fill
        first = top + depth
        body = list(report.rows) + ([report.totals] if report.totals is not None else [])
        for i, values in enumerate(body):
            row = first + i
            for c, value in enumerate(values, start=1):
                cell = sheet.cell(row=row, column=c, value=value)
                cell.border = border
                if c > report.label_columns:
                    cell.alignment = Alignment(horizontal="right")
                if report.totals is not None and i == len(body) - 1:
                    cell.font = Font(bold=True)
        row = first + len(body) + 1
        for note in report.notes:
            sheet.cell(row=row, column=1, value=note)
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            sheet.cell(row=row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
        sheet.cell(row=row, column=1, value=f"制表人：{report.made_by}")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=split)
        if width > split:
            sheet.cell(row=row, column=split + 1, value=f"制表日期：{report.made_on.isoformat()}")
            sheet.merge_cells(start_row=row, start_column=split + 1, end_row=row, end_column=width)
            sheet.cell(row=row, column=split + 1).alignment = Alignment(horizontal="right")
        else:
            sheet.cell(row=row, column=1).value = f"制表人：{report.made_by}    制表日期：{report.made_on.isoformat()}"
        label_width = max([len(str(v[0])) for v in body if v] + [8])
        for c in range(1, width + 1):
            sheet.column_dimensions[get_column_letter(c)].width = (
                min(label_width * 2 + 2, 40) if c <= report.label_columns else 10)
        sheet.freeze_panes = sheet.cell(row=first, column=report.label_columns + 1).coordinate
        sheet.print_title_rows = f"{top}:{first - 1}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
