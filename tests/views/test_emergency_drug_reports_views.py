"""机构药品上报 through the pages: the posted rows become lines, a refused post shows every row again as typed with
the messages under its inputs, the show page reads the snapshot, and who may use the type-ahead /drugs/search/."""
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import appbuilder
from app.models.emergency_reports import EmergencyReport
from app.models.security import User
from app.services import emergency_reports as svc
from tests.conftest import csrf_token
from tests.services.test_emergency_drug_reports import AMOXICILLIN, PENICILLIN, three_rows
from tests.services.test_emergency_reports import TODAY, _user

LIST = "/drugreports/list/"
ADD = "/drugreports/add"


def _post(client, url, rows, action="save", page=ADD, **extra):
    data = {"drug_code": [r["drug_code"] for r in rows], "drug_name": [r["name"] for r in rows],
            "quantity": [r["quantity"] for r in rows], "report_date": TODAY.isoformat(), "note": "",
            "action": action, "csrf_token": csrf_token(client, page), **extra}
    return client.post(url, data=data)


def test_the_new_form_has_one_empty_row_and_the_type_ahead(db, login_as):
    html = login_as("inst_admin").get(ADD).get_data(as_text=True)
    assert html.count('class="drug-row"') == 2  # the first row and the <template> of "+ 添加药品"
    assert 'aria-label="第 1 行药品"' in html and 'data-search-url="/drugs/search/"' in html
    assert "+ 添加药品" in html and "js/drug_report.js" in html and "<script>" not in html


def test_posting_rows_saves_lines(db, login_as):
    client = login_as("inst_admin")
    resp = _post(client, ADD, three_rows(db))
    assert resp.status_code == 302
    report = db.session.scalar(select(EmergencyReport))
    assert report.kind == "drug" and report.status == "未上报"
    assert svc.values_of(report)[AMOXICILLIN] == 120 and len(report.lines) == 3
    show = client.get(f"/drugreports/show/{report.id}").get_data(as_text=True)
    assert "<td>阿莫西林</td>" in show and "<td>胶囊</td>" in show and "<td>0.25g</td>" in show and "<td>120</td>" in show
    edit = client.get(f"/drugreports/edit/{report.id}").get_data(as_text=True)
    assert 'value="阿莫西林"' in edit and f'value="{AMOXICILLIN}"' in edit and 'value="120"' in edit


def test_a_refused_post_shows_every_row_again_with_its_messages(db, login_as):
    client = login_as("inst_admin")
    rows = [{"drug_code": AMOXICILLIN, "name": "阿莫西林", "quantity": "12"},
            {"drug_code": "", "name": "神仙水", "quantity": "x"},
            {"drug_code": AMOXICILLIN, "name": "阿莫西林", "quantity": "7"}]
    resp = _post(client, ADD, rows, note="夜班盘点")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and db.session.scalar(select(EmergencyReport)) is None
    assert body.count('class="drug-row"') == 4  # 3 rows + the template
    assert 'value="神仙水"' in body and 'value="12"' in body and 'value="x"' in body and 'value="7"' in body
    assert body.count(f'value="{AMOXICILLIN}"') == 2 and "<td class=\"drug-detail\" data-key=\"unit\">粒</td>" in body
    assert 'data-field="drug-2">第 2 行：字典中暂无该药品“神仙水”</div>' in body
    assert 'data-field="quantity-2">第 2 行：库存数量应为不小于 0 的整数（填写的是“x”）</div>' in body
    same = "第 1 行与第 3 行是同一药品“阿莫西林（胶囊 0.25g）”，每种药品只填一行"
    assert f'data-field="drug-1">{same}</div>' in body and f'data-field="drug-3">{same}</div>' in body
    assert body.count('aria-invalid="true"') == 4  # 药品 of rows 1-3, 库存数量 of row 2
    assert "夜班盘点" in body and 'id="form-errors"' not in body  # every message is under its input


def test_report_from_the_list_then_copy_last(db, login_as):
    client = login_as("inst_admin")
    report = svc.save(_user(db, "inst_admin"), "drug", three_rows(db), TODAY)
    assert _post(client, f"/drugreports/submit/{report.id}", [], page=LIST).status_code == 302
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).status == "已上报"
    assert "已上报的记录不能修改" in client.get(f"/drugreports/show/{report.id}").get_data(as_text=True)
    copied = client.get(ADD + "?copy=1").get_data(as_text=True)
    assert copied.count('class="drug-row"') == 4 and f'value="{PENICILLIN}"' in copied and 'value="120"' in copied


def _grant(db, username, *rights):
    sm = appbuilder.sm
    user = db.session.scalar(select(User).where(User.username == username))
    for right in rights:
        user.roles[0].permissions.append(sm.find_permission_view_menu(right, "机构药品上报"))
    db.session.commit()


def test_type_ahead_permission_matrix(db, login_as):
    def status(username):
        return login_as(username).get("/drugs/search/?q=amxl").status_code

    assert status("inst_staff") == 403  # neither 药品字典 nor 机构药品上报
    assert status("inst_admin") == 200  # 机构总账号: 机构药品上报
    assert status("sysadmin01") == 200  # 药品字典 查看
    _grant(db, "inst_staff", "can_read")
    resp = login_as("inst_staff").get("/drugs/search/?q=阿莫")
    assert resp.status_code == 200 and AMOXICILLIN in [d["code"] for d in resp.get_json()["items"]]


def test_type_ahead_for_a_clerk_who_may_only_fill_in(db, login_as):
    _grant(db, "inst_staff", "can_write")
    assert login_as("inst_staff").get("/drugs/search/?q=amxl").status_code == 200


def test_export_writes_a_row_per_drug(db, login_as):
    svc.save(_user(db, "inst_admin"), "drug", three_rows(db), TODAY, report=True)
    client = login_as("inst_admin")
    assert "导出 Excel" in client.get(LIST).get_data(as_text=True)
    rows = list(load_workbook(io.BytesIO(client.get("/drugreports/export/").data)).active.iter_rows(values_only=True))
    assert rows[0][2:8] == ("药品编码", "名称", "剂型", "规格", "单位", "库存数量")
    assert [r[3] for r in rows[1:]] == ["阿莫西林", "青霉素", "布洛芬"] and rows[1][7] == 120


def test_another_institution_gets_404(db, login_as):
    report = svc.save(_user(db, "inst_admin"), "drug", three_rows(db), TODAY)
    other = login_as("inst2_admin")
    assert other.get(f"/drugreports/show/{report.id}").status_code == 404
    assert other.get(f"/drugreports/edit/{report.id}").status_code == 404
