"""机构编制管理 through the pages: the institution page before and after an allocation, saving and refusing a
distribution (typed numbers kept), the warning after a lower allocation, and the regional 编制分配 pages."""
import re

from sqlalchemy import func, select

from app.models.org import Department, DepartmentQuota, Institution, QuotaAllocation
from app.models.people import Person
from app.models.security import User
from app.services import quota
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token
from tests.views.test_chinese_ui import english_in
from tests.views.test_departments_views import box_errors, field_errors


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _depts(db, *names):
    inst = _inst(db)
    out = []
    for seq, name in enumerate(names, start=1):
        d = Department(institution_id=inst.id, name=name, seq=seq, category="职能部门")
        db.session.add(d)
        out.append(d)
    db.session.commit()
    return out


def _allocate(db, total, date="2024-03-01", doc="江编办〔2024〕12号", **kw):
    return quota.allocate(_user(db, "region_admin"), _inst(db).id, total=total, effective_date=date,
                          document_no=doc, **kw)


def _amounts(db):
    db.session.expire_all()
    return {q.department.name: q.amount for q in db.session.scalars(select(DepartmentQuota))}


def _row(page, name):
    return page.split(f'data-department="{name}"')[1].split("</tr>")[0]


def _sheet(db, login_as):
    """The 机构编制管理 page of 内科 and 外科 under an allocation of 20, opened by the institution's clerk."""
    internal, surgery = _depts(db, "内科", "外科")
    _allocate(db, "20")
    c = login_as("inst_admin")
    return c, csrf_token(c, "/quota/list/"), internal, surgery


def _cells(row):
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_before_an_allocation_the_page_says_so_and_has_no_form(db, login_as):
    _depts(db, "内科")
    page = login_as("inst_admin").get("/quota/list/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "编制由上级卫健委分配后可使用" in body
    assert 'action="/quota/save"' not in body and 'name="amount-' not in body
    assert english_in(body) == []


def test_page_shows_allocation_departments_and_totals(db, login_as):
    internal, surgery = _depts(db, "内科", "外科")
    _allocate(db, "20", management="2", professional="16", support="2")
    quota.distribute(_user(db, "inst_admin"), _inst(db).id, {internal.id: "3", surgery.id: "1"})
    inst = _inst(db)
    for n, (dept, est) in enumerate([(internal, "1"), (internal, "1"), (surgery, "1"), (surgery, "1"),
                                     (surgery, "1"), (surgery, "2")]):
        db.session.add(Person(institution_id=inst.id, name=f"人员{n}", id_number=f"X{n:017d}", department_id=dept.id,
                              status="在岗", establishment=est))
    db.session.commit()

    body = login_as("inst_admin").get("/quota/list/").get_data(as_text=True)
    top = body.split('id="quota-allocation"')[1].split('id="quota-table"')[0]
    assert '<span class="quota-num">20</span>' in top and "江编办〔2024〕12号" in top and "2024-03-01" in top
    assert "管理岗位 2 名" in top and "专业技术岗位 16 名" in top and "工勤技能岗位 2 名" in top
    assert f'name="amount-{internal.id}" value="3"' in _row(body, "内科")
    assert _cells(_row(body, "内科"))[1:] == ["2", "1", ""]  # 在编 2, 空编 1
    assert _cells(_row(body, "外科"))[1:] == ["3", "", "2"]  # 在编 3 (合同制 not counted), 超编 2
    totals = _cells(body.split('id="quota-totals"')[1].split("</tr>")[0])
    assert totals == ["4 / 20", "5", "17", "2"]  # 空编 1 in 内科 + 16 not distributed; 17 − 2 = 全院空编 15
    assert _cells(body.split('id="quota-undistributed"')[1].split("</tr>")[0]) == ["16", "0", "16", ""]
    assert "全院空编 <strong>15</strong>" in body
    assert "全院空编" in body and "quota-over-warning" not in body
    assert english_in(body) == []


def test_saving_a_distribution(db, login_as):
    c, token, internal, surgery = _sheet(db, login_as)
    resp = c.post("/quota/save", data={"csrf_token": token, "kind": "事业编制", f"amount-{internal.id}": "12",
                                       f"amount-{surgery.id}": "8"})
    assert resp.status_code == 302
    assert _amounts(db) == {"内科": 12, "外科": 8}
    assert "分配到科室的事业编制合计 20 名" in c.get("/quota/list/").get_data(as_text=True)


def test_refused_distribution_keeps_the_typed_numbers(db, login_as):
    c, token, internal, surgery = _sheet(db, login_as)
    resp = c.post("/quota/save", data={"csrf_token": token, "kind": "事业编制", f"amount-{internal.id}": "15",
                                       f"amount-{surgery.id}": "10"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "分配到科室的编制合计 25 名，超过上级核定的 20 名" in body
    assert 'value="15"' in _row(body, "内科") and 'value="10"' in _row(body, "外科")
    assert _amounts(db) == {}

    body = c.post("/quota/save", data={"csrf_token": token, "kind": "事业编制", f"amount-{internal.id}": "-1",
                                       f"amount-{surgery.id}": "2.5"}).get_data(as_text=True)
    assert "科室“内科”的编制数须为 0 或正整数，当前填写“-1”" in body
    assert "科室“外科”的编制数须为 0 或正整数，当前填写“2.5”" in body
    assert 'value="-1"' in _row(body, "内科") and "has-error" in _row(body, "内科")
    assert 'value="2.5"' in _row(body, "外科")
    assert _amounts(db) == {}

    resp = c.post("/quota/save", data={"kind": "事业编制", f"amount-{internal.id}": "5"})
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)  # no CSRF token: nothing saved
    assert _amounts(db) == {}


def test_a_refused_distribution_shows_each_department_s_problem_in_its_row(db, login_as):
    c, token, internal, surgery = _sheet(db, login_as)
    body = c.post("/quota/save", data={"csrf_token": token, "kind": "事业编制", f"amount-{internal.id}": "-1",
                                       f"amount-{surgery.id}": "25"}).get_data(as_text=True)
    assert field_errors(_row(body, "内科")) == {f"amount-{internal.id}": ["科室“内科”的编制数须为 0 或正整数，当前填写“-1”"]}
    assert field_errors(_row(body, "外科")) == {}
    # the sum is about the whole sheet: above it, not in a row
    assert box_errors(body) == ["分配到科室的编制合计 25 名（填写有误的科室按 0 计），超过上级核定的 20 名，请调减后再保存"]


def test_a_refused_allocation_shows_each_problem_under_its_input(db, login_as):
    inst = _inst(db)
    c = login_as("region_admin")
    token = csrf_token(c, f"/quotaallocation/show/{inst.id}")
    body = c.post(f"/quotaallocation/allocate/{inst.id}",
                  data={"csrf_token": token, "kind": "事业编制", "total": "", "management": "x", "professional": "",
                        "support": "", "effective_date": "2024-13-01", "document_no": "", "note": ""}
                  ).get_data(as_text=True)
    shown = field_errors(body)
    assert shown["total"] == ["请填写核定编制总数"]
    assert shown["management"] == ["管理岗位须为 0 或正整数，当前填写“x”"]
    assert shown["document_no"] == ["请填写文号（核定编制的文件编号）"]
    assert len(shown["effective_date"]) == 1 and "生效日期" in shown["effective_date"][0]
    assert set(shown) == {"total", "management", "document_no", "effective_date"} and box_errors(body) == []
    # each message sits in the form group of its input
    group = body.split('for="document_no"')[1].split('class="form-group"')[0]
    assert "请填写文号" in group


def test_lower_allocation_warns_on_the_institution_page(db, login_as):
    (internal,) = _depts(db, "内科")
    _allocate(db, "30", date="2023-01-01", doc="文一")
    quota.distribute(_user(db, "inst_admin"), _inst(db).id, {internal.id: "25"})
    _allocate(db, "20", date="2024-01-01", doc="文二")
    body = login_as("inst_admin").get("/quota/list/").get_data(as_text=True)
    warning = body.split('id="quota-over-warning"')[1].split("</div>")[0]
    assert "20 名" in warning and "文二" in warning and "少于已分配到科室的 25 名" in warning
    assert "上级核定记录（2 条" in body


def test_regional_list_shows_the_subtree_with_numbers(db, login_as):
    (internal,) = _depts(db, "内科")
    _allocate(db, "20")
    quota.distribute(_user(db, "inst_admin"), _inst(db).id, {internal.id: "6"})
    c = login_as("region_admin")
    resp = c.get("/quotaallocation/list/")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "武汉市江夏区示例镇卫生院" in body and "武汉市武昌区示例社区卫生服务中心" not in body
    cells = _cells(body.split('data-institution="武汉市江夏区示例镇卫生院"')[1].split("</tr>")[0])
    assert cells[:8] == ["武汉市江夏区示例镇卫生院", "江夏区", "20", "江编办〔2024〕12号", "2024-03-01", "6", "0", "空编 20"]
    assert english_in(body) == []
    assert "本辖区还没有机构" not in body
    assert "没有名称包含" in c.get("/quotaallocation/list/?q=武昌").get_data(as_text=True)


def test_region_admin_allocates_and_sees_the_history(db, login_as):
    inst = _inst(db)
    c = login_as("region_admin")
    page = c.get(f"/quotaallocation/show/{inst.id}").get_data(as_text=True)
    assert "尚未核定" in page and "还没有核定记录" in page and english_in(page) == []
    token = csrf_token(c, f"/quotaallocation/show/{inst.id}")
    form = {"csrf_token": token, "kind": "事业编制", "total": "20", "management": "2", "professional": "",
            "support": "", "effective_date": "2023-05-01", "document_no": "江编办〔2023〕5号", "note": ""}
    resp = c.post(f"/quotaallocation/allocate/{inst.id}", data=form)
    assert resp.status_code == 302
    resp = c.post(f"/quotaallocation/allocate/{inst.id}",
                  data={**form, "total": "22", "effective_date": "2024-05-01", "document_no": "江编办〔2024〕9号"})
    assert resp.status_code == 302
    page = c.get(f"/quotaallocation/show/{inst.id}").get_data(as_text=True)
    assert "已登记武汉市江夏区示例镇卫生院的事业编制核定 22 名" in page
    current = page.split('data-document="江编办〔2024〕9号"')[1].split("</tr>")[0]
    older = page.split('data-document="江编办〔2023〕5号"')[1].split("</tr>")[0]
    assert "当前" in current and "22" in current and "region_admin" in current
    assert "历史" in older and "20" in older
    db.session.expire_all()
    assert db.session.scalar(select(func.count(QuotaAllocation.id))) == 2
    # The institution now sees the current allocation.
    body = login_as("inst_admin").get("/quota/list/").get_data(as_text=True)
    assert "江编办〔2024〕9号" in body and "编制由上级卫健委分配后可使用" not in body


def test_refused_allocation_keeps_what_was_typed(db, login_as):
    inst = _inst(db)
    c = login_as("region_admin")
    token = csrf_token(c, f"/quotaallocation/show/{inst.id}")
    resp = c.post(f"/quotaallocation/allocate/{inst.id}",
                  data={"csrf_token": token, "kind": "事业编制", "total": "20", "management": "5",
                        "professional": "16", "support": "", "effective_date": "2024-05-01", "document_no": "",
                        "note": "按编办文件"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "请填写文号" in body and "管理岗位 5 + 专业技术岗位 16 = 21 名，超过核定编制总数 20 名" in body
    assert re.search(r'<input[^>]*name="total"[^>]*value="20"', body)
    assert 'value="5"' in body and 'value="16"' in body and 'value="2024-05-01"' in body and "按编办文件" in body
    assert english_in(body) == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count(QuotaAllocation.id))) == 0


def test_pages_refuse_the_wrong_side_and_foreign_institutions(db, login_as):
    wuchang = _inst(db, WUCHANG_CODE)
    inst_admin = login_as("inst_admin")
    assert inst_admin.get("/quotaallocation/list/").status_code == 403
    assert inst_admin.get(f"/quotaallocation/show/{_inst(db).id}").status_code == 403
    region = login_as("region_admin")
    assert region.get("/quota/list/").status_code == 403
    assert region.get(f"/quotaallocation/show/{wuchang.id}").status_code == 404
    token = csrf_token(region, f"/quotaallocation/show/{_inst(db).id}")
    resp = region.post(f"/quotaallocation/allocate/{wuchang.id}",
                       data={"csrf_token": token, "kind": "事业编制", "total": "5", "effective_date": "2024-01-01",
                             "document_no": "越权"})
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(func.count(QuotaAllocation.id))) == 0


def test_account_without_institution_gets_an_explanation(login_as):
    body = login_as("sysadmin01").get("/quota/list/").get_data(as_text=True)
    assert "当前账号不属于任何机构" in body


def test_region_is_told_about_a_lower_or_back_dated_decision(db, login_as):
    inst = _inst(db)
    (internal,) = _depts(db, "内科")
    _allocate(db, "10", date="2024-03-01")
    quota.distribute(_user(db, "inst_admin"), inst.id, {internal.id: "8"})
    c = login_as("region_admin")
    token = csrf_token(c, f"/quotaallocation/show/{inst.id}")
    form = {"csrf_token": token, "kind": "事业编制", "total": "6", "effective_date": "2024-09-01",
            "document_no": "江编办〔2024〕30号"}
    page = c.post(f"/quotaallocation/allocate/{inst.id}", data=form, follow_redirects=True).get_data(as_text=True)
    assert "该机构已分配到科室的事业编制合计 8 名，超过新核定的 6 名" in page
    assert "超过当前核定的 6 名；机构须调减科室编制" in page
    page = c.post(f"/quotaallocation/allocate/{inst.id}",
                  data={**form, "total": "12", "effective_date": "2020-01-01", "document_no": "旧文"},
                  follow_redirects=True).get_data(as_text=True)
    assert "已登记为历史记录：文号 旧文 的生效日期 2020-01-01 早于当前核定，当前核定不变" in page
    assert quota.current_allocation(inst.id).document_no == "江编办〔2024〕30号"
