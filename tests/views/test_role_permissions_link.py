"""Issue 11 item 1: an owner reaches 权限设置 from the 角色管理 list and detail pages; the demo 人事科 has the
personnel pages."""
import re

from sqlalchemy import select

from app.models.security import RoleProfile
from tests.conftest import csrf_token


def _new_role(owner, db, name="值班室"):
    resp = owner.post("/roleprofileview/add", data={"csrf_token": csrf_token(owner, "/roleprofileview/add"),
                                                    "display_name": name, "role_type": "科室", "status": "正常"})
    assert resp.status_code == 302
    return db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == name))


def test_owner_sees_permission_link_in_each_row_and_on_the_detail_page(app, db, login_as):
    owner = login_as("inst_admin")
    profile = _new_role(owner, db)
    target = f'href="/rolepermissions/{profile.id}"'
    listing = owner.get("/roleprofileview/list/").get_data(as_text=True)
    assert target in listing and "权限设置" in listing
    detail = owner.get(f"/roleprofileview/show/{profile.id}").get_data(as_text=True)
    assert target in detail
    page = owner.get(f"/rolepermissions/{profile.id}")  # the link is a GET that opens the tree
    assert page.status_code == 200 and "权限设置：值班室" in page.get_data(as_text=True)


def test_no_permission_link_for_a_role_the_caller_cannot_set(app, db, login_as):
    """系统管理员 lists every institution's roles; the tree only serves an institution's own owner, so no dead link."""
    profile = _new_role(login_as("inst_admin"), db)
    admin = login_as("sysadmin01")
    listing = admin.get("/roleprofileview/list/").get_data(as_text=True)
    assert "值班室" in listing and f"/rolepermissions/{profile.id}" not in listing
    other = login_as("inst2_admin")
    assert f"/rolepermissions/{profile.id}" not in other.get("/roleprofileview/list/").get_data(as_text=True)


def test_demo_hr_clerk_has_the_personnel_pages_without_full_id(app, db, login_as):
    staff = login_as("inst_staff")
    home = staff.get("/").get_data(as_text=True)
    for page in ("人员信息管理", "人员信息查询", "人员标签管理", "人员信息导入管理", "附件批量导入"):
        assert page in home, page
    assert "账号管理" not in home and "角色管理" not in home
    assert staff.get("/people/list/").status_code == 200
    from app.extensions import appbuilder
    from app.models.security import User

    user = db.session.scalar(select(User).where(User.username == "inst_staff"))
    granted = {(pv.permission.name, pv.view_menu.name) for role in user.roles for pv in role.permissions}
    assert ("can_write", "人员信息管理") in granted and ("can_import", "人员信息导入管理") in granted
    assert ("can_export", "人员信息导入管理") in granted and ("can_fullid", "人员信息管理") not in granted
    assert appbuilder.sm.find_role("机构总账号") not in user.roles
    assert re.search(r"机构人力资源", home)


def test_a_right_removed_from_a_role_is_refused_at_the_next_request(app, db, login_as):
    """Issue 12 item 9: a request reads the user's permissions once and keeps them no longer, so the 人事科 clerk's
    open session loses 人员信息管理 (page and menu entry) at its next request after the owner unticks it."""
    from app.models.security import User

    staff = login_as("inst_staff")
    assert staff.get("/people/list/").status_code == 200
    assert 'href="/people/list/"' in staff.get("/").get_data(as_text=True)
    clerk = db.session.scalar(select(User).where(User.username == "inst_staff"))
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科",
                                                          RoleProfile.institution_id == clerk.institution_id))
    kept = [pv.id for pv in profile.role.permissions if pv.view_menu.name != "人员信息管理"]
    assert len(kept) < len(profile.role.permissions)
    owner = login_as("inst_admin")
    resp = owner.post(f"/rolepermissions/{profile.id}",
                      data={"csrf_token": csrf_token(owner, f"/rolepermissions/{profile.id}"), "pv": kept})
    assert resp.status_code == 302
    assert staff.get("/people/list/").status_code == 403
    home = staff.get("/").get_data(as_text=True)
    assert 'href="/people/list/"' not in home and 'href="/photowall/"' in home


def test_a_refused_permission_save_shows_why_and_keeps_what_was_ticked(app, db, login_as):
    from app.extensions import appbuilder

    owner = login_as("inst_admin")
    profile = _new_role(owner, db)
    wall = appbuilder.sm.find_permission_view_menu("can_read", "人员信息查询").id
    owner_only = appbuilder.sm.find_permission_view_menu("can_write", "账号管理").id
    resp = owner.post(f"/rolepermissions/{profile.id}", data={
        "csrf_token": csrf_token(owner, f"/rolepermissions/{profile.id}"), "pv": [wall, owner_only]})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'id="form-errors"' in page and "总账号专用的权限" in page
    assert re.search(rf'value="{wall}" id="pv{wall}" class="perm-leaf" checked', page)  # the tick stays
    db.session.expire_all()
    assert db.session.get(RoleProfile, profile.id).role.permissions == []  # nothing saved
