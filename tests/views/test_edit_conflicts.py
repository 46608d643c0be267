"""Optimistic concurrency (issue 10 item 4): two clerks open the same record; the second, stale save is refused
with who/when and the fields that changed, the typed values stay in the form, and the first change is kept."""
import re

from sqlalchemy import select

from app.models.org import Department, Institution
from app.models.people import Person, WorkExperience
from app.services.seed import JIANGXIA_CODE, synthetic_id

VERSION_RE = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')


def _inst(db):
    return db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))


def _body(resp):
    return resp.get_data(as_text=True)


def _opened(client, path):
    """Open an edit page: its csrf token and the version the form carries."""
    html = _body(client.get(path))
    match = VERSION_RE.search(html)
    assert match, f"no version field on {path}"
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1), match.group(1)


def _person(db):
    inst = _inst(db)
    dept = Department(institution_id=inst.id, name="内科", category="科室(部门)", standard_code="A03")
    db.session.add(dept)
    db.session.flush()
    p = Person(institution_id=inst.id, name="张冲突", id_type="01", id_number=synthetic_id(701), sex="1",
               status="在岗", phone="13912345678", department_id=dept.id)
    db.session.add(p)
    db.session.commit()
    return p


def _person_form(person, **changes):
    values = {"name": person.name, "id_type": "01", "id_number": person.id_number, "status": "在岗",
              "phone": person.phone or "", "department_id": str(person.department_id)}
    values.update(changes)
    return values


def test_stale_person_save_is_refused_with_who_when_and_fields(db, login_as):
    person = _person(db)
    a, b = login_as("inst_admin"), login_as("inst_admin")
    path = f"/people/edit/{person.id}"
    token_a, version_a = _opened(a, path)
    token_b, version_b = _opened(b, path)
    assert version_a == version_b

    resp = a.post(path, data={"csrf_token": token_a, "version": version_a, **_person_form(person, phone="13712345678")})
    assert resp.status_code == 302
    resp = b.post(path, data={"csrf_token": token_b, "version": version_b,
                              **_person_form(person, phone="13912345678", name="张冲突改")})
    html = _body(resp)
    assert resp.status_code == 200
    assert "该记录已被 inst_admin 于" in html and "修改，请刷新后重新编辑" in html
    assert "手机号码：您打开时为 13912345678，现在为 13712345678" in html
    assert 'value="张冲突改"' in html  # what B typed is still in the form
    db.session.expire_all()
    saved = db.session.get(Person, person.id)
    assert saved.phone == "13712345678" and saved.name == "张冲突"  # A's change kept, B's not written


def test_fresh_person_save_after_a_change_goes_through(db, login_as):
    person = _person(db)
    a = login_as("inst_admin")
    path = f"/people/edit/{person.id}"
    token, version = _opened(a, path)
    assert a.post(path, data={"csrf_token": token, "version": version,
                              **_person_form(person, phone="13712345678")}).status_code == 302
    token, version2 = _opened(a, path)
    assert int(version2) == int(version) + 1
    assert a.post(path, data={"csrf_token": token, "version": version2,
                              **_person_form(person, phone="13612345678")}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, person.id).phone == "13612345678"


def test_stale_work_experience_save_is_refused(db, login_as):
    person = _person(db)
    entry = WorkExperience(person_id=person.id, institution_id=person.institution_id,
                           start_date=__import__("datetime").date(2010, 1, 1), employer="甲医院", position="医师",
                           attachments=[{"path": "x.jpg", "thumb": "x_t.jpg", "filename": "工作证明.jpg"}])
    db.session.add(entry)
    db.session.commit()
    a, b = login_as("inst_admin"), login_as("inst_admin")
    path = f"/people/detail/work/edit/{entry.id}"
    token_a, version_a = _opened(a, path)
    token_b, version_b = _opened(b, path)
    form = {"start_date": "2010-01-01", "end_date": "至今", "position": "医师"}
    assert a.post(path, data={"csrf_token": token_a, "version": version_a, **form,
                              "employer": "乙医院"}).status_code == 302
    resp = b.post(path, data={"csrf_token": token_b, "version": version_b, **form, "employer": "丙医院"})
    html = _body(resp)
    assert resp.status_code == 200
    assert "该记录已被 inst_admin 于" in html
    assert "工作单位：您打开时为 甲医院，现在为 乙医院" in html
    assert 'value="丙医院"' in html
    db.session.expire_all()
    assert db.session.get(WorkExperience, entry.id).employer == "乙医院"


def test_stale_department_save_is_refused(db, login_as):
    inst = _inst(db)
    dept = Department(institution_id=inst.id, name="冲突科", category="科室(部门)", standard_code="A03",
                      phone="027-87654321")
    db.session.add(dept)
    db.session.commit()
    a, b = login_as("inst_admin"), login_as("inst_admin")
    path = f"/departments/edit/{dept.id}"
    token_a, version_a = _opened(a, path)
    token_b, version_b = _opened(b, path)
    form = {"category": "科室(部门)", "standard_code": "A03", "parent": "", "seq": "", "status": "正常", "head": ""}
    assert a.post(path, data={"csrf_token": token_a, "version": version_a, **form, "name": "冲突科",
                              "phone": "027-11112222"}).status_code == 302
    resp = b.post(path, data={"csrf_token": token_b, "version": version_b, **form, "name": "冲突科二",
                              "phone": "027-87654321"})
    html = _body(resp)
    assert resp.status_code == 200
    assert "该记录已被 inst_admin 于" in html
    assert "电话：您打开时为 027-87654321，现在为 027-11112222" in html
    assert 'value="冲突科二"' in html
    db.session.expire_all()
    saved = db.session.get(Department, dept.id)
    assert (saved.name, saved.phone) == ("冲突科", "027-11112222")


def test_a_save_racing_past_the_check_ends_in_the_same_message(app, db):
    """Two saves between compare and commit: SQLAlchemy's StaleDataError becomes the EditConflict, not a 500."""
    import pytest
    from sqlalchemy.orm import Session

    from app.domain.errors import EditConflict
    from app.services import audit, people

    person = _person(db)
    opened = person.version
    with Session(db.engine) as other, audit.acting_as("inst_staff"):  # the other clerk's save lands first
        row = other.get(Person, person.id)
        row.phone = "13712345678"
        other.commit()
    with pytest.raises(EditConflict) as caught:  # this session still holds the old row: check() passes
        people.save_person(person.institution, _person_form(person, phone="13512345678"), person, version=opened)
    assert caught.value.errors[0].startswith("该记录已被 inst_staff 于")
    assert "手机号码：您打开时为 13912345678，现在为 13712345678" in caught.value.errors
    db.session.expire_all()
    assert db.session.get(Person, person.id).phone == "13712345678"


def test_stale_save_of_a_framework_edit_form_is_refused(db, login_as):
    """FAB's own edit forms (数据字典, 角色管理) carry the version too; FAB flashes the refusal."""
    from app.models.dictionary import DictItem

    item = db.session.scalar(select(DictItem).where(DictItem.type == "ethnicity").order_by(DictItem.id).limit(1))
    a, b = login_as("sysadmin01"), login_as("sysadmin01")
    path = f"/dictitemview/edit/{item.id}"
    token_a, version_a = _opened(a, path)
    token_b, version_b = _opened(b, path)
    assert a.post(path, data={"csrf_token": token_a, "version": version_a, "name": "汉族（甲）", "order": "1",
                              "active": "y"}).status_code == 302
    resp = b.post(path, data={"csrf_token": token_b, "version": version_b, "name": "汉族（乙）", "order": "1",
                              "active": "y"}, follow_redirects=True)
    html = _body(resp)
    assert "该记录已被 sysadmin01 于" in html and "名称：您打开时为 汉族，现在为 汉族（甲）" in html
    db.session.expire_all()
    assert db.session.get(DictItem, item.id).name == "汉族（甲）"


def test_stale_quota_sheet_is_refused(db, login_as):
    """机构编制管理: the sheet of department amounts is compared by what it showed when opened."""
    from app.models.org import DepartmentQuota
    from app.models.security import User
    from app.services import quota

    inst = _inst(db)
    internal = Department(institution_id=inst.id, name="内科", seq=1, category="职能部门")
    db.session.add(internal)
    db.session.commit()
    region_admin = db.session.scalar(select(User).where(User.username == "region_admin"))
    quota.allocate(region_admin, inst.id, total="20", effective_date="2024-03-01", document_no="江编办〔2024〕12号")
    a, b = login_as("inst_admin"), login_as("inst_admin")
    page_a, page_b = _body(a.get("/quota/list/")), _body(b.get("/quota/list/"))
    assert f'name="opened-{internal.id}"' in page_b
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_a).group(1)
    assert a.post("/quota/save", data={"csrf_token": token, "kind": "事业编制", f"amount-{internal.id}": "12",
                                       f"opened-{internal.id}": "0"}).status_code == 302
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_b).group(1)
    resp = b.post("/quota/save", data={"csrf_token": token, "kind": "事业编制", f"amount-{internal.id}": "7",
                                       f"opened-{internal.id}": "0"})
    html = _body(resp)
    assert "该记录已被 inst_admin 于" in html and "科室“内科”的编制数：您打开时为 0，现在为 12" in html
    assert 'value="7"' in html
    db.session.expire_all()
    assert db.session.scalar(select(DepartmentQuota.amount).where(DepartmentQuota.department_id == internal.id)) == 12


def test_stale_account_save_is_refused_and_a_login_is_no_edit(db, login_as):
    """账号管理: accounts are versioned by hand; the account's own login (last_login…) does not move the version."""
    from app.models.security import User

    staff = db.session.scalar(select(User).where(User.username == "inst_staff"))
    a, b = login_as("inst_admin"), login_as("inst_admin")
    path = f"/accounts/edit/{staff.id}"
    token_a, version_a = _opened(a, path)
    token_b, version_b = _opened(b, path)
    login_as("inst_staff")  # a login between opening and saving is not a change of the account
    role = re.search(r'<select[^>]*name="role".*?<option[^>]*value="(\d+)"', _body(a.get(path)), re.S).group(1)
    form = {"role": role, "subsystems": ["基础资源管理"]}
    resp = a.post(path, data={"csrf_token": token_a, "version": version_a, **form, "mobile": "13712345678"})
    assert resp.status_code == 302, re.findall(r'id="form-errors".*?</div>', _body(resp), re.S)
    resp = b.post(path, data={"csrf_token": token_b, "version": version_b, **form, "mobile": "13612345678"})
    html = _body(resp)
    assert "该记录已被 inst_admin 于" in html and "手机号码：您打开时为" in html and "现在为 13712345678" in html
    assert 'value="13612345678"' in html
    db.session.expire_all()
    assert db.session.get(User, staff.id).mobile == "13712345678"
