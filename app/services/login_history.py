"""Login attempts of known accounts (个人中心, spec 2.2 / 7.2 ③): recorded by the login path, read by the owner."""
import datetime

from sqlalchemy import delete, select

from app.extensions import db
from app.models.security import LoginAttempt
from app.services.transaction import transactional

KEEP = 50  # attempts kept per account
SHOWN = 10  # attempts shown in 个人中心

SUCCESS = "成功"
WRONG_PASSWORD = "密码错误"
LOCKED_NOW = "密码错误，账号已锁定"
LOCKED = "账号锁定中"
NO_INTERNET = "互联网访问被拒"
INACTIVE = "账号已停用"
ROLE_DISABLED = "角色已停用"


@transactional
def record(user, address: str | None, result: str) -> None:
    """Write one attempt and keep only the newest KEEP of the account, in a transaction of its own (a refused login
    writes nothing else that must wait for it)."""
    db.session.add(LoginAttempt(user_id=user.id, at=datetime.datetime.now(), address=(address or "")[:45] or None,
                                result=result))
    db.session.flush()
    cutoff = db.session.scalar(select(LoginAttempt.id).where(LoginAttempt.user_id == user.id)
                               .order_by(LoginAttempt.id.desc()).offset(KEEP - 1).limit(1))
    if cutoff is not None:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.user_id == user.id, LoginAttempt.id < cutoff))


def recent(user, limit: int = SHOWN) -> list[LoginAttempt]:
    """The account's newest attempts, newest first (only its own: the caller passes the logged-in user)."""
    return list(db.session.scalars(select(LoginAttempt).where(LoginAttempt.user_id == user.id)
                                   .order_by(LoginAttempt.id.desc()).limit(limit)))
