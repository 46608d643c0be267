"""The database as a whole: whether it answers (/health), and forgetting the unit of work a lost connection broke
(the 503 page, a failed first-use recovery), so the next request after an outage is served normally."""
import logging

from sqlalchemy import text

from app.extensions import db

log = logging.getLogger(__name__)


def database_ok() -> bool:
    """True when a fresh connection answers SELECT 1."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        log.warning("health: database unreachable", exc_info=True)
        return False


def forget_failed_work() -> None:
    """End the session's transaction after a database error; never raises (the connection may be gone: the session
    is removed at the end of the request anyway)."""
    try:
        db.session.rollback()
    except Exception:
        log.debug("ending the session after a database error failed", exc_info=True)
