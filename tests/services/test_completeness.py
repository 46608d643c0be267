"""资料完整度: per department and per field, the filled counts equal a direct count of the staff in post; the list of
what is missing names each person's empty ★ fields; scope (an institution sees its own, a region picks inside it)."""
import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES, IMPORTANT, LABELS
from app.models.org import Institution
from app.models.people import Person
from app.models.security import User
from app.services import completeness as svc
from app.services import seed
from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def staff_with_gaps(db, code=JIANGXIA_CODE, count=40):
    """`count` synthetic staff (every ★ field filled), then gaps: 民族 empty for 3, 手机号码 blank text for 2,
    参加工作日期 and 岗位 for 1, 所在科室 for 2, and one person out of post with gaps (not counted)."""
    seed.seed_people(count, code)
    inst = _inst(db, code)
    people = list(db.session.scalars(select(Person).where(Person.institution_id == inst.id).order_by(Person.id)))
    for p in people[:3]:
        p.ethnicity = None
    for p in people[3:5]:
        p.phone = "  "
    people[5].work_start, people[5].post_id = None, None
    for p in people[6:8]:
        p.department_id = None
    people[9].status, people[9].political = "离职", None
    db.session.commit()
    return inst


def _direct(inst_id, key, department_id="any"):
    """A direct count of the staff in post of the institution (and department) with ★ field `key` filled."""
    column = getattr(Person, key)
    stmt = select(func.count()).select_from(Person).where(
        Person.institution_id == inst_id, Person.status.in_(ACTIVE_STATUSES), column.is_not(None))
    if key in ("ethnicity", "phone", "political", "name", "id_number", "id_type", "sex", "status", "staff_category",
               "establishment", "education", "tech_title"):
        stmt = stmt.where(func.trim(column) != "")
    if department_id != "any":
        stmt = stmt.where(Person.department_id == department_id if department_id else Person.department_id.is_(None))
    return stmt


def test_each_field_of_each_department_equals_a_direct_count(db):
    inst = staff_with_gaps(db)
    report = svc.by_department(_user(db, "inst_admin"))
    assert report.institution.id == inst.id
    assert [k for k, _ in report.fields] == list(IMPORTANT) and report.fields[0] == ("name", "姓名")
    in_post = db.session.scalar(select(func.count()).select_from(Person).where(
        Person.institution_id == inst.id, Person.status.in_(ACTIVE_STATUSES)))
    assert report.total.staff == in_post == 39  # the one out of post is left out
    for key in IMPORTANT:
        assert report.total.filled[key] == db.session.scalar(_direct(inst.id, key)), key
        for line in report.lines:
            dept = None if line.key == svc.NO_DEPARTMENT else line.key
            assert line.filled[key] == db.session.scalar(_direct(inst.id, key, dept)), (key, line.label)
    assert report.total.filled["ethnicity"] == 36 and report.total.filled["phone"] == 37
    assert report.total.filled["work_start"] == 38 and report.total.filled["department_id"] == 37
    assert report.total.complete == 39 - 8 and report.total.missing == 8
    assert report.total.share("ethnicity") == round(100 * 36 / 39, 1)
    assert report.total.average == round(100 * (16 * 39 - 3 - 2 - 2 - 2) / (16 * 39), 1)
    assert report.lines[-1].label == "未分配科室" and report.lines[-1].staff == 2
    assert sum(line.staff for line in report.lines) == 39


def test_the_missing_list_names_each_empty_field(db):
    inst = staff_with_gaps(db)
    user = _user(db, "inst_admin")
    page = svc.missing(user)
    assert page.total == 8 and len(page.rows) == 8
    by_id = {r.person_id: r.fields for r in page.rows}
    people = list(db.session.scalars(select(Person).where(Person.institution_id == inst.id).order_by(Person.id)))
    assert by_id[people[0].id] == ["民族"] and by_id[people[3].id] == ["手机号码"]
    assert by_id[people[5].id] == ["参加工作日期", "岗位"] and by_id[people[6].id] == ["所在科室"]
    assert people[9].id not in by_id  # out of post
    only_phone = svc.missing(user, field_key="phone")
    assert {r.person_id for r in only_phone.rows} == {people[3].id, people[4].id}
    none = svc.missing(user, department_id=svc.NO_DEPARTMENT)
    assert {r.person_id for r in none.rows} == {people[6].id, people[7].id}
    one = svc.missing(user, department_id=people[0].department_id)
    assert people[0].id in {r.person_id for r in one.rows}
    assert all(r.department for r in one.rows)
    paged = svc.missing(user, per_page=3, page=3)
    assert (paged.page, paged.pages, len(paged.rows)) == (3, 3, 2)
    with pytest.raises(DomainError, match="没有这个重要信息项"):
        svc.missing(user, field_key="photo_path")
    with pytest.raises(DomainError, match="该科室不存在"):
        svc.missing(user, department_id=10**6)
    assert LABELS["phone"] == "手机号码"


def test_scope_institution_own_and_region_inside(db):
    staff_with_gaps(db)
    seed.seed_people(5, WUCHANG_CODE)  # with 陈武昌
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        svc.by_department(_user(db, "inst_admin"), wuchang.id)
    assert svc.by_department(_user(db, "inst_admin"), jiangxia.id).institution.id == jiangxia.id
    region = _user(db, "region_admin")  # 江夏区
    assert svc.by_department(region) is None  # the page offers the picker
    assert svc.by_department(region, jiangxia.id).total.staff == 39
    assert svc.by_department(region, _inst(db, JIANGXIA2_CODE).id).total.staff == 0
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        svc.by_department(region, wuchang.id)
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        svc.missing(region, wuchang.id)
    assert svc.by_department(_user(db, "sysadmin01"), wuchang.id).total.staff == 5
