"""The change-password page (forced on first login and after a reset)."""
from flask import g, url_for
from flask_appbuilder import BaseView, expose
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.widgets import PasswordInput

from app.domain.password import MIN_LENGTH
from app.security import sessions
from app.services import accounts
from app.views.pages import form_page

RULES = (
    f"长度不少于 {MIN_LENGTH} 位",
    "同时包含大写字母、小写字母、数字和特殊字符（英文符号，如 @ # $ ! - _）",
    "不得出现 3 位及以上连续的字母或数字，如 123、abc、987、CBA",
    "只能使用英文字母、数字和英文符号；不能使用 %、空格、中文或全角符号（如“；”）",
    "两次输入的新密码必须一致",
)


class ChangePasswordForm(FlaskForm):
    # A password is never written back into a page: after a refusal the fields are empty (the messages stay).
    old_password = PasswordField("原密码", widget=PasswordInput())
    password = PasswordField("新密码", widget=PasswordInput())
    confirm = PasswordField("确认新密码", widget=PasswordInput())


class ChangePasswordView(BaseView):
    route_base = "/account/password"
    edited_models = ()  # one's own password, not a shared record
    default_view = "form"

    @expose("/", methods=["GET", "POST"])
    @login_required
    def form(self):
        form = ChangePasswordForm()

        def done(_):
            sessions.start(g.user)  # this session goes on; every other copy and token has ended
            return "密码修改成功", url_for("HomeIndexView.index")

        return form_page(
            save=lambda: accounts.change_own_password(g.user, form.old_password.data, form.password.data,
                                                      form.confirm.data),
            done=done,
            render=lambda errors: self.render_template("account/password.html", form=form, errors=errors,
                                                       rules=RULES, forced=g.user.must_change_password))
