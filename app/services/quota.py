"""机构编制管理 (spec 3.4): 区域端 allocates each institution's 编制 by decision (文号, 生效日期, history kept);
the institution distributes its current allocation to its departments and compares it with the staff 在编.

The current allocation of an institution and kind is its newest decision (by 生效日期, then by id); older
decisions are its history. Writes validate first (collecting every problem, each naming its form field, into
ValidationFailed), then write; each is one transaction (services/transaction.py).
"""
import datetime
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from app.domain.dates import parse_date
from app.domain.errors import DomainError, EditConflict, ValidationFailed
from app.extensions import db
from app.models.audit import AuditLog
from app.models.org import Department, DepartmentQuota, Institution, QuotaAllocation, Region
from app.models.people import Person
from app.services import orgtree
from app.services.scope import scope_of
from app.services.transaction import transactional

KINDS = ("事业编制",)
DEFAULT_KIND = KINDS[0]
# 编制类型 → the code of dictionary `establishment` (编制情况) that counts as 在编 for it.
ESTABLISHMENT_OF_KIND = {"事业编制": "1"}
ACTIVE_STATUS = "在岗"
# The optional split of an allocation: (column, label).
SPLIT = (("management", "管理岗位"), ("professional", "专业技术岗位"), ("support", "工勤技能岗位"))
MAX_COUNT = 99999
DOCUMENT_NO_MAX = 100
NOTE_MAX = 500
EARLIEST = datetime.date(1950, 1, 1)
NOT_YET = "编制由上级卫健委分配后可使用"
AMOUNT_PREFIX = "amount-"  # the sheet's input of one department: amount-<department id>
_COUNT_RE = re.compile(r"^\d+$")


# ---- reading -----------------------------------------------------------------------------------------------------

def _newest_first(stmt):
    return stmt.order_by(QuotaAllocation.effective_date.desc(), QuotaAllocation.id.desc())


def current_allocation(institution_id, kind=DEFAULT_KIND) -> QuotaAllocation | None:
    """The allocation in force: the newest decision (by 生效日期, then id) for this institution and kind."""
    return db.session.scalar(_newest_first(select(QuotaAllocation).where(
        QuotaAllocation.institution_id == institution_id, QuotaAllocation.kind == kind)).limit(1))


def history(institution_id, kind=None) -> list[QuotaAllocation]:
    """Every decision for the institution, newest first (the first of each kind is the current one)."""
    stmt = select(QuotaAllocation).where(QuotaAllocation.institution_id == institution_id)
    if kind is not None:
        stmt = stmt.where(QuotaAllocation.kind == kind)
    return list(db.session.scalars(_newest_first(stmt)))


def distributed(institution_id, kind=DEFAULT_KIND) -> int:
    """编制 given to the institution's departments in total."""
    return db.session.scalar(select(func.coalesce(func.sum(DepartmentQuota.amount), 0)).where(
        DepartmentQuota.institution_id == institution_id, DepartmentQuota.kind == kind)) or 0


def _in_establishment(kind):
    """Staff who count as 在编 for this kind: 编制情况 编制内 and 在岗."""
    return and_(Person.establishment == ESTABLISHMENT_OF_KIND.get(kind, "-"), Person.status == ACTIVE_STATUS)


in_establishment = _in_establishment  # the same rule for 常用报表 (services/stat_reports.py)


def established_by_department(institution_id, kind=DEFAULT_KIND) -> dict[int | None, int]:
    """department id (None: no department) → 在编人数."""
    rows = db.session.execute(select(Person.department_id, func.count(Person.id))
                              .where(Person.institution_id == institution_id, _in_establishment(kind))
                              .group_by(Person.department_id))
    return dict(rows.all())


def established_count(institution_id, kind=DEFAULT_KIND) -> int:
    """在编人数 of the whole institution."""
    return sum(established_by_department(institution_id, kind).values())


@dataclass
class DepartmentLine:
    """One department on the institution's page: its 编制数, 在编人数 and the difference."""

    id: int
    name: str
    label: str  # the name, or the path (上级/本部门) when the name is used twice
    depth: int
    active: bool
    amount: int
    established: int

    @property
    def vacant(self) -> int:  # 空编
        return max(self.amount - self.established, 0)

    @property
    def over(self) -> int:  # 超编
        return max(self.established - self.amount, 0)


@dataclass
class Sheet:
    """The institution's 编制 of one kind: the allocation on top, the departments below, the totals."""

    institution: Institution
    kind: str
    allocation: QuotaAllocation | None
    lines: list[DepartmentLine] = field(default_factory=list)
    unassigned_established: int = 0  # 在编 staff without a department

    @property
    def total_amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total_established(self) -> int:
        return sum(line.established for line in self.lines) + self.unassigned_established

    # The row 未分配到科室: the 编制 not given to a department (尚未分配) against the 在编 staff without one. With
    # it the columns add up to the institution's figure: 空编合计 − 超编合计 = 核定 − 在编 (全院空编, or −全院超编).
    @property
    def undistributed_vacant(self) -> int:
        return max(self.remaining - self.unassigned_established, 0)

    @property
    def undistributed_over(self) -> int:
        return max(self.unassigned_established - self.remaining, 0)

    @property
    def total_vacant(self) -> int:
        return sum(line.vacant for line in self.lines) + self.undistributed_vacant

    @property
    def total_over(self) -> int:
        return sum(line.over for line in self.lines) + self.undistributed_over

    @property
    def remaining(self) -> int:
        """编制 not yet given to a department (negative when a lower allocation came after the distribution)."""
        return (self.allocation.total if self.allocation else 0) - self.total_amount

    @property
    def over_distributed(self) -> bool:
        return self.allocation is not None and self.total_amount > self.allocation.total

    @property
    def institution_difference(self) -> int:
        """核定 − 在编 of the whole institution: positive = 空编, negative = 超编."""
        return (self.allocation.total if self.allocation else 0) - self.total_established


def _departments_in_tree_order(institution_id) -> list[tuple[Department, int, str]]:
    """(department, depth, path) in tree order (序号, then id, children after their parent)."""
    return orgtree.tree_order(list(db.session.scalars(select(Department).where(
        Department.institution_id == institution_id).order_by(Department.seq, Department.id))))


def sheet(institution_id, kind=DEFAULT_KIND) -> Sheet:
    """What the institution page shows for one kind. Disabled departments appear only while they hold 编制 or
    在编 staff (so they can be set to 0)."""
    inst = db.session.get(Institution, institution_id)
    if inst is None:
        raise DomainError("机构不存在")
    amounts = dict(db.session.execute(select(DepartmentQuota.department_id, DepartmentQuota.amount).where(
        DepartmentQuota.institution_id == institution_id, DepartmentQuota.kind == kind)).all())
    staff = established_by_department(institution_id, kind)
    depts = _departments_in_tree_order(institution_id)
    name_uses = {}
    for d, _depth, _path in depts:
        name_uses[d.name] = name_uses.get(d.name, 0) + 1
    lines = []
    for d, depth, path in depts:
        amount, established = amounts.get(d.id, 0), staff.get(d.id, 0)
        if not d.active and not amount and not established:
            continue
        lines.append(DepartmentLine(id=d.id, name=d.name, label=path if name_uses[d.name] > 1 else d.name,
                                    depth=depth, active=d.active, amount=amount, established=established))
    shown = {line.id for line in lines}
    hidden = sum(n for dept_id, n in staff.items() if dept_id is not None and dept_id not in shown)
    return Sheet(institution=inst, kind=kind, allocation=current_allocation(institution_id, kind), lines=lines,
                 unassigned_established=staff.get(None, 0) + hidden)


@dataclass
class InstitutionQuota:
    """One row of the regional page."""

    institution: Institution
    allocation: QuotaAllocation | None
    distributed: int
    established: int

    @property
    def difference(self) -> int | None:
        """核定 − 在编: positive = 空编, negative = 超编; None before an allocation."""
        return None if self.allocation is None else self.allocation.total - self.established


def regional_overview(user, kind=DEFAULT_KIND, name_contains: str = "") -> list[InstitutionQuota]:
    """The institutions in the caller's scope with their current allocation, 已分配到科室 and 在编人数."""
    s = scope_of(user)
    if s.kind not in ("region", "all"):
        return []
    stmt = select(Institution).join(Region, Institution.region_id == Region.id).order_by(Region.path, Institution.code)
    clause = s.institutions_clause(Institution.id)
    if clause is not None:
        stmt = stmt.where(clause)
    if (name_contains or "").strip():
        stmt = stmt.where(Institution.name.contains(name_contains.strip()))
    institutions = list(db.session.scalars(stmt))
    ids = [i.id for i in institutions]
    if not ids:
        return []
    current = {}
    for alloc in db.session.scalars(select(QuotaAllocation).where(
            QuotaAllocation.institution_id.in_(ids), QuotaAllocation.kind == kind)
            .order_by(QuotaAllocation.effective_date, QuotaAllocation.id)):
        current[alloc.institution_id] = alloc  # ascending order: the newest one stays
    given = dict(db.session.execute(select(DepartmentQuota.institution_id, func.sum(DepartmentQuota.amount))
                                    .where(DepartmentQuota.institution_id.in_(ids), DepartmentQuota.kind == kind)
                                    .group_by(DepartmentQuota.institution_id)).all())
    staff = dict(db.session.execute(select(Person.institution_id, func.count(Person.id))
                                    .where(Person.institution_id.in_(ids), _in_establishment(kind))
                                    .group_by(Person.institution_id)).all())
    return [InstitutionQuota(institution=i, allocation=current.get(i.id), distributed=int(given.get(i.id) or 0),
                             established=int(staff.get(i.id) or 0)) for i in institutions]


def can_allocate_to(user, institution_id) -> bool:
    """Regional accounts allocate to institutions in their region subtree; 系统管理员 to every institution."""
    s = scope_of(user)
    return s.kind in ("region", "all") and s.allows_institution(institution_id)


# ---- parsing -----------------------------------------------------------------------------------------------------

def _count(raw, label, errors, *, field, required=False) -> int | None:
    """A whole number ≥ 0 from what was typed; None for blank. Problems go to `errors` as (field, message), the
    message naming the field."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        if required:
            errors.append((field, f"请填写{label}"))
        return None
    if not _COUNT_RE.match(text):
        errors.append((field, f"{label}须为 0 或正整数，当前填写“{text}”"))
        return None
    value = int(text)
    if value > MAX_COUNT:
        errors.append((field, f"{label}不能超过 {MAX_COUNT}，当前填写“{text}”"))
        return None
    return value


_CN_DATE_RE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日?)?\s*$")


def _parse_effective_date(value) -> datetime.date:
    """生效日期 as typed: 2024-06-01, 2024/6/1, 2024.6.1, 2024-06 (day 01) or 2024年6月1日."""
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    match = _CN_DATE_RE.match(text)
    if match:
        year, month, day = match.groups()
        text = f"{year}-{month}-{day or 1}"
    try:
        return parse_date(text, "生效日期")
    except ValueError as exc:
        if "格式" in str(exc):
            raise ValueError(f"生效日期应按“年-月-日”填写，如 2024-06-01，当前填写“{value}”") from None
        raise


# ---- 区域端: allocation ------------------------------------------------------------------------------------------

@dataclass
class Allocated:
    """The saved decision and what the page should say about it."""

    allocation: QuotaAllocation
    is_current: bool  # False: back-dated, recorded as history behind a newer decision
    distributed: int  # already given to departments (a warning when above the new total)


@transactional
def allocate(user, institution_id, *, kind=DEFAULT_KIND, total=None, management=None, professional=None,
             support=None, effective_date=None, document_no=None, note=None) -> Allocated:
    """Record a 编制 decision for an institution in the caller's region subtree. The split by 管理/专业技术/工勤
    is optional; when given, its sum must not exceed the total."""
    inst = db.session.get(Institution, int(institution_id)) if str(institution_id or "").isdigit() else None
    if inst is None or not can_allocate_to(user, inst.id):
        raise DomainError("只能为本辖区的机构分配编制")
    errors = []
    if kind not in KINDS:
        errors.append(("kind", "请选择编制类型（" + "、".join(KINDS) + "）"))
    total_value = _count(total, "核定编制总数", errors, field="total", required=True)
    typed = {"management": management, "professional": professional, "support": support}
    split = {column: _count(typed[column], label, errors, field=column) for column, label in SPLIT}
    given = {c: v for c, v in split.items() if v is not None}
    if total_value is not None and given and sum(given.values()) > total_value:
        parts = " + ".join(f"{label} {given[c]}" for c, label in SPLIT if c in given)
        errors.append(("total", f"{parts} = {sum(given.values())} 名，超过核定编制总数 {total_value} 名"))
    date_value = None
    if effective_date is None or not str(effective_date).strip():
        errors.append(("effective_date", "请填写生效日期"))
    else:
        try:
            date_value = _parse_effective_date(effective_date)
        except ValueError as exc:
            errors.append(("effective_date", str(exc)))
        else:
            today = datetime.date.today()
            if date_value > today:
                errors.append(("effective_date", f"生效日期不能晚于今天（{today.isoformat()}）；请在文件生效后再登记"))
            elif date_value < EARLIEST:
                errors.append(("effective_date", f"生效日期不能早于 {EARLIEST.isoformat()}，当前：{date_value.isoformat()}"))
    document = (document_no or "").strip()
    if not document:
        errors.append(("document_no", "请填写文号（核定编制的文件编号）"))
    elif len(document) > DOCUMENT_NO_MAX:
        errors.append(("document_no", f"文号不能超过 {DOCUMENT_NO_MAX} 个字"))
    note_text = (note or "").strip()
    if len(note_text) > NOTE_MAX:
        errors.append(("note", f"备注不能超过 {NOTE_MAX} 个字，当前 {len(note_text)} 个字"))
    if errors:
        raise ValidationFailed(errors)
    alloc = QuotaAllocation(institution_id=inst.id, kind=kind, total=total_value, effective_date=date_value,
                            document_no=document, note=note_text or None, created_by=user.username, **split)
    db.session.add(alloc)
    db.session.flush()
    is_current = current_allocation(inst.id, kind).id == alloc.id
    given_out = distributed(inst.id, kind)
    return Allocated(allocation=alloc, is_current=is_current, distributed=given_out)


# ---- 机构端: distribution to departments ---------------------------------------------------------------------------

def amount_field(department_id) -> str:
    return f"{AMOUNT_PREFIX}{department_id}"


class DistributionRefused(ValidationFailed):
    """A refused distribution; each problem of one department's typed value names its input (amount_field), and
    `department_ids` are those departments (to mark them)."""

    @property
    def department_ids(self) -> set[int]:
        return {int(i.field[len(AMOUNT_PREFIX):]) for i in self.items if i.field and i.field.startswith(AMOUNT_PREFIX)}


def _sheet_conflict(institution_id, shares, depts, opened) -> EditConflict | None:
    """The sheet is one record made of rows (created, changed, deleted): compared by the amounts the page showed
    when opened ({department id: amount}); who / when from the newest audit row of the institution's shares."""
    differences = []
    for key, raw in opened.items():
        dept_id = int(key) if str(key).isdigit() else None
        then = int(raw) if str(raw).strip().isdigit() else None
        now = shares[dept_id].amount if dept_id in shares else 0
        if dept_id in depts and then is not None and then != now:
            differences.append(f"科室“{depts[dept_id][0].name}”的编制数：您打开时为 {then}，现在为 {now}")
    if not differences:
        return None
    last = db.session.scalar(select(AuditLog).where(AuditLog.entity == DepartmentQuota.__tablename__,
                                                    AuditLog.institution_id == institution_id)
                             .order_by(AuditLog.id.desc()).limit(1))
    when = last.at.strftime("%Y-%m-%d %H:%M") if last is not None and last.at else None
    return EditConflict(last.username if last is not None else None, when, differences)


@transactional
def distribute(user, institution_id, amounts: dict, kind=DEFAULT_KIND, opened=None) -> int:
    """Set the 编制数 of the institution's departments ({department id: typed value}; blank = 0). Departments not
    in `amounts` keep theirs. The sum may not exceed the current allocation. Returns the new sum. `opened`: the
    amounts the page showed ({department id: amount}); a sheet changed since then is refused (EditConflict)."""
    if scope_of(user).kind != "institution" or user.institution_id != institution_id:
        raise DomainError("只有本机构的账号可以把编制分配到科室")
    inst = db.session.scalar(select(Institution).where(Institution.id == institution_id).with_for_update())
    if inst is None:
        raise DomainError("机构不存在")
    if kind not in KINDS:
        raise DomainError("编制类型不存在")
    alloc = current_allocation(institution_id, kind)
    if alloc is None:
        raise DomainError(NOT_YET)
    shares = {q.department_id: q for q in db.session.scalars(select(DepartmentQuota).where(
        DepartmentQuota.institution_id == institution_id, DepartmentQuota.kind == kind))}
    depts = {d.id: (d, path) for d, _depth, path in _departments_in_tree_order(institution_id)}
    name_uses = {}
    for d, _path in depts.values():
        name_uses[d.name] = name_uses.get(d.name, 0) + 1
    conflict = _sheet_conflict(institution_id, shares, depts, opened or {})
    if conflict is not None:
        raise conflict
    errors, wanted, bad = [], {}, set()
    for key, raw in amounts.items():
        dept_id = int(key) if str(key).isdigit() else None
        if dept_id not in depts:
            raise DomainError("部门不存在或不属于本机构，请刷新页面后重新填写")
        dept, path = depts[dept_id]
        label = f"科室“{path if name_uses[dept.name] > 1 else dept.name}”的编制数"
        found = len(errors)
        value = _count(raw, label, errors, field=amount_field(dept_id))
        if len(errors) > found:
            bad.add(dept_id)
            continue
        value = value or 0
        before = shares[dept_id].amount if dept_id in shares else 0
        if not dept.active and value > before:
            errors.append((amount_field(dept_id), f"科室“{dept.name}”已停用，不能增加编制（当前 {before} 名）"))
            bad.add(dept_id)
        wanted[dept_id] = value
    # A wrongly typed department counts 0 here, so the sum is a lower bound and its excess is reported with the
    # other problems (every error at once), not only after they are fixed.
    for dept_id in bad:
        wanted.setdefault(dept_id, 0)
    new_sum = sum(wanted.get(d, q.amount) for d, q in shares.items()) + sum(
        v for d, v in wanted.items() if d not in shares)
    if new_sum > alloc.total:
        without = "（填写有误的科室按 0 计）" if bad else ""
        errors.append(f"分配到科室的编制合计 {new_sum} 名{without}，超过上级核定的 {alloc.total} 名，请调减后再保存")
    if errors:
        raise DistributionRefused(errors)
    for dept_id, value in wanted.items():
        share = shares.get(dept_id)
        if share is None and value:
            db.session.add(DepartmentQuota(institution_id=institution_id, department_id=dept_id, kind=kind,
                                           amount=value))
        elif share is not None and not value:
            db.session.delete(share)
        elif share is not None and share.amount != value:
            share.amount = value
    return new_sum
