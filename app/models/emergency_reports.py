"""应急资源上报 (spec 5.1, 5.2(2), 5.3, 5.4(2)): one report engine. A report is a header with lines; the kinds'
indicator catalogues are data (emergency_indicator, seeded from app/data/emergency_indicators.csv)."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from app.models.versioning import Versioned


class EmergencyIndicator(Model):
    """One indicator (or item) of a report kind; `total_code` names the group total it is a part of."""

    __tablename__ = "emergency_indicator"
    __table_args__ = (UniqueConstraint("kind", "code", name="uq_emergency_indicator_kind_code"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(30), nullable=False)
    code = Column(String(50), nullable=False)
    name = Column(String(100), nullable=False)
    total_code = Column(String(50), nullable=True)
    unit = Column(String(20), nullable=True)
    order = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)


class EmergencyReport(Versioned, Model):
    """A report of an institution: 未上报 (editable) → 已上报 (read-only) → 已退回 by the region (editable)."""

    __tablename__ = "emergency_report"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    kind = Column(String(30), nullable=False)
    report_date = Column(Date, nullable=False)  # 上报时间 (the date the figures are for)
    status = Column(String(10), nullable=False, default="未上报")
    note = Column(Text, nullable=True)  # 填报说明
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    reported_at = Column(DateTime, nullable=True)
    reported_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    return_reason = Column(Text, nullable=True)

    lines = relationship("EmergencyReportLine", cascade="all, delete-orphan", order_by="EmergencyReportLine.id",
                         back_populates="report")
    institution = relationship("Institution")
    reported_by = relationship("User", foreign_keys=[reported_by_id])


class EmergencyReportLine(Model):
    """One value of a report: an indicator or item code, its number and, for snapshots, how it was made."""

    __tablename__ = "emergency_report_line"
    __table_args__ = (UniqueConstraint("report_id", "item_code", name="uq_emergency_report_line_item"),)

    id = Column(Integer, primary_key=True)
    report_id = Column(Integer, ForeignKey("emergency_report.id", ondelete="CASCADE"), nullable=False, index=True)
    item_code = Column(String(50), nullable=False)
    value = Column(Integer, nullable=False, default=0)
    detail = Column(JSON, nullable=True)

    report = relationship("EmergencyReport", back_populates="lines")
