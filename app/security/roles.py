"""Built-in roles and what they may open, in collapsed read/write terms per page (resource)."""
# role → {resource (class_permission_name): [read|write|…]}. 系统管理员 gets everything from FAB itself.
ROLE_GRANTS = {
    "区域管理员": {"辖区机构": ["read"], "操作日志": ["read"]},
    "机构总账号": {"操作日志": ["read"]},
    "人事专员": {},
}


def _menu_names_for(appbuilder, resources):
    """Menu items (and their categories) whose page is one of `resources`."""
    names = set()
    for category in appbuilder.menu.get_list():
        for item in category.childs or []:
            if item.baseview is not None and item.baseview.class_permission_name in resources:
                names.update({item.name, category.name})
    return names


def sync_roles(appbuilder):
    """Create the admin, public and built-in roles and set their permissions (idempotent)."""
    sm = appbuilder.sm
    sm.add_role(sm.auth_role_admin)
    sm.add_role(sm.auth_role_public)
    appbuilder.add_permissions(update_perms=True)  # every view's permissions, all granted to 系统管理员
    for role_name, grants in ROLE_GRANTS.items():
        role = sm.find_role(role_name) or sm.add_role(role_name)
        wanted = []
        for resource, perms in grants.items():
            for perm in perms:
                pv = sm.find_permission_view_menu(f"can_{perm}", resource)
                if pv is None:
                    raise RuntimeError(f"permission can_{perm} on {resource} does not exist")
                wanted.append(pv)
        for menu_name in _menu_names_for(appbuilder, set(grants)):
            wanted.append(sm.add_permission_view_menu("menu_access", menu_name))
        role.permissions = wanted
    sm.session.commit()

