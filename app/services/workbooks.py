"""Plain exports: a workbook of titled tables (bold header row, readable widths), numbers and dates as such."""
import io


def sheets_workbook(sheets: dict, width: int = 24) -> bytes:
    """{sheet title: (headers, rows)} → .xlsx bytes, one sheet per table, in the dict's order."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    for title, (headers, rows) in sheets.items():
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for n in range(1, len(headers) + 1):
            sheet.column_dimensions[get_column_letter(n)].width = width
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
