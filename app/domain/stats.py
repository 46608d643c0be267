"""Pure rules of the staff statistics (spec 6.1): age and 工龄 bands and the date arithmetic behind them.

A band is (code, label, lowest years, highest years), either end open (None). "Years" are full years on the
statistic's date, so "26–35岁" holds everyone whose 26th birthday has passed and whose 36th has not. The SQL side
(services/stats.py `band_case`) turns each band into a comparison of the date column with a cut-off date computed
here, so bands are evaluated in the database, with the same result on SQLite and PostgreSQL.
"""
import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    low: int | None  # full years, inclusive
    high: int | None  # full years, inclusive


AGE_BANDS = (
    Band("-25", "25岁及以下", None, 25),
    Band("26-35", "26–35岁", 26, 35),
    Band("36-45", "36–45岁", 36, 45),
    Band("46-55", "46–55岁", 46, 55),
    Band("56-", "56岁及以上", 56, None),
)
WORK_YEARS_BANDS = (
    Band("-5", "5年及以下", None, 5),
    Band("6-10", "6–10年", 6, 10),
    Band("11-20", "11–20年", 11, 20),
    Band("21-30", "21–30年", 21, 30),
    Band("31-", "31年及以上", 31, None),
)


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` earlier (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def full_years(start: datetime.date, on: datetime.date) -> int:
    """Completed years from `start` to `on` (an age, a 工龄)."""
    return on.year - start.year - ((on.month, on.day) < (start.month, start.day))


def band_of(start: datetime.date | None, on: datetime.date, bands=AGE_BANDS) -> str | None:
    """The code of the band `start` (a birth date, a 参加工作日期) falls in on `on`; None when unknown. The
    reference the SQL CASE is tested against."""
    if start is None:
        return None
    years = full_years(start, on)
    for band in bands:
        if band.high is None or years <= band.high:
            return band.code
    return bands[-1].code


def band_range(band: Band, on: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """(after, not_after): a date column value `d` is in the band on `on` iff after < d (when after is set) and
    d <= not_after (when set). Full years ≥ low ⇔ d ≤ on − low years; full years ≤ high ⇔ d > on − (high+1) years."""
    after = years_before(on, band.high + 1) if band.high is not None else None
    not_after = years_before(on, band.low) if band.low is not None else None
    return after, not_after
