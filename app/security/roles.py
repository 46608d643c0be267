"""Built-in roles and what they may open, in collapsed read/write terms per page (resource)."""
from app.security import pages
from app.services.transaction import transaction

# role → {page: [rights]}. 系统管理员 gets everything from FAB itself.
ROLE_GRANTS = {
    "区域管理员": {pages.REGION_INSTITUTIONS: ["read", "write"], pages.AUDIT_LOG: ["read"],
                   pages.ACCOUNTS: ["read", "write"], pages.CERT_REVIEW: ["read", "audit"],
                   pages.CHANGE_REVIEW: ["read", "audit"], pages.STANDARD_POSTS: ["read", "write"],
                   pages.QUOTA_ALLOCATION: ["read", "write"], pages.PROBATION_REVIEW: ["read", "audit", "write"],
                   pages.MOVEMENTS: ["read"], pages.EMERGENCY_SUMMARY: ["read", "audit"],
                   pages.REPORT_TASKS: ["read", "write"], pages.REGION_STATS: ["read"],
                   pages.STATS: ["read"], pages.STAT_REPORTS: ["read", "export"]},
    "机构总账号": {pages.AUDIT_LOG: ["read"], pages.ROLES: ["read", "write"], pages.ACCOUNTS: ["read", "write"],
                   pages.CERT_REVIEW: ["read", "audit"], pages.INSTITUTION_PROFILE: ["read", "write"],
                   pages.DEPARTMENTS: ["read", "write"], pages.POSTS: ["read", "write"],
                   pages.QUOTA: ["read", "write"], pages.PEOPLE: ["read", "write", "fullid"],
                   pages.PHOTO_WALL: ["read"], pages.KEY_GROUPS: ["read", "write"],
                   pages.PROBATION_FILING: ["read", "write"], pages.IMPORTS: ["read", "import", "export"],
                   pages.ATTACHMENT_BATCHES: ["read", "write"],
                   pages.RESIGNATIONS: ["read", "write", "audit"], pages.TRANSFERS: ["read", "write"],
                   pages.VEHICLES: ["read", "write"], pages.EQUIPMENT: ["read", "write"],
                   **{page: ["read", "write", "report"] for page in (
                       pages.CAPACITY_REPORTS, pages.VEHICLE_REPORTS, pages.DRUG_REPORTS, pages.EQUIPMENT_REPORTS)},
                   **{page: ["read", "write"] for page in pages.SUPPLY_PAGES.values()}, pages.MY_TASKS: ["read"],
                   pages.STATS: ["read"], pages.STAT_REPORTS: ["read", "export"]},
}
# Levels of the built-in roles (spec 7.1): 1 系统管理员, 2 the 总账号 roles. Level 3 roles are made by owners.
BUILTIN_LEVELS = {"区域管理员": (2, "卫健委管理员"), "机构总账号": (2, "医疗机构")}


def sync_roles(appbuilder):
    """Create the admin, public and built-in roles and set their permissions (idempotent)."""
    sm = appbuilder.sm
    sm.add_role(sm.auth_role_admin)
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)  # every view's permissions, all granted to 系统管理员
    with transaction():
        for role_name, grants in ROLE_GRANTS.items():
            role = sm.find_role(role_name) or sm.add_role(role_name)
            wanted = []
            for page, rights in grants.items():
                for right in rights:
                    pv = sm.find_permission_view_menu(f"can_{right}", page.resource)
                    if pv is None:
                        raise RuntimeError(f"permission can_{right} on {page.resource} does not exist")
                    wanted.append(pv)
            for menu_name in sorted(pages.menu_names(p.resource for p in grants)):
                wanted.append(sm.add_permission_view_menu("menu_access", menu_name))
            role.permissions = wanted
        _ensure_profiles(sm)


def _ensure_profiles(sm):
    from app.models.security import RoleProfile

    levels = {sm.auth_role_admin: (1, "卫健委管理员"), **BUILTIN_LEVELS}
    for name, (level, role_type) in levels.items():
        role = sm.find_role(name)
        if role.profile is None:
            sm.session.add(RoleProfile(role=role, display_name=name, level=level, role_type=role_type))



# Chinese names of FAB's own permissions and resources, for the operators' role pages.
PERMISSION_LABELS = {
    **{f"can_{right}": label for right, label in pages.RIGHT_LABELS.items()},
    "menu_access": "菜单", "can_list": "列表", "can_show": "详情", "can_add": "新增", "can_edit": "修改",
    "can_delete": "删除", "can_download": "下载", "can_get": "读取",
    "can_info": "字段信息", "can_post": "新增", "can_put": "修改", "can_this_form_get": "打开表单",
    "can_this_form_post": "提交表单", "can_userinfo": "个人信息", "resetmypassword": "修改本人密码",
    "resetpasswords": "重置密码", "userinfoedit": "修改个人信息", "copyrole": "复制角色", "can_chart": "图表",
    "can_add_role_permissions": "授予角色权限", "can_list_role_permissions": "查看角色权限",
    "can_update_role_groups": "设置角色用户组", "can_update_role_users": "设置角色账号",
}
RESOURCE_LABELS = {
    "AppUserDBModelView": "账号管理", "RoleModelView": "角色管理", "UserGroupModelView": "用户组管理",
    "Role": "角色接口", "User": "账号接口", "Group": "用户组接口", "Permission": "权限接口",
    "PermissionViewMenu": "权限资源接口", "ViewMenu": "资源接口", "MenuApi": "菜单接口",
    "UserStatsChartView": "账号统计", "ResetPasswordView": "重置他人密码", "AppResetMyPasswordView": "修改本人密码",
    "UserInfoEditView": "个人信息", "PermissionModelView": "权限", "ViewMenuModelView": "资源",
    "PermissionViewModelView": "权限与资源", "Security": "账号与权限", "List Users": "账号列表",
    "List Roles": "角色列表", "List Groups": "用户组列表", "Base Permissions": "基础权限", "Views/Menus": "页面与菜单",
    "Permission on Views/Menus": "页面权限", "User's Statistics": "账号统计",
}


def permission_label(pv) -> str:
    perm, resource = str(pv.permission), str(pv.view_menu)
    return f"{PERMISSION_LABELS.get(perm, perm)}：{RESOURCE_LABELS.get(resource, resource)}"
