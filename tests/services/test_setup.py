"""setup: migrations from empty, dictionaries, demo data, synthetic staff; idempotent."""
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from app.cli import run_setup
from app.domain.id_number import id_problems
from app.models.dictionary import DictItem
from app.models.org import Region
from app.models.people import Person
from app.models.security import User
from app.services import dictionaries, seed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_dictionaries_loaded_from_every_csv(db):
    for dtype, path in dictionaries.dictionary_files():
        with open(path, encoding="utf-8") as fh:
            rows = sum(1 for line in fh if line.strip()) - 1
        assert _count(db, DictItem, DictItem.type == dtype) == rows, dtype
    names = [d.name for d in dictionaries.items("sex")]
    assert names[:3] == ["未知的性别", "男性", "女性"]
    id_types = {d.code: d for d in dictionaries.items("id_types")}
    assert id_types["01"].name == "居民身份证" and id_types["01"].extra["length"] == "18"
    assert len(id_types) == 12  # rows without or with a repeated national code keep their own code


def test_region_tree(db):
    jiangxia = db.session.scalar(select(Region).where(Region.code == "420115"))
    assert jiangxia.parent.code == "420100" and jiangxia.parent.parent.code == "420000"
    assert jiangxia.path == "/420000/420100/420115/"


def test_setup_is_idempotent_and_people_are_valid(app, db):
    users, items = _count(db, User), _count(db, DictItem)
    run_setup(demo=True, people=50)
    run_setup(demo=True, people=50)
    assert _count(db, User) == users and _count(db, DictItem) == items
    people = list(db.session.scalars(select(Person).where(Person.institution.has(code=seed.JIANGXIA_CODE))))
    assert len(people) == 50
    assert all(id_problems(p.id_number) == [] for p in people)
    assert len({p.id_number for p in people}) == 50
    assert all(p.ethnicity in {d.code for d in dictionaries.items("ethnicity")} for p in people)


def test_synthetic_staff_look_like_a_real_centre(app, db):
    """Statistics are built on `setup --people`: both sexes, every ★ field filled and valid, a spread of ages,
    titles, posts and departments, and every record passes the rules of the form and the import."""
    import collections
    import datetime

    from app.domain.person import IMPORTANT
    from app.services import people as people_service

    run_setup(demo=True, people=600)
    staff = list(db.session.scalars(select(Person).where(Person.institution.has(code=seed.JIANGXIA_CODE))))
    assert len(staff) == 600
    sexes = collections.Counter(p.sex for p in staff)
    assert set(sexes) == {"1", "2"} and min(sexes.values()) >= 120, sexes
    for p in staff:
        missing = [f for f in IMPORTANT if getattr(p, f) in (None, "")]
        assert missing == [], (p.name, missing)
    today = datetime.date.today()
    ages = [(today - p.birth_date).days // 365 for p in staff]
    assert min(ages) < 27 and max(ages) > 52
    assert len({a // 10 for a in ages}) >= 4  # 20s to 50s
    assert len({p.tech_title for p in staff}) >= 4 and len({p.post_id for p in staff}) >= 4
    assert len({p.staff_category for p in staff}) >= 4 and len({p.education for p in staff}) >= 3
    per_department = collections.Counter(p.department_id for p in staff)
    assert len(per_department) >= 8 and max(per_department.values()) >= 3 * min(per_department.values())
    assert all(p.work_start >= p.birth_date.replace(year=p.birth_date.year + 16) for p in staff)
    fields = [*IMPORTANT, "staff_no", "major", "degree", "tech_post", "practice_category", "practice_scope",
              "admin_post"]
    rules = people_service.lookups()
    for p in staff:
        checked = people_service.check_person(p.institution_id, {f: getattr(p, f) for f in fields}, p, rules)
        assert checked.errors == [] and checked.warnings == [], (p.name, checked.messages())


def test_disabled_dictionary_value_stays_disabled_after_reload(db):
    item = db.session.scalar(select(DictItem).where(DictItem.type == "sex", DictItem.code == "5"))
    item.active = False
    db.session.commit()
    dictionaries.load_dictionaries()
    db.session.expire_all()
    assert db.session.get(DictItem, item.id).active is False
    assert "女性改(变)为男性" not in [d.name for d in dictionaries.items("sex")]


def test_models_match_migrations(app, db):
    """Every model change has its migration: autogenerate against the migrated DB finds nothing."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from app.extensions import db as _db

    with _db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), _db.metadata)
    assert diff == []


@pytest.mark.slow
def test_flask_setup_command_from_an_empty_database(tmp_path):
    """The README path: `flask setup --demo` on an empty SQLite file, twice (idempotent), without a warning of
    FAB's (views sharing a permission name, a menu's menu_access on the second start, unsupported filters)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "SECRET_KEY": "x" * 32}
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "flask", "--app", "run.py", "setup", "--demo"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        noise = [line for line in (out.stdout + out.stderr).splitlines()
                 if any(w in line for w in ("WARNI", "Refused to delete", "Filter type not supported"))]
        assert noise == []
    assert "newcomer01" in out.stdout and '"accounts": 0' in out.stdout


def test_setup_org_prepares_the_demo_centre_for_an_import(app, db):
    """`setup --org`: the 江夏 centre starts empty (a trial begins with 初始化部门); --org gives it the departments and
    mapped posts an import needs, once."""
    from sqlalchemy import func, select

    from app.cli import run_setup
    from app.models.org import Department, Post
    from app.services import posts as posts_service
    from app.services.seed import demo_institution

    inst = demo_institution()
    assert db.session.scalar(select(func.count(Department.id)).where(Department.institution_id == inst.id)) == 0
    first = run_setup(demo=True, org=True)
    again = run_setup(org=True)
    assert first["org"]["posts"] == 4 and first["org"] == again["org"] and first["org"]["departments"] > 5
    inst = demo_institution()
    assert db.session.scalar(select(func.count(Post.id)).where(Post.institution_id == inst.id)) == 4
    posts_service.require_mapped_post(inst.id)  # raises when no post is mapped
