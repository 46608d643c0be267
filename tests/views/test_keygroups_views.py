"""人员标签管理 (spec 4.3) through the pages: 新增/修改/封存/启用/删除, a refused form keeps what was typed,
and another institution's groups answer 404."""
import re

import pytest
from sqlalchemy import select

from app.models.org import Department, Institution
from app.models.people import KeyGroup, Person
from app.services import keygroups
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id
from tests.conftest import csrf_token
from tests.views import test_tenancy as tenancy
from tests.views.test_chinese_ui import english_in


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


@pytest.fixture
def staff(db):
    home, other = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept = Department(institution_id=home.id, name="急诊科", seq=1)
    db.session.add(dept)
    db.session.flush()
    rows = {}
    for i, (inst, name) in enumerate([(home, "张医生"), (home, "李护士"), (home, "王药师"), (other, "外院甲")]):
        rows[name] = Person(institution_id=inst.id, name=name, id_type="01", id_number=synthetic_id(i + 1),
                            status="在岗", department_id=dept.id if inst is home else None, staff_no=f"G{i:03d}")
        db.session.add(rows[name])
    db.session.commit()
    return {"home": home, "other": other, **rows}


def _group(db, name):
    db.session.expire_all()
    return db.session.scalar(select(KeyGroup).where(KeyGroup.name == name))


def test_add_list_edit(db, login_as, staff):
    c = login_as("inst_admin")
    assert "本机构还没有关键人员组" in c.get("/keygroups/list/").get_data(as_text=True)
    form = c.get("/keygroups/add").get_data(as_text=True)
    assert "张医生" not in form and "外院甲" not in form  # the staff come page by page from the search
    assert 'id="member-filter"' in form and '<label for="member-filter"' in form and "确定" in form
    found = c.get("/keygroups/staff").get_json()
    assert {i["name"] for i in found["items"]} == {"张医生", "李护士", "王药师"}  # only the institution's own staff
    assert english_in(form) == []
    token = csrf_token(c, "/keygroups/add")
    resp = c.post("/keygroups/add", data={"csrf_token": token, "name": "急救骨干", "description": "院前急救",
                                          "members": [staff["张医生"].id, staff["李护士"].id]})
    assert resp.status_code == 302
    group = _group(db, "急救骨干")
    assert {p.name for p in group.members} == {"张医生", "李护士"}

    listing = c.get("/keygroups/list/").get_data(as_text=True)
    row = listing.split('data-group="急救骨干"')[1].split("</tr>")[0]
    assert "院前急救" in row and '<td class="group-count">2</td>' in row and "正常" in row
    assert english_in(listing) == []

    edit = c.get(f"/keygroups/edit/{group.id}").get_data(as_text=True)
    assert 'value="急救骨干"' in edit and re.search(rf'value="{staff["张医生"].id}" checked', edit)
    resp = c.post(f"/keygroups/edit/{group.id}", data={"csrf_token": token, "name": "急救小组", "description": "",
                                                       "members": [staff["王药师"].id]})
    assert resp.status_code == 302
    group = _group(db, "急救小组")
    assert [p.name for p in group.members] == ["王药师"] and group.description is None
    show = c.get(f"/keygroups/show/{group.id}").get_data(as_text=True)
    assert "王药师" in show and f'href="/people/view/{staff["王药师"].id}"' in show and english_in(show) == []


def test_refused_form_keeps_what_was_typed(db, login_as, staff):
    c = login_as("inst_admin")
    keygroups.create(staff["home"].id, name="党员先锋")
    token = csrf_token(c, "/keygroups/add")
    page = c.post("/keygroups/add", data={"csrf_token": token, "name": "党员先锋", "description": "每月学习",
                                          "members": [staff["张医生"].id, staff["外院甲"].id]}).get_data(as_text=True)
    assert "未保存，原因" in page
    assert "名称“党员先锋”在本机构已存在" in page and "有 1 人不是本机构的人员，不能加入" in page
    assert 'value="党员先锋"' in page and "每月学习</textarea>" in page
    assert re.search(rf'value="{staff["张医生"].id}" checked', page) and "外院甲" not in page
    page = c.post("/keygroups/add", data={"csrf_token": token, "name": "", "description": "x"}).get_data(as_text=True)
    assert "名称不能为空" in page
    page = c.post("/keygroups/add", data={"csrf_token": token, "name": "长" * 51}).get_data(as_text=True)
    assert "名称不能超过 50 个字" in page and "长" * 51 in page
    resp = c.post("/keygroups/add", data={"name": "无令牌"})
    assert resp.status_code == 400 and "页面已过期（安全校验失败）" in resp.get_data(as_text=True)
    assert _group(db, "无令牌") is None


def test_archive_makes_read_only_and_reopen(db, login_as, staff):
    c = login_as("inst_admin")
    group = keygroups.create(staff["home"].id, name="应急队", member_ids=[staff["张医生"].id])
    token = csrf_token(c, "/keygroups/list/")
    assert c.post(f"/keygroups/archive/{group.id}", data={"csrf_token": token}).status_code == 302
    assert _group(db, "应急队").archived
    listing = c.get("/keygroups/list/").get_data(as_text=True)
    row = listing.split('data-group="应急队"')[1].split("</tr>")[0]
    assert "封存" in row and "启用" in row and f"/keygroups/edit/{group.id}" not in row
    resp = c.get(f"/keygroups/edit/{group.id}", follow_redirects=True)
    assert "已封存，只能查看，不能修改" in resp.get_data(as_text=True)
    c.post(f"/keygroups/edit/{group.id}", data={"csrf_token": token, "name": "改名", "members": []})
    assert _group(db, "应急队") is not None and len(_group(db, "应急队").members) == 1
    resp = c.post(f"/keygroups/delete/{group.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "已封存，不能删除" in resp.get_data(as_text=True) and _group(db, "应急队") is not None
    assert keygroups.active_groups(staff["home"].id) == []

    resp = c.post(f"/keygroups/reopen/{group.id}", data={"csrf_token": token,
                                                         "next": f"/keygroups/show/{group.id}"})
    assert resp.headers["Location"].endswith(f"/keygroups/show/{group.id}")
    assert not _group(db, "应急队").archived
    assert c.get(f"/keygroups/edit/{group.id}").status_code == 200
    assert c.post(f"/keygroups/archive/{group.id}", data={}).status_code == 400  # no CSRF token: refused
    assert not _group(db, "应急队").archived


def test_delete(db, login_as, staff):
    c = login_as("inst_admin")
    group = keygroups.create(staff["home"].id, name="临时组", member_ids=[staff["张医生"].id])
    token = csrf_token(c, "/keygroups/list/")
    resp = c.post(f"/keygroups/delete/{group.id}", data={"csrf_token": token}, follow_redirects=True)
    assert "关键人员组“临时组”已删除" in resp.get_data(as_text=True)
    assert _group(db, "临时组") is None and db.session.get(Person, staff["张医生"].id) is not None


def test_foreign_group_is_404(db, login_as, staff):
    group = keygroups.create(staff["home"].id, name="院感小组", member_ids=[staff["张医生"].id])
    c = login_as("inst2_admin")
    token = csrf_token(c, "/keygroups/add")
    assert "院感小组" not in c.get("/keygroups/list/").get_data(as_text=True)
    for path in (f"/keygroups/show/{group.id}", f"/keygroups/edit/{group.id}"):
        assert c.get(path).status_code == 404, path
    for path in (f"/keygroups/edit/{group.id}", f"/keygroups/archive/{group.id}", f"/keygroups/reopen/{group.id}",
                 f"/keygroups/delete/{group.id}"):
        assert c.post(path, data={"csrf_token": token, "name": "x"}).status_code == 404, path
    g = _group(db, "院感小组")
    assert g is not None and not g.archived and len(g.members) == 1
    assert c.get("/keygroups/show/999999").status_code == 404


def test_foreign_member_ids_posted_by_hand_are_refused(db, login_as, staff):
    c = login_as("inst2_admin")
    token = csrf_token(c, "/keygroups/add")
    page = c.post("/keygroups/add", data={"csrf_token": token, "name": "外借",
                                          "members": [staff["张医生"].id]}).get_data(as_text=True)
    assert "不是本机构的人员" in page and _group(db, "外借") is None


def test_group_names_are_escaped_in_confirm_questions(db, login_as, staff):
    keygroups.create(staff["home"].id, name="甲'); alert(1); ('")
    page = login_as("inst_admin").get("/keygroups/list/").get_data(as_text=True)
    assert "onsubmit" not in page and "alert(1); (&#39;”吗" in page


@pytest.mark.parametrize("caller, foreign_code", tenancy.CALLERS)
def test_tenancy_sweep_with_key_groups_in_both_institutions(app, db, login_as, caller, foreign_code):
    """The demo data has no key groups, so the generic sweep would skip this view: give it rows to be refused."""
    for code in (JIANGXIA_CODE, WUCHANG_CODE):
        keygroups.create(_inst(db, code).id, name="关键组")
    tenancy.test_no_view_reaches_a_foreign_row(app, db, login_as, caller, foreign_code)
    assert db.session.scalar(select(KeyGroup.id).where(KeyGroup.archived.is_(True))) is None


def test_picker_searches_the_server_page_by_page_and_the_form_stays_small(db, login_as, staff):
    """issue 11: the form no longer renders every member of the institution; the picker asks a JSON search
    (name, 科室, 工号, 证件号码; 20 a page; the caller's institution only) and the form lists the chosen apart."""
    home = staff["home"]
    surgery = Department(institution_id=home.id, name="骨外科", seq=2)
    db.session.add(surgery)
    db.session.flush()
    for i in range(45):
        db.session.add(Person(institution_id=home.id, name=f"批量{i:02d}", id_type="01", id_number=synthetic_id(500 + i),
                              status="在岗", department_id=surgery.id))
    db.session.add(Person(institution_id=home.id, name="已离职者", id_type="01", id_number=synthetic_id(600),
                          status="离职"))
    db.session.commit()
    c = login_as("inst_admin")
    form = c.get("/keygroups/add").get_data(as_text=True)
    assert "批量0" not in form and form.count('name="members"') == 0
    first = c.get("/keygroups/staff").get_json()
    assert first["total"] == 48 and first["pages"] == 3 and len(first["items"]) == 20
    assert len(c.get("/keygroups/staff?page=3").get_json()["items"]) == 8
    assert c.get("/keygroups/staff?q=骨外").get_json()["total"] == 45  # by department
    assert [i["name"] for i in c.get("/keygroups/staff?q=批量07").get_json()["items"]] == ["批量07"]
    number = synthetic_id(507)
    for fragment in (number, number[-4:], number[-6:], number[-8:]):
        names = [i["name"] for i in c.get(f"/keygroups/staff?q={fragment}").get_json()["items"]]
        assert "批量07" in names, fragment
    assert c.get("/keygroups/staff?q=G001").get_json()["items"][0]["name"] == "李护士"  # 工号
    assert c.get("/keygroups/staff?q=外院甲").get_json()["total"] == 0  # another institution
    assert c.get("/keygroups/staff?q=已离职者").get_json()["total"] == 0  # not serving
    # a saved group: its members are listed apart, ticked, on 修改
    token = csrf_token(c, "/keygroups/add")
    c.post("/keygroups/add", data={"csrf_token": token, "name": "骨干", "members": [staff["王药师"].id]})
    group = _group(db, "骨干")
    edit = c.get(f"/keygroups/edit/{group.id}").get_data(as_text=True)
    chosen = edit.split('id="member-chosen"')[1].split("</ul>")[0]
    assert "王药师" in chosen and f'name="members" value="{staff["王药师"].id}" checked' in chosen
    assert "批量0" not in edit


def test_refusals_show_next_to_their_fields(db, login_as, staff):
    c = login_as("inst_admin")
    token = csrf_token(c, "/keygroups/add")
    page = c.post("/keygroups/add", data={"csrf_token": token, "name": "", "description": "说" * 501,
                                          "members": [staff["外院甲"].id]}).get_data(as_text=True)

    def under(field):
        return re.findall(rf'data-field="{field}">([^<]*)</div>', page)

    assert under("name") == ["名称不能为空，请填写关键人员组名称"]
    assert under("description") == ["说明不能超过 500 个字（现在 501 个字）"]
    assert under("members") == ["组成员须从本机构的人员中选择：有 1 人不是本机构的人员，不能加入"]
    assert _group(db, "") is None
