"""The permission tree (spec 7.1): menu category → page → rights, built from the live menu and FAB permissions."""
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu
from sqlalchemy import select

from app.extensions import db
from app.services.roles import NOT_DELEGABLE

RIGHT_LABELS = {"can_read": "查看", "can_write": "编辑", "can_audit": "审核", "can_import": "导入", "can_export": "导出",
                "can_fullid": "查看完整证件号"}


def _pvs_by_resource(names):
    rows = db.session.execute(
        select(PermissionView.id, Permission.name, ViewMenu.name)
        .join(Permission, PermissionView.permission_id == Permission.id)
        .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
        .where(ViewMenu.name.in_(names)))
    result = {}
    for pv_id, perm, resource in rows:
        result.setdefault(resource, {})[perm] = pv_id
    return result


def _menu_pages(appbuilder):
    for category in appbuilder.menu.get_list():
        for item in category.childs or []:
            if item.baseview is not None and item.name != "-":
                yield category, item


def permission_tree(appbuilder, grantable: set[int], held: set[int]):
    """Categories with their pages and rights, limited to what the granting owner holds (`grantable`)."""
    pages = [(c, i) for c, i in _menu_pages(appbuilder) if i.baseview.class_permission_name not in NOT_DELEGABLE]
    pvs = _pvs_by_resource({i.baseview.class_permission_name for _, i in pages})
    tree, by_category = [], {}
    for category, item in pages:
        rights = [
            {"id": pv_id, "label": RIGHT_LABELS[perm], "checked": pv_id in held}
            for perm, pv_id in sorted(pvs.get(item.baseview.class_permission_name, {}).items(),
                                      key=lambda kv: list(RIGHT_LABELS).index(kv[0]) if kv[0] in RIGHT_LABELS else 99)
            if perm in RIGHT_LABELS and pv_id in grantable
        ]
        if not rights:
            continue
        node = by_category.get(category.name)
        if node is None:
            node = by_category[category.name] = {"label": str(category.label), "items": []}
            tree.append(node)
        node["items"].append({"label": str(item.label), "rights": rights})
    return tree


def implied_menu_permissions(appbuilder, chosen: set[int]) -> set[int]:
    """menu_access on each page with a chosen right, and on its category, so the menu shows what was granted."""
    pages = list(_menu_pages(appbuilder))
    pvs = _pvs_by_resource({i.baseview.class_permission_name for _, i in pages})
    menus = set()
    for category, item in pages:
        if set(pvs.get(item.baseview.class_permission_name, {}).values()) & chosen:
            menus.update({category.name, item.name})
    if not menus:
        return set()
    rows = db.session.execute(
        select(PermissionView.id).join(Permission, PermissionView.permission_id == Permission.id)
        .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
        .where(Permission.name == "menu_access", ViewMenu.name.in_(menus)))
    return {r[0] for r in rows}
