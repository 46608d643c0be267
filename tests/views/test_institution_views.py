"""机构信息维护, the QR location pages, 机构信息变更审核 and 辖区机构 through HTTP."""
import io
import re

from sqlalchemy import select

from app.domain.uscc import check_char
from app.models.org import Institution
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token
from tests.services.test_storage import _minimal_pdf

PDF = _minimal_pdf()  # a real one: the upload check opens it and counts its pages


def test_profile_tabs_and_a_refused_save_keeps_the_input(login_as):
    c = login_as("inst_admin")
    page = c.get("/institution/").get_data(as_text=True)
    for label in ("基本信息", "机构信息", "分院信息", "附件信息", "主体信息", "机构信息修改", "124201154201150159"):
        assert label in page
    token = csrf_token(c, "/institution/")
    resp = c.post("/institution/save", data={"csrf_token": token, "address": "纸坊街 8 号", "postcode": "12"})
    text = resp.get_data(as_text=True)
    assert "邮政编码须为 6 位数字" in text and 'value="纸坊街 8 号"' in text


def test_change_request_through_the_pages(db, login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/institution/")
    resp = owner.post("/institution/change", data={"csrf_token": token, "change_grade": "y", "grade": "一级",
                                                   "reason": "等级评审", "files": (io.BytesIO(PDF), "评审.pdf")},
                      content_type="multipart/form-data")
    assert resp.status_code == 302
    region = login_as("region_admin")
    queue = region.get("/changereview/list/").get_data(as_text=True)
    pk = re.search(r"/changereview/show/(\d+)", queue).group(1)
    detail = region.get(f"/changereview/show/{pk}").get_data(as_text=True)
    assert "机构级别" in detail and "一级" in detail and "评审.pdf" in detail
    assert region.get(f"/changereview/file/{pk}/0").data.startswith(b"%PDF")
    assert login_as("inst2_admin").get(f"/changereview/show/{pk}").status_code == 403  # institutions do not review
    resp = region.post(f"/changereview/decide/{pk}", data={"csrf_token": csrf_token(region, "/account/password/"),
                                                          "action": "reject", "opinion": ""})
    assert "驳回时必须填写审核意见" in resp.get_data(as_text=True)
    region.post(f"/changereview/decide/{pk}", data={"csrf_token": csrf_token(region, "/account/password/"),
                                                   "action": "approve", "opinion": "同意"})
    db.session.expire_all()
    assert db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE)).grade == "一级"


def test_qr_location_pages(app, login_as, client):
    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    assert c.post("/location/start").status_code == 400  # CSRF header required
    data = c.post("/location/start", headers={"X-CSRFToken": token}).get_json()
    assert data["svg"].startswith("<?xml") or "<svg" in data["svg"]
    phone_url = data["url"].replace("http://localhost", "")
    phone_page = client.get(phone_url).get_data(as_text=True)
    assert "获取并发送位置" in phone_page  # the phone needs no login
    phone_csrf = {"X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', phone_page).group(1)}
    assert c.get(f"/location/poll/{data['token']}").get_json() == {"received": False}
    no_token = client.post(phone_url, json={"latitude": 30.35, "longitude": 114.32})
    assert no_token.status_code == 400 and "页面已过期" in no_token.get_json()["message"]  # JSON the phone can show
    bad = client.post(phone_url, json={"latitude": 95, "longitude": 114}, headers=phone_csrf)
    assert bad.status_code == 400 and "纬度须在 3–54 之间" in bad.get_json()["message"]
    assert client.post(phone_url, json={"latitude": 30.35, "longitude": 114.32}, headers=phone_csrf).get_json()["ok"] is True
    assert c.get(f"/location/poll/{data['token']}").get_json()["latitude"] == "30.350000"
    assert login_as("inst2_admin").get(f"/location/poll/{data['token']}").status_code == 404
    assert client.get("/location/m/forged-signature").status_code == 404


def test_region_creates_an_institution_and_cannot_edit(db, login_as):
    region = login_as("region_admin")
    token = csrf_token(region, "/regioninstitutionview/add")
    from tests import factories

    jiangxia = factories.region("420115")
    bad = region.post("/regioninstitutionview/add", data={"csrf_token": token, "name": "江夏区五里界卫生院",
                                                          "code": "124201154201150158", "region": str(jiangxia.id),
                                                          "kind": "乡镇卫生院"})
    text = bad.get_data(as_text=True)
    assert "校验位不正确" in text and 'value="江夏区五里界卫生院"' in text
    code = "124201157" + "00000001"
    code += check_char(code)
    ok = region.post("/regioninstitutionview/add", data={"csrf_token": token, "name": "江夏区五里界卫生院", "code": code,
                                                         "region": str(jiangxia.id), "kind": "乡镇卫生院",
                                                         "is_large_public": "y"})
    assert ok.status_code == 302
    created = db.session.scalar(select(Institution).where(Institution.code == code))
    assert created.internet_access is False  # large public: health network only
    assert region.get(f"/regioninstitutionview/edit/{created.id}").status_code == 403
    listing = region.get("/regioninstitutionview/list/").get_data(as_text=True)
    assert "江夏区五里界卫生院" in listing and "武昌" not in listing


def test_a_branch_is_edited_from_its_row_with_the_version_it_was_opened_with(db, login_as):
    from app.models.org import Branch
    from app.services import institutions as svc

    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    branch = svc.save_branch(inst, {"name": "东分院", "address": "东湖路 1 号"})
    c = login_as("inst_admin")
    listing = c.get("/institution/?tab=branches").get_data(as_text=True)
    assert f"/institution/?tab=branches&amp;branch={branch.id}" in listing  # 修改 in the row
    form = c.get(f"/institution/?tab=branches&branch={branch.id}").get_data(as_text=True)
    assert "修改分院：东分院" in form and 'value="东湖路 1 号"' in form
    assert f'action="/institution/branch/{branch.id}"' in form
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    token = csrf_token(c, "/institution/")
    data = {"csrf_token": token, "version": version, "name": "东院区", "address": "东湖路 2 号"}
    refused = c.post(f"/institution/branch/{branch.id}", data={**data, "phone": "abc"}).get_data(as_text=True)
    assert "分院电话只能包含数字" in refused and 'value="东院区"' in refused and "修改分院" in refused
    assert c.post(f"/institution/branch/{branch.id}", data=data).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Branch, branch.id).name, db.session.get(Branch, branch.id).address) == ("东院区", "东湖路 2 号")
    stale = c.post(f"/institution/branch/{branch.id}", data={**data, "name": "西院区"}).get_data(as_text=True)
    assert "未保存" in stale  # opened before the save above: refused, not overwritten
    db.session.expire_all()
    assert db.session.get(Branch, branch.id).name == "东院区"
    assert c.get("/institution/?tab=branches&branch=999999").status_code == 404


def test_qr_link_uses_public_base_url_when_set(app, login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    assert c.post("/location/start", headers={"X-CSRFToken": token}).get_json()["url"].startswith("http://localhost/")
    app.config["PUBLIC_BASE_URL"] = "https://hr.example.gov.cn"
    try:
        url = c.post("/location/start", headers={"X-CSRFToken": token}).get_json()["url"]
    finally:
        app.config["PUBLIC_BASE_URL"] = None
    assert url.startswith("https://hr.example.gov.cn/location/m/")
    phone_page = app.test_client().get(url.replace("https://hr.example.gov.cn", "")).get_data(as_text=True)
    assert "获取并发送位置" in phone_page  # the same signed link works on the public address


def test_region_opens_a_large_public_institutions_internet_access(app, db, login_as):
    from app.domain.network import NO_INTERNET_MESSAGE
    from tests.conftest import login

    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    inst.is_large_public, inst.internet_access = True, False
    db.session.commit()
    outside = app.test_client()
    outside.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    assert NO_INTERNET_MESSAGE in login(outside, "inst_admin", follow_redirects=True).get_data(as_text=True)

    region = login_as("region_admin")
    show = region.get(f"/regioninstitutionview/show/{inst.id}").get_data(as_text=True)
    assert "允许通过互联网访问" in show and 'id="internet-form"' in show
    version = re.search(r'name="version" value="(\d+)"', show).group(1)
    token = csrf_token(region, f"/regioninstitutionview/show/{inst.id}")
    resp = region.post(f"/regioninstitutionview/internet/{inst.id}",
                       data={"csrf_token": token, "version": version, "internet_access": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Institution, inst.id).internet_access is True
    assert login(outside, "inst_admin").status_code == 302  # now let in from the internet
    # a stale form (opened before that change) is refused; another region's institution is not found
    region.post(f"/regioninstitutionview/internet/{inst.id}", data={"csrf_token": token, "version": version})
    db.session.expire_all()
    assert db.session.get(Institution, inst.id).internet_access is True
    other = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    assert region.post(f"/regioninstitutionview/internet/{other.id}",
                       data={"csrf_token": token, "internet_access": "y"}).status_code == 404


def test_coded_subject_fields_are_dropdowns_and_old_values_still_show(db, login_as):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    inst.economic_type = "全民所有制"  # typed before the list existed
    db.session.commit()
    page = login_as("inst_admin").get("/institution/").get_data(as_text=True)
    subject = page.split('id="subject-info"')[1].split("</table>")[0]
    assert "全民所有制" in subject
    form = page.split('id="change-form"')[1]
    for key, sample in (("category", "乡卫生院"), ("economic_type", "国有"), ("grade", "二级甲等"),
                        ("registration_authority", "市场监督管理部门")):
        select_html = re.search(rf'<select[^>]*name="{key}"[^>]*>(.*?)</select>', form, re.S)
        assert select_html and re.search(rf"<option[^>]*>{sample}</option>", select_html.group(1))
    assert "全民所有制（原填写值，不在代码表中，请重新选择）" in form
