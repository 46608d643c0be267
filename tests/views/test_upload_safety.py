"""Uploads can never run script in a reader's session (issue 10 item 1), and a full disk is a Chinese message.

Every upload form is fed a web page dressed as an accepted type (a PDF shell, an SVG, HTML renamed .jpg/.png/.pdf):
each is refused with a Chinese message naming the accepted types, and nothing is stored. Files are served with the
type their bytes show, `nosniff`, a sandboxing CSP and, for anything not an image or PDF, as a download.
"""
import errno
import hashlib
import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models.org import Institution, InstitutionFile
from app.models.people import Person, Probation, Qualification
from app.models.security import User
from app.models.workflow import ChangeRequest
from app.services import storage
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests import factories
from tests.conftest import csrf_token
from tests.services.test_probation import GOOD
from tests.services.test_storage import HTML_IN_PDF_SHELL, _minimal_pdf

PAGE = b"<!DOCTYPE html><html><body><script>window.__pwned = 1; alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b"<script>window.__pwned = 1</script><rect width=\"10\" height=\"10\"/></svg>")
BAD_FILES = {
    "pdf-shell-around-html": (HTML_IN_PDF_SHELL, "批复文件.html"),
    "svg-with-script": (SVG, "照片.svg"),
    "html-named-jpg": (PAGE, "照片.jpg"),
    "html-named-png": (PAGE, "照片.png"),
    "html-named-pdf": (PAGE, "批复文件.pdf"),
}
REFUSED = re.compile(r"只接受 (JPG|JPG 或 PNG|JPG、PNG 或 PDF) 文件")


def _jpeg(color="white"):
    buf = io.BytesIO()
    Image.new("RGB", (90, 120), color).save(buf, "JPEG")
    return buf.getvalue()


def _inst(db):
    return db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))


_n = {"i": 700}


def _person(db, **kw):
    _n["i"] += 1
    p = Person(institution_id=_inst(db).id, name=kw.pop("name", f"上传{_n['i']}"), id_type="01",
               id_number=synthetic_id(_n["i"]), sex="1", status=kw.pop("status", "在岗"), **kw)
    db.session.add(p)
    db.session.commit()
    return p


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _files_on_disk(app):
    import pathlib

    root = pathlib.Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- every upload form: (who, how to submit the file, what must not have been written) ---------------------------

def _staff_photo(c, db, data, name):
    person = _person(db)
    token = csrf_token(c, f"/people/edit/{person.id}")
    resp = c.post(f"/people/edit/{person.id}", data={"csrf_token": token, "name": person.name, "id_type": "01",
                                                    "id_number": person.id_number, "sex": "1", "status": "在岗",
                                                    "photo": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")
    db.session.expire_all()
    return resp.get_data(as_text=True), db.session.get(Person, person.id).photo_path is None


def _detail_attachments(c, db, data, name):
    person = _person(db)
    token = csrf_token(c, f"/people/show/{person.id}")
    before = _count(db, Qualification)
    resp = c.post(f"/people/show/{person.id}/detail/qualification",
                  data={"csrf_token": token, "kind": "护士资格证书", "certificate_no": "HS2010", "obtained_on": "2010-05",
                        "attachments": [(io.BytesIO(data), name)]}, content_type="multipart/form-data")
    return resp.get_data(as_text=True), _count(db, Qualification) == before


def _attachment_batch(c, db, data, name):
    import datetime

    person = _person(db)
    entry = Qualification(person_id=person.id, institution_id=person.institution_id, kind="护士资格证书",
                          certificate_no="Q1", obtained_on=datetime.date(2015, 1, 1))
    db.session.add(entry)
    db.session.commit()
    token = csrf_token(c, "/attachmentbatch/?set=qualification")
    resp = c.post(f"/attachmentbatch/person/{person.id}/upload",
                  data={"csrf_token": token, "set": "qualification", "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")
    db.session.expire_all()
    return resp.get_json()["message"], not db.session.get(Qualification, entry.id).attachments


def _probation(c, db, data, name):
    person = _person(db, status="医师资格考试试用期考核人员")
    token = csrf_token(c, f"/probation/form/{person.id}")
    resp = c.post(f"/probation/save/{person.id}", data={"csrf_token": token, "action": "save", **GOOD,
                                                       "attachments": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")
    return resp.get_data(as_text=True), _count(db, Probation) == 0


def _change_request(c, db, data, name):
    token = csrf_token(c, "/institution/")
    resp = c.post("/institution/change", data={"csrf_token": token, "change_grade": "y", "grade": "一级",
                                               "reason": "等级评审", "files": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")
    return resp.get_data(as_text=True), _count(db, ChangeRequest) == 0


def _institution_file(c, db, data, name):
    token = csrf_token(c, "/institution/")
    before = _count(db, InstitutionFile)
    resp = c.post("/institution/upload", data={"csrf_token": token, "kind": "执业许可证", "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")
    return resp.get_data(as_text=True), _count(db, InstitutionFile) == before


def _certification_photos(c, db, data, name):
    token = csrf_token(c, "/certification/")
    resp = c.post("/certification/save", data={"csrf_token": token, "name": "王小", "id_type": "01",
                                               "id_number": "11010519491231002X", "mobile": "13912345678",
                                               "front": (io.BytesIO(data), name), "back": (io.BytesIO(_jpeg()), "b.jpg")},
                  content_type="multipart/form-data")
    return resp.get_data(as_text=True), _cert_of(db) is None


def _certification_scan(c, db, data, name):
    token = csrf_token(c, "/certification/")
    resp = c.post("/certification/save", data={"csrf_token": token, "name": "王小", "id_type": "01",
                                               "id_number": "11010519491231002X", "mobile": "13912345678",
                                               "front": (io.BytesIO(_jpeg("red")), "f.jpg"),
                                               "back": (io.BytesIO(_jpeg("blue")), "b.jpg")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    _marks["on_disk"] = _files_on_disk(c.application)  # the photos above are meant to be stored
    resp = c.post("/certification/scan", data={"csrf_token": token, "scan": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")
    return resp.get_data(as_text=True), _cert_of(db).scan_path is None


_marks = {}


def _cert_of(db):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == "upload_cert01")).certification


FORMS = {
    "staff-photo": ("inst_admin", _staff_photo),
    "person-detail-attachments": ("inst_admin", _detail_attachments),
    "attachment-batch-import": ("inst_admin", _attachment_batch),
    "probation-filing": ("inst_admin", _probation),
    "institution-change-request": ("inst_admin", _change_request),
    "institution-attachments": ("inst_admin", _institution_file),
    "certification-photos": ("upload_cert01", _certification_photos),
    "certification-scan": ("upload_cert01", _certification_scan),
}


def _client(db, login_as, who):
    if who == "upload_cert01":  # a new owner who has yet to certify: only the certification page is open
        factories.account("upload_cert01", institution=_inst(db))
        return login_as("upload_cert01", "Good@Pw-2468")
    return login_as(who)


@pytest.mark.parametrize("bad", BAD_FILES, ids=list(BAD_FILES))
@pytest.mark.parametrize("form", FORMS, ids=list(FORMS))
def test_every_upload_form_refuses_web_pages_dressed_as_accepted_files(app, db, login_as, form, bad):
    who, submit = FORMS[form]
    c = _client(db, login_as, who)
    _marks["on_disk"] = _files_on_disk(app)
    data, name = BAD_FILES[bad]

    message, nothing_saved = submit(c, db, data, name)

    assert REFUSED.search(message) or "不是真正的 PDF" in message, message[:3000]
    assert nothing_saved
    assert _files_on_disk(app) == _marks["on_disk"]


# --- serving ---------------------------------------------------------------------------------------------------------

FILE_CSP = "default-src 'none'; sandbox"


def _plant(app, content, ext):
    """A file as an older version could have stored it: under a storage path, with whatever bytes."""
    import os

    digest = hashlib.sha256(content).hexdigest()
    relative = f"{digest[:2]}/{digest}.{ext}"
    target = os.path.join(app.config["UPLOAD_FOLDER"], digest[:2], f"{digest}.{ext}")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(content)
    return relative


def _change_request_with(db, files):
    from app.domain import review

    inst = _inst(db)
    req = ChangeRequest(institution_id=inst.id, changes={"grade": [None, "一级"]}, reason="更名", files=files,
                        created_by="inst_admin", status=review.SUBMITTED)
    db.session.add(req)
    db.session.commit()
    return req


def test_a_stored_web_page_named_html_is_served_inert(app, db, login_as):
    page = _plant(app, PAGE, "pdf")
    shell = _plant(app, HTML_IN_PDF_SHELL, "pdf")
    req = _change_request_with(db, [{"path": page, "filename": "批复文件.html", "kind": "pdf"},
                                    {"path": shell, "filename": "批复文件.html", "kind": "pdf"}])
    region = login_as("region_admin")

    resp = region.get(f"/changereview/file/{req.id}/0")
    assert resp.status_code == 200 and resp.data == PAGE
    assert resp.mimetype == "application/octet-stream"  # neither the name (.html) nor the path (.pdf) decides
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert ".html" not in resp.headers["Content-Disposition"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"].startswith(FILE_CSP)

    resp = region.get(f"/changereview/file/{req.id}/1")  # starts with %PDF-: a PDF viewer, never the HTML parser
    assert resp.mimetype == "application/pdf" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"].startswith(FILE_CSP)
    assert "批复文件.pdf" in resp.headers["Content-Disposition"] or "%E6%89%B9%E5%A4%8D" in resp.headers[
        "Content-Disposition"]


def test_institution_file_is_served_with_the_checked_type_not_the_name(app, db, login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/institution/")
    resp = owner.post("/institution/upload", data={"csrf_token": token, "kind": "执业许可证",
                                                   "file": (io.BytesIO(_minimal_pdf()), "许可证.html")},
                      content_type="multipart/form-data")
    assert resp.status_code == 302
    item = db.session.scalar(select(InstitutionFile).order_by(InstitutionFile.id.desc()))

    resp = owner.get(f"/institution/file/{item.id}")
    assert resp.mimetype == "application/pdf" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("inline") and ".html" not in resp.headers[
        "Content-Disposition"]
    assert resp.headers["Content-Security-Policy"].startswith(FILE_CSP)
    assert "frame-ancestors 'self'" in resp.headers["Content-Security-Policy"]  # shown inside our review pages


def test_staff_photo_is_private_and_sandboxed(app, db, login_as):
    person = _person(db)
    stored = storage.save_upload(_jpeg(), field_label="照片", kinds={"jpeg"}, max_bytes=storage.IMAGE_MAX)
    person.photo_path, person.photo_thumb = stored.path, stored.thumb_path
    db.session.commit()
    c = login_as("inst_admin")

    for url in (f"/personfile/photo/{person.id}", f"/personfile/photo/{person.id}/thumb"):
        resp = c.get(url)
        assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
        assert "private" in resp.headers["Cache-Control"] and "public" not in resp.headers["Cache-Control"]
        assert resp.headers["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
        assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"


# --- a full disk -----------------------------------------------------------------------------------------------------

def _unique_pdf():
    """Content no earlier test stored (files are stored by content hash: an existing one is not written again)."""
    return _minimal_pdf().replace(b"[0 0 200 200]", b"[0 0 201 207]")


def _disk_full(monkeypatch):
    def refuse(target, content):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "write_atomic", refuse)


def test_full_disk_keeps_the_change_request_form_and_saves_nothing(app, db, login_as, monkeypatch):
    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    on_disk = _files_on_disk(app)
    _disk_full(monkeypatch)

    resp = c.post("/institution/change", data={"csrf_token": token, "change_grade": "y", "grade": "一级",
                                               "reason": "等级评审结果公布", "files": (io.BytesIO(_unique_pdf()), "评审.pdf")},
                  content_type="multipart/form-data")

    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "证明材料：服务器存储空间不足，请联系管理员" in page
    assert "等级评审结果公布" in page  # what was typed is still in the form
    assert _count(db, ChangeRequest) == 0 and _files_on_disk(app) == on_disk


def test_full_disk_keeps_the_detail_entry_form_and_saves_nothing(app, db, login_as, monkeypatch):
    person = _person(db)
    c = login_as("inst_admin")
    token = csrf_token(c, f"/people/show/{person.id}")
    on_disk = _files_on_disk(app)
    _disk_full(monkeypatch)

    resp = c.post(f"/people/show/{person.id}/detail/qualification",
                  data={"csrf_token": token, "kind": "护士资格证书", "certificate_no": "HS-ENOSPC-7", "obtained_on": "2010-05",
                        "attachments": [(io.BytesIO(_jpeg((7, 77, 177))), "证书.jpg")]},
                  content_type="multipart/form-data")

    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "服务器存储空间不足，请联系管理员" in page
    assert 'value="HS-ENOSPC-7"' in page
    assert _count(db, Qualification) == 0 and _files_on_disk(app) == on_disk


def test_full_disk_while_receiving_a_large_upload_is_the_chinese_page(app, db, login_as, monkeypatch):
    """Werkzeug writes a request body over 500 KB to a temporary file before the view runs."""
    import tempfile

    import werkzeug.formparser

    class FullDisk(tempfile.SpooledTemporaryFile):
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", FullDisk)

    resp = c.post("/institution/upload", data={"csrf_token": token, "kind": "执业许可证",
                                               "file": (io.BytesIO(b"x" * 600_000), "许可证.pdf")},
                  content_type="multipart/form-data")

    assert resp.status_code == 507
    assert "服务器存储空间不足，请联系管理员" in resp.get_data(as_text=True)
    assert _count(db, InstitutionFile) == 0
