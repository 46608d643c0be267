"""区域管理 → 应急资源汇总 through the pages: the totals and the drill-down links, the report page with its 退回 form
(reason under the field when missing), 退回 needs CSRF and the audit right, an institution account has no page."""
import datetime
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import appbuilder
from app.models.emergency_reports import EmergencyReport
from app.security import pages
from app.services import emergency_reports as reports
from tests import factories
from tests.conftest import csrf_token
from tests.services.test_emergency_reports import TODAY, _user, good_values

INDEX = "/emergencysummary/"


def _reported(db, username="inst_admin", beds=30):
    return reports.save(_user(db, username), "capacity", good_values(beds=beds), TODAY, report=True)


def test_region_admin_sees_the_totals_of_its_county_and_the_links(db, login_as):
    mine = _reported(db, beds=30)
    _reported(db, "inst2_admin", beds=900)  # 武昌: not in 江夏's totals
    reports.save(_user(db, "inst_admin"), "capacity", good_values(beds=77), TODAY)  # a draft
    client = login_as("region_admin")
    home = client.get("/").get_data(as_text=True)
    assert "应急资源汇总" in home
    body = client.get(INDEX).get_data(as_text=True)
    assert "已上报机构 1 / 2" in body and "每个机构取期间内最近一次已上报的数据" in body
    row = body.split('data-item="beds"')[1].split("</tr>")[0]
    assert "<strong>30</strong>" in row and "900" not in body and "77" not in row
    assert f"/emergencysummary/report/{mine.id}" in body and "武汉市江夏区示例镇卫生院" in body
    assert "机构能力上报" in body and "机构药品上报" in body  # the four kinds
    assert 'id="summary-tasks"' in body and 'href="/reporttasks/list/"' in body  # rates and 催报 live there
    resp = client.get(INDEX + "?region_code=420106")
    assert resp.status_code == 200 and "不在您的管理范围内" in resp.get_data(as_text=True)


def test_system_admin_drills_from_the_province_to_the_county(db, login_as):
    _reported(db, beds=30)
    _reported(db, "inst2_admin", beds=900)
    client = login_as("sysadmin01")
    top = client.get(INDEX).get_data(as_text=True)
    assert "region_code=420000" in top and "<strong>930</strong>" in top
    city = client.get(INDEX + "?region_code=420100").get_data(as_text=True)
    assert "region_code=420115" in city and "region_code=420106" in city and "已上报机构 2 / 3" in city


def test_refused_dates_are_named_under_their_field(db, login_as):
    body = login_as("region_admin").get(INDEX + "?date_from=2026-13-01&date_to=x").get_data(as_text=True)
    assert 'data-field="date_from">上报时间（起）格式应为 2026-01-31' in body


def test_report_page_and_return_with_a_reason(db, login_as):
    report = _reported(db)
    client = login_as("region_admin")
    url = f"/emergencysummary/report/{report.id}"
    page = client.get(url).get_data(as_text=True)
    assert "实有床位数" in page and 'id="return-form"' in page and 'name="reason"' in page
    refused = client.post(f"/emergencysummary/return/{report.id}",
                          data={"reason": " ", "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 200
    assert 'data-field="reason">请填写退回原因</div>' in refused.get_data(as_text=True)
    done = client.post(f"/emergencysummary/return/{report.id}",
                       data={"reason": "ICU 床位填错", "csrf_token": csrf_token(client, url)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).return_reason == "ICU 床位填错"
    after = client.get(url).get_data(as_text=True)
    assert "已退回，原因：ICU 床位填错" in after and 'id="return-form"' not in after and "办理记录" in after
    # the institution's list and report page show it
    inst = login_as("inst_admin")
    assert "退回原因：ICU 床位填错" in inst.get("/capacityreports/list/").get_data(as_text=True)
    assert "已退回，原因：ICU 床位填错" in inst.get(f"/capacityreports/show/{report.id}").get_data(as_text=True)


def test_return_without_csrf_is_refused(db, login_as):
    report = _reported(db)
    resp = login_as("region_admin").post(f"/emergencysummary/return/{report.id}", data={"reason": "无令牌"})
    assert resp.status_code == 400
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).status == "已上报"


def test_return_needs_the_audit_right(db, login_as):
    report = _reported(db)
    reader = factories.account("jx_reader", role="区域管理员", region=factories.region("420115"))
    role = appbuilder.sm.add_role("汇总只读")
    appbuilder.sm.add_permission_role(role, appbuilder.sm.find_permission_view_menu(
        "can_read", pages.EMERGENCY_SUMMARY.resource))
    reader.roles = [role]
    reader.certified_at = datetime.datetime.now()
    db.session.commit()
    client = login_as("jx_reader", "Good@Pw-2468")
    url = f"/emergencysummary/report/{report.id}"
    page = client.get(url)
    assert page.status_code == 200 and 'id="return-form"' not in page.get_data(as_text=True)
    resp = client.post(f"/emergencysummary/return/{report.id}",
                       data={"reason": "越权", "csrf_token": csrf_token(client, url)})
    assert resp.status_code in (302, 403) and resp.status_code != 200
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).status == "已上报"


def test_an_institution_account_has_no_summary(db, login_as):
    report = _reported(db)
    client = login_as("inst_admin")
    assert "/emergencysummary/" not in client.get("/").get_data(as_text=True)
    for url in (INDEX, f"/emergencysummary/report/{report.id}", "/emergencysummary/export/"):
        resp = client.get(url)
        assert resp.status_code in (302, 403), url
        assert resp.status_code == 403 or "/login" in resp.headers["Location"] or resp.headers["Location"] == "/"


def test_a_report_outside_the_region_is_not_found(db, login_as):
    outside = _reported(db, "inst2_admin")
    client = login_as("region_admin")
    assert client.get(f"/emergencysummary/report/{outside.id}").status_code == 404
    draft = reports.save(_user(db, "inst_admin"), "capacity", good_values(), TODAY)
    assert client.get(f"/emergencysummary/report/{draft.id}").status_code == 404


def test_export_is_the_pages_table(db, login_as):
    _reported(db, beds=30)
    resp = login_as("region_admin").get("/emergencysummary/export/?kind=capacity")
    assert resp.headers["Cache-Control"] == "no-store"
    rows = [[c.value for c in r] for r in load_workbook(io.BytesIO(resp.data)).active.iter_rows()]
    assert "武汉市江夏区示例镇卫生院" in rows[2][3:] and next(r for r in rows if r[0] == "实有床位数")[2] == 30
    assert db.session.scalar(select(EmergencyReport).where(EmergencyReport.status == "已退回")) is None
