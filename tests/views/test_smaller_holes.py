"""Issue 10 item 7, the smaller holes: owner-only rights, masking of ID numbers, bad input, anonymous access, QR link."""
import re

import pytest
from flask import url_for
from sqlalchemy import select

from app.models.security import RoleProfile
from tests.conftest import csrf_token


def _pv_id(perm, resource):
    from app.extensions import appbuilder

    return appbuilder.sm.find_permission_view_menu(perm, resource).id


@pytest.mark.parametrize("resource,perm", [("账号管理", "can_write"), ("角色管理", "can_write"),
                                           ("实名认证审核", "can_audit"), ("账号管理", "menu_access")])
def test_crafted_post_cannot_grant_owner_only_rights_to_a_sub_role(db, login_as, resource, perm):
    owner = login_as("inst_admin")
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事科"))
    before = {pv.id for pv in profile.role.permissions}
    token = csrf_token(owner, f"/rolepermissions/{profile.id}")
    crafted = [_pv_id("can_read", "人员信息管理"), _pv_id(perm, resource)]
    page = owner.post(f"/rolepermissions/{profile.id}", data={"csrf_token": token, "pv": crafted},
                      follow_redirects=True).get_data(as_text=True)
    assert "总账号专用的权限，不能授予自建角色" in page
    db.session.expire_all()
    held = {pv.id for pv in db.session.get(RoleProfile, profile.id).role.permissions}
    assert held == before and _pv_id(perm, resource) not in held


# ---- one rule for 证件号码: masked without 查看完整证件号, everywhere -------------------------------------------

def _inst(db, code=None):
    from app.models.org import Institution
    from app.services.seed import JIANGXIA_CODE

    return db.session.scalar(select(Institution).where(Institution.code == (code or JIANGXIA_CODE)))


def _clerk(app, db, username, rights):
    """A certified account of the 江夏 centre whose level-3 role holds exactly `rights` [(perm, page)]."""
    import datetime

    from app.models.security import User
    from app.services import roles
    from tests import factories

    owner = db.session.scalar(select(User).where(User.username == "inst_admin"))
    profile = roles.prepare_role(owner, RoleProfile(display_name=username, role_type="科室", status="正常"))
    db.session.add(profile)
    db.session.commit()
    roles.set_permissions(owner, profile, {_pv_id(perm, page) for perm, page in rights})
    user = factories.account(username, role=profile.role.name, institution=owner.institution)
    user.certified_at = datetime.datetime.now()
    db.session.commit()
    return username


def _person(db, index=301, **kw):
    from app.models.org import Department
    from app.models.people import Person
    from app.services.seed import synthetic_id

    inst = _inst(db)
    dept = Department(institution_id=inst.id, name=f"内科{index}", category="科室(部门)", standard_code="A03")
    db.session.add(dept)
    db.session.flush()
    p = Person(institution_id=inst.id, name=kw.pop("name", f"测试{index}"), id_type="01", id_number=synthetic_id(index),
               sex=sex_of(synthetic_id(index)), birth_date=datetime_date(synthetic_id(index)), status=kw.pop("status", "在岗"),
               department_id=dept.id, **kw)
    db.session.add(p)
    db.session.commit()
    return p


def sex_of(number):
    from app.domain.id_number import sex_code

    return sex_code(number)


def datetime_date(number):
    from app.domain.id_number import birth_date

    return birth_date(number)


def _masked(number):
    return number[:4] + "*" * 10 + number[-4:]


def test_edit_form_masks_the_number_without_the_right_and_keeps_the_stored_one(app, db, login_as):
    from app.models.people import Person
    from app.services.seed import synthetic_id

    p = _person(db, phone="13912345678")
    _clerk(app, db, "bianji01", [("can_read", "人员信息管理"), ("can_write", "人员信息管理")])
    c = login_as("bianji01", "Good@Pw-2468")
    page = c.get(f"/people/edit/{p.id}").get_data(as_text=True)
    assert f'value="{_masked(p.id_number)}"' in page and p.id_number not in page
    token = csrf_token(c, f"/people/edit/{p.id}")
    form = {"csrf_token": token, "name": "改了名字", "id_type": "01", "id_number": _masked(p.id_number),
            "sex": p.sex, "birth_date": str(p.birth_date), "status": "在岗", "department_id": str(p.department_id)}
    resp = c.post(f"/people/edit/{p.id}", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Person, p.id)
    assert (saved.name, saved.id_number) == ("改了名字", synthetic_id(301))
    # an error re-shows the form masked too
    page = c.post(f"/people/edit/{p.id}", data={**form, "name": ""}).get_data(as_text=True)
    assert "姓名" in page and p.id_number not in page and _masked(p.id_number) in page
    # a newly typed number is saved
    new_number = synthetic_id(302)
    resp = c.post(f"/people/edit/{p.id}", data={**form, "id_number": new_number,
                                               "birth_date": str(datetime_date(new_number)),
                                               "sex": sex_of(new_number)})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Person, p.id).id_number == new_number


def test_export_masks_numbers_without_the_right(app, db, login_as):
    import io

    from openpyxl import load_workbook

    p = _person(db)
    _clerk(app, db, "daochu01", [("can_read", "人员信息导入管理"), ("can_export", "人员信息导入管理")])

    def cells(client):
        resp = client.get("/imports/export/basic")
        assert resp.status_code == 200
        book = load_workbook(io.BytesIO(resp.data), read_only=True)
        return {str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row if v}

    clerk = cells(login_as("daochu01", "Good@Pw-2468"))
    assert _masked(p.id_number) in clerk and p.id_number not in clerk
    owner = cells(login_as("inst_admin"))
    assert p.id_number in owner


def test_a_masked_export_imported_again_says_why_each_row_is_refused(app, db, login_as):
    """An export made without 查看完整证件号 cannot update anyone (证件号码 is the key): each row says so plainly and
    the stored record is untouched."""
    import io

    from app.domain.id_number import MASKED_ID_MESSAGE
    from app.services.imports.runner import run_import
    from app.services.seed import seed_org

    p = _person(db)
    seed_org(p.institution)
    db.session.commit()
    _clerk(app, db, "daochu01", [("can_read", "人员信息导入管理"), ("can_export", "人员信息导入管理")])
    data = login_as("daochu01", "Good@Pw-2468").get("/imports/export/basic").data
    result = run_import(p.institution, "basic", io.BytesIO(data), update_existing=True)
    assert result.updated == 0 and result.failed >= 1
    assert result.errors_preview and all(MASKED_ID_MESSAGE in line for line in result.errors_preview)
    db.session.expire_all()
    assert db.session.get(type(p), p.id).id_number == p.id_number


def test_probation_filing_shows_the_owner_the_full_number(db, login_as):
    from app.domain.person import PROBATION_STATUS

    p = _person(db, status=PROBATION_STATUS)
    owner = login_as("inst_admin")
    for path in ("/probation/list/", f"/probation/form/{p.id}"):
        page = owner.get(path).get_data(as_text=True)
        assert p.id_number in page and _masked(p.id_number) not in page, path


def test_audit_log_masks_numbers_and_phones_without_the_right_and_is_scoped(app, db, login_as):
    from app.models.audit import AuditLog
    from app.services.seed import WUCHANG_CODE

    p = _person(db, phone="13912345678")
    row = db.session.scalar(select(AuditLog.id).where(AuditLog.entity == "person", AuditLog.entity_id == str(p.id)))
    region = login_as("region_admin")  # 操作日志 without 查看完整证件号
    page = region.get(f"/auditlogview/show/{row}").get_data(as_text=True)
    assert _masked(p.id_number) in page and "139****5678" in page
    assert p.id_number not in page and "13912345678" not in page
    page = login_as("inst_admin").get(f"/auditlogview/show/{row}").get_data(as_text=True)
    assert p.id_number in page and "13912345678" in page
    wuchang = _inst(db, WUCHANG_CODE)
    foreign = db.session.scalar(select(AuditLog.id).where(AuditLog.institution_id == wuchang.id).limit(1))
    assert region.get(f"/auditlogview/show/{foreign}").status_code == 404
    assert login_as("inst_admin").get(f"/auditlogview/show/{foreign}").status_code == 404


# ---- bad input never answers 500 --------------------------------------------------------------------------------

CALLERS = ("sysadmin01", "region_admin", "inst_admin")


def _menu_pages(app):
    """(url, view class name, is a FAB list page) of every page of the menu."""
    from flask_appbuilder.baseviews import BaseCRUDView

    pages = []
    with app.test_request_context():
        for category in app.appbuilder.menu.get_list():
            for item in category.childs or []:
                if item.baseview is not None and item.name != "-":
                    pages.append((item.get_url(), item.baseview.__class__.__name__,
                                  isinstance(item.baseview, BaseCRUDView)))
    return pages


def _junk(view):
    return [{f"_oc_{view}": "no_such_column", f"_od_{view}": "asc"}, {f"_oc_{view}": "name", f"_od_{view}": "up"},
            {f"psize_{view}": "abc"}, {f"psize_{view}": "-5"}, {f"psize_{view}": "1000000"},
            {f"page_{view}": "x1"}, {f"page_{view}": "99999999999999999999999"}, {"page": "abc"}, {"page": "-3"},
            {"page": "99999999999999999999"}, {"page": "0"},
            {"_flt_99_name": "a"}, {"_flt_0_no_such_column": "a"}]


@pytest.mark.parametrize("caller", CALLERS)
def test_junk_in_any_list_page_answers_400_never_500(app, db, login_as, caller):
    c = login_as(caller)
    checked = 0
    for url, view, fab_list in _menu_pages(app):
        if c.get(url).status_code != 200:
            continue  # pages this caller may not open
        checked += 1
        for params in [{"q": "王\x00"}, {"_flt_0_name": "\x00"}, {"text": "a\x00"}]:
            resp = c.get(url, query_string=params)
            assert resp.status_code == 400, (caller, url, params, resp.status_code)
            assert "请求中含有不允许的字符" in resp.get_data(as_text=True)
        for params in _junk(view):
            resp = c.get(url, query_string=params)
            assert resp.status_code in (200, 400), (caller, url, params, resp.status_code)
            if resp.status_code == 400:
                assert "请求参数不正确" in resp.get_data(as_text=True), (url, params)
            elif "page" in params or fab_list and any(k.startswith(("_oc_", "_od_", "psize_", "page_")) for k in params):
                pytest.fail(f"{caller} {url} {params}: junk paging/order accepted")
    assert checked >= 3


def test_a_filter_index_out_of_range_answers_400_on_every_fab_list_page(app, db, login_as):
    """FAB reads `_flt_<index>_<column>` and indexes its filter list with it: IndexError (500) before the guard."""
    c = login_as("sysadmin01")
    checked = 0
    for view in app.appbuilder.baseviews:
        filters = view._filters.get_search_filters() if getattr(view, "_filters", None) is not None else {}
        if not filters or f"{view.endpoint}.list" not in app.view_functions:
            continue
        with app.test_request_context():
            url = url_for(f"{view.endpoint}.list")
        column = min(filters, key=lambda col: len(filters[col]))
        if len(filters[column]) > 9:
            continue
        resp = c.get(url, query_string={f"_flt_{len(filters[column])}_{column}": "a"})
        assert resp.status_code == 400 and "查询条件不正确" in resp.get_data(as_text=True), (url, resp.status_code)
        checked += 1
    assert checked >= 3


def test_nul_in_a_posted_form_is_refused(db, login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, "/people/add")
    resp = c.post("/people/add", data={"csrf_token": token, "name": "王\x00五"})
    assert resp.status_code == 400 and "请求中含有不允许的字符" in resp.get_data(as_text=True)


@pytest.mark.parametrize("name", ["..", "nope.txt", "%00", "a\x00b", ".htaccess"])
def test_junk_in_fab_download_answers_400(db, login_as, name):
    c = login_as("sysadmin01")
    resp = c.get(f"/dictitemview/download/{name}")
    assert resp.status_code == 400 and "请求参数不正确" in resp.get_data(as_text=True)


def test_fab_download_never_serves_a_file_of_the_upload_folder(app, db, login_as):
    import os

    with open(os.path.join(app.config["UPLOAD_FOLDER"], "secret.txt"), "w") as fh:
        fh.write("不该被下载")
    resp = login_as("inst_admin").get("/auditlogview/download/secret.txt")  # any reader of 操作日志
    assert resp.status_code == 400 and "不该被下载" not in resp.get_data(as_text=True)


def test_every_get_route_as_anonymous_never_answers_500(app, client):
    """Every GET route, with 1 for each argument: the anonymous client is sent to the login page or refused."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "appbuilder.static"):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        resp = client.get(url)
        assert resp.status_code < 500, (rule.rule, resp.status_code)
        if rule.rule in ("/certification/", "/account/password/", "/subsystem/<int:index>"):
            assert resp.status_code == 302 and "/login/" in resp.headers["Location"], rule.rule


# ---- the QR location link is single-use and shows what it sent --------------------------------------------------

def test_qr_location_link_is_single_use_and_shows_the_coordinates_sent(app, db, login_as, client):
    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    data = c.post("/location/start", headers={"X-CSRFToken": token}).get_json()
    phone_url = data["url"].replace("http://localhost", "")
    phone_page = client.get(phone_url).get_data(as_text=True)
    phone_csrf = {"X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', phone_page).group(1)}
    bad = client.post(phone_url, json={"latitude": 95, "longitude": 114}, headers=phone_csrf)
    assert bad.status_code == 400 and "纬度" in bad.get_json()["message"]  # a bad one: still open
    sent = client.post(phone_url, json={"latitude": 30.35, "longitude": 114.32}, headers=phone_csrf)
    body = sent.get_json()
    assert body["ok"] is True and "纬度 30.350000，经度 114.320000" in body["message"]
    assert (body["latitude"], body["longitude"]) == ("30.350000", "114.320000")
    again = client.post(phone_url, json={"latitude": 31.0, "longitude": 115.0}, headers=phone_csrf)
    assert again.status_code == 400 and "该二维码已使用过" in again.get_json()["message"]
    assert c.get(f"/location/poll/{data['token']}").get_json()["latitude"] == "30.350000"  # the first one kept
    page = client.get(phone_url)
    assert page.status_code == 410 and "该二维码已使用过" in page.get_data(as_text=True)
    assert "获取并发送位置" not in page.get_data(as_text=True)


def test_audit_rows_of_an_owner_made_role_belong_to_its_institution(db, login_as):
    from app.models.audit import AuditLog

    owner = login_as("inst_admin")
    token = csrf_token(owner, "/roleprofileview/add")
    owner.post("/roleprofileview/add", data={"csrf_token": token, "display_name": "审计科", "role_type": "科室",
                                             "seq": "3", "status": "正常", "description": ""})
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "审计科"))
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity == "ab_role",
                                                   AuditLog.entity_id == str(profile.role_id)))
    assert row.institution_id == profile.institution_id
    assert owner.get(f"/auditlogview/show/{row.id}").status_code == 200
    assert login_as("inst2_admin").get(f"/auditlogview/show/{row.id}").status_code == 404
