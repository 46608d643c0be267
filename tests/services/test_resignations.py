"""员工离职: the draft's refusals (each naming its field), the review flow, the person's status after approval."""
import datetime

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.movements import Resignation
from app.models.org import Institution
from app.models.people import Person
from app.models.security import User
from app.services import people as people_svc
from app.services import resignations as svc
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id

TODAY = datetime.date.today()


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


_n = {"i": 9500}


def person(db, code=JIANGXIA_CODE, status="在岗", name="张离职", work_start=datetime.date(2010, 7, 1), id_number=None):
    _n["i"] += 1
    p = Person(institution_id=_inst(db, code).id, name=name, id_type="01",
               id_number=id_number or synthetic_id(_n["i"]), status=status, work_start=work_start)
    db.session.add(p)
    db.session.commit()
    return p


def test_create_draft_saves_a_draft(db):
    p = person(db)
    item = svc.create_draft(_user(db, "inst_admin"), p.id, flow_type="25", leave_date=TODAY, note=" 个人原因 ")
    db.session.expire_all()
    item = db.session.get(type(item), item.id)
    assert (item.status, item.flow_type, item.leave_date, item.note, item.created_by) == (
        "草稿", "25", TODAY, "个人原因", "inst_admin")
    assert item.person.status == "在岗"


@pytest.mark.parametrize("kwargs, field", [
    ({"flow_type": "12"}, "flow_type"),
    ({"flow_type": ""}, "flow_type"),
    ({"leave_date": None}, "leave_date"),
    ({"leave_date": "2009-12-31"}, "leave_date"),
    ({"leave_date": TODAY + datetime.timedelta(days=31)}, "leave_date"),
    ({"leave_date": "明天"}, "leave_date"),
])
def test_create_draft_refuses_bad_fields_by_name(db, kwargs, field):
    p = person(db)
    args = {"flow_type": "25", "leave_date": TODAY} | kwargs
    with pytest.raises(ValidationFailed) as exc:
        svc.create_draft(_user(db, "inst_admin"), p.id, **args)
    assert [e.field for e in exc.value.items] == [field]


def test_create_draft_accepts_30_days_ahead(db):
    p = person(db)
    item = svc.create_draft(_user(db, "inst_admin"), p.id, flow_type="21",
                            leave_date=TODAY + datetime.timedelta(days=30))
    assert item.id


def test_create_draft_refuses_other_institution_inactive_and_open(db):
    other = person(db, WUCHANG_CODE)
    gone = person(db, status="离职")
    mine = person(db)
    svc.create_draft(_user(db, "inst_admin"), mine.id, flow_type="25", leave_date=TODAY)
    for pid in (other.id, gone.id, mine.id, 999999):
        with pytest.raises(ValidationFailed) as exc:
            svc.create_draft(_user(db, "inst_admin"), pid, flow_type="25", leave_date=TODAY)
        assert [e.field for e in exc.value.items] == ["person_id"], pid


def test_create_draft_lists_every_problem_at_once(db):
    gone = person(db, status="退休")
    with pytest.raises(ValidationFailed) as exc:
        svc.create_draft(_user(db, "inst_admin"), gone.id, flow_type="99", leave_date="")
    assert [e.field for e in exc.value.items] == ["person_id", "flow_type", "leave_date"]


def _submitted(db, p=None, flow="25"):
    p = p or person(db)
    item = svc.create_draft(_user(db, "inst_admin"), p.id, flow_type=flow, leave_date=TODAY)
    return svc.submit(_user(db, "inst_staff"), item.id)


def test_state_flow_submit_withdraw_resubmit_reject_edit_approve(db):
    p = person(db)
    item = svc.create_draft(_user(db, "inst_admin"), p.id, flow_type="25", leave_date=TODAY)
    item = svc.submit(_user(db, "inst_staff"), item.id)
    assert (item.status, item.submitted_by) == ("待审核", "inst_staff")
    with pytest.raises(DomainError):
        svc.update(_user(db, "inst_admin"), item.id, flow_type="26", leave_date=TODAY)
    assert svc.withdraw(_user(db, "inst_admin"), item.id).status == "草稿"
    svc.submit(_user(db, "inst_admin"), item.id)
    with pytest.raises(ValidationFailed) as exc:
        svc.decide(_user(db, "inst_admin"), item.id, "reject", "  ")
    assert exc.value.items[0].field == "opinion"
    assert svc.decide(_user(db, "inst_admin"), item.id, "reject", "请补充交接清单").status == "已驳回"
    assert person_status(db, p) == "在岗"
    svc.update(_user(db, "inst_admin"), item.id, flow_type="29", leave_date=TODAY, note="交接清单已补")
    svc.submit(_user(db, "inst_admin"), item.id)
    item = svc.decide(_user(db, "inst_admin"), item.id, "approve")
    assert (item.status, item.reviewer.username) == ("已通过", "inst_admin")
    assert person_status(db, p) == "离职"
    assert [h.action for h in svc.history(item)] == ["submit", "withdraw", "submit", "reject", "submit", "approve"]
    with pytest.raises(DomainError):
        svc.withdraw(_user(db, "inst_admin"), item.id)


def person_status(db, p):
    db.session.expire_all()
    return db.session.get(Person, p.id).status


def test_type_24_retires_and_the_id_number_is_free_for_another_institution(db):
    p = person(db)
    item = _submitted(db, p, flow="24")
    assert people_svc.active_holder(p.id_number) is not None
    svc.decide(_user(db, "inst_admin"), item.id, "approve")
    assert person_status(db, p) == "退休"
    assert people_svc.active_holder(p.id_number) is None
    newcomer = Person(institution_id=_inst(db, WUCHANG_CODE).id, name=p.name, id_type="01", id_number=p.id_number,
                      status="在岗")
    db.session.add(newcomer)
    db.session.commit()  # the partial unique index lets the number be active again elsewhere
    assert people_svc.active_holder(p.id_number).institution_id == _inst(db, WUCHANG_CODE).id


def test_drafts_are_not_reviewable_and_other_institutions_cannot_review(db):
    draft = svc.create_draft(_user(db, "inst_admin"), person(db).id, flow_type="25", leave_date=TODAY)
    pending = _submitted(db)
    with pytest.raises(DomainError):
        svc.decide(_user(db, "inst_admin"), draft.id, "approve")
    for outsider in ("inst2_admin", "region_admin"):
        with pytest.raises(DomainError):
            svc.decide(_user(db, outsider), pending.id, "approve")
        with pytest.raises(DomainError):
            svc.get(_user(db, outsider), pending.id)
    assert person_status(db, pending.person) == "在岗"


def test_delete_only_a_never_submitted_draft(db):
    item = svc.create_draft(_user(db, "inst_admin"), person(db).id, flow_type="25", leave_date=TODAY)
    svc.submit(_user(db, "inst_admin"), item.id)
    svc.withdraw(_user(db, "inst_admin"), item.id)
    with pytest.raises(DomainError):
        svc.delete(_user(db, "inst_admin"), item.id)
    fresh = svc.create_draft(_user(db, "inst_admin"), person(db).id, flow_type="25", leave_date=TODAY)
    svc.delete(_user(db, "inst_admin"), fresh.id)
    assert db.session.get(Resignation, fresh.id) is None


def test_create_many_is_all_or_nothing_and_names_each_person(db):
    a, b = person(db, name="甲批量"), person(db, name="乙批量", status="离职")
    with pytest.raises(ValidationFailed) as exc:
        svc.create_many(_user(db, "inst_admin"), [a.id, b.id], flow_type="99", leave_date=TODAY)
    assert sorted((e.field, e.message.split("：")[0]) for e in exc.value.items) == [
        ("flow_type", "离职类型须从下拉列表中选择（当前"), ("people", "乙批量")]
    assert svc.open_resignation(a.id) is None
    c = person(db, name="丙批量")
    items = svc.create_many(_user(db, "inst_admin"), [a.id, c.id, str(c.id)], flow_type="21", leave_date=TODAY,
                            note="调往区医院")
    assert sorted(i.person_id for i in items) == sorted([a.id, c.id])
    assert {(i.status, i.flow_type, i.note) for i in items} == {("草稿", "21", "调往区医院")}


def test_decide_many_records_each_and_refuses_all_if_one_cannot(db):
    one, two = _submitted(db), _submitted(db)
    draft = svc.create_draft(_user(db, "inst_admin"), person(db).id, flow_type="25", leave_date=TODAY)
    with pytest.raises(ValidationFailed) as exc:
        svc.decide_many(_user(db, "inst_admin"), [one.id, draft.id], "approve")
    assert len(exc.value.items) == 1
    assert person_status(db, one.person) == "在岗"
    done = svc.decide_many(_user(db, "inst_admin"), [one.id, two.id], "approve")
    assert {person_status(db, i.person) for i in done} == {"离职"}
    for item in done:
        assert [h.action for h in svc.history(item)] == ["submit", "approve"]
