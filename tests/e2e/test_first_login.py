"""A newcomer's first login in a real browser: forced password change, rule messages, home page."""
import pytest
from sqlalchemy import select

from app.models.security import User

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_newcomer_is_forced_to_change_a_weak_then_strong_password(app, db, live_server, page, tmp_path):
    page.goto(f"{live_server}/login/")
    page.get_by_label("账号").fill("newcomer01")
    page.get_by_label("密码").fill(app.config["DEFAULT_PASSWORD"])
    page.get_by_role("button", name="登录").click()

    page.wait_for_url("**/account/password/")
    assert "首次登录或密码已被重置" in page.content()
    # Any other page sends the user back here.
    page.goto(f"{live_server}/auditlogview/list/")
    page.wait_for_url("**/account/password/")

    page.get_by_label("原密码").fill(app.config["DEFAULT_PASSWORD"])
    page.get_by_label("新密码", exact=True).fill("abc12345")
    page.get_by_label("确认新密码").fill("abc12345")
    page.get_by_role("button", name="确认修改").click()
    errors = page.locator("#password-errors").inner_text()
    assert "缺少：大写字母、特殊字符" in errors and "发现：abc" in errors
    page.screenshot(path=str(tmp_path / "weak-password.png"), full_page=True)

    page.get_by_label("新密码", exact=True).fill("Hb#2580wq")
    page.get_by_label("确认新密码").fill("Hb#2580wq")
    page.get_by_role("button", name="确认修改").click()
    page.wait_for_url(f"{live_server}/")
    assert "密码修改成功" in page.content()
    assert "武汉市江夏区示例镇卫生院" in page.locator("#home-welcome").inner_text()
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    assert (tmp_path / "home.png").stat().st_size > 10_000

    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "newcomer01")).must_change_password is False
