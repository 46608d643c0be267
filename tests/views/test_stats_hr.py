"""常用报表 pages of issue 16: 卫生人力基本信息 (/stats/hr/basic) and 证书到期提醒 (/stats/hr/expiring) — the
institution's own staff, a regional account's choice within its scope (outside: 404), the exports, the refusals of
the fields; the 卫统信息 group of the 基本信息 form saving the new fields."""
import datetime
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.models.org import Department, Institution
from app.models.people import Person, PracticeCertificate
from app.services import hr_basic
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, WUCHANG_PERSON, synthetic_id
from tests.conftest import csrf_token

TODAY = datetime.date.today()


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _body(resp):
    return resp.get_data(as_text=True)


def _staff(db):
    inst = _inst(db)
    dept = Department(institution_id=inst.id, name="内科", category="科室(部门)", standard_code="A03")
    db.session.add(dept)
    db.session.flush()
    doctor = Person(institution_id=inst.id, name="黄医师", id_type="01", id_number=synthetic_id(19001), status="在岗",
                    department_id=dept.id, staff_category="11", sex="1")
    bare = Person(institution_id=inst.id, name="林无证", id_type="01", id_number=synthetic_id(19002), status="在岗",
                  department_id=dept.id, staff_category="11", sex="2")
    db.session.add_all([doctor, bare])
    db.session.flush()
    db.session.add(PracticeCertificate(person_id=doctor.id, institution_id=inst.id, certificate_no="ZS-HUANG",
                                       category="1", registered_on=datetime.date(2012, 1, 1),
                                       valid_until=TODAY - datetime.timedelta(days=4)))
    db.session.commit()
    return inst, doctor, bare


def test_institution_account_opens_its_own_export_page_and_downloads_it(db, login_as):
    inst, doctor, _ = _staff(db)
    c = login_as("inst_admin")
    resp = c.get("/stats/hr/basic")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/stats/hr/basic/{inst.id}")
    page = _body(c.get(resp.headers["Location"]))
    assert f"{TODAY.year} 年度共 <strong>2</strong> 人" in page
    assert "1. 姓名" in page and "37. 乡村医生执业证书编号" in page and "黄医师" in page
    assert "导出 Excel" in page and "办公室电话号码" in page  # an item nobody filled is named in the hint
    resp = c.get(f"/stats/hr/basic/{inst.id}/export?year={TODAY.year}")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    rows = list(load_workbook(io.BytesIO(resp.data)).worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == hr_basic.headers() and len(rows[0]) == 37
    assert sorted(r[0] for r in rows[1:]) == ["林无证", "黄医师"]
    huang = next(r for r in rows[1:] if r[0] == "黄医师")
    assert huang[9] == "03" and huang[10] == "内科" and huang[12] == "ZS-HUANG"


def test_institution_account_cannot_open_another_institution(db, login_as):
    _staff(db)
    other = _inst(db, WUCHANG_CODE)
    c = login_as("inst_admin")
    for url in (f"/stats/hr/basic/{other.id}", f"/stats/hr/basic/{other.id}/export", f"/stats/hr/expiring/{other.id}",
                f"/stats/hr/expiring/{other.id}/export"):
        assert c.get(url).status_code == 404, url
    page = _body(c.get(f"/stats/hr/basic/{_inst(db).id}"))
    assert WUCHANG_PERSON["name"] not in page


def test_regional_account_picks_an_institution_of_its_scope(db, login_as):
    inst, _, _ = _staff(db)
    other = _inst(db, WUCHANG_CODE)
    c = login_as("region_admin")
    picker = _body(c.get("/stats/hr/basic"))
    assert "请选择要导出的机构" in picker and inst.name in picker and other.name not in picker
    resp = c.get(f"/stats/hr/basic?institution={inst.id}&year={TODAY.year}")
    assert resp.headers["Location"].endswith(f"/stats/hr/basic/{inst.id}?year={TODAY.year}")
    assert "黄医师" in _body(c.get(resp.headers["Location"]))
    # an institution outside the scope is refused, however it is asked for
    resp = c.get(f"/stats/hr/basic?institution={other.id}", follow_redirects=True)
    assert resp.status_code == 404
    assert c.get(f"/stats/hr/basic/{other.id}/export").status_code == 404
    assert c.get(f"/stats/hr/expiring/{other.id}").status_code == 404
    assert c.get(f"/stats/hr/expiring/{inst.id}").status_code == 200


def test_a_wrong_year_or_days_is_refused_by_name(db, login_as):
    inst, _, _ = _staff(db)
    c = login_as("inst_admin")
    page = _body(c.get(f"/stats/hr/basic/{inst.id}?year=1990"))
    assert f"统计年度须为 2000–{TODAY.year} 之间的年份（当前：1990）" in page and 'value="1990"' in page
    page = _body(c.get(f"/stats/hr/expiring/{inst.id}?days=九十"))
    assert "提前天数须为 0–3650 之间的整数（当前：九十）" in page and 'value="九十"' in page
    assert c.get(f"/stats/hr/basic/{inst.id}/export?year=1990").status_code == 302


def test_expiring_page_links_each_line_to_the_person_and_exports(db, login_as):
    inst, doctor, bare = _staff(db)
    c = login_as("inst_admin")
    resp = c.get("/stats/hr/expiring")
    assert resp.headers["Location"].endswith(f"/stats/hr/expiring/{inst.id}")
    page = _body(c.get(f"/stats/hr/expiring/{inst.id}?days=30"))
    assert "到期及已过期的执业证书：1 本" in page and "已过期 4 天" in page and "ZS-HUANG" in page
    assert f'href="/people/view/{doctor.id}"' in page and f'href="/people/view/{bare.id}"' in page
    assert "须执业注册但没有执业证书的人员：1 人" in page
    resp = c.get(f"/stats/hr/expiring/{inst.id}/export?days=30")
    book = load_workbook(io.BytesIO(resp.data))
    assert [r[1] for r in list(book.worksheets[0].iter_rows(values_only=True))[1:]] == ["黄医师"]
    assert [r[1] for r in list(book.worksheets[1].iter_rows(values_only=True))[1:]] == ["林无证"]


def test_an_account_without_the_report_right_is_refused(db, login_as):
    inst, _, _ = _staff(db)
    c = login_as("inst_staff")  # the demo 人事科 role: personnel pages only
    for url in ("/stats/hr/basic", f"/stats/hr/basic/{inst.id}", f"/stats/hr/basic/{inst.id}/export",
                f"/stats/hr/expiring/{inst.id}"):
        assert c.get(url).status_code in (302, 403), url
        assert "黄医师" not in _body(c.get(url, follow_redirects=True))


def test_the_basic_form_saves_the_new_fields_and_keeps_them_on_a_refusal(db, login_as):
    inst, _, _ = _staff(db)
    dept = db.session.scalar(select(Department).where(Department.institution_id == inst.id))
    c = login_as("inst_admin")
    form = _body(c.get("/people/add"))
    assert "卫统信息" in form and "是否多地点执业医师" in form and 'class="panel-body collapse"' in form
    token = csrf_token(c, "/people/add")
    data = {"csrf_token": token, "name": "何多点", "id_type": "01", "id_number": synthetic_id(19003), "status": "在岗",
            "department_id": str(dept.id), "multisite": "2", "multisite_unit2": "1", "office_phone": "027-8888"}
    refused = _body(c.post("/people/add", data=data))
    assert "第2执业单位的机构类别：仅当“是否多地点执业医师”为“是”时填写" in refused
    assert 'class="panel-body collapse in"' in refused and 'value="027-8888"' in refused
    assert '<option value="1" selected' in refused
    resp = c.post("/people/add", data={**data, "multisite": "1"})
    assert resp.status_code == 302
    person = db.session.scalar(select(Person).where(Person.name == "何多点"))
    assert (person.multisite, person.multisite_unit2, person.office_phone) == ("1", "1", "027-8888")
    show = _body(c.get(f"/people/show/{person.id}"))
    assert "是否多地点执业医师" in show and "027-8888" in show
