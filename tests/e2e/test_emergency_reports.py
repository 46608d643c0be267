"""机构能力上报 in a real browser: inst_admin switches to 应急资源管理, a part above its total is refused with both
numbers under the field, the fixed form is saved, then 上报 asks first (取消 keeps it 未上报) and reports."""
import pytest
from sqlalchemy import select

from app.models.emergency_reports import EmergencyReport
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_owner_files_a_capacity_report(app, db, live_server, page):
    login(page, live_server)
    page.goto(f"{live_server}/subsystem/1")
    page.get_by_role("link", name="应急资源管理").first.click()
    page.get_by_role("link", name="机构能力上报").click()
    page.wait_for_url("**/capacityreports/list/")
    page.get_by_role("link", name="新增", exact=True).click()
    page.wait_for_url("**/capacityreports/add")  # locator.all() does not wait: fill the form, not the list
    page.locator("#report-form").wait_for()
    for field in page.locator("#report-form input[inputmode=numeric]").all():
        field.fill("0")
    page.get_by_label("实有床位数", exact=True).fill("20")
    page.get_by_label("重症监护(ICU)床位数").fill("8")
    page.get_by_label("负压病房床位数").fill("15")
    page.get_by_role("button", name="保存").click()
    error = page.locator('.field-error[data-field="beds"]')
    error.wait_for()
    assert error.inner_text() == "实有床位数 20 小于分项之和 23（重症监护(ICU)床位数 8 + 负压病房床位数 15）"
    assert page.get_by_label("负压病房床位数").input_value() == "15"

    page.wait_for_load_state("load")  # the refused form has finished loading before it is typed in again
    page.get_by_label("实有床位数", exact=True).fill("30")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已保存（未上报）")
    row = page.locator("#report-list tr[data-id]")
    assert row.count() == 1 and "未上报" in row.inner_text()

    page.once("dialog", lambda d: d.dismiss())  # 取消: nothing is reported
    row.get_by_role("button", name="上报").click()
    assert "未上报" in page.locator("#report-list tr[data-id]").inner_text()
    page.once("dialog", lambda d: d.accept())
    page.locator("#report-list tr[data-id]").get_by_role("button", name="上报").click()
    page.wait_for_selector("text=已上报")
    db.session.expire_all()
    assert db.session.scalar(select(EmergencyReport.status)) == "已上报"
    assert page.locator("#report-list tr[data-id]").get_by_role("link", name="修改").count() == 0


def test_direct_report_asks_first_but_save_does_not(app, db, live_server, page):
    login(page, live_server)
    page.goto(f"{live_server}/capacityreports/add")
    for field in page.locator("#report-form input[inputmode=numeric]").all():
        field.fill("0")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="直接上报").click()
    assert asked == ["上报后不能再修改，确定上报吗？"]
    assert db.session.scalar(select(EmergencyReport)) is None and "/capacityreports/add" in page.url
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="直接上报").click()
    page.wait_for_selector("text=已上报")
    db.session.expire_all()
    assert db.session.scalar(select(EmergencyReport.status)) == "已上报"
