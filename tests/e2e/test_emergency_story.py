"""Issue 14's "Done means", walked as a new user would, by clicking only (the login page is the only typed address):
inst_admin switches to 应急资源管理 in the top bar, registers 3 vehicles (one 报废) and files the vehicle report (2
counted); files a 机构能力上报 with a part above its total (refused, both numbers named), fixes it and reports; adds 3
drugs to a 机构药品上报 by typing pinyin initials and reports it; region_admin opens 区域管理 → 应急资源汇总, sees the
district's totals, drills down to the 江夏 report and 退回s it with a reason; inst_admin sees the reason, corrects
and reports again. A full-page screenshot of each step goes to pytest's tmp_path and, for the issue's note, to SHOTS
(the environment's STORY14_SHOTS, else /work/wt/shots14 where /work/wt exists; nowhere else otherwise)."""
import os

import pytest
from sqlalchemy import select

from app.models.emergency_reports import EmergencyReport
from tests.e2e.helpers import open_menu as _menu
from tests.e2e.helpers import register_vehicle as _register_vehicle
from tests.e2e.helpers import session as _session
from tests.e2e.helpers import shooter
from tests.e2e.helpers import switch_subsystem as _switch

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = os.environ.get("STORY14_SHOTS") or ("/work/wt/shots14" if os.path.isdir("/work/wt") else None)


def _report_from_list(page):
    """上报 of the list's first row, accepting the confirm."""
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.locator("#report-list tr[data-id]").first.get_by_role("button", name="上报").click()
    page.locator("#report-list tr[data-id]").first.wait_for()


def _fill_capacity(page, **values):
    for field in page.locator("#report-form input[inputmode=numeric]").all():
        field.fill("0")
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def test_emergency_resources_done_means(app, db, live_server, browser, tmp_path):
    shot = shooter(tmp_path, SHOTS)
    inst = _session(browser, live_server, "inst_admin")

    # 1. 应急资源管理 from the top bar; three vehicles, one 报废
    _switch(inst, "应急资源管理")
    _menu(inst, "应急资源管理", "车辆档案管理", "**/emergency/vehicles/list/**")
    for plate, status in (("鄂A10001", "在用"), ("鄂A10002", "备用"), ("鄂A10003", "报废")):
        _register_vehicle(inst, plate, "监护型救护车", status)
    shot(inst, "01_vehicle_register.png")

    # 2. the vehicle report counts 2 (报废 left out) and is reported
    _menu(inst, "应急资源管理", "机构车辆上报", "**/vehiclereports/list/**")
    inst.get_by_role("link", name="新增", exact=True).click()
    inst.wait_for_url("**/vehiclereports/add")
    row = inst.locator('#register-counts tr[data-code="monitoring"]')
    row.wait_for()
    assert row.locator(".register-detail").inner_text().strip() == "2（在用 1 + 备用 1 + 维修 0）"
    shot(inst, "02_vehicle_report_form.png")
    inst.once("dialog", lambda d: d.accept())
    with inst.expect_navigation():
        inst.get_by_role("button", name="直接上报").click()
    inst.locator("#report-list tr[data-id]").first.wait_for()
    assert "已上报" in inst.locator("#report-list tr[data-id]").first.inner_text()

    # 3–4. 机构能力上报: a part above its total is refused with both numbers, fixed, saved, reported
    _menu(inst, "应急资源管理", "机构能力上报", "**/capacityreports/list/**")
    inst.get_by_role("link", name="新增", exact=True).click()
    inst.wait_for_url("**/capacityreports/add")
    inst.locator("#report-form").wait_for()
    assert inst.get_by_label("救护车数", exact=True).input_value() == "2"  # prefilled from 车辆档案
    _fill_capacity(inst, **{"实有床位数": "20", "重症监护(ICU)床位数": "8", "负压病房床位数": "15",
                            "救护车数": "2"})
    inst.get_by_role("button", name="保存").click()
    error = inst.locator('.field-error[data-field="beds"]')
    error.wait_for()
    assert error.inner_text() == "实有床位数 20 小于分项之和 23（重症监护(ICU)床位数 8 + 负压病房床位数 15）"
    shot(inst, "03_capacity_refused.png")
    inst.get_by_label("实有床位数", exact=True).fill("30")
    with inst.expect_navigation():
        inst.get_by_role("button", name="保存").click()
    inst.wait_for_selector("text=已保存（未上报）")
    _report_from_list(inst)
    assert "已上报" in inst.locator("#report-list tr[data-id]").first.inner_text()
    shot(inst, "04_capacity_reported.png")
    db.session.expire_all()
    assert db.session.scalar(select(EmergencyReport.status).where(EmergencyReport.kind == "capacity")) == "已上报"

    # 5–6. 机构药品上报: three drugs found by their pinyin initials, 保存, then 上报 from the list
    _menu(inst, "应急资源管理", "机构药品上报", "**/drugreports/list/**")
    inst.get_by_role("link", name="新增", exact=True).click()
    inst.wait_for_url("**/drugreports/add")
    inst.locator("#drug-rows").wait_for()
    for n, (initials, name, quantity) in enumerate((("amxl", "阿莫西林", "120"), ("blf", "布洛芬", "35"),
                                                    ("xsgy", "硝酸甘油", "5")), start=1):
        if n > 1:
            inst.get_by_role("button", name="+ 添加药品").click()
        field = inst.get_by_label(f"第 {n} 行药品", exact=True)
        field.click()
        field.press_sequentially(initials)
        inst.locator(f"#drug-list-{n} li", has_text=name).first.wait_for()
        if n == 1:
            shot(inst, "05_drug_type_ahead.png")
        inst.keyboard.press("Enter")
        assert field.input_value() == name
        inst.get_by_label(f"第 {n} 行库存数量").fill(quantity)
    with inst.expect_navigation():
        inst.get_by_role("button", name="保存").click()
    inst.wait_for_selector("text=已保存（未上报）")
    _report_from_list(inst)
    assert "已上报" in inst.locator("#report-list tr[data-id]").first.inner_text()
    shot(inst, "06_drug_reported.png")

    # 7. region_admin: 区域管理 → 应急资源汇总 shows the district's totals; the 江夏 report is opened and 退回ed
    region = _session(browser, live_server, "region_admin")
    _menu(region, "区域管理", "应急资源汇总", "**/emergencysummary/**")
    region.locator("#summary-table").wait_for()
    assert region.locator('tr[data-item="beds"] .summary-total').inner_text() == "30"
    assert "已上报机构 1 / 2" in region.locator("#summary-counts").inner_text()
    shot(region, "07_region_summary.png")
    region.locator("#summary-table thead").get_by_role("link", name="武汉市江夏区示例镇卫生院").click()
    region.wait_for_url("**/emergencysummary/report/**")
    region.get_by_label("退回原因").fill("实有床位数与机构信息不符，请核对")
    with region.expect_navigation():
        region.get_by_role("button", name="退回").click()
    region.locator("#return-reason").wait_for()
    assert region.locator("#report-status").inner_text() == "已退回"
    shot(region, "08_region_returned.png")

    # 8. inst_admin sees the reason, corrects and reports again; the district's total follows
    _menu(inst, "应急资源管理", "机构能力上报", "**/capacityreports/list/**")
    row = inst.locator("#report-list tr[data-id]").first
    row.wait_for()
    assert "已退回" in row.inner_text() and "实有床位数与机构信息不符，请核对" in row.inner_text()
    shot(inst, "09_institution_sees_reason.png")
    row.get_by_role("link", name="修改").click()
    inst.wait_for_url("**/capacityreports/edit/**")
    inst.locator("#return-reason").wait_for()
    inst.get_by_label("实有床位数", exact=True).fill("32")
    inst.once("dialog", lambda d: d.accept())
    with inst.expect_navigation():
        inst.get_by_role("button", name="保存并上报").click()
    inst.locator("#report-list tr[data-id]").first.wait_for()
    assert "已上报" in inst.locator("#report-list tr[data-id]").first.inner_text()
    shot(inst, "10_reported_again.png")
    region.get_by_role("link", name="返回汇总").click()
    region.wait_for_url("**/emergencysummary/**")
    region.locator("#summary-table").wait_for()
    assert region.locator('tr[data-item="beds"] .summary-total').inner_text() == "32"
    shot(region, "11_region_summary_again.png")
