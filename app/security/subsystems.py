"""Subsystems (spec 7.2): 基础资源管理, 应急资源管理, 试用期申报. An account enters only those ticked for it; with
several it picks one in the top bar, and the menu shows that subsystem's categories (plus 系统管理)."""
from flask import current_app, g, session

from app.services.scope import scope_of

# Menu categories that belong to a subsystem other than 基础资源管理; 系统管理 belongs to every subsystem.
CATEGORY_SUBSYSTEM = {"应急资源管理": "应急资源管理", "试用期申报": "试用期申报"}
SHARED_CATEGORIES = {"系统管理"}


def category_subsystem(category_name):
    if category_name in SHARED_CATEGORIES:
        return None
    return CATEGORY_SUBSYSTEM.get(category_name, "基础资源管理")


def subsystem_of_endpoint(app, endpoint: str):
    """The subsystem of the page behind `endpoint` (None: any subsystem may open it)."""
    mapping = app.extensions.get("subsystem_by_view")
    if mapping is None:
        mapping = {}
        for category in app.appbuilder.menu.get_list():
            for item in category.childs or []:
                if item.baseview is not None:
                    mapping[item.baseview.endpoint] = category_subsystem(category.name)
        app.extensions["subsystem_by_view"] = mapping
    return mapping.get(endpoint.split(".")[0])


def current_subsystem():
    user = g.get("user")
    ticked = user.subsystem_list if user is not None and user.is_authenticated else []
    chosen = session.get("subsystem")
    return chosen if chosen in ticked else (ticked[0] if ticked else None)


def certification_pending(user) -> bool:
    """An account (not 系统管理员) whose 实名认证 is not yet approved opens only its certification page (spec 2.1)."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.certified_at is None
                and scope_of(user).kind != "all")


def menu_gate():
    """What the top menu may show for the current user: "password" (must change it first: no menu),
    "certification" (only the 实名认证 link) or None (the menu of the current subsystem)."""
    user = g.get("user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if user.must_change_password:
        return "password"
    return "certification" if certification_pending(user) else None


def install_menu_filter(appbuilder):
    """Each category is shown only in its subsystem; nothing but 实名认证 before certification (the request guard
    in app/__init__.py would bounce every other click)."""
    for category in appbuilder.menu.get_list():
        wanted = category_subsystem(category.name)
        if wanted:
            category.cond = (lambda w: lambda: current_subsystem() == w and menu_gate() is None)(wanted)
        else:
            category.cond = lambda: menu_gate() is None
    current_app.jinja_env.globals["menu_gate"] = menu_gate
