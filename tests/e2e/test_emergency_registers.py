"""车辆档案管理 in a real browser: inst_admin switches to 应急资源管理, registers a vehicle by clicking, a wrong 车牌号码
is refused under its input with what was typed kept, the search by 车辆类型 finds it, 删除 asks in Chinese."""
import pytest
from sqlalchemy import select

from app.models.emergency_registers import Vehicle
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_vehicle_register_by_clicking(app, db, live_server, page, tmp_path):
    login(page, live_server)
    page.goto(f"{live_server}/subsystem/1")
    page.get_by_role("link", name="应急资源管理").first.click()
    page.get_by_role("link", name="车辆档案管理").click()
    page.wait_for_url("**/emergency/vehicles/list/")
    page.locator("a[data-original-title=添加新记录]").click()  # FAB's + button (its title becomes a tooltip)
    page.wait_for_url("**/emergency/vehicles/add")

    page.locator("#plate_no").fill("鄂AO1234")
    page.locator("#vehicle_type").select_option("负压救护车")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=不能含字母 I 或 O")
    assert page.locator("#plate_no").input_value() == "鄂AO1234"
    page.screenshot(path=str(tmp_path / "refused.png"), full_page=True)

    page.locator("#plate_no").fill("鄂AD12345")
    page.locator("#vehicle_type").select_option("负压救护车")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: "/add" not in url)
    db.session.expire_all()
    assert db.session.scalar(select(Vehicle.plate_no)) == "鄂AD12345"

    page.wait_for_url("**/emergency/vehicles/list/")
    page.goto(f"{live_server}/emergency/vehicles/list/?_flt_0_vehicle_type=负压救护车")  # the 车辆类型 search as a link
    assert "鄂AD12345" in page.content()
    page.screenshot(path=str(tmp_path / "list.png"), full_page=True)

    row = page.locator("tr", has_text="鄂AD12345")
    row.locator("a.confirm").click()  # FAB's trash button: a Chinese confirm, then a POST with the token
    dialog = page.locator("#modal-confirm")
    dialog.wait_for(state="visible")
    assert "确定要删除这条记录吗" in dialog.inner_text()
    dialog.get_by_role("link", name="确定", exact=True).click()
    page.wait_for_selector("text=记录已删除")
    db.session.expire_all()
    assert db.session.scalar(select(Vehicle)) is None
