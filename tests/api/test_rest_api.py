"""The REST API /api/v1 (issue 17): scoping, the form's validation and messages, optimistic concurrency, masking,
modified_since, the OpenAPI document, API accounts (开放接口)."""
import datetime

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.enums import WEB_SUBSYSTEMS
from app.models.org import Department, Institution
from app.models.people import Person, WorkExperience
from app.models.security import User
from app.security.manager import NO_API_MESSAGE
from app.services import people
from app.services.concurrency import GENERIC
from app.services.seed import DEMO_PASSWORD, JIANGXIA_CODE, WUCHANG_CODE, synthetic_id

ID_A, ID_B = synthetic_id(201), synthetic_id(202)


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _user(db, name):
    return db.session.scalar(select(User).where(User.username == name))


def _api(app, username):
    c = app.test_client()
    resp = c.post("/api/v1/security/login", json={"username": username, "password": DEMO_PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    c.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {resp.get_json()['access_token']}"
    return c


def _dept(db, code=JIANGXIA_CODE):
    inst = _inst(db, code)
    dept = db.session.scalar(select(Department).where(Department.institution_id == inst.id, Department.name == "内科"))
    if dept is None:
        dept = Department(institution_id=inst.id, name="内科", category="科室(部门)", standard_code="A03")
        db.session.add(dept)
        db.session.commit()
    return dept.id


def _person(db, code=JIANGXIA_CODE, number=ID_A, name="接口测试"):
    person, _ = people.save_person(_inst(db, code), {"name": name, "id_type": "01", "id_number": number,
                                                     "status": "在岗", "department_id": str(_dept(db, code))})
    return person


def test_foreign_institution_rows_are_404_and_never_listed(app, db):
    foreign = db.session.scalar(select(Person).join(Institution).where(Institution.code == WUCHANG_CODE))
    own = _person(db)
    c = _api(app, "inst_admin")
    assert c.get(f"/api/v1/staff/{foreign.id}").status_code == 404
    resp = c.put(f"/api/v1/staff/{foreign.id}", json={"name": "改名"})
    assert resp.status_code == 404
    listed = c.get("/api/v1/staff/").get_json()
    assert listed["ids"] == [own.id] and listed["count"] == 1
    insts = c.get("/api/v1/institution/").get_json()
    assert [r["code"] for r in insts["result"]] == [JIANGXIA_CODE]
    db.session.expire_all()
    assert db.session.get(Person, foreign.id).name == "陈武昌"


def test_invalid_id_number_is_422_with_the_forms_message(app, db):
    raw = {"name": "张三", "id_type": "01", "id_number": "420115198013450017", "status": "在岗",
           "department_id": _dept(db)}
    expected = [e.message for e in people.check_person(_inst(db).id, raw).errors if e.field == "id_number"]
    assert expected
    c = _api(app, "inst_admin")
    resp = c.post("/api/v1/staff/", json=raw)
    body = resp.get_json()
    assert resp.status_code == 422 and body["errors"]["id_number"] == expected and expected[0] in body["message"]
    assert db.session.scalar(select(Person.id).where(Person.name == "张三")) is None
    # an ID number active in another institution: the form's message naming the holder
    resp = c.post("/api/v1/staff/", json={**raw, "id_number": "420106198503150018"})
    assert resp.status_code == 422 and "武昌" in resp.get_json()["errors"]["id_number"][0]


def test_add_and_edit_staff_then_a_stale_version_is_409(app, db):
    c = _api(app, "inst_admin")
    resp = c.post("/api/v1/staff/", json={"name": "王五", "id_type": "01", "id_number": ID_A, "status": "在岗",
                                          "department_id": _dept(db)})
    assert resp.status_code == 201, resp.get_json()
    pk, version = resp.get_json()["id"], resp.get_json()["version"]
    ok = c.put(f"/api/v1/staff/{pk}", json={"phone": "13912345678", "version": version})
    assert ok.status_code == 200 and ok.get_json()["result"]["phone"] == "13912345678"
    stale = c.put(f"/api/v1/staff/{pk}", json={"phone": "13912345679", "version": version})
    body = stale.get_json()
    assert stale.status_code == 409 and "该记录已被" in body["message"] and "修改，请刷新后重新编辑" in body["message"]
    db.session.expire_all()
    assert db.session.get(Person, pk).phone == "13912345678"
    # audited like a form's save, with the API account as the actor
    rows = db.session.execute(select(AuditLog.action, AuditLog.username).where(
        AuditLog.entity == "person", AuditLog.entity_id == str(pk)).order_by(AuditLog.id)).all()
    assert rows == [("create", "inst_admin"), ("update", "inst_admin")]
    assert GENERIC  # the message of a race lost after the check (services/concurrency.py)


def test_add_a_work_experience_through_the_detail_rules(app, db):
    person = _person(db)
    c = _api(app, "inst_admin")
    bad = c.post("/api/v1/staff_work/", json={"person_id": person.id, "start_date": "2999-01-01"})
    errors = bad.get_json()["errors"]
    assert bad.status_code == 422 and errors["employer"] == ["工作单位不能为空"]
    assert errors["start_date"] == ["起始日期不能晚于今天"]
    ok = c.post("/api/v1/staff_work/", json={"person_id": person.id, "start_date": "2012-07-01", "employer": "江夏区人民医院"})
    assert ok.status_code == 201, ok.get_json()
    assert db.session.scalar(select(WorkExperience.employer).where(WorkExperience.person_id == person.id)) == "江夏区人民医院"
    foreign = db.session.scalar(select(Person).join(Institution).where(Institution.code == WUCHANG_CODE))
    resp = c.post("/api/v1/staff_work/", json={"person_id": foreign.id, "start_date": "2012-07-01", "employer": "甲"})
    assert resp.status_code == 422 and "person_id" in resp.get_json()["errors"]
    listed = c.get(f"/api/v1/staff_work/?q=(filters:!((col:person_id,opr:eq,value:{person.id})))").get_json()
    assert listed["count"] == 1 and listed["result"][0]["employer"] == "江夏区人民医院"


def test_id_numbers_are_masked_without_the_full_id_right(app, db):
    person = _person(db)
    full = _api(app, "inst_admin").get(f"/api/v1/staff/{person.id}").get_json()["result"]["id_number"]
    assert full == ID_A
    staff = _api(app, "inst_staff")  # 人事科: 人员信息管理 without 查看完整证件号
    shown = staff.get(f"/api/v1/staff/{person.id}").get_json()["result"]["id_number"]
    listed = staff.get("/api/v1/staff/").get_json()["result"][0]["id_number"]
    assert shown == listed != ID_A and shown.startswith(ID_A[:4]) and shown.endswith(ID_A[-4:]) and "*" in shown


def test_modified_since_and_stable_paging(app, db):
    first = _person(db)
    second = _person(db, number=ID_B, name="第二位")
    c = _api(app, "inst_admin")
    today, tomorrow = datetime.date.today(), datetime.date.today() + datetime.timedelta(days=1)
    assert c.get(f"/api/v1/staff/?modified_since={today}").get_json()["ids"] == [first.id, second.id]
    assert c.get(f"/api/v1/staff/?modified_since={tomorrow}").get_json()["ids"] == []
    # a detail entry changed today marks its own row (the audit trail), not only person.updated_at
    c.post("/api/v1/staff_work/", json={"person_id": first.id, "start_date": "2012-07-01", "employer": "甲"})
    assert c.get(f"/api/v1/staff_work/?modified_since={today}T00:00:00").get_json()["count"] == 1
    assert c.get("/api/v1/staff/?q=(page:1,page_size:1)").get_json()["ids"] == [second.id]
    bad = c.get("/api/v1/staff/?modified_since=昨天")
    assert bad.status_code == 400 and "modified_since 格式错误" in bad.get_json()["message"]


def test_the_openapi_document_validates_and_is_for_operators(app, db, login_as):
    doc = _api(app, "sysadmin01").get("/api/v1/_openapi")
    assert doc.status_code == 200
    spec = doc.get_json()
    validate(spec)
    assert {f"/api/v1/{p}" for p in ("staff/", "staff/{pk}", "staff_work/", "emergency_summary/")} <= set(spec["paths"])
    assert _api(app, "inst_admin").get("/api/v1/_openapi").status_code == 403
    assert login_as("sysadmin01").get("/swagger/v1").status_code == 200
    assert login_as("inst_admin").get("/swagger/v1").status_code == 403


def test_token_login_refused_without_the_api_subsystem_and_revoked_when_taken_away(app, db):
    c = _api(app, "inst_staff")
    assert c.get("/api/v1/staff/").status_code == 200
    user = _user(db, "inst_staff")
    user.subsystems = ",".join(WEB_SUBSYSTEMS)
    db.session.commit()
    resp = c.get("/api/v1/staff/")
    assert resp.status_code == 401  # the token issued before ends with the subsystem
    refused = app.test_client().post("/api/v1/security/login", json={"username": "inst_staff", "password": DEMO_PASSWORD})
    assert refused.status_code == 403 and refused.get_json()["message"] == NO_API_MESSAGE


def test_new_owner_accounts_have_no_api_access_by_default(app, db):
    from app.services import accounts

    owner = accounts.create_owner_account(_user(db, "sysadmin01"), _inst(db, WUCHANG_CODE), username="wuchang_owner2",
                                          nickname="武昌二", mobile=None, password=None)
    assert "开放接口" not in owner.subsystem_list


@pytest.mark.parametrize("username, status", [("region_admin", 200), ("inst_admin", 403)])
def test_emergency_summary_of_a_county_for_a_day(app, db, username, status):
    day = datetime.date.today().isoformat()
    resp = _api(app, username).get(f"/api/v1/emergency_summary/?day={day}&region=420115")
    assert resp.status_code == status, resp.get_json()
    if status == 200:
        body = resp.get_json()
        assert body["region"]["code"] == "420115" and set(body["reports"]) == {"capacity", "vehicle", "equipment", "drug"}
        assert set(body["supplies"]) == {"supply", "drugdevice"}


def _usable(db, username, password):
    """What the web asks before the API (a first password change, 实名认证), done for the test."""
    user = _user(db, username)
    user.must_change_password = False
    user.certified_at = datetime.datetime.now()
    db.session.commit()
    return user


def test_an_owner_creates_an_api_account_bound_to_its_institution(app, db, login_as):
    from app.models.security import RoleProfile
    from tests.conftest import csrf_token

    owner = login_as("inst_admin")
    role = db.session.scalar(select(RoleProfile).where(RoleProfile.institution_id == _inst(db).id, RoleProfile.level == 3))
    form = owner.get("/accounts/add").get_data(as_text=True)
    assert 'value="开放接口"' in form and 'value="开放接口" checked' not in form  # offered, not ticked by default
    resp = owner.post("/accounts/add", data={"csrf_token": csrf_token(owner, "/accounts/add"), "role": str(role.id),
                                             "username": "jx_api_sync", "nickname": "人事同步接口",
                                             "password": "Sync@Api-2468", "subsystems": ["开放接口"]})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    user = _usable(db, "jx_api_sync", "Sync@Api-2468")
    assert user.subsystem_list == ["开放接口"] and user.institution_id == _inst(db).id
    c = app.test_client()
    token = c.post("/api/v1/security/login", json={"username": "jx_api_sync", "password": "Sync@Api-2468"})
    assert token.status_code == 200
    person = _person(db)
    listed = c.get("/api/v1/staff/", headers={"Authorization": f"Bearer {token.get_json()['access_token']}"})
    assert listed.status_code == 200 and listed.get_json()["ids"] == [person.id]


def test_an_operator_ticks_and_unticks_api_access_on_the_account_list(app, db, login_as):
    from tests.conftest import csrf_token

    admin = login_as("sysadmin01")
    staff = _user(db, "region_admin")
    staff.subsystems = ",".join(WEB_SUBSYSTEMS)
    db.session.commit()
    page = admin.get(f"/users/edit/{staff.id}").get_data(as_text=True)
    assert "开放接口" in page
    form = {"csrf_token": csrf_token(admin, f"/users/edit/{staff.id}"), "nickname": staff.nickname,
            "region": str(staff.region_id), "roles": [str(r.id) for r in staff.roles], "active": "y",
            "internet_access": "y", "is_owner": "y", "api_access": "y"}
    assert admin.post(f"/users/edit/{staff.id}", data=form).status_code == 302
    db.session.expire_all()
    assert "开放接口" in _user(db, "region_admin").subsystem_list
    c = _api(app, "region_admin")
    listed = c.get("/api/v1/region_institution/").get_json()["result"]
    assert {r["code"] for r in listed} == {i.code for i in db.session.scalars(select(Institution).join(
        Institution.region).where(Institution.region.has(code="420115")))} and WUCHANG_CODE not in {r["code"] for r in listed}
    assert c.get("/api/v1/institution/").status_code == 403  # 机构信息维护 is an institution's page
    del form["api_access"]
    assert admin.post(f"/users/edit/{staff.id}", data=form).status_code == 302
    db.session.expire_all()
    assert _user(db, "region_admin").subsystem_list == list(WEB_SUBSYSTEMS)
    assert c.get("/api/v1/region_institution/").status_code == 401  # its tokens ended with the tick


def test_a_county_filter_inside_the_callers_scope(app, db):
    own = _person(db)
    foreign = db.session.scalar(select(Person).join(Institution).where(Institution.code == WUCHANG_CODE))
    admin = _api(app, "sysadmin01")  # 系统管理员: every institution; ?region narrows to a county
    assert admin.get("/api/v1/staff/?region=420115").get_json()["ids"] == [own.id]
    assert foreign.id in admin.get("/api/v1/staff/").get_json()["ids"]
    assert _api(app, "inst_admin").get("/api/v1/staff/?region=420106").get_json()["ids"] == []  # never wider
    bad = admin.get("/api/v1/staff/?region=999999")
    assert bad.status_code == 400 and "地区代码“999999”不存在" in bad.get_json()["message"]


def test_id_numbers_cannot_be_probed_by_filter_or_order(app, db):
    _person(db)
    staff = _api(app, "inst_staff")
    by_filter = staff.get(f"/api/v1/staff/?q=(filters:!((col:id_number,opr:eq,value:'{ID_A}')))")
    by_order = staff.get("/api/v1/staff/?q=(order_column:id_number,order_direction:asc)")
    assert by_filter.status_code == 400 and by_order.status_code == 400


def test_departments_through_the_department_rules(app, db):
    c = _api(app, "inst_admin")
    bad = c.post("/api/v1/department/", json={"name": "", "category": "科室(部门)"})
    assert bad.status_code == 422 and bad.get_json()["errors"]["name"]
    ok = c.post("/api/v1/department/", json={"name": "外科", "category": "科室(部门)", "standard_code": "A04"})
    assert ok.status_code == 201, ok.get_json()
    pk = ok.get_json()["id"]
    assert c.put(f"/api/v1/department/{pk}", json={"head": "刘主任", "version": 1}).status_code == 200
    stale = c.put(f"/api/v1/department/{pk}", json={"head": "陈主任", "version": 1})
    assert stale.status_code == 409 and "负责人" in stale.get_json()["message"]
    assert _api(app, "inst2_admin").put(f"/api/v1/department/{pk}", json={"head": "x"}).status_code == 404


def test_an_emergency_report_reads_with_its_lines(app, db):
    from app.models.emergency_reports import EmergencyReport, EmergencyReportLine

    report = EmergencyReport(institution_id=_inst(db).id, kind="capacity", report_date=datetime.date.today(),
                             status="已上报", lines=[EmergencyReportLine(item_code="beds", value=40)])
    db.session.add(report)
    db.session.commit()
    c = _api(app, "inst_admin")
    body = c.get(f"/api/v1/emergency_report_capacity/{report.id}").get_json()
    assert body["result"]["status"] == "已上报" and body["result"]["lines"] == [{"item_code": "beds", "value": 40}]
    assert c.get(f"/api/v1/emergency_report_drug/{report.id}").status_code == 404  # another kind's list
    assert c.get("/api/v1/emergency_report_capacity/").get_json()["ids"] == [report.id]
