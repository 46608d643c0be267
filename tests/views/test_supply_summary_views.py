"""应急资源汇总 → 物资 / 药械 through the page: the kind picker offers them, the items table with the low items first
and highlighted, 可用天数 per institution with 修改次数, the day's field refused in place, export; the same
permission as the first part (an institution account has no page)."""
import datetime
import io

from openpyxl import load_workbook

from app.services import emergency_supplies as entries
from tests import factories
from tests.services.test_emergency_supplies import _user

INDEX = "/emergencysummary/"
TODAY = datetime.date.today()


def _put(user, report, code, quantity, day=TODAY):
    entry, = entries.report(user, "supply", report, f"{day:%Y-%m-%d}", [{"item": code, "quantity": str(quantity)}],
                            confirmed=True)
    return entry


def _data(db):
    a, b = (i.code for i in entries.items("supply")[:2])
    mine = _user(db)
    other = factories.account("jx_second", institution=factories.institution("江夏测试二院"))
    _put(mine, "stock", a, 300)
    _put(mine, "daily", a, 10)  # 30 days
    stock_b = _put(mine, "stock", b, 12)
    _put(mine, "daily", b, 4)  # 3 days: low
    _put(other, "stock", a, 500)
    _put(_user(db, "inst2_admin"), "stock", a, 9999)  # 武昌: not in 江夏's totals
    entries.update(mine, stock_b.id, "15", confirmed=True)  # changed after being reported
    return a, b


def test_region_admin_reads_the_supplies_part_low_items_first_and_highlighted(db, login_as):
    a, b = _data(db)
    client = login_as("region_admin")
    first = client.get(INDEX).get_data(as_text=True)
    assert '<option value="supply"' in first and "应急物资" in first and "应急药械" in first
    body = client.get(INDEX + "?kind=supply").get_data(as_text=True)
    assert 'id="supply-items"' in body and 'name="day"' in body and "9999" not in body
    items = body.split('id="supply-items"')[1].split("</table>")[0]
    assert items.index(f'data-item="{b}"') < items.index(f'data-item="{a}"')  # 3.8 days before 80
    low_row = items.split(f'data-item="{b}"')[1].split("</tr>")[0]
    assert "supply-low" in low_row.split(">")[0] and "supply-low" not in items.split(f'data-item="{a}"')[1].split(">")[0]
    assert '<strong class="text-danger">3.8</strong>' in low_row and "1 / 3" in low_row
    units = body.split('id="supply-units"')[1].split("</table>")[0]
    mine = units.split('data-unit="武汉市江夏区示例镇卫生院"')[1].split("</tr>")[0]
    assert units.index("武汉市江夏区示例镇卫生院") < units.index("江夏测试二院")  # the low institution first
    assert "supply-low" in units.split('data-unit="武汉市江夏区示例镇卫生院"')[0].rsplit("<tr", 1)[1]
    assert 'supply-changes">1<' in mine and f"{TODAY:%Y-%m-%d}" in mine
    assert "<strong>3.8</strong>" in mine
    other = units.split('data-unit="江夏测试二院"')[1].split("</tr>")[0]
    assert "—" in other and 'supply-changes">0<' in other


def test_the_day_field_is_refused_in_place_and_an_earlier_day_shows_nothing(db, login_as):
    _data(db)
    client = login_as("region_admin")
    body = client.get(INDEX + "?kind=supply&day=2026-02-30").get_data(as_text=True)
    assert 'data-field="day">日期格式应为 2026-01-31' in body and 'id="supply-items"' not in body
    past = client.get(INDEX + f"?kind=supply&day={TODAY - datetime.timedelta(days=1):%Y-%m-%d}")
    assert "之前 7 天内没有存量或消耗数据" in past.get_data(as_text=True)


def test_drill_down_from_the_city_and_export(db, login_as):
    a, _ = _data(db)
    client = login_as("sysadmin01")
    city = client.get(INDEX + "?kind=supply&region_code=420100").get_data(as_text=True)
    assert "region_code=420115" in city and "kind=supply" in city and "10799" in city
    resp = client.get(INDEX.rstrip("/") + "/export/?kind=supply&region_code=420115")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    wb = load_workbook(io.BytesIO(resp.data))
    assert [r[0].value for r in wb["按地区机构"].iter_rows(min_row=2)] == [
        "武汉市江夏区示例镇卫生院", "武汉市江夏区示例街道社区卫生服务中心", "江夏测试二院"]
    assert next(r for r in wb["按项目"].iter_rows(min_row=4, values_only=True) if r[2] == 800)


def test_an_institution_account_has_no_supplies_summary(db, login_as):
    _data(db)
    client = login_as("inst_admin")
    for url in (INDEX + "?kind=supply", "/emergencysummary/export/?kind=supply"):
        resp = client.get(url)
        assert resp.status_code in (302, 403), url
