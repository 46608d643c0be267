"""Real-name certification: validation, the letter, the scan, submit/withdraw, who may review, approval."""
import io

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.models.security import User
from app.services import certification as certs
from app.services import pdf, reviews

GOOD = {"name": "王新", "id_type": "01", "id_number": "11010519491231002x", "mobile": "13912345678"}


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _jpeg(color="white"):
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), color).save(buf, "JPEG")
    buf.seek(0)
    return buf


def _pdf_bytes(app):
    return pdf.render_pdf("certification.html", account="a", institution="b", name="c", id_type="d",
                          id_number="e", mobile="f", date="g")


def _pending(app, db, username="newcomer01"):
    user = _user(db, username)
    certs.save(user, front=_jpeg(), back=_jpeg("gray"), **GOOD)
    certs.upload_scan(user, io.BytesIO(_pdf_bytes(app)))
    certs.submit(user)
    return certs.for_user(user)


def test_every_field_error_at_once(db):
    with pytest.raises(ValidationFailed) as exc:
        certs.save(_user(db, "newcomer01"), name="", id_type="01", id_number="110105194912310021", mobile="1234")
    text = "；".join(exc.value.errors)
    for fragment in ("姓名不能为空", "校验位不正确", "手机号码须为 11 位", "请上传身份证正面照片", "请上传身份证反面照片"):
        assert fragment in text
    assert certs.for_user(_user(db, "newcomer01")) is None


@pytest.mark.parametrize("id_type, number, ok", [
    ("01", "11010519491231002X", True), ("01", "4.2011E+17", False), ("06", "H12345678", True),
    ("06", "X12345678", False), ("03", "E12345678", True), ("07", "1234567", False),
])
def test_id_number_checked_by_its_type(db, id_type, number, ok):
    problems = certs.field_problems("王新", id_type, number, "13912345678")
    assert (problems == []) is ok, problems


def test_photo_checked_by_content(db):
    with pytest.raises(ValidationFailed, match="身份证正面照片：只接受"):
        certs.save(_user(db, "newcomer01"), front=io.BytesIO(b"not an image at all"), back=_jpeg(), **GOOD)


def test_letter_shows_the_fields(app, db):
    user = _user(db, "newcomer01")
    cert = certs.save(user, front=_jpeg(), back=_jpeg(), **GOOD)
    assert cert.id_number == "11010519491231002X"  # lower-case x normalised
    data = pdf.render_pdf("certification.html", **certs.letter_context(cert, user))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(" ", "").replace("\n", "")
    for fragment in ("王新", "11010519491231002X", "newcomer01", "武汉市江夏区示例镇卫生院", "居民身份证", "人事部门盖章"):
        assert fragment in text


def test_submit_needs_the_scan_and_scan_is_checked(app, db):
    user = _user(db, "newcomer01")
    certs.save(user, front=_jpeg(), back=_jpeg(), **GOOD)
    with pytest.raises(DomainError, match="请先上传盖章后的证明扫描件"):
        certs.submit(user)
    with pytest.raises(DomainError, match="审核材料：只接受"):
        certs.upload_scan(user, io.BytesIO(b"PK\x03\x04 a zip file"))
    certs.upload_scan(user, io.BytesIO(_pdf_bytes(app)))
    certs.submit(user)
    assert certs.for_user(user).status == review.SUBMITTED
    with pytest.raises(DomainError, match="不能修改"):
        certs.save(user, **GOOD)
    certs.withdraw(user)
    assert certs.for_user(user).status == review.DRAFT


def test_owner_reviews_its_sub_accounts_only(app, db):
    cert = _pending(app, db)
    assert [c.id for c in reviews.queue(certs.REVIEW, _user(db, "inst_admin"), review.SUBMITTED)] == [cert.id]
    for other in ("inst2_admin", "region_admin", "inst_staff", "sysadmin01"):
        assert reviews.queue(certs.REVIEW, _user(db, other)) == [], other
        with pytest.raises(DomainError, match="不在您的审核范围内"):
            certs.decide(_user(db, other), cert.id, "approve")


def test_reject_needs_opinion_then_resubmit_and_approve_with_correction(app, db):
    cert = _pending(app, db)
    owner = _user(db, "inst_admin")
    with pytest.raises(DomainError, match="驳回时必须填写审核意见"):
        certs.decide(owner, cert.id, "reject", "")
    db.session.rollback()
    certs.decide(owner, cert.id, "reject", "扫描件不清晰")
    user = _user(db, "newcomer01")
    assert certs.for_user(user).status == review.REJECTED and certs.for_user(user).opinion == "扫描件不清晰"
    assert user.certified_at is None
    certs.submit(user)
    corrected = {**GOOD, "name": "王新新"}
    certs.decide(owner, cert.id, "approve", "", corrections=corrected)
    user = _user(db, "newcomer01")
    assert user.certified_at is not None and certs.for_user(user).name == "王新新"
    assert [h.action for h in reviews.history(certs.REVIEW, certs.for_user(user))] == ["submit", "reject", "submit", "approve"]
    with pytest.raises(DomainError, match="不能修改"):
        certs.save(user, **GOOD)  # approved: read-only


def test_regional_owner_reviews_institution_owners_and_sysadmin_regional_owners(app, db):
    from app.services import accounts
    from tests import factories

    inst = factories.institution(name="江夏区新建卫生院")
    accounts.create_owner_account(_user(db, "region_admin"), inst, username="xinjian_admin", nickname="新建院",
                                  mobile="", password="")
    cert = _pending(app, db, "xinjian_admin")
    assert [c.id for c in reviews.queue(certs.REVIEW, _user(db, "region_admin"))] == [cert.id]
    assert reviews.queue(certs.REVIEW, _user(db, "inst_admin")) == []
    region_cert = _pending(app, db, "region_admin")
    assert [c.id for c in reviews.queue(certs.REVIEW, _user(db, "sysadmin01"))] == [region_cert.id]


def test_a_refused_form_keeps_no_id_card_photo(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    with pytest.raises(ValidationFailed):
        certs.save(_user(db, "newcomer01"), front=_jpeg(), back=_jpeg("gray"), **{**GOOD, "mobile": "1234"})
    assert not any((tmp_path / "uploads").rglob("*.*"))
