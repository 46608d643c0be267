"""人员信息管理 in a real browser as the institution owner: add a person with a photo (a refused first try keeps
everything typed), then on the person page add a work experience running 至今 and a 资格证书 with its image."""
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.models.org import Department, Institution, Post
from app.models.people import Person
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _image(path, color, size=(300, 400)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def test_owner_adds_a_person_and_details(app, db, live_server, page, tmp_path):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    internal = Department(institution_id=inst.id, name="内科", category="科室(部门)", standard_code="A03")
    db.session.add(internal)
    db.session.flush()
    cardio = Department(institution_id=inst.id, name="心血管内科", category="科室(部门)", standard_code="A03",
                        parent_id=internal.id)
    post = Post(institution_id=inst.id, name="临床医师", category="专业技术岗")
    db.session.add_all([cardio, post])
    db.session.commit()
    cardio_id, post_id = cardio.id, post.id
    id_number = synthetic_id(4321)

    login(page, live_server)

    page.goto(f"{live_server}/people/list/")
    assert "还没有人员" in page.locator("#people-list").inner_text()
    page.get_by_role("link", name="新增人员").click()
    page.wait_for_url("**/people/add")
    # the department tree: the child indented under its parent
    options = page.locator("#department_id option").all_inner_texts()
    assert options.index("内科") + 1 == options.index("\u3000└ 心血管内科")
    page.get_by_label("姓名").fill("陈医生")
    page.get_by_label("证件号码").fill(id_number)
    page.locator("#department_id").select_option(str(cardio_id))
    page.locator("#post_id").select_option(str(post_id))
    page.get_by_label("手机号码").fill("1391234")  # too short: refused
    page.get_by_label("参加工作日期").fill("2008-07")
    page.locator("#education").select_option("2")
    page.get_by_label("照片").set_input_files(_image(tmp_path / "photo.jpg", "#8ab"))
    page.get_by_role("button", name="保存").click()
    errors = page.locator("#form-errors").inner_text()
    assert "手机号码须为 11 位数字" in errors and "学历为大专及以上时，所学专业不能为空" in errors
    assert page.get_by_label("姓名").input_value() == "陈医生"
    assert page.locator("#department_id").input_value() == str(cardio_id)
    assert page.locator("#education").input_value() == "2"
    page.screenshot(path=str(tmp_path / "person-form-errors.png"), full_page=True)

    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("所学专业").fill("临床医学")
    page.get_by_label("照片").set_input_files(_image(tmp_path / "photo.jpg", "#8ab"))
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/people/show/*")
    assert "陈医生 的基本信息已保存" in page.content()
    person_id = int(page.url.rsplit("/", 1)[1].split("#")[0])
    photo = page.locator("#basic img.person-photo")
    assert photo.evaluate("img => img.complete && img.naturalWidth") > 0

    # 工作经历 with 至今, in place
    page.get_by_role("button", name="新增工作经历").click()
    work = page.locator("#set-work")
    work.get_by_label("起始日期").fill("2008-07")
    work.get_by_role("button", name="至今").click()
    assert work.get_by_label("截止日期").input_value() == "至今"
    work.get_by_label("工作单位").fill("江夏区第一人民医院")
    work.get_by_label("职务/岗位").fill("住院医师")
    # ★ on the required fields of a detail form, as on the basic form (the attachment too: spec 4.2.3)
    starred = work.locator("form label:has(.star-important)").all_inner_texts()
    assert [t.rstrip("★").strip() for t in starred] == ["起始日期", "工作单位", "附件图片"]
    work.get_by_label("附件图片").set_input_files(_image(tmp_path / "work.jpg", "#cde", (800, 560)))
    work.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已为 陈医生 新增一条工作经历")
    row = page.locator("#set-work table.entries tbody tr").first
    assert "至今" in row.inner_text() and "江夏区第一人民医院" in row.inner_text()

    # 资格证书: refused without its image (the form stays open with what was typed), then saved with it
    page.wait_for_load_state("load")  # Bootstrap's collapse script is there before the 新增 toggle is clicked
    page.get_by_role("button", name="新增资格证书").click()
    page.locator("#set-qualification-add.in").wait_for()  # opened (not mid-animation)
    cert = page.locator("#set-qualification")
    cert.get_by_label("证书类型").fill("医师资格证书")
    cert.get_by_label("证书编号").fill("200842110420115")
    cert.get_by_label("取得日期").fill("2009-12-20")
    with page.expect_navigation():
        cert.get_by_role("button", name="保存").click()
    # the page comes back with the form open and the message (the section exists before: wait for the message)
    page.wait_for_selector("#set-qualification >> text=资格证书须上传附件图片")
    cert = page.locator("#set-qualification")
    assert "资格证书须上传附件图片" in cert.inner_text()
    assert cert.get_by_label("证书编号").input_value() == "200842110420115"
    assert cert.locator("form").is_visible()
    cert.screenshot(path=str(tmp_path / "qualification-refused.png"))
    cert.get_by_label("附件图片").set_input_files(_image(tmp_path / "cert.jpg", "#dca", (800, 560)))
    cert.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已为 陈医生 新增一条资格证书")
    thumb = page.locator("#set-qualification img.attachment-thumb")
    assert thumb.count() == 1 and thumb.evaluate("img => img.complete && img.naturalWidth") > 0

    # the side index jumps to a set and stays in view
    page.get_by_role("link", name="资格证书").first.click()
    page.wait_for_function("() => window.scrollY > 300")
    assert 0 <= page.locator("#set-qualification").bounding_box()["y"] < 860
    assert 0 <= page.locator("#person-index").bounding_box()["y"] < 60  # sticky: still at the top of the window
    page.screenshot(path=str(tmp_path / "person-page-scrolled.png"))
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(tmp_path / "person-page.png"), full_page=True)

    page.goto(f"{live_server}/people/list/")
    row = page.locator(f'tr[data-person="{person_id}"]')
    assert id_number in row.inner_text() and "心血管内科" in row.inner_text() and "临床医师" in row.inner_text()
    page.screenshot(path=str(tmp_path / "people-list.png"), full_page=True)

    # 单条录入 (spec 4.2.3): find the person by name, then the set's form
    page.get_by_role("button", name="详细信息单条录入").click()
    page.get_by_role("link", name="培训经历").click()
    page.get_by_label("查找人员").fill("陈医")
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name="选择").click()
    page.get_by_label("起始日期").fill("2019-03-01")
    page.get_by_label("截止日期").fill("2019-03-05")
    page.get_by_label("培训机构").fill("湖北省卫生健康委员会")
    page.get_by_label("培训内容").fill("基层慢病管理")
    page.get_by_label("附件图片").set_input_files(_image(tmp_path / "training.jpg", "#edc", (800, 560)))
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=已为 陈医生 保存一条培训经历")
    assert "湖北省卫生健康委员会" in page.locator("#chosen-person table.entries").inner_text()
    page.screenshot(path=str(tmp_path / "single-entry.png"), full_page=True)

    page.goto(f"{live_server}/people/edit/{person_id}")
    assert "尚未填写的重要信息：民族" in page.locator("#completeness").inner_text()
    page.screenshot(path=str(tmp_path / "person-edit.png"), full_page=True)

    db.session.expire_all()
    person = db.session.get(Person, person_id)
    assert person.photo_path and person.work_experiences[0].end_date is None
    assert len(person.qualifications[0].attachments) == 1 and person.trainings[0].organiser == "湖北省卫生健康委员会"
