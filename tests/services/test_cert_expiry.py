"""证书到期提醒 (issue 16): the 执业证书 expiring within N days (expired first, renewed ones left out), the staff who
must be registered and have no certificate, both equal to a direct query; the institution's own staff only."""
import datetime
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.person import ACTIVE_STATUSES
from app.models.org import Institution
from app.models.people import Person, PracticeCertificate
from app.services import cert_expiry
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id

TODAY = datetime.date.today()
_n = {"i": 18000}


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _person(db, inst, name, status="在岗", **kw):
    _n["i"] += 1
    p = Person(institution_id=inst.id, name=name, id_type="01", id_number=synthetic_id(_n["i"]), status=status, **kw)
    db.session.add(p)
    db.session.commit()
    return p


def _cert(db, person, days, number=None):
    """A certificate valid until today + days (None: 长期)."""
    until = None if days is None else TODAY + datetime.timedelta(days=days)
    db.session.add(PracticeCertificate(person_id=person.id, institution_id=person.institution_id, category="1",
                                       certificate_no=number or f"ZS{person.id}{days}",
                                       registered_on=datetime.date(2010, 1, 1), valid_until=until))
    db.session.commit()


@pytest.fixture
def staff(db):
    inst, other = _inst(db), _inst(db, WUCHANG_CODE)
    soon = _person(db, inst, "甲三十天", staff_category="11")
    _cert(db, soon, 30)
    expired = _person(db, inst, "乙已过期", staff_category="11")
    _cert(db, expired, -10)
    later = _person(db, inst, "丙二百天", staff_category="11")
    _cert(db, later, 200)
    renewed = _person(db, inst, "丁已续期", staff_category="11")
    _cert(db, renewed, -400)
    _cert(db, renewed, 1800)
    gone = _person(db, inst, "戊离职", status="离职", staff_category="11")
    _cert(db, gone, -5)
    forever = _person(db, inst, "己长期", staff_category="11")
    _cert(db, forever, None)
    today = _person(db, inst, "庚今天", staff_category="12")
    _cert(db, today, 0)
    foreign = _person(db, other, "辛武昌", staff_category="11")
    _cert(db, foreign, -3)
    # 须执业注册: without a certificate
    _person(db, inst, "壬医师", staff_category="11")
    _person(db, inst, "癸有类别", staff_category="70", practice_category="4")
    _person(db, inst, "子护士", staff_category="21")
    _person(db, inst, "丑有护士证", staff_category="21", nurse_certificate_no="HS1")
    _person(db, inst, "寅管理", staff_category="80")
    _person(db, inst, "卯离职医师", status="退休", staff_category="11")
    _person(db, other, "辰武昌医师", staff_category="11")
    return inst


def _direct(db, inst, days):
    """The expiring list as a plain reading of the rule: every certificate of a person in post, read in Python."""
    limit = TODAY + datetime.timedelta(days=days)
    certs = db.session.scalars(select(PracticeCertificate).where(PracticeCertificate.institution_id == inst.id)).all()
    by_person = {}
    for c in certs:
        by_person.setdefault(c.person_id, []).append(c)
    out = []
    for c in certs:
        person = db.session.get(Person, c.person_id)
        renewed = any(o.valid_until is None or o.valid_until > limit for o in by_person[c.person_id])
        if person.status in ACTIVE_STATUSES and c.valid_until is not None and c.valid_until <= limit and not renewed:
            out.append((c.valid_until, person.name))
    return [name for _, name in sorted(out)]


@pytest.mark.parametrize("days", [0, 90, 365])
def test_expiring_equals_a_direct_query(db, staff, days):
    report = cert_expiry.report(staff.id, days)
    assert [r["name"] for r in report["expiring"]] == _direct(db, staff, days)
    assert report["expiring_total"] == len(report["expiring"])


def test_default_list_expired_first_with_days_left(db, staff):
    report = cert_expiry.report(staff.id)
    assert [(r["name"], r["days_left"]) for r in report["expiring"]] == [("乙已过期", -10), ("庚今天", 0), ("甲三十天", 30)]
    assert [cert_expiry.state(r["days_left"]) for r in report["expiring"]] == ["已过期 10 天", "今天到期", "30 天后到期"]
    assert report["limit_date"] == TODAY + datetime.timedelta(days=90)


def test_staff_who_must_be_registered_without_a_certificate(db, staff):
    report = cert_expiry.report(staff.id)
    assert sorted(r["name"] for r in report["missing"]) == sorted(["壬医师", "癸有类别", "子护士"])
    assert report["missing_total"] == 3
    nurse = next(r for r in report["missing"] if r["name"] == "子护士")
    assert nurse["staff_category_name"] == "注册护士"


def test_another_institution_sees_only_its_own(db, staff):
    report = cert_expiry.report(_inst(db, WUCHANG_CODE).id)
    assert [r["name"] for r in report["expiring"]] == ["辛武昌"]
    assert [r["name"] for r in report["missing"]] == ["辰武昌医师"]


def test_workbook_holds_both_lists_in_full(db, staff):
    book = load_workbook(io.BytesIO(cert_expiry.workbook(staff, 90)))
    first, second = book.worksheets
    rows = list(first.iter_rows(values_only=True))
    assert rows[0] == ("工号", "姓名", "科室", "执业证书编号", "执业类别", "有效期至", "状态")
    assert [r[1] for r in rows[1:]] == ["乙已过期", "庚今天", "甲三十天"]
    assert rows[1][4] == "临床" and rows[1][6] == "已过期 10 天"
    assert sorted(r[1] for r in list(second.iter_rows(values_only=True))[1:]) == sorted(["壬医师", "癸有类别", "子护士"])


def test_days_problem():
    assert cert_expiry.days_problem("") == (90, None)
    assert cert_expiry.days_problem(" 30 ") == (30, None)
    for bad in ("-1", "abc", "4000"):
        days, problem = cert_expiry.days_problem(bad)
        assert days is None and "提前天数须为 0–3650 之间的整数" in problem
