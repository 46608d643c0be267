"""部门管理 rules without HTTP: template set, names unique in their parent, no cycles, the 科室标准名称 rule,
delete guards with counts, moving all staff in one transaction, enable/disable, the tree for import templates."""
import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.domain.id_number import check_digit
from app.models.org import Department, DepartmentQuota, Institution
from app.models.people import Person
from app.services import departments, dictionaries
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _count(db, inst):
    db.session.expire_all()
    return db.session.scalar(select(func.count(Department.id)).where(Department.institution_id == inst.id))


def _id_number(n):
    first17 = f"42011519800101{n:03d}"
    return first17 + check_digit(first17)


def _person(db, inst, dept, n, name="张三"):
    p = Person(institution_id=inst.id, name=f"{name}{n}", id_type="01", id_number=_id_number(n),
               department_id=dept.id, status="在岗")
    db.session.add(p)
    db.session.commit()
    return p


def _dept(inst, name, parent=None, category="职能部门", **kw):
    return departments.create(inst.id, name=name, category=category, parent_id=parent.id if parent else None, **kw)


# ---- 初始化部门 --------------------------------------------------------------------------------------------------

def test_initialize_creates_the_township_template_once(db):
    inst = _inst(db)
    common = [i for i in dictionaries.items("standard_departments") if (i.extra or {}).get("township_common") == "Y"]
    assert departments.initialize(inst.id) == len(common) > 20
    rows = {d.name: d for d in db.session.scalars(select(Department).where(Department.institution_id == inst.id))}
    assert set(rows) == {i.name for i in common}
    assert "人事科" in rows and "办公室" in rows and "护理部" in rows  # administrative D7x–D9x codes marked Y
    assert "小儿外科" not in rows and "设备科" not in rows  # township_common=N
    assert all(d.parent_id is None and d.active for d in rows.values())
    assert (rows["内科"].category, rows["内科"].standard_code) == ("科室(部门)", "A03")
    assert rows["人事科"].category == "职能部门"
    assert rows["村卫生室"].category == "村卫生室"
    assert rows["其他科室"].category == "其他"
    assert all(d.standard_code for d in rows.values() if d.category == "科室(部门)")  # the star rule holds

    assert departments.initialize(inst.id) == 0  # idempotent
    assert _count(db, inst) == len(common)


def test_initialize_does_nothing_when_the_institution_has_a_department(db):
    inst = _inst(db)
    _dept(inst, "院办")
    assert departments.initialize(inst.id) == 0
    assert departments.department_names(inst.id) == ["院办"]


def test_initialize_needs_an_institution(db):
    with pytest.raises(DomainError, match="只有机构账号"):
        departments.initialize(None)


# ---- fields ------------------------------------------------------------------------------------------------------

def test_name_is_trimmed_and_unique_within_its_parent(db):
    inst = _inst(db)
    internal = _dept(inst, "  内科  ", category="科室(部门)", standard_code="A03")
    assert internal.name == "内科"
    with pytest.raises(ValidationFailed) as exc:
        _dept(inst, "内科 ", category="科室(部门)", standard_code="A03")
    assert exc.value.errors == [f"本机构（{inst.name}）下已有名为“内科”的部门，同一上级下的部门名称不能重复"]

    nursing = _dept(inst, "护理组", parent=internal)
    surgery = _dept(inst, "外科", category="科室(部门)", standard_code="A04")
    assert _dept(inst, "护理组", parent=surgery).parent_id == surgery.id  # the same name under another parent
    with pytest.raises(ValidationFailed, match="部门“内科”下已有名为“护理组”的部门"):
        _dept(inst, "护理组", parent=internal)
    # renaming onto a sibling's name is refused too; keeping one's own name is not a clash
    with pytest.raises(ValidationFailed, match="已有名为“外科”"):
        departments.update(inst.id, internal.id, name="外科", category="科室(部门)", standard_code="A03")
    departments.update(inst.id, nursing.id, name="护理组", category="其他", parent_id=internal.id, phone="027-8765")
    assert db.session.get(Department, nursing.id).phone == "027-8765"

    # another institution may use the same names
    other = _inst(db, WUCHANG_CODE)
    assert _dept(other, "内科", category="科室(部门)", standard_code="A03").institution_id == other.id


def test_every_problem_of_a_form_is_reported_at_once(db):
    inst = _inst(db)
    with pytest.raises(ValidationFailed) as exc:
        departments.create(inst.id, name="   ", category="门诊", standard_code="ZZZ", seq="第一", head="王" * 51,
                           phone="电话号码")
    errors = exc.value.errors
    assert "科室名称不能为空" in errors
    assert "科室(部门)类别须从下拉列表中选择：科室(部门)、职能部门、村卫生室、其他" in errors
    assert "科室标准名称须从下拉列表中选择" in errors
    assert "序号须为 0 到 9999 之间的整数（当前：第一）" in errors
    assert "负责人不能超过 50 个字" in errors
    assert any(e.startswith("电话只能填写数字") for e in errors)
    assert _count(db, inst) == 0


def test_name_longer_than_50_characters_is_refused(db):
    inst = _inst(db)
    with pytest.raises(ValidationFailed, match="科室名称不能超过 50 个字（当前 51 个字）"):
        _dept(inst, "科" * 51)
    assert _dept(inst, "科" * 50).name == "科" * 50


def test_standard_name_is_required_only_for_the_category_clinical_department(db):
    inst = _inst(db)
    assert departments.standard_required("科室(部门)") is True
    assert not any(departments.standard_required(c) for c in ("职能部门", "村卫生室", "其他"))
    with pytest.raises(ValidationFailed) as exc:
        departments.create(inst.id, name="全科", category="科室(部门)", standard_code="")
    assert exc.value.errors == ["科室(部门)类别为“科室(部门)”时，科室标准名称必填；没有对应的标准科室可选择“其他科室”"]
    assert departments.create(inst.id, name="全科", category="科室(部门)", standard_code="D99").standard_code == "D99"
    village = departments.create(inst.id, name="村卫生室一", category="村卫生室")
    assert (village.category, village.standard_code) == ("村卫生室", None)


def test_parent_can_be_neither_itself_nor_a_descendant_nor_foreign(db):
    inst = _inst(db)
    a = _dept(inst, "医务科")
    b = _dept(inst, "质控组", parent=a)
    c = _dept(inst, "病案室", parent=b)
    with pytest.raises(ValidationFailed, match="上级不能是“医务科”的下级部门“病案室”"):
        departments.update(inst.id, a.id, name="医务科", category="职能部门", parent_id=c.id)
    with pytest.raises(ValidationFailed, match="上级不能是“医务科”自己"):
        departments.update(inst.id, a.id, name="医务科", category="职能部门", parent_id=a.id)
    foreign = _dept(_inst(db, WUCHANG_CODE), "办公室")
    with pytest.raises(ValidationFailed, match="上级须为本机构的部门或本机构"):
        departments.create(inst.id, name="收费室", category="其他", parent_id=foreign.id)
    db.session.expire_all()
    assert db.session.get(Department, a.id).parent_id is None
    # moving a whole branch up is fine, and an empty 序号 puts it last among its new siblings
    departments.update(inst.id, c.id, name="病案室", category="职能部门", parent_id="")
    assert (db.session.get(Department, c.id).parent_id, db.session.get(Department, c.id).seq) == (None, 2)


def test_a_department_of_another_institution_is_not_found(db):
    inst, other = _inst(db), _inst(db, WUCHANG_CODE)
    foreign = _dept(other, "办公室")
    assert departments.get(inst.id, foreign.id) is None
    for call in (lambda: departments.update(inst.id, foreign.id, name="x", category="其他"),
                 lambda: departments.delete(inst.id, foreign.id),
                 lambda: departments.set_active(inst.id, foreign.id, False),
                 lambda: departments.move_staff(inst.id, foreign.id, foreign.id)):
        with pytest.raises(DomainError, match="部门不存在或不属于本机构"):
            call()
    db.session.expire_all()
    assert db.session.get(Department, foreign.id).name == "办公室"


# ---- tree and names ----------------------------------------------------------------------------------------------

def test_tree_and_names_follow_the_order_and_skip_disabled_branches(db):
    inst = _inst(db)
    office = _dept(inst, "办公室", seq=2)
    clinic = _dept(inst, "门诊部", seq=1, category="科室(部门)", standard_code="X08")
    _dept(inst, "挂号室", parent=clinic, seq=2)
    _dept(inst, "分诊台", parent=clinic, seq=1)
    _dept(inst, "档案室", parent=office)
    nodes = departments.tree(inst.id)
    assert [n.name for n in nodes] == ["门诊部", "办公室"]
    assert [n.name for n in nodes[0].children] == ["分诊台", "挂号室"]
    assert (nodes[0].standard_name, nodes[0].children[0].depth) == ("门诊部", 2)
    assert departments.department_names(inst.id) == ["门诊部", "分诊台", "挂号室", "办公室", "档案室"]

    assert departments.set_active(inst.id, office.id, False) == 1  # its 档案室 is disabled with it
    assert departments.department_names(inst.id) == ["门诊部", "分诊台", "挂号室"]
    assert departments.department_names(inst.id, active_only=False)[-2:] == ["办公室", "档案室"]
    assert [n.name for n in departments.tree(inst.id, active_only=True)] == ["门诊部"]


def test_disable_and_enable(db):
    inst = _inst(db)
    office = _dept(inst, "办公室")
    archive = _dept(inst, "档案室", parent=office)
    departments.set_active(inst.id, office.id, False)
    db.session.expire_all()
    assert not db.session.get(Department, archive.id).active
    with pytest.raises(ValidationFailed, match="上级部门“办公室”已停用，请先启用上级部门，再启用“档案室”"):
        departments.set_active(inst.id, archive.id, True)
    with pytest.raises(ValidationFailed, match="上级部门“办公室”已停用"):
        _dept(inst, "收发室", parent=office)
    assert departments.set_active(inst.id, office.id, True) == 0
    departments.set_active(inst.id, archive.id, True)
    db.session.expire_all()
    assert db.session.get(Department, archive.id).active
    # disabling through the edit form cascades as well
    departments.update(inst.id, office.id, name="办公室", category="职能部门", active=False)
    db.session.expire_all()
    assert not db.session.get(Department, archive.id).active
    assert office.id not in {int(v) for v, _, _ in departments.parent_choices(inst.id)[1:]}


# ---- delete and move ---------------------------------------------------------------------------------------------

def test_a_department_with_staff_or_children_cannot_be_deleted_and_the_counts_are_given(db):
    inst = _inst(db)
    internal = _dept(inst, "内科", category="科室(部门)", standard_code="A03")
    _dept(inst, "护理组", parent=internal)
    for n in (1, 2, 3):
        _person(db, inst, internal, n)
    with pytest.raises(departments.DeleteBlocked) as exc:
        departments.delete(inst.id, internal.id)
    assert (exc.value.staff, exc.value.children) == (3, 1)
    assert exc.value.errors == [
        "部门“内科”下有 3 名人员，不能删除。可以把这些人员全部转移到本机构的其他部门，再删除该部门",
        "部门“内科”下有 1 个下级部门，不能删除。请先删除这些下级部门，或在“修改”中把它们的上级改为其他部门",
    ]
    assert _count(db, inst) == 2


def test_an_empty_department_is_deleted_with_its_empty_quota_share(db):
    inst = _inst(db)
    office = _dept(inst, "办公室")
    db.session.add(DepartmentQuota(institution_id=inst.id, department_id=office.id, amount=2))
    db.session.commit()
    with pytest.raises(departments.DeleteBlocked, match="分配有 2 个编制"):
        departments.delete(inst.id, office.id)
    db.session.scalar(select(DepartmentQuota)).amount = 0
    db.session.commit()
    assert departments.delete(inst.id, office.id) == "办公室"
    assert _count(db, inst) == 0
    assert db.session.scalar(select(func.count(DepartmentQuota.id))) == 0


def test_move_all_staff_and_delete_in_one_step(db):
    inst = _inst(db)
    old = _dept(inst, "防保科", category="科室(部门)", standard_code="A01")
    new = _dept(inst, "公共卫生科", category="科室(部门)", standard_code="X01")
    people = [_person(db, inst, old, n) for n in (1, 2)]
    moved, target = departments.move_staff(inst.id, old.id, new.id, and_delete=True)
    assert (moved, target.id) == (2, new.id)
    db.session.expire_all()
    assert db.session.get(Department, old.id) is None
    assert {db.session.get(Person, p.id).department_id for p in people} == {new.id}
    assert departments.staff_counts(inst.id) == {new.id: 2}


def test_move_is_all_or_nothing(db):
    inst = _inst(db)
    old = _dept(inst, "防保科", category="科室(部门)", standard_code="A01")
    _dept(inst, "计免组", parent=old)
    closed = _dept(inst, "旧药房")
    departments.set_active(inst.id, closed.id, False)
    new = _dept(inst, "公共卫生科")
    people = [_person(db, inst, old, n) for n in (1, 2)]
    foreign = _dept(_inst(db, WUCHANG_CODE), "办公室")

    with pytest.raises(ValidationFailed, match="下有 1 个下级部门"):  # the child stops the delete: nobody moves
        departments.move_staff(inst.id, old.id, new.id, and_delete=True)
    with pytest.raises(ValidationFailed, match="部门“旧药房”已停用，不能把人员转移进去"):
        departments.move_staff(inst.id, old.id, closed.id)
    with pytest.raises(ValidationFailed, match="转移到的部门须为本机构的部门"):
        departments.move_staff(inst.id, old.id, foreign.id)
    with pytest.raises(ValidationFailed, match="请选择人员要转移到的部门"):
        departments.move_staff(inst.id, old.id, "")
    with pytest.raises(ValidationFailed, match="不能转移到“防保科”自己或它的下级部门"):
        departments.move_staff(inst.id, old.id, old.id)
    db.session.expire_all()
    assert {db.session.get(Person, p.id).department_id for p in people} == {old.id}

    # only moving (no delete) is allowed while the child department is still there
    assert departments.move_staff(inst.id, old.id, new.id)[0] == 2
    db.session.expire_all()
    assert departments.staff_counts(inst.id) == {new.id: 2}
    assert db.session.get(Department, old.id) is not None
    with pytest.raises(ValidationFailed, match="下没有人员，无需转移"):
        departments.move_staff(inst.id, old.id, new.id)


def test_move_targets_leave_out_the_department_its_branch_and_disabled_ones(db):
    inst = _inst(db)
    old = _dept(inst, "防保科")
    _dept(inst, "计免组", parent=old)
    closed = _dept(inst, "旧药房")
    departments.set_active(inst.id, closed.id, False)
    _dept(inst, "公共卫生科")
    assert [name for _, name, _ in departments.move_targets(old)] == ["公共卫生科"]


def test_in_post_staff_other_than_probation_cannot_be_moved_into_a_village_clinic(db):
    """spec 4.2.7, the rule of the staff form: a 村卫生室 holds in-post staff only as 试用期考核人员."""
    inst = _inst(db)
    old = _dept(inst, "防保科", category="科室(部门)", standard_code="A01")
    village = _dept(inst, "东湖村卫生室", category="村卫生室")
    doctor, trainee = _person(db, inst, old, 1), _person(db, inst, old, 2)
    trainee.status = "医师资格考试试用期考核人员"
    db.session.commit()
    with pytest.raises(ValidationFailed, match="部门“东湖村卫生室”是村卫生室：村卫生室人员的在职状态须为“医师资格考试"
                                               "试用期考核人员”，张三1 不是，不能转移进去"):
        departments.move_staff(inst.id, old.id, village.id)
    doctor.status = "离职"
    db.session.commit()
    # a resigned person neither blocks the move nor is moved: the record keeps its department as history
    assert departments.move_staff(inst.id, old.id, village.id)[0] == 1
    db.session.expire_all()
    assert (doctor.department_id, trainee.department_id) == (old.id, village.id)
