"""车辆档案 and 应急医疗设备档案 (spec 5.2(1), 5.4(1)): the rules a register row must meet, and the counts by type
the reports start from (5.2(2), 5.4(2)). The rows themselves are written by FAB ModelViews
(views/emergency_registers.py), which call `vehicle_problems` / `equipment_problems` in pre_add / pre_update."""
from sqlalchemy import func, select

from app.domain.vehicle import normalize_plate, normalize_vin, plate_problems, vin_problems
from app.extensions import db
from app.models.emergency_registers import (
    EQUIPMENT_TYPES,
    NOT_COUNTED,
    USE_STATUSES,
    VEHICLE_TYPES,
    Equipment,
    Vehicle,
)

VEHICLE_LABELS = {"plate_no": "车牌号码", "vehicle_type": "车辆类型", "brand_model": "品牌型号", "vin": "车辆识别代号",
                  "purchase_date": "购置日期", "status": "使用状态", "department": "所属科室",
                  "department_id": "所属科室", "note": "备注", "institution": "所属机构"}
EQUIPMENT_LABELS = {"name": "设备名称", "equipment_type": "设备类型", "brand": "品牌", "model_spec": "规格型号",
                    "quantity": "数量", "purchase_date": "购置日期", "department": "所在科室",
                    "department_id": "所在科室", "status": "使用状况", "note": "备注", "institution": "所属机构"}
KINDS = {"vehicle": (Vehicle, Vehicle.vehicle_type, func.count(Vehicle.id)),
         "equipment": (Equipment, Equipment.equipment_type, func.sum(Equipment.quantity))}


def _choice_problem(value, choices, label):
    return [] if value in choices else [f"请选择{label}（{'、'.join(choices)}）"]


def vehicle_problems(vehicle: Vehicle) -> list[str]:
    """Every problem of a vehicle row (normalises 车牌号码 and VIN in place); [] when it may be saved."""
    vehicle.plate_no = normalize_plate(vehicle.plate_no)
    vehicle.vin = normalize_vin(vehicle.vin) or None
    problems = plate_problems(vehicle.plate_no) + vin_problems(vehicle.vin)
    problems += _choice_problem(vehicle.vehicle_type, VEHICLE_TYPES, "车辆类型")
    problems += _choice_problem(vehicle.status, USE_STATUSES, "使用状态")
    if vehicle.plate_no and vehicle.institution_id is not None:
        with db.session.no_autoflush:  # an edited row is in the session: not written before it is checked
            clash = db.session.scalar(select(Vehicle.id).where(
                Vehicle.institution_id == vehicle.institution_id, Vehicle.plate_no == vehicle.plate_no,
                Vehicle.id != (vehicle.id or 0)).limit(1))
        if clash is not None:
            problems.append(f"车牌号码“{vehicle.plate_no}”已在本机构车辆档案中登记")
    return problems


def equipment_problems(item: Equipment) -> list[str]:
    item.name = (item.name or "").strip()
    problems = [] if item.name else ["请填写设备名称"]
    problems += _choice_problem(item.equipment_type, EQUIPMENT_TYPES, "设备类型")
    problems += _choice_problem(item.status, USE_STATUSES, "使用状况")
    if item.quantity is None or item.quantity < 1:
        problems.append("数量应为大于 0 的整数")
    return problems


def counts_by_type(institution_id, kind: str) -> dict[str, dict[str, int]]:
    """{type: {status: n}} of the institution's register, 停用 and 报废 left out [spec]; one GROUP BY query.
    kind "vehicle" counts rows, "equipment" adds up 数量."""
    model, type_column, amount = KINDS[kind]
    rows = db.session.execute(
        select(type_column, model.status, amount)
        .where(model.institution_id == institution_id, model.status.not_in(NOT_COUNTED))
        .group_by(type_column, model.status))
    counts: dict[str, dict[str, int]] = {}
    for type_, status, n in rows:
        counts.setdefault(type_, {})[status] = int(n or 0)
    return counts
