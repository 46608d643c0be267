"""Staff movements (spec 4.4): the reviewed resignation that frees an ID number, and the transfer request of an
institution that wants to enter a person another institution still holds."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import relationship

from app.models.versioning import Versioned


class Resignation(Versioned, Model):
    """员工离职: one person's leaving (type = a 流出 code of staff_flow.csv, date, note), 草稿 → 待审核 → 已通过 |
    已驳回 through the review engine (services/reviews.py); 已通过 sets the person's status (离职, 退休 for 24)."""

    __tablename__ = "resignation"
    __table_args__ = (Index("ix_resignation_institution_status", "institution_id", "status"),)

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    person_id = Column(Integer, ForeignKey("person.id"), nullable=False, index=True)
    flow_type = Column(String(4), nullable=False)  # 离职类型: staff_flow code 21…29
    leave_date = Column(Date, nullable=False)  # 离职时间
    note = Column(Text, nullable=True)  # 离职说明
    status = Column(String(10), nullable=False, default="草稿")
    opinion = Column(Text, nullable=True)
    transfer_request_id = Column(Integer, ForeignKey("transfer_request.id"), nullable=True, index=True)
    created_by = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    submitted_by = Column(String(128), nullable=True)
    submitted_at = Column(DateTime, nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    reviewer_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)

    institution = relationship("Institution")
    person = relationship("Person")
    reviewer = relationship("User", foreign_keys=[reviewer_id])
    transfer_request = relationship("TransferRequest", foreign_keys=[transfer_request_id])


class TransferRequest(Versioned, Model):
    """申请调入: the requesting institution asks the holder of an active ID number to release the person.

    status: 待处理 → 已办理离职 (the holder started the resignation; its review decides) | 已拒绝 (with a reason) |
    已过期 (30 days without an answer) | 已撤回 (by the requester); 已完成 once the requester entered the person."""

    __tablename__ = "transfer_request"
    __table_args__ = (Index("ix_transfer_holder_status", "holder_institution_id", "status"),
                      Index("ix_transfer_requester_status", "requester_institution_id", "status"))

    id = Column(Integer, primary_key=True)
    requester_institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False)
    holder_institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False)
    person_id = Column(Integer, ForeignKey("person.id"), nullable=False, index=True)  # the holder's record
    id_number = Column(String(30), nullable=False, index=True)
    name = Column(String(50), nullable=False)  # as the requester typed it
    reason = Column(Text, nullable=False)
    expected_date = Column(Date, nullable=True)
    status = Column(String(10), nullable=False, default="待处理")
    answer = Column(Text, nullable=True)  # the holder's reason when it declines
    created_by = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    expires_at = Column(DateTime, nullable=False)
    answered_by = Column(String(128), nullable=True)
    answered_at = Column(DateTime, nullable=True)

    requester = relationship("Institution", foreign_keys=[requester_institution_id])
    holder = relationship("Institution", foreign_keys=[holder_institution_id])
    person = relationship("Person")
