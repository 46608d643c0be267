"""`python run.py` on a fresh instance: the server starts without waiting for the PDF font, which is converted in
the background; a certification letter asked for meanwhile answers 正在准备字体，请稍候 (never a PDF with blank
text) and is the real letter once the font is ready."""
import io
import shutil
import threading

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.models.security import User
from app.services import certification as certs
from app.services import pdf
from tests.services.test_certification import GOOD, _jpeg


@pytest.fixture
def fresh_instance(app, monkeypatch, tmp_path):
    """An instance folder without the converted font; the conversion is a fake that waits until `release` is set,
    then copies the real converted font (the real one takes half a minute)."""
    real_font = pdf.ensure_font(app.instance_path)
    release, started = threading.Event(), threading.Event()

    def fake_convert(target):
        started.set()
        assert release.wait(60)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_font, target)

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setattr(pdf, "_convert_in_child", fake_convert)
    monkeypatch.setattr(pdf, "convert_font", lambda *a, **k: pytest.fail("converted on the start path"))
    monkeypatch.setattr(pdf, "_preparing", None)
    monkeypatch.setitem(app.config, "PDF_FONT_WAIT_SECONDS", 0)
    yield release, started
    release.set()
    if pdf._preparing is not None:
        pdf._preparing.join(10)


def _letter_user(db, app):
    user = db.session.scalar(select(User).where(User.username == "inst_staff"))
    certs.save(user, front=_jpeg(), back=_jpeg(), **GOOD)
    return user


def test_run_serves_before_the_font_is_ready_and_the_letter_waits_for_it(app, db, fresh_instance, login_as):
    from app.cli import prepare_run

    release, started = fresh_instance
    assert "sysadmin01" in prepare_run(app)  # returns (the server may start) while the conversion has not ended
    assert started.wait(10) and not pdf.font_path(app.instance_path).exists()

    _letter_user(db, app)
    c = login_as("inst_staff")
    pending = c.get("/certification/letter.pdf")
    assert pending.status_code == 503 and pending.mimetype == "text/html"
    assert "正在准备字体，请稍候" in pending.get_data(as_text=True)
    assert pending.headers["Retry-After"] == "10"

    release.set()
    pdf._preparing.join(30)
    letter = c.get("/certification/letter.pdf")
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.data)).pages).replace(" ", "")
    assert GOOD["name"] in text and "人事部门盖章" in text


def test_a_letter_request_starts_the_conversion_when_nothing_else_has(app, db, fresh_instance, login_as):
    release, started = fresh_instance  # e.g. gunicorn workers on a machine where `flask setup` was not run
    _letter_user(db, app)
    c = login_as("inst_staff")

    assert c.get("/certification/letter.pdf").status_code == 503
    assert started.wait(10)
    release.set()
    pdf._preparing.join(30)
    assert c.get("/certification/letter.pdf").data[:5] == b"%PDF-"


@pytest.mark.slow
def test_the_conversion_in_a_child_process_writes_a_truetype_font(tmp_path):
    target = tmp_path / "fonts" / "NotoSansSC.ttf"

    pdf._convert_in_child(target)

    with open(target, "rb") as fh:
        assert fh.read(4) == b"\x00\x01\x00\x00"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind


_FRESH_START = """
from app.services import pdf
pdf.prepare_font = lambda instance_path: None  # the font is not what this test is about
from sqlalchemy import func, select, text
from run import app
from app.cli import prepare_run
from app.extensions import db
from app.models.org import Institution
prepare_run(app)
with app.app_context():
    print("institutions", db.session.scalar(select(func.count(Institution.id))))
    print("synchronous", db.session.execute(text("PRAGMA synchronous")).scalar())
"""


@pytest.mark.slow
def test_first_start_on_a_fresh_sqlite_file_leaves_the_server_with_durable_commits(tmp_path):
    """The first start skips fsync while it fills a fresh SQLite file; the server's connections afterwards do not."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/fresh.db", "SECRET_KEY": "x" * 32}
    out = subprocess.run([sys.executable, "-c", _FRESH_START], cwd=root, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "institutions 3" in out.stdout and "synchronous 2" in out.stdout  # 2 = FULL, SQLite's default
