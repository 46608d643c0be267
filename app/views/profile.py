"""个人中心 (spec 2.2, 7.2 ③): the account's own data, certification, 修改密码 and its last logins. GET only."""
from flask import g
from flask_appbuilder import BaseView, expose
from flask_login import login_required

from app.services import certification as certs
from app.services import login_history


def _cert_status(user, cert) -> str:
    if cert is not None:
        return certs.STATUS_LABELS[cert.status]
    return f"已认证（{user.certified_at:%Y-%m-%d}）" if user.certified_at else "未填写"


class ProfileView(BaseView):
    route_base = "/account/profile"
    default_view = "index"

    @expose("/")
    @login_required
    def index(self):
        user = g.user
        cert = certs.for_user(user)
        roles = [r.profile.display_name if r.profile is not None else r.name for r in user.roles]
        return self.render_template("account/profile.html", title="个人中心", user=user, roles=roles, cert=cert,
                                    cert_status=_cert_status(user, cert),
                                    attempts=login_history.recent(user))
