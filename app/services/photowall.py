"""人员信息查询 (spec 4.5): the photo wall of one institution's staff — department list with counts, filters, pages.

Reads only. A page costs one query for its people (department and post eager-loaded) and one count, plus one
query for the departments and one for their counts.
"""
import math
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.org import Department
from app.models.people import Person
from app.services import dictionaries

PER_PAGE = 24
SERVING = "在职"  # the default status filter: every serving status (ACTIVE_STATUSES)
EVERYONE = "全部"
UNASSIGNED = "none"  # department filter value: staff without a department


@dataclass
class DepartmentEntry:
    """One department in tree order; `count` includes the departments below it."""

    id: int
    name: str
    depth: int
    active: bool
    count: int = 0
    below: set = field(default_factory=set)  # ids of this department and every one under it


@dataclass
class WallPage:
    people: list
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def first(self):
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self):
        return min(self.page * self.per_page, self.total)


def dictionary_lists() -> dict:
    """The dictionaries of the wall (在职状态, 职称), read in one statement."""
    return dictionaries.items_of(("staff_status", "tech_title_level"), active_only=False)


def status_options(lists=None) -> list[tuple[str, str]]:
    """(value, label) of the 在职状态 filter: serving staff (default), everyone, then each status. `lists`:
    `dictionary_lists()` when the caller has it."""
    statuses = [d.name for d in (lists or dictionary_lists())["staff_status"]]
    return [(SERVING, "在职人员"), (EVERYONE, "全部人员")] + [(s, s) for s in statuses]


def _status_clause(status):
    if not status or status == SERVING:
        return Person.status.in_(ACTIVE_STATUSES)
    if status == EVERYONE:
        return None
    return Person.status == status


def departments(institution_id, status=SERVING) -> tuple[list[DepartmentEntry], int, int]:
    """Every department of the institution in tree order (序号 under each parent) with staff counts under the
    status filter; then the number of such staff without a department, and of all such staff."""
    rows = list(db.session.execute(
        select(Department.id, Department.parent_id, Department.name, Department.active)
        .where(Department.institution_id == institution_id).order_by(Department.seq, Department.id)).all())
    stmt = select(Person.department_id, func.count(Person.id)).where(Person.institution_id == institution_id)
    clause = _status_clause(status)
    if clause is not None:
        stmt = stmt.where(clause)
    direct = dict(db.session.execute(stmt.group_by(Person.department_id)).all())

    children = {}
    ids = {r.id for r in rows}
    for r in rows:
        parent = r.parent_id if r.parent_id in ids else None
        children.setdefault(parent, []).append(r)
    ordered = []

    def visit(parent_id, depth):
        entries = []
        for r in children.get(parent_id, []):
            entry = DepartmentEntry(id=r.id, name=r.name, depth=depth, active=r.active, below={r.id})
            ordered.append(entry)
            for child in visit(r.id, depth + 1):
                entry.below |= child.below
            entry.count = sum(direct.get(i, 0) for i in entry.below)
            entries.append(entry)
        return entries

    visit(None, 1)
    return ordered, direct.get(None, 0), sum(direct.values())


def wall_page(institution_id, *, department_ids=None, unassigned=False, status=SERVING, text="", page=1,
              per_page=PER_PAGE) -> WallPage:
    """One page of staff cards. `department_ids`: a department with everything below it; `unassigned`: staff
    without a department; `text`: part of a 姓名, or a whole 证件号码."""
    conditions = [Person.institution_id == institution_id]
    clause = _status_clause(status)
    if clause is not None:
        conditions.append(clause)
    if unassigned:
        conditions.append(Person.department_id.is_(None))
    elif department_ids:
        conditions.append(Person.department_id.in_(sorted(department_ids)))
    text = (text or "").strip()
    if text:
        conditions.append(or_(Person.name.contains(text, autoescape=True), Person.id_number == text.upper()))
    total = db.session.scalar(select(func.count(Person.id)).where(*conditions)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, int(page or 1)), pages)
    people = list(db.session.scalars(
        select(Person).where(*conditions)
        .options(joinedload(Person.department), joinedload(Person.post))
        .order_by(Person.name, Person.id).offset((page - 1) * per_page).limit(per_page)))
    return WallPage(people=people, total=total, page=page, pages=pages, per_page=per_page)


def title_names(lists=None) -> dict[str, str]:
    """tech_title_level code → name (正高, 副高…) for the 职称 line of a card."""
    return {d.code: d.name for d in (lists or dictionary_lists())["tech_title_level"]}
