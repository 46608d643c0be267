"""Subsystems (spec 7.2): 基础资源管理, 应急资源管理, 试用期申报. An account enters only those ticked for it; with
several it picks one in the top bar, and the menu shows that subsystem's categories (plus 系统管理)."""
from flask import current_app, g, session

from app.models.enums import WEB_SUBSYSTEMS
from app.security.pages import category_subsystem
from app.services.scope import scope_of


def subsystem_of_endpoint(app, endpoint: str):
    """The subsystem of the page behind `endpoint` (None: any subsystem may open it); views/__init__.py records each
    menu view's subsystem from the registry (security/pages.py) when it registers them."""
    return app.extensions.get("subsystem_by_view", {}).get(endpoint.split(".")[0])


def current_subsystem():
    user = g.get("user")
    ticked = [s for s in user.subsystem_list if s in WEB_SUBSYSTEMS] if user is not None and user.is_authenticated else []
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
