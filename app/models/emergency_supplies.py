"""应急物资资源 and 应急药械资源 (spec 5.5, 5.6): one shape for six menu entries — resource (物资 / 药械) × report
(存量上报 / 月估用量填报 / 日消耗上报). An entry is one quantity of one item for one day or month of one institution;
reporting the same key again is an edit of the entry, never a second one."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app.models.versioning import Versioned

RESOURCES = {"supply": "应急物资资源", "drugdevice": "应急药械资源"}
SUPPLY_CATEGORIES = ("防护用品", "消杀用品", "检测试剂", "医用耗材", "其他")
DRUG_DEVICE_CATEGORIES = ("药品", "医疗器械", "体外诊断试剂", "医用耗材")
DRUG_CATEGORY = "药品"  # 药械 items of this class come from the drug dictionary of 5.3


class SupplyItem(Model):
    """One item of the 物资目录 or of the 药械 device/reagent catalogue (drugs come from drug_item); data, seeded
    from app/data/supplies.csv."""

    __tablename__ = "supply_item"

    id = Column(Integer, primary_key=True)
    resource = Column(String(20), nullable=False)
    code = Column(String(30), nullable=False, unique=True)
    category = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    spec = Column(String(60), nullable=False, default="")
    unit = Column(String(10), nullable=False)
    decimals = Column(Boolean, nullable=False, default=False)  # the unit can be split (kg, L): 2 decimals allowed
    order = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        return self.name


class SupplyEntry(Versioned, Model):
    """One reported quantity: institution × resource × report × item × day (月估用量: the month's first day). The
    item's name, 类别, 规格型号 and 计量单位 are kept as reported; `warnings` are the checks shown before saving."""

    __tablename__ = "supply_entry"
    __table_args__ = (
        UniqueConstraint("institution_id", "resource", "report", "item_code", "day", name="uq_supply_entry_key"),
        Index("ix_supply_entry_summary", "resource", "report", "day", "item_code"),
    )

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False)
    resource = Column(String(20), nullable=False)
    report = Column(String(20), nullable=False)
    day = Column(Date, nullable=False)
    item_code = Column(String(40), nullable=False)  # supply_item.code, or "drug:" + drug_item.code
    category = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    spec = Column(String(60), nullable=False, default="")
    unit = Column(String(10), nullable=False)
    quantity = Column(Numeric(14, 2), nullable=False)
    note = Column(Text, nullable=True)
    warnings = Column(JSON, nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    changed_at = Column(DateTime, nullable=True)
    changed_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    change_count = Column(Integer, nullable=False, default=0)  # 修改次数, shown to the region

    institution = relationship("Institution")


class SupplyDay(Model):
    """The region's figures of one institution's item on one day (domain.supplies.DayFigures), derived from the
    entries of the 7 days ending on it and rewritten with them: emergency_supplies.report / update / delete refresh
    the 7 days an entry enters, in their transaction. 区域管理 → 应急资源汇总 reads one row per institution and item
    instead of a week of entries (issue 15's speed targets, docs/benchmarks.md)."""

    __tablename__ = "supply_day"
    __table_args__ = (
        # the summary of a day: its rows for the institutions in scope, read from the index alone
        Index("ix_supply_day_summary", "resource", "day", "institution_id", "item_code", "stock", "stock_today",
              "used", "used_today", "average", "changes", "changed_at"),
    )

    institution_id = Column(Integer, ForeignKey("institution.id"), primary_key=True)
    resource = Column(String(20), primary_key=True)
    item_code = Column(String(40), primary_key=True)
    day = Column(Date, primary_key=True)
    stock = Column(Numeric(14, 2), nullable=True)
    stock_today = Column(Integer, nullable=False, default=0)  # 1: the stock was reported on the day
    used = Column(Numeric(14, 2), nullable=True)
    used_today = Column(Integer, nullable=False, default=0)
    average = Column(Numeric(20, 6), nullable=True)
    changes = Column(Integer, nullable=False, default=0)
    changed_at = Column(DateTime, nullable=True)
