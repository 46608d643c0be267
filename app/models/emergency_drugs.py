"""The drug dictionary of 机构药品上报 (spec 5.3): national essential medicines, found by 拼音缩写 or Chinese."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Index, Integer, String

from app.models.versioning import Versioned


class DrugItem(Versioned, Model):
    """One drug of the dictionary; `abbreviation` (拼音缩写) is the first letters of `name`, indexed for the
    type-ahead's prefix search (services/drugs.py)."""

    __tablename__ = "drug_item"
    # varchar_pattern_ops: PostgreSQL uses the index for `LIKE 'amx%'` whatever the database's collation
    __table_args__ = (Index("ix_drug_item_abbreviation", "abbreviation",
                            postgresql_ops={"abbreviation": "varchar_pattern_ops"}),)

    id = Column(Integer, primary_key=True)
    code = Column(String(20), nullable=False, unique=True)
    name = Column(String(100), nullable=False, index=True)
    abbreviation = Column(String(60), nullable=False, default="")
    dosage_form = Column(String(30), nullable=False)
    spec = Column(String(60), nullable=False, default="")
    unit = Column(String(10), nullable=False)
    category = Column(String(30), nullable=True)
    active = Column(Boolean, nullable=False, default=True)

    def __repr__(self):
        return self.name
