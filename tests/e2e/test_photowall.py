"""人员信息查询 in a real browser: the department list filters the wall, the list collapses, a double-click or Enter
on a card opens the person's detail page; 人员标签管理's member picker filters as one types."""
import io
import re

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from app.models.org import Department, Institution, Post
from app.models.people import KeyGroup, Person
from app.services import storage
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _photo(color):
    img = Image.new("RGB", (300, 400), color)
    draw = ImageDraw.Draw(img)
    draw.ellipse((90, 70, 210, 190), fill="#f3d9c4")
    draw.rectangle((60, 220, 240, 400), fill="#3d5a80")
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return storage.save_upload(buf.getvalue(), field_label="照片", kinds={"jpeg"}, max_bytes=storage.IMAGE_MAX,
                               filename="photo.jpg")


@pytest.fixture
def staff(db):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    depts = {}
    for seq, name in enumerate(["内科", "外科", "公共卫生科"], start=1):
        depts[name] = Department(institution_id=inst.id, name=name, seq=seq)
        db.session.add(depts[name])
    db.session.flush()
    depts["心内科"] = Department(institution_id=inst.id, name="心内科", seq=1, parent_id=depts["内科"].id)
    doctor = Post(institution_id=inst.id, name="临床医师", category="卫生技术")
    nurse = Post(institution_id=inst.id, name="护士", category="卫生技术")
    db.session.add_all([depts["心内科"], doctor, nurse])
    db.session.flush()
    plan = [("张晓明", "内科", doctor, "3", "#d8e2dc"), ("李静", "心内科", nurse, "4", "#ffe5d9"),
            ("王建国", "外科", doctor, "2", None), ("赵丽", "外科", nurse, "5", "#cde7f0"),
            ("陈思佳", "公共卫生科", None, None, None), ("刘洋", "内科", doctor, "4", None)]
    people = {}
    for i, (name, dept, post, title, color) in enumerate(plan, start=1):
        p = Person(institution_id=inst.id, name=name, id_type="01", id_number=synthetic_id(i * 37), status="在岗",
                   department_id=depts[dept].id, post_id=post.id if post else None, tech_title=title)
        if color:
            stored = _photo(color)
            p.photo_path, p.photo_thumb = stored.path, stored.thumb_path
        db.session.add(p)
        people[name] = p
    db.session.commit()
    return {"inst": inst, "depts": depts, "people": people}


def _card_names(page):
    return page.locator("#photo-wall .wall-name").all_inner_texts()


def test_filter_wall_by_department_and_open_a_person(live_server, page, staff, tmp_path):
    login(page, live_server)
    page.goto(f"{live_server}/photowall/")
    assert sorted(_card_names(page)) == sorted(staff["people"])
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / "wall.png"), full_page=True)
    # the photos really load through the scoped file view
    loaded = page.evaluate("Array.from(document.querySelectorAll('#photo-wall img')).map(i => i.naturalWidth > 0)")
    assert loaded == [True, True, True]

    panel = page.get_by_role("navigation", name="科室列表")
    panel.get_by_role("link", name=re.compile("^内科")).click()
    page.wait_for_url(re.compile(rf"dept={staff['depts']['内科'].id}"))
    assert sorted(_card_names(page)) == sorted(["张晓明", "李静", "刘洋"])  # 内科 includes 心内科
    assert "内科：共 3 人" in page.locator("#wall-summary").inner_text()
    page.screenshot(path=str(tmp_path / "wall-neike.png"), full_page=True)

    # the department list collapses and stays collapsed on the next page
    toggle = page.get_by_role("button", name="科室列表")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "false" and not panel.is_visible()
    page.screenshot(path=str(tmp_path / "wall-collapsed.png"), full_page=True)
    page.reload()
    assert not page.locator("#dept-panel").is_visible()
    page.get_by_role("button", name="科室列表").click()
    assert page.locator("#dept-panel").is_visible()

    # double-click opens the read-only person page; 修改 there leads to the maintenance page
    li = staff["people"]["李静"]
    page.locator(f'.wall-card[data-person-id="{li.id}"]').dblclick()
    page.wait_for_url(f"**/people/view/{li.id}")
    assert page.locator("#person-page form").count() == 0
    assert page.get_by_role("link", name="修改基本信息").count() == 0
    page.locator("#edit-person").click()  # the 修改 button
    page.wait_for_url(f"**/people/show/{li.id}")
    assert page.get_by_role("link", name="修改基本信息").is_visible()

    # Enter on a focused card does too
    page.goto(f"{live_server}/photowall/?q=王建")
    card = page.get_by_role("link", name=re.compile("^王建国，外科"))
    card.focus()
    page.screenshot(path=str(tmp_path / "wall-focus.png"), full_page=True)
    page.keyboard.press("Enter")
    wang = staff["people"]["王建国"]
    page.wait_for_url(f"**/people/view/{wang.id}")


def test_member_picker_filters_and_saves_a_group(db, live_server, page, staff, tmp_path):
    """The picker searches the server page by page (issue 11: the form no longer renders every member)."""
    inst = staff["inst"]
    for i in range(30):  # more than a page of results for 批量
        db.session.add(Person(institution_id=inst.id, name=f"批量{i:02d}", id_type="01", id_number=synthetic_id(900 + i),
                              status="在岗", department_id=staff["depts"]["公共卫生科"].id))
    db.session.commit()
    login(page, live_server)
    page.locator("a.dropdown-toggle", has_text="机构人力资源").first.click()
    page.locator("ul.dropdown-menu a", has_text="人员标签管理").first.click()
    page.get_by_role("link", name="新增", exact=True).click()
    page.wait_for_url("**/keygroups/add")
    page.get_by_label("名称").fill("急救骨干")
    page.get_by_label("说明").fill("院前急救和院内抢救")
    results = page.locator("#member-results .member-item")
    results.first.wait_for()
    assert results.count() == 20 and "找到 36 人" in page.locator("#member-status").inner_text()
    page.get_by_role("button", name="下一页").click()
    page.wait_for_selector("text=第 2 / 2 页")
    assert results.count() == 16
    page.get_by_label("查找人员").fill("外科")
    page.wait_for_selector("text=找到 2 人")
    assert results.count() == 2
    page.get_by_role("checkbox", name=re.compile("^ ?王建国")).check()
    page.get_by_label("查找人员").fill("张晓")
    page.wait_for_selector("text=找到 1 人")
    page.locator("#member-results").get_by_role("checkbox", name=re.compile("张晓明")).check()
    assert page.locator("#member-count").inner_text() == "2"
    chosen = page.locator("#member-chosen")
    assert "王建国" in chosen.inner_text() and "张晓明" in chosen.inner_text()
    # last digits of the 证件号码 find a person too; unticking in the chosen list takes one out again
    page.get_by_label("查找人员").fill(synthetic_id(4 * 37)[-6:])
    page.wait_for_selector("text=找到 1 人")
    page.locator("#member-results").get_by_role("checkbox", name=re.compile("赵丽")).check()
    assert page.locator("#member-count").inner_text() == "3"
    chosen.get_by_role("checkbox", name=re.compile("赵丽")).click()  # unticked: it leaves the list
    assert page.locator("#member-count").inner_text() == "2" and "赵丽" not in chosen.inner_text()
    page.screenshot(path=str(tmp_path / "group-form.png"), full_page=True)
    page.get_by_label("查找人员").press("Enter")  # Enter in the search box does not submit
    assert page.url.endswith("/keygroups/add")
    page.get_by_role("button", name="确定").click()
    page.wait_for_url("**/keygroups/list/")
    assert "关键人员组“急救骨干”已保存，共 2 人" in page.content()
    page.screenshot(path=str(tmp_path / "group-list.png"), full_page=True)
    db.session.expire_all()
    group = db.session.scalar(select(KeyGroup).where(KeyGroup.name == "急救骨干"))
    assert {p.name for p in group.members} == {"王建国", "张晓明"}

    # 封存 asks first: cancelling changes nothing, confirming archives the group
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.get_by_role("button", name="封存：急救骨干").click()
    assert questions and "确定封存“急救骨干”吗" in questions[0]
    assert page.locator('tr[data-group="急救骨干"]').inner_text().count("正常") == 1
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="封存：急救骨干").click()
    page.wait_for_selector("text=已封存：只能查看")
    row = page.locator('tr[data-group="急救骨干"]')
    assert "封存" in row.inner_text() and row.get_by_role("button", name="启用：急救骨干").is_visible()
    assert row.get_by_role("link", name="修改：急救骨干").count() == 0
    page.screenshot(path=str(tmp_path / "group-archived.png"), full_page=True)

    # the read-only page of an archived group offers 启用, which brings 修改 back
    row.get_by_role("link", name="查看：急救骨干").click()
    page.wait_for_selector("#group-members")
    assert "本组已封存，只能查看，不能修改" in page.content()
    assert page.locator("#group-members").inner_text().count("临床医师") == 2
    page.screenshot(path=str(tmp_path / "group-show.png"), full_page=True)
    page.get_by_role("button", name="启用").click()
    page.wait_for_selector("text=已启用，可以修改")
    assert page.get_by_role("link", name="修改").is_visible()
