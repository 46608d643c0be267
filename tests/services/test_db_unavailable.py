"""The server survives its database (issue 10 item 5), the fast part on any database: app creation touches no
database, a database error answers the Chinese 503 (HTML, JSON under /api/), /health says how things are, and the
PostgreSQL engine gets its timeouts. The outage itself, through a TCP proxy and real gunicorn workers, is in
tests/services/test_db_outage.py."""
import json
import os
import subprocess
import sys

from sqlalchemy.exc import OperationalError

from app.views import health
from config import engine_options

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _outage(*args, **kwargs):
    raise OperationalError("SELECT 1", {}, Exception('connection to server at "127.0.0.1", port 5432 failed'))


def test_a_database_error_answers_the_chinese_503(app, db, login_as, monkeypatch):
    c = login_as("inst_admin")
    monkeypatch.setattr(app.login_manager, "_user_callback", _outage)  # the first query of every request fails

    resp = c.get("/people/list/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
    assert "数据库暂时无法连接，请稍后再试" in page and "Internal Server Error" not in page

    resp = c.get("/api/v1/anything")
    assert resp.status_code == 503 and resp.get_json() == {"message": "数据库暂时无法连接，请稍后再试"}

    monkeypatch.undo()  # the database is back: the same client is served again
    assert c.get("/people/list/").status_code == 200


def test_health_says_the_database_is_ok(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.get_json()["database"] == "ok" and resp.get_json()["status"] == "ok"


def test_health_tells_the_internet_only_ok_or_not(client, monkeypatch):
    """Details (Redis, queue, workers) are for the health network's monitoring; from the internet only the status."""
    resp = client.get("/health", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    monkeypatch.setattr(health, "database_ok", lambda: False)
    resp = client.get("/health", environ_base={"REMOTE_ADDR": "8.8.8.8"})
    assert resp.status_code == 503 and resp.get_json() == {"status": "error"}


def test_health_says_the_database_is_down(client, monkeypatch):
    monkeypatch.setattr(health, "database_ok", lambda: False)
    resp = client.get("/health")
    assert resp.status_code == 503 and resp.get_json()["database"] == "error"


def test_postgresql_gets_connect_and_statement_timeouts_and_pre_ping():
    options = engine_options("postgresql+psycopg://u@h/d", {"DB_CONNECT_TIMEOUT": 3, "DB_STATEMENT_TIMEOUT": 20})
    assert options == {"pool_pre_ping": True,
                       "connect_args": {"connect_timeout": 3, "options": "-c statement_timeout=20000"}}
    assert engine_options("sqlite:///x.db", {}) == {"pool_pre_ping": True}


CLOSED_PORT_APP = r"""
import json, sys
import config
from app import create_app

class Cfg(config.Config):
    SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"
    RECOVER_IMPORT_JOBS = True  # as in production
    PDF_WARM_UP = False
    UPLOAD_FOLDER = sys.argv[1]

app = create_app(Cfg)
c = app.test_client()
health = c.get("/health")
login = c.get("/login/")
print(json.dumps({"health": [health.status_code, health.get_json()], "login": login.status_code,
                  "page": login.get_data(as_text=True)}))
"""


def test_the_app_is_created_and_answers_while_the_database_is_unreachable(tmp_path):
    """A gunicorn worker booting during an outage: create_app (with the import-job recovery of a server) returns,
    and requests get the Chinese 503 instead of a dead worker."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP", "REDIS_URL")}
    done = subprocess.run([sys.executable, "-c", CLOSED_PORT_APP, str(tmp_path)], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["health"] == [503, {"database": "error", "status": "error"}]
    assert out["login"] == 503 and "数据库暂时无法连接，请稍后再试" in out["page"]
