"""Accounts: FAB's user extended with tenancy, lockout, forced change and access-channel fields."""
import datetime

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import backref, relationship

from app.models.enums import API_SUBSYSTEM, WEB_SUBSYSTEMS
from app.models.versioning import Versioned

# A deleted account's row keeps its id and audit trail but gives its name up (spec 7.3: 删除后重新建立): the name
# becomes "<name>~<id>", which no new account can take ("~" is not allowed in a username).
TOMBSTONE = "~"


def original_username(username: str | None) -> str:
    """The name an account was created with (a deleted account's tombstone without its "~<id>")."""
    return (username or "").split(TOMBSTONE, 1)[0]


class AppUser(FabUser):
    """An account: belongs to one institution (机构端) or one region (区域端); 系统管理员 have neither."""

    __tablename__ = "ab_user"
    __table_args__ = {"extend_existing": True}

    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=True, index=True)
    region_id = Column(Integer, ForeignKey("region.id"), nullable=True, index=True)
    nickname = Column(String(64), nullable=True)  # 昵称
    mobile = Column(String(20), nullable=True)  # 手机号码
    locked_until = Column(DateTime, nullable=True)
    must_change_password = Column(Boolean, nullable=False, default=True)
    internet_access = Column(Boolean, nullable=False, default=True)
    subsystems = Column(String(200), nullable=False, default=",".join(WEB_SUBSYSTEMS))  # 开放接口 only when ticked
    is_owner = Column(Boolean, nullable=False, default=False)  # 总账号
    certified_at = Column(DateTime, nullable=True)  # 实名认证通过时间; None → only the certification page opens
    deleted_at = Column(DateTime, nullable=True)  # 删除: access removed, row kept for the audit trail
    # Copied into the session cookie and every JWT at login; raised by logout, password change or reset, lock,
    # delete, role deactivation and an internet-access change, so every earlier session and token dies.
    session_epoch = Column(Integer, nullable=False, default=0, server_default="0")
    # Optimistic concurrency (app.models.versioning) checked by hand: SQLAlchemy's version_id_col puts no version in
    # the WHERE of this subclass of FAB's mapped User, and a login's bookkeeping (last_login…) must not count as an
    # edit. services.concurrency moves it with a conditional UPDATE when a real field changes.
    version = Column(Integer, nullable=False, default=1, server_default=text("1"))
    manual_version = True

    institution = relationship("Institution", foreign_keys=[institution_id])
    region = relationship("Region", foreign_keys=[region_id])

    @property
    def subsystem_list(self):
        return [s for s in (self.subsystems or "").split(",") if s]

    @property
    def api_access(self) -> bool:
        """开放接口 ticked: the account may get REST API tokens (the operators' 账号列表 form edits this tick)."""
        return API_SUBSYSTEM in self.subsystem_list

    @api_access.setter
    def api_access(self, value):
        ticked = [s for s in self.subsystem_list if s != API_SUBSYSTEM] if self.subsystems else list(WEB_SUBSYSTEMS)
        self.subsystems = ",".join(ticked + ([API_SUBSYSTEM] if value else []))

    def get_full_name(self):
        return self.nickname or self.username

    @property
    def shown_username(self):
        """The account name for people: a deleted account shows its original name, marked 已删除."""
        return original_username(self.username) + ("（已删除）" if self.deleted_at is not None else "")


ROLE_TYPES = ("卫健委管理员", "医疗机构", "科室", "其他")


class RoleProfile(Versioned, Model):
    """What FAB's flat role lacks: level (1 系统管理员, 2 总账号, 3 owner-made), owner institution, display name
    unique within the institution (FAB's role name is global), type, order, status, description."""

    __tablename__ = "role_profile"
    __table_args__ = (UniqueConstraint("institution_id", "display_name", name="uq_role_profile_inst_name"),)

    id = Column(Integer, primary_key=True)
    role_id = Column(Integer, ForeignKey("ab_role.id", ondelete="CASCADE"), nullable=False, unique=True)
    display_name = Column(String(64), nullable=False)  # 角色名称
    level = Column(Integer, nullable=False, default=3)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=True, index=True)
    role_type = Column(String(20), nullable=False, default="科室")  # 角色类型 (descriptive)
    seq = Column(Integer, nullable=True)  # 角色序号
    parent_role_id = Column(Integer, ForeignKey("ab_role.id"), nullable=True)  # 上级角色
    status = Column(String(10), nullable=False, default="正常")  # 正常 / 停用
    description = Column(Text, nullable=True)  # 说明

    role = relationship("Role", foreign_keys=[role_id], backref=backref("profile", uselist=False))
    parent_role = relationship("Role", foreign_keys=[parent_role_id])
    institution = relationship("Institution")

    def __repr__(self):
        return self.display_name


class RealNameCertification(Versioned, Model):
    """实名认证 of one account (spec 2.1, 7.4); status per app.domain.review."""

    __tablename__ = "realname_certification"

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, unique=True)
    institution_id = Column(Integer, ForeignKey("institution.id"), nullable=True, index=True)
    name = Column(String(50), nullable=False)
    id_type = Column(String(20), nullable=False)
    id_number = Column(String(30), nullable=False)
    mobile = Column(String(20), nullable=False)
    front_path = Column(String(200), nullable=True)  # 身份证正面 (relative to UPLOAD_FOLDER)
    back_path = Column(String(200), nullable=True)  # 身份证反面
    scan_path = Column(String(200), nullable=True)  # 盖章扫描件 (审核材料)
    scan_kind = Column(String(10), nullable=True)
    status = Column(String(10), nullable=False, default="草稿")
    opinion = Column(Text, nullable=True)
    submitted_at = Column(DateTime, nullable=True)
    reviewed_at = Column(DateTime, nullable=True)
    reviewer_id = Column(Integer, ForeignKey("ab_user.id"), nullable=True)
    updated_at = Column(DateTime, nullable=False, default=datetime.datetime.now, onupdate=datetime.datetime.now)

    user = relationship("AppUser", foreign_keys=[user_id], backref=backref("certification", uselist=False))
    reviewer = relationship("AppUser", foreign_keys=[reviewer_id])


# The class is registered as "AppUser": FAB's own relationships refer to its base by the name "User".
User = AppUser


class LoginAttempt(Model):
    """One login attempt on a known account (form or REST): when, from where, and how it ended (个人中心 shows the
    last 10, so a user notices a stranger). Bookkeeping, not business data: kept to the last 50 per account."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_user_at", "user_id", "at"),)

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    at = Column(DateTime, nullable=False, default=datetime.datetime.now)
    address = Column(String(45), nullable=True)  # client address (after ProxyFix)
    result = Column(String(30), nullable=False)  # 成功 / 密码错误 / 账号锁定 / 互联网访问被拒 …
