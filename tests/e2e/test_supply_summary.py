"""应急资源汇总 → 物资 in a real browser: region_admin opens 区域管理 → 应急资源汇总, picks 应急物资 and reads the
items with 可用天数 (the low one first, highlighted) and 江夏's institution with its 修改次数.
Screenshots into /work/wt/shots/supplysummary/."""
import datetime
import os

import pytest

from app.services import emergency_supplies as entries
from tests.e2e.helpers import login
from tests.services.test_emergency_supplies import _user

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = os.environ.get("SHOTS_DIR") or ("/work/wt/shots/supplysummary" if os.path.isdir("/work/wt") else None)
TODAY = datetime.date.today()


def _put(user, report, code, quantity, days_ago=0):
    day = TODAY - datetime.timedelta(days=days_ago)
    entry, = entries.report(user, "supply", report, f"{day:%Y-%m-%d}", [{"item": code, "quantity": str(quantity)}],
                            confirmed=True)
    return entry


def test_region_reads_days_of_supply_by_clicking(app, db, live_server, page):
    items = entries.items("supply")
    mask, gown, gloves = items[0], items[3], items[5]
    inst = _user(db, "inst_admin")
    _put(inst, "stock", mask.code, 1200)
    for n, q in enumerate((40, 50, 60)):
        _put(inst, "daily", mask.code, q, n)
    low = _put(inst, "stock", gown.code, 20)
    _put(inst, "daily", gown.code, 8)
    _put(inst, "stock", gloves.code, 500)  # no consumption: "—"
    entries.update(inst, low.id, "18", confirmed=True)
    _put(_user(db, "inst2_admin"), "stock", mask.code, 99999)  # 武昌: not 江夏's

    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "region_admin")
    page.get_by_role("link", name="区域管理").click()
    page.get_by_role("link", name="应急资源汇总").click()
    page.wait_for_url("**/emergencysummary/")
    page.locator("#summary-table").wait_for()
    page.get_by_label("上报类型").select_option(label="应急物资")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    page.locator("#supply-items").wait_for()
    first = page.locator("#supply-items tbody tr").first
    assert first.get_attribute("data-item") == gown.code and "supply-low" in first.get_attribute("class")
    assert first.locator(".supply-days").inner_text() == "2.3"
    mask_row = page.locator(f'#supply-items tr[data-item="{mask.code}"]')
    assert mask_row.locator(".supply-days").inner_text() == "24"
    assert page.locator(f'#supply-items tr[data-item="{gloves.code}"] .supply-days').inner_text() == "—"
    unit = page.locator('#supply-units tr[data-unit="武汉市江夏区示例镇卫生院"]')
    assert unit.locator(".supply-changes").inner_text() == "1" and "99999" not in page.content()
    if SHOTS:  # for the note; nowhere on a machine without the work folder
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, "supplies-summary.png"), full_page=True)
