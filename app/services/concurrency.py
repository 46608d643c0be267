"""Edit conflicts (optimistic concurrency), one helper for every form and the import.

Every editable model is `Versioned` (app/models/versioning.py): SQLAlchemy bumps `version` on each UPDATE and
refuses an UPDATE whose row changed since it was read (StaleDataError). A form carries the version it was opened
with (hidden field `version`); a service calls `check()` before writing and writes inside
`transaction(conflict=(obj, base, labels))` (services/transaction.py), so a stale save ends in
`EditConflict` — "该记录已被 <who> 于 <when> 修改，请刷新后重新编辑" plus one line per changed field —
whether the change came before the compare or raced between compare and commit.

Who / when / which fields come from the audit trail (services/audit.py), which already records every ORM change
with its user, time and old/new values (one audit row per UPDATE, so per version): no extra columns, and the same
answer for a change made by a form, the import or the CLI.
"""
import datetime

from sqlalchemy import event, inspect, select, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from app.domain.errors import DomainError, EditConflict
from app.extensions import db
from app.models.audit import AuditLog
from app.services.audit import NOISE_FIELDS, jsonable

FIELD = "version"  # the hidden form field and the column
HIDDEN = {"version", "updated_at", "created_at", "attachments", "photo_path", "photo_thumb", "password"}
GENERIC = "该记录已被其他用户修改，请刷新后重新编辑"
DELETED = "该记录已被其他用户删除，请返回列表刷新"
AUDIT_LOOKBACK = 50
# An account's login bookkeeping: no edit, so its version stays (and audit rows of only these are no version).
UNVERSIONED = NOISE_FIELDS | {"fail_login_count", "locked_until"}


def parse(raw) -> int | None:
    """The version a form or an import row carries; None when absent (no check: e.g. a hand-filled template)."""
    text = str(raw if raw is not None else "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    return int(text) if text.isdigit() else None


def current(obj) -> int | None:
    return getattr(obj, FIELD, None)


def check(obj, opened, labels=None, shown=None) -> int:
    """Refuse (EditConflict) when obj changed since the form was opened at version `opened`; returns the version
    the save is based on, for `transaction(conflict=(obj, base))`. `opened` None (no version sent) skips the check."""
    now = current(obj)
    if opened is not None and now is not None and now != opened:
        raise conflict(obj, opened, labels, shown)
    return opened if opened is not None else now


def _shown(value):
    if value in (None, ""):
        return "（空）"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "（无）"
    return str(value)


def conflict(obj, opened, labels=None, shown=None) -> DomainError:
    """The refusal for a save based on version `opened` of obj (obj is reloaded: its current values are shown)."""
    state = inspect(obj)
    pk = state.identity or state.mapper.primary_key_from_instance(obj)
    if state.persistent:
        try:
            db.session.refresh(obj)
        except (ObjectDeletedError, InvalidRequestError):  # the row is gone
            db.session.rollback()
            return DomainError(DELETED)
    return conflict_from_audit(obj.__table__.name, pk, opened, obj, labels, shown)


def conflict_from_audit(table, pk, opened, obj, labels=None, shown=None, rows=None, since="您打开时") -> EditConflict:
    """Build EditConflict from the audit rows written since version `opened` (rows may be given, prefetched)."""
    entity_id = ",".join(str(p) for p in pk)
    if rows is None:
        rows = db.session.scalars(
            select(AuditLog).where(AuditLog.entity == table, AuditLog.entity_id == entity_id, AuditLog.action == "update")
            .order_by(AuditLog.id.desc()).limit(AUDIT_LOOKBACK)).all()
    # every ORM UPDATE of a versioned record moves its version by one and writes one audit row: the changes a
    # form opened at version `opened` has not seen are the newest (current − opened) update rows
    unseen = (current(obj) or 0) - (opened or 0)
    newer = [row for row in rows if row.action == "update" and set(row.changes or {}) - UNVERSIONED][:max(unseen, 0)]
    if not newer:
        return EditConflict(None, None)
    last = newer[0]
    when = last.at.strftime("%Y-%m-%d %H:%M") if isinstance(last.at, datetime.datetime) else str(last.at)
    opened_values = {}
    for row in reversed(newer):  # oldest first: the first old value seen is the value when the form was opened
        for key, pair in (row.changes or {}).items():
            if key not in opened_values and isinstance(pair, list) and len(pair) == 2:
                opened_values[key] = pair[0]
    differences = []
    for key, before in opened_values.items():
        if key in HIDDEN or key in UNVERSIONED or (labels is not None and key not in labels):
            continue
        now = jsonable(getattr(obj, key, None)) if hasattr(obj, key) else None
        if before == now:
            continue
        label = (labels or {}).get(key, key)
        show = (lambda v, _k=key: shown(_k, v)) if shown else _shown
        differences.append(f"{label}：{since}为 {show(before)}，现在为 {show(now)}")
    return EditConflict(last.username or "其他用户", when, differences)


# ---- versions a plain UPDATE would not bump ----------------------------------------------------------------------

def _before_flush(session, flush_context, instances):
    """Accounts (`manual_version`) move their version here, only for real edits (a login's bookkeeping —
    last_login… — is none), with a conditional UPDATE that fails (StaleDataError) when the row moved since it was
    read; a record whose only change is a many-to-many collection (a key group's members) gets an UPDATE, so its
    version moves too."""
    for obj in list(session.dirty):
        state = inspect(obj)
        mapper = state.mapper
        manual = getattr(type(obj), "manual_version", False)
        # committed_state: the attributes set since the load (cheap; the import updates thousands of rows)
        if (mapper.version_id_col is None and not manual) or not state.committed_state:
            continue
        columns = {a.key for a in mapper.column_attrs}
        if not manual and any(k in columns for k in state.committed_state):
            continue  # a column is set: SQLAlchemy's UPDATE moves the version
        if not session.is_modified(obj):
            continue
        changed = {k for k in state.committed_state if k in columns and state.attrs[k].history.has_changes()}
        if manual:
            collections = any(state.attrs[r.key].history.has_changes() for r in mapper.relationships if r.uselist)
            if changed - UNVERSIONED - {FIELD} or collections:
                _move_by_hand(session, obj, state)
        elif not changed:
            key = next(a.key for a in mapper.column_attrs
                       if a.key != FIELD and not any(c.primary_key for c in a.columns))
            getattr(obj, key)  # loaded, so the forced UPDATE writes its own value back
            flag_modified(obj, key)  # an UPDATE of the row, which moves its version


def _move_by_hand(session, obj, state):
    table = state.mapper.local_table
    history = state.attrs[FIELD].history
    read = history.deleted[0] if history.deleted else getattr(obj, FIELD)  # loads it when expired
    pk = state.mapper.primary_key_from_instance(obj)
    where = [c == v for c, v in zip(state.mapper.primary_key, pk, strict=True)]
    done = session.connection().execute(
        update(table).where(*where, table.c[FIELD] == read).values({FIELD: (read or 0) + 1}))
    if done.rowcount != 1:
        raise StaleDataError(f"{table.name} {pk} 已被其他会话修改")
    set_committed_value(obj, FIELD, (read or 0) + 1)


def install():
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
