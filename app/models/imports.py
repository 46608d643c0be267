"""Batch import jobs (spec 4.2.4 (7)): one row per uploaded workbook, with its progress and results."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text


class ImportJob(Model):
    """An import of one workbook into one data set of one institution."""

    __tablename__ = "import_job"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    username = Column(String(128), nullable=True)
    set_key = Column(String(20), nullable=False)  # basic, work, education, …
    filename = Column(String(200), nullable=False)
    # The uploaded workbook, relative to UPLOAD_FOLDER; None once removed after the retention period (IMPORT_KEEP_DAYS).
    upload_path = Column(String(200), nullable=True)
    update_existing = Column(Boolean, nullable=False, default=False)
    status = Column(String(10), nullable=False, default="排队中")  # 排队中/导入中/已完成/部分成功/失败
    total = Column(Integer, nullable=False, default=0)
    processed = Column(Integer, nullable=False, default=0)
    created = Column(Integer, nullable=False, default=0)
    updated = Column(Integer, nullable=False, default=0)
    unchanged = Column(Integer, nullable=False, default=0)
    skipped = Column(Integer, nullable=False, default=0)
    failed = Column(Integer, nullable=False, default=0)
    warnings = Column(Integer, nullable=False, default=0)
    report_path = Column(String(200), nullable=True)  # error workbook; None when there is none or it was removed
    # Set when the files were removed for being older than the retention period: that period in days (the page says so).
    files_purged_days = Column(Integer, nullable=True)
    message = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now, index=True)
    started_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    # Updated by the running job (with each committed batch and by a timer every HEARTBEAT_EVERY seconds); a 导入中 job
    # is recovered only when it is stale or its owner process (host, pid) is gone (services/imports/jobs.py).
    heartbeat_at = Column(DateTime, nullable=True)
    owner_host = Column(String(255), nullable=True)  # the process running it: host name and pid
    owner_pid = Column(Integer, nullable=True)
