"""机构编制管理 rules without HTTP: allocation validation, current vs history, the caller's region subtree,
distribution sums and per-department messages, 在编 counts, and the warning after a lower allocation."""
import datetime

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.domain.id_number import check_digit
from app.models.org import Department, DepartmentQuota, Institution, QuotaAllocation
from app.models.people import Person
from app.models.security import User
from app.services import quota
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _dept(db, inst, name, parent=None, seq=0, active=True):
    d = Department(institution_id=inst.id, name=name, parent_id=parent.id if parent else None, seq=seq,
                   active=active, category="职能部门")
    db.session.add(d)
    db.session.commit()
    return d


_n = {"i": 0}


def _person(db, inst, dept, establishment="1", status="在岗"):
    _n["i"] += 1
    first17 = f"42011519800101{_n['i']:03d}"
    p = Person(institution_id=inst.id, name=f"张{_n['i']}", id_type="01", id_number=first17 + check_digit(first17),
               department_id=dept.id if dept else None, status=status, establishment=establishment)
    db.session.add(p)
    db.session.commit()
    return p


def _allocate(db, total, date="2024-01-01", doc="江编办〔2024〕1号", inst=None, user="region_admin", **kw):
    return quota.allocate(_user(db, user), (inst or _inst(db)).id, total=total, effective_date=date,
                          document_no=doc, **kw)


def _rows(db, model=QuotaAllocation):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# ---- 区域端: allocation ------------------------------------------------------------------------------------------

def test_allocation_reports_every_problem_at_once(db):
    with pytest.raises(ValidationFailed) as refused:
        quota.allocate(_user(db, "region_admin"), _inst(db).id, total="二十", management="-1", professional="2.5",
                       support="", effective_date="", document_no="  ", note="")
    assert refused.value.errors == [
        "核定编制总数须为 0 或正整数，当前填写“二十”",
        "管理岗位须为 0 或正整数，当前填写“-1”",
        "专业技术岗位须为 0 或正整数，当前填写“2.5”",
        "请填写生效日期",
        "请填写文号（核定编制的文件编号）",
    ]
    assert _rows(db) == 0


def test_split_may_not_exceed_the_total(db):
    with pytest.raises(ValidationFailed) as refused:
        _allocate(db, "20", management="3", professional="15", support="4")
    assert refused.value.errors == ["管理岗位 3 + 专业技术岗位 15 + 工勤技能岗位 4 = 22 名，超过核定编制总数 20 名"]
    done = _allocate(db, "20", management="3", professional="15", support="")  # a partial split is fine
    a = done.allocation
    assert (a.total, a.management, a.professional, a.support) == (20, 3, 15, None)
    assert (a.kind, a.document_no, a.effective_date, a.created_by) == ("事业编制", "江编办〔2024〕1号",
                                                                      datetime.date(2024, 1, 1), "region_admin")


def test_effective_date_must_be_real_and_not_in_the_future(db):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    with pytest.raises(ValidationFailed) as refused:
        _allocate(db, "10", date=tomorrow)
    assert refused.value.errors == [f"生效日期不能晚于今天（{datetime.date.today().isoformat()}）；请在文件生效后再登记"]
    with pytest.raises(ValidationFailed) as refused:
        _allocate(db, "10", date="2024-02-30")
    assert refused.value.errors == ["生效日期不是真实的日期：2024-02-30"]
    with pytest.raises(ValidationFailed) as refused:
        _allocate(db, "10", date="6月1日")
    assert refused.value.errors == ["生效日期应按“年-月-日”填写，如 2024-06-01，当前填写“6月1日”"]
    assert _rows(db) == 0
    assert _allocate(db, "10", date="2024年6月1日").allocation.effective_date == datetime.date(2024, 6, 1)
    assert _allocate(db, "10", date="2024/6/2").allocation.effective_date == datetime.date(2024, 6, 2)


def test_newest_decision_is_current_and_older_ones_are_history(db):
    inst = _inst(db)
    assert quota.current_allocation(inst.id) is None
    first = _allocate(db, "20", date="2023-01-01", doc="文1")
    assert first.is_current
    second = _allocate(db, "25", date="2024-06-01", doc="文2")
    back_dated = _allocate(db, "10", date="2022-01-01", doc="文0")
    assert second.is_current and not back_dated.is_current
    assert quota.current_allocation(inst.id).document_no == "文2"
    same_day = _allocate(db, "26", date="2024-06-01", doc="文2-更正")  # same date: the later entry wins
    assert same_day.is_current and quota.current_allocation(inst.id).total == 26
    assert [a.document_no for a in quota.history(inst.id)] == ["文2-更正", "文2", "文1", "文0"]
    assert quota.current_allocation(_inst(db, WUCHANG_CODE).id) is None  # per institution


def test_region_admin_allocates_only_inside_its_subtree(db):
    wuchang = _inst(db, WUCHANG_CODE)
    with pytest.raises(DomainError) as refused:
        _allocate(db, "20", inst=wuchang)
    assert refused.value.message == "只能为本辖区的机构分配编制"
    with pytest.raises(DomainError):
        _allocate(db, "20", user="inst_admin")  # an institution never allocates, not even to itself
    assert _rows(db) == 0
    assert quota.can_allocate_to(_user(db, "region_admin"), _inst(db).id)
    assert not quota.can_allocate_to(_user(db, "region_admin"), wuchang.id)
    assert _allocate(db, "8", inst=wuchang, user="sysadmin01").allocation.institution_id == wuchang.id


def test_regional_overview_lists_the_subtree_with_current_allocation_distributed_and_established(db):
    inst = _inst(db)
    office = _dept(db, inst, "办公室")
    _allocate(db, "20", date="2023-01-01", doc="旧文")
    _allocate(db, "18", date="2024-01-01", doc="新文")
    quota.distribute(_user(db, "inst_admin"), inst.id, {office.id: "5"})
    _person(db, inst, office)
    _person(db, inst, None)  # 在编 without a department still counts for the institution
    _person(db, inst, office, establishment="2")  # 合同制: not 在编
    rows = quota.regional_overview(_user(db, "region_admin"))
    assert [r.institution.name for r in rows] == ["武汉市江夏区示例镇卫生院", "武汉市江夏区示例街道社区卫生服务中心"]
    assert rows[1].allocation is None and rows[1].difference is None  # the second 江夏 centre: nothing allocated
    row = rows[0]
    assert (row.allocation.document_no, row.allocation.total, row.distributed, row.established, row.difference) == \
        ("新文", 18, 5, 2, 16)
    everyone = quota.regional_overview(_user(db, "sysadmin01"))
    assert {r.institution.code for r in everyone} >= {JIANGXIA_CODE, WUCHANG_CODE}
    assert next(r for r in everyone if r.institution.code == WUCHANG_CODE).difference is None
    assert quota.regional_overview(_user(db, "region_admin"), name_contains="武昌") == []
    assert quota.regional_overview(_user(db, "inst_admin")) == []


# ---- 机构端: distribution ----------------------------------------------------------------------------------------

def test_nothing_can_be_distributed_before_an_allocation(db):
    inst = _inst(db)
    office = _dept(db, inst, "办公室")
    with pytest.raises(DomainError) as refused:
        quota.distribute(_user(db, "inst_admin"), inst.id, {office.id: "3"})
    assert refused.value.message == "编制由上级卫健委分配后可使用"
    assert _rows(db, DepartmentQuota) == 0


def test_distribution_sum_may_not_exceed_the_allocation(db):
    inst = _inst(db)
    a, b = _dept(db, inst, "内科", seq=1), _dept(db, inst, "外科", seq=2)
    _allocate(db, "20")
    owner = _user(db, "inst_admin")
    with pytest.raises(ValidationFailed) as refused:
        quota.distribute(owner, inst.id, {a.id: "15", b.id: "10"})
    assert refused.value.errors == ["分配到科室的编制合计 25 名，超过上级核定的 20 名，请调减后再保存"]
    assert _rows(db, DepartmentQuota) == 0
    assert quota.distribute(owner, inst.id, {a.id: "15", b.id: "5"}) == 20
    # A department left out of the form keeps its 编制, and it counts in the sum.
    with pytest.raises(ValidationFailed) as refused:
        quota.distribute(owner, inst.id, {b.id: "6"})
    assert "合计 21 名" in refused.value.errors[0]
    assert quota.distribute(owner, inst.id, {a.id: "", b.id: "3"}) == 3  # blank = 0
    db.session.expire_all()
    assert {q.department_id: q.amount for q in db.session.scalars(select(DepartmentQuota))} == {b.id: 3}
    assert quota.distributed(inst.id) == 3


def test_wrong_numbers_are_refused_naming_the_department(db):
    inst = _inst(db)
    a, b, c = _dept(db, inst, "内科", seq=1), _dept(db, inst, "外科", seq=2), _dept(db, inst, "药剂科", seq=3)
    _allocate(db, "20")
    with pytest.raises(quota.DistributionRefused) as refused:
        quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "-2", b.id: "1.5", c.id: "4"})
    assert refused.value.errors == ["科室“内科”的编制数须为 0 或正整数，当前填写“-2”",
                                    "科室“外科”的编制数须为 0 或正整数，当前填写“1.5”"]
    assert refused.value.department_ids == {a.id, b.id}
    assert _rows(db, DepartmentQuota) == 0


def test_same_name_under_two_parents_is_named_by_its_path(db):
    inst = _inst(db)
    internal, surgery = _dept(db, inst, "内科", seq=1), _dept(db, inst, "外科", seq=2)
    n1, n2 = _dept(db, inst, "护理组", parent=internal), _dept(db, inst, "护理组", parent=surgery)
    _allocate(db, "20")
    with pytest.raises(ValidationFailed) as refused:
        quota.distribute(_user(db, "inst_admin"), inst.id, {n1.id: "x", n2.id: "1"})
    assert refused.value.errors == ["科室“内科/护理组”的编制数须为 0 或正整数，当前填写“x”"]
    labels = [line.label for line in quota.sheet(inst.id).lines]
    assert labels == ["内科", "内科/护理组", "外科", "外科/护理组"]  # tree order


def test_only_the_own_institution_distributes_to_its_own_departments(db):
    inst, wuchang = _inst(db), _inst(db, WUCHANG_CODE)
    own = _dept(db, inst, "办公室")
    foreign = _dept(db, wuchang, "办公室")
    _allocate(db, "20")
    with pytest.raises(DomainError) as refused:
        quota.distribute(_user(db, "inst_admin"), inst.id, {foreign.id: "1"})
    assert refused.value.message == "部门不存在或不属于本机构，请刷新页面后重新填写"
    with pytest.raises(DomainError):
        quota.distribute(_user(db, "inst2_admin"), inst.id, {own.id: "1"})
    with pytest.raises(DomainError):
        quota.distribute(_user(db, "region_admin"), inst.id, {own.id: "1"})  # 区域端 does not distribute
    assert _rows(db, DepartmentQuota) == 0


def test_disabled_department_cannot_gain_quota_and_is_hidden_when_empty(db):
    inst = _inst(db)
    active = _dept(db, inst, "办公室", seq=1)
    closed = _dept(db, inst, "旧科室", seq=2)
    _allocate(db, "20")
    owner = _user(db, "inst_admin")
    quota.distribute(owner, inst.id, {closed.id: "4"})
    closed.active = False
    db.session.commit()
    assert [line.name for line in quota.sheet(inst.id).lines] == ["办公室", "旧科室"]  # still holds 编制
    with pytest.raises(ValidationFailed) as refused:
        quota.distribute(owner, inst.id, {closed.id: "5"})
    assert refused.value.errors == ["科室“旧科室”已停用，不能增加编制（当前 4 名）"]
    quota.distribute(owner, inst.id, {closed.id: "0", active.id: "2"})
    assert [line.name for line in quota.sheet(inst.id).lines] == ["办公室"]


# ---- 在编, 空编, 超编 ----------------------------------------------------------------------------------------------

def test_sheet_counts_established_staff_and_vacancies(db):
    inst = _inst(db)
    a, b = _dept(db, inst, "内科", seq=1), _dept(db, inst, "外科", seq=2)
    _allocate(db, "20", management="2", professional="16", support="2")
    quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "3", b.id: "1"})
    for _ in range(2):
        _person(db, inst, a)  # 编制内, 在岗
    _person(db, inst, a, establishment="2")  # 合同制
    _person(db, inst, a, status="离职")  # left: no longer 在编
    for _ in range(3):
        _person(db, inst, b)
    _person(db, inst, None)
    _person(db, _inst(db, WUCHANG_CODE), None)  # another institution
    s = quota.sheet(inst.id)
    lines = {line.name: line for line in s.lines}
    assert (lines["内科"].amount, lines["内科"].established, lines["内科"].vacant, lines["内科"].over) == (3, 2, 1, 0)
    assert (lines["外科"].amount, lines["外科"].established, lines["外科"].vacant, lines["外科"].over) == (1, 3, 0, 2)
    # 空编 of the departments (1) plus 未分配到科室 (16 not distributed − 1 without a department = 15)
    assert (s.total_amount, s.total_established, s.unassigned_established, s.total_vacant, s.total_over) == \
        (4, 6, 1, 16, 2)
    assert (s.undistributed_vacant, s.undistributed_over) == (15, 0)
    assert (s.allocation.total, s.remaining, s.institution_difference, s.over_distributed) == (20, 16, 14, False)
    assert quota.established_count(inst.id) == 6


def test_a_lower_later_allocation_is_flagged(db):
    inst = _inst(db)
    a = _dept(db, inst, "内科")
    _allocate(db, "30", date="2023-01-01", doc="文1")
    quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "25"})
    lowered = _allocate(db, "20", date="2024-01-01", doc="文2")
    assert lowered.is_current and lowered.distributed == 25
    s = quota.sheet(inst.id)
    assert s.over_distributed and s.remaining == -5 and s.allocation.document_no == "文2"
    with pytest.raises(ValidationFailed) as refused:  # saving again must bring the sum down
        quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "21"})
    assert refused.value.errors == ["分配到科室的编制合计 21 名，超过上级核定的 20 名，请调减后再保存"]
    quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "20"})
    assert not quota.sheet(inst.id).over_distributed


def test_a_wrong_number_and_an_over_total_sum_are_reported_together(db):
    inst = _inst(db)
    a, b = _dept(db, inst, "内科", seq=1), _dept(db, inst, "外科", seq=2)
    _allocate(db, "20")
    with pytest.raises(quota.DistributionRefused) as refused:
        quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "-1", b.id: "25"})
    assert refused.value.errors == ["科室“内科”的编制数须为 0 或正整数，当前填写“-1”",
                                    "分配到科室的编制合计 25 名（填写有误的科室按 0 计），超过上级核定的 20 名，请调减后再保存"]
    assert refused.value.department_ids == {a.id}


def test_the_columns_add_up_to_the_institution_figure(db):
    """全院空编 (核定 − 在编) was 29 beside a 空编 column of 26: the column left out the 编制 not yet given to a
    department. With the 未分配到科室 row, 空编合计 − 超编合计 is the institution's figure in every case."""
    inst = _inst(db)
    a, b = _dept(db, inst, "内科", seq=1), _dept(db, inst, "外科", seq=2)
    _allocate(db, "40")
    quota.distribute(_user(db, "inst_admin"), inst.id, {a.id: "30", b.id: "7"})  # 3 not distributed
    for dept, n in ((a, 4), (b, 7)):
        for _ in range(n):
            _person(db, inst, dept)
    s = quota.sheet(inst.id)
    assert s.institution_difference == 29 and sum(line.vacant for line in s.lines) == 26  # the report's figures
    assert (s.total_vacant, s.total_over) == (29, 0)
    for extra in range(5):  # staff without a department take the undistributed 编制 first, then count as 超编
        _person(db, inst, None)
        s = quota.sheet(inst.id)
        assert s.total_vacant - s.total_over == s.institution_difference == 28 - extra
