"""Issue 10 item 7, the smaller holes: owner-only rights, masking of ID numbers, bad input, anonymous access, QR link."""
import pytest
from sqlalchemy import select

from app.models.security import RoleProfile
from tests.conftest import csrf_token


def _pv_id(perm, resource):
    from app.extensions import appbuilder

    return appbuilder.sm.find_permission_view_menu(perm, resource).id


@pytest.mark.parametrize("resource,perm", [("账号管理", "can_write"), ("角色管理", "can_write"),
                                           ("实名认证审核", "can_audit"), ("账号管理", "menu_access")])
def test_crafted_post_cannot_grant_owner_only_rights_to_a_sub_role(db, login_as, resource, perm):
    owner = login_as("inst_admin")
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科"))
    before = {pv.id for pv in profile.role.permissions}
    token = csrf_token(owner, f"/rolepermissions/{profile.id}")
    crafted = [_pv_id("can_read", "人员信息管理"), _pv_id(perm, resource)]
    page = owner.post(f"/rolepermissions/{profile.id}", data={"csrf_token": token, "pv": crafted},
                      follow_redirects=True).get_data(as_text=True)
    assert "总账号专用的权限，不能授予自建角色" in page
    db.session.expire_all()
    held = {pv.id for pv in db.session.get(RoleProfile, profile.id).role.permissions}
    assert held == before and _pv_id(perm, resource) not in held
