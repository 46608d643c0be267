"""Optimistic concurrency for every record that has an edit form.

`Versioned` adds a `version` column that SQLAlchemy increments on every UPDATE and checks in its WHERE clause
(`version_id_col`): a save based on a row that changed since it was read raises StaleDataError instead of
overwriting. Forms carry the version they were opened with; `services.concurrency` compares it first.
"""
from sqlalchemy import Column, Integer, text
from sqlalchemy.orm import declared_attr


class Versioned:
    """Mixin: `version` (1 for existing rows through the server default), checked and bumped on every update."""

    version = Column(Integer, nullable=False, default=1, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


def is_versioned(model) -> bool:
    """Versioned by SQLAlchemy (version_id_col), or by hand (`manual_version`: accounts, see models/security.py)."""
    from sqlalchemy import inspect
    return inspect(model).version_id_col is not None or bool(getattr(model, "manual_version", False))
