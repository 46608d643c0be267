"""Every request re-checks its session or token: the account's session epoch and the access channel (spec 二).

The epoch (app/services/sessions.py) is stored in the session at login and in every JWT; a copy whose epoch is
older than the account's, an account locked, deactivated or deleted, or an internet address for an account without
internet access is refused at once — not only at login.
"""
import datetime
import logging

from flask import current_app, g, jsonify, request, session

from app.domain.network import NO_INTERNET_MESSAGE, is_internet
from app.extensions import db
from app.models.security import User

SESSION_KEY = "_epoch"
ENDED_MESSAGE = "登录已失效（已退出登录，或账号的密码、状态、角色、互联网访问权限已变更），请重新登录"
# Set on the WSGI environ when ALLOWED_PROXIES > 0 and the request lacks the proxies' X-Forwarded-For entries.
PROXY_HEADER_MISSING = "app.proxy_header_missing"

log = logging.getLogger(__name__)


def internet_allowed(user) -> bool:
    """The account and its institution must both allow internet access."""
    if not user.internet_access:
        return False
    return user.institution is None or bool(user.institution.internet_access)


def from_internet() -> bool:
    """The current request comes from outside the health network (or its address cannot be trusted)."""
    if request.environ.get(PROXY_HEADER_MISSING):
        return True
    return is_internet(request.remote_addr, current_app.config["HEALTH_NET_CIDRS"])


def refusal(user, epoch) -> str | None:
    """Why a session or token of `user` carrying `epoch` may no longer be used (None: it may)."""
    if user is None or not user.active or user.deleted_at is not None:
        return ENDED_MESSAGE
    if epoch != (user.session_epoch or 0):
        return ENDED_MESSAGE
    if user.locked_until is not None and user.locked_until > datetime.datetime.now():
        return ENDED_MESSAGE
    if from_internet() and not internet_allowed(user):
        return NO_INTERNET_MESSAGE
    return None


def start(user) -> None:
    """At login, and for the user who just changed their own password: this session carries the current epoch."""
    session[SESSION_KEY] = user.session_epoch or 0


def session_refusal(user) -> str | None:
    return refusal(user, session.get(SESSION_KEY))


# ---- JWT (REST API) -----------------------------------------------------------------------------------------------

def _user_of(identity):
    try:
        return db.session.get(User, int(identity))
    except (TypeError, ValueError):
        return None


def install_jwt(jwt_manager) -> None:
    """Every access and refresh token carries the epoch; a token is refused as soon as its session would be."""

    @jwt_manager.additional_claims_loader
    def _claims(identity):
        user = _user_of(identity)
        return {"epoch": (user.session_epoch or 0) if user is not None else -1}

    @jwt_manager.token_in_blocklist_loader
    def _revoked(_header, payload):
        g.token_refusal = refusal(_user_of(payload.get("sub")), payload.get("epoch"))
        return g.token_refusal is not None

    @jwt_manager.revoked_token_loader
    def _revoked_response(_header, _payload):
        return jsonify(message=g.get("token_refusal") or ENDED_MESSAGE), 401
