"""试用期填报 and 试用期审核 through the pages: the roster, a refused form keeping what was typed, the window,
the review, attachments served only in scope, 403 for institution accounts on the review pages, foreign ids 404."""
import datetime

import pytest
from sqlalchemy import select

from app.domain import review
from app.models.people import Probation, ProbationWindow
from app.models.security import User
from app.services import probation as svc
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token
from tests.services.test_probation import GOOD, _inst, _region, jpeg, person
from tests.views.test_chinese_ui import english_in
from tests.views.test_tenancy import _fill, _pk_routes

YEAR = datetime.date.today().year


def _open_window(db, region_code="420115"):
    db.session.add(ProbationWindow(region_id=_region(db, region_code).id, year=YEAR,
                                   opens_on=datetime.date(YEAR, 1, 1), closes_on=datetime.date(YEAR, 12, 31)))
    db.session.commit()


def _closed_window(db):
    today = datetime.date.today()
    opens = datetime.date(YEAR, 12, 1) if today.month < 12 else datetime.date(YEAR, 1, 1)
    closes = datetime.date(YEAR, 12, 31) if today.month < 12 else datetime.date(YEAR, 1, 31)
    db.session.add(ProbationWindow(region_id=_region(db, "420115").id, year=YEAR, opens_on=opens, closes_on=closes))
    db.session.commit()
    return f"报名时间为 {opens:%Y-%m-%d} 至 {closes:%Y-%m-%d}，当前不在报名时间内"


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _filing(db, code=JIANGXIA_CODE, owner="inst_admin", submit=True):
    p = person(db, code)
    filing = svc.save(_user(db, owner), p.id, GOOD, uploads=[jpeg()])
    if submit:
        region = _inst(db, code).region.code
        if not db.session.scalar(select(ProbationWindow.id).where(ProbationWindow.region_id == _region(db, region).id)):
            _open_window(db, region)
        svc.submit(_user(db, owner), filing.id)
    return db.session.get(Probation, filing.id)


def test_roster_shows_probation_staff_and_explains_the_rule(db, login_as):
    person(db, name="甲试用")
    person(db, status="在岗", name="乙在岗")
    person(db, code=WUCHANG_CODE, name="丙武昌")
    body = login_as("inst_admin").get("/probation/list/").get_data(as_text=True)
    roster = body.split('id="probation-roster"')[1]
    assert "甲试用" in roster and "乙在岗" not in roster and "丙武昌" not in roster and "未填报" in roster
    assert "须先在“人员信息管理—基本信息”中把在职状态改为“医师资格考试试用期考核人员”" in body
    assert "上级卫健委尚未设置本年度报名时间" in body


def test_refused_form_keeps_what_was_typed_and_names_every_field(db, login_as):
    p = person(db)
    c = login_as("inst_admin")
    token = csrf_token(c, f"/probation/form/{p.id}")
    typed = {"exam_category": "4", "start_date": "2025-07-01", "end_date": "2025-06-01", "probation_unit": "",
             "supervisor": "钱带教", "supervisor_title": "主治医师", "note": "夜班较多"}
    resp = c.post(f"/probation/save/{p.id}", data={"csrf_token": token, "action": "save", **typed},
                  content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for fragment in ("试用期结束日期须晚于试用期开始日期", "试用机构不能为空", "请上传试用期证明材料"):
        assert fragment in body
    for value in ('value="2025-07-01"', 'value="2025-06-01"', 'value="钱带教"', 'value="主治医师"', "夜班较多",
                  '<option value="4" selected'):
        assert value in body, value
    assert db.session.scalar(select(Probation).where(Probation.person_id == p.id)) is None


def test_save_draft_then_submit_outside_and_inside_the_window(db, login_as):
    p = person(db)
    c = login_as("inst_admin")
    token = csrf_token(c, f"/probation/form/{p.id}")
    resp = c.post(f"/probation/save/{p.id}", data={"csrf_token": token, "action": "save", **GOOD,
                                                   "attachments": (jpeg(), "证明.jpg")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    filing = db.session.scalar(select(Probation).where(Probation.person_id == p.id))
    assert filing.status == review.DRAFT and filing.attachments[0]["filename"] == "证明.jpg"

    resp = c.post(f"/probation/submit/{filing.id}", data={"csrf_token": token})
    assert "上级卫健委尚未设置本年度报名时间" in resp.get_data(as_text=True)
    message = _closed_window(db)
    resp = c.post(f"/probation/save/{p.id}", data={"csrf_token": token, "action": "submit", **GOOD},
                  content_type="multipart/form-data")
    assert "已保存为草稿，但未能提交：" + message in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Probation, filing.id).status == review.DRAFT

    db.session.query(ProbationWindow).delete()
    _open_window(db)
    assert c.post(f"/probation/submit/{filing.id}", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Probation, filing.id).status == review.SUBMITTED
    page = c.get(f"/probation/form/{p.id}").get_data(as_text=True)
    assert "待审核" in page and "撤回" in page and 'id="probation-form"' not in page  # read-only while pending
    assert c.get(f"/probation/file/{filing.id}/0").status_code == 200
    assert c.get(f"/probation/file/{filing.id}/0/thumb").mimetype == "image/jpeg"
    assert c.get(f"/probation/file/{filing.id}/5").status_code == 404


def test_person_not_on_probation_cannot_be_filed(db, login_as):
    on_duty = person(db, status="在岗", name="李在岗")
    c = login_as("inst_admin")
    body = c.get(f"/probation/form/{on_duty.id}").get_data(as_text=True)
    assert "不能填报试用期" in body and 'id="probation-form"' not in body
    token = csrf_token(c, "/account/password/")
    resp = c.post(f"/probation/save/{on_duty.id}", data={"csrf_token": token, **GOOD, "attachments": (jpeg(), "a.jpg")},
                  content_type="multipart/form-data")
    assert "请先在“人员信息管理—基本信息”中修改在职状态" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Probation)) is None


def test_institution_accounts_get_403_on_the_review_pages(db, login_as):
    filing = _filing(db)
    for username in ("inst_admin", "inst2_admin"):
        c = login_as(username)
        token = csrf_token(c, "/account/password/")
        for path in ("/probationreview/list/", f"/probationreview/show/{filing.id}", f"/probationreview/file/{filing.id}/0",
                     "/probationreview/window"):
            assert c.get(path).status_code == 403, (username, path)
        for path in (f"/probationreview/decide/{filing.id}", "/probationreview/window"):
            resp = c.post(path, data={"csrf_token": token, "action": "approve", "year": str(YEAR),
                                      "opens_on": f"{YEAR}-01-01", "closes_on": f"{YEAR}-01-02"})
            assert resp.status_code == 403, (username, path)
    db.session.expire_all()
    assert db.session.get(Probation, filing.id).status == review.SUBMITTED
    assert db.session.scalar(select(ProbationWindow).where(ProbationWindow.closes_on == datetime.date(YEAR, 1, 2))) is None


def test_foreign_ids_answer_404(db, login_as):
    ours, theirs = _filing(db), _filing(db, WUCHANG_CODE, "inst2_admin")
    c = login_as("inst_admin")
    token = csrf_token(c, "/account/password/")
    for path in (f"/probation/show/{theirs.id}", f"/probation/file/{theirs.id}/0", f"/probation/form/{theirs.person_id}"):
        assert c.get(path).status_code == 404, path
    for path in (f"/probation/submit/{theirs.id}", f"/probation/withdraw/{theirs.id}", f"/probation/save/{theirs.person_id}"):
        assert c.post(path, data={"csrf_token": token, **GOOD}).status_code == 404, path
    r = login_as("region_admin")
    assert r.get(f"/probationreview/show/{ours.id}").status_code == 200
    for path in (f"/probationreview/show/{theirs.id}", f"/probationreview/file/{theirs.id}/0"):
        assert r.get(path).status_code == 404, path
    r_token = csrf_token(r, "/account/password/")  # a token belongs to its own session
    assert r.post(f"/probationreview/decide/{theirs.id}", data={"csrf_token": r_token, "action": "approve"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Probation, theirs.id).status == review.SUBMITTED


@pytest.mark.parametrize("caller, foreign_code", [("inst2_admin", JIANGXIA_CODE), ("inst_admin", WUCHANG_CODE),
                                                  ("inst_staff", WUCHANG_CODE), ("region_admin", WUCHANG_CODE)])
def test_every_pk_route_of_both_views_refuses_foreign_filings(app, db, login_as, caller, foreign_code):
    """The tenancy sweep of tests/views/test_tenancy.py, over these two views, with filings of every status present."""
    from app.extensions import appbuilder

    owner = "inst_admin" if foreign_code == JIANGXIA_CODE else "inst2_admin"
    foreign = [_filing(db, foreign_code, owner), _filing(db, foreign_code, owner, submit=False)]
    c = login_as(caller)
    token = csrf_token(c, "/account/password/")
    views = [v for v in appbuilder.baseviews if v.route_base in ("/probation", "/probationreview")]
    checked = 0
    for view in views:
        for rule in _pk_routes(app, view.endpoint):
            for filing in foreign:
                for url in _fill(app, rule, filing.id, view):
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        resp = c.get(url) if method == "GET" else c.open(url, method=method, data={"csrf_token": token})
                        assert resp.status_code in (403, 404), (caller, method, url, resp.status_code)
                        checked += 1
    assert checked >= 16
    db.session.expire_all()
    assert [db.session.get(Probation, f.id).status for f in foreign] == [review.SUBMITTED, review.DRAFT]


def test_county_reviews_with_attachments_opinion_and_history(db, login_as):
    ours, theirs = _filing(db), _filing(db, WUCHANG_CODE, "inst2_admin")
    r = login_as("region_admin")
    queue = r.get("/probationreview/list/").get_data(as_text=True)
    assert ours.person.institution.name in queue and theirs.person.institution.name not in queue
    page = r.get(f"/probationreview/show/{ours.id}").get_data(as_text=True)
    assert f"/probationreview/file/{ours.id}/0" in page and "李医生" in page
    assert r.get(f"/probationreview/file/{ours.id}/0").mimetype == "image/jpeg"
    token = csrf_token(r, f"/probationreview/show/{ours.id}")
    resp = r.post(f"/probationreview/decide/{ours.id}", data={"csrf_token": token, "action": "reject", "opinion": " "})
    assert "驳回时必须填写审核意见" in resp.get_data(as_text=True)
    resp = r.post(f"/probationreview/decide/{ours.id}", data={"csrf_token": token, "action": "reject",
                                                             "opinion": "请补充带教老师的职称证明"})
    assert resp.status_code == 302
    c = login_as("inst_admin")
    page = c.get(f"/probation/form/{ours.person_id}").get_data(as_text=True)
    assert "请补充带教老师的职称证明" in page and 'id="probation-form"' in page and 'id="review-history"' in page
    token = csrf_token(c, f"/probation/form/{ours.person_id}")
    assert c.post(f"/probation/save/{ours.person_id}", data={"csrf_token": token, "action": "submit", **GOOD},
                  content_type="multipart/form-data").status_code == 302
    token = csrf_token(r, f"/probationreview/show/{ours.id}")
    assert r.post(f"/probationreview/decide/{ours.id}", data={"csrf_token": token, "action": "approve"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Probation, ours.id).status == review.APPROVED
    history = r.get(f"/probationreview/show/{ours.id}").get_data(as_text=True).split('id="review-history"')[1]
    assert history.count("<tr>") == 5  # header, submit, reject, submit, approve


def test_window_page_keeps_a_refused_input_and_saves(db, login_as):
    r = login_as("region_admin")
    token = csrf_token(r, "/probationreview/window")
    resp = r.post("/probationreview/window", data={"csrf_token": token, "year": str(YEAR),
                                                   "opens_on": f"{YEAR}-03-31", "closes_on": f"{YEAR}-03-01"})
    body = resp.get_data(as_text=True)
    assert "报名截止日期不能早于报名开始日期" in body
    assert f'value="{YEAR}-03-31"' in body and f'value="{YEAR}-03-01"' in body
    assert db.session.scalar(select(ProbationWindow)) is None
    resp = r.post("/probationreview/window", data={"csrf_token": token, "year": str(YEAR),
                                                   "opens_on": f"{YEAR}-03-01", "closes_on": f"{YEAR}-03-31"})
    assert resp.status_code == 302
    assert f"{YEAR}-03-01 至 {YEAR}-03-31" in r.get("/probationreview/window").get_data(as_text=True)
    listing = login_as("inst_admin").get("/probation/list/").get_data(as_text=True)
    assert f"本年度报名时间为 {YEAR}-03-01 至 {YEAR}-03-31（江夏区设置）" in listing


def test_pages_show_no_english_interface_text(db, login_as):
    filing = _filing(db)
    c = login_as("inst_admin")
    r = login_as("region_admin")
    found = {}
    for client, path in ((c, "/probation/list/"), (c, f"/probation/form/{filing.person_id}"),
                         (c, f"/probation/show/{filing.id}"), (r, "/probationreview/list/"),
                         (r, f"/probationreview/show/{filing.id}"), (r, "/probationreview/window"),
                         (login_as("sysadmin01"), "/probationreview/window"), (login_as("sysadmin01"), "/probation/list/")):
        resp = client.get(path)
        assert resp.status_code == 200, path
        words = english_in(resp.get_data(as_text=True))
        if words:
            found[path] = words
    assert found == {}
