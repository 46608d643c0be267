"""Roles (spec 7.1): level-3 roles that an institution's 总账号 creates, and their permissions."""


from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, ViewMenu
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.security import ROLE_TYPES, RoleProfile, User
from app.security import pages
from app.services.transaction import transactional

ROLE_STATUSES = ("正常", "停用")
# Pages only a 总账号 uses (spec 7.1): never delegated to the roles it creates, whatever a form posts.
NOT_DELEGABLE = pages.NOT_DELEGABLE


def owner_role(owner) -> Role:
    """The 总账号's own (level-2) role: the parent of every role it creates."""
    roles = [r for r in owner.roles if r.profile is None or r.profile.level <= 2]
    if not owner.is_owner or not roles:
        raise DomainError("只有总账号可以管理角色")
    return roles[0]


def _check_fields(institution_id, display_name, role_type, seq, status, current_id=None):
    errors = []
    name = (display_name or "").strip()
    if not name:
        errors.append("角色名称不能为空")
    elif len(name) > 30:
        errors.append("角色名称不能超过 30 个字")
    elif db.session.scalar(select(RoleProfile.id).where(
            RoleProfile.institution_id == institution_id, RoleProfile.display_name == name,
            RoleProfile.id != (current_id or 0))):
        errors.append(f"角色名称“{name}”在本机构已存在")
    if role_type not in ROLE_TYPES:
        errors.append("角色类型须从下拉列表中选择：" + "、".join(ROLE_TYPES))
    if status not in ROLE_STATUSES:
        errors.append("状态须为“正常”或“停用”")
    if seq is not None and (not isinstance(seq, int) or seq < 0):
        errors.append("角色序号须为不小于 0 的整数")
    if errors:
        raise ValidationFailed(errors)
    return name


def prepare_role(owner, profile: RoleProfile) -> RoleProfile:
    """Fill a new level-3 role profile (from a form) and create its FAB role; no commit."""
    if not owner.institution_id:
        raise DomainError("只有机构总账号可以新增角色")
    parent = owner_role(owner)
    profile.display_name = _check_fields(owner.institution_id, profile.display_name, profile.role_type,
                                         profile.seq, profile.status or "正常")
    profile.institution_id = owner.institution_id
    profile.level = 3
    profile.parent_role = parent
    # FAB role names are global; the institution id keeps two institutions' 行政部 apart.
    profile.role = Role(name=f"{owner.institution_id}:{profile.display_name}"[:64])
    return profile


def check_role_update(profile: RoleProfile):
    """Validate an edited profile and keep the FAB role name in step; no commit."""
    if profile.level != 3:
        raise DomainError("内置角色不能修改")
    profile.display_name = _check_fields(profile.institution_id, profile.display_name, profile.role_type,
                                         profile.seq, profile.status, current_id=profile.id)
    profile.role.name = f"{profile.institution_id}:{profile.display_name}"[:64]


def check_role_delete(profile: RoleProfile):
    if profile.level != 3:
        raise DomainError("内置角色不能删除")
    holders = db.session.scalar(select(func.count(User.id)).where(
        User.roles.any(Role.id == profile.role_id), User.deleted_at.is_(None)))
    if holders:
        raise DomainError(f"角色“{profile.display_name}”下还有 {holders} 个账号，请先为这些账号更换角色后再删除")


@transactional
def remove_fab_role(role: Role) -> None:
    """After 角色管理 deleted a level-3 role's profile (check_role_delete passed): its FAB role goes too."""
    db.session.delete(role)


def _held(owner) -> set[int]:
    ids = set()
    for role in active_roles(owner):
        ids.update(pv.id for pv in role.permissions)
    return ids


def _owner_only(pv_ids) -> set[int]:
    """Those of `pv_ids` that belong to a NOT_DELEGABLE page (its rights and its menu entry)."""
    if not pv_ids:
        return set()
    return set(db.session.scalars(select(PermissionView.id).join(ViewMenu).where(
        PermissionView.id.in_(pv_ids), ViewMenu.name.in_(NOT_DELEGABLE))))


def grantable(owner) -> set[int]:
    """Ids of the permission-views the owner may grant: those it holds, without the owner-only pages."""
    held = _held(owner)
    return held - _owner_only(held)


def menu_permissions(pv_ids) -> set[int]:
    """menu_access on each page with one of `pv_ids` (a right) and on its menu category (security/pages.py), so
    the menu shows what was granted."""
    if not pv_ids:
        return set()
    resources = db.session.scalars(select(ViewMenu.name).join(PermissionView).where(PermissionView.id.in_(pv_ids)))
    menus = pages.menu_names(set(resources))
    if not menus:
        return set()
    return set(db.session.scalars(
        select(PermissionView.id).join(Permission, PermissionView.permission_id == Permission.id)
        .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
        .where(Permission.name == "menu_access", ViewMenu.name.in_(menus))))


@transactional
def set_permissions(owner, profile: RoleProfile, pv_ids) -> None:
    """Replace a level-3 role's permissions with the rights `pv_ids` (only rights the owner holds) and the menu
    entries of their pages: a page ticked implies its menu entry, whoever calls this."""
    if profile.level != 3 or profile.institution_id != owner.institution_id:
        raise DomainError("只能为本机构自建的角色设置权限")
    wanted = {int(i) for i in pv_ids}
    if wanted - _held(owner):
        raise DomainError("不能授予本账号自己没有的权限")
    if _owner_only(wanted):
        raise DomainError("“" + "”“".join(NOT_DELEGABLE) + "”是总账号专用的权限，不能授予自建角色")
    wanted |= menu_permissions(wanted)
    profile.role.permissions = list(db.session.scalars(select(PermissionView).where(PermissionView.id.in_(wanted))))


def active_roles(user):
    """The user's roles without 停用 ones (a 停用 role grants nothing)."""
    return [r for r in user.roles if r.profile is None or r.profile.status != "停用"]


def own_roles(owner):
    """The level-3 roles of the owner's institution, in 角色序号 order."""
    return list(db.session.scalars(
        select(RoleProfile).where(RoleProfile.institution_id == owner.institution_id, RoleProfile.level == 3)
        .order_by(RoleProfile.seq.is_(None), RoleProfile.seq, RoleProfile.display_name)))


