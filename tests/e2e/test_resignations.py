"""员工离职 in a real browser: menu 机构人力资源 → 员工离职 → 新增, the person picker by 拼音首字母 fills the read-only
card, 保存 → 提交 → 通过; 批量离职 from the staff list's check boxes."""
import datetime

import pytest
from sqlalchemy import select

from app.models.movements import Resignation
from app.models.org import Institution
from app.models.people import Person
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def staff(db):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    people = [Person(institution_id=inst.id, name=name, id_type="01", id_number=synthetic_id(700 + i), status="在岗",
                     staff_no=f"J{700 + i}", work_start=datetime.date(2012, 9, 1))
              for i, name in enumerate(["张晓明", "张小梅", "李静"])]
    db.session.add_all(people)
    db.session.commit()
    return {p.name: p for p in people}


def test_draft_submit_and_approve_by_clicking(db, live_server, page, staff):
    login(page, live_server)
    page.get_by_role("link", name="机构人力资源").first.click()
    page.get_by_role("link", name="员工离职").first.click()
    page.get_by_role("link", name="新增").click()
    page.wait_for_url("**/resignation/add/**")
    page.wait_for_load_state("load")  # the picker's script is bound before typing
    page.get_by_placeholder("输入工号、姓名、证件号码或姓名拼音首字母（如 zs）").fill("zxm")
    page.locator("a.person-pick", has_text="张晓明").click()
    card = page.locator("#person-card")
    assert "J700" in card.inner_text() and "2012-09-01" in card.inner_text() and "在岗" in card.inner_text()
    page.locator("#flow_type").select_option("25")
    page.locator("#leave_date").fill(datetime.date.today().isoformat())
    page.get_by_role("button", name="保存").click()
    assert page.locator("#resignation-status").inner_text() == "草稿"
    page.get_by_role("button", name="提交").click()
    assert page.locator("#resignation-status").inner_text() == "待审核"
    page.get_by_role("button", name="通过", exact=True).click()
    assert page.locator("#resignation-status").inner_text() == "已通过"
    assert "审核通过" in page.locator("#review-history").inner_text()
    db.session.expire_all()
    assert db.session.get(Person, staff["张晓明"].id).status == "离职"


def test_batch_from_the_staff_list(db, live_server, page, staff):
    login(page, live_server)
    page.goto(f"{live_server}/people/list/")
    for name in ("张小梅", "李静"):
        page.get_by_label(f"选择{name}办理离职").check()
    page.locator("#batch-resign-button").click()
    assert "张小梅" in page.locator("#batch-people").inner_text()
    page.locator("#flow_type").select_option("21")
    page.locator("#leave_date").fill(datetime.date.today().isoformat())
    page.get_by_role("button", name="保存为草稿").click()
    page.wait_for_url(lambda url: "/resignation/list" in url)
    db.session.expire_all()
    ids = {staff["张小梅"].id, staff["李静"].id}
    assert {r.person_id for r in db.session.scalars(select(Resignation).where(Resignation.person_id.in_(ids)))} == ids
