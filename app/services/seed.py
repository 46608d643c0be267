"""Demo data of DESIGN.md and synthetic staff for trials and benchmarks. Idempotent."""
import datetime
import random

from flask_appbuilder.security.sqla.models import Permission, PermissionView, ViewMenu
from sqlalchemy import func, select

from app.domain.id_number import birth_date, check_digit, sex_code
from app.domain.person import MAJOR_REQUIRED_EDUCATION
from app.extensions import db
from app.models.org import Department, Institution, Post, Region
from app.models.people import Person
from app.models.security import RoleProfile, User
from app.services import accounts, departments, dictionaries, posts, roles

DEMO_PASSWORD = "Demo@Hb-2580"
JIANGXIA_CODE = "124201154201150159"
WUCHANG_CODE = "124201064201060209"

DEMO_INSTITUTIONS = (
    (JIANGXIA_CODE, "武汉市江夏区示例镇卫生院", "420115", "乡镇卫生院"),
    (WUCHANG_CODE, "武汉市武昌区示例社区卫生服务中心", "420106", "社区卫生服务中心"),
)

# (account, 昵称, role, institution code or None, region code or None, is_owner, demo password?)
DEMO_ACCOUNTS = (
    ("sysadmin01", "系统管理员", "系统管理员", None, None, False, True),
    ("region_admin", "江夏区卫健局", "区域管理员", None, "420115", True, True),
    ("inst_admin", "江夏示例卫生院总账号", "机构总账号", JIANGXIA_CODE, None, True, True),
    ("inst_staff", "江夏示例卫生院人事科", "人事科", JIANGXIA_CODE, None, False, True),
    ("inst2_admin", "武昌示例中心总账号", "机构总账号", WUCHANG_CODE, None, True, True),
    ("newcomer01", "新用户", "人事科", JIANGXIA_CODE, None, False, False),
)


def seed_demo() -> dict:
    """Demo regions, institutions and accounts; creates only what is missing."""
    dictionaries.load_regions()
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    institutions = {i.code: i for i in db.session.scalars(select(Institution))}
    created = {"institutions": 0, "accounts": 0}
    for code, name, region_code, kind in DEMO_INSTITUTIONS:
        if code not in institutions:
            inst = Institution(code=code, name=name, region=regions[region_code], kind=kind, internet_access=True)
            db.session.add(inst)
            institutions[code] = inst
            created["institutions"] += 1
    db.session.flush()
    existing = set(db.session.scalars(select(User.username)))
    for username, nickname, role, inst_code, region_code, is_owner, demo_pw in DEMO_ACCOUNTS:
        if username in existing:
            continue
        institution = institutions.get(inst_code)
        if not is_owner and institution is not None:
            role = _demo_role(institution, role).role.name  # a level-3 role made by the institution's owner
        user = accounts.create_account(
            username,
            nickname,
            [role],
            institution=institution,
            region=regions.get(region_code),
            password=DEMO_PASSWORD if demo_pw else None,
            must_change_password=not demo_pw,
            is_owner=is_owner,
        )
        if demo_pw:
            user.certified_at = datetime.datetime.now()  # demo accounts are already certified
        created["accounts"] += 1
    _demo_role(institutions[JIANGXIA_CODE], "人事科")  # an older demo database's empty 人事科 gets its rights
    db.session.commit()
    created["wuchang_staff"] = _seed_wuchang(institutions[WUCHANG_CODE])
    return created


# One member of staff of the 武昌 centre, so that a 江夏 user entering this person's ID is refused with the holder
# named (spec 4.4). The 江夏 centre starts empty, to be tried as a new institution (初始化部门 …).
WUCHANG_PERSON = {"name": "陈武昌", "id_number": "420106198503150018"}


def _seed_wuchang(inst) -> int:
    if db.session.scalar(select(Person.id).where(Person.institution_id == inst.id)):
        return 0
    number = WUCHANG_PERSON["id_number"]
    db.session.add(Person(institution_id=inst.id, name=WUCHANG_PERSON["name"], id_type="01", id_number=number,
                          sex=sex_code(number), birth_date=birth_date(number), status="在岗", ethnicity="01",
                          establishment="1"))
    db.session.commit()
    return 1

# What the demo 人事科 role may do (README: inst_staff is the 人事专员): the personnel pages, without 查看完整证件号.
DEMO_HR_GRANTS = {"人员信息管理": ("read", "write"), "人员信息查询": ("read",), "人员标签管理": ("read", "write"),
                  "人员信息导入管理": ("read", "import", "export"), "附件批量导入": ("read", "write")}
DEMO_HR_MENUS = ("机构人力资源", *DEMO_HR_GRANTS)  # the category and each page (menu names = page names)


def _demo_hr_permissions() -> set[int]:
    wanted = [(f"can_{perm}", page) for page, perms in DEMO_HR_GRANTS.items() for perm in perms]
    wanted += [("menu_access", name) for name in DEMO_HR_MENUS]
    ids = set()
    for perm, resource in wanted:
        pv_id = db.session.scalar(select(PermissionView.id).join(Permission).join(ViewMenu).where(
            Permission.name == perm, ViewMenu.name == resource))
        if pv_id is None:
            raise RuntimeError(f"permission {perm} on {resource} does not exist (run the role sync first)")
        ids.add(pv_id)
    return ids


def _demo_role(institution, display_name):
    """The owner-made role of a demo institution (created once); a 人事科 without any right (an older demo
    database) gets the personnel pages, so inst_staff does not log in to an empty menu."""
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.institution_id == institution.id,
                                                          RoleProfile.display_name == display_name))
    owner = db.session.scalar(select(User).where(User.institution_id == institution.id, User.is_owner.is_(True)))
    if profile is None:
        profile = roles.prepare_role(owner, RoleProfile(display_name=display_name, role_type="科室", seq=1,
                                                        status="正常", description="演示：人事科"))
        db.session.add(profile)
        db.session.flush()
    if display_name == "人事科" and not profile.role.permissions:
        roles.set_permissions(owner, profile, _demo_hr_permissions())
    return profile


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏飞宇浩然欣怡婷雪梅琳晨阳思佳"


def synthetic_id(index: int, region_code: str = "420115") -> str:
    """A valid 18-digit ID number, unique per index (birth date and sequence derived from it)."""
    birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=index % 14000)
    seq = (index // 14000) % 1000
    first17 = f"{region_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


# Posts of the synthetic staff (name = the standard post each is mapped to) and the majors they studied.
SEED_POSTS = (("临床医师", "专业技术岗"), ("护士", "专业技术岗"), ("药师", "专业技术岗"), ("行政管理岗", "管理岗"))
MAJORS = ("临床医学", "护理学", "药学", "医学检验技术", "中医学", "公共卫生与预防医学")


def seed_org(institution) -> tuple[list[int], list[int]]:
    """What staff records need before they can be entered or imported (spec 4.2.4 (1)), created when missing:
    the template departments (初始化部门) and the SEED_POSTS, each mapped to the standard post of its name.
    Returns the ids of the active clinical/functional departments and of the seeded posts."""
    if not departments.has_departments(institution.id):
        departments.initialize(institution.id)
    have = {p.name: p for p in db.session.scalars(select(Post).where(Post.institution_id == institution.id))}
    standard = {sp.name: sp for sp in posts.standard_posts_for_institution(institution.id)}
    post_ids = []
    for name, category in SEED_POSTS:
        post = have.get(name) or posts.create(institution.id, name=name, category=category)
        if post.standard_post_id is None and name in standard:
            posts.set_mapping(institution.id, post.id, standard[name].id)
        post_ids.append(post.id)
    dept_ids = list(db.session.scalars(
        select(Department.id).where(Department.institution_id == institution.id, Department.active.is_(True),
                                    Department.category.in_(("科室(部门)", "职能部门")))
        .order_by(Department.seq, Department.id)))
    return dept_ids, post_ids


def demo_institution(code: str = JIANGXIA_CODE):
    inst = db.session.scalar(select(Institution).where(Institution.code == code))
    if inst is None:
        raise ValueError(f"机构 {code} 不存在，请先运行 setup --demo")
    return inst


def seed_people(count: int, institution_code: str = JIANGXIA_CODE) -> int:
    """Ensure `count` synthetic staff exist in the institution; returns how many were created. The records pass
    the rules of the form and the import (department, mapped post, 所学专业 from 大专 up), so an export of them
    imports again without failures."""
    inst = demo_institution(institution_code)
    taken = set(db.session.scalars(select(Person.id_number)))
    have = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id))
    if have >= count:
        return 0
    dept_ids, post_ids = seed_org(inst)
    rng = random.Random(20261126)
    ethnic = [d.code for d in dictionaries.items("ethnicity")][:10] or ["01"]
    education = [d.code for d in dictionaries.items("education")] or ["2"]
    created, index, batch = 0, 0, []
    while have + created < count:
        id_number = synthetic_id(index)
        index += 1
        if id_number in taken:
            continue
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        schooling = rng.choice(education)
        batch.append(
            Person(
                institution_id=inst.id,
                name=name,
                id_type="01",
                id_number=id_number,
                sex=sex_code(id_number),
                birth_date=birth_date(id_number),
                ethnicity=rng.choice(ethnic),
                education=schooling,
                major=rng.choice(MAJORS) if schooling in MAJOR_REQUIRED_EDUCATION else None,
                phone=f"13{rng.randrange(10**9):09d}",
                department_id=rng.choice(dept_ids),
                post_id=rng.choice(post_ids),
                status="在岗",
            )
        )
        created += 1
        if len(batch) >= 2000:
            db.session.add_all(batch)
            db.session.flush()
            batch = []
    db.session.add_all(batch)
    db.session.commit()
    return created
