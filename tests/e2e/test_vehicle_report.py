"""机构车辆上报 in a real browser: inst_admin switches to 应急资源管理, registers 3 vehicles through 车辆档案管理's add
form (one 报废), then 机构车辆上报 → 新增 shows 2 counted with how they were made, 直接上报 (confirmed) → 已上报."""
import os

import pytest
from sqlalchemy import func, select

from app.models.emergency_registers import Vehicle
from app.models.emergency_reports import EmergencyReport
from tests.e2e.helpers import login
from tests.e2e.helpers import register_vehicle as _register

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = "/work/wt/shots/regreports"


def _shot(page, name):
    if os.path.isdir(os.path.dirname(SHOTS)):
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _menu(page, name):
    """Open the 应急资源管理 dropdown of the top bar and click one of its entries."""
    page.get_by_role("link", name="应急资源管理").first.click()
    page.get_by_role("link", name=name).click()


def test_owner_reports_vehicles_counted_from_the_register(app, db, live_server, page):
    login(page, live_server)
    page.goto(f"{live_server}/subsystem/1")
    _menu(page, "车辆档案管理")
    page.wait_for_url("**/emergency/vehicles/list/")
    _register(page, "鄂A12345", "负压救护车", "在用")
    _register(page, "鄂A12346", "负压救护车", "备用")
    _register(page, "鄂A12347", "负压救护车", "报废")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Vehicle.id))) == 3
    _menu(page, "车辆档案管理")
    page.wait_for_url("**/emergency/vehicles/list/**")
    page.locator("text=鄂A12347").first.wait_for()
    _shot(page, "vehicle_register_list.png")

    _menu(page, "机构车辆上报")
    page.wait_for_url("**/vehiclereports/list/")
    assert page.get_by_role("link", name="复制上次上报").count() == 0
    page.get_by_role("link", name="新增", exact=True).click()
    page.wait_for_url("**/vehiclereports/add")
    row = page.locator('#register-counts tr[data-code="negative_pressure"]')
    row.wait_for()
    assert row.locator(".register-count").inner_text().strip() == "2 辆"
    assert row.locator(".register-detail").inner_text().strip() == "2（在用 1 + 备用 1 + 维修 0）"
    assert "停用、报废的车辆不计入" in page.locator("#register-rule").inner_text()
    _shot(page, "vehicle_report_form.png")

    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    with page.expect_navigation():
        page.get_by_role("button", name="直接上报").click()
    page.wait_for_url("**/vehiclereports/list/")
    page.locator("#report-list tr[data-id]").wait_for()
    assert asked == ["上报后不能再修改，确定上报吗？"]
    assert "已上报" in page.locator("#report-list tr[data-id] .report-status").inner_text()
    _shot(page, "vehicle_report_list.png")
    page.locator("#report-list tr[data-id]").get_by_role("link", name="查看").click()
    page.wait_for_url("**/vehiclereports/show/**")
    page.locator("#report-values").wait_for()
    assert "2 辆（在用 1 + 备用 1 + 维修 0）" in page.locator("#report-values").inner_text()
    _shot(page, "vehicle_report_show.png")
    db.session.expire_all()
    report = db.session.scalar(select(EmergencyReport))
    assert report.status == "已上报" and {line.item_code: line.value for line in report.lines}["negative_pressure"] == 2
