"""人员标签管理 (spec 4.3): an institution's key-staff groups (关键人员组).

Every function takes the caller's institution id; a group of another institution is "not found". Members are
staff of that institution only. A 封存 (archived) group is read-only and left out of pickers (`active_groups`)
until it is 启用 (reopened). Writes validate first, collecting every problem into ValidationFailed (naming the
field: name, description, members), then write in one transaction (services/transaction.py).
"""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.org import Department
from app.models.people import KeyGroup, Person, key_group_member
from app.services import concurrency
from app.services import people as people_svc
from app.services.transaction import transaction, transactional

NAME_MAX = 50
DESCRIPTION_MAX = 500


class GroupNotFound(DomainError):
    """The group does not exist or belongs to another institution (views answer 404)."""

    def __init__(self):
        super().__init__("关键人员组不存在，或不属于本机构")


# ---- reading -----------------------------------------------------------------------------------------------------

def get(institution_id, group_id) -> KeyGroup | None:
    """The group if it belongs to the institution, else None."""
    try:
        group_id = int(group_id)
    except (TypeError, ValueError):
        return None
    group = db.session.get(KeyGroup, group_id)
    if group is None or institution_id is None or group.institution_id != institution_id:
        return None
    return group


def _get_or_raise(institution_id, group_id) -> KeyGroup:
    group = get(institution_id, group_id)
    if group is None:
        raise GroupNotFound()
    return group


def groups_with_counts(institution_id) -> list[tuple[KeyGroup, int]]:
    """Every group of the institution (正常 first, then 封存; by name) with its member count, in one query."""
    counts = (select(key_group_member.c.group_id, func.count().label("n"))
              .group_by(key_group_member.c.group_id).subquery())
    stmt = (select(KeyGroup, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.group_id == KeyGroup.id)
            .where(KeyGroup.institution_id == institution_id)
            .order_by(KeyGroup.archived, KeyGroup.name, KeyGroup.id))
    return [(g, n) for g, n in db.session.execute(stmt).all()]


def active_groups(institution_id) -> list[KeyGroup]:
    """The groups a picker may offer: the institution's groups that are not 封存, by name."""
    return list(db.session.scalars(
        select(KeyGroup).where(KeyGroup.institution_id == institution_id, KeyGroup.archived.is_(False))
        .order_by(KeyGroup.name, KeyGroup.id)))


def members_of(group) -> list[Person]:
    """The group's members by name, department and post eager-loaded (for the read-only page)."""
    return list(db.session.scalars(
        select(Person).join(key_group_member, key_group_member.c.person_id == Person.id)
        .where(key_group_member.c.group_id == group.id)
        .options(selectinload(Person.department), selectinload(Person.post)).order_by(Person.name, Person.id)))


PICKER_PAGE = 20


def chosen_people(institution_id, ids) -> list[Person]:
    """The chosen members of a group form (its members, or what was ticked when a save was refused), of this
    institution only, by name; department and post eager-loaded."""
    wanted = {int(i) for i in ids if str(i).isdigit()}
    if not wanted:
        return []
    return list(db.session.scalars(
        select(Person).where(Person.institution_id == institution_id, Person.id.in_(wanted))
        .options(selectinload(Person.department), selectinload(Person.post)).order_by(Person.name, Person.id)))


def search_staff(institution_id, text="", page=1, *, full_ids=True, per_page=PICKER_PAGE):
    """One page of the member picker: the institution's serving staff matching a part of 姓名 or 科室, a 工号, or a
    证件号码 (full, its first or last characters, by the staff list's rule and indexes, masked digits not
    searchable). Returns (people, total, notice); department and post eager-loaded, two queries whatever the size."""
    text = (text or "").strip()[:50]
    stmt = select(Person).where(Person.institution_id == institution_id, Person.status.in_(ACTIVE_STATUSES))
    notice = None
    if text:
        condition, notice = people_svc.search_condition(institution_id, text, full_ids)
        if not people_svc.is_id_fragment(text.upper()):
            in_department = select(Department.id).where(Department.institution_id == institution_id,
                                                        Department.name.contains(text, autoescape=True))
            condition = condition | Person.department_id.in_(in_department)
        stmt = stmt.where(condition)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = min(max(int(page or 1), 1), max((total + per_page - 1) // per_page, 1))
    rows = list(db.session.scalars(
        stmt.options(selectinload(Person.department), selectinload(Person.post))
        .order_by(Person.name, Person.id).limit(per_page).offset((page - 1) * per_page)))
    return rows, total, page, notice


# ---- checks ------------------------------------------------------------------------------------------------------

def _parse_ids(raw_ids, errors) -> list[int]:
    ids, bad = [], False
    for raw in raw_ids or ():
        text = str(raw).strip()
        if not text:
            continue
        if not text.isdigit():
            bad = True
            continue
        if int(text) not in ids:
            ids.append(int(text))
    if bad:
        errors.append(("members", "组成员须从本机构的人员中选择"))
    return ids


def _members(institution_id, ids, errors) -> list[Person]:
    """The persons with these ids, all of this institution; anything else is an error naming how many."""
    if not ids:
        return []
    found = list(db.session.scalars(select(Person).where(Person.id.in_(ids))))
    own = [p for p in found if p.institution_id == institution_id]
    foreign = len(ids) - len(own)
    if foreign:
        errors.append(("members", f"组成员须从本机构的人员中选择：有 {foreign} 人不是本机构的人员，不能加入"))
    return own


def _check(institution_id, group, *, name, description, member_ids):
    """Every problem of the input at once; returns the cleaned values and members."""
    errors = []
    name = (name or "").strip()
    description = (description or "").strip()
    if not name:
        errors.append(("name", "名称不能为空，请填写关键人员组名称"))
    elif len(name) > NAME_MAX:
        errors.append(("name", f"名称不能超过 {NAME_MAX} 个字（现在 {len(name)} 个字）"))
    else:
        stmt = select(KeyGroup.id).where(KeyGroup.institution_id == institution_id, KeyGroup.name == name)
        if group is not None and group.id is not None:
            stmt = stmt.where(KeyGroup.id != group.id)
        if db.session.scalar(stmt.limit(1)) is not None:
            errors.append(("name", f"名称“{name}”在本机构已存在（含已封存的组），请换一个名称"))
    if len(description) > DESCRIPTION_MAX:
        errors.append(("description", f"说明不能超过 {DESCRIPTION_MAX} 个字（现在 {len(description)} 个字）"))
    members = _members(institution_id, _parse_ids(member_ids, errors), errors)
    if errors:
        raise ValidationFailed(errors)
    return name, description or None, members


def _refuse_archived(group, doing="修改"):
    if group.archived:
        raise DomainError(f"关键人员组“{group.name}”已封存，不能{doing}；如需{doing}，请先点击“启用”")


# ---- writing -----------------------------------------------------------------------------------------------------

@transactional
def create(institution_id, *, name, description="", member_ids=()) -> KeyGroup:
    """新增 a group of the institution's staff."""
    name, description, members = _check(institution_id, None, name=name, description=description,
                                        member_ids=member_ids)
    group = KeyGroup(institution_id=institution_id, name=name, description=description, archived=False,
                     members=members)
    db.session.add(group)
    return group


LABELS = {"name": "名称", "description": "说明", "members": "组成员", "archived": "状态"}


def _shown(key, value):
    if key == "members":
        return "、".join(value) if value else "（无）"
    if key == "archived":
        return "封存" if value else "启用"
    return "（空）" if value in (None, "") else str(value)


def update(institution_id, group_id, *, name, description="", member_ids=(), version=None) -> KeyGroup:
    """修改 a group: name, 说明 and the whole member list (replaced). Refused while the group is 封存.
    `version`: the version the form was opened with (a group changed since then is refused: EditConflict)."""
    group = _get_or_raise(institution_id, group_id)
    _refuse_archived(group)
    base = concurrency.check(group, version, LABELS, _shown)
    with transaction(conflict=(group, base, LABELS, _shown)):
        name, description, members = _check(institution_id, group, name=name, description=description,
                                            member_ids=member_ids)
        group.name, group.description, group.members = name, description, members
    return group


@transactional
def archive(institution_id, group_id) -> KeyGroup:
    """封存: the group becomes read-only and disappears from pickers; its members are kept."""
    group = _get_or_raise(institution_id, group_id)
    if group.archived:
        raise DomainError(f"关键人员组“{group.name}”已经是封存状态")
    group.archived = True
    return group


@transactional
def reopen(institution_id, group_id) -> KeyGroup:
    """启用: a 封存 group can be edited and picked again."""
    group = _get_or_raise(institution_id, group_id)
    if not group.archived:
        raise DomainError(f"关键人员组“{group.name}”没有封存，无需启用")
    group.archived = False
    return group


@transactional
def delete(institution_id, group_id) -> str:
    """删除 a group (its members stay staff, only the grouping goes). Refused while 封存. Returns its name."""
    group = _get_or_raise(institution_id, group_id)
    _refuse_archived(group, "删除")
    name = group.name
    db.session.delete(group)
    return name
