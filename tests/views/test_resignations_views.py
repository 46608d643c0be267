"""员工离职 through the pages: the permission matrix (clerk drafts, reviewer decides, no right → 403, another
institution → 404), field errors next to their inputs, the list's filters, masking and export, the picker, 批量离职
from the staff list and the reviewer's batch approval."""
import datetime
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.models.movements import Resignation
from app.models.people import Person
from app.services import resignations as svc
from app.services.seed import WUCHANG_CODE
from tests.conftest import csrf_token
from tests.services.test_resignations import TODAY, _user, person

LIST = "/resignation/list/"


def _post(client, url, data, page=LIST):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _draft(db, p=None, flow="25", user="inst_admin"):
    p = p or person(db)
    return svc.create_draft(_user(db, user), p.id, flow_type=flow, leave_date=TODAY)


def _submitted(db, p=None, flow="25"):
    item = _draft(db, p, flow)
    return svc.submit(_user(db, "inst_admin"), item.id)


def test_menu_and_list_are_reachable_for_the_owner(db, login_as):
    client = login_as("inst_admin")
    home = client.get("/").get_data(as_text=True)
    assert "员工离职" in home and LIST in home
    page = client.get(LIST).get_data(as_text=True)
    assert "新增" in page and "导出 Excel" in page


def test_clerk_adds_a_draft_through_the_form(db, login_as):
    p = person(db, name="王表单")
    client = login_as("inst_staff")
    resp = _post(client, "/resignation/add/", {"person_id": p.id, "flow_type": "25", "leave_date": TODAY.isoformat(),
                                               "note": "个人原因"}, page="/resignation/add/")
    assert resp.status_code == 302
    item = db.session.scalar(select(Resignation).where(Resignation.person_id == p.id))
    assert (item.status, item.created_by) == ("草稿", "inst_staff")
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "王表单" in shown and "提交" in shown


def test_refused_form_shows_each_error_under_its_input_and_keeps_values(db, login_as):
    p = person(db, work_start=datetime.date(2015, 3, 1))
    client = login_as("inst_admin")
    resp = _post(client, "/resignation/add/", {"person_id": p.id, "flow_type": "", "leave_date": "2014-01-01",
                                               "note": "保留的说明"}, page="/resignation/add/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "请选择离职类型" in html and "离职时间不能早于参加工作日期（2015-03-01）" in html
    assert html.index('id="leave_date"') < html.index("离职时间不能早于参加工作日期") < html.index('id="note"')
    assert "保留的说明" in html and p.name in html  # the picked person's card stays
    assert db.session.scalar(select(Resignation).where(Resignation.person_id == p.id)) is None


def test_picker_searches_by_name_and_pinyin_initials_and_leaves_out_open_ones(db, login_as):
    a = person(db, name="欧阳锋")
    b = person(db, name="欧阳克")
    _draft(db, b)
    client = login_as("inst_staff")
    names = [i["name"] for i in client.get("/resignation/candidates/?q=欧阳").get_json()["items"]]
    assert "欧阳锋" in names and "欧阳克" not in names
    by_letters = client.get("/resignation/candidates/?q=oyf").get_json()["items"]
    assert [i["name"] for i in by_letters] == ["欧阳锋"]
    assert by_letters[0]["id"] == a.id and "*" in by_letters[0]["id_number"]  # inst_staff sees masked numbers


def test_review_flow_approve_sets_status_and_history(db, login_as):
    p = person(db, name="李通过")
    item = _submitted(db, p)
    clerk = login_as("inst_staff")
    show = f"/resignation/show/{item.id}"
    assert _post(clerk, f"/resignation/decide/{item.id}", {"action": "approve"}, page=show).status_code == 403
    owner = login_as("inst_admin")
    page = owner.get(show).get_data(as_text=True)
    assert "通过" in page and "不通过" in page
    resp = _post(owner, f"/resignation/decide/{item.id}", {"action": "approve"}, page=show)
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Person, p.id).status == "离职"
    assert db.session.get(Resignation, item.id).status == "已通过"
    history = owner.get(show).get_data(as_text=True)
    assert "审核通过" in history and "提交" in history


def test_reject_needs_an_opinion_shown_under_it_then_back_to_the_clerk(db, login_as):
    item = _submitted(db)
    owner = login_as("inst_admin")
    show = f"/resignation/show/{item.id}"
    html = _post(owner, f"/resignation/decide/{item.id}", {"action": "reject", "opinion": " "}, page=show)
    html = html.get_data(as_text=True)
    assert "驳回时必须填写审核意见" in html
    assert html.index('id="opinion"') < html.index("驳回时必须填写审核意见")
    assert _post(owner, f"/resignation/decide/{item.id}", {"action": "reject", "opinion": "请补充交接清单"},
                 page=show).status_code == 302
    clerk = login_as("inst_staff")
    page = clerk.get(f"/resignation/edit/{item.id}").get_data(as_text=True)
    assert "请补充交接清单" in page


def test_user_without_the_right_gets_403_and_another_institution_404(db, login_as, app):
    item = _submitted(db)
    other = login_as("inst2_admin")
    assert other.get(f"/resignation/show/{item.id}").status_code == 404
    assert _post(other, f"/resignation/decide/{item.id}", {"action": "approve"}).status_code == 404
    region = login_as("region_admin")
    assert region.get(LIST).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(Resignation, item.id).status == "待审核"


def test_list_filters_mask_and_export(db, login_as):
    retired = _draft(db, person(db, name="赵退休"), flow="24")
    _draft(db, person(db, name="钱辞职"), flow="25")
    clerk = login_as("inst_staff")
    html = clerk.get(LIST + "?flow_type=24").get_data(as_text=True)
    assert "赵退休" in html and "钱辞职" not in html
    assert retired.person.id_number not in html  # inst_staff has no 查看完整证件号
    none = clerk.get(LIST + f"?date_from={(TODAY + datetime.timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert "赵退休" not in none and "没有符合条件的离职记录" in none
    assert "格式应为" in clerk.get(LIST + "?date_to=明年").get_data(as_text=True)
    data = clerk.get("/resignation/export/?flow_type=24").data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("工号", "姓名", "证件号码")
    assert [r[1] for r in rows[1:]] == ["赵退休"] and rows[1][4] == "退休" and "*" in rows[1][2]
    full = login_as("inst_admin").get("/resignation/export/?flow_type=24").data
    assert list(load_workbook(io.BytesIO(full)).active.iter_rows(values_only=True))[1][2] == retired.person.id_number


def test_batch_from_the_staff_list_all_or_nothing(db, login_as):
    a, b = person(db, name="孙批量"), person(db, name="周批量", work_start=TODAY)
    client = login_as("inst_admin")
    page = client.get(f"/resignation/batch/?ids={a.id}&ids={b.id}").get_data(as_text=True)
    assert "孙批量" in page and "周批量" in page
    early = (TODAY - datetime.timedelta(days=10)).isoformat()
    html = _post(client, "/resignation/batch/", {"ids": [a.id, b.id], "flow_type": "21", "leave_date": early},
                 page=f"/resignation/batch/?ids={a.id}").get_data(as_text=True)
    assert "周批量：离职时间不能早于参加工作日期" in html
    assert db.session.scalar(select(Resignation).where(Resignation.person_id == a.id)) is None
    resp = _post(client, "/resignation/batch/", {"ids": [a.id, b.id], "flow_type": "21",
                                                 "leave_date": TODAY.isoformat()}, page=f"/resignation/batch/?ids={a.id}")
    assert resp.status_code == 302
    assert {r.person_id for r in db.session.scalars(select(Resignation).where(
        Resignation.person_id.in_([a.id, b.id]), Resignation.status == "草稿"))} == {a.id, b.id}


def test_reviewer_approves_a_selection_each_recorded(db, login_as):
    one, two = _submitted(db, flow="24"), _submitted(db)
    client = login_as("inst_admin")
    resp = _post(client, "/resignation/decide_many/", {"ids": [one.id, two.id], "action": "approve"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Resignation, one.id).person.status == "退休"
    assert db.session.get(Resignation, two.id).person.status == "离职"
    for item in (one, two):
        assert [h.action for h in svc.history(db.session.get(Resignation, item.id))] == ["submit", "approve"]
    clerk = login_as("inst_staff")
    assert _post(clerk, "/resignation/decide_many/", {"ids": [one.id], "action": "approve"}).status_code == 403


def test_other_institution_resignations_are_not_listed(db, login_as):
    _draft(db, person(db, WUCHANG_CODE, name="吴武昌"), user="inst2_admin")
    assert "吴武昌" not in login_as("inst_admin").get(LIST).get_data(as_text=True)


def test_staff_list_left_filter_is_read_only_with_the_resignation(db, login_as):
    gone = person(db, name="冯已离")
    item = _submitted(db, gone, flow="24")
    svc.decide(_user(db, "inst_admin"), item.id, "approve")
    stay = person(db, name="陈在岗")
    client = login_as("inst_admin")
    html = client.get("/people/list/?status=离职人员").get_data(as_text=True)
    assert "冯已离" in html and "陈在岗" not in html
    row = html[html.index(f'data-person="{gone.id}"'):]
    row = row[:row.index("</tr>")]
    assert f"/people/view/{gone.id}" in row and f"/people/edit/{gone.id}" not in row
    assert "退休" in row and f"/resignation/show/{item.id}" in row
    assert client.get(f"/people/view/{gone.id}").status_code == 200
    full = client.get("/people/list/").get_data(as_text=True)
    assert 'id="batch-resign"' in full and f'name="ids" value="{stay.id}" form="batch-resign"' in full
    assert f'value="{gone.id}" form="batch-resign"' not in full


def test_every_pk_route_refuses_a_foreign_resignation(app, db, login_as):
    """The tenancy sweep over this page with rows present (the general sweep has no resignation rows)."""
    from app.extensions import appbuilder
    from tests.views.test_tenancy import _fill, _pk_routes

    foreign = [_submitted(db, person(db, name="郑待审")), _draft(db, person(db, name="郑草稿"))]
    view = next(v for v in appbuilder.baseviews if v.route_base == "/resignation")
    checked = 0
    for caller in ("inst2_admin", "region_admin"):
        c = login_as(caller)
        token = csrf_token(c, "/account/password/")
        for rule in _pk_routes(app, view.endpoint):
            for item in foreign:
                for url in _fill(app, rule, item.id, view):
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        data = {"csrf_token": token, "action": "approve", "flow_type": "29",
                                "leave_date": TODAY.isoformat()}
                        resp = c.get(url) if method == "GET" else c.open(url, method=method, data=data)
                        assert resp.status_code in (403, 404), (caller, method, url, resp.status_code)
                        checked += 1
    assert checked >= 20
    db.session.expire_all()
    assert [(db.session.get(Resignation, i.id).status, db.session.get(Resignation, i.id).flow_type)
            for i in foreign] == [("待审核", "25"), ("草稿", "25")]
