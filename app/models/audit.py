"""Audit trail of every create / update / delete (written by app.services.audit from session events)."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, Column, DateTime, Integer, String


class AuditLog(Model):
    """One changed row: who, when, from where, which entity, and each changed field's old and new value."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=datetime.datetime.now, index=True)
    user_id = Column(Integer, nullable=True, index=True)
    username = Column(String(128), nullable=True)
    client_addr = Column(String(64), nullable=True)
    # The institution whose data changed (when the entity has one): lets an institution read its own trail.
    institution_id = Column(Integer, nullable=True, index=True)
    action = Column(String(10), nullable=False)  # create / update / delete
    entity = Column(String(64), nullable=False, index=True)
    entity_id = Column(String(64), nullable=True, index=True)
    changes = Column(JSON, nullable=True)
