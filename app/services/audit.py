"""Audit trail by one mechanism: a SQLAlchemy after_flush listener on every session.

Views, services, imports, the API and the CLI all write through the ORM, so every create / update / delete
is recorded here without per-view code. Bulk `update()`/`delete()` statements bypass the ORM and are
therefore not used for business data.
"""
import contextlib
import contextvars
import datetime
import decimal
import enum
import functools

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.models.audit import AuditLog

# Tables whose rows are framework bookkeeping, not business data.
IGNORED_TABLES = {
    "audit_log",
    "ab_permission",
    "ab_view_menu",
    "ab_permission_view",
    "ab_permission_view_role",
    "alembic_version",
    "login_attempt",  # login bookkeeping (个人中心), not an edit
    "supply_day",  # figures derived from supply_entry (whose changes are audited), rewritten with it
}
MASKED_FIELDS = {"password"}
ACTION_LABELS = {"create": "新增", "update": "修改", "delete": "删除"}
# Login bookkeeping of FAB: recorded as part of a real change, but an update touching only these is noise.
NOISE_FIELDS = {"last_login", "login_count", "changed_on", "session_epoch"}

_actor_provider = None
_actor_override = contextvars.ContextVar("audit_actor", default=None)


def set_actor_provider(fn):
    """fn() -> dict(user_id, username, client_addr) for the current request, or None outside one."""
    global _actor_provider
    _actor_provider = fn


@contextlib.contextmanager
def acting_as(username: str, client_addr: str = "本机"):
    """Attribute changes made outside a request (CLI, seeding, jobs) to a named actor."""
    token = _actor_override.set({"user_id": None, "username": username, "client_addr": client_addr})
    try:
        yield
    finally:
        _actor_override.reset(token)


def current_actor() -> dict:
    """Who is acting now (request user, `acting_as` name, or nobody): user_id, username, client_addr."""
    return _actor()


def _actor():
    override = _actor_override.get()
    if override:
        return override
    if _actor_provider:
        actor = _actor_provider()
        if actor:
            return actor
    return {"user_id": None, "username": None, "client_addr": None}


def jsonable(value):
    """A value as the audit log stores it."""
    return _jsonable(value)


def _jsonable(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} 字节>"
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


@functools.cache
def _unrecorded(mapper) -> frozenset:
    """The version column (optimistic-concurrency bookkeeping, not data). Computed once per model: comparing
    columns with `in` builds a SQL expression per comparison (it took most of the time of a large seed)."""
    version_col = mapper.version_id_col
    manual = getattr(mapper.class_, "manual_version", False)
    return frozenset(attr.key for attr in mapper.column_attrs
                     if (version_col is not None and any(c is version_col for c in attr.columns))
                     or (attr.key == "version" and manual))


def _field_changes(obj, action):
    state = inspect(obj)
    changes = {}
    skipped = _unrecorded(state.mapper)
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in skipped:
            continue
        if action == "create":
            value = getattr(obj, key, None)
            if value is None:
                continue
            old, new = None, value
        elif action == "delete":
            old, new = state.dict.get(key), None
            if old is None:
                continue
        else:
            hist = state.attrs[key].history
            if not hist.has_changes():
                continue
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old == new:
                continue
        if key in MASKED_FIELDS:
            old, new = ("***" if old else None), ("***" if new else None)
        changes[key] = [_jsonable(old), _jsonable(new)]
    if action == "update":
        for rel in state.mapper.relationships:
            if not rel.uselist:
                continue
            hist = state.attrs[rel.key].history
            if hist.added or hist.deleted:
                changes[rel.key] = [[str(x) for x in hist.deleted], [str(x) for x in hist.added]]
    return changes


def _institution_of(obj):
    if obj.__class__.__tablename__ == "institution":
        return getattr(obj, "id", None)
    if obj.__class__.__tablename__ == "ab_role":  # an owner-made role belongs to its profile's institution
        return getattr(getattr(obj, "profile", None), "institution_id", None)
    return getattr(obj, "institution_id", None)


def _entry(obj, action, actor, now):
    changes = _field_changes(obj, action)
    if action == "update" and (not changes or set(changes) <= NOISE_FIELDS):
        return None
    pk = inspect(obj).mapper.primary_key_from_instance(obj)
    entity_id = ",".join(str(p) for p in pk) if any(p is not None for p in pk) else None
    return log_row(obj.__class__.__tablename__, entity_id, _institution_of(obj), action, changes, actor, now)


def log_row(entity, entity_id, institution_id, action, changes, actor, now) -> dict:
    """One audit_log row. Used by the session listener and by bulk writers (the import) that insert with Core
    statements, so both write the same format."""
    return {
        "at": now,
        "user_id": actor.get("user_id"),
        "username": actor.get("username"),
        "client_addr": actor.get("client_addr"),
        "institution_id": institution_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
    }


def _after_flush(session, flush_context):
    now = datetime.datetime.now()
    actor = None
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            table = getattr(obj.__class__, "__tablename__", None)
            if table is None or table in IGNORED_TABLES:
                continue
            if action == "update" and not session.is_modified(obj):
                continue
            actor = actor or _actor()
            entry = _entry(obj, action, actor, now)
            if entry:
                rows.append(entry)
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def install():
    """Listen on every SQLAlchemy session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
