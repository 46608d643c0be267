"""Session epochs: the events that end every session and token of an account.

Each account has `session_epoch`; it is copied into the session cookie and into every JWT when they are issued
(app/security/sessions.py compares them on every request). Raising it ends every earlier copy at its next request.
One before_flush listener raises it, so every path that changes an account (services, FAB's user pages, the ops
console, the CLI) is covered without per-view code:
- the account: password set (change or reset), locked, deactivated, deleted, internet access changed, 开放接口
  taken away (its API tokens);
- its role set to 停用 (every holder of the role);
- its institution's internet access changed (every account of the institution);
- logout: `end_all` (called by the security manager).
"""
import datetime

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.models.enums import API_SUBSYSTEM
from app.models.org import Institution
from app.models.security import RoleProfile, User
from app.services.transaction import transactional


def bump(user) -> None:
    user.session_epoch = (user.session_epoch or 0) + 1


@transactional
def end_all(user) -> None:
    """Logout: every session and token of the account ends (this one included)."""
    bump(user)


def _added(state, name):
    history = state.attrs[name].history
    return history.added[0] if history.added else None, history.has_changes()


def _account_event(user) -> bool:
    state = inspect(user)
    if state.attrs.password.history.has_changes():
        return True
    value, changed = _added(state, "internet_access")
    if changed:
        return True
    value, changed = _added(state, "active")
    if changed and not value:
        return True
    value, changed = _added(state, "deleted_at")
    if changed and value is not None:
        return True
    history = state.attrs.subsystems.history
    if history.has_changes() and API_SUBSYSTEM in (history.deleted[0] if history.deleted else "").split(",") \
            and API_SUBSYSTEM not in (history.added[0] if history.added else "").split(","):
        return True  # 开放接口 taken away: its tokens end
    value, changed = _added(state, "locked_until")
    return changed and value is not None and value > datetime.datetime.now()


def _before_flush(session, flush_context, instances):
    users = set()
    with session.no_autoflush:
        for obj in list(session.dirty):
            if isinstance(obj, User) and _account_event(obj):
                users.add(obj)
            elif isinstance(obj, RoleProfile):
                value, changed = _added(inspect(obj), "status")
                if changed and value == "停用":
                    users.update(session.scalars(select(User).where(User.roles.any(Role.id == obj.role_id))))
            elif isinstance(obj, Institution):
                value, changed = _added(inspect(obj), "internet_access")
                if changed and obj.id is not None:
                    users.update(session.scalars(select(User).where(User.institution_id == obj.id)))
    for user in users:
        bump(user)


def install():
    """Listen on every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
