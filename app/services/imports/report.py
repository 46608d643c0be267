"""The error workbook (spec 4.2.4 (4), (10)): the failed rows as the user typed them, a first column 错误原因 with
every error of the row, each offending cell filled red with a note. It is the template's workbook (same hidden
sheet, dropdowns and formats), so it can be corrected and uploaded again as it is: the reader ignores 错误原因."""
from __future__ import annotations

from app.services.imports.columns import Catalogue
from app.services.imports.template import SheetRow, write_workbook


def reason_text(errors) -> str:
    """All errors of a row, numbered when there are several."""
    messages = list(dict.fromkeys(message for _, message in errors))
    if len(messages) == 1:
        return messages[0]
    return "\n".join(f"{i}. {m}" for i, m in enumerate(messages, 1))


def marks_for(cat: Catalogue, errors) -> dict:
    """Column index → the note of that cell (every message about it)."""
    index = {c.key: i for i, c in enumerate(cat.columns)}
    marks = {}
    for key, message in errors:
        i = index.get(key)
        if i is None:
            continue
        marks[i] = f"{marks[i]}\n{message}" if i in marks and message not in marks[i] else marks.get(i, message)
    return marks


def build_report(cat: Catalogue, failed, record_versions=None, notes=None) -> bytes:
    """`failed`: (cells as read, [(column key or None, message)]) per failed row, in file order.
    `record_versions`: those of the uploaded export, kept so the corrected report is checked the same way (a row
    refused because its record changed after the export stays refused: export again).
    `notes`: (row number, name, message) per warning of the rows that were imported: the 提醒 sheet."""
    return write_workbook(cat, (SheetRow(cells, reason_text(errors), marks_for(cat, errors))
                                for cells, errors in failed), with_errors=True, record_versions=record_versions,
                          notes=notes)
