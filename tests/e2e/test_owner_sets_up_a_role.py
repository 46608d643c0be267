"""Issue 11 item 1, by clicking only: inst_admin opens 系统管理 → 角色管理, adds a role, opens its 权限设置 from the
list, ticks the personnel pages, creates an account with that role in 账号管理; the account (password changed,
already certified) sees 人员信息管理 in its menu and opens it. Its 个人中心 shows the login it just made."""
import datetime

import pytest
from sqlalchemy import select

from app.models.security import User
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _menu(page, category, item):
    page.locator("a.dropdown-toggle", has_text=category).first.click()
    page.locator(".dropdown-menu a", has_text=item).first.click()


def test_owner_grants_personnel_pages_to_a_new_role_and_its_account_works_in_them(app, db, live_server, page,
                                                                                    tmp_path):
    login(page, live_server)
    _menu(page, "系统管理", "角色管理")
    page.wait_for_url("**/roleprofileview/list/**")
    page.locator("a[href*='/roleprofileview/add']").first.click()
    page.get_by_label("角色名称").fill("档案室")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=记录已添加")
    row = page.locator("tr", has_text="档案室")
    page.screenshot(path=str(tmp_path / "0-role-list.png"), full_page=True)
    row.get_by_role("link", name="权限设置").click()
    page.wait_for_selector("text=权限设置：档案室")
    page.get_by_label("人员信息管理", exact=True).check()
    page.get_by_label("人员信息查询", exact=True).check()
    page.locator("li.perm-node", has=page.get_by_label("人员信息管理", exact=True)).get_by_label(
        "查看完整证件号", exact=False).uncheck()
    page.screenshot(path=str(tmp_path / "1-permission-tree.png"), full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector("text=的权限已保存")

    _menu(page, "系统管理", "账号管理")
    page.get_by_role("link", name="新增").click()
    page.get_by_label("角色").select_option(label="档案室")
    page.get_by_label("账号").fill("danganshi01")
    page.get_by_label("用户昵称").fill("档案室小李")
    page.screenshot(path=str(tmp_path / "2-new-account.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=danganshi01")

    # The certification walk is tested in test_first_login.py; this account is approved directly.
    db.session.expire_all()
    user = db.session.scalar(select(User).where(User.username == "danganshi01"))
    user.certified_at = datetime.datetime.now()
    db.session.commit()

    clerk = page.context.browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    login(clerk, live_server, "danganshi01", app.config["DEFAULT_PASSWORD"])
    clerk.wait_for_url("**/account/password/")
    clerk.get_by_label("原密码").fill(app.config["DEFAULT_PASSWORD"])
    clerk.get_by_label("新密码", exact=True).fill("Hb#2580wq")
    clerk.get_by_label("确认新密码").fill("Hb#2580wq")
    clerk.get_by_role("button", name="确认修改").click()
    clerk.wait_for_selector("text=密码修改成功")
    menu = clerk.locator("a.dropdown-toggle", has_text="机构人力资源")
    assert menu.count() == 1
    assert clerk.locator("a.dropdown-toggle", has_text="系统管理").count() == 0
    _menu(clerk, "机构人力资源", "人员信息管理")
    clerk.wait_for_url("**/people/**")
    assert "403" not in clerk.title()
    clerk.screenshot(path=str(tmp_path / "3-clerk-people.png"), full_page=True)

    clerk.locator("a.dropdown-toggle", has_text="档案室小李").click()  # the user menu, top right
    clerk.locator("#profile-link").click()
    clerk.wait_for_selector("#login-attempts")
    assert "成功" in clerk.locator("#login-attempts").inner_text()
    assert "档案室" in clerk.locator("#profile-info").inner_text()
    clerk.screenshot(path=str(tmp_path / "4-profile.png"), full_page=True)
    print("screenshots in", tmp_path)
