"""The 经纬度 QR flow in a real browser: the desktop page shows a QR code, a (simulated) phone posts its
position to the signed URL, the desktop page fills the fields by polling, 确认保存 stores them."""
import pytest
from sqlalchemy import select

from app.models.org import Institution
from app.services.seed import JIANGXIA_CODE
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_qr_code_location_reaches_the_desktop_page(app, db, live_server, page, tmp_path):
    login(page, live_server)
    page.goto(f"{live_server}/institution/?tab=info")

    with page.expect_response("**/location/start") as started:
        page.get_by_role("button", name="用手机扫码获取").click()
    phone_url = started.value.json()["url"]
    page.wait_for_selector("#qr-code svg")
    page.screenshot(path=str(tmp_path / "qr.png"), full_page=True)

    # A different browser, not logged in, like the phone; its page script sends the position (with its CSRF token).
    phone = page.context.browser.new_page(geolocation={"latitude": 30.3512, "longitude": 114.3219},
                                          permissions=["geolocation"], locale="zh-CN")
    phone.goto(phone_url)
    phone.get_by_role("button", name="获取并发送位置").click()
    phone.wait_for_selector("text=位置已发送到电脑")
    phone.close()

    page.wait_for_function("() => document.getElementById('latitude').value !== ''", timeout=15000)
    assert page.input_value("#latitude") == "30.351200" and page.input_value("#longitude") == "114.321900"
    page.get_by_role("button", name="确认保存").click()
    page.wait_for_selector("text=机构信息已保存")
    db.session.expire_all()
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    assert (inst.latitude, inst.longitude) == (30.3512, 114.3219)
