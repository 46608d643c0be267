"""Issue 15's "Done means", walked as a new user would, by clicking only (the login page is the only typed address):
region_admin publishes a daily 物资日消耗上报 task for all institutions of 江夏区; inst_admin sees it on the home page,
reports the stock of 5 items in one form, then their consumption in one form (one above its stock: warned, saved);
region_admin sees 上报率 1/2 with the 武昌 centre absent and the second 江夏 centre listed as not reported, sends 催报,
and reads 可用天数 per item in 应急资源汇总. Screenshots of each step go to pytest's tmp_path and, for the issue's note,
to SHOTS (STORY15_SHOTS, else /work/wt/shots15 where /work/wt exists)."""
import datetime
import os

import pytest

from tests.e2e.helpers import open_menu as _menu
from tests.e2e.helpers import session as _session
from tests.e2e.helpers import shooter
from tests.e2e.helpers import switch_subsystem as _switch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = os.environ.get("STORY15_SHOTS") or ("/work/wt/shots15" if os.path.isdir("/work/wt") else None)
STOCK = {"医用外科口罩": "500", "医用防护服": "40", "隔离衣": "60", "医用手套": "300", "医用帽": "240"}
DAILY = {"医用外科口罩": "120", "医用防护服": "55", "隔离衣": "6", "医用手套": "30", "医用帽": "20"}


def _rows(page, rows, label):
    for n, (name, quantity) in enumerate(rows.items(), start=1):
        if n > 1:
            page.get_by_role("button", name="+ 添加一行").click()
        select = page.get_by_label(f"第 {n} 行名称", exact=True)
        select.wait_for()
        select.select_option(label=name)
        page.get_by_label(f"第 {n} 行{label}", exact=True).fill(quantity)


def _report_form(page, menu, path):
    _menu(page, "应急资源管理", menu, f"**{path}/list/**")
    page.get_by_role("link", name="上报", exact=True).click()
    page.wait_for_url(f"**{path}/add")
    page.locator("#supply-rows").wait_for()


def test_supplies_tasks_and_days_of_supply_done_means(app, db, live_server, browser, tmp_path):
    shot = shooter(tmp_path, SHOTS)
    today = datetime.date.today()

    # 1. region_admin publishes a daily 物资日消耗上报 task for every institution of 江夏区
    region = _session(browser, live_server, "region_admin")
    _menu(region, "区域管理", "上报任务", "**/reporttasks/list/")
    region.locator("#task-add").click()
    region.wait_for_url("**/reporttasks/add")
    region.locator("#task-form").wait_for()
    region.get_by_label("任务名称").fill("物资日消耗日报")
    region.get_by_label("上报类型").select_option(label="物资日消耗上报")
    region.get_by_label("辖区内全部机构").check()
    region.get_by_label("上报周期").select_option(label="每日")
    region.locator("#date_from").fill(today.isoformat())
    region.locator("#date_to").fill((today + datetime.timedelta(days=30)).isoformat())
    region.locator("#deadline").fill("23:59")
    shot(region, "01_task_form.png")
    with region.expect_navigation():
        region.locator("#task-publish").click()
    region.locator("#task-rate").wait_for()
    assert region.locator("#task-rate").inner_text() == "0/2"

    # 2. inst_admin sees the task on the home page
    inst = _session(browser, live_server, "inst_admin")
    panel = inst.locator("#home-tasks")
    panel.wait_for()
    assert "物资日消耗日报" in panel.inner_text() and "未上报" in panel.inner_text()
    shot(inst, "02_home_task.png")

    # 3. the stock of 5 items in one form
    _switch(inst, "应急资源管理")
    _report_form(inst, "物资资源存量上报", "/supplies/stock")
    _rows(inst, STOCK, "存量")
    with inst.expect_navigation():
        inst.get_by_role("button", name="上报", exact=True).click()
    inst.wait_for_selector("text=5 条已上报")
    shot(inst, "03_stock_reported.png")

    # 4. their consumption in one form: 55 防护服 used with 40 in stock is warned, then confirmed and saved
    _report_form(inst, "物资日消耗上报", "/supplies/daily")
    _rows(inst, DAILY, "日消耗量")
    with inst.expect_navigation():
        inst.get_by_role("button", name="上报", exact=True).click()
    inst.locator("#supply-warnings").wait_for()
    assert f"日消耗量 55套 大于最近一次存量 40套（{today:%Y-%m-%d}），请核对" in inst.locator("#supply-warnings").inner_text()
    shot(inst, "04_consumption_warned.png")
    with inst.expect_navigation():
        inst.get_by_role("button", name="确认上报").click()
    inst.wait_for_selector("text=5 条已上报")
    shot(inst, "05_consumption_reported.png")

    # 5. region_admin: 上报率 1/2, the second 江夏 centre not reported, 武昌 nowhere; 催报
    _menu(region, "区域管理", "上报任务", "**/reporttasks/list/")
    region.locator("#task-list tr[data-id]").first.get_by_role("link", name="物资日消耗日报").click()
    region.locator("#task-rate").wait_for()
    assert region.locator("#task-rate").inner_text() == "1/2"
    missing = region.locator("#not-reported tbody").inner_text()
    assert "武汉市江夏区示例街道社区卫生服务中心" in missing and "示例镇卫生院" not in missing and "武昌" not in missing
    with region.expect_navigation():
        region.locator("#task-remind").click()
    region.locator("text=已向 1 家机构发送催报").wait_for()
    shot(region, "06_rate_and_reminder.png")

    # 6. region_admin reads 可用天数 per item in 应急资源汇总 → 应急物资: 防护服 40 in stock, 55 used → 0.7 days, first
    _menu(region, "区域管理", "应急资源汇总", "**/emergencysummary/**")
    region.locator("#summary-table").wait_for()
    region.get_by_label("上报类型").select_option(label="应急物资")
    with region.expect_navigation():
        region.get_by_role("button", name="查询").click()
    region.locator("#supply-items").wait_for()
    first = region.locator("#supply-items tbody tr").first
    assert "医用防护服" in first.inner_text() and "supply-low" in first.get_attribute("class")
    assert first.locator(".supply-days").inner_text() == "0.7"
    gloves = region.locator("#supply-items tbody tr", has_text="医用手套")
    assert gloves.locator(".supply-days").inner_text() == "10"
    unit = region.locator('#supply-units tr[data-unit="武汉市江夏区示例镇卫生院"]')
    assert unit.count() == 1
    shot(region, "07_region_days_of_supply.png")
