"""应急资源汇总 of 物资 / 药械 (issue 15): per item the latest stock on or before the day, the day's consumption, the
7-day average and 可用天数 equal a direct computation on the entries; low items and institutions first; a 修改 and
a 删除 of a reported entry show at once; scope, drill-down, export."""
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.emergency_supplies import SupplyEntry
from app.services import emergency_supplies as entries
from app.services import supply_summary as svc
from tests import factories
from tests.services.test_emergency_supplies import _user

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


def _put(user, report, day, code, quantity):
    entry, = entries.report(user, "supply", report, f"{day:%Y-%m-%d}", [{"item": code, "quantity": str(quantity)}],
                            confirmed=True)
    return entry


@pytest.fixture
def data(db):
    """inst_admin and a second 江夏 institution in region_admin's scope; inst2_admin (武昌) outside."""
    a, b, c = (i.code for i in entries.items("supply")[:3])
    mine, outside = _user(db, "inst_admin"), _user(db, "inst2_admin")
    other = factories.account("jx_second", institution=factories.institution("江夏测试二院"))
    _put(mine, "stock", TODAY - 3 * DAY, a, 100)
    changed = _put(mine, "stock", TODAY - DAY, a, 200)  # the latest on or before today
    for n, q in ((2, 10), (1, 10), (0, 20)):
        _put(mine, "daily", TODAY - n * DAY, a, q)
    _put(mine, "stock", TODAY, b, 50)  # no consumption: 可用天数 "—"
    _put(other, "stock", TODAY, a, 20)
    for n, q in ((0, 5), (6, 5), (7, 100)):  # the 8th day back is outside the 7-day average
        _put(other, "daily", TODAY - n * DAY, a, q)
    _put(other, "stock", TODAY, c, 10)
    used_c = _put(other, "daily", TODAY, c, 5)
    _put(outside, "stock", TODAY, a, 1000)
    _put(outside, "daily", TODAY, a, 1)
    return {"codes": (a, b, c), "changed": changed, "used_c": used_c, "other": other,
            "insts": [mine.institution_id, other.institution_id]}


def _direct(db, insts, day):
    """The figures per item computed directly from the entries, as the rule says."""
    stocks, used, averages, reporters = {}, {}, {}, {}
    rows = db.session.scalars(select(SupplyEntry).where(SupplyEntry.institution_id.in_(insts),
                                                        SupplyEntry.resource == "supply")).all()
    for inst in insts:
        for code in {r.item_code for r in rows}:
            mine = [r for r in rows if r.institution_id == inst and r.item_code == code]
            first = day - (svc.STOCK_LOOKBACK_DAYS - 1) * DAY  # the 7 days ending on the day
            stock = [r for r in mine if r.report == "stock" and first <= r.day <= day]
            if stock:
                stocks[code] = stocks.get(code, 0) + max(stock, key=lambda r: r.day).quantity
                if max(r.day for r in stock) == day:
                    reporters[code] = reporters.get(code, 0) + 1
            week = [r.quantity for r in mine if r.report == "daily" and day - 6 * DAY <= r.day <= day]
            if week:
                averages[code] = averages.get(code, 0) + Decimal(sum(week)) / len(week)
            today = [r.quantity for r in mine if r.report == "daily" and r.day == day]
            if today:
                used[code] = used.get(code, 0) + sum(today)
    return stocks, used, averages, reporters


def _days(stock, average):
    if stock is None or not average:
        return None
    return (Decimal(stock) / Decimal(average)).quantize(Decimal("0.1"))


def test_totals_and_days_of_supply_equal_a_direct_computation(db, data):
    a, b, c = data["codes"]
    result = svc.summary(_user(db, "region_admin"), "supply", TODAY)
    stocks, used, averages, reporters = _direct(db, data["insts"], TODAY)
    by_code = {r.code: r for r in result.items}
    assert set(by_code) == {a, b, c} and result.in_scope == 3  # the demo's second 江夏 centre has not reported
    for code, row in by_code.items():
        assert row.stock == stocks.get(code) and row.used == used.get(code)
        assert (row.average is None and code not in averages) or abs(row.average - averages[code]) < Decimal("0.001")
        assert row.days == _days(stocks.get(code), averages.get(code))
        assert row.stock_reporters == reporters.get(code, 0)
    assert by_code[a].stock == 220 and by_code[a].used == 25 and by_code[a].days == Decimal("12.0")
    assert (by_code[a].stock_reporters, by_code[a].daily_reporters) == (1, 2)  # mine reported stock yesterday
    assert by_code[b].days is None and svc.fmt_days(by_code[b].days) == "—"  # no consumption: no number
    assert [r.code for r in result.items] == [c, a, b] and by_code[c].low and not by_code[a].low  # low first


def test_units_show_days_per_item_low_institutions_first_and_their_changes(db, data):
    a, b, c = data["codes"]
    result = svc.summary(_user(db, "region_admin"), "supply", TODAY)
    assert [u.label for u in result.units] == ["江夏测试二院", "武汉市江夏区示例街道社区卫生服务中心", "武汉市江夏区示例镇卫生院"]
    other, silent, mine = result.units
    assert silent.days(a) is None and not silent.low  # reported nothing: "—", not low
    assert other.low and other.days(a) == Decimal("4.0") and other.days(c) == Decimal("2.0")
    assert mine.days(a) == Decimal("15.0") and mine.days(b) is None and not mine.low
    assert (mine.changes, mine.changed_at) == (0, None)


def test_latest_stock_on_or_before_the_day(db, data):
    a = data["codes"][0]
    earlier = svc.summary(_user(db, "region_admin"), "supply", TODAY - 2 * DAY)
    row = {r.code: r for r in earlier.items}[a]
    stocks, _, averages, _ = _direct(db, data["insts"], TODAY - 2 * DAY)
    assert row.stock == stocks[a] == 100  # mine's stock of 3 days ago; the others' later ones do not count
    assert row.days == _days(stocks[a], averages[a])


def test_totals_follow_a_change_and_a_deletion_of_a_reported_entry(db, data):
    a, _, c = data["codes"]
    mine = _user(db, "inst_admin")
    entries.update(mine, data["changed"].id, "80", confirmed=True)  # now below the older stock of 100: still the one
    entries.delete(data["other"], data["used_c"].id)
    result = svc.summary(_user(db, "region_admin"), "supply", TODAY)
    by_code = {r.code: r for r in result.items}
    assert by_code[a].stock == 80 + 20 and by_code[c].days is None and by_code[c].daily_reporters == 0
    unit = {u.label: u for u in result.units}["武汉市江夏区示例镇卫生院"]
    assert unit.changes == 1 and unit.changed_at is not None and unit.days(a) == Decimal("6.0")


def test_scope_and_drill_down(db, data):
    a = data["codes"][0]
    admin = _user(db, "sysadmin01")
    top = svc.summary(admin, "supply", TODAY)
    assert [u.label for u in top.units] == ["湖北省"] and {r.code: r for r in top.items}[a].stock == 1220
    city = svc.summary(admin, "supply", TODAY, region_code="420100")
    units = {u.label: u for u in city.units}
    assert units["江夏区"].stock[a] == 220 and units["武昌区"].stock[a] == 1000
    assert units["江夏区"].region_code == "420115" and units["江夏区"].in_scope == 3
    with pytest.raises(DomainError):
        svc.summary(_user(db, "region_admin"), "supply", TODAY, region_code="420106")
    with pytest.raises(DomainError):
        svc.summary(_user(db, "inst_admin"), "supply", TODAY)
    assert svc.summary(_user(db, "region_admin"), "drugdevice", TODAY).items == []


def test_export_has_both_tables(db, data):
    a, b, c = data["codes"]
    wb = load_workbook(io.BytesIO(svc.export(_user(db, "region_admin"), "supply", TODAY)))
    items, units = wb["按项目"], wb["按地区机构"]
    rows = [[cell.value for cell in row] for row in items.iter_rows(min_row=4)]
    assert [r[0] for r in rows][0] == entries.item("supply", c).name
    assert rows[1][2:6] == [220, 25, 18.33, 12] and rows[2][5] == "—"
    head = [cell.value for cell in units[1]]
    assert head[-2:] == ["修改次数", "最后修改时间"]
    assert [row[0].value for row in units.iter_rows(min_row=2)] == [
        "江夏测试二院", "武汉市江夏区示例街道社区卫生服务中心", "武汉市江夏区示例镇卫生院"]


def _day_rows(db):
    from app.models.emergency_supplies import SupplyDay

    return sorted((r.institution_id, r.resource, r.item_code, r.day, r.stock, r.stock_today, r.used, r.used_today,
                   r.average, r.changes, r.changed_at) for r in db.session.scalars(select(SupplyDay)))


def test_the_figures_kept_with_each_report_change_and_deletion_equal_a_rebuild_from_the_entries(db, data):
    """supply_day is rewritten by report / update / delete for the 7 days an entry enters: after a series of them
    its rows are exactly those computed again from the entries, and a deleted entry's days lose its figures."""
    a, b, c = data["codes"]
    mine = _user(db, "inst_admin")
    far = _put(mine, "daily", TODAY - 20 * DAY, b, 4)  # alone in its week
    entries.update(mine, data["changed"].id, "150", confirmed=True)
    entries.delete(data["other"], data["used_c"].id)
    entries.report(mine, "supply", "estimate", f"{TODAY:%Y-%m}", [{"item": c, "quantity": "30"}], confirmed=True)
    kept = _day_rows(db)
    assert [r for r in kept if r[2] == b and r[3] == TODAY - 20 * DAY][0][6] == 4
    entries.delete(mine, far.id)
    kept = _day_rows(db)
    assert not [r for r in kept if r[2] == b and r[3] <= TODAY - 14 * DAY]  # its 7 days are gone with it
    written = entries.rebuild_days()
    db.session.commit()
    assert _day_rows(db) == kept and written == len(kept) > 0
