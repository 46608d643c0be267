"""机构药品上报 in a real browser, by clicking and typing: inst_admin switches to 应急资源管理, opens 新增, finds three
drugs by their 拼音首字母 in the type-ahead (keyboard and mouse), types 库存数量, gets the same drug twice refused with
both rows named and every row kept, corrects it, saves, then 上报 from the list (after the confirm) → 已上报."""
import os

import pytest
from sqlalchemy import select

from app.models.emergency_reports import EmergencyReport
from app.services import emergency_reports as svc
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = "/work/wt/shots/drugreport"


def _shot(page, name):
    if os.path.isdir(os.path.dirname(SHOTS)):
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def _type_drug(page, n, text, expect):
    """Types into row n's 药品 input and waits for the type-ahead's list under it to show `expect`."""
    field = page.get_by_label(f"第 {n} 行药品", exact=True)
    field.click()
    field.press_sequentially(text)
    listbox = page.locator(f"#drug-list-{n}")
    listbox.locator("li", has_text=expect).first.wait_for()
    return field, listbox


def test_owner_files_a_drug_report(app, db, live_server, page):
    login(page, live_server)
    page.goto(f"{live_server}/subsystem/1")
    page.get_by_role("link", name="应急资源管理").first.click()
    page.get_by_role("link", name="机构药品上报").click()
    page.wait_for_url("**/drugreports/list/")
    page.get_by_role("link", name="新增", exact=True).click()
    page.wait_for_url("**/drugreports/add")
    page.locator("#drug-rows").wait_for()

    # row 1 by keyboard: amxl → the first match is active, Enter chooses it and moves on to 库存数量
    field, listbox = _type_drug(page, 1, "amxl", "阿莫西林")
    assert "阿莫西林" in listbox.locator(".drug-option.active").inner_text()
    _shot(page, "type-ahead-open.png")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    assert listbox.is_hidden() and field.input_value() == "阿莫西林"
    row1 = page.locator("tr.drug-row").nth(0)
    assert row1.locator('[data-key="dosage_form"]').inner_text() == "胶囊"
    assert row1.locator('[data-key="unit"]').inner_text() == "粒"
    page.keyboard.type("120")  # the focus is in 库存数量
    assert page.get_by_label("第 1 行库存数量").input_value() == "120"

    # row 2 by mouse: blf → 布洛芬 缓释胶囊
    page.get_by_role("button", name="+ 添加药品").click()
    field, listbox = _type_drug(page, 2, "blf", "缓释胶囊")
    listbox.locator(".drug-option", has_text="缓释胶囊").click()
    assert page.locator("tr.drug-row").nth(1).locator('[data-key="spec"]').inner_text() == "0.3g"
    page.get_by_label("第 2 行库存数量").fill("35")

    # row 3: no hit says so; Esc closes; then the same drug as row 1 again
    page.get_by_role("button", name="+ 添加药品").click()
    field, listbox = _type_drug(page, 3, "zzzq", "字典中暂无该药品")
    assert listbox.locator(".drug-no-hit").inner_text() == "字典中暂无该药品"
    page.keyboard.press("Escape")
    assert listbox.is_hidden()
    field.fill("")
    field, listbox = _type_drug(page, 3, "amxl", "阿莫西林")
    page.keyboard.press("Enter")
    page.get_by_label("第 3 行库存数量").fill("5")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()

    same = "第 1 行与第 3 行是同一药品“阿莫西林（胶囊 0.25g）”，每种药品只填一行"
    page.locator('.field-error[data-field="drug-3"]').wait_for()
    assert page.locator('.field-error[data-field="drug-1"]').inner_text() == same
    assert page.locator('.field-error[data-field="drug-3"]').inner_text() == same
    assert page.get_by_label("第 2 行药品", exact=True).input_value() == "布洛芬"
    assert page.get_by_label("第 2 行库存数量").input_value() == "35"
    assert page.locator("tr.drug-row").nth(1).locator('[data-key="dosage_form"]').inner_text() == "缓释胶囊"
    _shot(page, "refused-form.png")
    assert db.session.scalar(select(EmergencyReport)) is None

    # corrected: row 3 becomes 硝酸甘油 (xsgy), chosen by keyboard
    page.wait_for_load_state("load")
    field = page.get_by_label("第 3 行药品", exact=True)
    field.fill("")
    field, listbox = _type_drug(page, 3, "xsgy", "硝酸甘油")
    page.keyboard.press("Enter")
    assert field.input_value() == "硝酸甘油"
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已保存（未上报）")
    row = page.locator("#report-list tr[data-id]")
    assert row.count() == 1 and "未上报" in row.inner_text()

    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        row.get_by_role("button", name="上报").click()
    page.wait_for_selector("text=已上报")
    assert "已上报" in page.locator("#report-list tr[data-id]").inner_text()
    _shot(page, "list-reported.png")
    db.session.expire_all()
    report = db.session.scalar(select(EmergencyReport))
    assert report.status == "已上报"
    assert [(r["name"], r["dosage_form"], r["quantity"]) for r in svc.rows_of(report)] == [
        ("阿莫西林", "胶囊", "120"), ("布洛芬", "缓释胶囊", "35"), ("硝酸甘油", "片剂", "5")]

    page.locator("#report-list tr[data-id]").get_by_role("link", name="查看").click()
    page.wait_for_url("**/drugreports/show/**")
    assert "缓释胶囊" in page.locator("#report-values").inner_text()
    _shot(page, "show.png")
