"""The Content-Security-Policy in a real browser, and FAB's delete button as a POST with the CSRF token.
(Every other browser test also fails on a CSP violation: tests/e2e/conftest.py.)"""
import pytest
from sqlalchemy import select

from app.models.security import RoleProfile, User
from tests.conftest import csrf_token
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _open_menu(page, category, item):
    page.locator("a.dropdown-toggle", has_text=category).first.click()
    with page.expect_navigation():  # the next step acts on the page the menu opened, not on the one before
        page.locator("ul.dropdown-menu a", has_text=item).first.click()


def test_the_browser_enforces_the_policy_and_the_fixture_sees_it(live_server, page, csp_violations):
    login(page, live_server)
    page.wait_for_load_state("networkidle")
    assert csp_violations == []  # the home page passes
    ran = page.evaluate("""() => {
        window.__injected = false;
        const s = document.createElement("script");
        s.textContent = "window.__injected = true;";
        document.body.appendChild(s);
        return window.__injected;
    }""")
    page.wait_for_timeout(200)  # the console message arrives asynchronously
    assert ran is False  # an inline script without the nonce does not run
    assert any("script-src" in v for v in csp_violations), csp_violations
    csp_violations.clear()  # seen: this test's own violation must not fail it


def test_owner_deletes_a_role_through_the_confirm_dialog(app, db, live_server, page, login_as, tmp_path):
    owner = login_as("inst_admin")
    resp = owner.post("/roleprofileview/add", data={"csrf_token": csrf_token(owner, "/roleprofileview/add"),
                                                    "display_name": "临时小组", "role_type": "科室", "status": "正常"})
    assert resp.status_code == 302
    login(page, live_server)
    _open_menu(page, "系统管理", "角色管理")
    page.wait_for_selector("text=临时小组")
    row = page.locator("tr", has_text="临时小组")
    row.locator("a.confirm").click()  # FAB's trash button: a Chinese confirm, then a POST with the token
    dialog = page.locator("#modal-confirm")
    dialog.wait_for(state="visible")
    assert "确定要删除这条记录吗" in dialog.inner_text()
    page.screenshot(path=str(tmp_path / "role-delete-confirm.png"), full_page=True)
    dialog.get_by_role("button", name="取消").click()
    dialog.wait_for(state="hidden")
    db.session.expire_all()
    assert db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "临时小组")) is not None
    row.locator("a.confirm").click()
    dialog.wait_for(state="visible")
    dialog.get_by_role("link", name="确定", exact=True).click()
    page.wait_for_selector("text=记录已删除")
    page.screenshot(path=str(tmp_path / "role-deleted.png"), full_page=True)
    db.session.expire_all()
    assert db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "临时小组")) is None


def test_operator_deletes_an_account_softly_from_fab_user_list(app, db, live_server, page, tmp_path):
    login(page, live_server, "sysadmin01")
    _open_menu(page, "系统管理", "账号列表")
    row = page.locator("tr", has_text="inst_staff")
    row.locator("a.confirm").click()
    page.locator("#modal-confirm").get_by_role("link", name="确定", exact=True).click()
    page.wait_for_selector("text=账号 inst_staff 已删除（其操作记录保留")
    page.screenshot(path=str(tmp_path / "user-soft-deleted.png"), full_page=True)
    db.session.expire_all()
    # The row stays (renamed <name>~<id>, so the name can be created again) with its history.
    user = db.session.scalar(select(User).where(User.username.like("inst_staff~%")))
    assert user is not None and user.deleted_at is not None and not user.active


def test_markup_behaviours_replace_the_inline_handlers(app, db, live_server, page, tmp_path):
    """data-confirm (取消 keeps the account, 确定 deletes it), data-toggle-password and data-autosubmit work."""
    login(page, live_server)
    _open_menu(page, "系统管理", "账号管理")
    row = page.locator("tr[data-username='inst_staff']")
    page.once("dialog", lambda d: d.dismiss())
    row.get_by_role("button", name="删除").click()
    assert row.is_visible()  # 取消: nothing was sent
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "inst_staff")).deleted_at is None
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    row.get_by_role("button", name="删除").click()
    page.wait_for_selector("text=账号 inst_staff 已删除")
    assert "确定删除账号 inst_staff 吗" in questions[0]

    page.get_by_role("link", name="新增").click()
    password = page.locator("#password")
    assert password.get_attribute("type") == "password"
    page.get_by_role("button", name="显示或隐藏密码").click()
    assert password.get_attribute("type") == "text"
    page.screenshot(path=str(tmp_path / "account-form.png"), full_page=True)

    _open_menu(page, "系统管理", "实名认证审核")
    with page.expect_navigation():
        page.select_option("#status", index=1)  # data-autosubmit: the filter applies at once
    assert "status=" in page.url
