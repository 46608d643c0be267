"""常用统计 (spec 6.1, issue 16): staff counted by one or two dimensions, in SQL, within the caller's scope.

`count` answers one GROUP BY statement; `staff_clause` gives the WHERE conditions of the same scope and filters
plus dimension = value pairs, so a drill-down's staff list shows exactly the people behind a cell. Reports and the
regional dashboards reuse `count`, `staff_clause`, `band_case` and the bands (domain/stats.py).

Codes: a dictionary dimension's code is the stored code (在职状态: its name, as stored); 所在科室 the department id
(as a string) when the statistic covers one institution, else the department's name; 岗位, 所学专业 and 人员标签 the
name; 年龄段/工龄段 the band code; 从事专业类别分组 the group name. None is 未填 (NULL or empty). 人员标签 counts
memberships: a person in two groups is in both rows (and nowhere else once in a group; 未填 = in no group).
"""
import datetime
from dataclasses import dataclass, field

from sqlalchemy import and_, case, exists, false, func, literal, or_, select, true

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES
from app.domain.stats import AGE_BANDS, WORK_YEARS_BANDS, Band, band_range
from app.extensions import db
from app.models.movements import Resignation
from app.models.org import Department, Institution, Post, Region
from app.models.people import KeyGroup, Person, key_group_member
from app.services import dictionaries
from app.services.scope import region_institution_ids, scope_of

__all__ = ["AGE_BANDS", "WORK_YEARS_BANDS", "DIMENSIONS", "Dimension", "Filters", "StatTable", "band_case", "count",
           "staff_clause", "in_post_during", "Band", "UNFILLED", "OUT_OF_SCOPE"]

UNFILLED = "未填"
OUT_OF_SCOPE = "所选地区或机构不在您的管理范围内"
APPROVED = "已通过"  # the resignation status that made the person leave (services/resignations.py)


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    column: str | None = None  # the Person column it reads
    dictionary: str | None = None  # the code list naming its values
    kind: str = "code"  # code | department | post | text | band | group | status | key_group


DIMENSIONS: dict[str, Dimension] = {d.key: d for d in (
    Dimension("department", "所在科室", "department_id", kind="department"),
    Dimension("post", "岗位", "post_id", kind="post"),
    Dimension("sex", "性别", "sex", "sex"),
    Dimension("age_band", "年龄段", "birth_date", kind="band"),
    Dimension("ethnicity", "民族", "ethnicity", "ethnicity"),
    Dimension("political", "政治面貌", "political", "political_status"),
    Dimension("education", "学历", "education", "education"),
    Dimension("degree", "学位", "degree", "degree"),
    Dimension("major", "所学专业", "major", kind="text"),
    Dimension("tech_title", "专业技术资格(评)", "tech_title", "tech_title_level"),
    Dimension("tech_post", "专业技术职务(聘)", "tech_post", "tech_title_level"),
    Dimension("practice_category", "执业类别", "practice_category", "practice_category"),
    Dimension("practice_scope", "执业范围", "practice_scope", "practice_scope"),
    Dimension("staff_category", "从事专业类别", "staff_category", "staff_category"),
    Dimension("staff_group", "从事专业类别分组", "staff_category", "staff_category", kind="group"),
    Dimension("establishment", "编制情况", "establishment", "establishment"),
    Dimension("status", "在职状态", "status", "staff_status", kind="status"),
    Dimension("admin_post", "行政/业务管理职务", "admin_post", "admin_post"),
    Dimension("work_years_band", "工龄段", "work_start", kind="band"),
    Dimension("key_group", "人员标签", kind="key_group"),
)}
BANDS = {"age_band": AGE_BANDS, "work_years_band": WORK_YEARS_BANDS}


@dataclass
class Filters:
    department_id: int | None = None  # with its sub-departments
    statuses: tuple[str, ...] | None = None  # None: the active statuses (domain ACTIVE_STATUSES)
    key_group_id: int | None = None
    on: datetime.date | None = None  # staff in post on that date


@dataclass
class StatTable:
    rows: list[tuple[str | None, str]]
    cols: list[tuple[str | None, str]]
    cells: dict[tuple, int] = field(default_factory=dict)

    def cell(self, r, c=None) -> int:
        return self.cells.get((r, c), 0)

    def row_total(self, r) -> int:
        return sum(n for (rr, _), n in self.cells.items() if rr == r)

    def col_total(self, c) -> int:
        return sum(n for (_, cc), n in self.cells.items() if cc == c)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    def share(self, n, of=None) -> float:
        """n as a percentage of `of` (default: the table's total), 0 when the base is empty."""
        base = self.total if of is None else of
        return round(100.0 * n / base, 1) if base else 0.0


# ---- scope -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """Whose staff a statistic covers: `clause` on Person.institution_id; `institution_id` when it is one;
    `of(column)` the same limit on another institution id column (the resignations read by the date filter)."""

    clause: object
    institution_id: int | None
    region_path: str | None = None

    def of(self, column):
        if self.institution_id is not None:
            return column == self.institution_id
        if self.region_path is not None:
            return column.in_(region_institution_ids(self.region_path))
        return true()


def target(user, *, institution_id=None, region_code=None) -> Target:
    """The caller's scope narrowed to a region or an institution inside it; DomainError outside it."""
    scope = scope_of(user)
    if scope.kind == "none":
        raise DomainError("您的账号没有可统计的机构或地区")
    if institution_id not in (None, ""):
        try:
            institution_id = int(institution_id)
        except (TypeError, ValueError):
            raise DomainError(OUT_OF_SCOPE) from None
        if db.session.get(Institution, institution_id) is None or not scope.allows_institution(institution_id):
            raise DomainError(OUT_OF_SCOPE)
        if region_code:
            region = _region(region_code, scope)
            inst = db.session.get(Institution, institution_id)
            if not db.session.get(Region, inst.region_id).path.startswith(region.path):
                raise DomainError(OUT_OF_SCOPE)
        return Target(Person.institution_id == institution_id, institution_id)
    if region_code:
        region = _region(region_code, scope)
        return Target(Person.institution_id.in_(region_institution_ids(region.path)), None, region.path)
    if scope.kind == "institution":
        return Target(Person.institution_id == scope.institution_id, scope.institution_id)
    if scope.kind == "region":
        return Target(Person.institution_id.in_(region_institution_ids(scope.region_path)), None, scope.region_path)
    return Target(true(), None)


def _region(code, scope) -> Region:
    region = db.session.scalar(select(Region).where(Region.code == str(code)))
    if region is None or scope.kind == "institution" or (
            scope.kind == "region" and not region.path.startswith(scope.region_path)):
        raise DomainError(OUT_OF_SCOPE)
    return region


# ---- SQL of the dimensions -----------------------------------------------------------------------------------------

def band_case(column, on: datetime.date, bands=AGE_BANDS):
    """SQL CASE giving the band code of a date column (birth date, 参加工作日期) on `on`; NULL when unknown."""
    whens = [(column.is_(None), literal(None))]
    for band in bands[:-1]:
        after, _ = band_range(band, on)
        whens.append((column > after, literal(band.code)))
    return case(*whens, else_=literal(bands[-1].code))


def _band_condition(column, band: Band, on):
    after, not_after = band_range(band, on)
    parts = [column.is_not(None)]
    if after is not None:
        parts.append(column > after)
    if not_after is not None:
        parts.append(column <= not_after)
    return and_(*parts)


def _group_codes() -> dict[str, list[str]]:
    """从事专业类别 group → its codes, in the order of staff_category.csv."""
    groups: dict[str, list[str]] = {}
    for item in dictionaries.items("staff_category", active_only=False):
        group = (item.extra or {}).get("group")
        if group:
            groups.setdefault(group, []).append(item.code)
    return groups


def _blank(column):
    return or_(column.is_(None), column == "")


@dataclass
class _Ctx:
    on: datetime.date
    single: bool  # one institution: departments by id
    groups: dict


def _expression(dim: Dimension, ctx: _Ctx, joins: list):
    """(SQL expression of the dimension's code for a Person row); adds the outer joins it needs to `joins`."""
    if dim.kind == "band":
        return band_case(getattr(Person, dim.column), ctx.on, BANDS[dim.key])
    if dim.kind == "group":
        whens = [(Person.staff_category.in_(codes), literal(group)) for group, codes in ctx.groups.items()]
        return case(*whens, else_=literal(None)) if whens else literal(None)
    if dim.kind == "department":
        if ctx.single:
            return Person.department_id
        dept = Department.__table__.alias("stat_department")
        joins.append((dept, dept.c.id == Person.department_id))
        return dept.c.name
    if dim.kind == "post":
        post = Post.__table__.alias("stat_post")
        joins.append((post, post.c.id == Person.post_id))
        return post.c.name
    if dim.kind == "key_group":
        member = key_group_member.alias("stat_member")
        group = KeyGroup.__table__.alias("stat_group")
        joins.append((member, member.c.person_id == Person.id))
        joins.append((group, group.c.id == member.c.group_id))
        return group.c.name
    return func.nullif(getattr(Person, dim.column), "")


def _value_condition(dim: Dimension, value, ctx: _Ctx):
    """Person rows whose `dim` has the code `value` (None: 未填) — the drill-down of one row/column of `count`."""
    if value == "":
        value = None
    if dim.kind == "band":
        column = getattr(Person, dim.column)
        if value is None:
            return column.is_(None)
        band = next((b for b in BANDS[dim.key] if b.code == value), None)
        return _band_condition(column, band, ctx.on) if band else false()
    if dim.kind == "group":
        grouped = [c for codes in ctx.groups.values() for c in codes]
        if value is None:
            return or_(Person.staff_category.is_(None), Person.staff_category.not_in(grouped)) if grouped \
                else true()
        codes = ctx.groups.get(value)
        return Person.staff_category.in_(codes) if codes else false()
    if dim.kind == "department":
        if value is None:
            return Person.department_id.is_(None)
        if ctx.single:
            try:
                return Person.department_id == int(value)
            except (TypeError, ValueError):
                return false()
        return Person.department_id.in_(select(Department.id).where(Department.name == value))
    if dim.kind == "post":
        if value is None:
            return Person.post_id.is_(None)
        return Person.post_id.in_(select(Post.id).where(Post.name == value))
    if dim.kind == "key_group":
        member = select(key_group_member.c.person_id).join(KeyGroup, KeyGroup.id == key_group_member.c.group_id)
        if value is None:
            return ~exists(select(key_group_member.c.person_id).where(key_group_member.c.person_id == Person.id))
        return Person.id.in_(member.where(KeyGroup.name == value))
    column = getattr(Person, dim.column)
    return _blank(column) if value is None else column == value


# ---- filters -----------------------------------------------------------------------------------------------------

def _filter_conditions(filters: Filters, tgt: Target) -> list:
    conds = []
    if filters.department_id not in (None, ""):
        dept = db.session.get(Department, int(filters.department_id))
        if dept is None or (tgt.institution_id is not None and dept.institution_id != tgt.institution_id) or (
                tgt.institution_id is None):
            raise DomainError("所选科室不属于所统计的机构")
        from app.services.departments import descendant_ids

        conds.append(Person.department_id.in_({dept.id, *descendant_ids(dept)}))
    if filters.key_group_id not in (None, ""):
        group = db.session.get(KeyGroup, int(filters.key_group_id))
        if group is None or tgt.institution_id is None or group.institution_id != tgt.institution_id:
            raise DomainError("所选人员标签不属于所统计的机构")
        conds.append(Person.id.in_(select(key_group_member.c.person_id)
                                   .where(key_group_member.c.group_id == group.id)))
    if filters.on is None:
        conds.append(Person.status.in_(filters.statuses if filters.statuses is not None else ACTIVE_STATUSES))
    else:
        conds.extend(_in_post_on(filters.on, filters.statuses, tgt))
    return conds


def in_post_during(start: datetime.date, end: datetime.date, resignations=None) -> list:
    """THE rule of "staff in post" over time — conditions on Person: in post on at least one day of [start, end]
    (start == end: on that day). Started work by `end` (参加工作日期 `work_start`; unknown = since always) and not
    left by `start`: active now (ACTIVE_STATUSES) or left through an approved resignation (员工离职, 人员流动) with a
    离职时间 after `start`, and none dated on or before it — the 离职时间 is the first day out of post; a record out of
    post without an approved resignation has no known leaving date and is never in post. `resignations`: a condition
    on Resignation limiting those read (the statistic's scope).

    Used by 常用统计's 日期 filter and the reports' 统计时点 (`Filters.on`: one day), and counted month by month in one
    GROUP BY by region_stats.by_month (区域管理 → 统计概览's 近 24 个月在岗人数; its test compares with this)."""
    # uncorrelated: the approved resignations' people are read once, not once per person (bench/stats.py)
    approved = (Resignation.status == APPROVED, resignations if resignations is not None else true())
    left_after = select(Resignation.person_id).where(*approved, Resignation.leave_date > start)
    left_by = select(Resignation.person_id).where(*approved, Resignation.leave_date <= start)
    return [or_(Person.work_start.is_(None), Person.work_start <= end),
            or_(Person.status.in_(ACTIVE_STATUSES), Person.id.in_(left_after)), Person.id.not_in(left_by)]


def _in_post_on(on: datetime.date, statuses, tgt: Target):
    """Staff in post on `on` (`in_post_during`, one day, the resignations of the scope). Explicit statuses narrow it
    further."""
    conds = in_post_during(on, on, tgt.of(Resignation.institution_id))
    if statuses is not None:
        conds.append(Person.status.in_(statuses))
    return conds


def _ctx(filters: Filters, tgt: Target, dims) -> _Ctx:
    return _Ctx(on=filters.on or datetime.date.today(), single=tgt.institution_id is not None,
                groups=_group_codes() if any(d.kind == "group" for d in dims) else {})


def _dimension(key) -> Dimension:
    try:
        return DIMENSIONS[key]
    except KeyError:
        raise DomainError(f"统计维度“{key}”不存在") from None


# ---- public API --------------------------------------------------------------------------------------------------

def staff_clause(user, *, filters=None, institution_id=None, region_code=None, values=None) -> list:
    """WHERE conditions on Person: the scope (narrowed as in `count`), the filters, and each dimension = code of
    `values` (None: 未填)."""
    filters = filters or Filters()
    values = values or {}
    dims = [_dimension(k) for k in values]
    tgt = target(user, institution_id=institution_id, region_code=region_code)
    ctx = _ctx(filters, tgt, dims)
    conds = [tgt.clause, *_filter_conditions(filters, tgt)]
    conds.extend(_value_condition(d, values[d.key], ctx) for d in dims)
    return conds


def count(user, rows: str, cols: str | None = None, *, filters: Filters | None = None,
          institution_id: int | None = None, region_code: str | None = None) -> StatTable:
    """Staff of the caller's scope counted by one or two dimensions in one GROUP BY statement."""
    filters = filters or Filters()
    row_dim = _dimension(rows)
    col_dim = _dimension(cols) if cols else None
    if col_dim is not None and col_dim.key == row_dim.key:
        raise DomainError("两个统计维度不能相同")
    tgt = target(user, institution_id=institution_id, region_code=region_code)
    ctx = _ctx(filters, tgt, [d for d in (row_dim, col_dim) if d])
    joins: list = []
    row_expr = _expression(row_dim, ctx, joins)
    col_expr = _expression(col_dim, ctx, joins) if col_dim else literal(None)
    inner = select(row_expr.label("r"), col_expr.label("c")).select_from(Person)
    for table, on in joins:
        inner = inner.outerjoin(table, on)
    inner = inner.where(tgt.clause, *_filter_conditions(filters, tgt)).subquery()
    stmt = select(inner.c.r, inner.c.c, func.count()).group_by(inner.c.r, inner.c.c)
    cells = {}
    for r, c, n in db.session.execute(stmt):
        key = (_code(r), _code(c) if col_dim else None)
        cells[key] = cells.get(key, 0) + n
    row_codes = {r for r, _ in cells}
    col_codes = {c for _, c in cells}
    table = StatTable(rows=_axis(row_dim, row_codes, ctx, tgt, cells, 0),
                      cols=_axis(col_dim, col_codes, ctx, tgt, cells, 1) if col_dim else [(None, "人数")],
                      cells=cells)
    return table


def _code(value):
    if value is None or value == "":
        return None
    return str(value)


def _axis(dim: Dimension, codes: set, ctx: _Ctx, tgt: Target, cells, position) -> list[tuple[str | None, str]]:
    """(code, label) of the values present, in the dimension's order, 未填 last."""
    known = _ordered_labels(dim, ctx, tgt, codes)
    out = [(code, label) for code, label in known if code in codes]
    listed = {code for code, _ in out}
    rest = [c for c in codes if c is not None and c not in listed]
    totals = {}
    for key, n in cells.items():
        totals[key[position]] = totals.get(key[position], 0) + n
    rest.sort(key=lambda c: (-totals.get(c, 0), c))  # free text and unknown codes: the largest first
    out.extend((c, c) for c in rest)
    if None in codes:
        out.append((None, UNFILLED))
    return out


def _ordered_labels(dim: Dimension, ctx: _Ctx, tgt: Target, codes) -> list[tuple[str, str]]:
    if dim.kind == "band":
        return [(b.code, b.label) for b in BANDS[dim.key]]
    if dim.kind == "group":
        return [(g, g) for g in ctx.groups]
    if dim.kind == "department" and ctx.single:
        from app.services.departments import tree

        out = []

        def walk(nodes, prefix):
            for node in nodes:
                out.append((str(node.id), prefix + node.name))
                walk(node.children, prefix + node.name + "/")

        walk(tree(tgt.institution_id), "")
        return out
    if dim.kind == "status":
        return [(d.name, d.name) for d in dictionaries.items("staff_status", active_only=False)]
    if dim.dictionary:
        items = dictionaries.items(dim.dictionary, active_only=False)
        if dim.key == "sex":
            return [(d.code, (d.extra or {}).get("short") or d.name) for d in items]
        return [(d.code, d.name) for d in items]
    return []  # names (岗位, 所学专业, 人员标签, 科室 across institutions): by size


def dimension_choices() -> list[tuple[str, str]]:
    return [(d.key, d.label) for d in DIMENSIONS.values()]


# ---- query parameters: the page's filters and the drill-down links ----------------------------------------------

DRILL_PREFIX = "stat_"  # stat_<dimension>=<code>: one cell of a statistic; stat_on, stat_status… its filters
UNFILLED_PARAM = "~"  # the code of 未填 in a link


@dataclass
class Query:
    """What a statistics page or a drill-down link asks: filters, the picked region/institution, the cell."""

    filters: Filters = field(default_factory=Filters)
    institution_id: int | None = None
    region_code: str | None = None
    values: dict = field(default_factory=dict)


def _int(raw, label):
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise DomainError(f"{label}的取值无效：{raw}")
    return int(raw)


def parse_filters(args, prefix="") -> tuple[Filters, int | None, str | None]:
    """(Filters, institution id, region code) from request arguments (`department`, `status` (repeated),
    `key_group`, `on`, `institution`, `region`, each with `prefix`). A wrong value raises DomainError naming it."""
    from app.domain.dates import parse_date

    statuses = tuple(s for s in args.getlist(prefix + "status") if s.strip()) or None
    if statuses is not None and set(statuses) == set(ACTIVE_STATUSES):
        statuses = None  # the default, written short in links
    known = {d.name for d in dictionaries.items("staff_status", active_only=False)}
    for s in statuses or ():
        if s not in known:
            raise DomainError(f"在职状态“{s}”不存在")
    try:
        on = parse_date(args.get(prefix + "on", ""), "统计日期")
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    filters = Filters(department_id=_int(args.get(prefix + "department"), "科室"), statuses=statuses,
                      key_group_id=_int(args.get(prefix + "key_group"), "人员标签"), on=on)
    region = (args.get(prefix + "region") or "").strip() or None
    return filters, _int(args.get(prefix + "institution"), "机构"), region


def filter_args(filters: Filters, institution_id=None, region_code=None, prefix="") -> dict:
    """The request arguments `parse_filters` reads back."""
    out = {}
    if filters.department_id:
        out[prefix + "department"] = filters.department_id
    if filters.statuses is not None:
        out[prefix + "status"] = list(filters.statuses)
    if filters.key_group_id:
        out[prefix + "key_group"] = filters.key_group_id
    if filters.on:
        out[prefix + "on"] = filters.on.isoformat()
    if institution_id:
        out[prefix + "institution"] = institution_id
    if region_code:
        out[prefix + "region"] = region_code
    return out


def drill_args(filters: Filters, values: dict, institution_id=None, region_code=None) -> dict:
    """Query parameters of the staff list showing the people of one cell (`values`: dimension → code)."""
    out = filter_args(filters, institution_id, region_code, DRILL_PREFIX)
    for key, code in values.items():
        out[DRILL_PREFIX + key] = UNFILLED_PARAM if code is None else code
    return out


def parse_drill(args) -> Query | None:
    """The drill-down a staff list was opened with (None: no stat_ parameter)."""
    values = {}
    for name in args:
        if name.startswith(DRILL_PREFIX) and name[len(DRILL_PREFIX):] in DIMENSIONS:
            raw = args.get(name)
            values[name[len(DRILL_PREFIX):]] = None if raw == UNFILLED_PARAM else raw
    if not values and not any(name.startswith(DRILL_PREFIX) for name in args):
        return None
    filters, institution_id, region_code = parse_filters(args, DRILL_PREFIX)
    return Query(filters, institution_id, region_code, values)


def describe(user, query: Query) -> list[tuple[str, str]]:
    """(dimension label, value label) of a drill-down's cell, for the staff list's heading."""
    tgt = target(user, institution_id=query.institution_id, region_code=query.region_code)
    dims = [_dimension(k) for k in query.values]
    ctx = _ctx(query.filters, tgt, dims)
    out = []
    for dim in dims:
        code = query.values[dim.key]
        labels = dict(_ordered_labels(dim, ctx, tgt, {code}))
        out.append((dim.label, UNFILLED if code is None else labels.get(code, code)))
    return out


# ---- pickers -------------------------------------------------------------------------------------------------------

PICKER_MAX = 500  # institutions listed in the picker at once; a larger region is narrowed by its sub-regions first


def region_choices(user) -> list[tuple[str, str]]:
    """(code, indented name) of the regions a regional account (or 系统管理员) may pick, in tree order."""
    scope = scope_of(user)
    if scope.kind not in ("region", "all"):
        return []
    stmt = select(Region.code, Region.name, Region.path, Region.level).order_by(Region.path)
    if scope.kind == "region":
        stmt = stmt.where(Region.path.startswith(scope.region_path))
    rows = db.session.execute(stmt).all()
    top = min((r.level for r in rows), default=0)
    return [(r.code, "\u3000" * (r.level - top) + r.name) for r in rows]


def institution_choices(user, region_code=None) -> tuple[list[tuple[int, str]], int]:
    """((id, name) of the institutions in the picked region or the whole scope — at most PICKER_MAX —, how many
    there are)."""
    scope = scope_of(user)
    if scope.kind not in ("region", "all"):
        return [], 0
    path = _region(region_code, scope).path if region_code else scope.region_path
    where = [Institution.id.in_(region_institution_ids(path))] if path else []
    total = db.session.scalar(select(func.count(Institution.id)).where(*where))
    rows = db.session.execute(select(Institution.id, Institution.name).where(*where)
                              .order_by(Institution.name).limit(PICKER_MAX)).all()
    return [(r.id, r.name) for r in rows], total
