"""The permission tree in a real browser: 父子联动, indeterminate parents, expand/collapse, save."""
import pytest
from sqlalchemy import select

from app.models.security import RoleProfile
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_owner_creates_a_role_and_ticks_its_rights(app, db, live_server, page, tmp_path):
    login(page, live_server)

    page.goto(f"{live_server}/roleprofileview/list/")
    assert "子账号在被授权的页面中可以查看本机构的全部数据" in page.content()
    page.goto(f"{live_server}/roleprofileview/add")
    page.get_by_label("角色名称").fill("人事科")  # taken in this institution: the form keeps what was typed
    page.get_by_label("说明").fill("负责人员信息")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=角色名称“人事科”在本机构已存在")
    assert page.get_by_label("说明").input_value() == "负责人员信息"
    page.get_by_label("角色名称").fill("办公室")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=记录已添加")
    assert page.url.endswith("/roleprofileview/list/")
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "办公室"))

    page.goto(f"{live_server}/rolepermissions/{profile.id}")
    category = page.get_by_label("机构人力资源", exact=True)
    node = page.locator("li.perm-node", has=category).first
    leaf = node.locator("input.perm-leaf").first
    leaf.check()  # one right of one page: its parents become indeterminate
    assert category.evaluate("box => box.indeterminate") is True
    category.check()  # the category ticks everything below it
    leaves = node.locator("input.perm-leaf").all()
    assert len(leaves) >= 3 and all(box.is_checked() for box in leaves)
    assert not page.locator("input.perm-leaf:checked").count() > len(leaves)  # other categories untouched
    page.get_by_role("button", name="全部折叠").click()
    assert page.locator("ul.perm-rights").first.is_hidden()
    page.get_by_role("button", name="全部展开").click()
    page.screenshot(path=str(tmp_path / "permission-tree.png"), full_page=True)
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector("text=的权限已保存")

    db.session.expire_all()
    granted = {str(pv) for pv in db.session.get(RoleProfile, profile.id).role.permissions}
    assert "查看：人员信息管理" in granted and "菜单：机构人力资源" in granted and "查看：操作日志" not in granted
