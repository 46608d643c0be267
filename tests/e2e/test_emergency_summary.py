"""应急资源汇总 in a real browser: region_admin opens 区域管理 → 应急资源汇总, sees 江夏's totals, opens the
institution's report, 退回s it (no reason: refused under the field); inst_admin then finds 已退回 with the reason in
机构能力上报, edits it and reports it again. Screenshots into /work/wt/shots/summary/."""
import datetime
import os

import pytest
from sqlalchemy import select

from app.models.emergency_reports import EmergencyReport
from app.services import emergency_reports as reports
from tests.e2e.helpers import login
from tests.services.test_emergency_reports import _user, good_values

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = os.environ.get("SHOTS_DIR") or ("/work/wt/shots/summary" if os.path.isdir("/work/wt") else None)


def _shot(page, name):
    if SHOTS:  # for the note; nowhere on a machine without the work folder
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_region_returns_a_report_and_the_institution_reports_again(app, db, live_server, page):
    inst = _user(db, "inst_admin")
    day = datetime.date.today() - datetime.timedelta(days=3)
    reports.save(inst, "capacity", good_values(beds=28), day - datetime.timedelta(days=4), report=True)  # older
    report = reports.save(inst, "capacity", good_values(beds=30, doctors=14), day, note="月初统计", report=True)
    reports.save(_user(db, "inst2_admin"), "capacity", good_values(beds=900), day, report=True)  # 武昌: not 江夏's

    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "region_admin")
    page.get_by_role("link", name="区域管理").click()
    page.get_by_role("link", name="应急资源汇总").click()
    page.wait_for_url("**/emergencysummary/")
    page.locator("#summary-table").wait_for()
    assert page.locator('tr[data-item="beds"] .summary-total').inner_text() == "30"
    assert page.locator('tr[data-item="doctors"] .summary-total').inner_text() == "14"
    assert "已上报机构 1 / 2" in page.locator("#summary-counts").inner_text()
    _shot(page, "summary.png")

    page.locator("#summary-table thead").get_by_role("link", name="武汉市江夏区示例镇卫生院").click()
    page.wait_for_url(f"**/emergencysummary/report/{report.id}**")
    page.locator("#return-form").wait_for()
    assert "月初统计" in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="退回").click()
    error = page.locator('.field-error[data-field="reason"]')
    error.wait_for()
    assert error.inner_text() == "请填写退回原因"
    page.get_by_label("退回原因").fill("执业医师数与人员库不符，请核对")
    _shot(page, "report-return-form.png")
    with page.expect_navigation():
        page.get_by_role("button", name="退回").click()
    page.locator("#return-reason").wait_for()
    assert page.locator("#report-status").inner_text() == "已退回"
    assert page.locator("#return-form").count() == 0
    assert "region_admin" in page.locator("#report-history").inner_text()
    _shot(page, "report-returned.png")

    page.get_by_role("link", name="返回汇总").click()
    page.wait_for_url("**/emergencysummary/**")
    page.locator("#summary-table").wait_for()  # the returned report no longer counts: the older one does
    assert page.locator('tr[data-item="beds"] .summary-total').inner_text() == "28"

    page.locator(".navbar .dropdown-toggle .fa-user").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login/**")
    login(page, live_server, "inst_admin")
    page.locator("#subsystem-switcher .dropdown-toggle").click()
    with page.expect_navigation():  # the switch reloads the page with the subsystem's menu
        page.locator("#subsystem-switcher").get_by_role("link", name="应急资源管理").click()
    page.get_by_role("link", name="应急资源管理").first.click()
    page.get_by_role("link", name="机构能力上报").click()
    page.wait_for_url("**/capacityreports/list/")
    row = page.locator(f'#report-list tr[data-id="{report.id}"]')
    row.wait_for()
    assert "已退回" in row.inner_text() and "退回原因：执业医师数与人员库不符，请核对" in row.inner_text()
    _shot(page, "institution-list-returned.png")

    row.get_by_role("link", name="修改").click()
    page.wait_for_url(f"**/capacityreports/edit/{report.id}")
    page.locator("#report-form").wait_for()
    assert "已退回，原因：执业医师数与人员库不符" in page.locator("#return-reason").inner_text()
    page.get_by_label("执业(助理)医师数").fill("12")
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.get_by_role("button", name="保存并上报").click()
    page.wait_for_selector("text=已上报")
    db.session.expire_all()
    again = db.session.get(EmergencyReport, report.id)
    assert again.status == "已上报" and {ln.item_code: ln.value for ln in again.lines}["doctors"] == 12
    assert db.session.scalar(select(EmergencyReport.status).where(EmergencyReport.id == report.id)) == "已上报"


def test_ten_institutions_read_at_1366_without_a_horizontal_scroll(app, db, live_server, page):
    from tests import factories

    day = datetime.date.today() - datetime.timedelta(days=1)
    reports.save(_user(db, "inst_admin"), "capacity", good_values(beds=30), day, report=True)
    for n in range(1, 9):  # with the demo's two 江夏 centres: ten institutions
        inst = factories.institution(f"武汉市江夏区第{n}示例社区卫生服务中心")
        user = factories.account(f"jx_center{n}", institution=inst)
        if n % 4:  # some have not reported in the period
            reports.save(user, "capacity", good_values(beds=30 + n), day, report=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live_server, "region_admin")
    page.get_by_role("link", name="区域管理").click()
    page.get_by_role("link", name="应急资源汇总").click()
    page.wait_for_url("**/emergencysummary/")
    page.locator("#summary-table").wait_for()
    assert page.locator("#summary-table thead th.summary-unit").count() == 10
    assert "已上报机构 7 / 10" in page.locator("#summary-counts").inner_text()
    overflow = page.evaluate("() => { const t = document.querySelector('#summary-table');"
                             " return t.scrollWidth - t.parentElement.clientWidth; }")
    assert overflow <= 0
    _shot(page, "summary-ten-institutions.png")
