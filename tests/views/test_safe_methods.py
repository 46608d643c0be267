"""No change by GET, none without a CSRF token, and a Content-Security-Policy on every page (docs/security.md).

The sweep walks `app.url_map`: every route that answers GET is called as 系统管理员 and as an institution 总账号,
with real ids, and no row of any table may change (per-table count and checksum of every row, before and after);
every POST/PUT/PATCH/DELETE route is called without a CSRF token and must answer 400 and change nothing. New views
are covered without editing this test. The same GET responses are checked for the CSP header and its nonce."""
import hashlib
import itertools
import re
from pathlib import Path

import pytest
from flask_appbuilder import ModelView
from flask_appbuilder.api import BaseApi
from sqlalchemy import inspect, select, text
from werkzeug.routing import IntegerConverter

from app.extensions import appbuilder
from tests.conftest import csrf_token
from tests.views.test_tenancy import _import_jobs

CALLERS = ["sysadmin01", "inst_admin"]
# Routes left out of the GET sweep, each with its reason (none today: 退出登录 is a POST, its GET only asks).
SKIP_GET = set()
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


# ---- the database, as a fingerprint -------------------------------------------------------------------------------

def _fingerprint(db):
    """{table: (row count, sha256 of every row in primary-key order)} for every table of the schema."""
    db.session.rollback()
    db.session.expire_all()
    result = {}
    with db.engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            table = db.metadata.tables.get(name)
            if table is not None and table.primary_key.columns:
                order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            else:
                order = "1"
            digest = hashlib.sha256()
            count = 0
            for row in conn.execute(text(f'SELECT * FROM "{name}" ORDER BY {order}')):
                digest.update(repr(tuple(row)).encode())
                count += 1
            result[name] = (count, digest.hexdigest())
    return result


def _changed(before, after):
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


# ---- real values for every URL argument ----------------------------------------------------------------------------

def _view_of(endpoint):
    prefix = endpoint.split(".")[0]
    return next((v for v in appbuilder.baseviews if getattr(v, "endpoint", None) == prefix), None)


def _model_of(view):
    if isinstance(view, ModelView):
        return view.datamodel.obj
    return getattr(view, "scoped_model", None)


def _ids(db, model, user):
    """Up to three ids of `model`: rows of the caller's own institution first, then the first rows of the table."""
    table = inspect(model).local_table
    pk = table.c[inspect(model).primary_key[0].name]
    ids = []
    if user.institution_id is not None and "institution_id" in table.c:
        ids += db.session.scalars(select(pk).where(table.c.institution_id == user.institution_id)
                                  .order_by(pk).limit(2)).all()
    ids += db.session.scalars(select(pk).order_by(pk).limit(2)).all()
    return list(dict.fromkeys(ids))[:3] or [1]


def _candidates(db, rule, user, extra):
    """Values to try for each argument of `rule`."""
    from app.services.imports.columns import SETS
    from app.views.certification import FILE_FIELDS

    view = _view_of(rule.endpoint)
    model = _model_of(view)
    values = {}
    for arg in rule.arguments:
        is_int = isinstance(rule._converters.get(arg), IntegerConverter)
        if arg in ("pk", "person_id") and model is not None:
            values[arg] = _ids(db, model, user)
        elif arg == "set_key":
            values[arg] = list(SETS)
        elif arg == "kind":
            values[arg] = list(FILE_FIELDS)
        elif arg == "size":
            values[arg] = ["thumb"]
        elif arg == "name":
            values[arg] = list(getattr(view, "actions", {}) or {})[:1] or ["muldelete"]
        elif arg == "filename":
            values[arg] = ["x_sep_x.txt"]  # FAB's download names are <uuid>_sep_<name>
        elif arg == "locale":
            values[arg] = ["zh_Hans_CN"]
        elif arg in extra:
            values[arg] = [extra[arg]]
        else:
            values[arg] = [0 if arg in ("index", "entry") else 1] if is_int else ["0" if arg == "index" else "x"]
    return values


def _urls(app, db, rule, user, extra):
    adapter = app.url_map.bind("localhost")
    values = _candidates(db, rule, user, extra)
    names = list(values)
    for combo in itertools.product(*(values[n] for n in names)):
        yield adapter.build(rule.endpoint, dict(zip(names, combo, strict=True)), append_unknown=False)


def _rules(app, methods):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "appbuilder.static"):
            continue
        if rule.methods & methods:
            yield rule


# ---- data for the pages to show -------------------------------------------------------------------------------------

def _prepare(app, db, login_as):
    """Rows behind every kind of page (staff, departments, posts, jobs, certifications) and a live QR location."""
    from app.services import seed

    seed.seed_org(seed.demo_institution())
    seed.seed_people(3)
    _pending_certifications(db)
    _import_jobs(db)
    owner = login_as("inst_admin")
    started = owner.post("/location/start", headers={"X-CSRFToken": csrf_token(owner, "/institution/")}).get_json()
    return {"token": started["token"], "signed": started["url"].rsplit("/", 1)[-1]}


def _pending_certifications(db):
    """A certification with a real stored photo in each demo institution (the file routes then serve it)."""
    import io

    from PIL import Image

    from app.models.security import RealNameCertification
    from app.services.storage import IMAGE_MAX, save_upload

    buf = io.BytesIO()
    Image.new("RGB", (20, 30), "white").save(buf, format="JPEG")
    photo = save_upload(buf.getvalue(), field_label="身份证正面照片", kinds={"jpeg"}, max_bytes=IMAGE_MAX)
    for username in ("newcomer01", "inst2_admin"):
        user = _user(db, username)
        db.session.add(RealNameCertification(user_id=user.id, institution_id=user.institution_id, name="测试",
                                             id_type="01", id_number="11010519491231002X", mobile="13800000000",
                                             front_path=photo.path, status="待审核"))
    db.session.commit()


def _user(db, username):
    from app.models.security import User

    return db.session.scalar(select(User).where(User.username == username))


# ---- the sweeps -----------------------------------------------------------------------------------------------------

CSP_NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_\-]+)'")
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
HANDLER_ATTR = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", re.S)


def _check_csp(url, resp):
    """An HTML page carries the site-wide policy, and every inline script the page has carries its nonce."""
    if resp.mimetype != "text/html":
        return
    policy = resp.headers.get("Content-Security-Policy", "")
    match = CSP_NONCE.search(policy)
    assert match, (url, policy)
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, (url, policy)
    for directive in ("object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'"):
        assert directive in policy, (url, directive)
    body = resp.get_data(as_text=True)
    for attrs in SCRIPT_TAG.findall(body):
        if "src=" not in attrs:
            assert f'nonce="{match.group(1)}"' in attrs, (url, attrs)
    handler = HANDLER_ATTR.search(body)
    assert handler is None, (url, body[max(handler.start() - 80, 0):handler.end() + 80] if handler else "")


@pytest.mark.parametrize("caller", CALLERS)
def test_no_get_changes_a_row_and_every_page_has_the_csp(app, db, login_as, caller):
    extra = _prepare(app, db, login_as)
    user = _user(db, caller)
    c = login_as(caller)
    checked = pages = 0
    for rule in _rules(app, {"GET"}):
        if rule.endpoint in SKIP_GET:
            continue
        before = _fingerprint(db)
        for url in _urls(app, db, rule, user, extra):
            resp = c.get(url)
            checked += 1
            assert resp.status_code < 500, (caller, url, resp.status_code)
            _check_csp(url, resp)
            pages += resp.mimetype == "text/html" and resp.status_code == 200
        changed = _changed(before, _fingerprint(db))
        assert not changed, f"GET {rule.rule} as {caller} changed {changed}"
    assert checked > 100 and pages > 40, (checked, pages)


def _exempt(app, endpoint):
    """A route CSRFProtect deliberately skips: FAB's REST APIs, authenticated by a bearer token, never a cookie."""
    csrf = app.extensions["csrf"]
    view = _view_of(endpoint)
    blueprint = endpoint.rsplit(".", 1)[0]
    blueprints = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    skipped = blueprint in blueprints or endpoint in csrf._exempt_views
    if skipped:
        assert isinstance(view, BaseApi), f"{endpoint} is exempt from CSRF but is not a bearer-token API"
        assert not view.allow_browser_login, f"{endpoint} is exempt from CSRF but accepts the session cookie"
    return skipped


@pytest.mark.parametrize("caller", CALLERS)
def test_no_state_change_without_a_csrf_token(app, db, login_as, caller):
    extra = _prepare(app, db, login_as)
    user = _user(db, caller)
    c = login_as(caller)
    checked = 0
    for rule in _rules(app, STATE_CHANGING):
        exempt = _exempt(app, rule.endpoint)
        before = _fingerprint(db)
        for url in _urls(app, db, rule, user, extra):
            for method in sorted(rule.methods & STATE_CHANGING):
                resp = c.open(url, method=method, data={"name": "改名", "action": "muldelete", "rowid": ["1", "2"]})
                checked += 1
                if exempt:  # no bearer token: refused, whatever the session cookie says
                    assert 400 <= resp.status_code < 500, (caller, method, url, resp.status_code)
                else:
                    assert resp.status_code == 400, (caller, method, url, resp.status_code)
        changed = _changed(before, _fingerprint(db))
        assert not changed, f"{sorted(rule.methods & STATE_CHANGING)} {rule.rule} as {caller} without a token changed {changed}"
    assert checked > 60


def test_fab_delete_and_actions_refuse_get(app, db, login_as):
    """The holes seen: GET deleted a role, an account (hard) and a dictionary entry."""
    from app.models.dictionary import DictItem
    from app.models.security import RoleProfile, User

    owner = login_as("inst_admin")
    role = owner.post("/roleprofileview/add", data={"csrf_token": csrf_token(owner, "/roleprofileview/add"),
                                                    "display_name": "临时角色", "role_type": "科室", "status": "正常"})
    assert role.status_code == 302
    profile = db.session.scalar(select(RoleProfile).where(RoleProfile.display_name == "临时角色"))
    assert owner.get(f"/roleprofileview/delete/{profile.id}").status_code == 405
    assert owner.post(f"/roleprofileview/delete/{profile.id}").status_code == 400
    admin = login_as("sysadmin01")
    victim = _user(db, "inst_staff")
    item = db.session.scalar(select(DictItem).order_by(DictItem.id).limit(1))
    assert admin.get(f"/users/delete/{victim.id}").status_code == 405
    assert admin.get(f"/dictitemview/delete/{item.id}").status_code == 405
    assert admin.get(f"/roleprofileview/action/permissions/{profile.id}").status_code == 405
    db.session.expire_all()
    assert db.session.get(RoleProfile, profile.id) is not None and db.session.get(DictItem, item.id) is not None
    assert db.session.get(User, victim.id).deleted_at is None


def test_fab_user_delete_is_the_soft_delete(app, db, login_as):
    """FAB's 账号列表 delete button (a POST with the token) keeps the row: the audit trail keeps the name."""
    from app.models.security import User

    admin = login_as("sysadmin01")
    victim = _user(db, "inst_staff")
    resp = admin.post(f"/users/delete/{victim.id}", data={"csrf_token": csrf_token(admin, "/account/password/")})
    assert resp.status_code == 302
    db.session.expire_all()
    kept = db.session.get(User, victim.id)
    assert kept is not None and kept.deleted_at is not None and not kept.active and kept.roles == []
    # Its own account cannot be deleted that way either (the service refuses; the row is untouched).
    me = _user(db, "sysadmin01")
    admin.post(f"/users/delete/{me.id}", data={"csrf_token": csrf_token(admin, "/account/password/")})
    db.session.expire_all()
    assert db.session.get(User, me.id).deleted_at is None


def test_fab_security_rest_api_is_off(app, login_as):
    """FAB's REST user/role APIs (hard delete, no account rules) are not registered; the REST login stays."""
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert not any(r.startswith("/api/v1/security/users") or r.startswith("/api/v1/security/roles") for r in rules)
    c = login_as("sysadmin01")
    token = c.post("/api/v1/security/login", json={"username": "sysadmin01", "password": "Demo@Hb-2580"}).get_json()
    assert "access_token" in token


def test_no_inline_handler_in_any_template():
    """Inline event handlers and javascript: URLs would be blocked by the CSP: none in app/templates."""
    root = Path(__file__).resolve().parents[2] / "app" / "templates"
    handler = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=|javascript:", re.S | re.I)
    offenders = []
    for path in root.rglob("*.html"):
        for m in handler.finditer(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(root)}: {m.group(0)[-60:]}")
    assert offenders == []
    inline_scripts = []
    for path in root.rglob("*.html"):
        for attrs in SCRIPT_TAG.findall(path.read_text(encoding="utf-8")):
            if "src=" not in attrs and "nonce=" not in attrs:
                inline_scripts.append(str(path.relative_to(root)))
    assert inline_scripts == []


def test_every_model_view_has_the_safe_routes(app):
    """A new FAB ModelView must take SafeRoutesMixin (TenantModelView has it): delete/action by POST only."""
    from app.security.tenancy import SafeRoutesMixin

    views = [v for v in appbuilder.baseviews if isinstance(v, ModelView)]
    assert views and all(isinstance(v, SafeRoutesMixin) for v in views), [
        type(v).__name__ for v in views if not isinstance(v, SafeRoutesMixin)]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith((".delete", ".action")) and isinstance(_view_of(rule.endpoint), ModelView):
            assert "GET" not in rule.methods, rule.rule
