"""The report engine with 机构能力上报: 保存 → 修改 → 上报 (then read-only), 直接上报, 删除, 复制上次上报, scoping."""
import datetime

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.emergency_reports import EmergencyIndicator, EmergencyReport
from app.models.security import User
from app.services import emergency_reports as svc

TODAY = datetime.date.today()


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def good_values(**changes):
    values = {i.code: "0" for i in svc.indicators("capacity")}
    values.update({"beds": "30", "icu_beds": "8", "negative_pressure_beds": "15", "health_workers": "40",
                   "doctors": "12", "nurses": "20"})
    values.update({k: str(v) for k, v in changes.items()})
    return values


def test_setup_seeds_the_catalogue_with_groups(db):
    groups = {total.code: [p.code for p in parts] for total, parts in svc.groups("capacity")}
    assert groups["beds"][:2] == ["icu_beds", "convertible_icu_beds"] and len(groups["beds"]) == 5
    assert groups["fever_clinics"] == []
    assert svc.load_indicators() == 0  # idempotent
    assert db.session.scalar(select(EmergencyIndicator).where(EmergencyIndicator.code == "ambulances")).unit == "辆"


def test_save_edit_report_then_read_only(db):
    user = _user(db, "inst_admin")
    report = svc.save(user, "capacity", good_values(), TODAY, note="首次")
    assert report.status == svc.DRAFT and svc.values_of(report)["beds"] == 30
    report = svc.save(user, "capacity", good_values(beds=35), TODAY, pk=report.id, version=report.version)
    assert svc.values_of(report)["beds"] == 35 and report.note is None
    report = svc.submit(user, report.id, version=report.version)
    assert report.status == svc.REPORTED and report.reported_by_id == user.id and report.reported_at
    with pytest.raises(DomainError, match="已上报，不能修改"):
        svc.save(user, "capacity", good_values(beds=50), TODAY, pk=report.id)
    with pytest.raises(DomainError, match="已上报，不能修改或删除"):
        svc.delete(user, report.id)
    db.session.expire_all()
    assert svc.values_of(db.session.get(EmergencyReport, report.id))["beds"] == 35


def test_direct_report_in_one_step(db):
    report = svc.save(_user(db, "inst_admin"), "capacity", good_values(), TODAY, report=True)
    assert report.status == svc.REPORTED


def test_a_refused_save_writes_nothing_and_names_every_field(db):
    with pytest.raises(ValidationFailed) as refused:
        svc.save(_user(db, "inst_admin"), "capacity", good_values(beds=20, ct_units="x"), "", report=True)
    assert refused.value.of("beds") == ["实有床位数 20 小于分项之和 23（重症监护(ICU)床位数 8 + 负压病房床位数 15）"]
    assert refused.value.of("ct_units") and refused.value.of("report_date")
    assert db.session.scalar(select(EmergencyReport)) is None


def test_delete_a_draft(db):
    user = _user(db, "inst_admin")
    report = svc.save(user, "capacity", good_values(), TODAY)
    svc.delete(user, report.id, version=report.version)
    assert db.session.get(EmergencyReport, report.id) is None


def test_copy_last_starts_from_the_latest_reported_one(db):
    user = _user(db, "inst_admin")
    with pytest.raises(DomainError, match="还没有已上报"):
        svc.copy_last(user, "capacity")
    svc.save(user, "capacity", good_values(beds=31), TODAY - datetime.timedelta(days=1), report=True)
    svc.save(user, "capacity", good_values(beds=32), TODAY, note="第二次", report=True)
    svc.save(user, "capacity", good_values(beds=99), TODAY)  # a draft is not copied
    copied = svc.copy_last(user, "capacity")
    assert copied["values"]["beds"] == 32 and copied["note"] == "第二次"


def test_another_institution_neither_sees_nor_changes_it(db):
    report = svc.save(_user(db, "inst_admin"), "capacity", good_values(), TODAY)
    other = _user(db, "inst2_admin")
    for call in (lambda: svc.get(other, report.id), lambda: svc.delete(other, report.id),
                 lambda: svc.submit(other, report.id),
                 lambda: svc.save(other, "capacity", good_values(), TODAY, pk=report.id)):
        with pytest.raises(DomainError, match="不存在"):
            call()
    assert svc.search(other, "capacity") == ([], 0)
    rows, total = svc.search(_user(db, "inst_admin"), "capacity", status=svc.DRAFT, date_from=TODAY)
    assert total == 1 and rows[0].id == report.id
    assert svc.search(_user(db, "inst_admin"), "capacity", status=svc.REPORTED)[1] == 0


def test_a_stale_form_is_an_edit_conflict(db):
    user = _user(db, "inst_admin")
    report = svc.save(user, "capacity", good_values(), TODAY)
    opened = report.version
    svc.save(user, "capacity", good_values(beds=33), TODAY, pk=report.id, version=opened)
    with pytest.raises(DomainError, match="已被"):
        svc.submit(user, report.id, version=opened)
