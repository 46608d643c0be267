"""A refusal is shown under the input it is about (issue 12 item 2) on the institution profile, branch, change
request, certification, probation and review forms; the typed values stay; only what names no field is listed
above the form."""
import io
import re

from sqlalchemy import select

from app.models.security import User
from tests.conftest import csrf_token
from tests.services.test_certification import _jpeg
from tests.services.test_probation import person
from tests.views.test_institution_views import PDF
from tests.views.test_probation_views import _filing


def under(html, field, message):
    """`message` is shown under the input named `field`: after it, with no other input in between; and not in the
    list above the form."""
    error = html.index(f'data-field="{field}">{message}')
    own_input = html.rindex(f'name="{field}"', 0, error)
    assert ' name="' not in html[own_input + len(f'name="{field}"'):error], (field, message)
    box = re.search(r'id="form-errors">(.*?)</div>', html, re.S)
    assert box is None or message not in box.group(1)


def test_institution_profile_errors_sit_under_their_inputs(login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    html = c.post("/institution/save", data={"csrf_token": token, "postcode": "12", "beds": "-1",
                                             "latitude": "95", "longitude": "114"}).get_data(as_text=True)
    under(html, "postcode", "邮政编码须为 6 位数字，当前：12")
    under(html, "beds", "编制床位须为 0 或正整数，当前：-1")
    assert 'data-field="latitude">纬度须在 3–54 之间' in html and 'value="95"' in html


def test_branch_and_change_request_errors_sit_under_their_inputs(login_as):
    c = login_as("inst_admin")
    token = csrf_token(c, "/institution/")
    html = c.post("/institution/branch", data={"csrf_token": token, "name": "", "phone": "abc"}).get_data(as_text=True)
    under(html, "name", "分院名称不能为空")
    under(html, "phone", "分院电话只能包含数字和 - ( ) +，当前：abc")
    assert 'id="b_phone" name="phone" placeholder="电话" value="abc"' in html
    html = c.post("/institution/change", data={"csrf_token": token, "change_grade": "y", "grade": "三甲",
                                               "reason": " "}).get_data(as_text=True)
    under(html, "reason", "请填写修改原因")
    under(html, "files", "请上传证明材料（如执业许可证、登记证书扫描件），PDF、JPG 或 PNG，每个不超过 10 MB")
    under(html, "grade", "机构级别须从下拉列表中选择（国家标准代码），“三甲”不在列表中")
    html = c.post("/institution/upload", data={"csrf_token": token, "kind": "执业许可证"}).get_data(as_text=True)
    under(html, "file", "请选择要上传的文件（PDF、JPG 或 PNG，不超过 10 MB）")


def test_certification_errors_sit_under_their_inputs(db, login_as):
    user = db.session.scalar(select(User).where(User.username == "inst_admin"))
    user.certified_at = None
    db.session.commit()
    c = login_as("inst_admin")
    token = csrf_token(c, "/certification/")
    html = c.post("/certification/save", data={"csrf_token": token, "name": "王新", "id_type": "01",
                                                "id_number": "11010519491231002X", "mobile": "1234",
                                                "front": (_jpeg(), "正面.jpg")},
                  content_type="multipart/form-data").get_data(as_text=True)
    under(html, "mobile", "手机号码须为 11 位数字且以 13–19 开头（当前：1234）")
    under(html, "back", "请上传身份证反面照片（JPG 或 PNG，不超过 3 MB）")
    assert 'value="王新"' in html


def test_probation_and_review_errors_sit_under_their_inputs(db, login_as):
    p = person(db)
    c = login_as("inst_admin")
    token = csrf_token(c, f"/probation/form/{p.id}")
    html = c.post(f"/probation/save/{p.id}", data={"csrf_token": token, "action": "save", "exam_category": "1",
                                                   "start_date": "2025-07-01", "end_date": "2025-06-01"},
                  content_type="multipart/form-data").get_data(as_text=True)
    under(html, "end_date", "试用期结束日期须晚于试用期开始日期（当前：2025-07-01 至 2025-06-01）")
    under(html, "supervisor", "带教老师不能为空")
    under(html, "attachments", "请上传试用期证明材料（至少 1 张，JPG 或 PNG，每张不超过 3 MB）")

    filing = _filing(db)
    r = login_as("region_admin")
    html = r.post(f"/probationreview/decide/{filing.id}",
                  data={"csrf_token": csrf_token(r, f"/probationreview/show/{filing.id}"), "action": "reject",
                        "opinion": "  "}).get_data(as_text=True)
    under(html, "opinion", "驳回时必须填写审核意见，说明需要修改的内容")


def test_change_review_opinion_error_sits_under_the_opinion(login_as):
    owner = login_as("inst_admin")
    owner.post("/institution/change", data={"csrf_token": csrf_token(owner, "/institution/"), "change_grade": "y",
                                            "grade": "一级", "reason": "等级评审", "files": (io.BytesIO(PDF), "评审.pdf")},
               content_type="multipart/form-data")
    region = login_as("region_admin")
    pk = re.search(r"/changereview/show/(\d+)", region.get("/changereview/list/").get_data(as_text=True)).group(1)
    html = region.post(f"/changereview/decide/{pk}", data={"csrf_token": csrf_token(region, f"/changereview/show/{pk}"),
                                                           "action": "reject", "opinion": ""}).get_data(as_text=True)
    under(html, "opinion", "驳回时必须填写审核意见，说明需要修改的内容")
