"""区域管理 → 统计概览 (issue 16): a regional account's staff figures over its scope.

Where: the caller's region (系统管理员: every region), or a child region / an institution inside it (`region_code`,
`institution_id`; DomainError outside the scope) — the drill-down region → child region → institution.

The comparison: one unit per child region of the region shown and per institution attached to the region itself
(a county: its institutions). Per unit, in SQL with one GROUP BY statement per measure: institutions, staff in post
(the active statuses), 编制 (the current allocation of 机构编制管理: the newest decision per institution) and 在编
(quota's rule: 编制情况 编制内 and 在岗; 空编/超编 compares 核定 with the 在编 of the institutions that have an
allocation), 资料完整度 (services/completeness.py), 执业证书 due within 90 days — the rule of 证书到期提醒: 有效期至 at
most today + 90 days (already expired included) unless the person holds another one valid beyond that (renewed).
Institutions are assigned to units by the region path (one prefix match per institution, not per person).

Staff in post by month (the last 24 months): the rule of 常用统计's 日期 filter (`stats.in_post_during`, the rule's one
statement), month by month — a person is in post in a month if in post on at least one of its days: started work
(参加工作日期 `work_start`; unknown = since always) by the month's end and not gone by its start — gone = the 离职时间
(the first day out of post) of their approved resignation (员工离职, 人员流动); a record out of post without an approved
resignation has no known leaving date and is left out of every month. One GROUP BY statement over the staff gives
the groups (work-start month, month of the last day in post — none while in post —, entry month), the months before
the window folded into one — a few hundred rows at most whatever the number of staff; the in-post series is a
running sum over them, 新增 (the records entered into the system that month, `created_at`) their sum by entry month.
离职 is a second statement: the approved resignations by the month of their 离职时间.
"""
import datetime
from dataclasses import dataclass, field

from sqlalchemy import Integer, and_, case, extract, false, func, literal, literal_column, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from app.domain import review
from app.domain.errors import DomainError
from app.domain.person import IMPORTANT
from app.extensions import db
from app.models.movements import Resignation
from app.models.org import Institution, QuotaAllocation, Region
from app.models.people import Person, PracticeCertificate
from app.services import completeness, quota, scope
from app.services.completeness import Line

REGION_NOT_FOUND = "该地区不存在，或不在您的管理范围内"
INSTITUTION_NOT_FOUND = completeness.INSTITUTION_NOT_FOUND
ONLY_REGIONAL = "只有区域管理账号可以查看统计概览"
EXPIRY_DAYS = 90
MONTHS = 24
KIND = quota.DEFAULT_KIND


# ---- where -------------------------------------------------------------------------------------------------------

@dataclass
class Where:
    """The place shown: a region (None: every region, for 系统管理员) and optionally one institution in it."""

    root: Region | None
    region: Region | None
    institution: Institution | None
    trail: list  # regions from the caller's own down to `region`

    def clause(self, column):
        """WHERE: `column` (an institution id column) inside the place shown."""
        if self.institution is not None:
            return column == self.institution.id
        if self.region is not None:
            return column.in_(scope.region_institution_ids(self.region.path))
        return true()


def _root(user) -> Region | None:
    """The caller's own region (None for 系统管理员: every region); an institution account has no such page."""
    return scope.own_region(user, ONLY_REGIONAL)


_trail = scope.region_trail


def where(user, region_code=None, institution_id=None) -> Where:
    """The caller's region, or `region_code` / `institution_id` inside it (DomainError otherwise)."""
    root = _root(user)
    if institution_id not in (None, ""):
        inst = db.session.get(Institution, institution_id)
        if inst is None or not scope.scope_of(user).allows_institution(inst.id):
            raise DomainError(INSTITUTION_NOT_FOUND)
        return Where(root, inst.region, inst, _trail(root, inst.region))
    region = root
    if region_code and (root is None or region_code != root.code):
        region = db.session.scalar(select(Region).where(Region.code == str(region_code)))
        if region is None or (root is not None and not region.path.startswith(root.path)):
            raise DomainError(REGION_NOT_FOUND)
    return Where(root, region, None, _trail(root, region))


# ---- the comparison ----------------------------------------------------------------------------------------------

@dataclass
class Unit:
    """One row of the comparison: a child region or an institution (or the total)."""

    label: str
    region_code: str | None = None
    institution_id: int | None = None
    institutions: int = 0
    staff: int = 0
    quota: int = 0  # 核定编制 (current allocations)
    allocated: int = 0  # institutions with an allocation
    established: int = 0  # 在编
    covered: int = 0  # 在编 of the institutions with an allocation (what 空编/超编 compares with 核定)
    expiring: int = 0  # 执业证书 due within EXPIRY_DAYS (expired included, renewed ones not)
    completeness: Line = field(default_factory=lambda: Line(None, ""))  # 资料完整度 of its staff in post

    @property
    def vacancy(self) -> int | None:
        """核定 − 在编 over the institutions with an allocation (positive: 空编, negative: 超编); None while none
        has one."""
        return self.quota - self.covered if self.allocated else None


@dataclass
class Comparison:
    where: Where
    units: list
    total: Unit
    expiry_days: int = EXPIRY_DAYS


def _units(place: Where):
    """Subquery (iid, rid, direct): every institution of the region subtree with the child region holding it
    (rid) or, when attached to the region itself, its own id (direct); the institution alone when one is shown."""
    if place.institution is not None:
        return select(Institution.id.label("iid"), literal(None).label("rid"), Institution.id.label("direct")) \
            .where(Institution.id == place.institution.id).subquery("units")
    region = place.region
    own, child = aliased(Region), aliased(Region)
    parent = child.parent_id == region.id if region is not None else child.parent_id.is_(None)
    direct = case((Institution.region_id == region.id, Institution.id)) if region is not None \
        else case((false(), Institution.id))
    stmt = (select(Institution.id.label("iid"), child.id.label("rid"), direct.label("direct"))
            .join(own, own.id == Institution.region_id)
            .outerjoin(child, and_(parent, own.path.startswith(child.path))))
    if region is not None:
        stmt = stmt.where(own.path.startswith(region.path))
    return stmt.subquery("units")


def compare(user, region_code=None, institution_id=None, today=None) -> Comparison:
    """The comparison table of the region shown (see the module); of one institution, its own line."""
    place = where(user, region_code, institution_id)
    region = place.region
    today = today or datetime.date.today()
    units = _units(place)
    unit_of = (units.c.rid, units.c.direct)

    counted = db.session.execute(select(*unit_of, func.count(units.c.iid), func.min(Institution.name))
                                 .select_from(units).join(Institution, Institution.id == units.c.iid)
                                 .group_by(*unit_of)).all()
    established = and_(Person.establishment == quota.ESTABLISHMENT_OF_KIND[KIND], Person.status == quota.ACTIVE_STATUS)
    # per institution first (a plain GROUP BY over the staff), then per unit over those few rows
    per_institution = (select(Person.institution_id.label("iid"), *completeness.measures(),
                              func.sum(case((established, 1), else_=0)).label("established"))
                       .where(completeness.in_post(), place.clause(Person.institution_id))
                       .group_by(Person.institution_id).subquery("per_institution"))
    sums = [func.sum(c).label(c.name) for c in per_institution.c if c.name != "iid"]
    allocated = units.c.iid.in_(select(QuotaAllocation.institution_id).where(QuotaAllocation.kind == KIND))
    staff = db.session.execute(select(*unit_of, *sums,
                                      func.sum(case((allocated, per_institution.c.established), else_=0)).label("covered"))
                               .select_from(units).join(per_institution, per_institution.c.iid == units.c.iid)
                               .group_by(*unit_of)).all()
    number = func.row_number().over(partition_by=QuotaAllocation.institution_id,
                                    order_by=(QuotaAllocation.effective_date.desc(), QuotaAllocation.id.desc()))
    newest = (select(QuotaAllocation.institution_id, QuotaAllocation.total, number.label("n"))
              .where(QuotaAllocation.kind == KIND, place.clause(QuotaAllocation.institution_id)).subquery())
    quotas = db.session.execute(select(*unit_of, func.sum(newest.c.total), func.count(newest.c.institution_id))
                                .select_from(units).join(newest, newest.c.institution_id == units.c.iid)
                                .where(newest.c.n == 1).group_by(*unit_of)).all()
    cert, renewal = PracticeCertificate, PracticeCertificate.__table__.alias("renewal")
    limit = today + datetime.timedelta(days=EXPIRY_DAYS)
    renewed = select(renewal.c.id).where(renewal.c.person_id == cert.person_id,
                                         or_(renewal.c.valid_until.is_(None), renewal.c.valid_until > limit))
    due = (select(cert.institution_id.label("iid"), func.count(cert.id).label("n"))
           .join(Person, Person.id == cert.person_id)
           .where(cert.valid_until.is_not(None), cert.valid_until <= limit, place.clause(cert.institution_id),
                  Person.institution_id == cert.institution_id, completeness.in_post(), ~renewed.exists())
           .group_by(cert.institution_id).subquery("due"))  # from the certificates, not from the staff
    expiring = db.session.execute(
        select(*unit_of, func.sum(due.c.n)).select_from(units).join(due, due.c.iid == units.c.iid)
        .group_by(*unit_of)).all()

    children = [] if place.institution is not None else list(db.session.scalars(select(Region).where(
        Region.parent_id == region.id if region is not None else Region.parent_id.is_(None)).order_by(Region.code)))
    found = {("r", c.id): Unit(c.name, region_code=c.code) for c in children}

    def unit(rid, direct, name=None):
        key = ("r", rid) if rid is not None else ("i", direct)
        return found.setdefault(key, Unit(name or "", institution_id=direct))

    for rid, direct, n, name in counted:
        unit(rid, direct, name).institutions = int(n)
    for row in staff:
        u = unit(row.rid, row.direct)
        u.staff, u.established, u.covered = int(row.staff or 0), int(row.established or 0), int(row.covered or 0)
        u.completeness = completeness.line_of(None, u.label, row)
    for rid, direct, total, n in quotas:
        u = unit(rid, direct)
        u.quota, u.allocated = int(total or 0), int(n or 0)
    for rid, direct, n in expiring:
        unit(rid, direct).expiring = int(n or 0)
    shown = [u for key, u in found.items() if key[0] == "r"] + sorted(
        (u for key, u in found.items() if key[0] == "i"), key=lambda u: u.label)
    return Comparison(place, shown, _total(shown))


def _total(units) -> Unit:
    total = Unit("合计")
    for u in units:
        total.institutions += u.institutions
        total.staff += u.staff
        total.quota += u.quota
        total.allocated += u.allocated
        total.established += u.established
        total.covered += u.covered
        total.expiring += u.expiring
    lines = [u.completeness for u in units]
    total.completeness = Line(None, "合计", staff=sum(line.staff for line in lines),
                                           complete=sum(line.complete for line in lines),
                                           filled={k: sum(line.filled.get(k, 0) for line in lines) for k in IMPORTANT})
    return total


# ---- staff in post by month --------------------------------------------------------------------------------------

@dataclass
class Month:
    start: datetime.date
    in_post: int = 0
    entered: int = 0
    left: int = 0

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"


class _MonthIndex(FunctionElement):
    """SQL: the month of a date/time column as year × 12 + month − 1, an integer (on PostgreSQL through date_part,
    several times faster than EXTRACT's numeric over a province's staff; on SQLite through substr of the ISO text)."""

    type = Integer()
    inherit_cache = True
    name = "month_index"


@compiles(_MonthIndex)
def _month_index_sqlite(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    # SQLAlchemy stores dates and times in SQLite as ISO text (YYYY-MM-DD…): substr is cheaper than strftime
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 6, 2) AS INTEGER) - 1)"


@compiles(_MonthIndex, "postgresql")
def _month_index_postgresql(element, compiler, **kw):
    column = compiler.process(list(element.clauses)[0], **kw)
    return f"(CAST(date_part('year', {column}) AS INTEGER) * 12 + CAST(date_part('month', {column}) AS INTEGER) - 1)"


def _index(column):
    return _MonthIndex(column)


def _months(today, count) -> list[datetime.date]:
    first = today.year * 12 + today.month - 1 - (count - 1)
    return [datetime.date(k // 12, k % 12 + 1, 1) for k in range(first, first + count)]


def _gone(place: Where):
    """Subquery (person_id, last): each person of the place shown gone through an approved resignation of it, and the
    month index of their last day in post — the day before the earliest 离职时间 (stats.in_post_during: the 离职时间 is
    the first day out of post, so a 离职时间 on the 1st ends the previous month)."""
    left_on = func.min(Resignation.leave_date)
    last = _index(left_on) - case((extract("day", left_on) == 1, 1), else_=0)
    return (select(Resignation.person_id, last.label("last"))
            .where(Resignation.status == review.APPROVED, place.clause(Resignation.institution_id))
            .group_by(Resignation.person_id).subquery("gone"))


def _keyed(rows) -> dict[int, int]:
    return {int(k): int(v or 0) for k, v in rows if k is not None}


def _clamped(column, low=None, high=None):
    """`column` with values below `low` as `low` and above `high` as `high` — inlined integers, so that the
    expression in GROUP BY is the selected one on PostgreSQL too (bound parameters would differ)."""
    whens = [(column < literal_column(str(low)), literal_column(str(low)))] if low is not None else []
    whens += [(column > literal_column(str(high)), literal_column(str(high)))] if high is not None else []
    return case(*whens, else_=column)


def by_month(user, region_code=None, institution_id=None, *, months=MONTHS, today=None) -> list[Month]:
    """Staff in post, entered and gone in each of the last `months` months of the place shown (see the module)."""
    place = where(user, region_code, institution_id)
    today = today or datetime.date.today()
    starts = _months(today, months)
    keys = [s.year * 12 + s.month - 1 for s in starts]
    # One GROUP BY statement over the staff of the place, by (work-start month, month of the last day in post, entry
    # month): work-start months (NULL: unknown, since always) and entry months before the window are one group each,
    # last days after it one group, those gone before it or out of post without an approved resignation (never in
    # post) the group "before"; at most a few hundred groups whatever the number of staff.
    before = keys[0] - 1
    gone = _gone(place)
    never = and_(gone.c.person_id.is_(None), ~completeness.in_post())
    each = (select(_clamped(_index(Person.work_start), low=before).label("s"),
                   case((never, literal_column(str(before))), else_=_clamped(gone.c.last, low=before, high=keys[-1]))
                   .label("x"),
                   _clamped(_index(Person.created_at), low=before).label("e"))
            .select_from(Person).outerjoin(gone, gone.c.person_id == Person.id)
            .where(place.clause(Person.institution_id)).subquery("each"))
    groups = db.session.execute(select(each.c.s, each.c.x, each.c.e, func.count())
                                .group_by(each.c.s, each.c.x, each.c.e)).all()
    # the series are sums over those groups
    in_post = {k: sum(int(n) for s, x, _e, n in groups if (s is None or s <= k) and (x is None or x >= k)) for k in keys}
    entered = {k: sum(int(n) for _s, _x, e, n in groups if e == k) for k in keys}
    gone_in = _index(Resignation.leave_date)
    left = _keyed(db.session.execute(
        select(gone_in, func.count(Resignation.id))
        .where(Resignation.status == review.APPROVED, place.clause(Resignation.institution_id),
               Resignation.leave_date >= starts[0])
        .group_by(gone_in)).all())
    return [Month(s, in_post=in_post[k], entered=entered[k], left=left.get(k, 0))
            for s, k in zip(starts, keys, strict=True)]
