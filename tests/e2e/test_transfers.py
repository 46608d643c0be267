"""申请调入 in a real browser: 江夏 enters 陈武昌 (active in 武昌), the refusal offers 申请调入, the request is sent;
武昌 finds it under 机构人力资源 → 调动申请 and starts the resignation; the region sees the pending request before."""
import pytest
from sqlalchemy import select

from app.models.movements import Resignation, TransferRequest
from app.services.seed import WUCHANG_PERSON
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _by_menu(browser, base, username, category, entry, url):
    """A new page of `username` that opened `category` → `entry` in the menu."""
    page = browser.new_page()
    login(page, base, username)
    page.get_by_role("link", name=category).click()
    page.get_by_role("link", name=entry).click()
    page.wait_for_url(url)
    return page


def test_request_from_the_refusal_then_the_holder_starts_the_resignation(app, db, live_server, browser, page):
    login(page, live_server)
    page.goto(f"{live_server}/people/add")
    page.get_by_label("姓名").fill(WUCHANG_PERSON["name"])
    page.get_by_label("证件号码").fill(WUCHANG_PERSON["id_number"])
    page.get_by_role("button", name="保存").first.click()
    offer = page.locator('#transfer-offer button[name="offer"]')
    assert "申请调入" in offer.inner_text()
    page.get_by_label("证件号码").press("Enter")  # Enter still saves the 基本信息 form (refused again), not the offer
    page.wait_for_load_state()
    assert page.url.endswith("/people/add") and page.locator("#transfer-offer").count() == 1
    offer.click()
    page.wait_for_url("**/transfers/new")
    assert page.locator("#id_number").input_value() == WUCHANG_PERSON["id_number"]
    assert page.locator("#name").input_value() == WUCHANG_PERSON["name"]
    page.get_by_role("button", name="提交申请").click()  # no reason: refused next to its field
    assert page.locator('.field-error[data-field="reason"]').inner_text() == "请填写调入理由"
    page.get_by_label("调入理由").fill("本院全科医生岗位空缺")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/transfers/show/*")
    assert page.locator("#transfer-status").inner_text() == "待处理"

    region = _by_menu(browser, live_server, "region_admin", "区域管理", "人员流动", "**/movements/list/")
    assert region.locator('.movement-count[data-sheet="待处理调动申请"]').inner_text() == "1"

    holder = _by_menu(browser, live_server, "inst2_admin", "机构人力资源", "调动申请", "**/transfers/list/")
    holder.locator("#transfers-received").get_by_role("link", name="办理").click()
    holder.get_by_role("button", name="办理离职").click()
    holder.wait_for_url("**/transfers/show/*")
    assert holder.locator("#transfer-status").inner_text() == "已办理离职"
    assert "已为陈武昌办理离职" in holder.content()
    db.session.expire_all()
    req = db.session.scalar(select(TransferRequest))
    assert db.session.scalar(select(Resignation.flow_type).where(Resignation.transfer_request_id == req.id)) == "21"
