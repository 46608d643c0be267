"""部门管理 (spec 3.2): an institution's department tree, its template set, and the guarded delete.

Every function takes the institution id of the caller; a department of another institution is "not found".
Writes validate first (collecting every problem, each naming its form field, into ValidationFailed), then write;
each is one transaction (services/transaction.py). Delete and move-all-staff are the shared ones of
services/orgtree.py.
"""
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import PROBATION_STATUS, village_status_problem
from app.extensions import db
from app.models.org import Department, DepartmentQuota, Institution
from app.services import concurrency, dictionaries, orgtree
from app.services.orgtree import DeleteBlocked
from app.services.transaction import transaction, transactional

CATEGORIES = ("科室(部门)", "职能部门", "村卫生室", "其他")
CLINICAL = CATEGORIES[0]
NAME_MAX = 50
HEAD_MAX = 50
PHONE_MAX = 30
SEQ_MAX = 9999
LABELS = {"name": "科室名称", "category": "科室(部门)类别", "standard_code": "科室标准名称", "parent_id": "上级",
          "seq": "序号", "active": "状态", "head": "负责人", "phone": "电话"}
PHONE_RE = re.compile(r"^\d[\d-]*(转\d+)?$")
DICTIONARY = "standard_departments"

# Template set (初始化部门): standard departments marked township_common=Y. Their category follows the
# dictionary's group; 药剂科 and 感染科 sit in the administrative code range but are clinical departments.
_GROUP_CATEGORY = {"临床": CLINICAL, "医技": CLINICAL, "公共卫生": CLINICAL, "基层网点": "村卫生室"}
_CODE_CATEGORY = {"D72": CLINICAL, "D73": CLINICAL, "D74": CLINICAL, "D99": "其他"}

OWNER_ONLY = "只有机构账号可以维护部门"
MISSING = "部门不存在或不属于本机构"


@dataclass
class Node:
    """One department in the tree; `depth` 1 is directly under the institution."""

    id: int
    name: str
    category: str
    standard_code: str | None
    standard_name: str | None
    seq: int
    active: bool
    head: str | None
    phone: str | None
    parent_id: int | None
    depth: int
    children: list["Node"] = field(default_factory=list)


# ---- reading -----------------------------------------------------------------------------------------------------

def standard_required(category: str) -> bool:
    """科室标准名称 is required only for the category 科室(部门) (spec 3.2 说明 1)."""
    return category == CLINICAL


def standard_names(active_only: bool = False) -> dict[str, str]:
    """code → name of the standard departments dictionary."""
    return {i.code: i.name for i in dictionaries.items(DICTIONARY, active_only=active_only)}


def get(institution_id, department_id) -> Department | None:
    """The department if it belongs to the institution, else None (the view answers 404)."""
    return orgtree.get(Department, institution_id, department_id)


def _all(institution_id) -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.institution_id == institution_id)
                                   .order_by(Department.seq, Department.id)))


def tree(institution_id, active_only: bool = False) -> list[Node]:
    """The departments directly under the institution, each with its children (ordered by 序号)."""
    rows = _all(institution_id)
    children = orgtree.children_map(rows)  # rows are in (seq, id) order, so every child list is too
    names = standard_names()

    def build(parent_id, depth):
        nodes = []
        for d in children.get(parent_id, []):
            if active_only and not d.active:
                continue
            nodes.append(Node(id=d.id, name=d.name, category=d.category, standard_code=d.standard_code,
                              standard_name=names.get(d.standard_code) if d.standard_code else None, seq=d.seq,
                              active=d.active, head=d.head, phone=d.phone, parent_id=d.parent_id, depth=depth,
                              children=build(d.id, depth + 1)))
        return nodes

    return build(None, 1)


def walk(nodes):
    """The nodes of a tree depth-first (tree order)."""
    for node in nodes:
        yield node
        yield from walk(node.children)


def department_names(institution_id, active_only: bool = True) -> list[str]:
    """The department names in tree order, as the import templates offer them (exact match). A name used under
    two parents appears once."""
    names = []
    for node in walk(tree(institution_id, active_only=active_only)):
        if node.name not in names:
            names.append(node.name)
    return names


def by_name(institution_id, name, active_only: bool = True) -> list[Department]:
    """Departments with exactly this name (for imports: more than one means the name is ambiguous)."""
    stmt = select(Department).where(Department.institution_id == institution_id, Department.name == name)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Department.seq, Department.id)))


def has_departments(institution_id) -> bool:
    return db.session.scalar(select(Department.id).where(Department.institution_id == institution_id).limit(1)) \
        is not None


def staff_counts(institution_id) -> dict[int, int]:
    """department id → number of staff records in it (every status)."""
    return orgtree.staff_counts(DEPARTMENTS, institution_id)


def descendant_ids(department) -> set[int]:
    """Ids of every department below this one."""
    return orgtree.descendant_ids(_all(department.institution_id), department.id)


def path_name(department) -> str:
    """上级/本部门 as a path, e.g. 内科/护理组 (to tell apart equal names under different parents)."""
    parts = []
    while department is not None:
        parts.append(department.name)
        department = department.parent
    return "/".join(reversed(parts))


def parent_choices(institution_id, department=None) -> list[tuple[str, str, int]]:
    """(value, name, depth) of what may be chosen as 上级: the institution ("") and, in tree order, the enabled
    departments except the department itself and its descendants (plus its current parent even if disabled)."""
    inst = db.session.get(Institution, institution_id)
    excluded = set()
    if department is not None and department.id:
        excluded = {department.id} | descendant_ids(department)
    current_parent = department.parent_id if department is not None else None
    choices = [("", inst.name if inst else "本机构", 0)]
    for node in walk(tree(institution_id)):
        if node.id in excluded or not (node.active or node.id == current_parent):
            continue
        choices.append((str(node.id), node.name + ("（已停用）" if not node.active else ""), node.depth))
    return choices


def move_targets(department) -> list[tuple[str, str, int]]:
    """(value, name, depth) of the enabled departments of the same institution that staff may be moved to."""
    excluded = {department.id} | descendant_ids(department)
    return [(str(n.id), n.name, n.depth) for n in walk(tree(department.institution_id, active_only=True))
            if n.id not in excluded]


# ---- validation --------------------------------------------------------------------------------------------------

def _lock_institution(institution_id) -> Institution:
    """Serialises department writes of one institution: two clicks cannot create the same name twice under the
    institution, where the unique constraint sees NULL parents as distinct."""
    return orgtree.lock_institution(institution_id, OWNER_ONLY)


def _parse_seq(value, errors):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seq = int(str(value).strip())
    except ValueError:
        seq = -1
    if not 0 <= seq <= SEQ_MAX:
        errors.append(("seq", f"序号须为 0 到 {SEQ_MAX} 之间的整数（当前：{value}）"))
        return None
    return seq


def _check(inst, department, *, name, category, standard_code, parent_id, seq, active, head, phone):
    """Every problem of one department's fields; returns the cleaned values."""
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append(("name", "科室名称不能为空"))
    elif len(name) > NAME_MAX:
        errors.append(("name", f"科室名称不能超过 {NAME_MAX} 个字（当前 {len(name)} 个字）"))

    category = (category or "").strip()
    if category not in CATEGORIES:
        errors.append(("category", "科室(部门)类别须从下拉列表中选择：" + "、".join(CATEGORIES)))

    standard_code = (standard_code or "").strip() or None
    known = standard_names(active_only=True)
    if standard_code and standard_code not in known and not (department is not None
                                                             and standard_code == department.standard_code):
        errors.append(("standard_code", "科室标准名称须从下拉列表中选择"))
    if standard_required(category) and not standard_code:
        errors.append(("standard_code", "科室(部门)类别为“科室(部门)”时，科室标准名称必填；没有对应的标准科室可选择“其他科室”"))

    parent = None
    parent_id = str(parent_id or "").strip()
    if parent_id:
        parent = get(inst.id, parent_id)
        if parent is None:
            errors.append(("parent", "上级须为本机构的部门或本机构"))
        elif department is not None and department.id is not None:
            if parent.id == department.id:
                errors.append(("parent", f"上级不能是“{department.name}”自己"))
                parent = None
            elif parent.id in descendant_ids(department):
                errors.append(("parent", f"上级不能是“{department.name}”的下级部门“{parent.name}”"))
                parent = None
    if parent is not None and active and not parent.active:
        errors.append(("parent", f"上级部门“{parent.name}”已停用，不能在其下放置启用的部门；请先启用上级部门"))

    seq = _parse_seq(seq, errors)

    head = (head or "").strip() or None
    if head and len(head) > HEAD_MAX:
        errors.append(("head", f"负责人不能超过 {HEAD_MAX} 个字"))
    phone = (phone or "").strip() or None
    if phone and (len(phone) > PHONE_MAX or not PHONE_RE.match(phone)):
        errors.append(("phone", "电话只能填写数字和“-”，分机号可写作“转”加数字，如 027-87654321 或 13912345678"))

    if name and len(name) <= NAME_MAX and (parent is not None or not parent_id):
        same = select(Department.id).where(Department.institution_id == inst.id, Department.name == name,
                                           Department.parent_id == parent.id if parent is not None
                                           else Department.parent_id.is_(None))
        if department is not None and department.id is not None:
            same = same.where(Department.id != department.id)
        if db.session.scalar(same.limit(1)) is not None:
            where = f"部门“{parent.name}”" if parent is not None else f"本机构（{inst.name}）"
            errors.append(("name", f"{where}下已有名为“{name}”的部门，同一上级下的部门名称不能重复"))

    if errors:
        raise ValidationFailed(errors)
    return dict(name=name, category=category, standard_code=standard_code, parent=parent, seq=seq,
                active=bool(active), head=head, phone=phone)


def _next_seq(institution_id, parent) -> int:
    parent_clause = Department.parent_id == parent.id if parent is not None else Department.parent_id.is_(None)
    top = db.session.scalar(select(func.max(Department.seq)).where(Department.institution_id == institution_id,
                                                                    parent_clause))
    return (top or 0) + 1


def _unique_name(name):
    """A concurrent save that won the race for the same name becomes the name's refusal."""
    return orgtree.unique("name", f"同一上级下已有名为“{name}”的部门，请刷新后重试")


# ---- writing -----------------------------------------------------------------------------------------------------

def create(institution_id, *, name, category=CLINICAL, standard_code=None, parent_id=None, seq=None, active=True,
           head=None, phone=None) -> Department:
    """新增: a department under the institution (parent_id None) or under one of its departments."""
    with transaction():
        inst = _lock_institution(institution_id)
        values = _check(inst, None, name=name, category=category, standard_code=standard_code, parent_id=parent_id,
                        seq=seq, active=active, head=head, phone=phone)
        if values["seq"] is None:
            values["seq"] = _next_seq(inst.id, values["parent"])
        dept = Department(institution_id=inst.id, **values)
        with _unique_name(values["name"]):
            db.session.add(dept)
    return dept


def shown_value(key, value):
    """A department value as the form shows it (上级 by name): for edit-conflict messages."""
    if key == "parent_id":
        parent = db.session.get(Department, value) if value else None
        return parent.name if parent is not None else "本机构"
    if key == "standard_code" and value:
        return standard_names().get(value, value)
    if key == "active":
        return "正常" if value else "停用"
    return "（空）" if value in (None, "") else str(value)


def update(institution_id, department_id, *, name, category, standard_code=None, parent_id=None, seq=None,
           active=True, head=None, phone=None, version=None) -> Department:
    """修改: every field, including 上级 (never itself or its own descendant). An empty 序号 keeps the old one.
    `version`: the version the form was opened with; a department changed since then is refused (EditConflict)."""
    inst = _lock_institution(institution_id)  # the lock and the reads join the transaction below
    dept = get(inst.id, department_id)
    if dept is None:
        raise DomainError(MISSING)
    base = concurrency.check(dept, version, LABELS, shown_value)
    with transaction(conflict=(dept, base, LABELS, shown_value)):  # a race lost after the check: EditConflict
        values = _check(inst, dept, name=name, category=category, standard_code=standard_code,
                        parent_id=parent_id, seq=seq, active=active, head=head, phone=phone)
        if values["seq"] is None:
            values["seq"] = dept.seq if values["parent"] is dept.parent else _next_seq(inst.id, values["parent"])
        disabling = dept.active and not values["active"]
        with _unique_name(values["name"]):
            for key, value in values.items():
                setattr(dept, key, value)
            if disabling:
                _disable_below(dept)
    return dept


def _disable_below(dept) -> int:
    below = [d for d in _all(dept.institution_id) if d.id in descendant_ids(dept) and d.active]
    for d in below:
        d.active = False
    return len(below)


@transactional
def set_active(institution_id, department_id, active: bool) -> int:
    """启用/停用. Disabling also disables every department below (a disabled department's children are not
    offered either); enabling needs an enabled parent. Returns how many departments below were disabled too."""
    _lock_institution(institution_id)
    dept = get(institution_id, department_id)
    if dept is None:
        raise DomainError(MISSING)
    cascaded = 0
    if active:
        if dept.parent is not None and not dept.parent.active:
            raise ValidationFailed([f"上级部门“{dept.parent.name}”已停用，请先启用上级部门，再启用“{dept.name}”"])
        dept.active = True
    else:
        dept.active = False
        cascaded = _disable_below(dept)
    return cascaded


def template_rows() -> list[dict]:
    """The template set of 初始化部门: standard departments with township_common=Y, in dictionary order."""
    rows = []
    for item in dictionaries.items(DICTIONARY):
        extra = item.extra or {}
        if extra.get("township_common") != "Y":
            continue
        category = _CODE_CATEGORY.get(item.code) or _GROUP_CATEGORY.get(extra.get("group", ""), "职能部门")
        rows.append({"name": item.name[:NAME_MAX], "category": category, "standard_code": item.code})
    return rows


@transactional
def initialize(institution_id) -> int:
    """初始化部门: only for an institution without any department; creates the template set directly under the
    institution and returns how many were created (0 when the institution already has departments)."""
    inst = _lock_institution(institution_id)
    if has_departments(inst.id):
        return 0
    rows = template_rows()
    seen = set()
    for seq, row in enumerate(rows, start=1):
        if row["name"] in seen:
            continue
        seen.add(row["name"])
        db.session.add(Department(institution_id=inst.id, parent_id=None, seq=seq, active=True, **row))
    return len(seen)


# ---- delete and move (services/orgtree.py) ----------------------------------------------------------------------

def delete_problems(department, staff_moved=False) -> DeleteBlocked | None:
    """Why the department cannot be deleted (staff, child departments, allocated 编制), or None. `staff_moved`: the
    staff are being moved out in the same step, so they do not count."""
    errors = []
    staff = 0 if staff_moved else orgtree.staff_count(DEPARTMENTS, department)
    children = db.session.scalar(select(func.count(Department.id)).where(Department.parent_id == department.id)) or 0
    if staff:
        errors.append(f"部门“{department.name}”下有 {staff} 名人员，不能删除。可以把这些人员全部转移到本机构的其他部门，"
                      "再删除该部门")
    if children:
        errors.append(f"部门“{department.name}”下有 {children} 个下级部门，不能删除。请先删除这些下级部门，"
                      "或在“修改”中把它们的上级改为其他部门")
    quota = db.session.scalar(select(func.coalesce(func.sum(DepartmentQuota.amount), 0))
                              .where(DepartmentQuota.department_id == department.id)) or 0
    if quota:
        errors.append(f"部门“{department.name}”分配有 {quota} 个编制，不能删除。请先在“机构编制管理”中把该部门的编制调整为 0")
    return DeleteBlocked(errors, staff=staff, children=children) if errors else None


def _delete(department):
    for share in db.session.scalars(select(DepartmentQuota).where(DepartmentQuota.department_id == department.id)):
        db.session.delete(share)  # only empty shares are left here (delete_problems refuses allocated ones)
    db.session.delete(department)


def _village_problems(department, target, people) -> list[str]:
    """spec 4.2.7: in-post staff of a 村卫生室 are 试用期考核人员 (the rule of the staff form)."""
    refused = [p for p in people if village_status_problem(target.category, target.name, p.status)]
    if not refused:
        return []
    names = "、".join(p.name for p in refused[:5]) + (f" 等 {len(refused)} 人" if len(refused) > 5 else "")
    return [f"部门“{target.name}”是村卫生室：村卫生室人员的在职状态须为“{PROBATION_STATUS}”，{names} 不是，不能转移进去"]


DEPARTMENTS = orgtree.Kind(
    model=Department, column="department_id", owner_only=OWNER_ONLY, missing=MISSING,
    nobody="部门“{name}”下没有人员，无需转移", delete_problems=delete_problems,
    choose="请选择人员要转移到的部门", foreign="转移到的部门须为本机构的部门",
    itself="人员不能转移到“{name}”自己或它的下级部门", disabled="部门“{target}”已停用，不能把人员转移进去",
    excluded=lambda dept: {dept.id} | descendant_ids(dept), move_problems=_village_problems, remove=_delete)


def delete(institution_id, department_id) -> str:
    """删除 a department without staff, child departments or 编制; returns its name."""
    return orgtree.delete(DEPARTMENTS, institution_id, department_id)


def move_staff(institution_id, department_id, target_id, and_delete: bool = False) -> tuple[int, Department]:
    """Move every staff record of a department to another department of the same institution, in one transaction;
    with and_delete the emptied department is deleted in the same transaction (all or nothing).
    Returns (people moved, target)."""
    return orgtree.move_staff(DEPARTMENTS, institution_id, department_id, target_id, and_delete)
