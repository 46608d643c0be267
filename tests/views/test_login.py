"""Login: lockout, forced password change, access channel, rate limit, idle timeout, CSRF (spec 2.2, 7.3, 二)."""
import datetime
import json

from sqlalchemy import select

from app.domain.network import NO_INTERNET_MESSAGE
from app.models.org import Institution
from app.models.security import User
from tests import factories
from tests.conftest import csrf_token, login


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_demo_account_logs_in_and_sees_its_institution(client):
    resp = login(client, "inst_admin")
    assert resp.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "武汉市江夏区示例镇卫生院" in home
    assert "退出登录" in home


def test_wrong_password_message_is_chinese(client):
    resp = login(client, "inst_admin", "Wrong@Pw-2468", follow_redirects=True)
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_fifth_failure_locks_for_30_minutes(client, db):
    for _ in range(4):
        login(client, "inst_staff", "Wrong@Pw-2468")
    assert _user(db, "inst_staff").locked_until is None
    resp = login(client, "inst_staff", "Wrong@Pw-2468", follow_redirects=True)
    user = _user(db, "inst_staff")
    assert user.locked_until is not None
    minutes = (user.locked_until - datetime.datetime.now()).total_seconds() / 60
    assert 29 <= minutes <= 30
    text = resp.get_data(as_text=True)
    assert "账号已锁定" in text and user.locked_until.strftime("%Y-%m-%d %H:%M") in text
    # Even the right password is refused while locked.
    resp = login(client, "inst_staff", follow_redirects=True)
    assert "账号已锁定" in resp.get_data(as_text=True)
    assert client.get("/").get_data(as_text=True).count("退出登录") == 0


def test_lock_opens_after_30_minutes(client, db):
    user = _user(db, "inst_staff")
    user.locked_until = datetime.datetime.now() - datetime.timedelta(seconds=1)
    user.fail_login_count = 5
    db.session.commit()
    assert login(client, "inst_staff").status_code == 302
    user = _user(db, "inst_staff")
    assert user.locked_until is None and user.fail_login_count == 0


def test_success_resets_the_failure_count(client, db):
    for _ in range(4):
        login(client, "inst_staff", "Wrong@Pw-2468")
    assert _user(db, "inst_staff").fail_login_count == 4
    assert login(client, "inst_staff").status_code == 302
    assert _user(db, "inst_staff").fail_login_count == 0


def test_first_login_is_forced_to_change_password(app, client, db):
    assert login(client, "newcomer01", app.config["DEFAULT_PASSWORD"]).status_code == 302
    for path in ("/", "/auditlogview/list/", "/dictitemview/list/"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/account/password" in resp.headers["Location"], path
    page = client.get("/account/password/").get_data(as_text=True)
    assert "首次登录或密码已被重置" in page
    token = csrf_token(client, "/account/password/")
    weak = client.post("/account/password/", data={
        "csrf_token": token, "old_password": app.config["DEFAULT_PASSWORD"], "password": "abc12345",
        "confirm": "abc12345"})
    text = weak.get_data(as_text=True)
    assert weak.status_code == 200
    assert "缺少：大写字母、特殊字符" in text and "发现：abc" in text
    assert "abc12345" not in text  # a typed password is never written back into the page
    assert _user(db, "newcomer01").must_change_password is True
    ok = client.post("/account/password/", data={
        "csrf_token": token, "old_password": app.config["DEFAULT_PASSWORD"], "password": "Hb#2580wq",
        "confirm": "Hb#2580wq"})
    assert ok.status_code == 302
    assert _user(db, "newcomer01").must_change_password is False
    # Next comes real-name certification: until it is approved, only its page opens.
    assert "/certification/" in client.get("/").headers["Location"]


def test_change_password_requires_the_old_one(login_as, db):
    c = login_as("inst_staff")
    token = csrf_token(c, "/account/password/")
    resp = c.post("/account/password/", data={"csrf_token": token, "old_password": "Nope@Pw-1357",
                                               "password": "Hb#2580wq", "confirm": "Hb#2580wq"})
    assert "原密码不正确" in resp.get_data(as_text=True)


def test_reset_by_another_forces_change_at_next_login(app, db):
    from app.services import accounts

    user = _user(db, "inst_staff")
    accounts.set_password(user, "Rzt#2580wq", by_self=False)
    db.session.commit()
    c = app.test_client()
    login(c, "inst_staff", "Rzt#2580wq")
    assert "/account/password" in c.get("/").headers["Location"]


def test_csrf_is_required_on_login_and_password_forms(client, login_as):
    resp = client.post("/login/", data={"username": "inst_admin", "password": "Demo@Hb-2580"})
    assert "退出登录" not in client.get("/").get_data(as_text=True)
    assert resp.status_code in (200, 302, 400)
    c = login_as("inst_staff")
    resp = c.post("/account/password/", data={"old_password": "Demo@Hb-2580", "password": "Hb#2580wq",
                                               "confirm": "Hb#2580wq"})
    assert "页面已过期" in resp.get_data(as_text=True)


def test_internet_login_refused_without_access(app, db):
    inst = db.session.scalar(select(Institution).where(Institution.code == "124201154201150159"))
    inst.internet_access = False
    db.session.commit()
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    resp = login(c, "inst_admin", follow_redirects=True)
    assert NO_INTERNET_MESSAGE in resp.get_data(as_text=True)
    # The same account from the health network is let in.
    inside = app.test_client()
    inside.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert login(inside, "inst_admin").status_code == 302


def test_internet_login_refused_for_account_without_access(app, db):
    user = _user(db, "inst2_admin")
    user.internet_access = False
    db.session.commit()
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    assert NO_INTERNET_MESSAGE in login(c, "inst2_admin", follow_redirects=True).get_data(as_text=True)


def test_large_public_institution_defaults_to_no_internet(db):
    inst = factories.institution(is_large_public=True)
    assert inst.internet_access is False


def test_forwarded_for_is_ignored_without_trusted_proxies(app, db):
    inst = db.session.scalar(select(Institution).where(Institution.code == "124201154201150159"))
    inst.internet_access = False
    db.session.commit()
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    token = csrf_token(c)
    resp = c.post("/login/", data={"username": "inst_admin", "password": "Demo@Hb-2580", "csrf_token": token},
                  headers={"X-Forwarded-For": "10.0.0.5"}, follow_redirects=True)
    assert NO_INTERNET_MESSAGE in resp.get_data(as_text=True)


def test_forwarded_for_is_honoured_behind_configured_proxies():
    from flask import Flask, request

    from app import trust_proxies

    tiny = Flask("tiny")
    tiny.config["ALLOWED_PROXIES"] = 1
    trust_proxies(tiny)
    tiny.add_url_rule("/", "ip", lambda: request.remote_addr)
    resp = tiny.test_client().get("/", headers={"X-Forwarded-For": "10.0.0.5"},
                                  environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert resp.get_data(as_text=True) == "10.0.0.5"


def test_form_login_is_rate_limited(app, client):
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    codes = [login(client, "nobody_here", "Wrong@Pw-2468").status_code for _ in range(limit + 1)]
    assert codes[:limit].count(429) == 0
    assert codes[-1] == 429


def test_rest_login_is_rate_limited_and_chinese(app, client):
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    first = client.post("/api/v1/security/login", json={"username": "inst_admin", "password": "Wrong@Pw-2468"})
    assert first.status_code == 401 and "用户名或密码错误" in json.loads(first.data)["message"]
    codes = [client.post("/api/v1/security/login", json={"username": "x", "password": "y"}).status_code
             for _ in range(limit)]
    assert codes[-1] == 429


def test_rest_login_refuses_token_until_password_changed(app, client):
    resp = client.post("/api/v1/security/login",
                       json={"username": "newcomer01", "password": app.config["DEFAULT_PASSWORD"]})
    assert resp.status_code == 403
    ok = client.post("/api/v1/security/login", json={"username": "inst_admin", "password": "Demo@Hb-2580"})
    assert ok.status_code == 200 and "access_token" in ok.get_json()


def test_session_expires_after_30_idle_minutes(login_as):
    c = login_as("inst_admin")
    assert c.get("/").status_code == 200
    with c.session_transaction() as sess:
        sess["_last_seen"] -= 31 * 60
    resp = c.get("/", follow_redirects=True)
    assert "登录已超时" in resp.get_data(as_text=True)
    assert "退出登录" not in c.get("/").get_data(as_text=True)


def test_rest_login_refuses_token_until_certified(app, db, client):
    user = _user(db, "inst_staff")
    user.certified_at = None
    db.session.commit()
    resp = client.post("/api/v1/security/login", json={"username": "inst_staff", "password": "Demo@Hb-2580"})
    assert resp.status_code == 403 and "实名认证" in resp.get_json()["message"]
