"""Staff records. Only the minimal Person of the foundation; the staff-records issue extends it."""
from flask_appbuilder import Model
from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import relationship


class Person(Model):
    """A member of staff of one institution."""

    __tablename__ = "person"
    __table_args__ = (
        # One active record per ID number across the province (spec 4.4).
        Index(
            "uq_person_active_id_number",
            "id_number",
            unique=True,
            sqlite_where=text("status = '在岗'"),
            postgresql_where=text("status = '在岗'"),
        ),
    )

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    id_type = Column(String(20), nullable=False, default="01")
    id_number = Column(String(30), nullable=False, index=True)
    sex = Column(String(10), nullable=True)
    birth_date = Column(Date, nullable=True)
    ethnicity = Column(String(10), nullable=True)
    education = Column(String(10), nullable=True)
    phone = Column(String(20), nullable=True)
    status = Column(String(30), nullable=False, default="在岗")
    department_id = Column(Integer, ForeignKey("department.id"), nullable=True, index=True)
    post_id = Column(Integer, ForeignKey("post.id"), nullable=True, index=True)
    establishment = Column(String(10), nullable=True)  # 编制情况 (dictionary establishment; 1 = 编制内)

    institution = relationship("Institution")
    department = relationship("Department")
    post = relationship("Post")

    def __repr__(self):
        return self.name
