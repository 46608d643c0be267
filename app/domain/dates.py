"""Dates as users type them (spec 4.2.4 (7)): YYYY-MM-DD, or YYYY-MM completed to day 01; 至今 for open periods."""
import datetime
import re

UNTIL_NOW = "至今"
_DATE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")  # YYYY-MM-DD or YYYY-MM


def parse_date(value, label: str = "日期", allow_until_now: bool = False):
    """A date from text (or a date); None for blank; UNTIL_NOW when allowed. Raises ValueError with a Chinese message."""
    if value is None or isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    if text == UNTIL_NOW:
        if allow_until_now:
            return UNTIL_NOW
        raise ValueError(f"{label}不能填写“至今”")
    match = _DATE.match(text)
    if not match:
        raise ValueError(f"{label}格式应为 YYYY-MM-DD 或 YYYY-MM（如 2020-09-01 或 2020-09），当前：{text}")
    year, month = int(match.group(1)), int(match.group(2))
    day = int(match.group(3)) if match.group(3) else 1
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"{label}不是真实的日期：{text}") from None
