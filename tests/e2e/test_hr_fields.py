"""The 卫统信息 group of the 基本信息 form in a real browser (issue 16): closed on a new person, opened by its title,
a refused save shows it open with what was typed, the saved values read on the person page."""
import pytest
from sqlalchemy import select

from app.models.org import Department, Institution
from app.models.people import Person
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests.e2e.helpers import open_menu, session, shooter

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHOTS = "/work/wt/shots16/h16b"


def test_clerk_fills_the_health_statistics_fields(app, db, live_server, browser, tmp_path):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    db.session.add(Department(institution_id=inst.id, name="内科", category="科室(部门)", standard_code="A03"))
    db.session.commit()
    shot = shooter(tmp_path, SHOTS)
    page = session(browser, live_server, "inst_admin")
    open_menu(page, "机构人力资源", "人员信息管理", "**/people/list/**")
    page.get_by_role("link", name="新增人员").click()
    page.wait_for_url("**/people/add")
    multisite = page.get_by_label("是否多地点执业医师")
    assert not multisite.is_visible()  # the group starts closed
    page.get_by_role("button", name="卫统信息").click()
    multisite.wait_for(state="visible")
    page.get_by_label("姓名").fill("高卫统")
    page.get_by_label("证件号码").fill(synthetic_id(4444))
    page.locator("#department_id").select_option(label="内科")
    page.get_by_label("办公室电话号码").fill("027-87654321")
    page.get_by_label("第2执业单位的机构类别").select_option(label="乡镇卫生院")  # without 是: refused
    page.get_by_label("专科特长").fill("高血压、糖尿病")
    page.get_by_role("button", name="保存").click()
    page.locator("#form-errors").wait_for()
    assert "第2执业单位的机构类别：仅当“是否多地点执业医师”为“是”时填写" in page.locator("#form-errors").inner_text()
    assert multisite.is_visible() and page.get_by_label("办公室电话号码").input_value() == "027-87654321"
    shot(page, "hr-fields-refused.png")
    multisite.select_option(label="是")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/people/show/*")
    page.locator("text=高卫统 的基本信息已保存").wait_for()
    person = db.session.scalar(select(Person).where(Person.name == "高卫统"))
    assert (person.multisite, person.multisite_unit2, person.specialties) == ("1", "2", "高血压、糖尿病")
    assert "027-87654321" in page.content()
    shot(page, "hr-fields-person.png")
