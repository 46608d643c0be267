"""调动申请 and 人员流动 through the pages: the 申请调入 offer under the 证件号码 refusal, the request's pages for each
side, the permission matrix (requester / holder / a third institution / no right), the regional page and export."""
import datetime
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from app.models.movements import Resignation, TransferRequest
from app.models.org import Institution
from app.services import transfers as svc
from app.services.seed import WUCHANG_CODE, WUCHANG_PERSON
from tests import factories
from tests.conftest import csrf_token
from tests.services.test_transfers import _moves, _request, _user

NUMBER = WUCHANG_PERSON["id_number"]


def _stored(db, pk):
    db.session.expire_all()
    return db.session.get(TransferRequest, pk)


def test_the_refusal_of_a_number_active_elsewhere_offers_a_transfer_request(db, login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, "/people/add")
    body = c.post("/people/add", data={"csrf_token": token, "name": "陈武昌", "id_type": "01", "id_number": NUMBER,
                                       "status": "在岗"}).get_data(as_text=True)
    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    field = body.split('id="id_number"')[1].split("</div>")[0:3]
    assert "需原单位办理离职后方可录入" in "".join(field)
    offer = re.search(r'<button[^>]*formaction="/transfers/new"[^>]*>([^<]*<i[^>]*></i>[^<]*)', body)
    assert offer and f"向{wuchang.name}申请调入" in offer.group(1)
    # the button posts the people form (its number and name): the request form fills itself and saves nothing
    page = c.post("/transfers/new", data={"csrf_token": token, "offer": "1", "id_number": NUMBER, "name": "陈武昌",
                                          "status": "在岗"}).get_data(as_text=True)
    assert f'value="{NUMBER}"' in page and 'value="陈武昌"' in page and "未保存" not in page
    assert f'id="holder-name">{wuchang.name}<' in page
    assert db.session.scalar(select(TransferRequest.id)) is None


def test_no_offer_when_the_number_is_free(db, login_as):
    c = login_as("inst_admin")
    body = c.post("/people/add", data={"csrf_token": csrf_token(c, "/people/add"), "name": "某人", "id_type": "01",
                                       "id_number": "bad", "status": "在岗"}).get_data(as_text=True)
    assert 'id="transfer-offer"' not in body


def test_request_then_the_holder_starts_the_resignation(db, login_as):
    requester = login_as("inst_admin")
    token = csrf_token(requester, "/transfers/new")
    resp = requester.post("/transfers/new", data={"csrf_token": token, "id_number": NUMBER, "name": "陈武昌",
                                                  "reason": "本院急需全科医生", "expected_date": ""})
    assert resp.status_code == 302
    req = db.session.scalar(select(TransferRequest))
    assert resp.headers["Location"].endswith(f"/transfers/show/{req.id}")
    sent = requester.get("/transfers/list/?tab=sent").get_data(as_text=True)
    assert "陈武昌" in sent.split('id="transfers-sent"')[1] and "待处理" in sent
    holder = login_as("inst2_admin")
    queue = holder.get("/transfers/list/").get_data(as_text=True).split('id="transfers-received"')[1]
    assert "陈武昌" in queue and "本院急需全科医生" in queue
    page = holder.get(f"/transfers/show/{req.id}").get_data(as_text=True)
    assert 'id="start-resignation"' in page and 'id="decline"' in page and 'id="withdraw"' not in page
    resp = holder.post(f"/transfers/resign/{req.id}", data={"csrf_token": csrf_token(holder, "/account/password/"),
                                                           "version": str(req.version)}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "已为陈武昌办理离职" in body and "已办理离职" in body
    resignation = db.session.scalar(select(Resignation).where(Resignation.transfer_request_id == req.id))
    assert (resignation.flow_type, resignation.status) == ("21", "草稿")
    assert f'id="open-resignation" href="/resignation/show/{resignation.id}"' in body
    assert holder.get(f"/resignation/show/{resignation.id}").status_code == 200
    assert _stored(db, req.id).status == "已办理离职"


def test_decline_without_a_reason_is_refused_next_to_its_field(db, login_as):
    req = _request(db)
    holder = login_as("inst2_admin")
    token = csrf_token(holder, "/account/password/")
    body = holder.post(f"/transfers/decline/{req.id}", data={"csrf_token": token, "answer": " "}).get_data(as_text=True)
    assert re.search(r'id="answer".*?field-error" data-field="answer">请填写拒绝理由<', body, re.S)
    assert _stored(db, req.id).status == "待处理"
    resp = holder.post(f"/transfers/decline/{req.id}", data={"csrf_token": token, "answer": "工作需要，暂不同意"},
                       follow_redirects=True)
    assert "已拒绝" in resp.get_data(as_text=True) and _stored(db, req.id).answer == "工作需要，暂不同意"
    sent = login_as("inst_admin").get(f"/transfers/show/{req.id}").get_data(as_text=True)
    assert "工作需要，暂不同意" in sent and 'id="withdraw"' not in sent


def test_requester_withdraws(db, login_as):
    req = _request(db)
    c = login_as("inst_admin")
    assert 'id="withdraw"' in c.get(f"/transfers/show/{req.id}").get_data(as_text=True)
    c.post(f"/transfers/withdraw/{req.id}", data={"csrf_token": csrf_token(c, "/account/password/")})
    assert _stored(db, req.id).status == "已撤回"


def test_an_expired_request_is_shown_expired_without_buttons(db, login_as):
    req = _request(db)
    req.expires_at = datetime.datetime.now() - datetime.timedelta(seconds=1)
    db.session.commit()
    c = login_as("inst2_admin")
    assert "已过期" in c.get("/transfers/list/").get_data(as_text=True)
    page = c.get(f"/transfers/show/{req.id}").get_data(as_text=True)
    assert 'id="transfer-status">已过期<' in page and 'id="start-resignation"' not in page
    resp = c.post(f"/transfers/resign/{req.id}", data={"csrf_token": csrf_token(c, "/account/password/")})
    assert "已过期，不能再办理" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Resignation.id)) is None


def test_permission_matrix(db, login_as):
    req = _request(db)
    third = factories.institution()
    owner = factories.account("third_owner", institution=third, password="Good@Pw-2468")
    owner.certified_at = datetime.datetime.now()  # past the real-name check
    db.session.commit()
    requester, holder = login_as("inst_admin"), login_as("inst2_admin")
    other, no_right = login_as("third_owner", "Good@Pw-2468"), login_as("inst_staff")
    token = csrf_token(requester, "/account/password/")
    # the other side's buttons: 403
    assert requester.post(f"/transfers/resign/{req.id}", data={"csrf_token": token}).status_code == 403
    assert requester.post(f"/transfers/decline/{req.id}", data={"csrf_token": token, "answer": "x"}).status_code == 403
    assert holder.post(f"/transfers/withdraw/{req.id}",
                       data={"csrf_token": csrf_token(holder, "/account/password/")}).status_code == 403
    # a third institution does not see it at all: 404
    token = csrf_token(other, "/account/password/")
    assert other.get(f"/transfers/show/{req.id}").status_code == 404
    for action in ("resign", "decline", "withdraw"):
        assert other.post(f"/transfers/{action}/{req.id}", data={"csrf_token": token}).status_code == 404
    assert "陈武昌" not in other.get("/transfers/list/").get_data(as_text=True)
    # an account without the right on 调动申请 (人事科): 403 (FAB answers a page request with a redirect)
    resp = no_right.get(f"/transfers/show/{req.id}")
    assert resp.status_code in (302, 403)
    assert _stored(db, req.id).status == "待处理"


def test_menu_reaches_both_pages(db, login_as):
    home = login_as("inst_admin").get("/").get_data(as_text=True)
    assert 'href="/transfers/list/"' in home
    region = login_as("region_admin").get("/").get_data(as_text=True)
    assert 'href="/movements/list/"' in region


def test_regional_page_counts_and_export(db, login_as):
    _moves(db)
    c = login_as("region_admin")
    body = c.get("/movements/list/").get_data(as_text=True)
    counts = dict(re.findall(r'class="movement-count" data-sheet="([^"]+)">(\d+)<', body))
    assert counts == {"流出": "1", "流入": "1", "待处理调动申请": "1"}
    assert "wuchang_left" not in body and "武昌" not in body.split('id="institution"')[1].split("</select>")[0]
    resp = c.get("/movements/export/")
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["流出", "流入", "待处理调动申请"]
    out = list(book["流出"].values)
    assert out[0] == ("离职时间", "姓名", "证件号码", "机构", "离职类型") and [r[1] for r in out[1:]] == ["left"]
    assert "*" in out[1][2]  # the region account sees masked numbers
    assert login_as("inst_admin").get("/movements/list/").status_code in (302, 403)


def test_regional_page_refuses_a_bad_date_next_to_the_filter(db, login_as):
    body = login_as("region_admin").get("/movements/list/?start=2026-99-01").get_data(as_text=True)
    box = body.split('id="form-errors"')[1].split("</div>")[0]
    assert "开始日期" in box
    assert 'data-sheet="流出"' in body  # the page still shows the region's tables


def test_offer_needs_the_right_to_request(db, login_as):
    c = login_as("inst_staff")  # 人事科: 人员信息管理 without 调动申请
    body = c.post("/people/add", data={"csrf_token": csrf_token(c, "/people/add"), "name": "陈武昌", "id_type": "01",
                                       "id_number": NUMBER, "status": "在岗"}).get_data(as_text=True)
    offer = body.split('id="transfer-offer"')[1].split("</div>")[0]
    assert 'name="offer"' not in offer and "有“调动申请”编辑权限的账号" in offer


def test_requester_is_led_to_enter_the_person_once_the_resignation_is_approved(db, login_as):
    req = _request(db)
    resignation = svc.start_resignation(_user(db, "inst2_admin"), req.id)
    c = login_as("inst_admin")
    assert 'id="enter-person"' not in c.get(f"/transfers/show/{req.id}").get_data(as_text=True)
    db.session.get(Resignation, resignation.id).status = "已通过"
    db.session.commit()
    assert 'id="enter-person" href="/people/add"' in c.get(f"/transfers/show/{req.id}").get_data(as_text=True)
