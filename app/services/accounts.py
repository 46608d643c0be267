"""Accounts: creation and password changes, every one through the password policy."""
import datetime
import re

from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import and_, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.domain.errors import DomainError, ValidationFailed
from app.domain.password import password_problems, validate_password
from app.domain.phone import mobile_problems
from app.extensions import db
from app.models.enums import SUBSYSTEMS, WEB_SUBSYSTEMS
from app.models.security import TOMBSTONE, User, original_username
from app.services import concurrency
from app.services.scope import scope_of
from app.services.transaction import transaction, transactional


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


def password_items(password, confirm=None, field="password", confirm_field="confirm"):
    """The password policy's problems as (field, message): the rules under the password, the mismatch under its
    confirmation."""
    own = password_problems(password)
    return [(field, p) for p in own] + [(confirm_field, p) for p in password_problems(password, confirm)[len(own):]]


@transactional
def change_own_password(user, old_password, password, confirm):
    """The change-password page: the current password must be right, the new one must pass the policy
    and differ from the current one."""
    problems = []
    if not check_password_hash(user.password or "", old_password or ""):
        problems.append(("old_password", "原密码不正确"))
    if password and old_password and password == old_password:
        problems.append(("password", "新密码不能与原密码相同"))
    problems += password_items(password, confirm)
    if problems:
        raise ValidationFailed(problems)
    set_password(user, password, confirm, by_self=True)


# ---- sub-accounts (spec 7.2, 7.3) and the owners regional accounts manage -------------------------------------

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{7,}$")


def username_problems(username: str) -> list[str]:
    username = username or ""
    problems = []
    if not USERNAME_RE.match(username):
        problems.append("账号须以英文字母开头，至少 8 位，只能包含英文字母、数字和下划线（_）")
    elif db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        problems.append(f"账号“{username}”已被使用，请换一个")
    return problems


def can_manage(manager, target) -> bool:
    """Institution 总账号 → its sub-accounts; regional 总账号 → owners of institutions in its region subtree;
    系统管理员 → everyone except themselves."""
    if target.id == manager.id or target.deleted_at is not None:
        return False
    s = scope_of(manager)
    if s.kind == "all":
        return True
    if not manager.is_owner:
        return False
    if s.kind == "institution":
        return target.institution_id == manager.institution_id and not target.is_owner
    if s.kind == "region":
        return bool(target.is_owner and target.institution_id and s.allows_institution(target.institution_id))
    return False


def managed_accounts(manager):
    """The accounts a manager sees in its account list (its own 总账号 first, read-only)."""
    s = scope_of(manager)
    stmt = select(User).where(User.deleted_at.is_(None))
    if s.kind == "institution":
        stmt = stmt.where(User.institution_id == manager.institution_id)
    elif s.kind == "region":
        stmt = stmt.where(or_(User.id == manager.id,
                              and_(User.is_owner.is_(True), s.institutions_clause(User.institution_id))))
    elif s.kind != "all":
        stmt = stmt.where(User.id == manager.id)
    users = list(db.session.scalars(stmt.order_by(User.username)))
    return sorted(users, key=lambda u: (u.id != manager.id, u.username))


def _role_for(manager, role_profile_id):
    from app.models.security import RoleProfile

    profile = db.session.get(RoleProfile, int(role_profile_id)) if str(role_profile_id or "").isdigit() else None
    if profile is None or profile.level != 3 or profile.institution_id != manager.institution_id:
        return None
    return profile


def _subsystem_problems(subsystems):
    if not subsystems:
        return [("subsystems", "所属子系统至少勾选一个")]
    unknown = set(subsystems) - set(SUBSYSTEMS)
    return [("subsystems", "所属子系统不存在：" + "、".join(sorted(unknown)))] if unknown else []


def _new_account_problems(username, nickname, mobile, password):
    """The fields every new account has (账号, 昵称, 手机号码, 密码), each problem with its field."""
    problems = [("username", p) for p in username_problems(username)]
    if not (nickname or "").strip():
        problems.append(("nickname", "用户昵称不能为空"))
    if mobile:
        problems += [("mobile", p) for p in mobile_problems(mobile)]
    problems += password_items(password or current_app.config["DEFAULT_PASSWORD"])
    return problems


@transactional
def create_subaccount(manager, *, role_profile_id, username, nickname, mobile, password, subsystems):
    """新增子账号 by an institution 总账号: every field checked, every error reported at once."""
    if scope_of(manager).kind != "institution" or not manager.is_owner:
        raise DomainError("只有机构总账号可以新增子账号")
    profile = _role_for(manager, role_profile_id)
    errors = [] if profile else [("role", "请选择本机构的角色（可在“角色管理”中新增）")]
    errors += _new_account_problems(username, nickname, mobile, password)
    errors += _subsystem_problems(subsystems)
    if errors:
        raise ValidationFailed(errors)
    return create_account(username, nickname.strip(), [profile.role.name], institution=manager.institution,
                          password=password or None, must_change_password=True, mobile=mobile or None,
                          subsystems=[s for s in SUBSYSTEMS if s in subsystems])


@transactional
def create_owner_account(manager, institution, *, username, nickname, mobile, password):
    """A regional 总账号 (or 系统管理员) creates the 总账号 of an institution in its scope (`institution` None: none
    was chosen)."""
    if institution is None:
        problems = [("institution", "请选择机构")] + _new_account_problems(username, nickname, mobile, password)
        raise ValidationFailed(problems)
    s = scope_of(manager)
    if not (s.kind == "all" or (s.kind == "region" and manager.is_owner and s.allows_institution(institution.id))):
        raise DomainError("只能为本辖区的机构创建总账号")
    errors = _new_account_problems(username, nickname, mobile, password)
    if errors:
        raise ValidationFailed(errors)
    return create_account(username, nickname.strip(), ["机构总账号"], institution=institution, password=password or None,
                          must_change_password=True, is_owner=True, mobile=mobile or None,
                          internet_access=institution.internet_access, subsystems=WEB_SUBSYSTEMS)


def _require(manager, target):
    if not can_manage(manager, target):
        raise DomainError("无权管理该账号")


LABELS = {"mobile": "手机号码", "subsystems": "所属子系统", "internet_access": "允许通过互联网访问", "roles": "角色",
          "nickname": "用户昵称", "active": "状态"}


def update_subaccount(manager, target, *, role_profile_id=None, mobile=None, subsystems=None, internet_access=None,
                      version=None):
    """修改: 账号 and 昵称 stay as they are; role, mobile, subsystems (and internet access for owners).
    `version`: the version the form was opened with (an account changed since then is refused: EditConflict)."""
    _require(manager, target)
    base = concurrency.check(target, version, LABELS)
    with transaction(conflict=(target, base, LABELS)):
        errors = []
        profile = None
        if not target.is_owner:
            profile = _role_for(manager, role_profile_id)
            if profile is None:
                errors.append(("role", "请选择本机构的角色"))
            errors += _subsystem_problems(subsystems)
        if mobile:
            errors += [("mobile", p) for p in mobile_problems(mobile)]
        if errors:
            raise ValidationFailed(errors)
        if profile is not None:
            target.roles = [profile.role]
            target.subsystems = ",".join(s for s in SUBSYSTEMS if s in subsystems)
        target.mobile = mobile or None
        if internet_access is not None and target.is_owner:
            target.internet_access = bool(internet_access)


@transactional
def unlock(manager, target):
    """解锁: clears a lockout at once."""
    _require(manager, target)
    target.locked_until = None
    target.fail_login_count = 0


@transactional
def remove(manager, target):
    """删除: the account loses its access and roles; the row stays so its audit history keeps a name. Its name is
    freed for a new account (spec 7.3: 删除后重新建立): the row is renamed "<name>~<id>" (models.security.TOMBSTONE),
    its e-mail likewise (FAB keeps both unique); audit rows keep the name they were written with."""
    _require(manager, target)
    target.username = f"{original_username(target.username)}{TOMBSTONE}{target.id}"
    target.email = f"{target.id}{TOMBSTONE}{target.email or ''}"[:320]
    target.deleted_at = datetime.datetime.now()
    target.active = False
    target.roles = []


@transactional
def reset_password(manager, target, password, confirm=None):
    """重置密码: the new password must pass the policy; the account must change it at next login."""
    _require(manager, target)
    problems = password_items(password, confirm)
    if problems:
        raise ValidationFailed(problems)
    set_password(target, password, confirm, by_self=False)


@transactional
def set_internet_access(manager, target, allowed: bool):
    _require(manager, target)
    target.internet_access = bool(allowed)
