"""Organisation: the region tree and institutions (the full profile arrives with the institution issue)."""
from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String
from sqlalchemy.orm import relationship


class Region(Model):
    """Administrative region per GB/T 2260: province (1) → city (2) → county (3)."""

    __tablename__ = "region"

    id = Column(Integer, primary_key=True)
    code = Column(String(12), nullable=False, unique=True)
    name = Column(String(50), nullable=False)
    level = Column(Integer, nullable=False)
    parent_id = Column(Integer, ForeignKey("region.id"), nullable=True, index=True)
    # Materialised path of codes ("/420000/420100/420115/"): a subtree is one LIKE prefix query.
    path = Column(String(200), nullable=False, index=True)

    parent = relationship("Region", remote_side=[id], backref="children")

    def __repr__(self):
        return self.name


def _internet_by_default(context):
    """Large public institutions are on the health network only (spec 二). FAB's forms call this with None."""
    if context is None:
        return True
    return not context.get_current_parameters().get("is_large_public")


class Institution(Model):
    """A health institution; code is its 统一社会信用代码."""

    __tablename__ = "institution"

    id = Column(Integer, primary_key=True)
    code = Column(String(18), nullable=False, unique=True)
    name = Column(String(100), nullable=False, unique=True)
    region_id = Column(Integer, ForeignKey("region.id"), nullable=False, index=True)
    kind = Column(String(30), nullable=False)
    is_large_public = Column(Boolean, nullable=False, default=False)
    # Large public institutions are on the health network only unless a commission opens access.
    internet_access = Column(Boolean, nullable=False, default=_internet_by_default)

    region = relationship("Region")

    def __repr__(self):
        return self.name
