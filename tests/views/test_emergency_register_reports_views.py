"""机构车辆上报 / 应急医疗设备上报 through the pages: the form shows each type's count and how it was made, saving
writes the lines, 修改 shows the snapshot (recount on request), show and export carry the detail, no 复制上次上报,
上报 as its own right, 5.1's 救护车数 prefilled from 车辆档案 with the hint."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import appbuilder
from app.models.emergency_reports import EmergencyReport
from app.models.security import User
from app.services import emergency_reports as svc
from tests.conftest import csrf_token
from tests.services.test_emergency_register_reports import _equipment, _vehicle
from tests.services.test_emergency_reports import TODAY, _user

LIST = "/vehiclereports/list/"
ADD = "/vehiclereports/add"


def _post(client, url, data, page=ADD):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)})


def _three_vehicles(db):
    _vehicle(db, "鄂A11111")
    _vehicle(db, "鄂A11112", status="备用")
    _vehicle(db, "鄂A11113", status="报废")


def test_the_form_shows_counts_and_how_they_were_made(db, login_as):
    _three_vehicles(db)
    client = login_as("inst_admin")
    listing = client.get(LIST).get_data(as_text=True)
    assert "新增" in listing and "复制上次上报" not in listing
    form = client.get(ADD).get_data(as_text=True)
    assert "负压救护车" in form and "2（在用 1 + 备用 1 + 维修 0）" in form
    assert "转运车" in form and "0（在用 0 + 备用 0 + 维修 0）" in form
    assert "停用、报废的车辆不计入" in form and 'href="/emergency/vehicles/list/"' in form
    assert "直接上报" in form and 'name="recount"' not in form  # nothing to recount on 新增


def test_saving_creates_the_lines_and_edit_keeps_the_snapshot(db, login_as):
    _three_vehicles(db)
    client = login_as("inst_admin")
    data = {"report_date": TODAY.isoformat(), "note": "月报", "action": "save"}
    assert _post(client, ADD, data).status_code == 302
    report = db.session.scalar(select(EmergencyReport))
    assert report.kind == "vehicle" and report.status == "未上报"
    assert {line.item_code: line.value for line in report.lines}["negative_pressure"] == 2
    assert len(report.lines) == len(svc.indicators("vehicle"))

    _vehicle(db, "鄂A11114", status="维修")
    edit = f"/vehiclereports/edit/{report.id}"
    form = client.get(edit).get_data(as_text=True)
    assert "2（在用 1 + 备用 1 + 维修 0）" in form and "按当前档案重新统计" in form
    assert _post(client, edit, {**data, "version": report.version}, page=edit).status_code == 302
    db.session.expire_all()
    assert svc.values_of(db.session.get(EmergencyReport, report.id))["negative_pressure"] == 2
    report = db.session.get(EmergencyReport, report.id)
    assert _post(client, edit, {**data, "recount": "1", "version": report.version}, page=edit).status_code == 302
    db.session.expire_all()
    assert svc.lines_of(db.session.get(EmergencyReport, report.id))["negative_pressure"] == (
        3, {"在用": 1, "备用": 1, "维修": 1})


def test_a_refused_date_keeps_the_counts_and_the_note(db, login_as):
    _three_vehicles(db)
    client = login_as("inst_admin")
    resp = _post(client, ADD, {"report_date": "明天", "note": "夜间统计", "action": "save"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-field="report_date">请填写上报时间' in body
    assert "夜间统计" in body and "2（在用 1 + 备用 1 + 维修 0）" in body
    assert db.session.scalar(select(EmergencyReport)) is None


def test_show_and_export_carry_the_detail_after_the_register_changed(db, login_as):
    _three_vehicles(db)
    report = svc.save(_user(db, "inst_admin"), "vehicle", {}, TODAY, report=True)
    _vehicle(db, "鄂A11115")  # after 上报: the report does not change
    client = login_as("inst_admin")
    show = re.sub(r"<[^>]+>", "", client.get(f"/vehiclereports/show/{report.id}").get_data(as_text=True))
    assert "2 辆（在用 1 + 备用 1 + 维修 0）" in show and "已上报的记录不能修改" in show
    rows = list(load_workbook(io.BytesIO(client.get("/vehiclereports/export/").data)).active.iter_rows(
        values_only=True))
    assert rows[0][2:4] == ("负压救护车", "负压救护车（在用+备用+维修）")
    assert rows[1][1:4] == ("已上报", 2, "在用 1 + 备用 1 + 维修 0")


def test_equipment_report_adds_up_quantities(db, login_as):
    _equipment(db, "有创呼吸机", 3)
    _equipment(db, "有创呼吸机", 2, status="停用")
    client = login_as("inst_admin")
    form = client.get("/equipmentreports/add").get_data(as_text=True)
    assert "3（在用 3 + 备用 0 + 维修 0）" in form and "停用、报废的设备不计入" in form
    assert "复制上次上报" not in client.get("/equipmentreports/list/").get_data(as_text=True)
    data = {"report_date": TODAY.isoformat(), "note": "", "action": "report"}
    assert _post(client, "/equipmentreports/add", data, page="/equipmentreports/add").status_code == 302
    report = db.session.scalar(select(EmergencyReport))
    assert report.status == "已上报" and svc.values_of(report)["invasive_ventilator"] == 3


def _clerk_may_draft(db):
    """inst_staff's role gets 查看 and 编辑 on 机构车辆上报, not 上报."""
    sm = appbuilder.sm
    role = db.session.scalar(select(User).where(User.username == "inst_staff")).roles[0]
    for perm in ("can_read", "can_write"):
        role.permissions.append(sm.find_permission_view_menu(perm, "机构车辆上报"))
    for menu in ("机构车辆上报", "应急资源管理"):
        role.permissions.append(sm.add_permission_view_menu("menu_access", menu))
    db.session.commit()


def test_a_clerk_without_the_report_right_gets_403_on_direct_report(db, login_as):
    _clerk_may_draft(db)
    _three_vehicles(db)
    clerk = login_as("inst_staff")
    form = clerk.get(ADD).get_data(as_text=True)
    assert "保存" in form and "直接上报" not in form and "2（在用 1 + 备用 1 + 维修 0）" in form
    data = {"report_date": TODAY.isoformat(), "note": ""}
    assert _post(clerk, ADD, {**data, "action": "report"}).status_code == 403
    assert db.session.scalar(select(EmergencyReport)) is None
    assert _post(clerk, ADD, {**data, "action": "save"}).status_code == 302
    db.session.expire_all()
    assert [r.status for r in db.session.scalars(select(EmergencyReport))] == ["未上报"]


def test_capacity_add_is_prefilled_from_the_vehicle_register(db, login_as):
    _three_vehicles(db)
    _vehicle(db, "鄂A11116", "普通型救护车", status="维修")
    client = login_as("inst_admin")
    form = client.get("/capacityreports/add").get_data(as_text=True)
    assert 'name="ambulances" inputmode="numeric"\n      value="3"' in form
    assert 'name="negative_pressure_ambulances" inputmode="numeric"\n      value="2"' in form
    assert form.count("按车辆档案预填，可修改") == 2
