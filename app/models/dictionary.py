"""Generic dictionary: every code list a dropdown offers (民族, 学历, 证件类型 …)."""
from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Column, Integer, String, UniqueConstraint

from app.models.versioning import Versioned


class DictItem(Versioned, Model):
    """One value of one code list; `extra` keeps the source columns a rule may need (regex, group…)."""

    __tablename__ = "dict_item"
    __table_args__ = (UniqueConstraint("type", "code", name="uq_dict_item_type_code"),)

    id = Column(Integer, primary_key=True)
    type = Column(String(50), nullable=False, index=True)
    code = Column(String(20), nullable=False)
    name = Column(String(100), nullable=False)
    order = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)
    extra = Column(JSON, nullable=True)

    def __repr__(self):
        return self.name
