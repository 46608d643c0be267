"""申请调入: the request's states (办理离职 → a type-21 resignation linked to it; 拒绝 with a reason; 撤回; expiry,
lazy and by the CLI; 已完成), its refusals by field, and the regional 人员流动 against a direct query."""
import datetime

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.models.movements import Resignation, TransferRequest
from app.models.org import Institution
from app.models.people import Person
from app.models.security import User
from app.services import transfers as svc
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, WUCHANG_PERSON, synthetic_id

NUMBER = WUCHANG_PERSON["id_number"]  # 陈武昌, active in the 武昌 centre


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _request(db, reason="本院急需全科医生", expected=None):
    return svc.create(_user(db, "inst_admin"), NUMBER, "陈武昌", reason, expected)


def test_request_goes_to_the_holder_pending_for_30_days(db):
    req = _request(db, expected=f"{datetime.date.today() + datetime.timedelta(days=10):%Y-%m-%d}")
    assert (req.status, req.holder_institution_id, req.requester_institution_id) == (
        "待处理", _inst(db, WUCHANG_CODE).id, _inst(db, JIANGXIA_CODE).id)
    assert (req.expires_at - req.created_at).days == 30
    assert [r.id for r in svc.received(_user(db, "inst2_admin"))] == [req.id]
    assert [r.id for r in svc.sent(_user(db, "inst_admin"))] == [req.id]
    assert svc.received(_user(db, "inst_admin")) == [] and svc.sent(_user(db, "inst2_admin")) == []


def test_refusals_name_their_fields(db):
    with pytest.raises(ValidationFailed) as exc:
        svc.create(_user(db, "inst_admin"), "", "", "", "2020-13-01")
    assert {i.field for i in exc.value.items} == {"id_number", "name", "reason", "expected_date"}
    with pytest.raises(ValidationFailed) as exc:  # the number is nobody's: enter the person directly
        svc.create(_user(db, "inst_admin"), synthetic_id(7001), "某人", "理由")
    assert "可直接" in exc.value.of("id_number")[0]
    with pytest.raises(ValidationFailed) as exc:  # one's own staff
        svc.create(_user(db, "inst2_admin"), NUMBER, "陈武昌", "理由")
    assert exc.value.of("id_number") == ["该证件号码已是本机构的在职人员"]


def test_one_open_request_per_requester_and_number(db):
    _request(db)
    with pytest.raises(ValidationFailed) as exc:
        _request(db)
    assert "请等待对方处理" in exc.value.of("id_number")[0]
    assert db.session.scalar(select(func.count()).select_from(TransferRequest)) == 1


def test_start_resignation_makes_a_type_21_draft_linked_to_the_request(db):
    req = _request(db)
    resignation = svc.start_resignation(_user(db, "inst2_admin"), req.id, version=req.version)
    db.session.expire_all()
    req = db.session.get(TransferRequest, req.id)
    assert req.status == "已办理离职" and req.answered_by == "inst2_admin"
    stored = db.session.scalars(select(Resignation).where(Resignation.transfer_request_id == req.id)).all()
    assert [(r.id, r.flow_type, r.status, r.person_id) for r in stored] == [
        (resignation.id, "21", "草稿", req.person_id)]
    assert db.session.get(Person, req.person_id).status == "在岗"  # the resignation still needs its review


def test_only_the_holder_answers_and_only_the_requester_withdraws(db):
    req = _request(db)
    with pytest.raises(svc.NotAllowed):
        svc.start_resignation(_user(db, "inst_admin"), req.id)
    with pytest.raises(svc.NotAllowed):
        svc.withdraw(_user(db, "inst2_admin"), req.id)
    with pytest.raises(DomainError, match="没有找到"):
        svc.get(_user(db, "region_admin"), req.id)


def test_decline_needs_a_reason_and_ends_the_request(db):
    req = _request(db)
    with pytest.raises(ValidationFailed) as exc:
        svc.decline(_user(db, "inst2_admin"), req.id, "  ")
    assert exc.value.of("answer") == ["请填写拒绝理由"]
    svc.decline(_user(db, "inst2_admin"), req.id, "该同志正在承担重点项目")
    db.session.expire_all()
    req = db.session.get(TransferRequest, req.id)
    assert (req.status, req.answer) == ("已拒绝", "该同志正在承担重点项目")
    with pytest.raises(DomainError, match="已拒绝"):
        svc.start_resignation(_user(db, "inst2_admin"), req.id)
    assert _request(db).status == "待处理"  # a declined request is not open: the requester may ask again


def test_withdraw(db):
    req = _request(db)
    svc.withdraw(_user(db, "inst_admin"), req.id)
    db.session.expire_all()
    assert db.session.get(TransferRequest, req.id).status == "已撤回"
    with pytest.raises(DomainError, match="已撤回"):
        svc.decline(_user(db, "inst2_admin"), req.id, "理由")


def test_expiry_is_shown_at_once_and_stored_by_the_cli(app, db):
    req = _request(db)
    req.expires_at = datetime.datetime.now() - datetime.timedelta(minutes=1)
    db.session.commit()
    assert svc.shown_status(req) == "已过期" and req.status == "待处理"
    with pytest.raises(DomainError, match="已过期"):
        svc.start_resignation(_user(db, "inst2_admin"), req.id)
    assert svc.open_request(_inst(db, JIANGXIA_CODE).id, NUMBER) is None
    result = app.test_cli_runner().invoke(args=["transfers", "expire"])
    assert "已过期 1 条" in result.output
    db.session.expire_all()
    assert db.session.get(TransferRequest, req.id).status == "已过期"


def test_complete_for_marks_the_released_request_done(db):
    req = _request(db)
    svc.start_resignation(_user(db, "inst2_admin"), req.id)
    assert svc.complete_for(_inst(db, WUCHANG_CODE).id, NUMBER) == 0  # only the requester's
    assert svc.complete_for(_inst(db, JIANGXIA_CODE).id, NUMBER.lower()) == 1
    db.session.expire_all()
    assert db.session.get(TransferRequest, req.id).status == "已完成"


def test_offer_for_names_another_holder_only(db):
    assert svc.offer_for(_inst(db, JIANGXIA_CODE).id, NUMBER).code == WUCHANG_CODE
    assert svc.offer_for(_inst(db, WUCHANG_CODE).id, NUMBER) is None
    assert svc.offer_for(_inst(db, JIANGXIA_CODE).id, synthetic_id(7002)) is None


# ---- 人员流动 -------------------------------------------------------------------------------------------------------

def _moves(db):
    """In the 江夏 centre: one approved resignation, one refused one, a newcomer whose number had a 武昌 record, and
    a pending request from 江夏; in 武昌 (another region): an approved resignation."""
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    today = datetime.date.today()
    people = {}
    for key, inst, number, status in (("left", jiangxia, synthetic_id(7101), "离职"),
                                      ("stays", jiangxia, synthetic_id(7102), "在岗"),
                                      ("wuchang_left", wuchang, synthetic_id(7103), "离职"),
                                      ("old", wuchang, synthetic_id(7104), "离职")):
        people[key] = Person(institution_id=inst.id, name=key, id_type="01", id_number=number, status=status,
                             created_at=datetime.datetime.now() - datetime.timedelta(days=400))
    db.session.add_all(people.values())
    db.session.flush()
    people["came"] = Person(institution_id=jiangxia.id, name="came", id_type="01", id_number=people["old"].id_number,
                            status="在岗")
    db.session.add(people["came"])
    for key, status in (("left", "已通过"), ("stays", "已驳回"), ("wuchang_left", "已通过")):
        p = people[key]
        db.session.add(Resignation(institution_id=p.institution_id, person_id=p.id, flow_type="25", leave_date=today,
                                   status=status))
    db.session.commit()
    _request(db)
    return people


def test_movements_of_the_region_match_a_direct_query_and_leave_other_regions_out(db):
    _moves(db)
    user = _user(db, "region_admin")
    start = datetime.date.today().replace(month=1, day=1)
    data = svc.movements(user, start, datetime.date.today())
    scope_ids = {i.id for i in svc.region_institutions(user)}
    assert _inst(db, WUCHANG_CODE).id not in scope_ids
    direct_out = db.session.scalar(select(func.count()).select_from(Resignation).where(
        Resignation.status == "已通过", Resignation.institution_id.in_(scope_ids),
        Resignation.leave_date >= start))
    assert len(data["out"]) == direct_out == 1 and data["out"][0].person.name == "left"
    assert [m["name"] for m in data["in"]] == ["came"]
    assert len(data["pending"]) == 1  # from 江夏 (in scope) to 武昌
    wuchang = svc.movements(user, start, datetime.date.today(), _inst(db, WUCHANG_CODE).id)  # not in scope:
    assert wuchang["out"] == [] and wuchang["in"] == []  # the filter cannot widen the scope
    sysadmin = svc.movements(_user(db, "sysadmin01"), start, datetime.date.today())
    assert {r.person.name for r in sysadmin["out"]} == {"left", "wuchang_left"}


def test_movements_are_for_regional_accounts(db):
    with pytest.raises(DomainError):
        svc.movements(_user(db, "inst_admin"), datetime.date.today(), datetime.date.today())


def test_whole_flow_frees_the_number_for_the_requester(db):
    """request → 办理离职 → submit → approve: the number is free (no offer any more), the requester's entry completes
    the request, and the regional page counts the resignation as 流出 (type 21)."""
    from app.services import resignations

    req = _request(db)
    resignation = svc.start_resignation(_user(db, "inst2_admin"), req.id)
    resignations.submit(_user(db, "inst2_admin"), resignation.id)
    resignations.decide(_user(db, "inst2_admin"), resignation.id, "approve")
    jiangxia = _inst(db, JIANGXIA_CODE)
    assert svc.offer_for(jiangxia.id, NUMBER) is None
    from app.models.org import Department
    from app.services import people

    dept = Department(institution_id=jiangxia.id, name="办公室", category="职能部门", seq=1)
    db.session.add(dept)
    db.session.commit()
    raw = {key: "" for key in people.BASIC_FIELDS}
    raw.update(name="陈武昌", id_type="01", id_number=NUMBER, status="在岗", department_id=str(dept.id))
    people.save_person(jiangxia, raw)  # the requester enters the person: its request is done
    db.session.expire_all()
    assert db.session.get(TransferRequest, req.id).status == "已完成"
    sysadmin = _user(db, "sysadmin01")
    today = datetime.date.today()
    data = svc.movements(sysadmin, today.replace(month=1, day=1), today + datetime.timedelta(days=31))
    assert [(r.person.name, r.flow_type) for r in data["out"]] == [("陈武昌", "21")]
    assert [m["name"] for m in data["in"]] == ["陈武昌"]


def test_entering_the_released_person_by_import_completes_the_request(db):
    from app.services import resignations
    from tests.services.test_imports import basic, import_rows, setup_org

    req = _request(db)
    resignation = svc.start_resignation(_user(db, "inst2_admin"), req.id)
    resignations.submit(_user(db, "inst2_admin"), resignation.id)
    resignations.decide(_user(db, "inst2_admin"), resignation.id, "approve")
    jiangxia = _inst(db, JIANGXIA_CODE)
    setup_org(jiangxia)
    result = import_rows(jiangxia, "basic", [basic(jiangxia, 0, id_number=NUMBER, name="陈武昌", sex="男性", work_start="2010-07")])
    assert result.created == 1, result.errors_preview
    db.session.expire_all()
    assert db.session.get(TransferRequest, req.id).status == "已完成"
