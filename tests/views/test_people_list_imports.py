"""人员信息管理 list: 批量导入, 导出 and 下载模板 lead to the pages of 人员信息导入管理 and are shown only with that
page's rights (导入 for uploads; 导出 for exports and templates); the routes refuse whoever lacks them."""
import datetime
import re

from sqlalchemy import select

from app.models.security import RoleProfile, User
from app.services import roles
from tests import factories
from tests.views.test_chinese_ui import english_in

SETS = ("basic", "work", "education", "title", "qualification", "practice", "training")
PASSWORD = "Good@Pw-2468"


def _account(app, db, username, rights):
    """A certified sub-account of the 江夏 centre whose role (made by its 总账号) holds `rights`: (right, page)."""
    owner = db.session.scalar(select(User).where(User.username == "inst_admin"))
    profile = roles.prepare_role(owner, RoleProfile(display_name=f"角色{username}", role_type="科室", status="正常"))
    db.session.add(profile)
    db.session.commit()
    sm = app.appbuilder.sm
    roles.set_permissions(owner, profile, {sm.find_permission_view_menu(r, page).id for r, page in rights})
    user = factories.account(username, role=profile.role.name, institution=owner.institution)
    user.certified_at = datetime.datetime.now()
    db.session.commit()


def _menu(page, menu_id):
    """The links of one toolbar dropdown, or None when the button is not there."""
    match = re.search(rf'id="{menu_id}".*?<ul[^>]*>(.*?)</ul>', page, re.S)
    return re.findall(r'href="([^"]+)"', match.group(1)) if match else None


def test_inst_admin_sees_import_export_and_template_buttons(login_as):
    c = login_as("inst_admin")
    resp = c.get("/people/list/")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert _menu(page, "people-import-menu") == [f"/imports/upload/{s}" for s in SETS] + ["/imports/jobs/"]
    assert _menu(page, "people-export-menu") == [f"/imports/export/{s}" for s in SETS]
    assert _menu(page, "people-template-menu") == [f"/imports/template/{s}" for s in SETS]
    assert "批量导入" in page and "导出基本信息" in page and "基本信息模板" in page and "导入记录与错误报告" in page
    assert "新增人员" in page and english_in(page) == []
    assert "还没有人员，请点击“新增人员”录入，或点击“批量导入”" in page
    for link in ("/imports/upload/basic", "/imports/jobs/"):  # the links lead somewhere
        assert c.get(link).status_code == 200


def test_sub_account_without_the_import_right_sees_no_import_button(app, db, login_as):
    _account(app, db, "luru01", [("can_read", "人员信息管理"), ("can_write", "人员信息管理"),
                                 ("can_read", "人员信息导入管理")])
    c = login_as("luru01", PASSWORD)
    page = c.get("/people/list/").get_data(as_text=True)
    assert "新增人员" in page
    for menu in ("people-import-menu", "people-export-menu", "people-template-menu"):
        assert _menu(page, menu) is None, menu
    assert "/imports/" not in page.split('id="people-search"', 1)[1]  # no import link anywhere below the navbar
    assert "还没有人员，请点击“新增人员”录入<" in page
    for path in ("/imports/upload/basic", "/imports/template/basic", "/imports/export/basic"):
        assert c.get(path).status_code == 403, path


def test_export_right_alone_shows_export_and_templates_but_not_import(app, db, login_as):
    _account(app, db, "daochu01", [("can_read", "人员信息管理"), ("can_export", "人员信息导入管理")])
    c = login_as("daochu01", PASSWORD)
    page = c.get("/people/list/").get_data(as_text=True)
    assert _menu(page, "people-import-menu") is None and "新增人员" not in page
    assert _menu(page, "people-export-menu") == [f"/imports/export/{s}" for s in SETS]
    assert _menu(page, "people-template-menu") == [f"/imports/template/{s}" for s in SETS]
    assert c.get("/imports/upload/basic").status_code == 403
    assert c.get("/imports/template/basic").status_code == 200
