"""A newcomer's first login in a real browser: forced password change with rule messages, real-name
certification with the PDF letter, review by the institution owner, then access."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.models.security import User
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _image(path, color):
    buf = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def test_newcomer_changes_password_certifies_and_gets_in(app, db, live_server, page, tmp_path):
    login(page, live_server, "newcomer01", app.config["DEFAULT_PASSWORD"])
    page.wait_for_url("**/account/password/")
    assert page.content().count("首次登录或密码已被重置") == 1  # the page's own warning, not also a flash
    page.goto(f"{live_server}/auditlogview/list/")  # any other page sends the user back
    page.wait_for_url("**/account/password/")

    page.get_by_label("原密码").fill(app.config["DEFAULT_PASSWORD"])
    page.get_by_label("新密码", exact=True).fill("abc12345")
    page.get_by_label("确认新密码").fill("abc12345")
    page.get_by_role("button", name="确认修改").click()
    page.wait_for_selector("#password-errors")  # the refused form comes back (is_visible would not wait for it)
    assert page.locator("#password-errors").is_visible()
    errors = page.locator('.field-error[data-field="password"]').all_inner_texts()  # under the 新密码 input
    assert any("缺少：大写字母、特殊字符" in e for e in errors) and any("发现：abc" in e for e in errors)
    page.screenshot(path=str(tmp_path / "weak-password.png"), full_page=True)

    assert page.get_by_label("原密码").input_value() == ""  # a refused form never shows a password again
    page.get_by_label("原密码").fill(app.config["DEFAULT_PASSWORD"])
    page.get_by_label("新密码", exact=True).fill("Hb#2580wq")
    page.get_by_label("确认新密码").fill("Hb#2580wq")
    page.get_by_role("button", name="确认修改").click()

    # Uncertified: only the certification page opens, and the menu offers nothing else.
    page.wait_for_url("**/certification/")
    assert page.locator(".navbar-nav > li.dropdown > a.dropdown-toggle", has_text="机构人力资源").count() == 0
    assert page.locator("#menu-certification").is_visible()
    assert page.locator("#subsystem-switcher").count() == 0
    page.goto(f"{live_server}/")
    page.wait_for_url("**/certification/")
    page.get_by_label("姓名").fill("王新")
    page.get_by_label("证件号码").fill("11010519491231002X")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("身份证正面照片").set_input_files(_image(tmp_path / "front.jpg", "white"))
    page.get_by_label("身份证反面照片").set_input_files(_image(tmp_path / "back.jpg", "gray"))
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("#letter-link")
    # The letter is shown in the page, below the form (spec 2.1 "在下方").
    frame = page.locator("#letter-frame")
    assert frame.is_visible() and frame.bounding_box()["height"] > 400
    page.wait_for_load_state("load")  # the page's load event waits for its frames
    assert any(f.url.endswith("/certification/letter.pdf") for f in page.frames)
    page.screenshot(path=str(tmp_path / "letter-in-page.png"), full_page=True)
    letter = page.request.get(f"{live_server}/certification/letter.pdf")
    assert letter.ok and letter.body()[:5] == b"%PDF-"
    scan = tmp_path / "stamped.pdf"
    scan.write_bytes(letter.body())  # stands in for the stamped, scanned letter
    page.get_by_label("审核材料").set_input_files(str(scan))
    page.get_by_role("button", name="上传审核材料").click()
    page.wait_for_selector("text=审核材料已上传")  # the upload's page, before 提交 is clicked
    page.get_by_role("button", name="提交证明材料").click()
    page.wait_for_selector("text=已提交，请等待审核")
    assert page.locator("#cert-status").inner_text() == "待审核"
    page.screenshot(path=str(tmp_path / "certification.png"), full_page=True)

    # The owner reviews it.
    context = page.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    owner = context.new_page()
    login(owner, live_server, "inst_admin", "Demo@Hb-2580")
    owner.goto(f"{live_server}/certreview/list/")
    owner.get_by_role("link", name="审核").first.click()
    assert owner.locator("#name").input_value() == "王新"
    owner.screenshot(path=str(tmp_path / "review.png"), full_page=True)
    owner.get_by_role("button", name="审核通过").click()
    owner.wait_for_selector("#cert-queue")
    assert "已通过 newcomer01 的实名认证" in owner.content()
    context.close()

    # The account gets in at its next request, without logging in again.
    page.goto(f"{live_server}/")
    assert "武汉市江夏区示例镇卫生院" in page.locator("#home-welcome").inner_text()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    assert (tmp_path / "home.png").stat().st_size > 10_000
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "newcomer01"))
    assert user.must_change_password is False and user.certified_at is not None
