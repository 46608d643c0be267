"""应急资源汇总: the region's totals (latest reported report per institution in the period, drafts and 已退回 left
out), drill-down, scope; 退回 through the review engine and the institution's edit-and-report-again round; export."""
import datetime
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.emergency_reports import EmergencyReport
from app.models.workflow import ReviewRecord
from app.services import emergency_reports as reports
from app.services import emergency_summary as summary
from tests import factories
from tests.services.test_emergency_reports import TODAY, _user, good_values

DAY = datetime.timedelta(days=1)
JIANGXIA = ("r", None)


def _report(user, beds, day=TODAY, submit=True, **changes):
    return reports.save(user, "capacity", good_values(beds=beds, **changes), day, report=submit)


@pytest.fixture
def fixture_data(db):
    """inst_admin (江夏) and a second 江夏 institution in region_admin's scope, inst2_admin (武昌) outside."""
    mine, outside = _user(db, "inst_admin"), _user(db, "inst2_admin")
    other_inst = factories.institution("江夏测试二院")
    other = factories.account("jx_second", institution=other_inst)
    _report(mine, 30, TODAY - 5 * DAY)  # older: replaced by the latest one below
    latest = _report(mine, 40, TODAY - 2 * DAY)
    _report(mine, 99, TODAY - DAY, submit=False)  # a draft: never counted
    returned = _report(mine, 500, TODAY)  # the newest, but 退回ed below: not counted
    _report(mine, 700, TODAY - 60 * DAY)  # before the period
    _report(other, 25, TODAY - 3 * DAY, doctors=5)
    _report(outside, 1000, TODAY)
    summary.return_report(_user(db, "region_admin"), returned.id, "数据有误")
    return {"latest": latest, "other_inst": other_inst, "other": other, "returned": returned}


def _expected(db, ids, code):
    return sum(line.value for r in ids for line in db.session.get(EmergencyReport, r).lines if line.item_code == code)


def test_totals_add_the_latest_reported_report_of_each_institution_in_scope(db, fixture_data):
    start, end = summary.default_period()
    result = summary.totals(_user(db, "region_admin"), "capacity", start, end)
    assert result.region.code == "420115" and result.totals["beds"] == 40 + 25
    inst = _user(db, "inst_admin").institution_id
    assert result.totals["doctors"] == 12 + 5
    first = db.session.scalar(select(EmergencyReport).where(EmergencyReport.institution_id
                                                            == fixture_data["other_inst"].id))
    for code, _, _ in result.items:
        assert result.totals.get(code, 0) == _expected(db, [fixture_data["latest"].id, first.id], code)
    by_label = {u.label: u for u in result.units}
    assert set(by_label) == {"武汉市江夏区示例镇卫生院", "江夏测试二院", "武汉市江夏区示例街道社区卫生服务中心"}  # a county: one column per institution
    own = by_label["武汉市江夏区示例镇卫生院"]
    assert own.institution_id == inst and own.report_id == fixture_data["latest"].id
    assert result.values[(own.key, "beds")] == 40 and (result.reported, result.in_scope) == (2, 3)
    assert [i[0] for i in result.items][:2] == ["beds", "icu_beds"] and result.items[1][1] == "　其中：重症监护(ICU)床位数"


def test_an_institution_without_a_reported_report_counts_in_scope_only(db, fixture_data):
    factories.institution("江夏测试三院")
    result = summary.totals(_user(db, "region_admin"), "capacity", *summary.default_period())
    assert (result.reported, result.in_scope) == (2, 4) and result.totals["beds"] == 65
    assert {u.label: (u.reported, u.report_id) for u in result.units}["江夏测试三院"] == (0, None)


def test_province_view_groups_by_child_region_and_drills_down(db, fixture_data):
    admin = _user(db, "sysadmin01")
    top = summary.totals(admin, "capacity", *summary.default_period())
    assert top.region is None and [u.label for u in top.units] == ["湖北省"]
    assert top.totals["beds"] == 40 + 25 + 1000 and (top.reported, top.in_scope) == (3, 4)
    city = summary.totals(admin, "capacity", *summary.default_period(), region_code="420100")
    units = {u.label: u for u in city.units}
    assert city.values[(units["江夏区"].key, "beds")] == 65 and city.values[(units["武昌区"].key, "beds")] == 1000
    assert (units["江夏区"].reported, units["江夏区"].in_scope, units["江夏区"].region_code) == (2, 3, "420115")
    assert units["洪山区"].in_scope == 0 and [r.code for r in city.trail] == ["420000", "420100"]
    county = summary.totals(admin, "capacity", *summary.default_period(), region_code="420106")
    assert county.totals["beds"] == 1000 and [u.label for u in county.units] == ["武汉市武昌区示例社区卫生服务中心"]


def test_a_region_outside_the_scope_is_refused_and_an_institution_has_no_summary(db, fixture_data):
    region_admin = _user(db, "region_admin")
    for code in ("420106", "420100", "999999"):
        with pytest.raises(DomainError, match="不在您的管理范围内"):
            summary.totals(region_admin, "capacity", *summary.default_period(), region_code=code)
    with pytest.raises(DomainError, match="只有区域管理账号"):
        summary.totals(_user(db, "inst_admin"), "capacity", *summary.default_period())


def test_the_period_decides_which_report_is_the_latest(db, fixture_data):
    result = summary.totals(_user(db, "region_admin"), "capacity", TODAY - 90 * DAY, TODAY - 50 * DAY)
    assert result.totals["beds"] == 700 and result.reported == 1


def test_return_needs_a_reason_then_the_institution_edits_and_reports_again(db, fixture_data):
    reviewer, inst = _user(db, "region_admin"), _user(db, "inst_admin")
    report = fixture_data["latest"]
    with pytest.raises(ValidationFailed) as refused:
        summary.return_report(reviewer, report.id, "  ")
    assert refused.value.of("reason") == ["请填写退回原因"]
    db.session.expire_all()
    assert db.session.get(EmergencyReport, report.id).status == "已上报"
    returned = summary.return_report(reviewer, report.id, " 床位数与上月不符 ", version=report.version)
    assert returned.status == "已退回" and returned.return_reason == "床位数与上月不符"
    trail = summary.history(returned)[-1]
    assert (trail.action, trail.from_status, trail.to_status, trail.actor_name, trail.opinion) == (
        "reject", "已上报", "已退回", "region_admin", "床位数与上月不符")
    with pytest.raises(DomainError, match="只有已上报的记录可以退回"):
        summary.return_report(reviewer, report.id, "再退一次")
    # the institution sees the reason, edits and reports again; the region's total takes it
    shown = {r.id: r.return_reason for r in reports.search(inst, "capacity", status="已退回")[0]}
    assert shown[report.id] == "床位数与上月不符"
    edited = reports.save(inst, "capacity", good_values(beds=45), TODAY - 2 * DAY, pk=report.id,
                          version=returned.version, report=True)
    assert edited.status == "已上报"
    assert summary.totals(reviewer, "capacity", *summary.default_period()).totals["beds"] == 45 + 25
    again = summary.history(edited)[-1]  # the trail shows the 上报 after the 退回 too
    assert (again.action, again.from_status, again.to_status, again.actor_name) == (
        "submit", "已退回", "已上报", "inst_admin")
    assert len(summary.history(edited)) == 2


def test_an_institution_cannot_return_and_outside_the_scope_is_not_found(db, fixture_data):
    outside = db.session.scalar(select(EmergencyReport).where(EmergencyReport.report_date == TODAY,
                                                              EmergencyReport.status == "已上报"))
    with pytest.raises(DomainError, match="不在您的权限范围内"):
        summary.return_report(_user(db, "region_admin"), outside.id, "不在本区")
    for username in ("inst_admin", "inst2_admin"):
        for pk in (fixture_data["latest"].id, outside.id):
            with pytest.raises(DomainError, match="不在您的权限范围内"):
                summary.return_report(_user(db, username), pk, "机构自己退回")
    draft = db.session.scalar(select(EmergencyReport).where(EmergencyReport.status == "未上报"))
    with pytest.raises(DomainError, match="不在您的权限范围内"):
        summary.return_report(_user(db, "region_admin"), draft.id, "草稿")
    db.session.expire_all()
    assert db.session.get(EmergencyReport, outside.id).status == "已上报"
    assert db.session.scalar(select(ReviewRecord).where(ReviewRecord.entity_id == outside.id,
                                                        ReviewRecord.entity == "emergency_report")) is None


def test_export_holds_the_pages_table(db, fixture_data):
    data = summary.export(_user(db, "region_admin"), "capacity", *summary.default_period())
    ws = load_workbook(io.BytesIO(data)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert "江夏区" in rows[0][0] and rows[1][0] == f"{summary.RULE}；“—”表示期间内未上报"
    assert rows[2][:3] == ["指标", "单位", "合计"] and set(rows[2][3:]) == {"武汉市江夏区示例镇卫生院", "江夏测试二院", "武汉市江夏区示例街道社区卫生服务中心"}
    beds = next(r for r in rows if r[0] == "实有床位数")
    assert beds[1] == "张" and beds[2] == 65 and sorted(b for b in beds[3:] if b != "—") == [25, 40] and beds[3:].count("—") == 1  # as on the page
    assert rows[-1][0] == "已上报机构 / 机构数" and rows[-1][2] == "2 / 3"


def test_drug_items_are_named_from_the_dictionary_or_the_lines_detail(db):
    """Drug lines (another slice builds them) are summed the same way; names come from DrugItem, else detail."""
    from app.models.emergency_drugs import DrugItem
    from app.models.emergency_reports import EmergencyReportLine

    drug = db.session.scalar(select(DrugItem).order_by(DrugItem.id))
    for username, amount in (("inst_admin", 5), ("jx_second", 7)):
        inst = _user(db, "inst_admin").institution_id if username == "inst_admin" else \
            factories.account(username, institution=factories.institution("江夏药品院")).institution_id
        db.session.add(EmergencyReport(
            institution_id=inst, kind="drug", report_date=TODAY, status="已上报", reported_at=datetime.datetime.now(),
            lines=[EmergencyReportLine(item_code=drug.code, value=amount, detail={"name": drug.name}),
                   EmergencyReportLine(item_code="LOCAL-1", value=1, detail={"name": "自制消毒液", "unit": "瓶"})]))
    db.session.commit()
    result = summary.totals(_user(db, "region_admin"), "drug", *summary.default_period())
    names = {code: (name, unit) for code, name, unit in result.items}
    assert result.totals == {drug.code: 12, "LOCAL-1": 2} and names["LOCAL-1"] == ("自制消毒液", "瓶")
    assert names[drug.code][0].startswith(drug.name) and names[drug.code][1] == drug.unit
