"""车辆档案管理 and 应急医疗设备档案管理 (issue 14, 5.2(1) / 5.4(1)): add / edit / delete as inst_admin, Chinese
refusals, 车牌号码 unique per institution, another institution's rows invisible, counts_by_type for the reports."""
from sqlalchemy import select

from app.models.emergency_registers import Equipment, Vehicle
from app.models.org import Institution
from app.services.emergency_registers import counts_by_type
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token

VEHICLES = "/emergency/vehicles"
EQUIPMENT = "/emergency/equipment"


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _vehicle(db, inst, plate, vehicle_type="普通型救护车", status="在用"):
    v = Vehicle(institution_id=inst.id, plate_no=plate, vehicle_type=vehicle_type, status=status)
    db.session.add(v)
    db.session.commit()
    return v


def _add_vehicle(c, token, **fields):
    data = {"csrf_token": token, "plate_no": "鄂A12345", "vehicle_type": "负压救护车", "brand_model": "福特全顺",
            "vin": "", "purchase_date": "", "status": "在用", "note": "", **fields}
    return c.post(f"{VEHICLES}/add", data=data, follow_redirects=True)


def test_owner_adds_edits_and_deletes_a_vehicle(db, login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, f"{VEHICLES}/add")
    _add_vehicle(c, token, plate_no=" 鄂ad12345 ", vin="1m8gdm9axkp042788")
    html = c.get(f"{VEHICLES}/list/").get_data(as_text=True)
    v = db.session.scalar(select(Vehicle))
    assert v is not None and v.plate_no == "鄂AD12345" and v.vin == "1M8GDM9AXKP042788"
    assert v.institution_id == _inst(db, JIANGXIA_CODE).id
    assert "鄂AD12345" in html and "负压救护车" in html

    resp = c.post(f"{VEHICLES}/edit/{v.id}", data={
        "csrf_token": token, "plate_no": "鄂AD12345", "vehicle_type": "负压救护车", "status": "维修",
        "brand_model": "", "vin": "", "purchase_date": "2024-03-01", "note": "", "version": v.version},
        follow_redirects=True)
    assert resp.status_code == 200
    db.session.expire_all()
    assert v.status == "维修" and str(v.purchase_date) == "2024-03-01" and v.vin is None

    listing = c.get(f"{VEHICLES}/list/").get_data(as_text=True)
    assert "确定要删除这条记录吗" in listing  # FAB's delete confirm, in Chinese
    assert c.get(f"{VEHICLES}/delete/{v.id}").status_code == 405  # never by a link
    c.post(f"{VEHICLES}/delete/{v.id}", data={"csrf_token": token})
    assert db.session.scalar(select(Vehicle)) is None


def test_bad_plate_and_vin_are_refused_in_chinese(db, login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, f"{VEHICLES}/add")
    html = _add_vehicle(c, token, plate_no="鄂AO1234", vin="1M8GDM9A1KP042788").get_data(as_text=True)
    assert "车牌号码“鄂AO1234”不能含字母 I 或 O" in html
    assert "车辆识别代号第 9 位校验位应为 X（现为 1）" in html
    assert 'value="鄂AO1234"' in html  # the form is shown again with what was typed
    assert db.session.scalar(select(Vehicle)) is None


def test_plate_is_unique_per_institution_only(db, login_as):
    _vehicle(db, _inst(db, WUCHANG_CODE), "鄂A12345")  # the same plate elsewhere does not count
    c = login_as("inst_admin")
    token = csrf_token(c, f"{VEHICLES}/add")
    _add_vehicle(c, token)
    html = _add_vehicle(c, token, plate_no="鄂a12345").get_data(as_text=True)
    assert "车牌号码“鄂A12345”已在本机构车辆档案中登记" in html
    mine = _inst(db, JIANGXIA_CODE)
    assert len(db.session.scalars(select(Vehicle).where(Vehicle.institution_id == mine.id)).all()) == 1

    # editing another vehicle onto the taken plate is refused too
    other = _vehicle(db, mine, "鄂A54321")
    resp = c.post(f"{VEHICLES}/edit/{other.id}", data={
        "csrf_token": token, "plate_no": "鄂A12345", "vehicle_type": "转运车", "status": "在用",
        "brand_model": "", "vin": "", "purchase_date": "", "note": "", "version": other.version},
        follow_redirects=True)
    assert "已在本机构车辆档案中登记" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert other.plate_no == "鄂A54321"


def test_another_institutions_rows_are_invisible(db, login_as):
    theirs = _vehicle(db, _inst(db, WUCHANG_CODE), "鄂A88888")
    kit = Equipment(institution_id=_inst(db, WUCHANG_CODE).id, name="武昌呼吸机", equipment_type="有创呼吸机",
                    quantity=2, status="在用")
    db.session.add(kit)
    db.session.commit()
    c = login_as("inst_admin")
    assert "鄂A88888" not in c.get(f"{VEHICLES}/list/").get_data(as_text=True)
    assert "武昌呼吸机" not in c.get(f"{EQUIPMENT}/list/").get_data(as_text=True)
    assert c.get(f"{VEHICLES}/show/{theirs.id}").status_code == 404
    assert c.get(f"{VEHICLES}/edit/{theirs.id}").status_code == 404
    assert c.get(f"{EQUIPMENT}/edit/{kit.id}").status_code == 404
    token = csrf_token(c, f"{VEHICLES}/list/")
    assert c.post(f"{VEHICLES}/delete/{theirs.id}", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Vehicle, theirs.id) is not None


def test_search_by_type_and_status(db, login_as):
    mine = _inst(db, JIANGXIA_CODE)
    _vehicle(db, mine, "鄂A11111", "负压救护车", "在用")
    _vehicle(db, mine, "鄂A22222", "负压救护车", "报废")
    _vehicle(db, mine, "鄂A33333", "转运车", "在用")
    c = login_as("inst_admin")
    page = c.get(f"{VEHICLES}/list/").get_data(as_text=True)
    assert "车辆类型" in page and "使用状态" in page
    html = c.get(f"{VEHICLES}/list/?_flt_0_vehicle_type=负压救护车&_flt_0_status=在用").get_data(as_text=True)
    assert "鄂A11111" in html and "鄂A22222" not in html and "鄂A33333" not in html
    html = c.get(f"{VEHICLES}/list/?_flt_1_status=报废").get_data(as_text=True)  # 不等于
    assert "鄂A11111" in html and "鄂A22222" not in html and "鄂A33333" in html


def test_type_and_status_are_searched_by_equality(app):
    """A dropdown of fixed values offers 等于 / 不等于, not the free-text operations (开头是 …)."""
    from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, FilterStartsWith

    from app.views.emergency_registers import EquipmentView, VehicleView

    for view, column in ((VehicleView, "vehicle_type"), (EquipmentView, "equipment_type")):
        filters = view.datamodel.get_filters([column, "status"])
        for col in (column, "status"):
            assert [type(f) for f in filters.get_search_filters()[col]] == [FilterEqual, FilterNotEqual]
    plate = VehicleView.datamodel.get_filters(["plate_no"]).get_search_filters()["plate_no"]
    assert FilterStartsWith in [type(f) for f in plate]


def test_equipment_add_refusal_and_menu(db, login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, f"{EQUIPMENT}/add")
    base = {"csrf_token": token, "name": "呼吸机", "equipment_type": "有创呼吸机", "brand": "迈瑞", "model_spec": "SV300",
            "quantity": "3", "purchase_date": "", "status": "备用", "note": ""}
    html = c.post(f"{EQUIPMENT}/add", data={**base, "quantity": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "数量应为大于 0 的整数" in html and db.session.scalar(select(Equipment)) is None
    c.post(f"{EQUIPMENT}/add", data=base, follow_redirects=True)
    kit = db.session.scalar(select(Equipment))
    assert (kit.name, kit.quantity, kit.status, kit.institution_id) == ("呼吸机", 3, "备用", _inst(db, JIANGXIA_CODE).id)
    listing = c.get(f"{EQUIPMENT}/list/").get_data(as_text=True)
    assert "使用状况" in listing and "设备类型" in listing and "应急医疗设备档案管理" in listing


def test_counts_by_type_leave_out_stopped_and_scrapped(db):
    mine, other = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    for plate, kind, status in [("鄂A11111", "负压救护车", "在用"), ("鄂A22222", "负压救护车", "备用"),
                                ("鄂A33333", "负压救护车", "报废"), ("鄂A44444", "转运车", "维修"),
                                ("鄂A55555", "转运车", "停用"), ("鄂A66666", "转运车", "在用")]:
        _vehicle(db, mine, plate, kind, status)
    _vehicle(db, other, "鄂A11111", "负压救护车", "在用")
    assert counts_by_type(mine.id, "vehicle") == {"负压救护车": {"在用": 1, "备用": 1}, "转运车": {"维修": 1, "在用": 1}}
    db.session.add_all([
        Equipment(institution_id=mine.id, name="呼吸机A", equipment_type="有创呼吸机", quantity=3, status="在用"),
        Equipment(institution_id=mine.id, name="呼吸机B", equipment_type="有创呼吸机", quantity=2, status="在用"),
        Equipment(institution_id=mine.id, name="呼吸机C", equipment_type="有创呼吸机", quantity=4, status="报废"),
        Equipment(institution_id=mine.id, name="除颤仪", equipment_type="除颤仪", quantity=1, status="维修")])
    db.session.commit()
    assert counts_by_type(mine.id, "equipment") == {"有创呼吸机": {"在用": 5}, "除颤仪": {"维修": 1}}
    assert counts_by_type(other.id, "equipment") == {}


def test_registers_are_in_the_emergency_subsystem_menu(login_as):
    c = login_as("inst_admin")
    assert c.get("/subsystem/1").status_code == 302  # 应急资源管理
    home = c.get("/").get_data(as_text=True)
    assert "车辆档案管理" in home and "应急医疗设备档案管理" in home and "人员信息管理" not in home
    assert c.get("/subsystem/0").status_code == 302  # 基础资源管理
    assert "车辆档案管理" not in c.get("/").get_data(as_text=True)


def test_department_of_another_institution_is_not_accepted(db, login_as):
    from app.models.org import Department

    mine, other = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    ours, theirs = Department(institution_id=mine.id, name="急诊科"), Department(institution_id=other.id, name="武昌急诊科")
    db.session.add_all([ours, theirs])
    db.session.commit()
    c = login_as("inst_admin")
    form = c.get(f"{VEHICLES}/add").get_data(as_text=True)
    assert "急诊科" in form and "武昌急诊科" not in form  # the dropdown offers the caller's departments only
    token = csrf_token(c, f"{VEHICLES}/add")
    _add_vehicle(c, token, department=str(theirs.id))
    assert db.session.scalar(select(Vehicle)) is None
    _add_vehicle(c, token, department=str(ours.id))
    assert db.session.scalar(select(Vehicle.department_id)) == ours.id


def test_show_and_edit_pages_in_chinese(db, login_as):
    v = _vehicle(db, _inst(db, JIANGXIA_CODE), "鄂A77777", "指挥通讯车", "报废")
    c = login_as("inst_admin")
    show = c.get(f"{VEHICLES}/show/{v.id}").get_data(as_text=True)
    assert "车辆识别代号" in show and "使用状态" in show and '<span class="label label-danger">报废</span>' in show
    edit = c.get(f"{VEHICLES}/edit/{v.id}").get_data(as_text=True)
    assert "修改车辆" in edit and 'name="version"' in edit and 'value="鄂A77777"' in edit


def test_register_lists_export_what_is_searched_in_the_institution_only(db, login_as):
    import io

    from openpyxl import load_workbook

    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    _vehicle(db, jiangxia, "鄂A11111", "负压救护车")
    _vehicle(db, jiangxia, "鄂A22222", "转运车", status="报废")
    _vehicle(db, wuchang, "鄂A33333", "负压救护车")
    c = login_as("inst_admin")
    listing = c.get(f"{VEHICLES}/list/").get_data(as_text=True)
    assert f'href="{VEHICLES}/export/' in listing and "导出 Excel" in listing
    resp = c.get(f"{VEHICLES}/export/?_flt_0_vehicle_type=负压救护车")
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("no-store")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("车牌号码", "车辆类型", "品牌型号") and sheet.title == "车辆档案管理"
    assert [r[0] for r in rows[1:]] == ["鄂A11111"]  # searched; 武昌's vehicle never
    everything = list(load_workbook(io.BytesIO(c.get(f"{VEHICLES}/export/").data)).active.values)
    assert sorted(r[0] for r in everything[1:]) == ["鄂A11111", "鄂A22222"]
    db.session.add(Equipment(institution_id=jiangxia.id, name="呼吸机", equipment_type="有创呼吸机", quantity=3))
    db.session.commit()
    equipment = list(load_workbook(io.BytesIO(c.get(f"{EQUIPMENT}/export/").data)).active.values)
    assert equipment[1][:5] == ("呼吸机", "有创呼吸机", None, None, 3)
    assert login_as("region_admin").get(f"{VEHICLES}/export/").status_code in (302, 403)
