"""Registers of 应急资源管理 (spec 5.2(1), 5.4(1)): the institution's own vehicles and emergency medical equipment.
"不属于上报功能" [spec]: no status of their own, not sent anywhere; the reports count them by type.

Types and statuses are fixed lists (emergency.md), kept as enums here, not dictionary rows: the reports and the
regional totals group by them, so a province cannot rename one without a migration of the reports anyway."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declared_attr, relationship

from app.models.versioning import Versioned

VEHICLE_TYPES = ("负压救护车", "监护型救护车", "普通型救护车", "转运车", "指挥通讯车", "其他")
EQUIPMENT_TYPES = ("有创呼吸机", "无创呼吸机", "高流量湿化氧疗仪", "心电监护仪", "除颤仪", "输注泵", "ECMO", "移动DR", "CT",
                   "制氧/供氧设备", "其他")
USE_STATUSES = ("在用", "备用", "维修", "停用", "报废")  # 车辆 使用状态, 设备 使用状况 [spec]
NOT_COUNTED = ("停用", "报废")  # left out of the reports [spec]


class _RegisterRow(Versioned):
    """What both registers hold besides their own fields: owner, 购置日期, 使用状态/状况, 科室, 备注."""

    id = Column(Integer, primary_key=True)
    purchase_date = Column(Date, nullable=True)
    status = Column(String(10), nullable=False, default="在用")
    note = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)

    @declared_attr
    def institution_id(cls):
        return Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)

    @declared_attr
    def department_id(cls):
        return Column(Integer, ForeignKey("department.id"), nullable=True, index=True)

    @declared_attr
    def department(cls):
        return relationship("Department")


class Vehicle(_RegisterRow, Model):
    """车辆档案 (5.2(1)); 车牌号码 unique per institution."""

    __tablename__ = "emergency_vehicle"
    __table_args__ = (UniqueConstraint("institution_id", "plate_no", name="uq_emergency_vehicle_plate"),)

    plate_no = Column(String(10), nullable=False)
    vehicle_type = Column(String(20), nullable=False)
    brand_model = Column(String(100), nullable=True)
    vin = Column(String(17), nullable=True)

    def __repr__(self):
        return self.plate_no


class Equipment(_RegisterRow, Model):
    """应急医疗设备档案 (5.4(1)); 数量 counts identical units in one row."""

    __tablename__ = "emergency_equipment"

    name = Column(String(100), nullable=False)
    equipment_type = Column(String(20), nullable=False)
    brand = Column(String(50), nullable=True)
    model_spec = Column(String(100), nullable=True)
    quantity = Column(Integer, nullable=False, default=1)

    def __repr__(self):
        return self.name
