"""Review trail shared by every workflow (certification, change requests, resignation, probation)."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Integer, String, Text


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
