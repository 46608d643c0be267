"""机构能力上报 through the pages: the menu under 应急资源管理, a refused form naming both numbers under the field,
保存 → 上报 → read-only, 上报 as its own right (a clerk who may draft gets 403), another institution 404."""
import datetime
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import appbuilder
from app.models.emergency_reports import EmergencyReport
from app.models.security import User
from app.services import emergency_reports as svc
from tests.conftest import csrf_token
from tests.services.test_emergency_reports import TODAY, _user, good_values

LIST = "/capacityreports/list/"
ADD = "/capacityreports/add"


def _post(client, url, data, page=LIST):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _draft(db, **changes):
    return svc.save(_user(db, "inst_admin"), "capacity", good_values(**changes), TODAY)


def test_menu_is_reachable_for_the_owner_in_the_emergency_subsystem(db, login_as):
    client = login_as("inst_admin")
    assert client.get("/subsystem/1").status_code == 302  # 应急资源管理
    home = client.get("/").get_data(as_text=True)
    assert "机构能力上报" in home and LIST in home and "人员信息管理" not in home
    page = client.get(LIST).get_data(as_text=True)
    assert "新增" in page and "复制上次上报" in page and "上报状态" in page and "没有符合条件的上报记录" in page
    form = client.get(ADD).get_data(as_text=True)
    assert "实有床位数及其分项" in form and 'name="negative_pressure_beds"' in form and "直接上报" in form


def test_refused_form_names_both_numbers_under_the_field_and_keeps_what_was_typed(db, login_as):
    client = login_as("inst_admin")
    data = {**good_values(beds=20), "report_date": TODAY.isoformat(), "note": "夜间统计", "action": "save"}
    resp = _post(client, ADD, data, page=ADD)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    message = "实有床位数 20 小于分项之和 23（重症监护(ICU)床位数 8 + 负压病房床位数 15）"
    assert f'data-field="beds">{message}</div>' in body
    assert 'value="20"' in body and "夜间统计" in body
    assert db.session.scalar(select(EmergencyReport)) is None


def test_save_then_report_then_read_only(db, login_as):
    client = login_as("inst_admin")
    data = {**good_values(), "report_date": TODAY.isoformat(), "note": "", "action": "save"}
    assert _post(client, ADD, data, page=ADD).status_code == 302
    report = db.session.scalar(select(EmergencyReport))
    assert report.status == "未上报" and "未上报" in client.get(LIST).get_data(as_text=True)
    assert _post(client, f"/capacityreports/submit/{report.id}", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).status == "已上报"
    show = client.get(f"/capacityreports/show/{report.id}").get_data(as_text=True)
    assert "已上报的记录不能修改" in show and "30 张" in show
    resp = _post(client, f"/capacityreports/edit/{report.id}", {**data, "beds": "31"})
    assert "已上报，不能修改" in resp.get_data(as_text=True)
    _post(client, f"/capacityreports/delete/{report.id}", {})
    assert db.session.get(EmergencyReport, report.id) is not None


def test_direct_report_and_copy_last(db, login_as):
    client = login_as("inst_admin")
    data = {**good_values(beds=44), "report_date": (TODAY - datetime.timedelta(days=1)).isoformat(),
            "note": "上月数", "action": "report"}
    assert _post(client, ADD, data, page=ADD).status_code == 302
    assert db.session.scalar(select(EmergencyReport)).status == "已上报"
    copied = client.get(ADD + "?copy=1").get_data(as_text=True)
    assert 'value="44"' in copied and "上月数" in copied


def _clerk_may_draft(db):
    """inst_staff's role (人事科) gets 查看 and 编辑 on 机构能力上报, not 上报."""
    sm = appbuilder.sm
    user = db.session.scalar(select(User).where(User.username == "inst_staff"))
    role = user.roles[0]
    for perm in ("can_read", "can_write"):
        role.permissions.append(sm.find_permission_view_menu(perm, "机构能力上报"))
    for menu in ("机构能力上报", "应急资源管理"):
        role.permissions.append(sm.add_permission_view_menu("menu_access", menu))
    db.session.commit()


def test_a_clerk_without_the_report_right_drafts_but_cannot_report(db, login_as):
    _clerk_may_draft(db)
    report = _draft(db)
    clerk = login_as("inst_staff")
    form = clerk.get(ADD).get_data(as_text=True)
    assert "保存" in form and "直接上报" not in form
    data = {**good_values(), "report_date": TODAY.isoformat(), "note": ""}
    assert _post(clerk, ADD, {**data, "action": "report"}, page=ADD).status_code == 403
    assert _post(clerk, f"/capacityreports/submit/{report.id}", {}).status_code == 403
    assert _post(clerk, ADD, {**data, "action": "save"}, page=ADD).status_code == 302
    db.session.expire_all()
    assert [r.status for r in db.session.scalars(select(EmergencyReport))] == ["未上报", "未上报"]


def test_another_institution_gets_404_and_changes_nothing(db, login_as):
    report = _draft(db)
    other = login_as("inst2_admin")
    assert other.get(f"/capacityreports/show/{report.id}").status_code == 404
    assert other.get(f"/capacityreports/edit/{report.id}").status_code == 404
    assert _post(other, f"/capacityreports/submit/{report.id}", {}).status_code == 404
    assert _post(other, f"/capacityreports/delete/{report.id}", {}).status_code == 404
    assert 'data-id="' not in other.get(LIST).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).status == "未上报"


def test_list_searches_by_date_range_and_status(db, login_as):
    _draft(db)
    svc.save(_user(db, "inst_admin"), "capacity", good_values(), TODAY - datetime.timedelta(days=10), report=True)
    client = login_as("inst_admin")
    assert client.get(LIST).get_data(as_text=True).count('data-id="') == 2
    assert client.get(LIST + "?status=已上报").get_data(as_text=True).count('data-id="') == 1
    since = (TODAY - datetime.timedelta(days=1)).isoformat()
    one = client.get(LIST + f"?date_from={since}&date_to={TODAY.isoformat()}").get_data(as_text=True)
    assert one.count('data-id="') == 1 and "未上报" in one
    bad = client.get(LIST + "?date_from=明天").get_data(as_text=True)
    assert 'data-field="date_from">上报时间（起）格式应为 2026-01-31</div>' in bad


def test_export_follows_the_search(db, login_as):
    _draft(db, beds=33)
    svc.save(_user(db, "inst_admin"), "capacity", good_values(beds=44), TODAY, report=True)
    client = login_as("inst_admin")
    assert "导出 Excel" in client.get(LIST).get_data(as_text=True)
    data = client.get("/capacityreports/export/?status=已上报").data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("上报时间", "上报状态", "实有床位数", "重症监护(ICU)床位数")
    assert len(rows) == 2 and rows[1][1:3] == ("已上报", 44) and rows[1][-2] == "inst_admin"
    assert len(list(load_workbook(io.BytesIO(login_as("inst2_admin").get("/capacityreports/export/").data))
                    .active.iter_rows())) == 1  # another institution: the header only


def test_a_returned_report_is_editable_again_with_the_reason_shown(db, login_as):
    report = svc.save(_user(db, "inst_admin"), "capacity", good_values(), TODAY, report=True)
    report.status, report.return_reason = svc.RETURNED, "负压病房床位数与上月不符"  # what the region's 退回 will do
    db.session.commit()
    client = login_as("inst_admin")
    assert "退回原因：负压病房床位数与上月不符" in client.get(LIST).get_data(as_text=True)
    form = client.get(f"/capacityreports/edit/{report.id}").get_data(as_text=True)
    assert "已退回，原因：负压病房床位数与上月不符" in form and "保存并上报" in form
    data = {**good_values(negative_pressure_beds=10), "report_date": TODAY.isoformat(), "note": "",
            "action": "report"}
    assert _post(client, f"/capacityreports/edit/{report.id}", data,
                 page=f"/capacityreports/edit/{report.id}").status_code == 302
    db.session.expire_all()
    again = db.session.get(EmergencyReport, report.id)
    assert again.status == "已上报" and svc.values_of(again)["negative_pressure_beds"] == 10
