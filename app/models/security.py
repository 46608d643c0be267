"""Accounts: FAB's user extended with tenancy, lockout, forced change and access-channel fields."""
from flask_appbuilder.security.sqla.models import User as FabUser
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship

from app.models.enums import SUBSYSTEMS


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
    subsystems = Column(String(200), nullable=False, default=",".join(SUBSYSTEMS))
    is_owner = Column(Boolean, nullable=False, default=False)  # 总账号

    institution = relationship("Institution", foreign_keys=[institution_id])
    region = relationship("Region", foreign_keys=[region_id])

    @property
    def subsystem_list(self):
        return [s for s in (self.subsystems or "").split(",") if s]

    def get_full_name(self):
        return self.nickname or self.username


# The class is registered as "AppUser": FAB's own relationships refer to its base by the name "User".
User = AppUser
