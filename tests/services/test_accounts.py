"""Roles, sub-accounts and what owners may do to which accounts (spec 7.1–7.3)."""
import pytest
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.security import RoleProfile, User
from app.services import accounts, roles
from app.services.seed import WUCHANG_CODE
from tests import factories


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _new_role(db, owner, name, status="正常"):
    profile = roles.prepare_role(owner, RoleProfile(display_name=name, role_type="科室", status=status))
    db.session.add(profile)
    db.session.commit()
    return profile


def test_two_institutions_may_both_have_a_role_called_xingzhengbu(db):
    a = _new_role(db, _user(db, "inst_admin"), "行政部")
    b = _new_role(db, _user(db, "inst2_admin"), "行政部")
    assert a.role.name != b.role.name and a.display_name == b.display_name == "行政部"
    assert a.level == 3 and a.parent_role.name == "机构总账号"
    with pytest.raises(ValidationFailed, match="在本机构已存在"):
        _new_role(db, _user(db, "inst_admin"), "行政部")


def test_owner_grants_only_what_it_holds(db):
    owner = _user(db, "inst_admin")
    profile = _new_role(db, owner, "办公室")
    mine = roles.grantable(owner)
    roles.set_permissions(owner, profile, mine)
    assert {pv.id for pv in profile.role.permissions} == mine
    admin_only = {pv.id for pv in _user(db, "sysadmin01").roles[0].permissions} - mine
    with pytest.raises(DomainError, match="不能授予本账号自己没有的权限"):
        roles.set_permissions(owner, profile, mine | {next(iter(admin_only))})
    with pytest.raises(DomainError, match="只能为本机构自建的角色"):
        roles.set_permissions(_user(db, "inst2_admin"), profile, set())


def test_role_with_accounts_cannot_be_deleted(db):
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科"))
    with pytest.raises(DomainError, match="下还有 2 个账号"):
        roles.check_role_delete(profile)


@pytest.mark.parametrize("username, fragment", [
    ("abc", "至少 8 位"), ("1abcdefgh", "以英文字母开头"), ("abcd-efgh", "只能包含英文字母、数字和下划线"),
    ("inst_staff", "已被使用"), ("张三abcdefgh", "以英文字母开头"),
])
def test_username_rules(db, username, fragment):
    assert fragment in "".join(accounts.username_problems(username))


def test_create_subaccount_reports_every_error_at_once(db):
    owner = _user(db, "inst_admin")
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_subaccount(owner, role_profile_id="", username="x", nickname="", mobile="123",
                                   password="abc", subsystems=[])
    text = "；".join(exc.value.errors)
    for fragment in ("请选择本机构的角色", "至少 8 位", "用户昵称不能为空", "手机号码须为 11 位", "密码长度", "所属子系统至少勾选一个"):
        assert fragment in text


def test_create_subaccount_with_default_password(app, db):
    owner = _user(db, "inst_admin")
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科"))
    user = accounts.create_subaccount(owner, role_profile_id=str(profile.id), username="renshike01",
                                      nickname="人事科小王", mobile="13912345678", password="",
                                      subsystems=["基础资源管理"])
    assert user.institution_id == owner.institution_id and user.must_change_password
    assert user.subsystem_list == ["基础资源管理"] and user.roles == [profile.role]
    from werkzeug.security import check_password_hash

    assert check_password_hash(user.password, app.config["DEFAULT_PASSWORD"])


def test_role_of_another_institution_cannot_be_given(db):
    other = _new_role(db, _user(db, "inst2_admin"), "药房")
    with pytest.raises(ValidationFailed, match="请选择本机构的角色"):
        accounts.create_subaccount(_user(db, "inst_admin"), role_profile_id=str(other.id), username="renshike02",
                                   nickname="x", mobile="", password="", subsystems=["基础资源管理"])


def test_who_manages_whom(db):
    inst_admin, inst_staff = _user(db, "inst_admin"), _user(db, "inst_staff")
    inst2_admin, region_admin, sysadmin = _user(db, "inst2_admin"), _user(db, "region_admin"), _user(db, "sysadmin01")
    assert accounts.can_manage(inst_admin, inst_staff)
    assert not accounts.can_manage(inst_admin, inst_admin)  # its own 总账号: 不能进行操作
    assert not accounts.can_manage(inst2_admin, inst_staff)
    assert not accounts.can_manage(inst_staff, _user(db, "newcomer01"))  # a sub-account manages nobody
    assert accounts.can_manage(region_admin, inst_admin)  # 江夏区 owner of a 江夏 institution
    assert not accounts.can_manage(region_admin, inst2_admin)  # 武昌区 is outside its subtree
    assert not accounts.can_manage(region_admin, inst_staff)  # regional accounts manage owners only
    assert accounts.can_manage(sysadmin, region_admin)
    listed = [u.username for u in accounts.managed_accounts(inst_admin)]
    assert listed[0] == "inst_admin" and set(listed) == {"inst_admin", "inst_staff", "newcomer01"}


def test_unlock_reset_and_delete(app, db):
    import datetime

    owner, staff = _user(db, "inst_admin"), _user(db, "inst_staff")
    staff.locked_until = datetime.datetime.now() + datetime.timedelta(minutes=20)
    staff.fail_login_count = 5
    db.session.commit()
    accounts.unlock(owner, staff)
    assert _user(db, "inst_staff").locked_until is None
    with pytest.raises(ValidationFailed, match="两次输入的密码不一致"):
        accounts.reset_password(owner, staff, "Hb#2580wq", "Hb#2580wx")
    db.session.rollback()
    accounts.reset_password(owner, _user(db, "inst_staff"), "Hb#2580wq", "Hb#2580wq")
    assert _user(db, "inst_staff").must_change_password is True
    staff_id = _user(db, "inst_staff").id
    accounts.remove(owner, _user(db, "inst_staff"))
    assert _user(db, "inst_staff") is None  # the name is free again (spec 7.3: 删除后重新建立)
    gone = db.session.get(User, staff_id)
    assert gone.username == f"inst_staff~{staff_id}" and gone.shown_username == "inst_staff（已删除）"
    assert gone.deleted_at is not None and gone.active is False and gone.roles == []
    assert "inst_staff" not in [u.username for u in accounts.managed_accounts(owner)]
    with pytest.raises(DomainError, match="无权管理该账号"):
        accounts.unlock(_user(db, "inst2_admin"), _user(db, "newcomer01"))


def test_regional_owner_creates_an_institution_owner(db):
    region_admin = _user(db, "region_admin")
    inst = factories.institution(name="江夏区新建卫生院")
    owner = accounts.create_owner_account(region_admin, inst, username="xinjian_admin", nickname="新建院总账号",
                                          mobile="", password="")
    assert owner.is_owner and owner.institution_id == inst.id and owner.must_change_password
    wuchang = db.session.scalar(select(User).where(User.username == "inst2_admin")).institution
    with pytest.raises(DomainError, match="只能为本辖区的机构创建总账号"):
        accounts.create_owner_account(region_admin, wuchang, username="wuchang_two", nickname="x", mobile="",
                                      password="")
    assert wuchang.code == WUCHANG_CODE


def test_disabled_role_grants_nothing_and_blocks_login(app, db):
    from tests.conftest import login

    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科"))
    owner = _user(db, "inst_admin")
    roles.set_permissions(owner, profile, roles.grantable(owner))
    profile.status = "停用"
    db.session.commit()
    resp = login(app.test_client(), "inst_staff", follow_redirects=True)
    assert "您的角色已停用" in resp.get_data(as_text=True)
    assert roles.active_roles(_user(db, "inst_staff")) == []


def test_saving_permissions_is_audited(db):
    from app.models.audit import AuditLog
    from app.services import audit

    owner = _user(db, "inst_admin")
    profile = _new_role(db, owner, "审计科")
    with audit.acting_as("inst_admin"):
        roles.set_permissions(owner, profile, roles.grantable(owner))
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "ab_role", AuditLog.action == "update")
                            .order_by(AuditLog.id.desc()).limit(1))
    removed, added = row.changes["permissions"]
    assert removed == [] and "查看：操作日志" in added and row.username == "inst_admin"


def _granted(profile):
    return {(pv.permission.name, pv.view_menu.name) for pv in profile.role.permissions}


def test_the_role_service_gives_each_ticked_page_its_menu_entry(db):
    """Issue 12 item 6: 'a ticked page implies its menu entry' is the role service's rule, so any caller (not only
    the permission tree) gets a role whose menu shows what it was given; unticked, the entries go too."""
    from app.extensions import appbuilder

    owner = _user(db, "inst_admin")
    profile = _new_role(db, owner, "照片墙查询")
    pv = appbuilder.sm.find_permission_view_menu("can_read", "人员信息查询").id
    roles.set_permissions(owner, profile, {pv})
    assert _granted(profile) == {("can_read", "人员信息查询"), ("menu_access", "人员信息查询"),
                                 ("menu_access", "机构人力资源")}
    roles.set_permissions(owner, profile, set())
    assert _granted(profile) == set()


def test_refused_permissions_leave_the_role_as_it_was(db):
    from app.extensions import appbuilder

    owner = _user(db, "inst_admin")
    profile = _new_role(db, owner, "值班室")
    read = appbuilder.sm.find_permission_view_menu("can_read", "人员信息查询").id
    roles.set_permissions(owner, profile, {read})
    accounts_page = appbuilder.sm.find_permission_view_menu("can_read", "账号管理").id
    with pytest.raises(DomainError, match="总账号专用"):
        roles.set_permissions(owner, profile, {accounts_page})
    db.session.expire_all()
    assert ("can_read", "人员信息查询") in _granted(profile) and ("can_read", "账号管理") not in _granted(profile)
