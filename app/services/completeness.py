"""资料完整度 (spec 6.1, issue 16): of the staff in post, how many have each ★ field of the 基本信息 form filled.

The ★ fields are the domain's IMPORTANT (the yellow stars of the form and the people list's completeness bar,
domain/person.py); a text field counts as filled when it holds more than blanks (see TYPED). Staff in post are those
of the active statuses (ACTIVE_STATUSES). Everything is counted in SQL: one statement with a SUM(CASE …) per field,
grouped by department (the institution's table) or by institution (the regional comparison,
services/region_stats.py); the list of what is missing reads one page of people with a flag per field.

Scope: an institution account sees its institution; a regional account picks one inside its region subtree
(DomainError outside it); 系统管理员 any.
"""
from dataclasses import dataclass, field

from sqlalchemy import String, and_, case, func, select

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES, IMPORTANT, LABELS
from app.extensions import db
from app.models.org import Department, Institution
from app.models.people import Person
from app.services import orgtree, scope

FIELDS = tuple((key, LABELS[key]) for key in IMPORTANT)
INSTITUTION_NOT_FOUND = "该机构不存在，或不在您的管理范围内"
DEPARTMENT_NOT_FOUND = "该科室不存在"
FIELD_NOT_FOUND = "没有这个重要信息项"
NO_DEPARTMENT = 0  # the department filter's value for staff without a department
PER_PAGE = 50


# ★ text fields typed by hand, where blanks count as empty (the domain's _blank); the other text fields hold dictionary
# codes, checked against the dictionary on every save and import, so an empty string is their only blank — comparing
# without trim() keeps a province's completeness (16 fields × 500,000 staff) several times cheaper.
TYPED = ("name", "id_number", "phone")


def filled(key: str):
    """SQL: the ★ field `key` of Person holds a value (typed text: something other than blanks)."""
    column = getattr(Person, key)
    if key in TYPED:
        return and_(column.is_not(None), func.trim(column) != "")
    if isinstance(column.type, String):
        return and_(column.is_not(None), column != "")
    return column.is_not(None)


def _flag(condition):
    return case((condition, 1), else_=0)


def all_filled():
    return and_(*(filled(key) for key in IMPORTANT))


def measures():
    """The SQL aggregates of one group of people: staff, each field's filled count, the staff with every ★ field."""
    return [func.count(Person.id).label("staff"),
            *(func.sum(_flag(filled(key))).label(f"f_{key}") for key in IMPORTANT),
            func.sum(_flag(all_filled())).label("complete")]


def in_post():
    return Person.status.in_(ACTIVE_STATUSES)


def percent(part, whole) -> float | None:
    """part / whole as a percentage with one decimal (None without a whole)."""
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Line:
    """One department (or the institution's total): staff in post, filled count per field, staff complete."""

    key: int | None
    label: str
    depth: int = 0
    staff: int = 0
    filled: dict = field(default_factory=dict)  # field → count
    complete: int = 0

    def share(self, key) -> float | None:
        """Share of the staff with field `key` filled (%)."""
        return percent(self.filled.get(key, 0), self.staff)

    @property
    def complete_share(self) -> float | None:
        """Share of the staff with every ★ field filled (%)."""
        return percent(self.complete, self.staff)

    @property
    def average(self) -> float | None:
        """Mean completeness of the staff (the people list's per-person figure, averaged): filled / (fields × staff)."""
        return percent(sum(self.filled.values()), len(IMPORTANT) * self.staff)

    @property
    def missing(self) -> int:
        return self.staff - self.complete


@dataclass
class Report:
    institution: Institution
    fields: tuple
    lines: list
    total: Line


def institution_for(user, institution_id=None) -> Institution | None:
    """The institution shown: an institution account's own (another one refused); for a regional account the
    one asked for inside its scope (None when none is asked: the page offers the picker)."""
    sc = scope.scope_of(user)
    if sc.kind == "institution":
        if institution_id not in (None, "", sc.institution_id):
            raise DomainError(INSTITUTION_NOT_FOUND)
        return db.session.get(Institution, sc.institution_id)
    if sc.kind == "none":
        raise DomainError(INSTITUTION_NOT_FOUND)
    if institution_id in (None, ""):
        return None
    inst = db.session.get(Institution, institution_id)
    if inst is None or not sc.allows_institution(inst.id):
        raise DomainError(INSTITUTION_NOT_FOUND)
    return inst


def line_of(key, label, row, depth=0) -> Line:
    return Line(key, label, depth, staff=int(row.staff or 0),
                filled={k: int(getattr(row, f"f_{k}") or 0) for k in IMPORTANT}, complete=int(row.complete or 0))


def by_department(user, institution_id=None) -> Report | None:
    """The institution's table: per department (its own staff, in tree order; 未分配科室 last) and the total."""
    inst = institution_for(user, institution_id)
    if inst is None:
        return None
    rows = {r.department_id: r for r in db.session.execute(
        select(Person.department_id, *measures()).where(Person.institution_id == inst.id, in_post())
        .group_by(Person.department_id))}
    depts = orgtree.tree_order(list(db.session.scalars(select(Department).where(
        Department.institution_id == inst.id).order_by(Department.seq, Department.id))))
    uses = {}
    for d, _depth, _path in depts:
        uses[d.name] = uses.get(d.name, 0) + 1
    lines = [line_of(d.id, path if uses[d.name] > 1 else d.name, rows[d.id], depth)
             for d, depth, path in depts if d.id in rows]
    if None in rows:
        lines.append(line_of(NO_DEPARTMENT, "未分配科室", rows[None]))
    total = Line(None, "合计", staff=sum(line.staff for line in lines), complete=sum(line.complete for line in lines),
                 filled={k: sum(line.filled[k] for line in lines) for k in IMPORTANT})
    return Report(inst, FIELDS, lines, total)


@dataclass
class Missing:
    """One person with ★ fields empty."""

    person_id: int
    name: str
    staff_no: str | None
    department: str | None
    fields: list  # labels of the empty ★ fields


@dataclass
class MissingPage:
    institution: Institution
    rows: list
    total: int
    page: int
    pages: int


def missing(user, institution_id=None, *, department_id=None, field_key=None, page=1, per_page=PER_PAGE) -> MissingPage:
    """The staff in post of the institution with at least one ★ field empty (or `field_key` empty), of one
    department (`department_id`; NO_DEPARTMENT: those without one), a page at a time, each with what is missing."""
    inst = institution_for(user, institution_id)
    if inst is None:
        raise DomainError(INSTITUTION_NOT_FOUND)
    where = [Person.institution_id == inst.id, in_post()]
    if field_key:
        if field_key not in IMPORTANT:
            raise DomainError(FIELD_NOT_FOUND)
        where.append(~filled(field_key))
    else:
        where.append(~all_filled())
    if department_id == NO_DEPARTMENT:
        where.append(Person.department_id.is_(None))
    elif department_id is not None:
        if not db.session.scalar(select(Department.id).where(Department.id == department_id,
                                                             Department.institution_id == inst.id)):
            raise DomainError(DEPARTMENT_NOT_FOUND)
        where.append(Person.department_id == department_id)
    total = db.session.scalar(select(func.count(Person.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, int(page or 1)), pages)
    stmt = (select(Person.id, Person.name, Person.staff_no, Department.name,
                   *(_flag(filled(k)).label(f"f_{k}") for k in IMPORTANT))
            .outerjoin(Department, Department.id == Person.department_id).where(*where)
            .order_by(Department.seq.is_(None), Department.seq, Department.id, Person.staff_no.is_(None),
                      Person.staff_no, Person.name, Person.id)
            .limit(per_page).offset((page - 1) * per_page))
    rows = [Missing(r[0], r[1], r[2], r[3], [LABELS[k] for k in IMPORTANT if not getattr(r, f"f_{k}")])
            for r in db.session.execute(stmt)]
    return MissingPage(inst, rows, total, page, pages)
