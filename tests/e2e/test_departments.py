"""部门管理 in a real browser: 初始化部门, a 村卫生室 added under the institution (the 科室标准名称 star follows the
category live), a department with staff refused for deletion with the move offer, moved and deleted in one step."""
import pytest
from sqlalchemy import select

from app.models.org import Department, Institution
from app.models.people import Person
from app.services.seed import JIANGXIA_CODE
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _department(db, inst, name):
    db.session.expire_all()
    return db.session.scalar(select(Department).where(Department.institution_id == inst.id, Department.name == name))


def test_owner_builds_the_tree_and_deletes_a_department_after_moving_its_staff(app, db, live_server, page, tmp_path):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    login(page, live_server)

    page.goto(f"{live_server}/departments/list/")
    page.get_by_role("button", name="初始化部门").click()
    page.wait_for_selector("text=请根据本机构实际情况修改")
    assert page.locator("tr[data-department]").count() > 20
    assert page.get_by_role("button", name="初始化部门").count() == 0

    # 新增下级 on the institution's own row
    page.get_by_role("link", name=f"新增下级：{inst.name}").click()
    page.wait_for_url("**/departments/add")
    star_label = page.locator("#standard_code-label")
    assert "required" in star_label.get_attribute("class")  # 科室(部门) is the default category
    page.get_by_label("科室名称").fill("村卫生室一")
    page.get_by_label("科室(部门)类别").select_option("村卫生室")
    assert "required" not in star_label.get_attribute("class")  # the star goes away at once
    assert page.get_by_label("科室标准名称").get_attribute("aria-required") == "false"
    assert page.get_by_label("上级").input_value() == ""  # the institution itself
    page.get_by_label("负责人").fill("王村医")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=部门“村卫生室一”已新增")
    row = page.locator('tr[data-department="村卫生室一"]')
    assert "村卫生室" in row.inner_text() and "王村医" in row.inner_text()
    village = _department(db, inst, "村卫生室一")
    assert (village.category, village.parent_id, village.standard_code) == ("村卫生室", None, None)

    # two members of staff in 内科
    internal = _department(db, inst, "内科")
    for name, id_number in (("张三", "11010519491231002X"), ("李四", "420115198001010015")):
        db.session.add(Person(institution_id=inst.id, name=name, id_type="01", id_number=id_number,
                              department_id=internal.id, status="在岗"))
    db.session.commit()
    internal_id = internal.id
    target = _department(db, inst, "全科医疗科")

    page.reload()
    assert page.locator('tr[data-department="内科"] td').nth(6).inner_text() == "2"  # 人员数
    page.get_by_role("link", name="删除：内科", exact=True).click()
    page.wait_for_selector("#delete-blocked")
    assert "部门“内科”下有 2 名人员，不能删除" in page.locator("#delete-blocked").inner_text()
    page.get_by_label("转移到").select_option(label="全科医疗科")
    page.screenshot(path=str(tmp_path / "department-delete-blocked.png"), full_page=True)
    page.get_by_role("button", name="转移人员并删除部门").click()
    page.wait_for_selector("text=已把 2 名人员转移到“全科医疗科”，部门“内科”已删除")
    assert page.locator('tr[data-department="内科"]').count() == 0
    assert page.locator('tr[data-department="全科医疗科"] td').nth(6).inner_text() == "2"
    page.screenshot(path=str(tmp_path / "department-tree.png"), full_page=True)

    db.session.expire_all()
    assert db.session.get(Department, internal_id) is None
    assert set(db.session.scalars(select(Person.department_id).where(Person.institution_id == inst.id))) == {target.id}
