"""上报任务 (spec "哪些机构上报以上级通知为准", issue 15): a region publishes which report kind which institutions must
report, per period (once, daily, monthly), by a time of day; 催报 records a reminder per institution not reported.
The institutions a task expects are resolved when it is published (report_task_institution): a task's 上报率 is
measured against the list the region saw when it published, never against institutions added later."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship


class ReportTask(Model):
    """A task: title, report kind key ("report:capacity", "entry:supply:daily" …), who (all / a kind / a list),
    period (once: date_from; daily / monthly: date_from … date_to), deadline (HH:MM), publisher region."""

    __tablename__ = "report_task"

    id = Column(Integer, primary_key=True)
    title = Column(String(100), nullable=False)
    kind = Column(String(40), nullable=False)
    target = Column(String(10), nullable=False)  # all | kind | list
    institution_kind = Column(String(30), nullable=True)  # target == "kind"
    period = Column(String(10), nullable=False)  # once | daily | monthly
    date_from = Column(Date, nullable=False)
    date_to = Column(Date, nullable=True)
    deadline = Column(String(5), nullable=False, default="17:00")
    region_id = Column(Integer, ForeignKey("region.id"), nullable=False, index=True)
    created_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    active = Column(Boolean, nullable=False, default=True)  # False: 已撤销
    withdrawn_at = Column(DateTime, nullable=True)
    withdrawn_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)

    region = relationship("Region")
    created_by = relationship("User", foreign_keys=[created_by_id])
    institutions = relationship("ReportTaskInstitution", cascade="all, delete-orphan", back_populates="task")


class ReportTaskInstitution(Model):
    """One institution a task expects a report from (resolved at publishing)."""

    __tablename__ = "report_task_institution"

    task_id = Column(Integer, ForeignKey("report_task.id", ondelete="CASCADE"), primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), primary_key=True, index=True)

    task = relationship("ReportTask", back_populates="institutions")
    institution = relationship("Institution")


class ReportReminder(Model):
    """A 催报: one institution of one task for one period (the period's first day), who sent it and when."""

    __tablename__ = "report_reminder"
    __table_args__ = (Index("ix_report_reminder_institution", "institution_id", "task_id"),)

    id = Column(Integer, primary_key=True)
    task_id = Column(Integer, ForeignKey("report_task.id", ondelete="CASCADE"), nullable=False, index=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False)
    period_start = Column(Date, nullable=False)
    sent_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    sent_by_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)

    task = relationship("ReportTask")
    sent_by = relationship("User", foreign_keys=[sent_by_id])
