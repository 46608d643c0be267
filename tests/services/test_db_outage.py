"""The server survives its database (issue 10 item 5), end to end: real gunicorn workers (-w 2) talking to PostgreSQL
through a TCP proxy this test controls (the shared PostgreSQL server is never stopped).

- proxy down while the workers boot: they boot, pages answer the Chinese 503, /health says database error;
- proxy up: the same workers serve again (login, a page), no restart;
- black hole (connections accepted, never answered): a page answers 503 within the connect timeout, not a hang.

Needs PostgreSQL: TEST_DATABASE_URL when it is PostgreSQL, else the local server at 127.0.0.1:5432 (always there
in CI); the test creates its own database <name>_proxy."""
import http.cookiejar
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy.engine import make_url

from app.services.seed import DEMO_PASSWORD

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
UNAVAILABLE = "数据库暂时无法连接，请稍后再试"

pytestmark = pytest.mark.slow


class Proxy:
    """A TCP proxy to (host, port) on a free local port. Modes: "up" (forward), "down" (accept and close at once),
    "blackhole" (accept, never answer). Switching mode closes the connections in flight."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.mode = "up"
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets, self.lock, self.closed = [], threading.Lock(), False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode):
        with self.lock:
            self.mode = mode
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            _close(s)

    def close(self):
        self.closed = True
        self.set("down")
        _close(self.listener)

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                mode = self.mode
                self.sockets.append(client)
            if mode == "down":
                _close(client)
            elif mode == "up":
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(client)
                    continue
                with self.lock:
                    self.sockets.append(upstream)
                threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            # blackhole: kept open, never read, never answered

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1)
                for src in ready:
                    data = src.recv(65536)
                    if not data:
                        raise OSError("closed")
                    (b if src is a else a).sendall(data)
        except (OSError, ValueError):
            _close(a)
            _close(b)


def _close(s):
    try:
        s.close()
    except OSError:
        pass


def _admin_url():
    base = os.environ.get("TEST_DATABASE_URL") or ""
    if base.startswith("postgresql"):
        return make_url(base)
    return make_url("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin(url, *statements):
    import psycopg

    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                         dbname=url.database, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """urllib with cookies; returns (status, text) for every answer, errors included."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path, data=None, timeout=20):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=timeout) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def login(self, username):
        status, page = self.open("/login/")
        assert status == 200, page[:500]
        token = CSRF_RE.search(page).group(1)
        return self.open("/login/", {"username": username, "password": DEMO_PASSWORD, "csrf_token": token})


def _wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"not within {seconds} s: {what}")


@pytest.fixture
def pg_proxy(tmp_path):
    admin = _admin_url()
    name = f"{admin.database if admin.database != 'postgres' else 'test'}_proxy"
    _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    direct = admin.set(database=name)
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_APP", "REDIS_URL", "TEST_DATABASE_URL")}
    env.update(DATABASE_URL=direct.render_as_string(hide_password=False), UPLOAD_FOLDER=str(tmp_path / "uploads"),
               IMPORT_JOB_RUNNER="thread")
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "run.py", "setup", "--demo"], cwd=PROJECT_DIR,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    proxy = Proxy(direct.host or "127.0.0.1", direct.port or 5432)
    env["DATABASE_URL"] = direct.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy, env
    proxy.close()
    _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_gunicorn_workers_survive_a_database_outage_and_a_black_hole(pg_proxy, tmp_path):
    proxy, env = pg_proxy
    env.update(DB_CONNECT_TIMEOUT="2")
    port = _free_port()
    proxy.set("down")  # the database is away while the workers boot
    log = open(tmp_path / "gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
                               "--timeout", "120", "run:app"], cwd=PROJECT_DIR, env=env, stdout=log, stderr=log,
                              start_new_session=True)
    try:
        web = Browser(f"http://127.0.0.1:{port}")

        def answers():
            try:
                return web.open("/health", timeout=5)[0] in (200, 503)
            except OSError:
                return False

        _wait_for(answers, 90, "gunicorn answers")
        for _ in range(4):  # both workers (the requests spread over them)
            status, body = web.open("/health")
            assert status == 503 and '"database":"error"' in body.replace(" ", "")
            status, page = web.open("/login/")
            assert status == 503 and UNAVAILABLE in page, page[:300]
        assert server.poll() is None, "gunicorn stopped"

        proxy.set("up")  # the database is back: the same workers serve again
        _wait_for(lambda: web.open("/health")[0] == 200, 30, "/health 200 after the database returns")
        status, page = web.login("inst_admin")
        assert status == 200 and "退出" in page, page[:500]  # logged in: the menu offers 退出
        for _ in range(4):
            status, page = web.open("/people/list/")
            assert status == 200 and "人员" in page

        proxy.set("blackhole")  # accepts, never answers: 503 within the connect timeout, not a hang
        status, page = web.open("/people/list/", timeout=20)
        assert status == 503 and UNAVAILABLE in page
        status, body = web.open("/health", timeout=20)
        assert status == 503

        proxy.set("up")
        _wait_for(lambda: web.open("/people/list/")[0] == 200, 30, "pages again after the black hole")
        assert server.poll() is None, "gunicorn stopped"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
