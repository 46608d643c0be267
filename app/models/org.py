"""Organisation: the region tree and institutions (the full profile arrives with the institution issue)."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import Boolean, Column, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import backref, relationship

from app.models.versioning import Versioned


class Region(Versioned, Model):
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


class Institution(Versioned, Model):
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
    # 主体信息: read-only for the institution, changed through a reviewed change request (spec 3.1 说明 1).
    category = Column(String(50), nullable=True)  # 机构类别
    economic_type = Column(String(50), nullable=True)  # 经济类型/所有制
    grade = Column(String(30), nullable=True)  # 机构级别
    legal_representative = Column(String(50), nullable=True)  # 法定代表人
    registration_authority = Column(String(100), nullable=True)  # 登记机关
    # Editable by the institution.
    address = Column(String(200), nullable=True)
    postcode = Column(String(10), nullable=True)
    phone = Column(String(30), nullable=True)
    email = Column(String(100), nullable=True)
    website = Column(String(200), nullable=True)
    beds = Column(Integer, nullable=True)  # 编制床位
    opened_on = Column(Date, nullable=True)  # 开业日期
    head = Column(String(50), nullable=True)  # 负责人
    head_phone = Column(String(20), nullable=True)
    latitude = Column(Float, nullable=True)
    longitude = Column(Float, nullable=True)
    description = Column(Text, nullable=True)

    region = relationship("Region")

    def __repr__(self):
        return self.name


class Branch(Versioned, Model):
    """分院 / 分支机构 of an institution."""

    __tablename__ = "branch"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    name = Column(String(100), nullable=False)
    address = Column(String(200), nullable=True)
    phone = Column(String(30), nullable=True)
    head = Column(String(50), nullable=True)
    latitude = Column(Float, nullable=True)
    longitude = Column(Float, nullable=True)

    institution = relationship("Institution", backref=backref("branches", order_by="Branch.id"))

    def __repr__(self):
        return self.name


class InstitutionFile(Model):
    """附件信息: a typed file of an institution (执业许可证, 其他…), stored by content hash."""

    __tablename__ = "institution_file"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    kind = Column(String(30), nullable=False)
    filename = Column(String(200), nullable=False)
    path = Column(String(200), nullable=False)
    file_kind = Column(String(10), nullable=False)  # jpeg / png / pdf
    uploaded_at = Column(DateTime, nullable=False, default=datetime.datetime.now)

    def __repr__(self):
        return self.filename


class InstitutionFieldHistory(Model):
    """One applied change of one 主体信息 field (from an approved change request)."""

    __tablename__ = "institution_field_history"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    field = Column(String(50), nullable=False)
    old_value = Column(String(200), nullable=True)
    new_value = Column(String(200), nullable=True)
    change_request_id = Column(Integer, ForeignKey("change_request.id"), nullable=True)
    changed_at = Column(DateTime, nullable=False, default=datetime.datetime.now)


class Department(Versioned, Model):
    """科室/部门 (spec 3.2): a tree under the institution; names are what import templates offer."""

    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("institution_id", "parent_id", "name", name="uq_department_parent_name"),)

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    parent_id = Column(Integer, ForeignKey("department.id"), nullable=True, index=True)  # None: under the institution
    name = Column(String(50), nullable=False)
    category = Column(String(20), nullable=False, default="科室(部门)")
    standard_code = Column(String(10), nullable=True)  # dictionary standard_departments
    seq = Column(Integer, nullable=False, default=0)
    active = Column(Boolean, nullable=False, default=True)
    head = Column(String(50), nullable=True)
    phone = Column(String(30), nullable=True)

    parent = relationship("Department", remote_side=[id], backref=backref("children", order_by="Department.seq"))

    def __repr__(self):
        return self.name


class StandardPost(Versioned, Model):
    """标准岗位: the regional list posts are mapped to (kept by 区域端; province level by default)."""

    __tablename__ = "standard_post"
    __table_args__ = (UniqueConstraint("region_id", "code", name="uq_standard_post_region_code"),)

    id = Column(Integer, primary_key=True)
    region_id = Column(Integer, ForeignKey("region.id"), nullable=False, index=True)
    code = Column(String(20), nullable=False)
    name = Column(String(50), nullable=False)
    category = Column(String(20), nullable=False)  # 专业技术岗 / 管理岗 / 工勤技能岗
    active = Column(Boolean, nullable=False, default=True)

    region = relationship("Region")

    def __repr__(self):
        return self.name


class Post(Versioned, Model):
    """机构岗位 (spec 3.3), mapped to one 标准岗位."""

    __tablename__ = "post"
    __table_args__ = (UniqueConstraint("institution_id", "name", name="uq_post_institution_name"),)

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    category = Column(String(20), nullable=False)
    description = Column(Text, nullable=True)
    active = Column(Boolean, nullable=False, default=True)
    standard_post_id = Column(Integer, ForeignKey("standard_post.id"), nullable=True)

    standard_post = relationship("StandardPost")

    def __repr__(self):
        return self.name


class QuotaAllocation(Versioned, Model):
    """编制 allocated to an institution by 区域端 (spec 3.4): one row per decision; the newest per kind counts."""

    __tablename__ = "quota_allocation"

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False, default="事业编制")
    total = Column(Integer, nullable=False)
    management = Column(Integer, nullable=True)  # 管理岗
    professional = Column(Integer, nullable=True)  # 专业技术岗
    support = Column(Integer, nullable=True)  # 工勤技能岗
    effective_date = Column(Date, nullable=False)
    document_no = Column(String(100), nullable=False)  # 文号
    note = Column(Text, nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    created_by = Column(String(128), nullable=True)

    institution = relationship("Institution")


class DepartmentQuota(Versioned, Model):
    """The part of the institution's 编制 given to one department."""

    __tablename__ = "department_quota"
    __table_args__ = (UniqueConstraint("department_id", "kind", name="uq_department_quota_kind"),)

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    department_id = Column(Integer, ForeignKey("department.id"), nullable=False)
    kind = Column(String(20), nullable=False, default="事业编制")
    amount = Column(Integer, nullable=False, default=0)

    department = relationship("Department")
