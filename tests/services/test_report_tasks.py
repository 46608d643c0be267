"""上报任务: publishing (every refusal at once, institutions only from the publisher's scope), fulfilment by a report
or an entry in the period, 上报率 and the not-reported list against a direct query, 催报 to the right institutions
only, the period of a daily task moving with the day."""
import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from app.domain.errors import DomainError, ValidationFailed
from app.models.emergency_reports import EmergencyReport
from app.models.emergency_supplies import SupplyEntry
from app.models.org import Institution
from app.models.report_tasks import ReportReminder, ReportTask
from app.services import report_tasks as svc
from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE
from tests.services.test_emergency_reports import _user

TODAY = datetime.date.today()
DAY = datetime.timedelta(days=1)


def _inst(db, code) -> Institution:
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _publish(db, **changes):
    values = {"title": "物资日消耗", "kind": "entry:supply:daily", "target": "all", "period": "daily",
              "date_from": (TODAY - 5 * DAY).isoformat(), "date_to": (TODAY + 5 * DAY).isoformat(),
              "deadline": "17:00", **changes}
    return svc.publish(_user(db, "region_admin"), **values)


def _entry(db, code, day, report="daily", resource="supply"):
    db.session.add(SupplyEntry(institution_id=_inst(db, code).id, resource=resource, report=report, day=day,
                               item_code="S001", category="防护用品", name="医用外科口罩", unit="个",
                               quantity=Decimal("10")))
    db.session.commit()


def _report(db, code, day, status="已上报", kind="capacity"):
    db.session.add(EmergencyReport(institution_id=_inst(db, code).id, kind=kind, report_date=day, status=status))
    db.session.commit()


def test_publish_names_every_problem_at_once_and_writes_nothing(db):
    with pytest.raises(ValidationFailed) as refused:
        _publish(db, title=" ", kind="report:nothing", target="list", institution_ids=[], date_from="2026-13-01",
                 date_to="", deadline="25:00")
    errors = refused.value
    assert errors.of("title") == ["请填写任务名称"] and errors.of("kind") == ["请选择上报类型"]
    assert errors.of("institution_ids") == ["请至少选择一家机构"]
    assert errors.of("date_from") == ["开始日期格式应为 2026-12-01"] and errors.of("date_to") == ["请填写结束日期"]
    assert errors.of("deadline") == ["截止时间格式应为 17:00"]
    with pytest.raises(ValidationFailed) as refused:
        _publish(db, kind="entry:supply:estimate", date_from=TODAY.isoformat(), date_to=(TODAY - DAY).isoformat())
    assert refused.value.of("period") and refused.value.of("date_to") == ["结束日期不能早于开始日期"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ReportTask)) == 0


def test_institutions_come_from_the_publishers_scope_only(db):
    wuchang, jiangxia, jiangxia2 = (_inst(db, c) for c in (WUCHANG_CODE, JIANGXIA_CODE, JIANGXIA2_CODE))
    with pytest.raises(ValidationFailed) as refused:
        _publish(db, target="list", institution_ids=[str(jiangxia.id), str(wuchang.id)])
    assert refused.value.of("institution_ids") == ["所选机构不在您的辖区内"]
    assert {i.id for i in svc.choosable(_user(db, "region_admin"))} == {jiangxia.id, jiangxia2.id}
    everyone = _publish(db)
    assert {ti.institution_id for ti in everyone.institutions} == {jiangxia.id, jiangxia2.id}
    centres = _publish(db, target="kind", institution_kind="社区卫生服务中心")
    assert [ti.institution_id for ti in centres.institutions] == [jiangxia2.id]
    picked = _publish(db, target="list", institution_ids=[str(jiangxia.id)])
    assert [ti.institution_id for ti in picked.institutions] == [jiangxia.id]
    with pytest.raises(DomainError, match="只有区域账号"):
        _publish_as(db, "inst_admin")


def _publish_as(db, username):
    return svc.publish(_user(db, username), title="x", kind="report:capacity", target="all", period="once",
                       date_from=TODAY.isoformat(), deadline="17:00")


def test_a_report_kind_is_fulfilled_by_a_reported_report_in_the_period(db):
    task = _publish(db, kind="report:capacity", period="once", date_from=TODAY.isoformat(), date_to="")
    jiangxia = _inst(db, JIANGXIA_CODE).id
    assert not svc.fulfilled(task, jiangxia, TODAY)
    _report(db, JIANGXIA_CODE, TODAY, status="未上报")  # a draft does not count
    _report(db, JIANGXIA_CODE, TODAY - DAY)  # another day does not count
    _report(db, JIANGXIA_CODE, TODAY, kind="vehicle")  # another kind does not count
    assert not svc.fulfilled(task, jiangxia, TODAY)
    _report(db, JIANGXIA_CODE, TODAY)
    assert svc.fulfilled(task, jiangxia, TODAY)
    assert not svc.fulfilled(task, _inst(db, JIANGXIA2_CODE).id, TODAY)


def test_an_entry_kind_is_fulfilled_by_an_entry_of_that_kind_on_the_day(db):
    task = _publish(db)
    jiangxia = _inst(db, JIANGXIA_CODE).id
    _entry(db, JIANGXIA_CODE, TODAY, report="stock")  # 存量 is not 日消耗
    _entry(db, JIANGXIA_CODE, TODAY, resource="drugdevice")  # 药械 is not 物资
    assert not svc.fulfilled(task, jiangxia, TODAY)
    _entry(db, JIANGXIA_CODE, TODAY)
    assert svc.fulfilled(task, jiangxia, TODAY) and not svc.fulfilled(task, jiangxia, TODAY - DAY)


def test_a_daily_tasks_period_changes_by_day(db):
    task = _publish(db)
    assert svc.current_period(task, TODAY) == TODAY and svc.current_period(task, TODAY + DAY) == TODAY + DAY
    assert svc.current_period(task, TODAY - 30 * DAY) == TODAY - 5 * DAY  # before: the first day
    assert svc.current_period(task, TODAY + 30 * DAY) == TODAY + 5 * DAY  # after: the last day
    assert len(svc.periods(task)) == 11
    _entry(db, JIANGXIA_CODE, TODAY)
    assert svc.rate(task, TODAY).reported == 1 and svc.rate(task, TODAY + DAY).reported == 0
    assert svc.due(task, TODAY) == datetime.datetime.combine(TODAY, datetime.time(17, 0))
    monthly = _publish(db, period="monthly", date_from="2026-01", date_to="2026-03")
    assert svc.periods(monthly) == [datetime.date(2026, m, 1) for m in (1, 2, 3)]
    assert svc.current_period(monthly, datetime.date(2026, 2, 17)) == datetime.date(2026, 2, 1)
    assert svc.due(monthly, datetime.date(2026, 2, 1)) == datetime.datetime(2026, 2, 28, 17, 0)


def test_rate_and_the_not_reported_list_equal_a_direct_query(db):
    jiangxia2 = _inst(db, JIANGXIA2_CODE)
    jiangxia2.phone = "027-87654321"
    db.session.commit()
    task = _publish(db)
    _entry(db, JIANGXIA_CODE, TODAY)
    _entry(db, WUCHANG_CODE, TODAY)  # not expected by the task: counts nowhere
    _entry(db, JIANGXIA2_CODE, TODAY - DAY)
    for day in (TODAY, TODAY - DAY):
        expected = db.session.execute(text(
            "SELECT i.id, i.name, COALESCE(i.phone, i.head_phone, ''),"
            " (SELECT COUNT(*) FROM supply_entry e WHERE e.institution_id = i.id AND e.resource = 'supply'"
            "  AND e.report = 'daily' AND e.day = :day) FROM institution i"
            " JOIN report_task_institution t ON t.institution_id = i.id WHERE t.task_id = :task ORDER BY i.name"),
            {"task": task.id, "day": day}).all()
        rate = svc.rate(task, day)
        assert rate.expected == len(expected) == 2
        assert rate.reported == sum(1 for row in expected if row[3])
        assert rate.missing == [(i, n, p) for i, n, p, count in expected if not count]
    assert svc.rate(task, TODAY).missing == [(jiangxia2.id, jiangxia2.name, "027-87654321")]
    assert svc.rate(task, TODAY).text == "1/2"


def test_remind_reaches_only_the_not_reported_institutions_of_that_task(db):
    jiangxia2 = _inst(db, JIANGXIA2_CODE)
    task = _publish(db)
    other = _publish(db, title="能力上报", kind="report:capacity", period="once", date_from=TODAY.isoformat())
    _entry(db, JIANGXIA_CODE, TODAY)
    region_admin = _user(db, "region_admin")
    assert svc.remind(region_admin, task.id, TODAY) == 1
    rows = db.session.execute(select(ReportReminder.task_id, ReportReminder.institution_id,
                                     ReportReminder.sent_by_id, ReportReminder.period_start)).all()
    assert rows == [(task.id, jiangxia2.id, region_admin.id, TODAY)]
    inst3 = _user(db, "inst3_admin")
    assert [(r.task.id, r.period_label) for r in svc.reminders(inst3)] == [(task.id, TODAY.isoformat())]
    assert svc.reminders(_user(db, "inst_admin")) == []
    mine = {t.task.id: t for t in svc.open_tasks(inst3)}
    assert set(mine) == {task.id, other.id} and mine[task.id].reminded_at and mine[other.id].reminded_at is None
    assert [t.done for t in svc.open_tasks(_user(db, "inst_admin")) if t.task.id == task.id] == [True]
    assert svc.open_tasks(_user(db, "inst2_admin")) == []  # 武昌: not expected by a 江夏 task
    _entry(db, JIANGXIA2_CODE, TODAY)  # reported: the reminder is gone
    assert svc.reminders(_user(db, "inst3_admin")) == []
    with pytest.raises(DomainError, match="均已上报"):
        svc.remind(_user(db, "region_admin"), task.id, TODAY)


def test_a_withdrawn_task_disappears_for_the_institutions(db):
    task = _publish(db)
    svc.withdraw(_user(db, "region_admin"), task.id)
    assert svc.open_tasks(_user(db, "inst3_admin")) == []
    with pytest.raises(DomainError, match="已撤销"):
        svc.remind(_user(db, "region_admin"), task.id, TODAY)
    with pytest.raises(DomainError, match="不存在"):
        svc.get(_user(db, "inst_admin"), task.id)
