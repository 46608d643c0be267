"""Cell values of an import file: a cell as the rules read it (text, or a date), blank cells, the loose form of a
name for near-miss suggestions, and a row as read from the sheet (spec 4.2.2)."""
from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass


def _scientific(value: float) -> str:
    """How Excel shows a long number in a General cell (4.20115E+17): the domain rule recognises it."""
    mantissa, exponent = f"{value:.5E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent))}"


def cell_text(value) -> str | None:
    """A cell as text: numbers without a spurious .0, long numbers as Excel displays them, dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value)) if abs(value) < 1e15 else _scientific(value)
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip() or None


def cell_date(value):
    """A date column: a real Excel date cell is taken as is, anything else as text for parse_date."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return cell_text(value)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def loose(text: str) -> str:
    """For near-miss suggestions only: full/half width, Roman numerals (Ⅱ → II), spaces and case folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()



@dataclass(slots=True)  # one per row of a file: slots make them cheaper to create and read
class SourceRow:
    number: int  # the row number in the user's sheet
    cells: list  # values as read, in the order of the template's columns
