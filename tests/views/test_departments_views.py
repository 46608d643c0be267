"""部门管理 through the pages: init, add/edit with kept input, delete guard with the move offer, tenancy, Chinese UI."""
import re

from sqlalchemy import func, select

from app.models.org import Department, Institution
from app.models.people import Person
from app.services import departments
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token
from tests.views.test_chinese_ui import english_in


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def box_errors(html):
    """The refusals listed above the form (those not about one input)."""
    block = re.search(r'id="form-errors">(.*?)</div>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def field_errors(html):
    """{input name: [messages shown under it]}."""
    shown = {}
    for name, message in re.findall(r'class="[^"]*field-error" data-field="(.*?)">(.*?)</div>', html):
        shown.setdefault(name, []).append(message)
    return shown


def _dept_id(db, inst, name):
    db.session.expire_all()
    return db.session.scalar(select(Department.id).where(Department.institution_id == inst.id, Department.name == name))


def test_owner_initializes_adds_and_edits_departments(db, login_as):
    inst = _inst(db)
    c = login_as("inst_admin")
    page = c.get("/departments/list/").get_data(as_text=True)
    assert inst.name in page and "初始化部门" in page
    token = csrf_token(c, "/departments/list/")

    assert c.post("/departments/init", data={"csrf_token": token}).status_code == 302
    page = c.get("/departments/list/").get_data(as_text=True)
    assert "请根据本机构实际情况修改" in page and 'data-department="内科"' in page
    assert 'action="/departments/init"' not in page  # offered only while the institution has no department
    c.post("/departments/init", data={"csrf_token": token})
    assert "本机构已有部门，不能再初始化" in c.get("/departments/list/").get_data(as_text=True)
    total = db.session.scalar(select(func.count(Department.id)).where(Department.institution_id == inst.id))
    assert total == len(departments.template_rows())

    # a refused form says what is wrong, field by field, and keeps what was typed
    resp = c.post("/departments/add", data={"csrf_token": token, "name": "内科", "category": "科室(部门)",
                                            "standard_code": "", "parent": "", "seq": "九", "status": "正常",
                                            "head": "李医生", "phone": "027-88886666"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert field_errors(html) == {  # each under its input, nothing left for the box above the form
        "name": [f"本机构（{inst.name}）下已有名为“内科”的部门，同一上级下的部门名称不能重复"],
        "standard_code": ["科室(部门)类别为“科室(部门)”时，科室标准名称必填；没有对应的标准科室可选择“其他科室”"],
        "seq": ["序号须为 0 到 9999 之间的整数（当前：九）"]}
    assert 'id="form-errors"' not in html
    assert 'value="李医生"' in html and 'value="027-88886666"' in html and 'value="九"' in html
    assert 'class="col-sm-2 control-label required" for="standard_code"' in html  # the star is shown

    # 新增下级 under 内科 preselects it as 上级
    internal = _dept_id(db, inst, "内科")
    form = c.get(f"/departments/add/{internal}").get_data(as_text=True)
    assert f'<option value="{internal}" selected>' in form
    resp = c.post(f"/departments/add/{internal}", data={"csrf_token": token, "name": " 内科护理组 ",
                                                        "category": "其他", "standard_code": "", "parent": str(internal),
                                                        "seq": "", "status": "正常", "head": "", "phone": ""})
    assert resp.status_code == 302
    child = db.session.get(Department, _dept_id(db, inst, "内科护理组"))
    assert child.parent_id == internal and child.standard_code is None

    # edit: the department cannot go under its own child
    resp = c.post(f"/departments/edit/{internal}", data={"csrf_token": token, "name": "内科", "category": "科室(部门)",
                                                         "standard_code": "A03", "parent": str(child.id), "seq": "3",
                                                         "status": "正常", "head": "", "phone": ""})
    assert field_errors(resp.get_data(as_text=True)) == {"parent": ["上级不能是“内科”的下级部门“内科护理组”"]}
    edit_page = c.get(f"/departments/edit/{internal}").get_data(as_text=True)
    assert f'<option value="{child.id}"' not in edit_page  # its own branch is not offered as 上级
    resp = c.post(f"/departments/edit/{internal}", data={"csrf_token": token, "name": "内科", "category": "科室(部门)",
                                                         "standard_code": "A03", "parent": "", "seq": "0",
                                                         "status": "正常", "head": "王主任", "phone": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert (db.session.get(Department, internal).seq, db.session.get(Department, internal).head) == (0, "王主任")
    names = c.get("/departments/list/").get_data(as_text=True)
    assert names.index('data-department="内科"') < names.index('data-department="预防保健科"')  # 序号 0 first


def test_toggle_disables_a_branch_and_refuses_a_child_of_a_disabled_parent(db, login_as):
    inst = _inst(db)
    office = departments.create(inst.id, name="办公室", category="职能部门")
    archive = departments.create(inst.id, name="档案室", category="职能部门", parent_id=office.id)
    c = login_as("inst_admin")
    token = csrf_token(c, "/departments/list/")
    c.post(f"/departments/toggle/{office.id}", data={"csrf_token": token})
    assert "部门“办公室”已停用，其下 1 个下级部门也一并停用" in c.get("/departments/list/").get_data(as_text=True)
    c.post(f"/departments/toggle/{archive.id}", data={"csrf_token": token})
    assert "上级部门“办公室”已停用，请先启用上级部门" in c.get("/departments/list/").get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Department, archive.id).active
    # without the CSRF token nothing changes
    c.post(f"/departments/toggle/{office.id}", data={})
    db.session.expire_all()
    assert not db.session.get(Department, office.id).active


def test_delete_with_staff_offers_to_move_them_then_deletes(db, login_as):
    inst = _inst(db)
    old = departments.create(inst.id, name="防保科", category="科室(部门)", standard_code="A01")
    new = departments.create(inst.id, name="公共卫生科", category="科室(部门)", standard_code="X01")
    empty = departments.create(inst.id, name="收费室", category="其他")
    for n, id_number in enumerate(("11010519491231002X", "420115198001010015")):
        db.session.add(Person(institution_id=inst.id, name=f"张三{n}", id_type="01", id_number=id_number,
                              department_id=old.id, status="在岗"))
    db.session.commit()
    old_id = old.id
    c = login_as("inst_admin")
    token = csrf_token(c, "/departments/list/")

    # a direct POST is refused and sent to the page that explains why
    resp = c.post(f"/departments/delete/{old.id}", data={"csrf_token": token})
    assert resp.headers["Location"].endswith(f"/departments/delete/{old.id}")
    page = c.get(f"/departments/delete/{old.id}").get_data(as_text=True)
    assert "部门“防保科”下有 2 名人员，不能删除" in page
    assert f'<option value="{new.id}"' in page and f'<option value="{old.id}"' not in page
    assert "转移人员并删除部门" in page and "只转移人员" in page

    resp = c.post(f"/departments/move/{old.id}", data={"csrf_token": token, "target": "", "then": "delete"})
    assert field_errors(resp.get_data(as_text=True)) == {"target": ["请选择人员要转移到的部门"]}
    resp = c.post(f"/departments/move/{old.id}", data={"csrf_token": token, "target": str(new.id), "then": "delete"})
    assert resp.status_code == 302
    assert "已把 2 名人员转移到“公共卫生科”，部门“防保科”已删除" in c.get("/departments/list/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Department, old_id) is None
    assert set(db.session.scalars(select(Person.department_id).where(Person.department_id.is_not(None)))) == {new.id}

    # an empty department: a confirmation page, then the delete
    empty_id = empty.id
    assert "确认删除" in c.get(f"/departments/delete/{empty_id}").get_data(as_text=True)
    assert c.post(f"/departments/delete/{empty_id}", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Department, empty_id) is None
    assert "部门“收费室”已删除" in c.get("/departments/list/").get_data(as_text=True)


def test_foreign_departments_answer_404_and_others_403(app, db, login_as):
    """The project's sweep finds no department in the seeded data; this one makes some in the other institution."""
    foreign = departments.create(_inst(db, WUCHANG_CODE).id, name="办公室", category="职能部门")
    own = departments.create(_inst(db).id, name="办公室", category="职能部门")
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("DepartmentView.") and "pk" in r.arguments]
    assert {r.endpoint.split(".")[1] for r in routes} == {"add_child", "edit", "toggle", "delete", "move"}
    owner, staff = login_as("inst_admin"), login_as("inst_staff")
    token = csrf_token(owner, "/departments/list/")
    staff_token = csrf_token(staff, "/account/password/")
    for rule in routes:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = rule.rule.replace("<int:pk>", str(foreign.id))
            resp = owner.open(url, method=method, data={"csrf_token": token, "target": str(foreign.id)})
            assert resp.status_code == 404, (method, url)
            resp = staff.open(rule.rule.replace("<int:pk>", str(own.id)), method=method, data={"csrf_token": staff_token})
            assert resp.status_code == 403
    db.session.expire_all()
    assert db.session.get(Department, foreign.id).active and db.session.get(Department, own.id).active
    assert "武汉市武昌区" not in owner.get("/departments/list/").get_data(as_text=True)


def test_department_pages_are_chinese(db, login_as):
    inst = _inst(db)
    c = login_as("inst_admin")
    assert english_in(c.get("/departments/list/").get_data(as_text=True)) == []
    departments.initialize(inst.id)
    dept = _dept_id(db, inst, "内科")
    db.session.add(Person(institution_id=inst.id, name="张三", id_number="11010519491231002X", department_id=dept))
    db.session.commit()
    for path in ("/departments/list/", "/departments/add", f"/departments/add/{dept}", f"/departments/edit/{dept}",
                 f"/departments/delete/{dept}"):
        resp = c.get(path)
        assert resp.status_code == 200 and english_in(resp.get_data(as_text=True)) == [], path
    # a regional account has no institution: a clear note instead of a tree
    region = login_as("sysadmin01").get("/departments/list/").get_data(as_text=True)
    assert "当前账号不属于任何机构" in region


def test_name_hint_input_limit_and_rule_agree(db, login_as):
    form = login_as("inst_admin").get("/departments/add").get_data(as_text=True)
    name_input = re.search(r'<input[^>]*id="name"[^>]*>', form).group(0)
    assert f'maxlength="{departments.NAME_MAX}"' in name_input
    assert f"不超过 {departments.NAME_MAX} 个字" in form
