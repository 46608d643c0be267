"""The rules of 应急物资 / 药械 entries without a database: quantities, keys, warnings, 可用天数."""
import datetime
from decimal import Decimal

from app.domain import supplies as s

D = Decimal
TODAY = datetime.date.today()


def test_quantity_rules_name_the_field():
    assert s.parse_quantity("12", "存量", decimals=False) == (D(12), None)
    assert s.parse_quantity("2.5", "存量", decimals=True) == (D("2.50"), None)
    assert s.parse_quantity("", "存量", decimals=True) == (None, "请填写存量")
    assert s.parse_quantity("abc", "日消耗量", decimals=True) == (None, "日消耗量须为数字")
    assert s.parse_quantity("-1", "存量", decimals=True) == (None, "存量不能小于 0")
    assert s.parse_quantity("2.5", "存量", decimals=False) == (None, "存量须为整数（该物资的计量单位不可拆分）")
    assert s.parse_quantity("1.234", "存量", decimals=True) == (None, "存量最多保留两位小数")
    assert s.parse_quantity("1e12", "存量", decimals=True)[1] == "存量不能超过 999999999"
    assert s.parse_quantity("NaN", "存量", decimals=True)[1] == "存量须为数字"


def test_keys_are_days_or_months_not_in_the_future():
    assert s.parse_key("2026-01-31", s.STOCK) == (datetime.date(2026, 1, 31), None)
    assert s.parse_key("2026-01", s.ESTIMATE) == (datetime.date(2026, 1, 1), None)
    assert s.parse_key("2026-01", s.DAILY) == (None, "请填写消耗日期（格式 2026-01-31）")
    assert s.parse_day("2026-01", s.ESTIMATE) == datetime.date(2026, 1, 1) and s.parse_day("x", s.STOCK) is None
    assert s.key_format(s.ESTIMATE) == "2026-01" and s.key_format(s.DAILY) == "2026-01-31"
    future = TODAY + datetime.timedelta(days=1)
    assert s.parse_key(f"{future:%Y-%m-%d}", s.STOCK) == (None, "存量日期不能晚于今天")


def test_daily_consumption_above_the_latest_stock_is_a_warning():
    stock = s.Reading(datetime.date(2026, 11, 28), D(100))
    assert s.daily_above_stock(D(100), stock) is None
    assert s.daily_above_stock(D(120), stock, "个") == "日消耗量 120个 大于最近一次存量 100个（2026-11-28），请核对"
    assert s.daily_above_stock(D(120), None) is None


def test_estimate_three_times_away_from_use_is_a_warning():
    assert s.estimate_far_from_use(D(300), D(100)) is None
    assert s.estimate_far_from_use(D(301), D(100)) == "月估用量 301 与近 30 日消耗 100 相差 3 倍以上，请核对"
    assert s.estimate_far_from_use(D(33), D(100)) is not None
    assert s.estimate_far_from_use(D(34), D(100)) is None
    assert s.estimate_far_from_use(D(500), None) is None and s.estimate_far_from_use(D(500), D(0)) is None


def test_stock_falling_more_than_the_reported_use_is_a_warning():
    before = s.Reading(datetime.date(2026, 11, 20), D(100))
    now = s.Reading(datetime.date(2026, 11, 25), D(50))
    assert s.stock_fell_more_than_used(now, before, D(50)) is None
    assert s.stock_fell_more_than_used(now, before, D(20), "套") == (
        "存量比 2026-11-20 的 100套 减少了 50套，其间上报的消耗只有 20套，请核对")
    assert s.stock_fell_more_than_used(now, None, D(0)) is None
    assert s.stock_fell_more_than_used(s.Reading(datetime.date(2026, 11, 25), D(150)), before, D(0)) is None


def test_days_of_supply_averages_the_last_seven_reported_days():
    assert s.days_of_supply(D(70), [D(10)] * 7) == D("7.0")
    assert s.days_of_supply(D(70), [D(10)] * 7 + [D(1000)]) == D("7.0")  # only the 7 latest count
    assert s.days_of_supply(D(10), [D(3)]) == D("3.3")
    assert s.days_of_supply(D(10), []) is None  # no consumption reported: "—", not infinite
    assert s.days_of_supply(D(10), [D(0), D(0)]) is None
    assert s.days_of_supply(None, [D(1)]) is None
    assert s.is_low(D("6.9")) and not s.is_low(D(7)) and not s.is_low(None)
    assert s.fmt(D("12.50")) == "12.5" and s.fmt(D(100)) == "100" and s.fmt(None) == "—"


# ---- the region's figures of a day (supply_day) -------------------------------------------------------------------

D0 = datetime.date(2026, 11, 20)
ONE = datetime.timedelta(days=1)


def test_day_figures_read_the_seven_days_ending_on_the_day():
    moment = datetime.datetime(2026, 11, 20, 9, 30)
    series = [("stock", D0 - 7 * ONE, Decimal(500), 0, None),  # the 8th day back: outside the window
              ("stock", D0 - 2 * ONE, Decimal(100), 1, moment),
              ("daily", D0 - 7 * ONE, Decimal(90), 0, None),
              ("daily", D0 - 6 * ONE, Decimal(10), 0, None),
              ("daily", D0, Decimal(5), 0, None),
              ("estimate", D0, Decimal(999), 0, None)]  # a monthly estimate is not a figure of the day
    figures = s.day_figures(series, D0)
    assert figures.stock == 100 and not figures.stock_today
    assert figures.used == 5 and figures.used_today
    assert figures.average == Decimal("7.5")  # (10 + 5) / 2 reported days, not / 7
    assert (figures.changes, figures.changed_at) == (1, moment)


def test_day_figures_without_entries_in_the_window_are_none_and_a_day_without_consumption_has_no_average():
    assert s.day_figures([("stock", D0 - 7 * ONE, Decimal(1), 0, None)], D0) is None
    figures = s.day_figures([("stock", D0, Decimal(40), 0, None)], D0)
    assert figures.stock == 40 and figures.stock_today and figures.used is None and figures.average is None


def test_an_entry_enters_its_day_and_the_six_after_it():
    assert s.affected_days([D0]) == {D0 + n * ONE for n in range(7)}
