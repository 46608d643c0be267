"""人员信息查询 (spec 4.5) through the page: department list, filters, search, paging, masking, query count."""
import datetime
import re

import pytest
from sqlalchemy import event, select

from app.models.org import Department, Institution, Post
from app.models.people import Person
from app.models.security import RoleProfile, User
from app.services import roles
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id
from tests import factories
from tests.views.test_chinese_ui import english_in

READER_PASSWORD = "Good@Pw-2468"


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _person(db, inst, name, index, dept=None, status="在岗", **kw):
    p = Person(institution_id=inst.id, name=name, id_type="01", id_number=synthetic_id(index), status=status,
               department_id=dept.id if dept else None, **kw)
    db.session.add(p)
    return p


@pytest.fixture
def staff(db):
    """江夏: 内科 (with 心内科 below it), 外科, and staff in them; 武昌 has its own 内科 and one person."""
    home, other = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    neike = Department(institution_id=home.id, name="内科", seq=1)
    waike = Department(institution_id=home.id, name="外科", seq=2)
    db.session.add_all([neike, waike])
    db.session.flush()
    xinnei = Department(institution_id=home.id, name="心内科", seq=1, parent_id=neike.id)
    foreign_dept = Department(institution_id=other.id, name="武昌内科", seq=1)
    post = Post(institution_id=home.id, name="临床医师", category="卫生技术")
    db.session.add_all([xinnei, foreign_dept, post])
    db.session.flush()
    rows = {
        "张三": _person(db, home, "张三", 1, neike, post_id=post.id, tech_title="3"),
        "李四": _person(db, home, "李四", 2, xinnei),
        "王五": _person(db, home, "王五", 3, waike, photo_path="00/a.jpg", photo_thumb="00/a_t.jpg"),
        "赵六": _person(db, home, "赵六", 4),
        "钱七": _person(db, home, "钱七", 5, waike, status="离职"),
        "外院甲": _person(db, other, "外院甲", 6, foreign_dept),
    }
    db.session.commit()
    return {"home": home, "other": other, "内科": neike, "外科": waike, "心内科": xinnei, "foreign_dept": foreign_dept,
            **rows}


def _names(html):
    return re.findall(r'<div class="wall-name">([^<\s]+)', html)


def _reader(db, login_as):
    """A sub-account whose level-3 role holds only 查看 on 人员信息查询."""
    from app.extensions import appbuilder

    owner = db.session.scalar(select(User).where(User.username == "inst_admin"))
    profile = roles.prepare_role(owner, RoleProfile(display_name="照片墙查询", role_type="科室", status="正常"))
    db.session.add(profile)
    db.session.commit()
    pv = appbuilder.sm.find_permission_view_menu("can_read", "人员信息查询").id
    roles.set_permissions(owner, profile, {pv})  # the role service adds the page's menu entry
    user = factories.account("chaxun0001", role=profile.role.name, institution=owner.institution,
                             password=READER_PASSWORD)
    user.certified_at = datetime.datetime.now()
    db.session.commit()
    return login_as("chaxun0001", READER_PASSWORD)


def test_wall_shows_serving_staff_of_the_institution_with_department_list(db, login_as, staff):
    page = login_as("inst_admin").get("/photowall/").get_data(as_text=True)
    assert sorted(_names(page)) == sorted(["张三", "李四", "王五", "赵六"])  # not 离职, not another institution
    assert "外院甲" not in page and "武昌内科" not in page
    side = page.split('id="dept-panel"')[1].split("</nav>")[0]
    assert re.findall(r'data-department="([^"]+)"', side) == ["内科", "心内科", "外科"]  # tree order
    counts = dict(re.findall(r'data-department="([^"]+)">.*?<span class="badge">(\d+)</span>', side, re.S))
    assert counts == {"内科": "2", "心内科": "1", "外科": "1"}  # 内科 counts 心内科 too
    assert "未分配科室" in side and 'aria-expanded="true"' in page and "科室列表" in page
    card = page.split(f'data-person-id="{staff["张三"].id}"')[1].split("</dl>")[0]
    assert f'data-href="/people/view/{staff["张三"].id}"' in card and 'tabindex="0"' in card and 'role="link"' in card
    assert "内科" in card and "临床医师" in card and "中级" in card
    assert staff["张三"].id_number in card  # inst_admin holds 查看完整证件号
    photo = page.split(f'data-person-id="{staff["王五"].id}"')[1].split("</dl>")[0]
    assert f'src="/personfile/photo/{staff["王五"].id}/thumb"' in photo and 'loading="lazy"' in photo
    assert english_in(page) == []


def test_filter_by_department_status_and_unassigned(db, login_as, staff):
    c = login_as("inst_admin")
    page = c.get(f"/photowall/?dept={staff['内科'].id}").get_data(as_text=True)
    assert sorted(_names(page)) == sorted(["张三", "李四"])
    assert re.search(rf'href="[^"]*dept={staff["内科"].id}[^"]*" [^>]*aria-current="true"', page)
    assert sorted(_names(c.get(f"/photowall/?dept={staff['外科'].id}&status=全部").get_data(as_text=True))) == \
        sorted(["王五", "钱七"])
    assert _names(c.get(f"/photowall/?dept={staff['外科'].id}&status=离职").get_data(as_text=True)) == ["钱七"]
    assert _names(c.get("/photowall/?dept=none").get_data(as_text=True)) == ["赵六"]
    foreign = c.get(f"/photowall/?dept={staff['foreign_dept'].id}").get_data(as_text=True)
    assert "所选科室不存在或不属于本机构" in foreign and len(_names(foreign)) == 4 and "外院甲" not in foreign


def test_search_by_name_or_whole_id_number(db, login_as, staff):
    c = login_as("inst_admin")
    assert _names(c.get("/photowall/?q=张").get_data(as_text=True)) == ["张三"]
    by_id = c.get(f"/photowall/?q={staff['李四'].id_number.lower()}").get_data(as_text=True)
    assert _names(by_id) == ["李四"]
    assert _names(c.get(f"/photowall/?q={staff['李四'].id_number[:10]}").get_data(as_text=True)) == []
    assert _names(c.get(f"/photowall/?q={staff['外院甲'].id_number}").get_data(as_text=True)) == []
    # search within a department keeps both conditions; the form keeps what was typed
    page = c.get(f"/photowall/?dept={staff['外科'].id}&q=张").get_data(as_text=True)
    assert _names(page) == [] and 'value="张"' in page and "没有符合条件的人员" in page


def test_paging_24_a_page(db, login_as, staff):
    for i in range(26):
        _person(db, staff["home"], f"员工{i:02d}", 100 + i, staff["外科"])
    db.session.commit()
    c = login_as("inst_admin")
    first = c.get("/photowall/").get_data(as_text=True)
    assert len(_names(first)) == 24 and "共 30 人" in first and "第 1–24 人" in first
    second = c.get("/photowall/?page=2").get_data(as_text=True)
    assert len(_names(second)) == 6 and 'aria-current="page">2<' in second
    assert set(_names(first)).isdisjoint(_names(second))
    assert len(_names(c.get("/photowall/?page=99").get_data(as_text=True))) == 6  # past the end: the last page


def test_ids_are_masked_without_the_full_id_right(db, login_as, staff):
    c = _reader(db, login_as)
    page = c.get("/photowall/").get_data(as_text=True)
    number = staff["张三"].id_number
    assert number not in page and f"{number[:4]}**********{number[-4:]}" in page
    assert "data-href" not in page and "/personfile/" not in page  # no 人员信息管理 right: no detail, no photo
    assert "不能打开人员详细信息和照片" in page
    assert english_in(page) == []
    assert c.get("/keygroups/list/").status_code == 403


def test_a_page_costs_the_same_queries_for_2_or_24_people(app, db, login_as, staff):
    from app.extensions import db as _db

    c = login_as("inst_admin")
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def run():
        statements.clear()
        event.listen(_db.engine, "before_cursor_execute", count)
        try:
            assert c.get("/photowall/").status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", count)
        return len(statements), [s for s in statements if "FROM person" in s]

    few, person_queries = run()
    assert len(person_queries) == 3  # the page, its count, the department counts
    assert sum("FROM dict_item" in s for s in statements) == 1  # 在职状态 and 职称 lists in one statement
    post = _db.session.scalar(select(Post).where(Post.institution_id == staff["home"].id))
    for i in range(30):
        _person(db, staff["home"], f"员工{i:02d}", 200 + i, staff["外科"], post_id=post.id)
    db.session.commit()
    many, _ = run()
    assert many == few


def test_account_without_institution_gets_a_message(login_as):
    page = login_as("sysadmin01").get("/photowall/").get_data(as_text=True)
    assert "当前账号不属于任何机构" in page


def test_a_card_opens_a_read_only_person_page_with_an_edit_button(db, login_as, staff):
    """issue 11: double-click on the wall opens the person read-only; editing is a button there."""
    c = login_as("inst_admin")
    wall = c.get("/photowall/").get_data(as_text=True)
    href = re.search(rf'data-person-id="{staff["张三"].id}"[^>]*data-href="([^"]+)"', wall).group(1)
    page = c.get(href).get_data(as_text=True)
    assert "张三" in page and "基本信息" in page and "人员信息维护" not in page
    body = page.split('id="person-page"')[1].split('<form id="logout-form"')[0]
    assert "<form" not in body and "<input" not in body  # nothing to fill in, nothing to delete
    assert "修改基本信息" not in page and "新增</button>" not in page
    assert f'id="edit-person" href="/people/show/{staff["张三"].id}"' in page  # 修改 leads to the maintenance page
    maintenance = c.get(f"/people/show/{staff['张三'].id}").get_data(as_text=True)
    assert "人员信息维护" in maintenance and "修改基本信息" in maintenance
