"""Application factory: extensions, security, then views.register(appbuilder)."""
import datetime
import os

from flask import Flask, flash, g, jsonify, redirect, request, session, url_for
from flask_login import logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import appbuilder, csrf, db, migrate
from app.models.enums import WEB_SUBSYSTEMS
from app.security import sessions
from app.security.subsystems import certification_pending, current_subsystem, subsystem_of_endpoint

CONFIGS = {"": "config.Config", "development": "config.Config", "production": "config.ProductionConfig"}


def config_from_env() -> str:
    """The configuration APP_ENV selects (unset: development); an unknown value stops the start with a clear error."""
    env = os.environ.get("APP_ENV", "").strip().lower()
    if env not in CONFIGS:
        raise RuntimeError(f"APP_ENV={env!r} is not one of: production, development")
    return CONFIGS[env]


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config or config_from_env())
    os.makedirs(app.instance_path, exist_ok=True)
    trust_proxies(app)

    from app import models  # noqa: F401  (registers every table before the security manager maps them)
    from app.security.manager import AppSecurityManager, password_complexity
    from app.services import audit, concurrency
    from app.services import sessions as session_epochs

    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = password_complexity
    from app.views import health
    from config import engine_options

    # Timeouts and pre-ping: an unanswering database fails a request in seconds (config.engine_options); options a
    # configuration sets itself are added to these, never dropped for them.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**engine_options(app.config["SQLALCHEMY_DATABASE_URI"], app.config),
                                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    appbuilder.security_manager_class = AppSecurityManager
    with app.app_context():
        db.init_app(app)
        csrf.init_app(app)  # before FAB, so FAB's bearer-token APIs register their exemption and its views refuse GET deletes
        migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
        appbuilder.init_app(app, db.session)
        from app import views

        views.register(appbuilder)
        appbuilder.post_init()
        from app import ops

        ops.init_app(app)  # 运维控制台 at /ops (Flask-Admin beside FAB)

    from app.services.people import attachment_sets
    attachment_sets(app.config)  # a misspelt DETAIL_ATTACHMENT_SETS stops the start, not a clerk's save
    audit.install()
    session_epochs.install()
    audit.set_actor_provider(_request_actor)
    concurrency.install()
    _install_request_guards(app)
    _install_error_pages(app)
    _install_security_headers(app)
    _install_storage_full_page(app)
    _install_csp(app)
    from app.security import input_guard

    input_guard.install(app, appbuilder, _error_response)  # bad input → 400, anonymous → login page
    health.install(app)  # Chinese 503 during a database outage, /health, import-job recovery on first use

    from app.cli import register_cli

    register_cli(app)
    from app.services.imports import jobs as import_jobs

    import_jobs.runner_of(app)  # a wrong IMPORT_JOB_RUNNER stops the start here, not at the first upload
    if app.config.get("PDF_WARM_UP"):
        _warm_up_pdf(app)
    # Nothing here touches the database (a worker booting during an outage must start): import-job recovery runs
    # on first use (health.install), in `imports worker` and in `setup`.
    return app


def _warm_up_pdf(app):
    """Register the PDF font and render once in the background, so the first letter is not slow."""
    from app.services import pdf

    if pdf.font_path(app.instance_path).exists():
        # Its thread is named pdf-warm-up: `imports worker` waits for it before forking (app/worker.py rq_worker).
        pdf.prepare_font(app.instance_path)


def trust_proxies(app):
    """Honour X-Forwarded-For/-Proto/-Host only from ALLOWED_PROXIES trusted proxies (0: never).

    The same under every server: `python run.py` tells waitress to pass the headers through untouched, so this
    ProxyFix is the only place they are read. A request without the proxies' X-Forwarded-For entries has no known
    client address: it is treated as coming from the internet (never as the health network), with a warning."""
    n = app.config.get("ALLOWED_PROXIES", 0)
    if n:
        app.wsgi_app = _MissingForwardedFor(ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n), n, app.logger)


class _MissingForwardedFor:
    def __init__(self, wsgi_app, proxies, logger):
        self.wsgi_app, self.proxies, self.logger, self.warned = wsgi_app, proxies, logger, False

    def __call__(self, environ, start_response):
        entries = [e for e in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) < self.proxies:
            environ[sessions.PROXY_HEADER_MISSING] = True
            if not self.warned:
                self.warned = True
                self.logger.warning(
                    "ALLOWED_PROXIES=%s but a request from %s carries %s X-Forwarded-For entries: the proxy must set "
                    "X-Forwarded-For; such requests are treated as coming from the internet",
                    self.proxies, environ.get("REMOTE_ADDR"), len(entries))
        return self.wsgi_app(environ, start_response)


def _request_actor():
    from flask import has_request_context

    if not has_request_context():
        return None
    user = g.get("user")
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return {
        "user_id": user.id if authenticated else None,
        "username": user.username if authenticated else None,
        "client_addr": request.remote_addr,
    }


ERROR_MESSAGES = {
    400: ("请求无效", "提交的内容无法处理。如果页面停留过久，请刷新后重新提交。"),
    403: ("没有权限", "您的账号没有打开此页面或执行此操作的权限。如需开通，请联系本机构总账号或上级管理员。"),
    404: ("页面不存在", "您要找的页面或记录不存在，或不属于您的机构/辖区。"),
    405: ("操作方式不允许", "此页面不支持该操作方式。"),
    413: ("文件过大", "上传的文件超过了允许的大小。"),
    429: ("操作过于频繁", "登录或操作次数过多，请稍后再试。"),
    500: ("系统错误", "系统处理时出现错误，已记录。请稍后重试，或联系工程师。"),
}


def _install_error_pages(app):
    """Chinese error pages (HTML) and messages (JSON for /api/)."""
    from werkzeug.exceptions import HTTPException

    def handle(exc):
        code = exc.code if isinstance(exc, HTTPException) else 500
        text = None
        if code == 400 and "CSRF" in str(getattr(exc, "description", "")):
            text = "页面已过期（安全校验失败），请刷新页面后重新提交。"
        return _error_response(code, text)

    for code in ERROR_MESSAGES:
        app.register_error_handler(code, handle)

    def stale(exc):  # two saves raced past the form's version check (services.concurrency covers the forms)
        from app.services.concurrency import GENERIC
        from app.services.database import forget_failed_work

        forget_failed_work()
        return _error_response(409, GENERIC)

    from sqlalchemy.orm.exc import StaleDataError

    app.register_error_handler(StaleDataError, stale)
    app.jinja_env.globals["now"] = datetime.datetime.now
    app.jinja_env.globals["current_subsystem"] = current_subsystem
    app.jinja_env.globals["all_subsystems"] = WEB_SUBSYSTEMS  # the switcher: 开放接口 has no menu


def _error_response(code, text=None):
    from flask import current_app, render_template

    title, default = ERROR_MESSAGES.get(code, ("出错了", "请求未能完成。"))
    text = text or default
    if request.path.startswith("/api/") or request.is_json:  # a script's request (the phone's position) reads JSON
        return jsonify(message=f"{title}：{text}"), code
    if "user" not in g:  # refused before FAB's own hook set it (CSRFProtect runs first)
        from flask_login import current_user

        g.user = current_user
    ab = current_app.appbuilder
    return render_template("error.html", code=code, title=title, text=text, appbuilder=ab,
                           base_template=ab.base_template), code


# Responses that are not pages (files, JSON, downloads) may load nothing and run no script, even if a browser
# were tricked into rendering one. Pages get their own policy elsewhere; a policy already set is never replaced.
NON_PAGE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def _install_security_headers(app):
    """Headers on every response: no MIME sniffing, no framing by other sites, no full URLs leaked as Referer;
    Chinese messages on the REST API's 401/403 (FAB and Flask-JWT-Extended answer in English)."""
    from app.security.api_messages import chinese_api_error

    @app.after_request
    def security_headers(resp):
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers.setdefault("X-Frame-Options", "DENY")  # a PDF route allows our own pages (SAMEORIGIN)
        # same-origin, not no-referrer: over HTTPS Flask-WTF's CSRF check needs the Referer of our own pages.
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if resp.mimetype != "text/html" and "Content-Security-Policy" not in resp.headers:
            resp.headers["Content-Security-Policy"] = NON_PAGE_CSP
        if request.path.startswith("/api/"):
            chinese_api_error(resp)
        return resp


def _install_storage_full_page(app):
    """A full disk while the request body is received (Werkzeug spills uploads over 500 KB to a temporary file
    before any view runs): the Chinese message instead of a 500. Other OSErrors go on as before."""
    import errno

    from app.services.storage import STORAGE_FULL

    @app.errorhandler(OSError)
    def storage_full(exc):
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise exc
        app.logger.error("request not received, disk full: %s", exc)
        return _error_response(507, STORAGE_FULL)


# Site-wide Content-Security-Policy (docs/security.md). Scripts: this site's files, or inline blocks carrying the
# request's nonce; no inline event handlers, no eval. Inline style attributes are allowed (FAB and Bootstrap use them).
CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def csp_nonce():
    """One random nonce per request; FAB's templates call it through `baselib.get_nonce()`, ours as csp_nonce()."""
    import secrets

    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _install_csp(app):
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def content_security_policy(response):
        # HTML pages only: a file shown in a page (a PDF in an <iframe>) must not carry frame-ancestors 'none'.
        # A policy set by the view itself (file downloads: default-src 'none'; sandbox) is kept.
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            policy = CSP.format(nonce=csp_nonce())
            if g.get("csp_frame_self"):  # a page our own pages show in a frame (the letter's 正在准备字体 page)
                policy = policy.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
            response.headers["Content-Security-Policy"] = policy
        return response


STATIC_ENDPOINTS = {"static", "appbuilder.static"}

# Pages a user who must change the password may still open.
FORCED_CHANGE_ALLOWED = {"ChangePasswordView.form", "AppAuthDBView.logout", "AppAuthDBView.login", "static",
                         "appbuilder.static", "SubsystemView.switch"}


def _install_request_guards(app):
    idle = datetime.timedelta(seconds=app.config["IDLE_TIMEOUT_SECONDS"])

    @app.before_request
    def idle_timeout_and_forced_change():
        endpoint = request.endpoint or ""
        if endpoint in STATIC_ENDPOINTS:
            return None  # files are not user activity, and must not rewrite the session cookie
        user = g.get("user")
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        ended = sessions.session_refusal(user)  # a copied cookie dies with its account's session epoch
        if ended:
            logout_user()
            session.clear()
            if request.path.startswith("/api/"):
                return jsonify(message=ended), 401
            flash(ended, "warning")
            return redirect(url_for("AppAuthDBView.login"))
        now = datetime.datetime.now(datetime.UTC)
        last = session.get("_last_seen")
        if last is not None and now - datetime.datetime.fromtimestamp(last, datetime.UTC) > idle:
            logout_user()
            session.clear()
            flash("30 分钟未操作，登录已超时，请重新登录", "warning")
            return redirect(url_for("AppAuthDBView.login"))
        if last is None or now.timestamp() - last >= 60 or not session.permanent:
            session.permanent = True
            session["_last_seen"] = now.timestamp()
        if user.must_change_password and endpoint not in FORCED_CHANGE_ALLOWED:
            if request.path.startswith("/api/"):
                return jsonify(message="首次登录或密码被重置，请先修改密码"), 403
            return redirect(url_for("ChangePasswordView.form"))  # the page itself says why (once, not also a flash)
        if (certification_pending(user) and endpoint not in FORCED_CHANGE_ALLOWED
                and not endpoint.startswith("CertificationView.")):
            if request.path.startswith("/api/"):
                return jsonify(message="请先完成实名认证"), 403
            return redirect(url_for("CertificationView.form"))
        subsystem = subsystem_of_endpoint(app, endpoint)
        if subsystem and subsystem not in user.subsystem_list:
            return _error_response(403, f"您的账号没有开通“{subsystem}”子系统")
        return None
