"""常用报表 (spec 6.2, issue 16): the standard reports of 统计分析 — each a table on the page and the same figures as a
formatted workbook (services/workbooks.py `Report`, `report_workbook`).

Every report is of a *target*: an institution account's own institution; a regional account's chosen institution
of its region subtree, or its whole scope (then the rows are the institutions instead of the departments); 系统管理员
likewise over every institution. The figures are counted in SQL (GROUP BY) and reuse the services that own them:
`stats` (人员基本情况), `quota` (编制使用情况: the very figures of 机构编制管理), the movements' definitions of
`transfers.movements` and the reviewed resignations (人员流动情况).
"""
import datetime
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, select, true
from sqlalchemy.orm import aliased

from app.domain import review
from app.domain.errors import DomainError
from app.extensions import db
from app.models.movements import Resignation
from app.models.org import Department, Institution, Post, Region
from app.models.people import Person
from app.services import dictionaries, orgtree, quota, stats
from app.services.scope import scope_of
from app.services.workbooks import Group, Report

IN_ESTABLISHMENT = "1"  # dictionary establishment: 编制内
STAFF_GROUPS = ("卫生技术人员", "乡村医生和卫生员", "其他技术人员", "管理人员", "工勤技能人员")
UNFILLED = "未填"
NO_DEPARTMENT = "未分配科室"
OUT_OF_SCOPE = "只能查看本机构或本辖区机构的报表"
INFLOW, OUTFLOW = "流入", "流出"
TRANSFERRED_IN = "12"  # staff_flow.csv 流入: 其他卫生机构调入
GRADUATE_IN = "11"  # staff_flow.csv 流入: 高、中等院校毕业生
# the 编制 split of an allocation (quota.SPLIT column) → the 岗位类别 of posts.CATEGORIES it is counted against
SPLIT_CATEGORY = {"management": "管理岗", "professional": "专业技术岗", "support": "工勤技能岗"}


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: str
    description: str


KINDS = (
    ReportKind("basic", "人员基本情况统计表", "按从事专业类别统计人员的性别、年龄段、学历、专业技术资格构成"),
    ReportKind("departments", "科室人员分布表", "各科室（全辖区：各机构）按从事专业类别分组的人数，分编制内、编制外"),
    ReportKind("quota", "编制使用情况表", "各科室（全辖区：各机构）的编制数、在编人数、空编、超编，与“机构编制管理”一致"),
    ReportKind("flow", "人员流动情况表", "统计期间内按国家人员流动代码统计的流入、流出人数"),
)
BY_KEY = {k.key: k for k in KINDS}


# ---- whose report ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """What a report is of: one institution (`institution`), or the caller's whole scope (`institution` None)."""

    institution: Institution | None
    name: str  # 填报单位

    @property
    def institution_id(self):
        return self.institution.id if self.institution else None


def institutions(user) -> list[Institution]:
    """The institutions a regional account (or 系统管理员) may pick; none for an institution account."""
    s = scope_of(user)
    if s.kind not in ("region", "all"):
        return []
    stmt = select(Institution).join(Region, Institution.region_id == Region.id).order_by(Region.path, Institution.code)
    clause = s.institutions_clause(Institution.id)
    return list(db.session.scalars(stmt if clause is None else stmt.where(clause)))


def target(user, institution_id=None) -> Target:
    """The caller's institution; for a regional account the chosen institution of its scope (DomainError outside
    it), or its whole scope when none is chosen."""
    s = scope_of(user)
    if s.kind == "institution":
        inst = db.session.get(Institution, s.institution_id)
        if institution_id not in (None, "", inst.id, str(inst.id)):
            raise DomainError(OUT_OF_SCOPE)
        return Target(inst, inst.name)
    if s.kind == "none":
        raise DomainError(OUT_OF_SCOPE)
    if institution_id not in (None, ""):
        inst = db.session.get(Institution, int(institution_id)) if str(institution_id).isdigit() else None
        if inst is None or not s.allows_institution(inst.id):
            raise DomainError(OUT_OF_SCOPE)
        return Target(inst, inst.name)
    name = user.region.name + "（全辖区）" if s.kind == "region" else "全部机构"
    return Target(None, name)


def _scoped(user, tgt: Target, column):
    """The WHERE condition limiting an institution id column to the target (within the caller's scope)."""
    if tgt.institution is not None:
        return column == tgt.institution.id
    clause = scope_of(user).institutions_clause(column)
    return true() if clause is None else clause


def made_by(user) -> str:
    """制表人: the account's name as the top bar shows it."""
    return (user.get_full_name() or "").strip() or user.username


def _rows_of(user, tgt: Target, counted=frozenset()):
    """The report's row heads: (key, label, depth). One institution: its departments in tree order (a disabled one
    only when it has figures: `counted` keys); whole scope: the institutions."""
    if tgt.institution is None:
        return [(i.id, i.name, 1) for i in institutions(user)]
    depts = orgtree.tree_order(list(db.session.scalars(select(Department).where(
        Department.institution_id == tgt.institution.id).order_by(Department.seq, Department.id))))
    return [(d.id, d.name, depth) for d, depth, _path in depts if d.active or d.id in counted]


def _groups() -> dict[str, list[str]]:
    """从事专业类别 group → its codes, in the order of staff_category.csv (the groups of stats' staff_group)."""
    out: dict[str, list[str]] = {}
    for d in dictionaries.items("staff_category", active_only=False):
        if (d.extra or {}).get("group"):
            out.setdefault(d.extra["group"], []).append(d.code)
    return out


def _group_case():
    """SQL CASE: 从事专业类别 code → its group (staff_category.csv `group`); NULL when not filled."""
    whens = [(Person.staff_category.in_(codes), literal(group)) for group, codes in _groups().items()]
    return case(*whens, else_=literal(None)) if whens else literal(None)


# ---- 人员基本情况统计表 ------------------------------------------------------------------------------------------

def _filters(on: datetime.date | None) -> stats.Filters:
    """The statistics' filters for a 统计时点: today is the active statuses; an earlier day is the staff in post
    on that day (stats.Filters.on: not left by then through a reviewed resignation)."""
    return stats.Filters(on=on if on is not None and on < datetime.date.today() else None)


def _basic_columns() -> list[tuple[str, list[tuple[str, set | None]]]]:
    """The column groups: (dimension key, [(label, codes)]); codes None = every code no other column takes (其他 /
    未填, shown only when someone is in it)."""
    sexes = {}
    for d in dictionaries.items("sex", active_only=False):
        short = (d.extra or {}).get("short")
        if short:
            sexes.setdefault(short, set()).add(d.code)
    schooling = {}
    for d in dictionaries.items("education", active_only=False):
        schooling.setdefault((d.extra or {}).get("yearbook_group") or d.name, set()).add(d.code)
    titles = [(d.name, {d.code}) for d in dictionaries.items("tech_title_level", active_only=False)]
    return [
        ("sex", [*((label, codes) for label, codes in sexes.items()), ("未说明", None)]),
        ("age_band", [*((b.label, {b.code}) for b in stats.AGE_BANDS), ("未填", None)]),
        ("education", [*schooling.items(), ("未填", None)]),
        ("tech_title", [*((label, codes) for label, codes in titles if label != "待聘"), ("待聘/未评", None)]),
    ]


def _basic_rows() -> list[tuple[str, set | None]]:
    """Row heads: each 从事专业类别 group, followed by its categories when it has more than its own name; then 未填."""
    out = []
    names = {d.code: d.name for d in dictionaries.items("staff_category", active_only=False)}
    for group, codes in _groups().items():
        if len(codes) == 1 and names[codes[0]] == group:
            out.append((group, set(codes)))
            continue
        out.append((group, set(codes)))
        out.extend(("　" + names[c], {c}) for c in codes)
    out.append((UNFILLED, None))
    return out


def basic_report(user, institution_id=None, *, on: datetime.date | None = None) -> Report:
    """从事专业类别 (rows: each group and its categories) × 性别, 年龄段, 学历 (年鉴分组), 专业技术资格 — four
    statistics of the core (stats.count: 从事专业类别 × the column's dimension, one GROUP BY each), two header levels."""
    tgt = target(user, institution_id)
    on = on or datetime.date.today()
    filters = _filters(on)
    rows_spec = _basic_rows()
    listed_rows = set().union(*(codes for _label, codes in rows_spec if codes))
    columns = _basic_columns()
    tables = {dim: stats.count(user, "staff_category", dim, filters=filters, institution_id=tgt.institution_id)
              for dim, _cols in columns}

    def in_row(code, codes):
        return code in codes if codes is not None else code not in listed_rows

    def cell(table, row_codes, col_codes, taken):
        return sum(n for (r, c), n in table.cells.items() if in_row(r, row_codes)
                   and (c in col_codes if col_codes is not None else c not in taken))

    headers = ["从事专业类别", "人数"]
    shown = []  # (dimension, label, codes, taken) of the columns kept
    for dim, cols in columns:
        taken = set().union(*(codes for _label, codes in cols if codes))
        kept = [(label, codes) for label, codes in cols
                if codes is not None or any(c not in taken for (_r, c) in tables[dim].cells)]
        headers.append(Group(stats.DIMENSIONS[dim].label, tuple(label for label, _codes in kept)))
        shown.extend((dim, label, codes, taken) for label, codes in kept)
    first = tables[columns[0][0]]
    rows = []
    for label, codes in rows_spec:
        total = sum(n for (r, _c), n in first.cells.items() if in_row(r, codes))
        if codes is None and not total:
            continue  # 未填 only when someone has no 从事专业类别
        rows.append([label, total, *[cell(tables[dim], codes, col_codes, taken)
                                     for dim, _label, col_codes, taken in shown]])
    totals = ["合计", first.total, *[sum(n for (_r, c), n in tables[dim].cells.items()
                                          if (c in col_codes if col_codes is not None else c not in taken))
                                      for dim, _label, col_codes, taken in shown]]
    return Report(
        title=BY_KEY["basic"].title, institution=tgt.name, as_of=on.isoformat(), made_by=made_by(user),
        headers=headers, rows=rows, totals=totals,
        notes=("人员：统计时点在职（在岗、试用期考核、借调、长期病休）的人员；分组行是其下各类别之和，合计不重复计算。"
               "年龄段按统计时点的周岁；学历按卫生统计年鉴的分组。",))


# ---- 科室人员分布表 ------------------------------------------------------------------------------------------------

def departments_report(user, institution_id=None, *, on: datetime.date | None = None) -> Report:
    """科室 (whole scope: 机构) × 从事专业类别 group, each split 编制内 / 编制外 (编制外: any other 编制情况 or none)."""
    tgt = target(user, institution_id)
    on = on or datetime.date.today()
    row_key = Person.institution_id if tgt.institution is None else Person.department_id
    group = _group_case()
    inside = case((Person.establishment == IN_ESTABLISHMENT, 1), else_=0)
    counts = {}
    for key, grp, ins, n in db.session.execute(
            select(row_key, group, inside, func.count(Person.id))
            .where(*stats.staff_clause(user, filters=_filters(on), institution_id=tgt.institution_id))
            .group_by(row_key, group, inside)):
        counts[(key, grp, bool(ins))] = counts.get((key, grp, bool(ins)), 0) + n
    groups = list(STAFF_GROUPS)
    if any(k[1] is None for k in counts):
        groups.append(None)

    def line(key):
        out = [sum(n for k, n in counts.items() if k[0] == key and k[2] == ins) for ins in (True, False)]
        out = [sum(out), *out]
        for g in groups:
            out += [counts.get((key, g, True), 0), counts.get((key, g, False), 0)]
        return out

    heads = _rows_of(user, tgt, {k[0] for k in counts})
    known = {key for key, _label, _depth in heads}
    rows = [[("　" * (depth - 1)) + label, *line(key)] for key, label, depth in heads]
    rest = {k[0] for k in counts} - known
    if rest:  # staff without a department (or in one the tree does not show)
        rows.append([NO_DEPARTMENT, *[sum(v) for v in zip(*(line(k) for k in rest), strict=True)]])
    totals = ["合计", *[sum(r[c] for r in rows) for c in range(1, len(rows[0]))]] if rows else None
    return Report(
        title=BY_KEY["departments"].title, institution=tgt.name, as_of=on.isoformat(), made_by=made_by(user),
        headers=["机构" if tgt.institution is None else "科室", Group("合计", ("人数", "编制内", "编制外")),
                 *[Group(g or "从事专业类别未填", ("编制内", "编制外")) for g in groups]],
        rows=rows, totals=totals,
        notes=("人员：统计时点在职（在岗、试用期考核、借调、长期病休）的人员；编制内：编制情况为“编制内”，其余（合同制、临聘、返聘、其他、"
               "未填）计为编制外。人员计入其所在科室，不含下级科室。",))


# ---- 编制使用情况表 ------------------------------------------------------------------------------------------------

QUOTA_COLUMNS = ("编制数", "在编人数", "空编", "超编")


def quota_report(user, institution_id=None, kind=quota.DEFAULT_KIND) -> list[Report]:
    """The figures of 机构编制管理 (services/quota.py): one institution — 编制数, 在编, 空编, 超编 per department
    (quota.sheet) and the allocation's 岗位类别 split against the 在编 staff of each 岗位类别; whole scope — the
    regional page's figures per institution (quota.regional_overview)."""
    tgt = target(user, institution_id)
    today = datetime.date.today().isoformat()
    if tgt.institution is None:
        rows = []
        for r in quota.regional_overview(user, kind):
            total = r.allocation.total if r.allocation else 0
            rows.append([r.institution.name, total, r.distributed, r.established,
                         max(total - r.established, 0), max(r.established - total, 0)])
        totals = ["合计", *[sum(r[c] for r in rows) for c in range(1, 6)]] if rows else None
        return [Report(title=f"{BY_KEY['quota'].title}（{kind}）", institution=tgt.name, as_of=today,
                       made_by=made_by(user), headers=["机构", "核定编制数", "已分配到科室", "在编人数", "空编", "超编"],
                       rows=rows, totals=totals,
                       notes=("核定编制数：上级最新核定；在编人数：编制情况为“编制内”且在岗的人员；"
                              "未核定的机构编制数按 0 计。",))]
    sheet = quota.sheet(tgt.institution.id, kind)
    rows = [[("　" * (line.depth - 1)) + line.label, line.amount, line.established, line.vacant, line.over]
            for line in sheet.lines]
    if sheet.remaining or sheet.unassigned_established:
        rows.append(["未分配到科室", sheet.remaining, sheet.unassigned_established, sheet.undistributed_vacant,
                     sheet.undistributed_over])
    totals = ["合计", sheet.total_amount + sheet.remaining, sheet.total_established, sheet.total_vacant, sheet.total_over]
    alloc = sheet.allocation
    notes = [f"上级核定{kind} {alloc.total} 名（文号：{alloc.document_no}，{alloc.effective_date.isoformat()} 起生效）。"
             if alloc else f"本机构的{kind}尚未由上级核定。",
             "“未分配到科室”一行：尚未分配到科室的编制与没有科室的在编人员；空编合计 − 超编合计 = 核定 − 在编。"]
    by_department = Report(title=f"{BY_KEY['quota'].title}（{kind}）", institution=tgt.name, as_of=today,
                           made_by=made_by(user), headers=["科室", *QUOTA_COLUMNS], rows=rows, totals=totals,
                           notes=tuple(notes))
    established = dict(db.session.execute(
        select(Post.category, func.count(Person.id)).select_from(Person).outerjoin(Post, Post.id == Person.post_id)
        .where(Person.institution_id == tgt.institution.id, quota.in_establishment(kind))
        .group_by(Post.category)).all())
    cat_rows = []
    for column, label in quota.SPLIT:
        amount = getattr(alloc, column) if alloc else None
        have = established.get(SPLIT_CATEGORY[column], 0)
        cat_rows.append([label, amount if amount is not None else "未分类", have,
                         max(amount - have, 0) if amount is not None else None,
                         max(have - amount, 0) if amount is not None else None])
    other = sum(n for c, n in established.items() if c not in SPLIT_CATEGORY.values())
    if other:
        cat_rows.append(["未定岗位类别", None, other, None, None])
    by_category = Report(title=f"{BY_KEY['quota'].title}（{kind}，按岗位类别）", institution=tgt.name, as_of=today,
                         made_by=made_by(user), headers=["岗位类别", *QUOTA_COLUMNS], rows=cat_rows,
                         totals=["合计", alloc.total if alloc else 0, sheet.total_established,
                                 max(sheet.institution_difference, 0), max(-sheet.institution_difference, 0)],
                         notes=("编制数：上级核定时的岗位类别划分（未划分的为“未分类”）；在编人数按人员所在岗位的岗位类别统计。",))
    return [by_department, by_category]


# ---- 人员流动情况表 ------------------------------------------------------------------------------------------------

def flow_codes() -> dict[str, list[tuple[str, str]]]:
    """{流入|流出: [(code, name)]} of staff_flow.csv, in its order."""
    out = {INFLOW: [], OUTFLOW: []}
    for d in dictionaries.items("staff_flow", active_only=False):
        out.setdefault((d.extra or {}).get("direction"), []).append((d.code, d.name))
    return out


def _period_bounds(start, end):
    return (datetime.datetime.combine(start, datetime.time()),
            datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time()))


def flow_counts(user, tgt: Target, start: datetime.date, end: datetime.date) -> tuple[dict, int]:
    """({(row key, code): count}, unclassified) of the period. 流出: reviewed (已通过) resignations with 离职时间 in the
    period, by their 离职类型 — the 流出 of 人员流动 (transfers.movements). 流入: records created in the period whose
    证件号码 had an earlier record in another institution — the 流入 of 人员流动 — as 12 其他卫生机构调入; other new
    records whose 参加工作日期 falls in the period (a first job) as 11 高、中等院校毕业生. Other records created in the
    period (e.g. the first entry of existing staff) have no recorded source and are returned as `unclassified`."""
    first, after = _period_bounds(start, end)
    by_inst = tgt.institution is None
    out_key = Resignation.institution_id if by_inst else Person.department_id
    counts = {}
    for key, code, n in db.session.execute(
            select(out_key, Resignation.flow_type, func.count(Resignation.id))
            .join(Person, Person.id == Resignation.person_id)
            .where(Resignation.status == review.APPROVED, Resignation.leave_date >= start,
                   Resignation.leave_date <= end, _scoped(user, tgt, Resignation.institution_id))
            .group_by(out_key, Resignation.flow_type)):
        counts[(key, code)] = counts.get((key, code), 0) + n
    earlier = aliased(Person)
    moved = select(earlier.id).where(earlier.id_number == Person.id_number,
                                     earlier.institution_id != Person.institution_id,
                                     earlier.created_at < Person.created_at).exists()
    code = case((moved, TRANSFERRED_IN),
                (and_(Person.work_start >= start, Person.work_start <= end), GRADUATE_IN), else_=None)
    in_key = Person.institution_id if by_inst else Person.department_id
    unclassified = 0
    for key, c, n in db.session.execute(
            select(in_key, code, func.count(Person.id))
            .where(Person.created_at >= first, Person.created_at < after, _scoped(user, tgt, Person.institution_id))
            .group_by(in_key, code)):
        if c is None:
            unclassified += n
        else:
            counts[(key, c)] = counts.get((key, c), 0) + n
    return counts, unclassified


def flow_report(user, institution_id=None, *, start: datetime.date, end: datetime.date) -> Report:
    """流入 / 流出 by the national codes of staff_flow.csv over [start, end], per department (whole scope: per
    institution), with the subtotals of each direction."""
    if end < start:
        raise DomainError("统计期间的结束日期不能早于开始日期")
    tgt = target(user, institution_id)
    codes = flow_codes()
    counts, unclassified = flow_counts(user, tgt, start, end)

    def line(key):
        out = []
        for direction in (INFLOW, OUTFLOW):
            values = [counts.get((key, c), 0) for c, _name in codes[direction]]
            out += [sum(values), *values]
        return out

    heads = _rows_of(user, tgt, {k[0] for k in counts})
    known = {key for key, _label, _depth in heads}
    rows = [[("　" * (depth - 1)) + label, *line(key)] for key, label, depth in heads]
    rest = {k[0] for k in counts} - known
    if rest:
        rows.append([NO_DEPARTMENT, *[sum(v) for v in zip(*(line(k) for k in rest), strict=True)]])
    totals = ["合计", *[sum(r[c] for r in rows) for c in range(1, len(rows[0]))]] if rows else None
    notes = ["流出：期间内审核通过的员工离职，按离职时间与离职类型；流入：期间内录入、此前在其他机构有记录的人员计为"
             "“其他卫生机构调入”（与“人员流动”页面的口径一致），参加工作日期在期间内的新录入人员计为“高、中等院校毕业生”。"]
    if unclassified:
        notes.append(f"期间内另有 {unclassified} 人新录入但未登记来源（如系统启用时录入的原有人员），未计入流入。")
    return Report(
        title=BY_KEY["flow"].title, institution=tgt.name, as_of=f"{start.isoformat()} 至 {end.isoformat()}",
        made_by=made_by(user),
        headers=["机构" if tgt.institution is None else "科室",
                 *[Group(direction, ("小计", *[f"{c} {name}" for c, name in codes[direction]]))
                   for direction in (INFLOW, OUTFLOW)]],
        rows=rows, totals=totals, notes=tuple(notes))


# ---- the page and the export --------------------------------------------------------------------------------------

def build(user, key, *, institution=None, on=None, start=None, end=None) -> list[Report]:
    """The report(s) of one kind for the caller (the page's tables, the workbook's sheets)."""
    if key == "basic":
        return [basic_report(user, institution, on=on)]
    if key == "departments":
        return [departments_report(user, institution, on=on)]
    if key == "quota":
        return quota_report(user, institution)
    if key == "flow":
        return [flow_report(user, institution, start=start, end=end)]
    raise DomainError("没有这个报表")


def sheet_titles(reports: list[Report]) -> list[str]:
    """Sheet names of the workbook: the report's title without what every sheet shares."""
    if len(reports) == 1:
        return [reports[0].title]
    return [r.title.split("（", 1)[-1].rstrip("）") or r.title for r in reports]
