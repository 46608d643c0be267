"""Issue 12 item 6: the registry of pages (app/security/pages.py) is what the menu, the built-in roles and the
permission tree show; a view's resource and rights are those declared there."""
from app.security import pages
from app.security.roles import ROLE_GRANTS


def _menu(appbuilder):
    return [(category.name, item.name, str(item.label), item.baseview)
            for category in appbuilder.menu.get_list() for item in category.childs
            if item.baseview is not None and item.baseview.class_permission_name in pages.BY_RESOURCE]


def test_the_menu_is_the_registry_in_its_order(app):
    from app.extensions import appbuilder

    shown = [(c, name, label) for c, name, label, _view in _menu(appbuilder)]
    assert shown == [(p.category.name, p.resource, p.label) for p in pages.PAGES]


def test_every_view_of_a_page_has_the_registry_rights_and_no_other(app):
    from app.extensions import appbuilder

    for view in appbuilder.baseviews:
        page = pages.page(getattr(view, "class_permission_name", ""))
        if page is not None:
            assert set(view.base_permissions) <= set(page.permissions), (type(view).__name__, view.base_permissions)
    for page in pages.PAGES:
        for right in page.rights:
            assert appbuilder.sm.find_permission_view_menu(f"can_{right}", page.resource) is not None, (page, right)


def test_built_in_roles_grant_declared_rights_and_see_their_menu(app, db):
    from app.extensions import appbuilder

    for role_name, grants in ROLE_GRANTS.items():
        held = {(pv.permission.name, pv.view_menu.name) for pv in appbuilder.sm.find_role(role_name).permissions}
        for page, rights in grants.items():
            assert set(rights) <= set(page.rights)
            assert ("menu_access", page.resource) in held and ("menu_access", page.category.name) in held


def test_the_permission_tree_offers_delegable_pages_only(app, db, login_as):
    owner = login_as("inst_admin")
    from sqlalchemy import select

    from app.models.security import RoleProfile, User

    institution_id = db.session.scalar(select(User.institution_id).where(User.username == "inst_admin"))
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科",
                                                          RoleProfile.institution_id == institution_id))
    tree = owner.get(f"/rolepermissions/{profile.id}").get_data(as_text=True).split('class="perm-tree"')[1]
    for page in pages.PAGES:
        if not page.delegable:
            assert f">{page.label}</label>" not in tree, page.label
    assert ">人员信息管理</label>" in tree and ">查看完整证件号<" in tree
