"""Review trail shared by every workflow (certification, change requests, resignation, probation)."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import relationship


class ReviewRecord(Model):
    """One transition of one reviewed item: who, when, from which status to which, and the opinion."""

    __tablename__ = "review_record"

    id = Column(Integer, primary_key=True)
    entity = Column(String(40), nullable=False, index=True)  # e.g. "certification"
    entity_id = Column(Integer, nullable=False, index=True)
    institution_id = Column(Integer, nullable=True, index=True)
    action = Column(String(20), nullable=False)
    from_status = Column(String(20), nullable=False)
    to_status = Column(String(20), nullable=False)
    actor_id = Column(Integer, nullable=True)
    actor_name = Column(String(128), nullable=True)
    at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    opinion = Column(Text, nullable=True)


class ChangeRequest(Model):
    """机构信息修改 (spec 3.1 说明 1): new values of 主体信息 fields, a reason and files, reviewed by the county."""

    __tablename__ = "change_request"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    changes = Column(JSON, nullable=False)  # {field: [old, new]}
    reason = Column(Text, nullable=False)
    files = Column(JSON, nullable=True)  # [{"path", "filename", "kind"}]
    status = Column(String(10), nullable=False, default="草稿")
    opinion = Column(Text, nullable=True)
    created_by = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    submitted_at = Column(DateTime, nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    reviewer_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)

    institution = relationship("Institution")


class LocationReport(Model):
    """A position sent by a phone that scanned the 经纬度 QR code (spec 3.1 说明 2), picked up by the desktop page."""

    __tablename__ = "location_report"

    id = Column(Integer, primary_key=True)
    token = Column(String(64), nullable=False, unique=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    latitude = Column(String(20), nullable=True)
    longitude = Column(String(20), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    received_at = Column(DateTime, nullable=True)
