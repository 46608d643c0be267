"""员工离职: the draft's refusals (each naming its field), the review flow, the person's status after approval."""
import datetime

import pytest
from sqlalchemy import select

from app.domain.errors import ValidationFailed
from app.models.org import Institution
from app.models.people import Person
from app.models.security import User
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
