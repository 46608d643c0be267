"""What departments and posts share (spec 3.2, 3.3): an institution's units that staff belong to — found only
within the caller's institution, counted by their staff, deleted only when nothing depends on them, and emptied by
moving every staff member to another unit, optionally deleting the emptied unit in the same transaction.

A unit type describes itself once as a `Kind` (services/departments.py DEPARTMENTS, services/posts.py POSTS); the
functions here do the rest. The tree walk (children by parent, tree order with depth and path) is here too, for
the department tree and the 编制 sheet.
"""
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.org import Institution
from app.models.people import Person
from app.services.transaction import transaction

TARGET = "target"  # the field of the move form: the unit the staff go to


class DeleteBlocked(ValidationFailed):
    """A unit that still has staff (or children, or 编制); the counts let the page offer the way out."""

    def __init__(self, errors, staff=0, children=0):
        super().__init__(errors)
        self.staff = staff
        self.children = children


@dataclass(frozen=True)
class Kind:
    """How one unit type (Department, Post) plugs into the shared machinery."""

    model: type
    column: str  # the Person column that points at the unit: "department_id" / "post_id"
    owner_only: str  # the refusal for an account without an institution
    missing: str  # the refusal for a unit that is not the institution's
    nobody: str  # "…“{name}”下没有人员，无需转移"
    delete_problems: Callable  # (unit, staff_moved=False) -> DeleteBlocked | None
    # the refusals of a move target: none chosen, not the institution's, the unit itself ("{name}"), disabled
    # ("{target}")
    choose: str
    foreign: str
    itself: str
    disabled: str
    excluded: Callable = None  # (unit) -> ids staff cannot move to; default: the unit itself
    move_problems: Callable = None  # (unit, target, people) -> [messages] the target refuses
    remove: Callable = None  # (unit) deletes it with what hangs on it; default: the unit alone

    def person_column(self):
        return getattr(Person, self.column)


# ---- reading -----------------------------------------------------------------------------------------------------

def get(model, institution_id, unit_id):
    """The unit if it belongs to the institution, else None (the view answers 404)."""
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        return None
    unit = db.session.get(model, unit_id)
    if unit is None or institution_id is None or unit.institution_id != institution_id:
        return None
    return unit


# Staff of a unit are its active staff (ACTIVE_STATUSES): they are counted, block a delete and are moved. A
# resigned / retired record keeps its department and post as history; only when the unit itself is deleted is that
# reference cleared (`_remove`, through the ORM: the audit log keeps the old value).
SERVING = Person.status.in_(ACTIVE_STATUSES)


def staff_counts(kind: Kind, institution_id) -> dict[int, int]:
    """unit id → number of active staff in it."""
    column = kind.person_column()
    rows = db.session.execute(select(column, func.count(Person.id))
                              .where(Person.institution_id == institution_id, column.is_not(None), SERVING)
                              .group_by(column))
    return {unit_id: n for unit_id, n in rows}


def staff_count(kind: Kind, unit) -> int:
    return db.session.scalar(select(func.count(Person.id)).where(kind.person_column() == unit.id, SERVING)) or 0


def children_map(rows) -> dict:
    """parent id → its rows, in the order of `rows`."""
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    return children


def descendant_ids(rows, unit_id) -> set[int]:
    """Ids of every row below `unit_id`."""
    children = children_map(rows)
    found, todo = set(), [unit_id]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child.id)
            todo.append(child.id)
    return found


def tree_order(rows) -> list[tuple[object, int, str]]:
    """(row, depth, path) in tree order (children after their parent, in the order of `rows`); depth 1 is directly
    under the institution, path is "上级/本部门". A row whose parent is not among `rows` is shown at the top."""
    children = children_map(rows)
    known = {r.id for r in rows}
    out = []

    def visit(parent_id, depth, prefix):
        for row in children.get(parent_id, []):
            path = f"{prefix}/{row.name}" if prefix else row.name
            out.append((row, depth, path))
            visit(row.id, depth + 1, path)

    visit(None, 1, "")
    for row in rows:
        if row.parent_id is not None and row.parent_id not in known:
            out.append((row, 1, row.name))
            visit(row.id, 2, row.name)
    return out


# ---- writing -----------------------------------------------------------------------------------------------------

def lock_institution(institution_id, refusal: str) -> Institution:
    """Serialises the unit writes of one institution (PostgreSQL row lock; SQLite writes are serial anyway), so two
    clicks cannot create the same name twice."""
    inst = None
    if institution_id:
        inst = db.session.scalar(select(Institution).where(Institution.id == institution_id).with_for_update())
    if inst is None:
        raise DomainError(refusal)
    return inst


@contextlib.contextmanager
def unique(field: str, message: str):
    """Write the block now; a concurrent save that won the race for a unique value (IntegrityError) becomes the
    field's refusal (the transaction rolls back)."""
    try:
        yield
        db.session.flush()
    except IntegrityError as exc:
        raise ValidationFailed([(field, message)]) from exc


def _found(kind: Kind, institution_id, unit_id):
    lock_institution(institution_id, kind.owner_only)
    unit = get(kind.model, institution_id, unit_id)
    if unit is None:
        raise DomainError(kind.missing)
    return unit


def _move_target(kind: Kind, unit, target_id):
    """(target, problems) of the unit the staff of `unit` are to be moved to."""
    if not str(target_id or "").strip():
        return None, [(TARGET, kind.choose)]
    target = get(kind.model, unit.institution_id, target_id)
    if target is None:
        return None, [(TARGET, kind.foreign)]
    if target.id in (kind.excluded(unit) if kind.excluded else {unit.id}):
        return None, [(TARGET, kind.itself.format(name=unit.name))]
    if not target.active:
        return None, [(TARGET, kind.disabled.format(target=target.name))]
    return target, []


def _remove(kind: Kind, unit):
    for former in db.session.scalars(select(Person).where(kind.person_column() == unit.id, ~SERVING)):
        setattr(former, kind.column, None)  # a resigned record does not keep a deleted unit alive
    db.session.flush()
    (kind.remove or db.session.delete)(unit)


def delete(kind: Kind, institution_id, unit_id) -> str:
    """删除 a unit nothing depends on (DeleteBlocked says what does); returns its name."""
    with transaction():
        unit = _found(kind, institution_id, unit_id)
        blocked = kind.delete_problems(unit)
        if blocked:
            raise blocked
        name = unit.name
        _remove(kind, unit)
    return name


def move_staff(kind: Kind, institution_id, unit_id, target_id, and_delete: bool = False):
    """Move every active staff member of a unit to another unit of the same institution (resigned records stay
    where they were); with and_delete the emptied unit is deleted too. One transaction: all or nothing. Returns
    (people moved, target)."""
    with transaction():
        unit = _found(kind, institution_id, unit_id)
        target, errors = _move_target(kind, unit, target_id)
        people = list(db.session.scalars(select(Person).where(kind.person_column() == unit.id, SERVING)))
        if not people and not and_delete:
            errors.append(kind.nobody.format(name=unit.name))
        if target is not None and kind.move_problems is not None:
            errors += kind.move_problems(unit, target, people)
        if and_delete and not errors:
            blocked = kind.delete_problems(unit, staff_moved=True)
            if blocked:
                errors += blocked.items
        if errors:
            raise ValidationFailed(errors)
        for person in people:  # through the ORM, so the audit log records each person's change
            setattr(person, kind.column, target.id)
        if and_delete:
            db.session.flush()
            _remove(kind, unit)
    return len(people), target
