"""Issue 13: a person entered by a new institution is offered the earlier records of the same ID number in other
institutions (records no longer active) and a 工作经历 entry for the old institution; copying leaves the old
records as they were and copies attachments by reference."""
import datetime

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.models.movements import Resignation
from app.models.people import Education, Person, TitleQualification, Training, WorkExperience
from app.services import history_copy, people
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.services.test_people import ID_B, _inst, _org, _raw

PHOTO = {"path": "ab/abcdef.jpg", "thumb": "ab/abcdef_t.jpg", "filename": "毕业证.jpg"}


def _former(db, *, resigned_on=datetime.date(2024, 6, 30), status="离职"):
    """张三 at 江夏 with an education (with an attachment), a title and a training, freed by an approved
    resignation (or not: resigned_on=None); plus someone else at 江夏 whose entries must never be offered."""
    jiangxia = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, jiangxia)
    old, _ = people.save_person(jiangxia, _raw(dept, post))
    other, _ = people.save_person(jiangxia, _raw(dept, post, name="李四", id_number=ID_B, work_start="2000-07"))
    db.session.add_all([
        Education(person_id=old.id, institution_id=jiangxia.id, school="同济医学院", education="2", major="临床医学",
                  attachments=[PHOTO]),
        TitleQualification(person_id=old.id, institution_id=jiangxia.id, title_name="主治医师", level="3",
                           obtained_on=datetime.date(2015, 5, 1)),
        Training(person_id=old.id, institution_id=jiangxia.id, start_date=datetime.date(2019, 3, 1),
                 organiser="省卫健委"),
        Education(person_id=other.id, institution_id=jiangxia.id, school="别人的学校", education="2", major="护理"),
    ])
    old.status = status
    if resigned_on:
        db.session.add(Resignation(institution_id=jiangxia.id, person_id=old.id, flow_type="21",
                                   leave_date=resigned_on, status="已通过"))
    db.session.commit()
    return jiangxia, old


def _new_at_wuchang(db):
    wuchang = _inst(db, WUCHANG_CODE)
    dept, post = _org(db, wuchang, "测试全科")
    person, _ = people.save_person(wuchang, _raw(dept, post))
    return person


def test_offers_are_the_same_numbers_earlier_entries_and_the_old_employment(db):
    jiangxia, old = _former(db)
    person = _new_at_wuchang(db)
    offers = history_copy.offers(person)
    assert [(o.set_key, o.source) for o in offers] == [
        ("work", jiangxia.name), ("education", jiangxia.name), ("title", jiangxia.name), ("training", jiangxia.name)]
    work = offers[0]
    assert work.key == f"employment:{old.id}"
    assert work.values == {"start_date": old.work_start, "end_date": datetime.date(2024, 6, 30),
                           "employer": jiangxia.name, "position": "临床医师"}
    assert offers[1].values["school"] == "同济医学院" and offers[1].attachments == [PHOTO]
    assert "别人的学校" not in str([o.values for o in offers])  # only the same ID number


def test_without_a_resignation_the_old_record_gives_the_dates(db):
    _, old = _former(db, resigned_on=None, status="退休")
    person = _new_at_wuchang(db)
    work = history_copy.offers(person)[0]
    assert work.values["start_date"] == old.work_start and work.values["end_date"] == old.updated_at.date()


def test_an_active_record_elsewhere_or_in_the_same_institution_offers_nothing(db):
    jiangxia = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, jiangxia)
    person, _ = people.save_person(jiangxia, _raw(dept, post))
    assert history_copy.offers(person) == [] and not history_copy.has_offers(person)


def test_copy_writes_new_entries_by_reference_and_leaves_the_old_ones(db):
    jiangxia, old = _former(db)
    person = _new_at_wuchang(db)
    before = {m: db.session.scalar(select(func.count(m.id))) for m in (Education, TitleQualification, Training)}
    keys = [o.key for o in history_copy.offers(person) if o.set_key in ("work", "education")]
    assert history_copy.copy(person, keys) == 2
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    copied = person.educations[0]
    assert (copied.school, copied.institution_id, copied.attachments) == ("同济医学院", person.institution_id, [PHOTO])
    work, = person.work_experiences
    assert (work.employer, work.end_date, work.institution_id) == (jiangxia.name, datetime.date(2024, 6, 30),
                                                                   person.institution_id)
    assert person.titles == [] and person.trainings == []  # not chosen
    old = db.session.get(Person, old.id)
    assert [e.school for e in old.educations] == ["同济医学院"] and old.work_experiences == []
    assert db.session.scalar(select(func.count(Education.id))) == before[Education] + 1

    # copying again writes nothing twice: the offers are marked as already there
    assert all(o.duplicate for o in history_copy.offers(person) if o.key in keys)
    assert history_copy.copy(person, keys) == 0
    assert db.session.scalar(select(func.count(WorkExperience.id)).where(WorkExperience.person_id == person.id)) == 1


def test_copy_refuses_nothing_chosen_and_keys_not_offered(db):
    _former(db)
    person = _new_at_wuchang(db)
    foreign = db.session.scalar(select(Education).where(Education.school == "别人的学校"))
    with pytest.raises(ValidationFailed) as exc:
        history_copy.copy(person, [])
    assert exc.value.of("keys") == ["请勾选要复制的记录"]
    with pytest.raises(DomainError, match="不属于该人员的以往记录"):
        history_copy.copy(person, [f"education:{foreign.id}"])
    assert db.session.get(Person, person.id).educations == []
