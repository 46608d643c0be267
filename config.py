"""Configuration from environment variables. Imports nothing from app/."""
import os
import secrets
from datetime import timedelta

from flask_appbuilder.const import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/ (never in the repo)."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    path = os.path.join(INSTANCE_DIR, "secret_key")
    if not os.path.exists(path):
        with open(path, "w") as fh:
            fh.write(secrets.token_hex(32))
        os.chmod(path, 0o600)
    with open(path) as fh:
        return fh.read().strip()


def engine_options(uri: str, config) -> dict:
    """Engine options for the database URI: stale pooled connections are tested (pool_pre_ping) and replaced;
    PostgreSQL gets a connect timeout (DB_CONNECT_TIMEOUT seconds) and a statement timeout (DB_STATEMENT_TIMEOUT
    seconds, 0 = none), so an unanswering database fails a request in seconds instead of hanging the worker."""
    options = {"pool_pre_ping": True}
    if uri.startswith("postgresql"):
        connect_args = {"connect_timeout": int(config.get("DB_CONNECT_TIMEOUT") or 5)}
        statement = int(config.get("DB_STATEMENT_TIMEOUT") or 0)
        if statement > 0:
            connect_args["options"] = f"-c statement_timeout={statement * 1000}"
        options["connect_args"] = connect_args
    return options


class Config:
    APP_NAME = "卫生健康基础资源管理系统"
    APP_THEME = ""
    SECRET_KEY = _secret_key()

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "app.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # PostgreSQL: seconds to wait for a connection, and for one statement (0 = no limit); see app/views/health.py.
    DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))
    DB_STATEMENT_TIMEOUT = int(os.environ.get("DB_STATEMENT_TIMEOUT", "60"))
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Where import jobs run: "auto" = RQ workers when REDIS_URL is set and `rq` is installed, else a thread of the
    # web process; "thread" = always a thread (REDIS_URL then serves the rate limits only); "rq" = always RQ.
    IMPORT_JOB_RUNNER = os.environ.get("IMPORT_JOB_RUNNER", "").strip().lower() or "auto"
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", os.path.join(INSTANCE_DIR, "uploads"))
    MAX_CONTENT_LENGTH = 32 * 1024 * 1024
    PDF_WARM_UP = True
    RECOVER_IMPORT_JOBS = True
    IMPORT_MAX_BYTES = 20 * 1024 * 1024
    IMPORT_MAX_UNCOMPRESSED = 200 * 1024 * 1024
    IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "100000"))
    # Detail sets whose 单条录入 needs an attachment image (spec 4.2.3: all); keys or names, comma-separated, a
    # province may shorten the list (e.g. "education,title,qualification,practice"). services.people.attachment_sets
    DETAIL_ATTACHMENT_SETS = os.environ.get("DETAIL_ATTACHMENT_SETS", "work,education,title,qualification,practice,training")
    IMPORT_BACKGROUND_ROWS = 100  # more rows than this: a background job (spec 4.2.4 (7))
    # Days the uploaded workbook and error workbook of a finished import job are kept (they hold ID numbers and
    # phones); then they are removed and the job keeps its counts only. 0 = keep them as long as the job.
    IMPORT_KEEP_DAYS = max(int(os.environ.get("IMPORT_KEEP_DAYS", "").strip() or "90"), 0)

    HOST = os.environ.get("HOST", "127.0.0.1")
    PORT = int(os.environ.get("PORT", "5000"))

    # Access channel: addresses inside these ranges are the private health network (卫生专网).
    HEALTH_NET_CIDRS = os.environ.get(
        "HEALTH_NET_CIDRS", "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,::1/128"
    )
    ALLOWED_PROXIES = int(os.environ.get("ALLOWED_PROXIES", "0"))

    DEFAULT_PASSWORD = os.environ.get("DEFAULT_PASSWORD", "Zjrj@-2007")
    # The address a phone opens (经纬度 QR link); blank: the address the desktop used (often a 专网 one).
    PUBLIC_BASE_URL = (os.environ.get("PUBLIC_BASE_URL") or "").strip().rstrip("/") or None
    LOCKOUT_THRESHOLD = 5
    LOCKOUT_MINUTES = 30

    # Sessions: 30 minutes idle.
    # The idle check in app/__init__.py decides (with the "登录已超时" message); the cookie lives a little longer so it
    # never expires first. The cookie is rewritten only when the session changes (at most once a minute for the idle
    # timestamp): re-sending it on every request let a parallel static-file response overwrite a newer session
    # (FAB's page history, flashed messages) with an older copy.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=35)
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    IDLE_TIMEOUT_SECONDS = 30 * 60
    # REST tokens (flask_jwt_extended's default refresh token lived 30 days). Both also end with the account's
    # session epoch (logout, password, lock, delete, role or access change): app/security/sessions.py.
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(hours=8)

    # CSRF on every form (Flask-WTF, enabled by FAB).
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    # Flask-AppBuilder
    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "系统管理员"
    AUTH_ROLE_PUBLIC = "匿名访问"
    AUTH_USER_REGISTRATION = False
    FAB_CREATE_DB = False  # the schema comes from Alembic migrations only
    FAB_UPDATE_PERMS = False  # permissions are synced by `setup` (app.security.roles)
    # FAB's REST user/role/permission APIs hard-delete accounts and bypass the account rules; nothing uses them.
    # The REST login (/api/v1/security/login, refresh) stays.
    FAB_ADD_SECURITY_API = False
    FAB_API_SWAGGER_UI = True  # /swagger/v1 and /api/v1/_openapi: rights of 系统管理员 only (FAB grants them to the admin role)
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    # FAB's raw permission tables are not pages for our users (the permission tree replaces them).
    FAB_ADD_SECURITY_PERMISSION_VIEW = False
    FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
    FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
    FAB_BASE_TEMPLATE = "base_app.html"
    FAB_INDEX_VIEW = "app.views.home.HomeIndexView"

    # Rate limits: login form and REST login, per client address.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per minute")
    AUTH_RATE_LIMITED = True
    AUTH_RATE_LIMIT = LOGIN_RATE_LIMIT
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True

    # Chinese UI
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": {"flag": "cn", "name": "简体中文"}}


class TestConfig(Config):
    TESTING = True
    PDF_WARM_UP = False
    RECOVER_IMPORT_JOBS = False
    IMPORT_JOB_RUNNER = "thread"  # CI sets REDIS_URL with no worker running; RQ tests switch to "rq" themselves
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SERVER_NAME = None


class ProductionConfig(Config):
    """APP_ENV=production (gunicorn behind HTTPS): cookies only over HTTPS, no debug, https links."""

    DEBUG = False
    TESTING = False
    PREFERRED_URL_SCHEME = "https"
    # SESSION_COOKIE_SECURE=0 only for a trial on plain HTTP: browsers then drop a Secure cookie and nobody can log in.
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
