"""个人中心 (issue 11 item 2, spec 2.2 / 7.2 ③): own data, certification, 修改密码 and the last logins."""
from sqlalchemy import func, select

from app.models.security import LoginAttempt, User
from app.services import login_history
from tests.conftest import login


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _attempts(db, username):
    db.session.expire_all()
    user = _user(db, username)
    return [(a.address, a.result) for a in login_history.recent(user)]


def test_the_user_menu_links_to_the_profile_page_with_the_account_data(app, db, login_as):
    c = login_as("inst_staff")
    home = c.get("/").get_data(as_text=True)
    assert 'href="/account/profile/"' in home and "个人中心" in home
    page = c.get("/account/profile/").get_data(as_text=True)
    assert "江夏示例卫生院人事科" in page and "武汉市江夏区示例镇卫生院" in page and "人事科" in page
    assert 'id="profile-cert-status">已认证（' in page  # the demo account was certified by the seed, without a form
    assert 'href="/account/password/"' in page and 'href="/certification/"' in page


def test_right_wrong_and_internet_attempts_are_recorded_and_shown_newest_first(app, db):
    user = _user(db, "inst_staff")
    user.internet_access = False
    db.session.commit()
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    login(stranger, "inst_staff")  # right password, from the internet: refused before the password check
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    login(office, "inst_staff", "Wrong@Pw-2468")
    login(office, "nobody_such_user", "Wrong@Pw-2468")  # unknown names are not recorded
    assert login(office, "inst_staff").status_code == 302
    assert _attempts(db, "inst_staff")[:3] == [("10.1.2.3", "成功"), ("10.1.2.3", "密码错误"),
                                               ("8.8.8.8", "互联网访问被拒")]
    assert db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.user_id.is_(None))) == 0

    page = office.get("/account/profile/").get_data(as_text=True).split('id="login-attempts"')[1]
    assert page.index("成功") < page.index("密码错误") < page.index("互联网访问被拒")
    assert "8.8.8.8" in page and "10.1.2.3" in page


def test_a_lock_is_recorded(app, db):
    c = app.test_client()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        login(c, "inst_staff", "Wrong@Pw-2468")
    login(c, "inst_staff")
    results = [r for _, r in _attempts(db, "inst_staff")]
    assert results[0] == "账号锁定中" and results[1] == "密码错误，账号已锁定" and results[2] == "密码错误"


def test_rest_login_is_recorded_too(app, db):
    api = app.test_client()
    api.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert api.post("/api/v1/security/login", json={"username": "inst_admin", "password": "Wrong@Pw-2468",
                                                    "provider": "db"}).status_code == 401
    assert _attempts(db, "inst_admin")[0] == ("10.9.9.9", "密码错误")


def test_another_users_logins_are_never_shown(app, db, login_as):
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "172.16.99.77"
    login(other, "inst_admin", "Wrong@Pw-2468")
    page = login_as("inst_staff").get("/account/profile/").get_data(as_text=True)
    assert "172.16.99.77" not in page
    admin = login_as("sysadmin01").get("/account/profile/").get_data(as_text=True)
    assert "172.16.99.77" not in admin and "系统管理员" in admin


def test_history_is_kept_to_the_last_fifty_per_account(app, db):
    user = _user(db, "inst_staff")
    for i in range(login_history.KEEP + 5):
        login_history.record(user, f"10.0.0.{i}", login_history.WRONG_PASSWORD)
    kept = db.session.scalars(select(LoginAttempt.address).where(LoginAttempt.user_id == user.id)
                              .order_by(LoginAttempt.id)).all()
    assert len(kept) == login_history.KEEP and kept[-1] == f"10.0.0.{login_history.KEEP + 4}"


def test_the_profile_page_writes_nothing(app, db, login_as):
    c = login_as("inst_staff")
    before = db.session.scalar(select(func.count(LoginAttempt.id)))
    for _ in range(3):
        assert c.get("/account/profile/").status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == before
