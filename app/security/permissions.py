"""The permission tree (spec 7.1): menu category → page → rights, from the registry of pages (security/pages.py)
and the FAB permissions that exist for them."""
from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu
from sqlalchemy import select

from app.extensions import db
from app.security import pages


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


def permission_tree(grantable: set[int], held: set[int]):
    """Categories with their pages and rights, limited to what the granting owner holds (`grantable`); pages only a
    总账号 uses are never offered."""
    delegable = [p for p in pages.PAGES if p.delegable]
    pvs = _pvs_by_resource({p.resource for p in delegable})
    tree, by_category = [], {}
    for page in delegable:
        rights = [{"id": pv_id, "label": pages.RIGHT_LABELS[right], "checked": pv_id in held}
                  for right in pages.RIGHT_LABELS
                  if (pv_id := pvs.get(page.resource, {}).get(f"can_{right}")) is not None and pv_id in grantable]
        if not rights:
            continue
        node = by_category.get(page.category.name)
        if node is None:
            node = by_category[page.category.name] = {"label": page.category.name, "items": []}
            tree.append(node)
        node["items"].append({"label": page.label, "rights": rights})
    return tree
