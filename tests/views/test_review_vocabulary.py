"""One status vocabulary for certification, change requests and probation; withdrawing says so; the certification
letter is shown in the page below the form (issue 11, spec 2.1)."""
import io
import re

from sqlalchemy import select

from app.domain import review
from app.models.security import User
from app.services import certification as certs
from tests.conftest import csrf_token
from tests.services.test_certification import GOOD, _jpeg, _pdf_bytes
from tests.views.test_institution_views import PDF
from tests.views.test_probation_views import _filing

WITHDRAWN = "已撤回，可修改后重新提交"


def _status(html):
    return re.search(r'id="cert-status">([^<]*)<', html).group(1)


def _uncertified_owner(db):
    user = db.session.scalar(select(User).where(User.username == "inst_admin"))
    user.certified_at = None
    db.session.commit()
    return user


def test_certification_statuses_use_the_shared_words_and_withdraw_says_so(app, db, login_as):
    user = _uncertified_owner(db)
    c = login_as("inst_admin")
    assert _status(c.get("/certification/").get_data(as_text=True)) == review.NOT_STARTED
    certs.save(user, front=_jpeg(), back=_jpeg("gray"), **GOOD)
    assert _status(c.get("/certification/").get_data(as_text=True)) == "草稿"  # not 未提交 here and 草稿 elsewhere
    certs.upload_scan(user, io.BytesIO(_pdf_bytes(app)))
    certs.submit(user)
    token = csrf_token(c, "/certification/")
    page = c.post("/certification/withdraw", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert "实名认证" + WITHDRAWN in page and _status(page) == "草稿"
    assert set(certs.STATUS_LABELS.values()) == set(review.STATUSES)


def test_change_request_withdraw_says_so(db, login_as):
    owner = login_as("inst_admin")
    token = csrf_token(owner, "/institution/")
    owner.post("/institution/change", data={"csrf_token": token, "change_grade": "y", "grade": "一级",
                                            "reason": "等级评审", "files": (io.BytesIO(PDF), "评审.pdf")},
               content_type="multipart/form-data")
    page = owner.get("/institution/").get_data(as_text=True)
    pk = re.search(r"/institution/change/(\d+)/withdraw", page).group(1)
    page = owner.post(f"/institution/change/{pk}/withdraw", data={"csrf_token": token},
                      follow_redirects=True).get_data(as_text=True)
    assert "机构信息修改申请" + WITHDRAWN in page


def test_probation_withdraw_says_so(db, login_as):
    filing = _filing(db)
    c = login_as("inst_admin")
    token = csrf_token(c, f"/probation/form/{filing.person_id}")
    page = c.post(f"/probation/withdraw/{filing.id}", data={"csrf_token": token},
                  follow_redirects=True).get_data(as_text=True)
    assert "的试用期填报" + WITHDRAWN in page


def test_certification_letter_is_shown_below_the_form(db, login_as):
    user = _uncertified_owner(db)
    certs.save(user, front=_jpeg(), back=_jpeg("gray"), **GOOD)
    c = login_as("inst_admin")
    page = c.get("/certification/").get_data(as_text=True)
    frame = re.search(r'<iframe id="letter-frame" src="([^"]+)"', page)
    assert frame and frame.group(1) == "/certification/letter.pdf"
    assert page.index('id="letter-frame"') > page.index('action="/certification/save"')  # below the form
    letter = c.get(frame.group(1))
    assert letter.data[:5] == b"%PDF-"
    assert "frame-ancestors 'self'" in letter.headers["Content-Security-Policy"]  # our page may frame it
    assert letter.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_no_letter_frame_before_the_first_save(db, login_as):
    _uncertified_owner(db)
    page = login_as("inst_admin").get("/certification/").get_data(as_text=True)
    assert 'id="letter-frame"' not in page
