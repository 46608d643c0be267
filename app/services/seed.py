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
from app.security import pages
from app.services import accounts, departments, dictionaries, posts, roles
from app.services.transaction import transactional

DEMO_PASSWORD = "Demo@Hb-2580"
JIANGXIA_CODE = "124201154201150159"
WUCHANG_CODE = "124201064201060209"
JIANGXIA2_CODE = "124201154201151641"

DEMO_INSTITUTIONS = (
    (JIANGXIA_CODE, "武汉市江夏区示例镇卫生院", "420115", "乡镇卫生院"),
    (WUCHANG_CODE, "武汉市武昌区示例社区卫生服务中心", "420106", "社区卫生服务中心"),
    (JIANGXIA2_CODE, "武汉市江夏区示例街道社区卫生服务中心", "420115", "社区卫生服务中心"),
)

# (account, 昵称, role, institution code or None, region code or None, is_owner, demo password?)
DEMO_ACCOUNTS = (
    ("sysadmin01", "系统管理员", "系统管理员", None, None, False, True),
    ("region_admin", "江夏区卫健局", "区域管理员", None, "420115", True, True),
    ("inst_admin", "江夏示例卫生院总账号", "机构总账号", JIANGXIA_CODE, None, True, True),
    ("inst_staff", "江夏示例卫生院人事科", "人事科", JIANGXIA_CODE, None, False, True),
    ("inst2_admin", "武昌示例中心总账号", "机构总账号", WUCHANG_CODE, None, True, True),
    ("inst3_admin", "江夏示例街道中心总账号", "机构总账号", JIANGXIA2_CODE, None, True, True),
    ("newcomer01", "新用户", "人事科", JIANGXIA_CODE, None, False, False),
)


@transactional
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
    created["wuchang_staff"] = _seed_wuchang(institutions[WUCHANG_CODE])
    return created


# One member of staff of the 武昌 centre, so that a 江夏 user entering this person's ID is refused with the holder
# named (spec 4.4). The 江夏 centre starts empty, to be tried as a new institution (初始化部门 …).
WUCHANG_PERSON = {"name": "陈武昌", "id_number": "420106198503150018"}


@transactional
def _seed_wuchang(inst) -> int:
    if db.session.scalar(select(Person.id).where(Person.institution_id == inst.id)):
        return 0
    number = WUCHANG_PERSON["id_number"]
    db.session.add(Person(institution_id=inst.id, name=WUCHANG_PERSON["name"], id_type="01", id_number=number,
                          sex=sex_code(number), birth_date=birth_date(number), status="在岗", ethnicity="01",
                          establishment="1"))
    return 1

# What the demo 人事科 role may do (README: inst_staff is the 人事专员): the personnel pages, without 查看完整证件号.
DEMO_HR_GRANTS = {pages.PEOPLE: ("read", "write"), pages.PHOTO_WALL: ("read",), pages.KEY_GROUPS: ("read", "write"),
                  pages.IMPORTS: ("read", "import", "export"), pages.ATTACHMENT_BATCHES: ("read", "write"),
                  pages.RESIGNATIONS: ("read", "write")}


def _demo_hr_permissions() -> set[int]:
    wanted = [(f"can_{perm}", page.resource) for page, perms in DEMO_HR_GRANTS.items() for perm in perms]
    ids = set()
    for perm, resource in wanted:
        pv_id = db.session.scalar(select(PermissionView.id).join(Permission).join(ViewMenu).where(
            Permission.name == perm, ViewMenu.name == resource))
        if pv_id is None:
            raise RuntimeError(f"permission {perm} on {resource} does not exist (run the role sync first)")
        ids.add(pv_id)
    return ids | roles.menu_permissions(ids)  # and the menu entries of those pages (the role service's rule)


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
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚建文辉力鹏飞宇浩然志斌峰磊波晨阳俊凯"
GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞桂英华玉兰萍红欣怡婷雪梅琳思佳倩丹颖慧"


def synthetic_id(index: int, region_code: str = "420115") -> str:
    """A valid 18-digit ID number, unique per index (birth date and sequence derived from it)."""
    birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=index % 14000)
    seq = (index // 14000) % 1000
    first17 = f"{region_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)


# Posts of the synthetic staff (name = the standard post each is mapped to) and the majors they studied.
SEED_POSTS = (("临床医师", "专业技术岗"), ("护士", "专业技术岗"), ("药师", "专业技术岗"), ("行政管理岗", "管理岗"))
MAJORS = ("临床医学", "护理学", "药学", "医学检验技术", "中医学", "公共卫生与预防医学")
# Home regions of the synthetic ID numbers (Wuhan districts and nearby counties).
ID_REGIONS = ("420115", "420115", "420115", "420106", "420111", "420102", "420103", "420104", "420105", "420107",
              "420112", "420113", "420114", "420116", "420117", "421122", "420281", "420981")


class _Profile:
    """What staff of one post are like: share of the staff, share of women, 从事专业类别, 学历 and 所学专业,
    执业类别 (doctors), 参加工作 age per 学历."""

    def __init__(self, post, share, women, categories, education, majors, practice=()):
        self.post, self.share, self.women = post, share, women
        self.categories, self.education, self.majors, self.practice = categories, education, majors, practice


# weights: (value, weight); education codes 1 研究生 2 大学本科 3 大专 4 中专
STAFF_PROFILES = (
    _Profile("临床医师", 35, 0.45, (("11", 8), ("12", 2)), (("1", 15), ("2", 55), ("3", 25), ("4", 5)),
             ("临床医学", "临床医学", "临床医学", "中医学", "中西医临床医学", "口腔医学"), (("1", 8), ("4", 2))),
    _Profile("护士", 40, 0.95, (("21", 9), ("22", 1)), (("2", 30), ("3", 50), ("4", 20)), ("护理学", "助产学")),
    _Profile("药师", 10, 0.6, (("31", 8), ("32", 2)), (("2", 40), ("3", 40), ("4", 20)), ("药学", "中药学")),
    _Profile("行政管理岗", 15, 0.5, (("80", 1),), (("1", 5), ("2", 55), ("3", 30), ("4", 10)),
             ("公共事业管理", "会计学", "人力资源管理", "计算机科学与技术", "公共卫生与预防医学")),
)
START_AGE = {"1": 26, "2": 23, "3": 21, "4": 19}  # 参加工作 age by 学历
MIN_AGE, MAX_AGE, MODE_AGE = 22, 60, 36


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _title_for(rng, age):
    """专业技术资格 by age: 士级/师级 when young, 中级 in mid-career, 副高/正高 from about 40."""
    if age < 28:
        return _pick(rng, (("5", 4), ("4", 6)))
    if age < 36:
        return _pick(rng, (("4", 5), ("3", 5)))
    if age < 46:
        return _pick(rng, (("4", 1), ("3", 6), ("2", 3)))
    return _pick(rng, (("3", 4), ("2", 4), ("1", 2)))


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


@transactional
def seed_people(count: int, institution_code: str = JIANGXIA_CODE) -> int:
    """Ensure `count` synthetic staff exist in the institution; returns how many were created.

    The staff look like a real centre's (statistics are built on them): both sexes (mostly women among nurses),
    ages spread from 22 to 60 (most in their thirties and forties), every ★ field filled (民族, 手机号码, 参加工作日期,
    岗位, 从事专业类别, 编制情况, 学历, 专业技术资格, 政治面貌 …) and consistent with each other (从事专业类别 and
    所学专业 follow the post, 专业技术资格 the age, 参加工作日期 the 学历), departments of very different sizes. They pass
    the rules of the form and the import, so an export of them imports again without failures."""
    inst = demo_institution(institution_code)
    taken = set(db.session.scalars(select(Person.id_number)))
    have = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id))
    if have >= count:
        return 0
    seed_org(inst)
    post_ids = {p.name: p.id for p in db.session.scalars(select(Post).where(Post.institution_id == inst.id))}
    depts = db.session.execute(
        select(Department.id, Department.category).where(
            Department.institution_id == inst.id, Department.active.is_(True),
            Department.category.in_(("科室(部门)", "职能部门"))).order_by(Department.seq, Department.id)).all()
    clinical = [d.id for d in depts if d.category == "科室(部门)"] or [d.id for d in depts]
    offices = [d.id for d in depts if d.category == "职能部门"] or clinical
    # departments of different sizes: the first ones of the list large, the last ones small
    clinical_w = [1 / (i + 1) ** 0.6 for i in range(len(clinical))]
    offices_w = [1 / (i + 1) ** 0.6 for i in range(len(offices))]
    rng = random.Random(20261126 + have)
    ethnic = [d.code for d in dictionaries.items("ethnicity")][:12] or ["01"]
    prefixes = _mobile_prefixes()
    scopes = {}
    for d in dictionaries.items("practice_scope"):
        scopes.setdefault((d.extra or {}).get("category_code"), []).append(d.code)
    profiles = STAFF_PROFILES
    shares = [p.share for p in profiles]
    today = datetime.date.today()
    created, batch = 0, []
    while have + created < count:
        profile = rng.choices(profiles, shares)[0]
        woman = rng.random() < profile.women
        age = rng.triangular(MIN_AGE, MAX_AGE, MODE_AGE)
        birth = today - datetime.timedelta(days=int(age * 365.25))
        id_number = _staff_id(rng, birth, woman, taken)
        schooling = _pick(rng, profile.education)
        while START_AGE[schooling] > age - 1 and schooling != "4":  # a 23-year-old has not finished a 研究生 degree
            schooling = str(int(schooling) + 1)
        start_age = START_AGE[schooling] + rng.randint(0, 2)
        work_start = min(datetime.date(birth.year + start_age, rng.choice((7, 8, 9)), 1),
                         today.replace(day=1))
        age = int(age)
        category = _pick(rng, profile.categories)
        practice = _pick(rng, profile.practice) if profile.practice and category == "11" else None
        title = _title_for(rng, age)
        given = GIVEN_FEMALE if woman else GIVEN_MALE
        batch.append(Person(
            institution_id=inst.id,
            staff_no=f"JX{have + created + 1:05d}",
            name=rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2)))),
            id_type="01",
            id_number=id_number,
            sex=sex_code(id_number),
            birth_date=birth_date(id_number),
            ethnicity="01" if rng.random() < 0.93 else rng.choice(ethnic),
            political=_pick(rng, (("01", 30), ("03", 15 if age < 30 else 1), ("13", 55), ("12", 2))),
            phone=rng.choice(prefixes) + f"{rng.randrange(10**8):08d}",
            work_start=work_start,
            department_id=(rng.choices(offices, offices_w) if profile.post == "行政管理岗"
                           else rng.choices(clinical, clinical_w))[0],
            post_id=post_ids[profile.post],
            status="在岗",
            staff_category=category,
            establishment=_pick(rng, (("1", 65), ("2", 25), ("3", 8), ("4", 2 if age >= 55 else 0))),
            education=schooling,
            major=rng.choice(profile.majors) if schooling in MAJOR_REQUIRED_EDUCATION or rng.random() < 0.5 else None,
            degree={"1": _pick(rng, (("3", 8), ("2", 2))), "2": _pick(rng, (("4", 9), ("9", 1)))}.get(schooling, "9"),
            tech_title=title,
            tech_post=title if rng.random() < 0.85 else min(str(int(title) + 1), "5"),
            practice_category=practice,
            practice_scope=rng.choice(scopes[practice]) if practice and scopes.get(practice) else None,
            admin_post="4" if age >= 38 and rng.random() < 0.06 else None,
        ))
        created += 1
        if len(batch) >= 2000:
            db.session.add_all(batch)
            db.session.flush()
            batch = []
    db.session.add_all(batch)
    return created


def _staff_id(rng, birth: datetime.date, woman: bool, taken: set) -> str:
    """A valid 18-digit ID number of someone born on `birth`: the 17th digit even for a woman, odd for a man."""
    while True:
        first17 = f"{rng.choice(ID_REGIONS)}{birth:%Y%m%d}{rng.randrange(100):02d}{rng.randrange(5) * 2 + (not woman)}"
        number = first17 + check_digit(first17)
        if number not in taken:
            taken.add(number)
            return number


def _mobile_prefixes() -> list[str]:
    """The 11-digit mobile prefixes staff phones may have (app/data/mobile_prefixes.csv)."""
    prefixes = [d.code for d in dictionaries.items("mobile_prefixes")]
    return [p for p in prefixes if len(p) == 3 and p[:2] in ("13", "15", "17", "18", "19")] or ["139"]
