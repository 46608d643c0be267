"""A deleted account's name can be created again (spec 7.3: 删除后重新建立); the deleted row keeps its history."""
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.security import RoleProfile, User
from tests.conftest import csrf_token, login

NAME = "renshike01"


def _create(app, owner, token, role_id):
    return owner.post("/accounts/add", data={"csrf_token": token, "role": str(role_id), "username": NAME,
                                             "nickname": "人事科小王", "password": app.config["DEFAULT_PASSWORD"],
                                             "subsystems": ["基础资源管理"]})


def test_delete_then_create_the_same_name(app, db, login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/accounts/add")
    me = db.session.scalar(select(User).where(User.username == "inst_admin"))
    role = db.session.scalar(select(RoleProfile).where(RoleProfile.institution_id == me.institution_id,
                                                      RoleProfile.display_name == "人事科"))
    assert _create(app, owner, token, role.id).status_code == 302
    old_id = db.session.scalar(select(User.id).where(User.username == NAME))

    page = owner.post(f"/accounts/delete/{old_id}", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert f"账号 {NAME} 已删除" in page and f"{NAME}~" not in page
    resp = _create(app, owner, token, role.id)
    assert resp.status_code == 302, resp.get_data(as_text=True)

    db.session.expire_all()
    new = db.session.scalar(select(User).where(User.username == NAME))
    old = db.session.get(User, old_id)
    assert new.id != old_id and new.deleted_at is None
    assert old is not None and old.deleted_at is not None and old.shown_username == f"{NAME}（已删除）"
    history = db.session.scalars(select(AuditLog).where(AuditLog.entity == "ab_user",
                                                       AuditLog.entity_id == str(old_id))).all()
    assert {h.action for h in history} >= {"create", "update"}  # its creation and its deletion stay on record
    assert login(app.test_client(), NAME, app.config["DEFAULT_PASSWORD"]).status_code == 302  # the new one logs in

    users = login_as("sysadmin01").get("/users/list/?psize_UserDBModelView=100").get_data(as_text=True)
    assert f"{NAME}（已删除）" in users and f"{NAME}~{old_id}" not in users
