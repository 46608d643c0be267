"""机构岗位管理 (spec 3.3) and 标准岗位, the regional list posts are mapped to.

机构岗位: every function takes the institution id of the caller; a post of another institution is "not found".
标准岗位: a regional dictionary. The list that applies to a region (and to its institutions) is the one of its
nearest ancestor region (itself included) that has entries: the province's by default. Only accounts of the region
that owns that list (and 系统管理员) may change it.
Writes validate first (collecting every problem, each naming its form field, into ValidationFailed), then write;
each is one transaction (services/transaction.py). Delete and move-all-staff are the shared ones of
services/orgtree.py.
"""
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.org import Institution, Post, Region, StandardPost
from app.services import concurrency, orgtree
from app.services.orgtree import DeleteBlocked
from app.services.scope import scope_of
from app.services.transaction import transaction, transactional

POST_LABELS = {"name": "岗位名称", "category": "岗位类别", "description": "岗位说明", "active": "状态",
               "standard_post_id": "对应标准岗位"}
STANDARD_LABELS = {"code": "编码", "name": "标准岗位名称", "category": "岗位类别", "active": "状态"}


def _shown(key, value):
    """A post's value as the pages show it (for edit-conflict messages)."""
    if key == "active":
        return "正常" if value else "停用"
    if key == "standard_post_id" and value:
        sp = db.session.get(StandardPost, value)
        return f"{sp.name}（{sp.code}）" if sp is not None else str(value)
    return "（空）" if value in (None, "") else str(value)

CATEGORIES = ("专业技术岗", "管理岗", "工勤技能岗")
NAME_MAX = 50
DESCRIPTION_MAX = 500
CODE_MAX = 20
CODE_RE = re.compile(r"^[A-Z0-9_-]+$")
PROVINCE_CODE = "420000"
IMPORT_PAGE = "机构信息管理 → 机构岗位管理"

# The 湖北省 list seeded by `flask setup` (code, name, category). Operators may rename, add or disable entries.
STANDARD_POSTS = (
    ("ZJ01", "临床医师", "专业技术岗"),
    ("ZJ02", "口腔医师", "专业技术岗"),
    ("ZJ03", "中医医师", "专业技术岗"),
    ("ZJ04", "公共卫生医师", "专业技术岗"),
    ("ZJ05", "乡村医生", "专业技术岗"),
    ("ZJ06", "护士", "专业技术岗"),
    ("ZJ07", "助产士", "专业技术岗"),
    ("ZJ08", "药师", "专业技术岗"),
    ("ZJ09", "中药师", "专业技术岗"),
    ("ZJ10", "检验技师", "专业技术岗"),
    ("ZJ11", "影像技师", "专业技术岗"),
    ("ZJ12", "康复治疗师", "专业技术岗"),
    ("ZJ13", "信息技术人员", "专业技术岗"),
    ("ZJ99", "其他专业技术岗", "专业技术岗"),
    ("GL01", "院长/主任", "管理岗"),
    ("GL02", "副院长/副主任", "管理岗"),
    ("GL03", "科室主任", "管理岗"),
    ("GL04", "行政管理岗", "管理岗"),
    ("GL05", "财务岗", "管理岗"),
    ("GL99", "其他管理岗", "管理岗"),
    ("GQ01", "工勤岗", "工勤技能岗"),
    ("GQ02", "驾驶员", "工勤技能岗"),
    ("GQ03", "后勤保障岗", "工勤技能岗"),
)
OWNER_ONLY = "只有机构账号可以维护机构岗位"
MAPPING = "standard_post_id"  # the field of the 映射管理 form
MISSING = "岗位不存在或不属于本机构"


@dataclass
class PostRow:
    """One line of the post list."""

    post: Post
    staff: int
    mapped: bool
    problem: str | None  # why the post counts as unmapped, or None


# ==== 标准岗位 ======================================================================================================

def _category_rank(category) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)


def _codes_of(region: Region) -> list[str]:
    return [c for c in (region.path or "").split("/") if c]


def list_region(region: Region | None) -> Region | None:
    """The region whose list applies to `region`: the nearest ancestor (itself included) that has entries;
    without any entries on the way, the top of the region's tree (the province keeps the list by default)."""
    if region is None:
        return None
    codes = _codes_of(region)
    owners = list(db.session.scalars(
        select(Region).where(Region.code.in_(codes),
                             select(StandardPost.id).where(StandardPost.region_id == Region.id).exists())))
    if owners:
        return max(owners, key=lambda r: len(r.path))
    return db.session.scalar(select(Region).where(Region.code == codes[0])) if codes else region


def list_region_for_institution(institution_id) -> Region | None:
    inst = db.session.get(Institution, institution_id) if institution_id else None
    return list_region(inst.region) if inst is not None else None


def list_regions_for_admin() -> list[Region]:
    """The lists a 系统管理员 may pick: every region that owns entries, and every province."""
    owners = select(StandardPost.region_id)
    return list(db.session.scalars(select(Region).where((Region.level == 1) | Region.id.in_(owners))
                                   .order_by(Region.path)))


def list_region_for_user(user, region_code: str | None = None) -> Region | None:
    """The list a regional account sees (that of its region); 系统管理员 choose one by code (default: the first
    province with a list, else the first province)."""
    s = scope_of(user)
    if s.kind == "region":
        return list_region(user.region)
    if s.kind == "institution":
        return list_region_for_institution(user.institution_id)
    if s.kind == "all":
        choices = list_regions_for_admin()
        chosen = next((r for r in choices if r.code == region_code), None)
        if chosen is None:
            with_list = {r for (r,) in db.session.execute(select(StandardPost.region_id).distinct())}
            chosen = next((r for r in choices if r.id in with_list), None) or (choices[0] if choices else None)
        return chosen
    return None


def can_edit_standard_posts(user, region: Region | None) -> bool:
    """系统管理员 may edit any list; a regional account only the list its own region owns."""
    if region is None:
        return False
    s = scope_of(user)
    if s.kind == "all":
        return True
    return s.kind == "region" and user.region_id == region.id


def owner_note(region: Region | None) -> str:
    if region is None:
        return "尚未设置标准岗位"
    return f"本标准岗位列表由{region.name}维护"


def matches(sp: StandardPost, query: str | None) -> bool:
    """The text filter of the lists: any word of `query` found in the code, name or category."""
    words = (query or "").strip().lower().split()
    hay = f"{sp.code} {sp.name} {sp.category}".lower()
    return all(w in hay for w in words)


def standard_posts(region: Region | None, *, active_only: bool = False, query: str | None = None) -> list[StandardPost]:
    """The entries of one region's list, by code."""
    if region is None:
        return []
    stmt = select(StandardPost).where(StandardPost.region_id == region.id)
    if active_only:
        stmt = stmt.where(StandardPost.active.is_(True))
    found = [sp for sp in db.session.scalars(stmt) if matches(sp, query)]
    return sorted(found, key=lambda sp: (_category_rank(sp.category), sp.code))


def standard_posts_for_institution(institution_id, *, active_only: bool = True,
                                   query: str | None = None) -> list[StandardPost]:
    """The standard posts an institution may map its posts to."""
    return standard_posts(list_region_for_institution(institution_id), active_only=active_only, query=query)


def get_standard_post(user, standard_post_id) -> StandardPost | None:
    """An entry of a list the user can see, else None (the view answers 404)."""
    try:
        sp = db.session.get(StandardPost, int(standard_post_id))
    except (TypeError, ValueError):
        return None
    if sp is None:
        return None
    s = scope_of(user)
    if s.kind == "all":
        return sp
    region = list_region_for_user(user)
    return sp if region is not None and sp.region_id == region.id else None


def mapped_counts(user, region: Region | None) -> dict[int, int]:
    """standard post id → how many posts of the institutions in the user's scope are mapped to it."""
    if region is None:
        return {}
    stmt = (select(Post.standard_post_id, func.count(Post.id))
            .join(StandardPost, Post.standard_post_id == StandardPost.id)
            .where(StandardPost.region_id == region.id).group_by(Post.standard_post_id))
    clause = scope_of(user).institutions_clause(Post.institution_id)
    if clause is not None:
        stmt = stmt.where(clause)
    return {sp_id: n for sp_id, n in db.session.execute(stmt)}


def _check_standard(region, current, *, code, name, category):
    errors = []
    code = (code or "").strip().upper()
    name = (name or "").strip()
    if not code:
        errors.append(("code", "编码不能为空"))
    elif len(code) > CODE_MAX:
        errors.append(("code", f"编码不能超过 {CODE_MAX} 个字符"))
    elif not CODE_RE.match(code):
        errors.append(("code", "编码只能包含英文字母、数字、短横线（-）和下划线（_）"))
    elif db.session.scalar(select(StandardPost.id).where(
            StandardPost.region_id == region.id, StandardPost.code == code,
            StandardPost.id != (current.id if current else 0))):
        errors.append(("code", f"编码“{code}”在{region.name}的标准岗位中已存在"))
    if not name:
        errors.append(("name", "名称不能为空"))
    elif len(name) > NAME_MAX:
        errors.append(("name", f"名称不能超过 {NAME_MAX} 个字"))
    else:
        same = db.session.scalar(select(StandardPost).where(
            StandardPost.region_id == region.id, StandardPost.name == name,
            StandardPost.id != (current.id if current else 0)))
        if same is not None:
            errors.append(("name", f"名称“{name}”在{region.name}的标准岗位中已存在（编码 {same.code}）"))
    if category not in CATEGORIES:
        errors.append(("category", "岗位类别须从下拉列表中选择：" + "、".join(CATEGORIES)))
    if errors:
        raise ValidationFailed(errors)
    return code, name


def _refuse_unless_editor(user, region):
    if not can_edit_standard_posts(user, region):
        who = region.name if region is not None else "上级卫健委"
        raise DomainError(f"标准岗位由{who}统一维护，本账号只能查看")


def _unique_code(code):
    """A concurrent save that won the race for the same code becomes the code's refusal."""
    return orgtree.unique("code", f"编码“{code}”已存在，请刷新后重试")


@transactional
def create_standard_post(user, region: Region, *, code, name, category, active=True) -> StandardPost:
    """新增 an entry of `region`'s list (only its owner region's accounts and 系统管理员)."""
    _refuse_unless_editor(user, region)
    code, name = _check_standard(region, None, code=code, name=name, category=category)
    sp = StandardPost(region_id=region.id, code=code, name=name, category=category, active=bool(active))
    with _unique_code(code):
        db.session.add(sp)
    return sp


def update_standard_post(user, sp: StandardPost, *, code, name, category, active=True, version=None) -> StandardPost:
    """修改 an entry; institution posts mapped to it stay mapped (they refer to it by id). `version`: the version
    the form was opened with (a changed entry is refused: EditConflict)."""
    _refuse_unless_editor(user, sp.region)
    base = concurrency.check(sp, version, STANDARD_LABELS, _shown)
    with transaction(conflict=(sp, base, STANDARD_LABELS, _shown)):
        code, name = _check_standard(sp.region, sp, code=code, name=name, category=category)
        with _unique_code(code):
            sp.code, sp.name, sp.category, sp.active = code, name, category, bool(active)
    return sp


def set_standard_post_active(user, sp: StandardPost, active: bool) -> int:
    """启用/停用 an entry; returns how many institution posts are mapped to it (they must be re-mapped when
    it is disabled)."""
    with transaction():
        _refuse_unless_editor(user, sp.region)
        sp.active = bool(active)
    return db.session.scalar(select(func.count(Post.id)).where(Post.standard_post_id == sp.id))


@transactional
def seed_standard_posts() -> int:
    """Seed the province's standard post list (idempotent: adds only missing codes, keeps operators' changes);
    returns rows added."""
    province = db.session.scalar(select(Region).where(Region.code == PROVINCE_CODE))
    if province is None:
        return 0
    have = set(db.session.scalars(select(StandardPost.code).where(StandardPost.region_id == province.id)))
    names = set(db.session.scalars(select(StandardPost.name).where(StandardPost.region_id == province.id)))
    added = 0
    for code, name, category in STANDARD_POSTS:
        if code in have or name in names:
            continue
        db.session.add(StandardPost(region_id=province.id, code=code, name=name, category=category, active=True))
        added += 1
    return added


# ==== 机构岗位 ======================================================================================================

def _lock_institution(institution_id) -> Institution:
    """Serialises post writes of one institution (two clicks cannot create the same name twice)."""
    return orgtree.lock_institution(institution_id, OWNER_ONLY)


def get(institution_id, post_id) -> Post | None:
    """The post if it belongs to the institution, else None (the view answers 404)."""
    return orgtree.get(Post, institution_id, post_id)


def _order(post: Post):
    """岗位类别 in the order of CATEGORIES, then name (sorted here: databases collate Chinese differently)."""
    return _category_rank(post.category), post.name


def all_posts(institution_id) -> list[Post]:
    """The institution's posts: enabled first, then by 岗位类别 and name."""
    found = db.session.scalars(select(Post).where(Post.institution_id == institution_id))
    return sorted(found, key=lambda p: (not p.active, *_order(p)))


def staff_counts(institution_id) -> dict[int, int]:
    """post id → number of staff records (any status) that hold it."""
    return orgtree.staff_counts(POSTS, institution_id)


def mapping_problem(post: Post) -> str | None:
    """Why a post does not count as mapped to a standard post, or None."""
    if post.standard_post_id is None:
        return "未映射"
    if not post.standard_post.active:
        return "映射的标准岗位已停用，请重新映射"
    return None


def rows(institution_id) -> list[PostRow]:
    counts = staff_counts(institution_id)
    result = []
    for p in all_posts(institution_id):
        problem = mapping_problem(p)
        result.append(PostRow(post=p, staff=counts.get(p.id, 0), mapped=problem is None, problem=problem))
    return result


def post_names(institution_id, active_only: bool = True) -> list[str]:
    """Post names in display order: what the import templates offer in their 岗位 column."""
    stmt = select(Post).where(Post.institution_id == institution_id)
    if active_only:
        stmt = stmt.where(Post.active.is_(True))
    return [p.name for p in sorted(db.session.scalars(stmt), key=_order)]


def has_mapped_post(institution_id) -> bool:
    """At least one enabled post of the institution is mapped to an enabled standard post (spec 4.2.4 (1))."""
    return db.session.scalar(
        select(Post.id).join(StandardPost, Post.standard_post_id == StandardPost.id)
        .where(Post.institution_id == institution_id, Post.active.is_(True), StandardPost.active.is_(True))
        .limit(1)) is not None


MISSING_MAPPED_POST = (f"本机构还没有已映射到标准岗位的岗位：请先在“{IMPORT_PAGE}”中新增岗位并完成映射，"
                       "再批量导入人员")


def require_mapped_post(institution_id) -> None:
    """Batch import of staff needs at least one mapped post (spec 4.2.4 (1)); raises DomainError otherwise."""
    if not has_mapped_post(institution_id):
        raise DomainError(MISSING_MAPPED_POST)


def _check(inst, current, *, name, category, description):
    errors = []
    name = (name or "").strip()
    description = (description or "").strip() or None
    if not name:
        errors.append(("name", "岗位名称不能为空"))
    elif len(name) > NAME_MAX:
        errors.append(("name", f"岗位名称不能超过 {NAME_MAX} 个字（现在 {len(name)} 个字）"))
    elif db.session.scalar(select(Post.id).where(Post.institution_id == inst.id, Post.name == name,
                                                 Post.id != (current.id if current else 0))):
        errors.append(("name", f"岗位名称“{name}”在本机构已存在"))
    if category not in CATEGORIES:
        errors.append(("category", "岗位类别须从下拉列表中选择：" + "、".join(CATEGORIES)))
    if description and len(description) > DESCRIPTION_MAX:
        errors.append(("description", f"说明不能超过 {DESCRIPTION_MAX} 个字"))
    if errors:
        raise ValidationFailed(errors)
    return name, description


def _unique_name(name):
    """A concurrent save that won the race for the same name becomes the name's refusal."""
    return orgtree.unique("name", f"岗位名称“{name}”在本机构已存在，请刷新后重试")


@transactional
def create(institution_id, *, name, category, description=None, active=True) -> Post:
    """新增 a post of the institution (mapped afterwards on the 映射管理 page)."""
    inst = _lock_institution(institution_id)
    name, description = _check(inst, None, name=name, category=category, description=description)
    post = Post(institution_id=inst.id, name=name, category=category, description=description, active=bool(active))
    with _unique_name(name):
        db.session.add(post)
    return post


def update(institution_id, post_id, *, name, category, description=None, active=True, version=None) -> Post:
    """修改 a post; staff holding it keep it (they refer to it by id, so a new name shows everywhere).
    `version`: the version the form was opened with (a changed post is refused: EditConflict)."""
    inst = _lock_institution(institution_id)  # the lock and the reads join the transaction below
    post = get(inst.id, post_id)
    if post is None:
        raise DomainError(MISSING)
    base = concurrency.check(post, version, POST_LABELS, _shown)
    with transaction(conflict=(post, base, POST_LABELS, _shown)):
        name, description = _check(inst, post, name=name, category=category, description=description)
        with _unique_name(name):
            post.name, post.category, post.description, post.active = name, category, description, bool(active)
    return post


def set_active(institution_id, post_id, active: bool) -> int:
    """启用/停用 a post; staff holding it keep it. Returns how many staff hold it."""
    with transaction():
        post = get(institution_id, post_id)
        if post is None:
            raise DomainError(MISSING)
        post.active = bool(active)
    return staff_counts(institution_id).get(post.id, 0)


def set_mapping(institution_id, post_id, standard_post_id, version=None) -> Post:
    """映射管理: map the post to one enabled entry of the standard post list that applies to the institution."""
    post = get(institution_id, post_id)
    if post is None:
        raise DomainError(MISSING)
    base = concurrency.check(post, version, POST_LABELS, _shown)
    with transaction(conflict=(post, base, POST_LABELS, _shown)):
        if standard_post_id in (None, ""):
            raise ValidationFailed([(MAPPING, "请在列表中选择一个标准岗位（点击该行，变为深色即为选中），再点击“确定”")])
        try:
            sp = db.session.get(StandardPost, int(standard_post_id))
        except (TypeError, ValueError):
            sp = None
        region = list_region_for_institution(institution_id)
        if sp is None or region is None or sp.region_id != region.id:
            raise ValidationFailed([(MAPPING, "所选标准岗位不在本地区的标准岗位列表中，请刷新页面后重新选择")])
        if not sp.active:
            raise ValidationFailed([(MAPPING, f"标准岗位“{sp.name}”已停用，不能映射，请选择其他标准岗位")])
        post.standard_post_id = sp.id
    return post


# ---- delete and move (services/orgtree.py) ----------------------------------------------------------------------

def delete_problems(post: Post, staff_moved=False) -> DeleteBlocked | None:
    """Why the post cannot be deleted (staff still hold it), or None. `staff_moved`: they are being moved out in
    the same step."""
    n = 0 if staff_moved else orgtree.staff_count(POSTS, post)
    if n:
        return DeleteBlocked([f"岗位“{post.name}”下还有 {n} 名人员，不能直接删除；请先把这些人员转移到本机构的"
                              "其他岗位（可在下方一次全部转移并删除），以免人员的岗位被清空"], staff=n)
    return None


def move_targets(post: Post) -> list[Post]:
    """The enabled posts of the same institution staff may be moved to."""
    return [p for p in all_posts(post.institution_id) if p.id != post.id and p.active]


POSTS = orgtree.Kind(
    model=Post, column="post_id", owner_only=OWNER_ONLY, missing=MISSING,
    nobody="岗位“{name}”下没有人员，无需转移", delete_problems=delete_problems,
    choose="请选择要转移到的岗位", foreign="要转移到的岗位不存在或不属于本机构",
    itself="不能转移到同一个岗位，请选择其他岗位", disabled="岗位“{target}”已停用，不能把人员转移到停用的岗位")


def delete(institution_id, post_id) -> str:
    """删除 a post no staff hold; returns its name."""
    return orgtree.delete(POSTS, institution_id, post_id)


def move_staff(institution_id, post_id, target_id, and_delete: bool = False) -> tuple[int, Post]:
    """Move every staff record holding a post to another enabled post of the same institution, in one transaction;
    with and_delete the emptied post is deleted in the same transaction (all or nothing). Returns (moved, target)."""
    return orgtree.move_staff(POSTS, institution_id, post_id, target_id, and_delete)
