"""卫生人力基本信息 export (issue 16): 37 columns in the national order, every code column's values in its dictionary,
the derived items (科室代码, 医师执业证书, 年内人员流动), empty optional fields, who is in it, and the new 卫统 fields
through the 基本信息 rules and the batch import."""
import csv
import datetime
import io
import os

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.errors import ValidationFailed
from app.models.movements import Resignation
from app.models.org import Department, Institution
from app.models.people import Person, PracticeCertificate
from app.services import departments, hr_basic, people, seed
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, WUCHANG_PERSON, synthetic_id
from tests.services.test_imports import basic, import_rows, setup_org

TODAY = datetime.date.today()
YEAR = TODAY.year
CSV = os.path.join(os.path.dirname(hr_basic.__file__), "..", "data", "hr_basic_fields.csv")
HR_FIELDS = {"office_phone": "027-87654321", "specialties": "心血管介入、高血压", "multisite": "1",
             "multisite_unit2": "2", "multisite_unit3": "9", "resident_training": "1", "resident_training_no": "ZP2019001",
             "gp_registered": "1", "gp_certificate": "2", "village_posted": "2", "stats_it": "1", "stats_it_work": "1",
             "nurse_certificate_no": "HS001", "village_doctor_certificate_no": "XC001"}


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


_n = {"i": 17000}


def _person(db, inst, name="张卫统", status="在岗", id_number=None, **kw):
    _n["i"] += 1
    p = Person(institution_id=inst.id, name=name, id_type="01", id_number=id_number or synthetic_id(_n["i"]),
               status=status, **kw)
    db.session.add(p)
    db.session.commit()
    return p


def _left(db, person, flow_type, leave_date, status="离职"):
    db.session.add(Resignation(institution_id=person.institution_id, person_id=person.id, flow_type=flow_type,
                               leave_date=leave_date, status="已通过"))
    person.status = status
    db.session.commit()


def _sheet(data: bytes):
    rows = list(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    return list(rows[0]), [list(r) for r in rows[1:]]


def _by_name(rows):
    return {r[0]: r for r in rows}


def test_headers_are_the_37_national_items_in_order(db):
    with open(CSV, encoding="utf-8") as fh:
        national = [r["field"] for r in sorted(csv.DictReader(fh), key=lambda r: int(r["seq"]))]
    assert len(national) == 37
    assert hr_basic.headers() == national
    assert [seq for seq, _, _ in hr_basic.ITEMS] == list(range(1, 38))


@pytest.mark.parametrize("code, source, expected", [
    ("A03", "", "03"), ("D71", "", "71"), ("X04", "本地补充; 映射D73", "73"), ("X06", "本地补充; 映射B18或D99", "99"),
    ("X07", "本地补充; 按所属临床科室编码", None), (None, "", None)])
def test_department_code(code, source, expected):
    assert hr_basic.department_code(code, source) == expected


def test_export_has_37_columns_in_the_national_order_with_valid_codes(db):
    seed.seed_people(40)  # the synthetic staff of the 江夏 centre: every ★ field, codes from the dictionaries
    inst = _inst(db)
    full = _person(db, inst, name="王全填", phone="13912345678", office_phone="027-87654321", **{
        k: v for k, v in HR_FIELDS.items() if k != "office_phone"})
    db.session.add(PracticeCertificate(person_id=full.id, institution_id=inst.id, certificate_no="110420000001",
                                       category="1", registered_on=datetime.date(2015, 1, 1)))
    db.session.commit()
    header, rows = _sheet(hr_basic.workbook(inst, YEAR))
    assert header == hr_basic.headers()
    assert len(rows) == hr_basic.count(inst.id, YEAR) == 41
    assert all(len(r) == 37 for r in rows)
    checked = 0
    for seq, codes in hr_basic.code_lists().items():
        for r in rows:
            value = r[seq - 1]
            if value not in (None, ""):
                assert isinstance(value, str) and value in codes, (seq, header[seq - 1], value)
                checked += 1
    assert checked > 40 * 8  # the synthetic staff fill most coded items
    row = _by_name(rows)["王全填"]
    assert row[7] == "027-87654321" and row[12] == "110420000001"
    assert row[15:20] == ["1", "2", "9", "1", "ZP2019001"]
    assert row[26] == "心血管介入、高血压" and row[30:37] == ["1", "2", "2", "1", "1", "HS001", "XC001"]


def test_an_optional_field_left_empty_stays_empty_and_dates_are_national(db):
    inst = _inst(db)
    dept = departments.create(inst.id, name="内科", category="科室(部门)", standard_code="A03")
    _person(db, inst, name="李空白", sex="2", birth_date=datetime.date(1990, 5, 6), work_start=datetime.date(2012, 7, 1),
            department_id=dept.id, ethnicity="01")
    rows = list(hr_basic.rows(inst.id, YEAR))
    assert len(rows) == 1
    row = rows[0]
    assert row[:7] == ["李空白", "1", row[2], "1990-05-06", "2", "01", "2012-07"]
    assert row[9:11] == ["03", "内科"]
    assert all(v is None for i, v in enumerate(row) if i not in (0, 1, 2, 3, 4, 5, 6, 9, 10))
    empty = hr_basic.empty_items(inst.id, YEAR)
    assert "办公室电话号码" in empty and "所在科室代码" not in empty and "姓名" not in empty and len(empty) == 37 - 9


def test_who_is_in_it_and_the_flow_of_the_year(db):
    inst, other = _inst(db), _inst(db, WUCHANG_CODE)
    _person(db, inst, name="赵在岗")
    left = _person(db, inst, name="钱离职")
    _left(db, left, "25", TODAY.replace(month=1, day=2))
    old = _person(db, inst, name="孙去年")
    _left(db, old, "24", datetime.date(YEAR - 1, 6, 30), status="退休")
    # a transfer: 武昌 released a person (21 调往其他卫生机构) whom 江夏 then entered
    moved = _person(db, other, name="周调入")
    _left(db, moved, "21", TODAY.replace(month=1, day=3))
    _person(db, inst, name="周调入", id_number=moved.id_number)
    rows = _by_name(hr_basic.rows(inst.id, YEAR))
    assert set(rows) == {"赵在岗", "钱离职", "周调入"}
    assert rows["赵在岗"][27:29] == [None, None]
    assert rows["钱离职"][27:29] == ["25", TODAY.replace(month=1, day=2).isoformat()]
    assert rows["周调入"][27:29] == ["12", TODAY.replace(month=1, day=3).isoformat()]
    # last year's export still has the retired person, with its flow
    last = _by_name(hr_basic.rows(inst.id, YEAR - 1))
    assert last["孙去年"][27:29] == ["24", f"{YEAR - 1}-06-30"] and "钱离职" in last


def test_another_institutions_staff_are_never_in_the_export(db):
    inst = _inst(db)
    _person(db, inst, name="吴江夏")
    header, rows = _sheet(hr_basic.workbook(inst, YEAR))
    names = [r[0] for r in rows]
    assert names == ["吴江夏"] and WUCHANG_PERSON["name"] not in names
    assert WUCHANG_PERSON["id_number"] not in {r[2] for r in rows}


def test_masked_id_numbers_when_the_caller_may_not_see_them(db):
    inst = _inst(db)
    p = _person(db, inst, name="郑掩码")
    (row,) = hr_basic.rows(inst.id, YEAR, show_id=lambda n: n[:4] + "**********" + n[-4:])
    assert row[2] != p.id_number and row[2].startswith(p.id_number[:4])


def test_year_problem():
    assert hr_basic.year_problem("") == (YEAR, None)
    assert hr_basic.year_problem(str(YEAR - 1)) == (YEAR - 1, None)
    for bad in ("1999", str(YEAR + 1), "今年"):
        year, problem = hr_basic.year_problem(bad)
        assert year is None and "统计年度须为" in problem and bad in problem


# ---- the new fields through the rules of 基本信息 and the import ---------------------------------------------------

def _raw(inst, **kw):
    dept = db_dept(inst)
    return {"name": "冯新字段", "id_type": "01", "id_number": synthetic_id(17900), "status": "在岗",
            "department_id": str(dept.id), **kw}


def db_dept(inst):
    from app.extensions import db

    dept = db.session.scalar(select(Department).where(Department.institution_id == inst.id))
    return dept or departments.create(inst.id, name="内科", category="科室(部门)", standard_code="A03")


def test_the_new_fields_are_saved_through_the_rules(db):
    inst = _inst(db)
    person, warnings = people.save_person(inst, _raw(inst, **HR_FIELDS))
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert {k: getattr(person, k) for k in HR_FIELDS} == HR_FIELDS


@pytest.mark.parametrize("fields, field, message", [
    ({"multisite": "3"}, "multisite", "是否多地点执业医师须从下拉列表中选择（当前：3）"),
    ({"multisite_unit2": "5"}, "multisite_unit2", "第2执业单位的机构类别须从下拉列表中选择（当前：5）"),
    ({"multisite": "2", "multisite_unit2": "1"}, "multisite_unit2",
     "第2执业单位的机构类别：仅当“是否多地点执业医师”为“是”时填写"),
    ({"resident_training_no": "ZP1"}, "resident_training_no",
     "住院医师规范化培训合格证书编码：仅当“是否获得国家住院医师规范化培训合格证书”为“是”时填写"),
    ({"stats_it": "2", "stats_it_work": "1"}, "stats_it_work", "统计信息化业务工作内容：仅当“是否从事统计信息化业务工作”为“是”时填写"),
    ({"office_phone": "电话8765"}, "office_phone", "办公室电话号码只能由数字和“-”组成，如 027-87654321（当前：电话8765）"),
    ({"specialties": "甲、乙、丙、丁"}, "specialties", "专科特长最多填写 3 项，用“、”分隔"),
    ({"nurse_certificate_no": "H" * 51}, "nurse_certificate_no", "护士执业证书编码不能超过 50 个字"),
])
def test_the_new_fields_are_refused_by_name(db, fields, field, message):
    inst = _inst(db)
    with pytest.raises(ValidationFailed) as caught:
        people.save_person(inst, _raw(inst, **fields))
    assert (field, message) in [(e.field, e.message) for e in caught.value.items]


def test_the_new_fields_through_the_import(db):
    inst = _inst(db)
    setup_org(inst)
    shown = {"office_phone": "027-87654321", "specialties": "心血管介入、高血压", "multisite": "是",
             "multisite_unit2": "乡镇卫生院", "multisite_unit3": "其他医疗机构", "resident_training": "是",
             "resident_training_no": "ZP2019001", "gp_registered": "是", "gp_certificate": "全科医生转岗培训合格证书",
             "village_posted": "否", "stats_it": "是", "stats_it_work": "卫生统计", "nurse_certificate_no": "HS001",
             "village_doctor_certificate_no": "XC001"}
    result = import_rows(inst, "basic", [basic(inst, 0, **shown), basic(inst, 1, multisite="否", multisite_unit2="医院")])
    assert (result.created, result.failed) == (1, 1)
    db.session.expire_all()
    (person,) = db.session.scalars(select(Person).where(Person.institution_id == inst.id)).all()
    assert {k: getattr(person, k) for k in HR_FIELDS} == HR_FIELDS
