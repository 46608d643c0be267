"""应急物资资源 and 应急药械资源 (spec 5.5, 5.6): the rules of one entry and the figures read from a series of them.

An entry is one quantity of one item for one key: a day (存量上报, 日消耗上报) or a month (月估用量填报). Quantities
are non-negative, decimals only where the item's unit allows them. Warnings are not refusals: they are shown before
saving and kept with the entry. 可用天数 (beyond the manual) is the latest stock ÷ the average daily consumption of the
last 7 reported days; without consumption there is no number ("—"), never an infinite one. Pure: the caller reads
the series from the database."""
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

STOCK, ESTIMATE, DAILY = "stock", "estimate", "daily"
REPORTS = {STOCK: "存量上报", ESTIMATE: "月估用量填报", DAILY: "日消耗上报"}
QUANTITY_LABELS = {STOCK: "存量", ESTIMATE: "月估用量", DAILY: "日消耗量"}
DATE_LABELS = {STOCK: "存量日期", ESTIMATE: "月份", DAILY: "消耗日期"}
ESTIMATE_FACTOR = 3  # a monthly estimate more than 3× away from the last 30 days' consumption is worth a second look
LOW_DAYS = 7  # 可用天数 under this is highlighted
AVERAGE_DAYS = 7  # 可用天数 averages the consumption of the last 7 reported days
WINDOW_DAYS = 7  # the region's figures of a day read the 7 days ending on it: a stock older than a week is not current
MAX_QUANTITY = Decimal("999999999")


def fmt(number) -> str:
    """A quantity as a clerk writes it: 12, 12.5 — no trailing zeros, no exponent."""
    if number is None:
        return "—"
    text = format(Decimal(number).normalize(), "f")
    return text


def parse_quantity(raw, label: str, decimals: bool) -> tuple[Decimal | None, str | None]:
    """(the quantity, None) or (None, the message naming `label` and the rule)."""
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if not text:
        return None, f"请填写{label}"
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, f"{label}须为数字"
    if not number.is_finite():
        return None, f"{label}须为数字"
    if number < 0:
        return None, f"{label}不能小于 0"
    if number > MAX_QUANTITY:
        return None, f"{label}不能超过 {fmt(MAX_QUANTITY)}"
    if not decimals and number != number.to_integral_value():
        return None, f"{label}须为整数（该物资的计量单位不可拆分）"
    if number.as_tuple().exponent < -2:
        return None, f"{label}最多保留两位小数"
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if decimals else number.to_integral_value(), None


def key_format(report: str) -> str:
    """How a key is written: a month for 月估用量填报, else a day."""
    return "2026-01" if report == ESTIMATE else "2026-01-31"


def parse_day(raw, report: str) -> datetime.date | None:
    """A day (2026-11-30) or, for 月估用量填报, a month (2026-11 → its first day); None when it is not one."""
    text = str(raw or "").strip()
    try:
        return datetime.datetime.strptime(text, "%Y-%m" if report == ESTIMATE else "%Y-%m-%d").date()
    except ValueError:
        return None


def parse_key(raw, report: str) -> tuple[datetime.date | None, str | None]:
    """The entry's key date (parse_day), not in the future; or the message naming the field and the format."""
    label = DATE_LABELS[report]
    day = parse_day(raw, report)
    if day is None:
        return None, f"请填写{label}（格式 {key_format(report)}）"
    if day > datetime.date.today():
        return None, f"{label}不能晚于今天"
    return day, None


@dataclass(frozen=True)
class Reading:
    """One reported figure of an item: its day and quantity."""

    day: datetime.date
    quantity: Decimal


def daily_above_stock(consumption: Decimal, stock: Reading | None, unit: str = "") -> str | None:
    """A day's consumption above the latest stock reported on or before that day."""
    if stock is None or consumption <= stock.quantity:
        return None
    return (f"日消耗量 {fmt(consumption)}{unit} 大于最近一次存量 {fmt(stock.quantity)}{unit}"
            f"（{stock.day:%Y-%m-%d}），请核对")


def estimate_far_from_use(estimate: Decimal, used_30_days: Decimal | None, unit: str = "") -> str | None:
    """A monthly estimate more than ESTIMATE_FACTOR times above or below the last 30 days' consumption."""
    if used_30_days is None or used_30_days <= 0:
        return None
    if estimate > used_30_days * ESTIMATE_FACTOR or estimate * ESTIMATE_FACTOR < used_30_days:
        return (f"月估用量 {fmt(estimate)}{unit} 与近 30 日消耗 {fmt(used_30_days)}{unit} 相差 {ESTIMATE_FACTOR} 倍以上，"
                "请核对")
    return None


def stock_fell_more_than_used(new: Reading, previous: Reading | None, used_since: Decimal, unit: str = "") -> str | None:
    """A stock lower than the previous one by more than the consumption reported between the two days."""
    if previous is None or previous.day >= new.day:
        return None
    fell = previous.quantity - new.quantity
    if fell <= used_since:
        return None
    return (f"存量比 {previous.day:%Y-%m-%d} 的 {fmt(previous.quantity)}{unit} 减少了 {fmt(fell)}{unit}，"
            f"其间上报的消耗只有 {fmt(used_since)}{unit}，请核对")


def days_of_supply(stock: Decimal | None, consumptions: list[Decimal]) -> Decimal | None:
    """Latest stock ÷ average daily consumption of the last reported days given (at most AVERAGE_DAYS of them);
    None ("—") without a stock or without any consumption above 0."""
    recent = consumptions[:AVERAGE_DAYS]
    if stock is None or not recent:
        return None
    average = sum(recent, Decimal(0)) / len(recent)
    if average <= 0:
        return None
    return (Decimal(stock) / average).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def is_low(days: Decimal | None) -> bool:
    return days is not None and days < LOW_DAYS


@dataclass(frozen=True)
class DayFigures:
    """What the region reads of one institution's item on one day (区域管理 → 应急资源汇总), from its entries of the
    WINDOW_DAYS days ending on that day: the latest stock and whether it was reported that day, the day's consumption,
    the average of the window's reported consumptions (days not reported are not zeros), and the changes (修改次数,
    last change) of the window's entries."""

    stock: Decimal | None
    stock_today: bool
    used: Decimal | None
    used_today: bool
    average: Decimal | None
    changes: int
    changed_at: datetime.datetime | None


AVERAGE_PLACES = Decimal("0.000001")


def day_figures(entries, day: datetime.date) -> DayFigures | None:
    """The figures of `day` from an item's entries, each (report, day, quantity, change_count, changed_at); entries
    outside the window are ignored; None when the window holds none (the day has no figures)."""
    first = day - datetime.timedelta(days=WINDOW_DAYS - 1)
    window = [e for e in entries if first <= e[1] <= day and e[0] in (STOCK, DAILY)]
    if not window:
        return None
    stocks = sorted((e for e in window if e[0] == STOCK), key=lambda e: e[1])
    daily = [Decimal(e[2]) for e in window if e[0] == DAILY]
    today = [Decimal(e[2]) for e in window if e[0] == DAILY and e[1] == day]
    moments = [e[4] for e in window if e[4] is not None]
    return DayFigures(
        stock=Decimal(stocks[-1][2]) if stocks else None,
        stock_today=bool(stocks) and stocks[-1][1] == day,
        used=sum(today, Decimal(0)) if today else None,
        used_today=bool(today),
        average=(sum(daily, Decimal(0)) / len(daily)).quantize(AVERAGE_PLACES, rounding=ROUND_HALF_UP) if daily else None,
        changes=sum(int(e[3] or 0) for e in window),
        changed_at=max(moments) if moments else None)


def affected_days(days) -> set[datetime.date]:
    """The days whose figures an entry of each of `days` enters: that day and the WINDOW_DAYS - 1 after it."""
    return {d + datetime.timedelta(days=n) for d in days for n in range(WINDOW_DAYS)}
