"""上报任务 in a real browser, by clicking: region_admin opens 区域管理 → 上报任务 → 发布任务 and publishes a daily
物资日消耗上报 task for every institution of 江夏区; the task's page shows 上报率 0/2 with both 江夏 institutions not
reported (the 武昌 centre, outside the district, nowhere); 催报; inst_admin logs in and sees the task and the reminder
on the home page and in 应急资源管理 → 我的上报任务. Screenshots go to /work/wt/shots/tasks/ when /work/wt exists."""
import datetime
import os
import shutil

import pytest

from tests.e2e.helpers import open_menu as _menu
from tests.e2e.helpers import session as _session
from tests.e2e.helpers import switch_subsystem as _switch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = "/work/wt/shots/tasks" if os.path.isdir("/work/wt") else None


def _shot(page, tmp_path, name):
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        shutil.copyfile(path, os.path.join(SHOTS, name))


def test_region_publishes_a_daily_task_reminds_and_the_institution_sees_it(app, db, live_server, browser, tmp_path):
    today = datetime.date.today()
    region = _session(browser, live_server, "region_admin")
    _menu(region, "区域管理", "上报任务", "**/reporttasks/list/")
    region.locator("#task-add").click()
    region.wait_for_url("**/reporttasks/add")
    region.locator("#task-form").wait_for()
    assert region.locator("#task-form", has_text="武昌").count() == 0  # not in the district: not offered
    region.get_by_label("任务名称").fill("12月物资日消耗")
    region.get_by_label("上报类型").select_option(label="物资日消耗上报")
    region.get_by_label("辖区内全部机构").check()
    region.get_by_label("上报周期").select_option(label="每日")
    region.locator("#date_from").fill(today.isoformat())
    region.locator("#date_to").fill((today + datetime.timedelta(days=30)).isoformat())
    region.locator("#deadline").fill("16:00")
    _shot(region, tmp_path, "01_publish_form.png")
    with region.expect_navigation():
        region.locator("#task-publish").click()
    region.locator("#task-rate").wait_for()
    assert region.locator("#task-rate").inner_text() == "0/2"
    missing = region.locator("#not-reported tbody").inner_text()
    assert "武汉市江夏区示例镇卫生院" in missing and "武汉市江夏区示例街道社区卫生服务中心" in missing
    assert "武昌" not in missing
    _shot(region, tmp_path, "02_task_rate.png")
    with region.expect_navigation():
        region.locator("#task-remind").click()
    region.locator("text=已向 2 家机构发送催报").wait_for()
    _shot(region, tmp_path, "03_reminded.png")
    region.get_by_role("link", name="返回").click()
    region.wait_for_url("**/reporttasks/list/")
    row = region.locator("#task-list tr[data-id]")
    row.first.wait_for()
    assert "0/2" in row.first.inner_text() and "物资日消耗上报" in row.first.inner_text()
    _shot(region, tmp_path, "04_task_list.png")

    inst = _session(browser, live_server, "inst_admin")
    panel = inst.locator("#home-tasks")
    panel.wait_for()
    assert "12月物资日消耗" in panel.inner_text() and "催报" in panel.inner_text()
    _shot(inst, tmp_path, "05_home_panel.png")
    _switch(inst, "应急资源管理")
    _menu(inst, "应急资源管理", "我的上报任务", "**/mytasks/list/")
    inst.locator("#my-task-list").wait_for()
    assert "未上报" in inst.locator("#my-task-list").inner_text()
    assert "12月物资日消耗" in inst.locator("#my-reminders").inner_text()
    _shot(inst, tmp_path, "06_my_tasks.png")
    with inst.expect_navigation():
        inst.get_by_role("link", name="去上报").first.click()
    assert "/supplies/daily/list/" in inst.url
