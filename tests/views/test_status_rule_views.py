"""Issue 13 through the pages: the 基本信息 form no longer offers 离职/退休/其他 and refuses them next to 在职状态;
a stored status is kept; a new person with earlier records elsewhere is taken to 复制以往记录 right after the save."""
import datetime
import re

from sqlalchemy import select

from app.models.movements import Resignation
from app.models.people import Education, Person
from app.services.seed import WUCHANG_CODE
from tests.conftest import csrf_token
from tests.views.test_people_views import ID_A, _body, _inst, _org, _person, _post


def _status_options(page):
    select_html = re.search(r'<select[^>]*name="status".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="([^"]*)"', select_html)


def test_the_form_offers_only_statuses_that_hold_the_number(db, login_as):
    c = login_as("inst_admin")
    options = _status_options(_body(c.get("/people/add")))
    assert [o for o in options if o] == ["在岗", "医师资格考试试用期考核人员", "借调", "长期病休"]


def test_leaving_by_the_form_is_refused_next_to_the_status(db, login_as):
    inst = _inst(db)
    dept = _org(db, inst)
    c = login_as("inst_admin")
    token = csrf_token(c, "/people/add")
    resp = c.post("/people/add", data={"csrf_token": token, "name": "王离职", "id_type": "01", "id_number": ID_A,
                                       "status": "离职", "department_id": str(dept.id)})
    page = _body(resp)
    assert resp.status_code == 200
    assert re.search(r'data-field="status">在职状态不能直接设为“离职”：离职须通过“员工离职”办理', page)
    assert db.session.scalar(select(Person.id).where(Person.id_number == ID_A)) is None


def test_a_resigned_record_is_read_only_in_the_form(db, login_as):
    """Its edit page leads to the read-only person page with the reason; a posted save is refused and changes
    nothing."""
    inst = _inst(db)
    dept = _org(db, inst)
    person = _person(db, inst, dept=dept, status="离职", name="钱离职")
    phone = person.phone
    c = login_as("inst_admin")
    resp = c.get(f"/people/edit/{person.id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/people/show/{person.id}")
    shown = _body(c.get(resp.headers["Location"]))
    assert "钱离职的在职状态为“离职”，档案只读" in shown
    resp = c.post(f"/people/edit/{person.id}", data={
        "csrf_token": csrf_token(c, "/people/add"), "name": "钱离职", "id_type": "01",
        "id_number": person.id_number, "status": "离职", "department_id": str(dept.id), "phone": "13912345670",
        "version": str(person.version)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, person.id).phone == phone


def test_a_new_person_with_earlier_records_is_offered_them_and_copies(db, login_as):
    jiangxia, wuchang = _inst(db), _inst(db, WUCHANG_CODE)
    old_dept = _org(db, jiangxia)
    old = _person(db, jiangxia, dept=old_dept, status="离职", name="陈移动", phone="13811112222",
                  work_start=datetime.date(2005, 7, 1))
    db.session.add_all([
        Education(person_id=old.id, institution_id=jiangxia.id, school="同济医学院", education="2", major="临床医学",
                  attachments=[{"path": "ab/x.jpg", "thumb": "ab/x_t.jpg", "filename": "x.jpg"}]),
        Resignation(institution_id=jiangxia.id, person_id=old.id, flow_type="21", leave_date=datetime.date(2024, 6, 30),
                    status="已通过")])
    db.session.commit()
    dept, post = _org(db, wuchang, "测试全科"), _post(db, wuchang)
    c = login_as("inst2_admin")
    resp = c.post("/people/add", data={"csrf_token": csrf_token(c, "/people/add"), "name": "陈移动", "id_type": "01",
                                       "id_number": old.id_number, "status": "在岗", "department_id": str(dept.id),
                                       "post_id": str(post.id)})
    assert resp.status_code == 302
    person = db.session.scalar(select(Person).where(Person.institution_id == wuchang.id,
                                                    Person.id_number == old.id_number))
    assert resp.headers["Location"].endswith(f"/people/history/{person.id}")
    page = _body(c.get(resp.headers["Location"]))
    assert "陈移动 的基本信息已保存" in page and "复制以往记录：陈移动" in page
    assert jiangxia.name in page and "同济医学院" in page and "2024-06-30" in page and "1 张" in page
    assert "13811112222" not in page and "内科" not in page  # nothing of the old record but what is copied
    keys = re.findall(r'name="keys" value="([^"]+)"', page)
    assert [k.split(":")[0] for k in keys] == ["employment", "education"]  # 工作经历 first, as on the person page

    resp = c.post(f"/people/history/{person.id}", data={"csrf_token": csrf_token(c, f"/people/history/{person.id}"),
                                                        "keys": keys})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/people/show/{person.id}")
    show = _body(c.get(resp.headers["Location"]))
    assert "已为 陈移动 复制 2 条以往记录" in show and "同济医学院" in show and jiangxia.name in show
    assert f'href="/people/history/{person.id}"' in show  # the offer stays reachable from the person page

    # nothing chosen: the page again with the message
    again = c.post(f"/people/history/{person.id}", data={"csrf_token": csrf_token(c, f"/people/history/{person.id}")})
    assert again.status_code == 200 and "请勾选要复制的记录" in _body(again)


def test_another_institution_cannot_open_the_copy_page(db, login_as):
    inst = _inst(db)
    person = _person(db, inst)
    assert login_as("inst2_admin").get(f"/people/history/{person.id}").status_code == 404
    owner = login_as("inst_admin")
    assert owner.get(f"/people/history/{person.id}").status_code == 200
    assert 'id="copy-history"' not in _body(owner.get(f"/people/show/{person.id}"))  # nothing to copy: no button


def test_the_staff_list_shows_staff_in_post_and_former_staff_only_in_their_filter(db, login_as):
    inst = _inst(db)
    dept = _org(db, inst)
    _person(db, inst, dept=dept, status="离职", name="钱离职")
    _person(db, inst, dept=dept, status="在岗", name="孙在岗")
    c = login_as("inst_admin")
    default = _body(c.get("/people/list/"))
    assert "孙在岗" in default and "钱离职" not in default
    left = _body(c.get("/people/list/?status=离职人员"))
    assert "钱离职" in left and "孙在岗" not in left
