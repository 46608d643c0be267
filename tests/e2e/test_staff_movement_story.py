"""Issue 13's "Done means", walked as a new user would, by clicking only (the login page is the only typed address):
武昌's owner (inst2_admin) tries to enter a person active at the 江夏 centre and is refused with the holder named,
sends 申请调入; 江夏's owner (inst_admin) opens the request under 调动申请, starts the type-21 resignation, submits it
and, holding 审核 on 员工离职, approves it; 武昌 enters the person again, copies the earlier records (with a 工作经历
entry for 江夏) and finds the person in its staff list with that work experience; the 基本信息 form offers no 离职.
A full-page screenshot of each step goes to pytest's tmp_path and, for the issue's note, to SHOTS (the environment's
STORY13_SHOTS, else /work/wt/shots13 where /work/wt exists; nowhere else otherwise)."""
import datetime
import os

import pytest
from sqlalchemy import select

from app.domain.id_number import sex_code
from app.models.movements import Resignation, TransferRequest
from app.models.org import Department, Institution, Post
from app.models.people import Education, Person
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id
from tests.e2e.helpers import login, shooter

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHOTS = os.environ.get("STORY13_SHOTS") or ("/work/wt/shots13" if os.path.isdir("/work/wt") else None)
NAME = "刘江夏"
NUMBER = synthetic_id(4913)


@pytest.fixture
def jiangxia_person(db):
    """A member of staff of the 江夏 centre (which the demo data leaves empty) with an education record, and what
    each centre needs to hold a person (a department and a post)."""
    jiangxia, wuchang = (db.session.scalar(select(Institution).where(Institution.code == code))
                         for code in (JIANGXIA_CODE, WUCHANG_CODE))
    depts = {i.id: Department(institution_id=i.id, name="全科", category="科室(部门)", standard_code="A03")
             for i in (jiangxia, wuchang)}
    posts = {i.id: Post(institution_id=i.id, name="临床医师", category="专业技术岗") for i in (jiangxia, wuchang)}
    db.session.add_all([*depts.values(), *posts.values()])
    db.session.flush()
    person = Person(institution_id=jiangxia.id, name=NAME, id_type="01", id_number=NUMBER, sex=sex_code(NUMBER),
                    status="在岗", staff_no="J4913", work_start=datetime.date(2008, 7, 1), establishment="1",
                    department_id=depts[jiangxia.id].id, post_id=posts[jiangxia.id].id)
    db.session.add(person)
    db.session.flush()
    db.session.add(Education(person_id=person.id, institution_id=jiangxia.id, school="同济医学院", education="2",
                             major="临床医学"))
    db.session.commit()
    return {"jiangxia": jiangxia.name, "wuchang": wuchang.name, "person_id": person.id,
            "dept": str(depts[wuchang.id].id), "post": str(posts[wuchang.id].id)}


def _session(browser, base, username):
    page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    login(page, base, username)
    return page


def _menu(page, category, entry, url):
    page.get_by_role("link", name=category).first.click()
    page.get_by_role("link", name=entry).first.click()
    page.wait_for_url(url)


def _enter(page, data, statuses=None):
    """人员信息管理 → 新增人员 → the 基本信息 form with the 江夏 person's number, 保存 (`statuses`: gets the
    在职状态 options the form offers)."""
    _menu(page, "机构人力资源", "人员信息管理", "**/people/list/**")
    page.get_by_role("link", name="新增人员").click()
    page.wait_for_url("**/people/add")
    if statuses is not None:
        statuses.extend(page.locator("#status option").all_inner_texts())
    page.get_by_label("姓名").fill(NAME)
    page.get_by_label("证件号码").fill(NUMBER)
    page.locator("#department_id").select_option(data["dept"])
    page.locator("#post_id").select_option(data["post"])
    page.get_by_role("button", name="保存").first.click()
    page.wait_for_load_state()


def test_a_person_moves_from_jiangxia_to_wuchang_by_clicking(db, live_server, browser, page, jiangxia_person,
                                                             tmp_path):
    data, shot = jiangxia_person, shooter(tmp_path, SHOTS)
    today = datetime.date.today()

    # 1. 武昌 enters the 江夏 person: refused with the holder named, 申请调入 offered and sent
    login(page, live_server, "inst2_admin")
    offered = []
    _enter(page, data, offered)
    assert "在岗" in offered and not {"离职", "退休", "其他"} & set(offered)  # the 新增 form offers no 离职 either
    assert page.url.endswith("/people/add")
    refusal = page.locator('.field-error[data-field="id_number"]')
    assert data["jiangxia"] in refusal.inner_text()
    offer = page.locator('#transfer-offer button[name="offer"]')
    assert offer.inner_text().strip() == f"向{data['jiangxia']}申请调入"
    shot(page, "01_refusal.png")
    offer.click()
    page.wait_for_url("**/transfers/new")
    assert page.locator("#holder-name").inner_text() == data["jiangxia"]
    assert page.locator("#id_number").input_value() == NUMBER and page.locator("#name").input_value() == NAME
    page.get_by_label("调入理由").fill("本中心全科医生岗位空缺，本人申请调入")
    page.get_by_label("期望调入日期").fill((today + datetime.timedelta(days=7)).isoformat())
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/transfers/show/*")
    assert page.locator("#transfer-status").inner_text() == "待处理"
    shot(page, "02_request.png")

    # 2. 江夏 opens the request, starts the resignation (type 21), submits it and approves it as the reviewer
    holder = _session(browser, live_server, "inst_admin")
    _menu(holder, "机构人力资源", "调动申请", "**/transfers/list/**")
    received = holder.locator("#transfers-received")
    assert NAME in received.inner_text() and data["wuchang"] in received.inner_text()
    received.get_by_role("link", name="办理").click()
    holder.wait_for_url("**/transfers/show/*")
    shot(holder, "03_holder_request.png")
    holder.get_by_role("button", name="办理离职").click()
    holder.wait_for_url("**/transfers/show/*")
    assert holder.locator("#transfer-status").inner_text() == "已办理离职"
    holder.get_by_role("link", name="查看离职记录").click()
    holder.wait_for_url("**/resignation/show/*")
    assert holder.locator("#resignation-status").inner_text() == "草稿"
    assert "调往其他卫生机构" in holder.locator("body").inner_text()
    shot(holder, "04_resignation_draft.png")
    holder.get_by_role("button", name="提交", exact=True).click()
    assert holder.locator("#resignation-status").inner_text() == "待审核"
    _menu(holder, "机构人力资源", "员工离职", "**/resignation/list/**")
    holder.locator("tr", has_text=NAME).get_by_role("link", name="审核").click()
    holder.wait_for_url("**/resignation/show/*")
    holder.get_by_role("button", name="通过", exact=True).click()
    assert holder.locator("#resignation-status").inner_text() == "已通过"
    assert "审核通过" in holder.locator("#review-history").inner_text()
    shot(holder, "05_approved.png")
    db.session.expire_all()
    assert db.session.get(Person, data["person_id"]).status == "离职"
    assert db.session.scalar(select(Resignation.flow_type).where(Resignation.person_id == data["person_id"])) == "21"

    # 3. 武昌 enters the person again: saved, offered the earlier records, copies them
    page.reload()  # the requester's own request now tells that the person may be entered
    assert page.locator("#transfer-status").inner_text() == "已办理离职"
    assert page.locator("#enter-person").is_visible()
    _enter(page, data)
    page.wait_for_url("**/people/history/*")  # saved, and led straight to 复制以往记录
    assert f"{NAME} 的基本信息已保存" in page.locator("body").inner_text()
    offers = page.locator("#history-copy")
    assert "同济医学院" in offers.inner_text() and data["jiangxia"] in offers.inner_text()
    assert "按原单位的人员记录和离职记录生成" in offers.inner_text()  # the 工作经历 entry built from the resignation
    boxes = page.locator('input[name="keys"]')
    assert boxes.count() == 2 and all(boxes.nth(i).is_checked() for i in range(2))
    shot(page, "06_enter_again.png")
    page.get_by_role("button", name="复制所选记录").click()
    page.wait_for_url("**/people/show/*")
    assert f"已为 {NAME} 复制 2 条以往记录" in page.locator("body").inner_text()
    shot(page, "07_copy_history.png")
    db.session.expire_all()
    assert db.session.scalar(select(TransferRequest.status)) == "已完成"

    # … the person is in 武昌's staff list, and their page shows the 江夏 工作经历
    _menu(page, "机构人力资源", "人员信息管理", "**/people/list/**")
    row = page.locator("tbody tr", has_text=NAME)
    assert row.count() == 1 and "在岗" in row.inner_text()
    row.get_by_role("link", name="信息维护").click()
    page.wait_for_url("**/people/show/*")
    work = page.locator("#set-work tbody tr")
    assert work.count() == 1 and data["jiangxia"] in work.inner_text() and "2008-07-01" in work.inner_text()
    assert "同济医学院" in page.locator("#set-education").inner_text()
    shot(page, "08_person_page.png")

    # 4. the 基本信息 form's 在职状态 offers no 离职 (nor 退休/其他)
    page.get_by_role("link", name="修改基本信息").click()
    page.wait_for_url("**/people/edit/*")
    statuses = page.locator("#status option").all_inner_texts()
    assert "在岗" in statuses and not {"离职", "退休", "其他"} & set(statuses)
    # a closed <select> shows one option in a screenshot: show them all as a list box for the picture
    page.locator("#status").evaluate("el => { el.size = el.options.length; el.scrollIntoView(); }")
    shot(page, "09_status_options.png")
