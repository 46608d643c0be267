"""A typed password is never written back into a page (issue 11): every password form, after a refusal."""
import re

from sqlalchemy import select

from app.models.security import User
from tests.conftest import csrf_token, login

TYPED = "Qz#7913wkp"  # a valid password a user typed; the form is refused for another reason


def _no_echo(resp):
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:300]
    assert TYPED not in html
    return html


def test_change_password_refused_does_not_show_what_was_typed(login_as):
    c = login_as("inst_staff")
    token = csrf_token(c, "/account/password/")
    html = _no_echo(c.post("/account/password/", data={"csrf_token": token, "old_password": TYPED,
                                                       "password": TYPED, "confirm": TYPED + "x"}))
    assert "原密码不正确" in html and "两次输入的密码不一致" in html


def test_account_create_refused_does_not_show_the_typed_password(login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/accounts/add")
    html = _no_echo(owner.post("/accounts/add", data={"csrf_token": token, "role": "", "username": "bad name",
                                                      "nickname": "小李", "password": TYPED,
                                                      "subsystems": ["基础资源管理"]}))
    assert "请选择本机构的角色" in html and 'value="小李"' in html  # other fields are kept


def test_account_reset_refused_does_not_show_the_typed_password(db, login_as):
    owner = login_as("inst_admin")
    staff = db.session.scalar(select(User).where(User.username == "inst_staff"))
    token = csrf_token(owner, "/accounts/list/")
    html = _no_echo(owner.post(f"/accounts/resetpassword/{staff.id}",
                               data={"csrf_token": token, "password": TYPED, "confirm": TYPED + "x"}))
    assert "两次输入的密码不一致" in html


def test_fab_user_add_refused_does_not_show_the_typed_password(login_as):
    admin = login_as("sysadmin01")
    token = csrf_token(admin, "/users/add")
    html = _no_echo(admin.post("/users/add", data={"csrf_token": token, "username": "x", "nickname": "某人",
                                                   "password": TYPED, "conf_password": TYPED + "x"}))
    assert "两次输入的密码不一致" in html and "请至少选择一个角色" in html  # no role ticked: a message, not a 500


def test_first_login_warning_is_shown_once(app, client):
    login(client, "newcomer01", app.config["DEFAULT_PASSWORD"])
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert page.count("首次登录或密码已被重置") == 1


def _field_errors(html, field):
    return re.findall(rf'class="invalid-feedback d-block field-error" data-field="{field}">([^<]*)<', html)


def test_change_password_refusal_is_shown_under_each_field(login_as):
    """Issue 12 item 2: the wrong old password under 原密码, the policy under 新密码, the mismatch under 确认新密码."""
    c = login_as("inst_staff")
    html = c.post("/account/password/", data={"csrf_token": csrf_token(c, "/account/password/"),
                                               "old_password": "Wrong#2580x", "password": "abc12345",
                                               "confirm": "abc12346"}).get_data(as_text=True)
    assert _field_errors(html, "old_password") == ["原密码不正确"]
    assert any("缺少：大写字母、特殊字符" in e for e in _field_errors(html, "password"))
    assert _field_errors(html, "confirm") == ["两次输入的密码不一致"]


def test_account_form_refusal_is_shown_under_each_field(login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/accounts/add")
    html = owner.post("/accounts/add", data={"csrf_token": token, "role": "", "username": "x1", "nickname": "",
                                             "mobile": "123", "password": TYPED}).get_data(as_text=True)
    assert _field_errors(html, "role") == ["请选择本机构的角色（可在“角色管理”中新增）"]
    assert len(_field_errors(html, "username")) == 1 and "至少 8 位" in _field_errors(html, "username")[0]
    assert _field_errors(html, "nickname") == ["用户昵称不能为空"]
    assert len(_field_errors(html, "mobile")) == 1 and _field_errors(html, "subsystems") == ["所属子系统至少勾选一个"]
    assert 'value="x1"' in html  # what was typed stays (the password excepted)
