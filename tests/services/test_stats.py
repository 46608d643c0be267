"""常用统计 core (spec 6.1, issue 16): every dimension and filter counted in SQL equals a count made directly from the
rows; the scope of the caller (institution, sub-account, county) and of the picked region/institution holds."""
import datetime
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES
from app.domain.stats import AGE_BANDS, WORK_YEARS_BANDS, band_of, band_range, full_years
from app.models.movements import Resignation
from app.models.org import Department, Institution, Post
from app.models.people import KeyGroup, Person, key_group_member
from app.models.security import User
from app.services import dictionaries, seed, stats
from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE, synthetic_id

ON = datetime.date(2026, 6, 30)


def _user(db, name):
    return db.session.scalar(select(User).where(User.username == name))


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


@pytest.fixture
def data(db):
    """Three institutions' generated staff, plus rows with blanks, unknown codes, key groups, a sub-department and
    approved resignations before and after ON."""
    seed.seed_people(120, JIANGXIA_CODE)
    seed.seed_people(25, JIANGXIA2_CODE)
    seed.seed_people(20, WUCHANG_CODE)
    home = _inst(db, JIANGXIA_CODE)
    parent = db.session.scalar(select(Department).where(Department.institution_id == home.id)
                               .order_by(Department.seq, Department.id))
    sub = Department(institution_id=home.id, parent_id=parent.id, name="护理组", category="科室(部门)", seq=1)
    db.session.add(sub)
    db.session.flush()
    odd = [
        Person(institution_id=home.id, name="空白甲", id_type="01", id_number=synthetic_id(9001), status="在岗",
               sex="", ethnicity=None, department_id=None, post_id=None, major="", staff_category="99"),
        Person(institution_id=home.id, name="未知乙", id_type="01", id_number=synthetic_id(9002), status="借调",
               sex="1", ethnicity="X9", department_id=sub.id, birth_date=datetime.date(1960, 2, 29),
               work_start=datetime.date(2026, 7, 1), major="临床医学"),
        Person(institution_id=home.id, name="病休丙", id_type="01", id_number=synthetic_id(9003), status="长期病休",
               sex="2", department_id=sub.id, birth_date=datetime.date(2000, 6, 30), work_start=ON),
    ]
    left_after = Person(institution_id=home.id, name="离职丁", id_type="01", id_number=synthetic_id(9004),
                        status="离职", sex="2", department_id=parent.id, work_start=datetime.date(2010, 1, 1))
    left_before = Person(institution_id=home.id, name="退休戊", id_type="01", id_number=synthetic_id(9005),
                         status="退休", sex="1", department_id=parent.id, work_start=datetime.date(1990, 1, 1))
    db.session.add_all([*odd, left_after, left_before])
    db.session.flush()
    db.session.add_all([
        Resignation(institution_id=home.id, person_id=left_after.id, flow_type="21",
                    leave_date=datetime.date(2026, 9, 1), status="已通过"),
        Resignation(institution_id=home.id, person_id=left_before.id, flow_type="24",
                    leave_date=datetime.date(2025, 12, 31), status="已通过"),
    ])
    staff = db.session.scalars(select(Person).where(Person.institution_id == home.id).order_by(Person.id)).all()
    g1 = KeyGroup(institution_id=home.id, name="急救骨干", members=staff[:30] + [odd[1]])
    g2 = KeyGroup(institution_id=home.id, name="党员先锋", members=staff[20:45] + [left_after])
    db.session.add_all([g1, g2])
    db.session.commit()
    return {"home": home, "sub": sub, "parent": parent, "g1": g1, "g2": g2}


# ---- the oracle: the same counts read from the rows in Python ------------------------------------------------------

def _codes(db, person, key, *, on, single, groups):
    """The codes `person` has for dimension `key` (a list: 人员标签 may give several)."""
    def blank(v):
        return None if v in (None, "") else str(v)

    if key == "age_band":
        return [band_of(person.birth_date, on, AGE_BANDS)]
    if key == "work_years_band":
        return [band_of(person.work_start, on, WORK_YEARS_BANDS)]
    if key == "staff_group":
        return [next((g for g, codes in groups.items() if person.staff_category in codes), None)]
    if key == "department":
        if person.department_id is None:
            return [None]
        return [str(person.department_id) if single else db.session.get(Department, person.department_id).name]
    if key == "post":
        return [db.session.get(Post, person.post_id).name if person.post_id else None]
    if key == "key_group":
        names = db.session.scalars(select(KeyGroup.name).join(key_group_member).where(
            key_group_member.c.person_id == person.id)).all()
        return list(names) or [None]
    return [blank(getattr(person, stats.DIMENSIONS[key].column))]


def _groups():
    out = {}
    for item in dictionaries.items("staff_category", active_only=False):
        out.setdefault(item.extra["group"], []).append(item.code)
    return out


def _expected(db, people, rows, cols=None, *, on=None, single=True):
    on = on or datetime.date.today()
    groups = _groups()
    out = Counter()
    for p in people:
        for r in _codes(db, p, rows, on=on, single=single, groups=groups):
            for c in (_codes(db, p, cols, on=on, single=single, groups=groups) if cols else [None]):
                out[(r, c)] += 1
    return dict(out)


def _people(db, *where):
    return db.session.scalars(select(Person).where(*where)).all()


def _in_post(db, person, on):
    res = db.session.scalars(select(Resignation).where(Resignation.person_id == person.id,
                                                       Resignation.status == "已通过")).all()
    if person.work_start is not None and person.work_start > on:
        return False
    if any(r.leave_date <= on for r in res):
        return False
    return person.status in ACTIVE_STATUSES or any(r.leave_date > on for r in res)


# ---- every dimension ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", list(stats.DIMENSIONS))
def test_one_dimension_equals_direct_count(db, data, key):
    user = _user(db, "inst_admin")
    table = stats.count(user, key)
    active = _people(db, Person.institution_id == data["home"].id, Person.status.in_(ACTIVE_STATUSES))
    assert table.cells == _expected(db, active, key)
    assert [c for c, _ in table.rows if c is not None] and table.cols == [(None, "人数")]
    assert {c for c, _ in table.rows} == {r for r, _ in table.cells}
    if key != "key_group":  # a person counts once, except in several key groups
        assert table.total == len(active)
    assert table.total == sum(table.row_total(c) for c, _ in table.rows)


@pytest.mark.parametrize("key", [k for k in stats.DIMENSIONS if k != "education"])
def test_two_dimensions_equal_direct_count(db, data, key):
    table = stats.count(_user(db, "inst_admin"), "education", key)
    active = _people(db, Person.institution_id == data["home"].id, Person.status.in_(ACTIVE_STATUSES))
    expected = _expected(db, active, "education", key)
    assert table.cells == expected
    for col, _ in table.cols:
        assert table.col_total(col) == sum(n for (_, c), n in expected.items() if c == col)


def test_labels_order_and_unfilled_row(db, data):
    user = _user(db, "inst_admin")
    sex = stats.count(user, "sex")
    assert sex.rows[-1] == (None, "未填") and ("1", "男") in sex.rows and ("2", "女") in sex.rows
    ethnicity = stats.count(user, "ethnicity")
    labels = dict(ethnicity.rows)
    assert labels["01"] == "汉族" and labels["X9"] == "X9"  # an unknown code is its own row, named by its code
    assert [c for c, _ in ethnicity.rows].index("X9") > [c for c, _ in ethnicity.rows].index("01")
    ages = stats.count(user, "age_band")
    assert [label for c, label in ages.rows if c] == [b.label for b in AGE_BANDS
                                                     if (b.code, b.label) in ages.rows]
    groups = stats.count(user, "staff_group")
    assert [c for c, _ in groups.rows][0] == "卫生技术人员"
    assert groups.cell(None) == 3  # two without 从事专业类别 and the unknown code 99, in no group
    dept = stats.count(user, "department")
    assert dict(dept.rows)[str(data["sub"].id)] == data["parent"].name + "/护理组"


def test_sub_account_sees_its_institution(db, data):
    assert stats.count(_user(db, "inst_staff"), "sex").cells == stats.count(_user(db, "inst_admin"), "sex").cells


# ---- filters -----------------------------------------------------------------------------------------------------

def test_department_filter_takes_sub_departments(db, data):
    user = _user(db, "inst_admin")
    table = stats.count(user, "status", filters=stats.Filters(department_id=data["parent"].id))
    people = _people(db, Person.department_id.in_((data["parent"].id, data["sub"].id)),
                     Person.status.in_(ACTIVE_STATUSES))
    assert table.cells == _expected(db, people, "status") and table.total >= 2
    assert table.cell("借调") == 1 and table.cell("长期病休") == 1


@pytest.mark.parametrize("statuses", [("在岗",), ("离职", "退休"), ("借调", "长期病休", "在岗")])
def test_status_filter(db, data, statuses):
    table = stats.count(_user(db, "inst_admin"), "sex", filters=stats.Filters(statuses=statuses))
    people = _people(db, Person.institution_id == data["home"].id, Person.status.in_(statuses))
    assert table.cells == _expected(db, people, "sex")


def test_default_status_is_the_active_ones(db, data):
    table = stats.count(_user(db, "inst_admin"), "status")
    assert {c for c, _ in table.rows} <= set(ACTIVE_STATUSES)
    assert table.cell("离职") == 0


def test_key_group_filter(db, data):
    table = stats.count(_user(db, "inst_admin"), "age_band", filters=stats.Filters(key_group_id=data["g2"].id))
    people = [p for p in data["g2"].members if p.status in ACTIVE_STATUSES]
    assert table.cells == _expected(db, people, "age_band") and table.total == len(people)


@pytest.mark.parametrize("on", [ON, datetime.date(2025, 6, 30), datetime.date(2026, 12, 31)])
def test_in_post_on_a_date(db, data, on):
    table = stats.count(_user(db, "inst_admin"), "age_band", "work_years_band", filters=stats.Filters(on=on))
    people = [p for p in _people(db, Person.institution_id == data["home"].id) if _in_post(db, p, on)]
    assert table.cells == _expected(db, people, "age_band", "work_years_band", on=on)
    names = {p.name for p in people}
    assert ("离职丁" in names) == (on < datetime.date(2026, 9, 1))
    assert ("退休戊" in names) == (on < datetime.date(2025, 12, 31))
    assert ("未知乙" in names) == (on >= datetime.date(2026, 7, 1))
    assert "病休丙" in names or on < ON


def test_band_edges():
    on = datetime.date(2026, 6, 30)
    assert band_of(datetime.date(2000, 7, 1), on) == "-25"  # 25 until tomorrow
    assert band_of(datetime.date(2000, 6, 30), on) == "26-35"  # 26 today
    assert band_of(datetime.date(1970, 7, 1), on) == "46-55"
    assert band_of(datetime.date(1970, 6, 30), on) == "56-"
    assert full_years(datetime.date(1960, 2, 29), datetime.date(2026, 2, 28)) == 65
    after, not_after = band_range(AGE_BANDS[1], on)
    assert after == datetime.date(1990, 6, 30) and not_after == datetime.date(2000, 6, 30)


# ---- scope -------------------------------------------------------------------------------------------------------

def test_county_user_counts_its_county_only(db, data):
    user = _user(db, "region_admin")  # 江夏区 420115
    table = stats.count(user, "sex")
    jiangxia = [i.id for i in (data["home"], _inst(db, JIANGXIA2_CODE))]
    people = _people(db, Person.institution_id.in_(jiangxia), Person.status.in_(ACTIVE_STATUSES))
    assert table.cells == _expected(db, people, "sex", single=False)
    wuchang = stats.count(_user(db, "inst2_admin"), "sex")
    assert wuchang.total > 0 and table.total == len(people)
    assert table.total + wuchang.total == stats.count(_user(db, "sysadmin01"), "sex").total  # 武昌 is left out


def test_county_user_departments_by_name_and_picker(db, data):
    user = _user(db, "region_admin")
    table = stats.count(user, "department")
    assert all(not (c or "").isdigit() for c, _ in table.rows)  # across institutions: by department name
    one = stats.count(user, "department", institution_id=data["home"].id)
    assert one.total == stats.count(_user(db, "inst_admin"), "department").total
    assert stats.count(user, "sex", region_code="420115").cells == stats.count(user, "sex").cells


@pytest.mark.parametrize("kwargs", [{"region_code": "420106"}, {"institution_id": "wuchang"},
                                    {"region_code": "999999"}, {"institution_id": 10**6}, {"institution_id": "x"}])
def test_outside_the_scope_is_refused(db, data, kwargs):
    if kwargs.get("institution_id") == "wuchang":
        kwargs = {"institution_id": _inst(db, WUCHANG_CODE).id}
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        stats.count(_user(db, "region_admin"), "sex", **kwargs)


def test_institution_user_cannot_pick_another_institution(db, data):
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        stats.count(_user(db, "inst_admin"), "sex", institution_id=_inst(db, WUCHANG_CODE).id)
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        stats.count(_user(db, "inst_admin"), "sex", region_code="420115")


def test_filters_of_another_institution_are_refused(db, data):
    other_dept = Department(institution_id=_inst(db, WUCHANG_CODE).id, name="外院科室", category="科室(部门)")
    db.session.add(other_dept)
    db.session.commit()
    with pytest.raises(DomainError, match="科室"):
        stats.count(_user(db, "inst_admin"), "sex", filters=stats.Filters(department_id=other_dept.id))
    with pytest.raises(DomainError, match="人员标签"):
        stats.count(_user(db, "inst2_admin"), "sex", filters=stats.Filters(key_group_id=data["g1"].id))


def test_unknown_or_equal_dimensions_are_refused(db, data):
    with pytest.raises(DomainError, match="不存在"):
        stats.count(_user(db, "inst_admin"), "shoe_size")
    with pytest.raises(DomainError, match="不能相同"):
        stats.count(_user(db, "inst_admin"), "sex", "sex")


# ---- the drill-down clause -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("rows, cols", [("education", "age_band"), ("department", "key_group"), ("staff_group", "sex"),
                                        ("post", "work_years_band"), ("major", "ethnicity")])
def test_staff_clause_selects_each_cell(db, data, rows, cols):
    user = _user(db, "inst_admin")
    table = stats.count(user, rows, cols)
    for (r, c), n in table.cells.items():
        where = stats.staff_clause(user, values={rows: r, cols: c})
        assert db.session.scalar(select(func.count(Person.id)).where(*where)) == n, (r, c)


def test_staff_clause_of_a_county_user_by_department_name(db, data):
    user = _user(db, "region_admin")
    table = stats.count(user, "department", filters=stats.Filters(on=ON))
    for (r, _), n in table.cells.items():
        where = stats.staff_clause(user, filters=stats.Filters(on=ON), values={"department": r})
        assert db.session.scalar(select(func.count(Person.id)).where(*where)) == n
