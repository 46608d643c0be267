"""Accounts through the pages: the 'done means' walk of the accounts issue, the account list, subsystems."""
import io
import re

from PIL import Image
from sqlalchemy import select

from app.models.security import RoleProfile, User
from app.services import pdf
from tests.conftest import csrf_token, login


def _jpeg():
    buf = io.BytesIO()
    Image.new("RGB", (100, 60), "white").save(buf, "JPEG")
    buf.seek(0)
    return buf


def _pv_id(db, perm, resource):
    from app.extensions import appbuilder

    return appbuilder.sm.find_permission_view_menu(perm, resource).id


def test_owner_builds_a_role_and_an_account_that_sees_exactly_what_was_granted(app, db, login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/roleprofileview/add")
    resp = owner.post("/roleprofileview/add", data={"csrf_token": token, "display_name": "人事一科", "role_type": "科室",
                                                    "seq": "2", "status": "正常", "description": ""})
    assert resp.status_code == 302
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "人事一科"))
    tree = owner.get(f"/rolepermissions/{profile.id}").get_data(as_text=True).split('class="perm-tree"')[1]
    assert "人员信息管理" in tree and "账号管理" not in tree  # owner-only pages are never delegated
    personnel = [_pv_id(db, "can_read", "人员信息管理"), _pv_id(db, "can_write", "人员信息管理"),
                 _pv_id(db, "can_read", "人员信息查询")]
    assert owner.post(f"/rolepermissions/{profile.id}", data={"csrf_token": token, "pv": personnel}).status_code == 302

    resp = owner.post("/accounts/add", data={"csrf_token": token, "role": str(profile.id), "username": "renshike01",
                                             "nickname": "人事科小王", "mobile": "13912345678",
                                             "password": app.config["DEFAULT_PASSWORD"],
                                             "subsystems": ["基础资源管理", "应急资源管理"]})
    assert resp.status_code == 302, resp.get_data(as_text=True)

    c = app.test_client()
    assert login(c, "renshike01", app.config["DEFAULT_PASSWORD"]).status_code == 302
    token = csrf_token(c, "/account/password/")
    c.post("/account/password/", data={"csrf_token": token, "old_password": app.config["DEFAULT_PASSWORD"],
                                       "password": "Hb#2580wq", "confirm": "Hb#2580wq"})
    for path in ("/", "/people/list/"):
        assert "/certification/" in c.get(path).headers["Location"]  # only the certification page until approved
    c.post("/certification/save", data={"csrf_token": token, **{"name": "王小", "id_type": "01",
                                        "id_number": "11010519491231002X", "mobile": "13912345678"},
                                        "front": (_jpeg(), "front.jpg"), "back": (_jpeg(), "back.jpg")},
           content_type="multipart/form-data")
    letter = c.get("/certification/letter.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    c.post("/certification/scan", data={"csrf_token": token, "scan": (io.BytesIO(letter.data), "scan.pdf")},
           content_type="multipart/form-data")
    c.post("/certification/submit", data={"csrf_token": token})
    assert "待审核" in c.get("/certification/").get_data(as_text=True)

    queue = owner.get("/certreview/list/").get_data(as_text=True)
    cert_id = re.search(r"/certreview/show/(\d+)", queue).group(1)
    review_page = owner.get(f"/certreview/show/{cert_id}").get_data(as_text=True)
    assert "王小" in review_page and f"/certreview/file/{cert_id}/front" in review_page
    assert owner.get(f"/certreview/file/{cert_id}/scan").data[:5] == b"%PDF-"
    resp = owner.post(f"/certreview/decide/{cert_id}", data={"csrf_token": csrf_token(owner, "/account/password/"),
                                                             "action": "approve", "name": "王小", "id_type": "01",
                                                             "id_number": "11010519491231002X",
                                                             "mobile": "13912345678", "opinion": ""})
    assert resp.status_code == 302

    home = c.get("/")  # no new login needed
    assert home.status_code == 200
    menu = home.get_data(as_text=True)
    assert "人员信息管理" in menu and "人员信息查询" in menu
    for other in ("账号管理", "角色管理", "操作日志", "部门管理", "人员标签管理"):
        assert other not in menu, other
    assert c.get("/people/list/").status_code == 200 and c.get("/photowall/").status_code == 200
    for path in ("/accounts/list/", "/roleprofileview/list/", "/certreview/list/", "/dictitemview/list/",
                 "/regioninstitutionview/list/", f"/rolepermissions/{profile.id}", "/auditlogview/list/",
                 "/departments/list/", "/keygroups/list/", "/imports/jobs/"):
        assert c.get(path).status_code == 403, path


def test_account_list_shows_own_owner_first_and_read_only(login_as):
    page = login_as("inst_admin").get("/accounts/list/").get_data(as_text=True)
    rows = re.findall(r'data-username="([^"]+)"', page)
    assert rows[0] == "inst_admin" and set(rows) == {"inst_admin", "inst_staff", "newcomer01"}
    first_row = page.split('data-username="inst_admin"')[1].split("</tr>")[0]
    assert "不能进行操作" in first_row
    assert "子账号在被授权的页面中可以查看本机构的全部数据" in page


def test_failed_add_keeps_what_was_typed_and_lists_every_error(app, login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/accounts/add")
    page = owner.post("/accounts/add", data={"csrf_token": token, "role": "", "username": "ab", "nickname": "小李",
                                             "mobile": "1391234", "password": "weak",
                                             "subsystems": ["应急资源管理"]}).get_data(as_text=True)
    for fragment in ("请选择本机构的角色", "至少 8 位", "手机号码须为 11 位", "密码长度不得少于 8 位"):
        assert fragment in page
    assert 'value="小李"' in page and 'value="1391234"' in page
    assert 'value="应急资源管理" checked' in page and 'value="基础资源管理" checked' not in page


def test_reset_password_and_unlock_through_the_list(app, db, login_as):
    owner = login_as("inst_admin")
    staff = db.session.scalar(select(User).where(User.username == "inst_staff"))
    token = csrf_token(owner, "/accounts/list/")
    resp = owner.post(f"/accounts/resetpassword/{staff.id}", data={"csrf_token": token, "password": "abc",
                                                                  "confirm": "abc"})
    assert "密码长度不得少于 8 位" in resp.get_data(as_text=True)
    resp = owner.post(f"/accounts/resetpassword/{staff.id}", data={"csrf_token": token, "password": "Rzt#2580wq",
                                                                  "confirm": "Rzt#2580wq"})
    assert resp.status_code == 302
    assert owner.post(f"/accounts/unlock/{staff.id}", data={}).status_code == 400  # no CSRF token: refused (CSRFProtect)
    c = app.test_client()
    login(c, "inst_staff", "Rzt#2580wq")
    assert "/account/password" in c.get("/").headers["Location"]


def test_regional_owner_sees_institution_owners_and_toggles_internet(db, login_as):
    region = login_as("region_admin")
    page = region.get("/accounts/list/").get_data(as_text=True)
    assert set(re.findall(r'data-username="([^"]+)"', page)) == {"region_admin", "inst_admin", "inst3_admin"}  # the owners of both 江夏 institutions
    inst_admin = db.session.scalar(select(User).where(User.username == "inst_admin"))
    token = csrf_token(region, "/accounts/list/")
    resp = region.post(f"/accounts/edit/{inst_admin.id}", data={"csrf_token": token, "mobile": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, inst_admin.id).internet_access is False


def test_subsystem_not_ticked_is_refused(db, login_as):
    user = db.session.scalar(select(User).where(User.username == "region_admin"))
    user.subsystems = "应急资源管理"
    db.session.commit()
    c = login_as("region_admin")
    resp = c.get("/regioninstitutionview/list/")
    assert resp.status_code == 403 and "没有开通“基础资源管理”子系统" in resp.get_data(as_text=True)
    assert c.get("/auditlogview/list/").status_code == 200  # 系统管理 belongs to every subsystem


def test_subsystem_switcher_filters_the_menu(login_as):
    c = login_as("region_admin")
    assert "区域管理" in c.get("/").get_data(as_text=True)
    assert c.get("/subsystem/1").status_code == 302  # 应急资源管理
    assert "区域管理" not in c.get("/").get_data(as_text=True)
    assert c.get("/subsystem/9").status_code == 403


def test_pdf_font_is_ready_after_setup(app):
    assert pdf.font_path(app.instance_path).exists()
