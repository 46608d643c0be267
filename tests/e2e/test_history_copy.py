"""Issue 13 in a real browser as 武昌's owner: the 基本信息 form offers no 离职; entering a person who left 江夏
leads right after the save to 复制以往记录, where the earlier education and the 江夏 工作经历 are ticked and copied."""
import datetime

import pytest
from sqlalchemy import select

from app.models.movements import Resignation
from app.models.org import Department, Institution, Post
from app.models.people import Education, Person
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_new_institution_copies_the_earlier_history(app, db, live_server, page, tmp_path):
    jiangxia, wuchang = (db.session.scalar(select(Institution).where(Institution.code == code))
                         for code in (JIANGXIA_CODE, WUCHANG_CODE))
    number = synthetic_id(4777)
    old = Person(institution_id=jiangxia.id, name="陈武昌", id_type="01", id_number=number, sex="1", status="离职",
                 work_start=datetime.date(2006, 7, 1))
    dept = Department(institution_id=wuchang.id, name="全科", category="科室(部门)", standard_code="A03")
    post = Post(institution_id=wuchang.id, name="临床医师", category="专业技术岗")
    db.session.add_all([old, dept, post])
    db.session.flush()
    db.session.add_all([
        Education(person_id=old.id, institution_id=jiangxia.id, school="同济医学院", education="2", major="临床医学"),
        Resignation(institution_id=jiangxia.id, person_id=old.id, flow_type="21", leave_date=datetime.date(2025, 3, 31),
                    status="已通过")])
    db.session.commit()
    dept_id, post_id, jiangxia_name = dept.id, post.id, jiangxia.name

    login(page, live_server, "inst2_admin")
    page.goto(f"{live_server}/people/add")
    statuses = page.locator("#status option").all_inner_texts()
    assert "离职" not in statuses and "退休" not in statuses and "在岗" in statuses
    page.get_by_label("姓名").fill("陈武昌")
    page.get_by_label("证件号码").fill(number)
    page.locator("#department_id").select_option(str(dept_id))
    page.locator("#post_id").select_option(str(post_id))
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/people/history/*")
    offer = page.locator("#history-copy")
    assert "同济医学院" in offer.inner_text() and jiangxia_name in offer.inner_text()
    assert page.locator('input[name="keys"]').count() == 2
    page.screenshot(path=str(tmp_path / "history-copy-offer.png"), full_page=True)
    page.get_by_role("button", name="复制所选记录").click()
    page.wait_for_url("**/people/show/*")
    text = page.locator("body").inner_text()
    assert "已为 陈武昌 复制 2 条以往记录" in text and "同济医学院" in text and jiangxia_name in text
    page.screenshot(path=str(tmp_path / "history-copied.png"), full_page=True)
