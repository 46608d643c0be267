"""Staff records (spec 4.1–4.5): the person (基本信息), the detail sets, key-staff groups, probation filings."""
import datetime

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import backref, relationship

from app.domain.person import ACTIVE_STATUSES
from app.models.versioning import Versioned

# Statuses that hold the ID number (spec 4.4: one active record per ID number across the province): the domain's
# list, written as the SQL of the partial unique index (the migration that built it spells the same text).
ACTIVE_STATUS_SQL = "status IN (" + ", ".join(f"'{s}'" for s in ACTIVE_STATUSES) + ")"


class Person(Versioned, Model):
    """A member of staff of one institution (基本信息)."""

    __tablename__ = "person"
    __table_args__ = (
        Index("uq_person_active_id_number", "id_number", unique=True,
              sqlite_where=text(ACTIVE_STATUS_SQL), postgresql_where=text(ACTIVE_STATUS_SQL)),
        Index("ix_person_institution_name", "institution_id", "name"),
        # the staff list's 证件号码 search (services/people.py search_condition): a prefix is a range on the first,
        # a suffix starts from the last four characters (the expression must read exactly as ID_TAIL_SQL; id_number
        # makes it covering, so SQLite prefers it without statistics)
        Index("ix_person_inst_id_number", "institution_id", "id_number"),
        Index("ix_person_inst_id_tail", "institution_id", text("substr(id_number, length(id_number) - 3)"), "id_number"),
        # the staff list's default page (staff in post, ordered as services/people.py list_statement orders ties):
        # read in index order and stopped after one page instead of sorting the institution's staff
        Index("ix_person_inst_list", "institution_id", text("(staff_no IS NULL)"), "staff_no", "name", "id",
              sqlite_where=text(ACTIVE_STATUS_SQL), postgresql_where=text(ACTIVE_STATUS_SQL)),
    )

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    staff_no = Column(String(30), nullable=True)  # 工号
    name = Column(String(50), nullable=False)
    id_type = Column(String(20), nullable=False, default="01")
    id_number = Column(String(30), nullable=False, index=True)
    sex = Column(String(10), nullable=True)
    birth_date = Column(Date, nullable=True)
    ethnicity = Column(String(10), nullable=True)
    political = Column(String(10), nullable=True)  # 政治面貌
    education = Column(String(10), nullable=True)
    major = Column(String(50), nullable=True)  # 所学专业
    degree = Column(String(10), nullable=True)
    phone = Column(String(20), nullable=True)
    work_start = Column(Date, nullable=True)  # 参加工作日期
    status = Column(String(30), nullable=False, default="在岗")
    department_id = Column(Integer, ForeignKey("department.id"), nullable=True, index=True)
    post_id = Column(Integer, ForeignKey("post.id"), nullable=True, index=True)
    establishment = Column(String(10), nullable=True)  # 编制情况 (dictionary establishment; 1 = 编制内)
    staff_category = Column(String(10), nullable=True)  # 从事专业类别
    tech_title = Column(String(10), nullable=True)  # 专业技术资格(评)
    tech_post = Column(String(10), nullable=True)  # 专业技术职务(聘)
    practice_category = Column(String(10), nullable=True)
    practice_scope = Column(String(10), nullable=True)
    admin_post = Column(String(10), nullable=True)
    # 卫统信息 (the 卫生人力基本信息调查表 items the record lacked; 是/否 as dictionary yes_no codes: 1 是, 2 否)
    office_phone = Column(String(20), nullable=True)  # 办公室电话号码
    multisite = Column(String(2), nullable=True)  # 是否多地点执业医师
    multisite_unit2 = Column(String(10), nullable=True)  # 第2执业单位的机构类别 (multisite_unit_type)
    multisite_unit3 = Column(String(10), nullable=True)
    resident_training = Column(String(2), nullable=True)  # 是否获得国家住院医师规范化培训合格证书
    resident_training_no = Column(String(50), nullable=True)
    specialties = Column(String(100), nullable=True)  # 专科特长 (up to three, separated by 、)
    gp_registered = Column(String(2), nullable=True)  # 是否注册为全科医学专业
    gp_certificate = Column(String(10), nullable=True)  # 全科医生取得培训合格证书情况 (gp_certificate)
    village_posted = Column(String(2), nullable=True)  # 派驻村卫生室工作
    stats_it = Column(String(2), nullable=True)  # 是否从事统计信息化业务工作
    stats_it_work = Column(String(10), nullable=True)  # 统计信息化业务工作内容 (stats_it_work)
    nurse_certificate_no = Column(String(50), nullable=True)  # 护士执业证书编码
    village_doctor_certificate_no = Column(String(50), nullable=True)  # 乡村医生执业证书编号
    photo_path = Column(String(200), nullable=True)
    photo_thumb = Column(String(200), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    updated_at = Column(DateTime, nullable=False, default=datetime.datetime.now, onupdate=datetime.datetime.now)

    institution = relationship("Institution")
    department = relationship("Department")
    post = relationship("Post")

    def __repr__(self):
        return self.name


class _DetailMixin(Versioned):
    """Columns every detail entry has: its person and institution (for scoping) and attachment images."""

    id = Column(Integer, primary_key=True)
    attachments = Column(JSON, nullable=True)  # [{"path", "thumb", "filename"}]
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)


def _detail_fks():
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    return person_id, institution_id


class WorkExperience(_DetailMixin, Model):
    """工作经历."""

    __tablename__ = "work_experience"
    person_id, institution_id = _detail_fks()
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=True)  # None = 至今
    employer = Column(String(100), nullable=False)
    position = Column(String(50), nullable=True)
    person = relationship("Person", backref=backref("work_experiences", cascade="all, delete-orphan",
                                                    order_by="WorkExperience.start_date"))


class Education(_DetailMixin, Model):
    """教育经历 (学历学位)."""

    __tablename__ = "education"
    person_id, institution_id = _detail_fks()
    start_date = Column(Date, nullable=True)
    end_date = Column(Date, nullable=True)
    school = Column(String(100), nullable=False)
    major = Column(String(50), nullable=True)
    education = Column(String(10), nullable=False)  # dictionary education
    degree = Column(String(10), nullable=True)  # dictionary degree
    certificate_no = Column(String(50), nullable=True)
    person = relationship("Person", backref=backref("educations", cascade="all, delete-orphan",
                                                    order_by="Education.end_date"))


class TitleQualification(_DetailMixin, Model):
    """专业技术资格."""

    __tablename__ = "title_qualification"
    person_id, institution_id = _detail_fks()
    title_name = Column(String(50), nullable=False)  # e.g. 主治医师
    level = Column(String(10), nullable=False)  # dictionary tech_title_level
    obtained_on = Column(Date, nullable=False)
    certificate_no = Column(String(50), nullable=True)
    person = relationship("Person", backref=backref("titles", cascade="all, delete-orphan",
                                                    order_by="TitleQualification.obtained_on"))


class Qualification(_DetailMixin, Model):
    """资格证书 (医师资格证等)."""

    __tablename__ = "qualification"
    person_id, institution_id = _detail_fks()
    kind = Column(String(50), nullable=False)  # 医师资格证书, 护士资格证书…
    certificate_no = Column(String(50), nullable=False)
    category = Column(String(10), nullable=True)  # practice_category
    obtained_on = Column(Date, nullable=False)
    person = relationship("Person", backref=backref("qualifications", cascade="all, delete-orphan",
                                                    order_by="Qualification.obtained_on"))


class PracticeCertificate(_DetailMixin, Model):
    """执业证书 (执业注册)."""

    __tablename__ = "practice_certificate"
    person_id, institution_id = _detail_fks()
    certificate_no = Column(String(50), nullable=False)
    category = Column(String(10), nullable=True)  # practice_category
    scope = Column(String(10), nullable=True)  # practice_scope
    registered_on = Column(Date, nullable=False)
    valid_until = Column(Date, nullable=True)  # None = 长期
    practice_place = Column(String(100), nullable=True)
    person = relationship("Person", backref=backref("practice_certificates", cascade="all, delete-orphan",
                                                    order_by="PracticeCertificate.registered_on"))


class Training(_DetailMixin, Model):
    """培训经历."""

    __tablename__ = "training"
    person_id, institution_id = _detail_fks()
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=True)
    organiser = Column(String(100), nullable=False)
    content = Column(String(200), nullable=True)
    person = relationship("Person", backref=backref("trainings", cascade="all, delete-orphan",
                                                    order_by="Training.start_date"))


key_group_member = Table(
    "key_group_member", Model.metadata,
    Column("group_id", Integer, ForeignKey("key_group.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", Integer, ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
)


class KeyGroup(Versioned, Model):
    """人员标签 / 关键人员组 (spec 4.3); 封存 groups are read-only and hidden from pickers."""

    __tablename__ = "key_group"
    __table_args__ = (UniqueConstraint("institution_id", "name", name="uq_key_group_institution_name"),)

    id = Column(Integer, primary_key=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    description = Column(Text, nullable=True)
    archived = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, default=datetime.datetime.now)

    members = relationship("Person", secondary=key_group_member, order_by="Person.name")

    def __repr__(self):
        return self.name


class ProbationWindow(Versioned, Model):
    """The registration window a region sets for probation filings (试用期填报)."""

    __tablename__ = "probation_window"
    __table_args__ = (UniqueConstraint("region_id", "year", name="uq_probation_window_region_year"),)

    id = Column(Integer, primary_key=True)
    region_id = Column(Integer, ForeignKey("region.id"), nullable=False, index=True)
    year = Column(Integer, nullable=False)
    opens_on = Column(Date, nullable=False)
    closes_on = Column(Date, nullable=False)


class Probation(Versioned, Model):
    """试用期填报 of a person whose status is 医师资格考试试用期考核人员 (spec 4.2.6); reviewed by the county."""

    __tablename__ = "probation"

    id = Column(Integer, primary_key=True)
    person_id = Column(Integer, ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=False, index=True)
    exam_category = Column(String(10), nullable=False)  # practice_category
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    probation_unit = Column(String(100), nullable=False)  # 试用机构
    supervisor = Column(String(50), nullable=False)  # 带教老师
    supervisor_title = Column(String(50), nullable=True)
    note = Column(Text, nullable=True)
    attachments = Column(JSON, nullable=True)
    status = Column(String(10), nullable=False, default="草稿")
    opinion = Column(Text, nullable=True)
    submitted_at = Column(DateTime, nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    reviewer_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)

    person = relationship("Person")
