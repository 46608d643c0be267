"""Accounts: creation and password changes, every one through the password policy."""
from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.errors import DomainError, ValidationFailed
from app.domain.password import password_problems, validate_password
from app.extensions import db
from app.models.enums import SUBSYSTEMS
from app.models.security import User


def hash_password(password: str) -> str:
    return generate_password_hash(
        password,
        method=current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
        salt_length=current_app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16),
    )


def create_account(
    username,
    nickname,
    role_names,
    *,
    institution=None,
    region=None,
    password=None,
    must_change_password=True,
    is_owner=False,
    mobile=None,
    internet_access=True,
    subsystems=SUBSYSTEMS,
):
    """Create an account; the password (default DEFAULT_PASSWORD) must pass the policy."""
    password = password or current_app.config["DEFAULT_PASSWORD"]
    validate_password(password)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise DomainError(f"账号“{username}”已存在")
    roles = list(db.session.scalars(select(Role).where(Role.name.in_(role_names))))
    if len(roles) != len(set(role_names)):
        raise DomainError("角色不存在：" + "、".join(set(role_names) - {r.name for r in roles}))
    user = User(
        username=username,
        first_name=nickname,
        last_name="",
        nickname=nickname,
        email=f"{username}@accounts.invalid",  # FAB requires a unique e-mail; accounts here have none
        active=True,
        password=hash_password(password),
        institution=institution,
        region=region,
        must_change_password=must_change_password,
        is_owner=is_owner,
        mobile=mobile,
        internet_access=internet_access,
        subsystems=",".join(subsystems),
        roles=roles,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user, password, confirm=None, *, by_self: bool):
    """Set a new password (policy checked). A reset by someone else must be changed at next login."""
    validate_password(password, confirm)
    user.password = hash_password(password)
    user.must_change_password = not by_self
    if not by_self:
        user.locked_until = None
        user.fail_login_count = 0


def change_own_password(user, old_password, password, confirm):
    """The change-password page: the current password must be right, the new one must pass the policy
    and differ from the current one."""
    problems = []
    if not check_password_hash(user.password or "", old_password or ""):
        problems.append("原密码不正确")
    if password and old_password and password == old_password:
        problems.append("新密码不能与原密码相同")
    problems += password_problems(password, confirm)
    if problems:
        raise ValidationFailed(problems)
    set_password(user, password, confirm, by_self=True)
    db.session.commit()
