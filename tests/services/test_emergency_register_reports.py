"""机构车辆上报 (5.2(2)) and 应急医疗设备上报 (5.4(2)): lines are a snapshot of the register by type (停用 and 报废
left out, equipment adds up 数量, detail per status), kept when the register changes later (a draft without
recount, a reported report always), taken again on request; scoped to the institution; 5.1's prefill."""
import datetime

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.emergency_registers import EQUIPMENT_TYPES, VEHICLE_TYPES, Equipment, Vehicle
from app.models.emergency_reports import EmergencyIndicator, EmergencyReport
from app.models.org import Institution
from app.services import emergency_reports as svc
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.services.test_emergency_reports import _user

TODAY = datetime.date.today()


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _vehicle(db, plate, vehicle_type="负压救护车", status="在用", code=JIANGXIA_CODE):
    v = Vehicle(institution_id=_inst(db, code).id, plate_no=plate, vehicle_type=vehicle_type, status=status)
    db.session.add(v)
    db.session.commit()
    return v


def _equipment(db, equipment_type, quantity, status="在用", code=JIANGXIA_CODE):
    e = Equipment(institution_id=_inst(db, code).id, name=f"{equipment_type}{quantity}", equipment_type=equipment_type,
                  quantity=quantity, status=status)
    db.session.add(e)
    db.session.commit()
    return e


def _lines(report):
    codes = {i.code: i.name for i in svc.indicators(report.kind)}
    return {codes[line.item_code]: (line.value, line.detail) for line in report.lines}


def test_the_catalogue_has_one_indicator_per_register_type(db):
    for kind, types in (("vehicle", VEHICLE_TYPES), ("equipment", EQUIPMENT_TYPES)):
        items = svc.indicators(kind)
        assert [i.name for i in items] == list(types)
        assert all(i.code.isascii() and not i.total_code for i in items)
    assert db.session.scalar(select(EmergencyIndicator).where(
        EmergencyIndicator.kind == "vehicle", EmergencyIndicator.name == "负压救护车")).code == "negative_pressure"


def test_vehicle_counts_by_type_without_stopped_or_scrapped(db):
    _vehicle(db, "鄂A11111")
    _vehicle(db, "鄂A11112", status="备用")
    _vehicle(db, "鄂A11113", status="报废")
    _vehicle(db, "鄂A11114", status="停用")
    _vehicle(db, "鄂A11115", "普通型救护车", status="维修")
    _vehicle(db, "鄂A22222", code=WUCHANG_CODE)  # another institution's vehicle is never counted
    report = svc.save(_user(db, "inst_admin"), "vehicle", {}, TODAY)
    lines = _lines(report)
    assert len(lines) == len(VEHICLE_TYPES)
    assert lines["负压救护车"] == (2, {"在用": 1, "备用": 1, "维修": 0})
    assert lines["普通型救护车"] == (1, {"在用": 0, "备用": 0, "维修": 1})
    assert lines["转运车"] == (0, {"在用": 0, "备用": 0, "维修": 0})
    assert svc.details_of(report)["negative_pressure"] == "在用 1 + 备用 1 + 维修 0"
    other = svc.save(_user(db, "inst2_admin"), "vehicle", {}, TODAY)
    assert _lines(other)["负压救护车"] == (1, {"在用": 1, "备用": 0, "维修": 0})


def test_equipment_adds_up_quantities(db):
    _equipment(db, "有创呼吸机", 3)
    _equipment(db, "有创呼吸机", 2, status="备用")
    _equipment(db, "有创呼吸机", 5, status="报废")
    _equipment(db, "ECMO", 1, status="维修")
    _equipment(db, "ECMO", 4, code=WUCHANG_CODE)
    lines = _lines(svc.save(_user(db, "inst_admin"), "equipment", {}, TODAY))
    assert len(lines) == len(EQUIPMENT_TYPES)
    assert lines["有创呼吸机"] == (5, {"在用": 3, "备用": 2, "维修": 0})
    assert lines["ECMO"] == (1, {"在用": 0, "备用": 0, "维修": 1})
    assert lines["CT"][0] == 0


def test_a_draft_keeps_its_snapshot_unless_recounted(db):
    user = _user(db, "inst_admin")
    _vehicle(db, "鄂A11111")
    report = svc.save(user, "vehicle", {}, TODAY)
    _vehicle(db, "鄂A11112", status="备用")
    report = svc.save(user, "vehicle", {svc.RECOUNT: False}, TODAY, note="改说明", pk=report.id,
                      version=report.version)
    assert _lines(report)["负压救护车"][0] == 1 and report.note == "改说明"
    report = svc.save(user, "vehicle", {svc.RECOUNT: True}, TODAY, pk=report.id, version=report.version)
    assert _lines(report)["负压救护车"] == (2, {"在用": 1, "备用": 1, "维修": 0})


def test_a_reported_report_keeps_its_snapshot_whatever_the_register_does(db):
    user = _user(db, "inst_admin")
    first = _vehicle(db, "鄂A11111")
    _vehicle(db, "鄂A11112", status="备用")
    draft = svc.save(user, "vehicle", {}, TODAY)
    reported = svc.save(user, "vehicle", {}, TODAY, report=True)
    first.status = "报废"
    _vehicle(db, "鄂A11113")
    db.session.commit()
    submitted = svc.submit(user, draft.id, version=draft.version)  # 上报 of a saved draft keeps its snapshot too
    db.session.expire_all()
    for pk in (reported.id, submitted.id):
        report = db.session.get(EmergencyReport, pk)
        assert report.status == svc.REPORTED
        assert _lines(report)["负压救护车"] == (2, {"在用": 1, "备用": 1, "维修": 0})
    with pytest.raises(DomainError, match="已上报，不能修改"):
        svc.save(user, "vehicle", {svc.RECOUNT: True}, TODAY, pk=reported.id)
    assert svc.snapshot(user, "vehicle")["negative_pressure"] == (2, {"在用": 1, "备用": 1, "维修": 0})


def test_register_kinds_are_not_copied(db):
    user = _user(db, "inst_admin")
    svc.save(user, "vehicle", {}, TODAY, report=True)
    with pytest.raises(DomainError, match="按档案统计"):
        svc.copy_last(user, "vehicle")


def test_capacity_prefill_counts_ambulances_from_the_register(db):
    _vehicle(db, "鄂A11111")
    _vehicle(db, "鄂A11112", "监护型救护车", status="维修")
    _vehicle(db, "鄂A11113", "普通型救护车", status="备用")
    _vehicle(db, "鄂A11114", "普通型救护车", status="报废")
    _vehicle(db, "鄂A11115", "转运车")  # not an ambulance
    _vehicle(db, "鄂A22222", code=WUCHANG_CODE)
    assert svc.capacity_prefill(_user(db, "inst_admin")) == {"ambulances": 3, "negative_pressure_ambulances": 1}
    assert svc.capacity_prefill(_user(db, "inst2_admin")) == {"ambulances": 1, "negative_pressure_ambulances": 1}
