"""Fixtures: one app per test session on a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL),
migrated and seeded once, then restored from a template before every test so tests cannot leak into each other.
"""
import os
import re
import shutil
import threading
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

import config
from app.services.seed import DEMO_PASSWORD

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class _Database:
    """Restores the seeded database before each test: a file copy (SQLite), or on PostgreSQL the tables the test
    wrote to, from a copy of the seeded rows (CREATE DATABASE … TEMPLATE only after a failure)."""

    def __init__(self, tmp_dir):
        base = os.environ.get("TEST_DATABASE_URL")
        self.pg = bool(base) and base.startswith("postgresql")
        if self.pg:
            url = make_url(base)
            self.admin_url = url
            # a name of this run's own: two runs against one server (two terminals, two CI jobs) cannot drop
            # each other's databases
            run = f"{url.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self.work_name, self.template_name = f"{run}_work", f"{run}_template"
            self.url = url.set(database=self.work_name).render_as_string(hide_password=False)
            self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                        f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)',
                        f'CREATE DATABASE "{self.work_name}"')
        else:
            self.work_file = os.path.join(tmp_dir, "work.db")
            self.template_file = os.path.join(tmp_dir, "template.db")
            self.url = "sqlite:///" + self.work_file

    def _admin(self, *statements):
        import psycopg

        u = self.admin_url
        with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                             dbname=u.database, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)

    def drop(self):
        """The run's databases go with the run (PostgreSQL)."""
        if self.pg:
            self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                        f'DROP DATABASE IF EXISTS "{self.template_name}" WITH (FORCE)')

    def save_template(self, engine):
        engine.dispose()
        if self.pg:
            self._admin(f'CREATE DATABASE "{self.template_name}" TEMPLATE "{self.work_name}"')
            self._snapshot()
        else:
            shutil.copyfile(self.work_file, self.template_file)

    def restore(self, engine):
        engine.dispose()
        if self.pg:
            try:
                self._reload()
            except Exception as exc:  # a connection a test left open holds a lock: start again from the template
                import warnings

                warnings.warn(f"restoring the seeded rows failed ({exc}); copying the template database instead", stacklevel=2)
                self._admin(f'DROP DATABASE IF EXISTS "{self.work_name}" WITH (FORCE)',
                            f'CREATE DATABASE "{self.work_name}" TEMPLATE "{self.template_name}"')
                self._snapshot()
        else:
            shutil.copyfile(self.template_file, self.work_file)

    # PostgreSQL: copying a database per test (CREATE DATABASE … TEMPLATE) costs 250–470 ms. Instead the seeded rows
    # are kept in a schema of the work database ("seed"), and a statement trigger on every table notes the tables a
    # test wrote to; restoring empties those (DELETE) and copies their rows back with foreign-key triggers off
    # (session_replication_role = replica, which also keeps the noting triggers quiet), then resets the sequences.
    def _work(self):
        import psycopg

        u = self.admin_url
        return psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                               dbname=self.work_name)

    def _snapshot(self):
        with self._work() as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            conn.execute("DROP SCHEMA IF EXISTS seed CASCADE")
            conn.execute("CREATE SCHEMA seed")
            conn.execute("CREATE UNLOGGED TABLE seed._dirty (name text PRIMARY KEY)")
            conn.execute("""CREATE FUNCTION seed.note_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN INSERT INTO seed._dirty VALUES (TG_TABLE_NAME) ON CONFLICT DO NOTHING; RETURN NULL; END $$""")
            for t in tables:
                conn.execute(f'CREATE TABLE seed."{t}" AS SELECT * FROM public."{t}"')
                conn.execute(f'CREATE TRIGGER zz_note_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
                             f'ON public."{t}" FOR EACH STATEMENT EXECUTE FUNCTION seed.note_dirty()')
            # each table's own sequences (serial / identity columns) and their seeded values
            self._sequences = {}
            for table, seq in conn.execute(
                    "SELECT c.relname, s.relname FROM pg_depend d JOIN pg_class s ON s.oid = d.objid "
                    "JOIN pg_class c ON c.oid = d.refobjid JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE s.relkind = 'S' AND n.nspname = 'public'"):
                value, called = conn.execute(f'SELECT last_value, is_called FROM public."{seq}"').fetchone()
                self._sequences.setdefault(table, []).append((seq, value, called))
            self._tables = set(tables)

    def _reload(self):
        with self._work() as conn:
            conn.execute("SET lock_timeout = '5s'")
            dirty = [r[0] for r in conn.execute("SELECT name FROM seed._dirty") if r[0] in self._tables]
            if not dirty:
                return
            conn.execute("SET session_replication_role = replica")
            for t in dirty:  # DELETE, not TRUNCATE: TRUNCATE refuses a table other tables refer to
                conn.execute(f'DELETE FROM public."{t}"')
                conn.execute(f'INSERT INTO public."{t}" SELECT * FROM seed."{t}"')
                for seq, value, called in self._sequences.get(t, ()):
                    conn.execute("SELECT setval(%s, %s, %s)", (f'public."{seq}"', value, called))
            conn.execute("DELETE FROM seed._dirty")


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: a fresh `g` and its own DB session,
    even though the test body itself holds an app context for direct database access."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def _database(tmp_path_factory):
    database = _Database(str(tmp_path_factory.mktemp("db")))
    yield database
    database.drop()


@pytest.fixture(scope="session")
def app(_database, tmp_path_factory):
    from app import create_app
    from app.cli import run_setup
    from app.extensions import db

    class Cfg(config.TestConfig):
        SQLALCHEMY_DATABASE_URI = _database.url
        UPLOAD_FOLDER = str(tmp_path_factory.mktemp("uploads"))
        RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"

    app = create_app(Cfg)
    app.test_client_class = IsolatedClient
    with app.app_context():
        run_setup(demo=True)
        _database.save_template(db.engine)
    return app


@pytest.fixture(autouse=True)
def db(app, _database):
    """The database, fresh from the seeded template for every test."""
    from app.extensions import db as _db
    from app.extensions import limiter

    with app.app_context():
        _db.session.remove()
        _database.restore(_db.engine)
        limiter.reset()
        yield _db
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path="/login/"):
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def login(client, username, password=DEMO_PASSWORD, **kw):
    token = csrf_token(client)
    return client.post("/login/", data={"username": username, "password": password, "csrf_token": token}, **kw)


@pytest.fixture
def login_as(app):
    """login_as("inst_admin") → a test client logged in as that demo account."""

    def _login(username, password=DEMO_PASSWORD):
        c = app.test_client()
        resp = login(c, username, password)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return c

    return _login


@pytest.fixture
def live_server(app, db):
    """The app served by waitress on a free local port, for browser tests."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    port = server.effective_port
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=5)
