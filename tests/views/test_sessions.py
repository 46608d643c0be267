"""Sessions and REST tokens end when they should (issue 10 item 3): a per-account session epoch checked on every
request and in every token, the access channel checked per request, one login rate-limit counter per address."""
import datetime

import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.domain.network import NO_INTERNET_MESSAGE
from app.models.security import RoleProfile, User
from app.security.manager import INVALID_LOGIN
from app.security.sessions import ENDED_MESSAGE
from app.services import accounts
from app.services.seed import DEMO_PASSWORD
from tests.conftest import csrf_token, login

NEW_PASSWORD = "Hb#2580wq"


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _steal(app, client):
    """A second client holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _token_accepted(api, headers) -> bool:
    """The menu API needs a permission inst_staff lacks: 403 = the token was accepted, 401 = it was refused."""
    status = api.get("/api/v1/menu/", headers=headers).status_code
    assert status in (401, 403)
    return status == 403


def _signed_in(client) -> bool:
    """Signed in: the home page with the logout link, or the forced password change it sends a session to."""
    resp = client.get("/")
    if resp.status_code == 302:
        return "/account/password" in resp.headers["Location"]
    return resp.status_code == 200 and 'form="logout-form"' in resp.get_data(as_text=True)


# ---- the events that end every session and token of an account -----------------------------------------------------

def _post_logout(c):
    """退出登录 as the menu does it: a POST with the page's CSRF token."""
    resp = c.post("/logout/", data={"csrf_token": csrf_token(c, "/")})
    assert resp.status_code == 302


def _logout(app, db, username):
    c = app.test_client()
    login(c, username)
    _post_logout(c)


def _change_own_password(app, db, username):
    c = app.test_client()
    login(c, username)
    token = csrf_token(c, "/account/password/")
    resp = c.post("/account/password/", data={"csrf_token": token, "old_password": DEMO_PASSWORD,
                                              "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert _signed_in(c)  # the session that changed the password goes on


def _reset(app, db, username):
    accounts.reset_password(_user(db, "sysadmin01"), _user(db, username), NEW_PASSWORD, NEW_PASSWORD)


def _lock(app, db, username):
    c = app.test_client()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        login(c, username, "Wrong@Pw-2468")
    assert _user(db, username).locked_until is not None


def _delete(app, db, username):
    accounts.remove(_user(db, "sysadmin01"), _user(db, username))


def _deactivate_role(app, db, username):
    user = _user(db, username)
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.role_id == user.roles[0].id))
    assert profile.level == 3
    profile.status = "停用"
    db.session.commit()


def _remove_internet_access(app, db, username):
    accounts.set_internet_access(_user(db, "sysadmin01"), _user(db, username), False)


def _institution_internet_off(app, db, username):
    inst = _user(db, username).institution
    inst.internet_access = False
    db.session.commit()


EVENTS = {
    "logout": _logout,
    "own password change": _change_own_password,
    "password reset": _reset,
    "lock": _lock,
    "soft delete": _delete,
    "role deactivated": _deactivate_role,
    "internet access removed": _remove_internet_access,
    "institution internet access removed": _institution_internet_off,
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_a_stolen_cookie_dies_at_the_event(app, db, login_as, event):
    victim = login_as("inst_staff")
    thief = _steal(app, victim)
    assert _signed_in(thief)
    EVENTS[event](app, db, "inst_staff")
    assert not _signed_in(thief)
    assert not _signed_in(victim)


@pytest.mark.parametrize("event", list(EVENTS))
def test_access_and_refresh_tokens_die_at_the_event(app, db, event):
    api = app.test_client()
    tokens = api.post("/api/v1/security/login",
                      json={"username": "inst_staff", "password": DEMO_PASSWORD, "refresh": True}).get_json()
    access = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert _token_accepted(api, access)
    assert api.post("/api/v1/security/refresh", headers=refresh).status_code == 200
    EVENTS[event](app, db, "inst_staff")
    resp = api.get("/api/v1/menu/", headers=access)
    assert resp.status_code == 401 and resp.get_json()["message"] == ENDED_MESSAGE
    assert api.post("/api/v1/security/refresh", headers=refresh).status_code == 401


def test_a_token_from_refresh_carries_the_epoch_and_dies_too(app, db):
    api = app.test_client()
    tokens = api.post("/api/v1/security/login",
                      json={"username": "inst_staff", "password": DEMO_PASSWORD, "refresh": True}).get_json()
    fresh = api.post("/api/v1/security/refresh",
                     headers={"Authorization": f"Bearer {tokens['refresh_token']}"}).get_json()["access_token"]
    assert _token_accepted(api, {"Authorization": f"Bearer {fresh}"})
    _logout(app, db, "inst_staff")
    assert not _token_accepted(api, {"Authorization": f"Bearer {fresh}"})


def test_a_new_login_after_the_event_works_and_other_accounts_are_untouched(app, db, login_as):
    other = login_as("inst_admin")
    _reset(app, db, "inst_staff")
    assert _signed_in(other)
    c = app.test_client()
    assert login(c, "inst_staff", NEW_PASSWORD).status_code == 302
    assert "/account/password" in c.get("/").headers["Location"]  # a fresh session, forced to change


def test_audit_log_does_not_record_the_epoch_alone(app, db, login_as):
    from app.models.audit import AuditLog

    c = login_as("inst_staff")
    before = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    _post_logout(c)
    db.session.expire_all()
    after = db.session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    assert after == before


def test_refresh_token_lives_hours_not_days(app, db):
    tokens = app.test_client().post("/api/v1/security/login", json={
        "username": "inst_staff", "password": DEMO_PASSWORD, "refresh": True}).get_json()
    claims = decode_token(tokens["refresh_token"])
    lifetime = datetime.timedelta(seconds=claims["exp"] - claims["iat"])
    assert datetime.timedelta(hours=1) <= lifetime <= datetime.timedelta(hours=12)
    access = decode_token(tokens["access_token"])
    assert access["exp"] - access["iat"] <= 3600


# ---- the access channel on every request ------------------------------------------------------------------------------

def _no_internet(db, username):
    user = _user(db, username)
    user.internet_access = False
    db.session.commit()


def test_a_session_from_the_health_network_is_refused_from_the_internet(app, db):
    _no_internet(db, "inst_staff")
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert login(c, "inst_staff").status_code == 302
    assert _signed_in(c)
    c.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    resp = c.get("/", follow_redirects=True)
    assert NO_INTERNET_MESSAGE in resp.get_data(as_text=True)
    c.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert not _signed_in(c)  # the session was ended, not only refused once


def test_a_token_from_the_health_network_is_refused_from_the_internet(app, db):
    _no_internet(db, "inst_staff")
    api = app.test_client()
    api.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    token = api.post("/api/v1/security/login", json={"username": "inst_staff", "password": DEMO_PASSWORD}
                     ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert _token_accepted(api, headers)
    api.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    resp = api.get("/api/v1/menu/", headers=headers)
    assert resp.status_code == 401 and resp.get_json()["message"] == NO_INTERNET_MESSAGE


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "Wrong@Pw-2468"])
def test_internet_refusal_comes_before_the_password_check(app, db, password):
    _no_internet(db, "inst_staff")
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    text = login(c, "inst_staff", password, follow_redirects=True).get_data(as_text=True)
    assert NO_INTERNET_MESSAGE in text and INVALID_LOGIN not in text
    resp = c.post("/api/v1/security/login", json={"username": "inst_staff", "password": password})
    assert resp.status_code == 401 and resp.get_json()["message"] == NO_INTERNET_MESSAGE
    user = _user(db, "inst_staff")
    assert (user.fail_login_count or 0) == 0 and user.locked_until is None


def test_institution_without_internet_refused_before_the_password_check(app, db):
    inst = _user(db, "inst_staff").institution
    inst.internet_access = False
    db.session.commit()
    c = app.test_client()
    c.environ_base["REMOTE_ADDR"] = "8.8.8.8"
    resp = c.post("/api/v1/security/login", json={"username": "inst_staff", "password": "Wrong@Pw-2468"})
    assert resp.status_code == 401 and resp.get_json()["message"] == NO_INTERNET_MESSAGE
    assert (_user(db, "inst_staff").fail_login_count or 0) == 0


# ---- one login rate-limit counter per address ------------------------------------------------------------------------

def test_form_and_rest_login_share_one_counter(app, client):
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    form = limit // 2
    for _ in range(form):
        assert login(client, "nobody_here", "Wrong@Pw-2468").status_code != 429
    for _ in range(limit - form):
        resp = client.post("/api/v1/security/login", json={"username": "nobody_here", "password": "Wrong@Pw-2468"})
        assert resp.status_code == 401
    assert client.post("/api/v1/security/login", json={"username": "x", "password": "y"}).status_code == 429
    assert login(client, "nobody_here", "Wrong@Pw-2468").status_code == 429


def test_logging_out_does_not_spend_the_login_limit(app, login_as):
    """Many clerks behind one address log out all day: only the two logins count against the address."""
    limit = int(app.config["AUTH_RATE_LIMIT"].split()[0])
    c = login_as("inst_staff")  # one login counted
    token = csrf_token(c, "/")
    for _ in range(limit):
        assert c.post("/logout/", data={"csrf_token": token}).status_code == 302
    assert login(c, "inst_staff").status_code == 302


# ---- behind a proxy: a request without X-Forwarded-For is not the health network ------------------------------------

def test_missing_forwarded_for_behind_a_proxy_counts_as_internet(caplog):
    from flask import Flask

    from app import trust_proxies
    from app.security.sessions import from_internet

    tiny = Flask("tiny")
    tiny.config.update(ALLOWED_PROXIES=1, HEALTH_NET_CIDRS="10.0.0.0/8,127.0.0.0/8")
    trust_proxies(tiny)
    tiny.add_url_rule("/", "channel", lambda: "internet" if from_internet() else "health")
    c = tiny.test_client()
    env = {"REMOTE_ADDR": "127.0.0.1"}
    with caplog.at_level("WARNING"):
        assert c.get("/", environ_base=env).get_data(as_text=True) == "internet"
        assert c.get("/", environ_base=env).get_data(as_text=True) == "internet"
    assert c.get("/", headers={"X-Forwarded-For": "10.1.2.3"}, environ_base=env).get_data(as_text=True) == "health"
    assert c.get("/", headers={"X-Forwarded-For": "8.8.8.8"}, environ_base=env).get_data(as_text=True) == "internet"
    warnings = [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    assert len(warnings) == 1  # once, not on every request


def test_role_deactivated_on_the_role_page_ends_its_holders_sessions(app, db, login_as):
    staff = login_as("inst_staff")
    thief = _steal(app, staff)
    user = _user(db, "inst_staff")
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.role_id == user.roles[0].id))
    owner = login_as("inst_admin")
    path = f"/roleprofileview/edit/{profile.id}"
    resp = owner.post(path, data={"csrf_token": csrf_token(owner, path), "display_name": profile.display_name,
                                  "role_type": profile.role_type, "seq": profile.seq or "", "status": "停用",
                                  "description": profile.description or ""})
    assert resp.status_code == 302
    assert not _signed_in(thief)
    assert _signed_in(owner)  # the owner's own role is untouched


def test_logout_is_a_post_with_the_token_and_a_get_only_asks(app, db, login_as):
    """A GET of /logout/ (a bookmark, an <img> on another site) ends nothing: it shows the question; a POST without
    the token is refused; the menu's POST ends the session and every copy of its cookie."""
    c = login_as("inst_staff")
    epoch = _user(db, "inst_staff").session_epoch
    page = c.get("/logout/")
    assert page.status_code == 200 and "确定要退出登录吗" in page.get_data(as_text=True)
    assert c.post("/logout/").status_code == 400
    assert _signed_in(c) and _user(db, "inst_staff").session_epoch == epoch
    thief = _steal(app, c)
    _post_logout(c)
    assert not _signed_in(c) and not _signed_in(thief)
    assert _user(db, "inst_staff").session_epoch == epoch + 1
    assert app.test_client().get("/logout/").headers["Location"].endswith("/login/")
