"""Issue 13: the 在职状态 can leave the active set only through 员工离职 — the dictionary, the 基本信息 form's rule,
the import template and the import; a new record for a number active elsewhere is refused whatever its status;
departments and posts count active staff only."""
import datetime
import io
import threading
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES, LEAVING_ONLY_BY_WORKFLOW, status_problem
from app.models.dictionary import DictItem
from app.models.org import Department, Institution
from app.models.people import Person, WorkExperience
from app.models.security import User
from app.services import departments, dictionaries, people, posts
from app.services.imports import template
from app.services.scope import scope_of
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.services.test_imports import IDS, basic, import_rows, institution, report_rows, setup_org
from tests.services.test_people import ID_A, _inst, _org, _raw


def _user(db, username):
    return db.session.scalar(select(User).where(User.username == username))


def _status_item(db, name):
    return db.session.scalar(select(DictItem).where(DictItem.type == "staff_status", DictItem.name == name))


# ---- the dictionary ------------------------------------------------------------------------------------------------

def test_the_loader_honours_the_active_column_on_every_load(db):
    offered = [d.name for d in dictionaries.items("staff_status")]
    assert offered == ["在岗", "医师资格考试试用期考核人员", "借调", "长期病休"]
    left = _status_item(db, "离职")
    assert left.active is False and "active" not in (left.extra or {})
    # an operator's 启用 of a closed value does not survive the next load; an operator's 停用 of an open one does
    left.active = True
    _status_item(db, "借调").active = False
    db.session.commit()
    dictionaries.load_dictionaries()
    db.session.expire_all()
    assert _status_item(db, "离职").active is False and _status_item(db, "借调").active is False
    # every name stays known, so existing rows are still shown by name
    assert {"离职", "退休", "其他"} <= {d.name for d in dictionaries.items("staff_status", active_only=False)}


def test_the_csv_active_column_is_the_domains_active_set():
    """staff_status.csv's `active` and domain ACTIVE_STATUSES (the partial unique index is built from it) agree."""
    import csv
    import os

    with open(os.path.join(dictionaries.DATA_DIR, "staff_status.csv"), encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["name"] for r in rows if r["active"] == "Y"} == set(ACTIVE_STATUSES)


def test_status_problem_rule():
    offered = ["在岗", "借调"]
    known = {"在岗", "借调", "离职", "退休", "其他"}
    for leaving in ("离职", "退休", "其他"):
        assert LEAVING_ONLY_BY_WORKFLOW in status_problem(leaving, offered, known)
        assert status_problem(leaving, offered, known, current_status=leaving) is None  # kept as it is
    assert LEAVING_ONLY_BY_WORKFLOW in status_problem("离职", [*offered, "离职"], known)  # even if re-enabled
    assert status_problem("在岗", offered, known) is None
    assert status_problem("在职", offered, known) == "在职状态须从下拉列表中选择（当前：在职）"


# ---- the form's save path --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["离职", "退休", "其他"])
def test_a_new_record_cannot_be_entered_out_of_post(db, status):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    with pytest.raises(ValidationFailed) as exc:
        people.save_person(inst, _raw(dept, post, status=status))
    assert exc.value.of("status") == [f"在职状态不能直接设为“{status}”：离职须通过“员工离职”办理"]
    assert db.session.scalar(select(Person.id).where(Person.id_number == ID_A)) is None


def test_an_edit_cannot_free_the_number_but_keeps_a_stored_status(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    person, _ = people.save_person(inst, _raw(dept, post))
    with pytest.raises(ValidationFailed) as exc:
        people.save_person(inst, _raw(dept, post, status="离职"), person=person, version=person.version)
    assert exc.value.of("status") == ["在职状态不能直接设为“离职”：离职须通过“员工离职”办理"]
    db.session.expire_all()
    assert db.session.get(Person, person.id).status == "在岗"

    person.status = "离职"  # as the approved resignation sets it: the record is read-only from then on
    db.session.commit()
    with pytest.raises(ValidationFailed, match="档案只读"):
        people.save_person(inst, _raw(dept, post, status="离职", phone="13700000000"), person=person,
                           version=person.version)
    db.session.expire_all()
    assert (db.session.get(Person, person.id).status, db.session.get(Person, person.id).phone) == ("离职", "13912345678")


def test_a_re_enabled_dictionary_value_does_not_open_the_form(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    _status_item(db, "离职").active = True  # an operator's click on the dictionary page
    db.session.commit()
    assert "离职" not in people.lookups()["statuses"]
    with pytest.raises(ValidationFailed, match="离职须通过“员工离职”办理"):
        people.save_person(inst, _raw(dept, post, status="离职"))


@pytest.mark.parametrize("status", ["在岗", "离职", "退休"])
def test_a_new_record_for_a_number_active_elsewhere_is_refused_whatever_its_status(db, status):
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept, post = _org(db, jiangxia)
    w_dept, w_post = _org(db, wuchang, "测试全科")
    people.save_person(wuchang, _raw(w_dept, w_post))
    with pytest.raises(ValidationFailed) as exc:
        people.save_person(jiangxia, _raw(dept, post, status=status))
    assert exc.value.of("id_number") == ["该证件号码已在 武汉市武昌区示例社区卫生服务中心 在职，需原单位办理离职后方可录入"]
    assert db.session.scalar(select(Person.id).where(Person.institution_id == jiangxia.id)) is None


def test_a_former_record_is_read_only_on_every_path_while_the_number_is_active_elsewhere(db):
    """Spec 4.4 / issue 13: a resigned person's record stays readable, read-only — the 基本信息 form, its detail
    sets (add, delete) all refuse, naming the status."""
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept, post = _org(db, jiangxia)
    w_dept, w_post = _org(db, wuchang, "测试全科")
    old, _ = people.save_person(jiangxia, _raw(dept, post))
    entry = WorkExperience(person_id=old.id, institution_id=jiangxia.id, start_date=datetime.date(2001, 1, 1), employer="某卫生院")
    db.session.add(entry)
    db.session.commit()
    entry_id = entry.id
    old.status = "离职"
    db.session.commit()
    people.save_person(wuchang, _raw(w_dept, w_post))
    with pytest.raises(ValidationFailed, match="在职状态为“离职”，档案只读"):
        people.save_person(jiangxia, _raw(dept, post, status="离职", staff_no="J9"), person=old, version=old.version)
    with pytest.raises(ValidationFailed, match="档案只读"):
        people.save_detail(old, "work", {"start_date": "2006-01", "end_date": "2008-01", "employer": "另一单位"})
    with pytest.raises(DomainError, match="档案只读"):
        people.delete_detail(scope_of(_user(db, "inst_admin")), "work", entry_id)
    db.session.expire_all()
    assert db.session.get(Person, old.id).staff_no != "J9"
    assert db.session.scalar(select(func.count(WorkExperience.id)).where(WorkExperience.person_id == old.id)) == 1


# ---- the import ------------------------------------------------------------------------------------------------------

def test_the_template_does_not_offer_leaving_statuses(db):
    inst = institution(db)
    setup_org(inst)
    meta = load_workbook(io.BytesIO(template.build_template(inst, "basic"))).worksheets[2]
    lists = {meta.cell(1, c).value: [meta.cell(r, c).value for r in range(2, meta.max_row + 1)
                                     if meta.cell(r, c).value] for c in range(4, meta.max_column + 1)}
    assert lists["staff_status"] == ["在岗", "医师资格考试试用期考核人员", "借调", "长期病休"]


def test_the_import_refuses_leaving_statuses_on_the_status_column(db):
    inst = institution(db)
    setup_org(inst)
    result = import_rows(inst, "basic", [basic(inst, 0, status="离职"), basic(inst, 1, status="退休"), basic(inst, 2)])
    assert (result.created, result.failed) == (1, 2)
    _, rows = report_rows(result.report)
    assert [cells["在职状态"][1:] for _, cells in rows] == [
        (True, "在职状态不能直接设为“离职”：离职须通过“员工离职”办理"),
        (True, "在职状态不能直接设为“退休”：离职须通过“员工离职”办理")]


def test_re_importing_a_former_record_unchanged_is_not_refused(db):
    inst = institution(db)
    setup_org(inst)
    assert import_rows(inst, "basic", [basic(inst, 0)]).created == 1
    left = db.session.scalar(select(Person).where(Person.id_number == IDS[0]))
    left.status = "离职"
    db.session.commit()
    result = import_rows(inst, "basic", [basic(inst, 0, status="离职")], update_existing=True)
    assert (result.updated, result.failed) == (0, 0)  # unchanged: nothing to write, nothing refused
    result = import_rows(inst, "basic", [basic(inst, 0, status="离职", phone="13700000000")], update_existing=True)
    assert (result.updated, result.failed) == (0, 1)  # a change to a former employee's record: read-only
    # …but the import cannot set it back to 离职 once in post, nor free it
    left.status = "在岗"
    db.session.commit()
    result = import_rows(inst, "basic", [basic(inst, 0, status="离职")], update_existing=True)
    assert result.failed == 1 and "离职须通过“员工离职”办理" in result.errors_preview[0]


def test_the_import_refuses_a_new_record_for_a_number_active_elsewhere_whatever_its_status(db):
    inst, other = institution(db), institution(db, WUCHANG_CODE)
    setup_org(inst)
    db.session.add(Person(institution_id=other.id, name="张一零", id_type="01", id_number=IDS[0], status="在岗"))
    db.session.commit()
    result = import_rows(inst, "basic", [basic(inst, 0, status="退休")])
    assert result.failed == 1
    assert "该证件号码已在 武汉市武昌区示例社区卫生服务中心 在职" in result.errors_preview[0]
    assert "离职须通过“员工离职”办理" in result.errors_preview[0]


# ---- departments and posts count active staff ------------------------------------------------------------------------

def test_a_resigned_person_no_longer_blocks_deleting_a_department_or_post(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    person, _ = people.save_person(inst, _raw(dept, post))
    with pytest.raises(ValidationFailed, match="下有 1 名人员"):
        departments.delete(inst.id, dept.id)
    person.status = "离职"
    db.session.commit()
    assert departments.staff_counts(inst.id).get(dept.id, 0) == 0
    assert posts.staff_counts(inst.id).get(post.id, 0) == 0
    assert departments.delete(inst.id, dept.id) == "内科"
    assert posts.delete(inst.id, post.id) == "临床医师"
    db.session.expire_all()
    kept = db.session.get(Person, person.id)
    assert db.session.get(Department, dept.id) is None and (kept.department_id, kept.post_id) == (None, None)


# ---- two institutions entering a freed number at the same moment ----------------------------------------------------

def test_two_institutions_entering_a_freed_number_at_once_exactly_one_succeeds(app, db, monkeypatch):
    """Both checks see the number free (a barrier holds each thread right after its check until the other has
    checked too), then both write: the partial unique index lets one through, the other gets the field refusal
    naming the holder. Each thread has its own app context, session and connection (SQLite and PostgreSQL)."""
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    j_dept, j_post = _org(db, jiangxia)
    w_dept, w_post = _org(db, wuchang, "测试全科")
    former, _ = people.save_person(jiangxia, _raw(j_dept, j_post))
    former.status = "离职"  # freed by an approved resignation
    db.session.commit()
    entries = {inst.id: (SimpleNamespace(id=d.id), SimpleNamespace(id=p.id))
               for inst, d, p in ((jiangxia, j_dept, j_post), (wuchang, w_dept, w_post))}
    names = {jiangxia.id: jiangxia.name, wuchang.id: wuchang.name}
    db.session.remove()

    barrier = threading.Barrier(2, timeout=20)
    real = people.PersonLookup.holder

    def holder_after_both_checked(self, id_number, person=None):
        found = real(self, id_number, person)
        barrier.wait()
        return found

    monkeypatch.setattr(people.PersonLookup, "holder", holder_after_both_checked)
    outcome = {}

    def enter(inst_id):
        with app.app_context():
            try:
                people.save_person(db.session.get(Institution, inst_id), _raw(*entries[inst_id]))
                outcome[inst_id] = "saved"
            except ValidationFailed as exc:
                outcome[inst_id] = exc.of("id_number")
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome[inst_id] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=enter, args=(i,)) for i in entries]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [i for i, v in outcome.items() if v == "saved"]
    assert len(winners) == 1, outcome
    loser = next(i for i in entries if i not in winners)
    assert outcome[loser] == [f"该证件号码已在 {names[winners[0]]} 在职，需原单位办理离职后方可录入"]
    active = db.session.scalars(select(Person).where(Person.id_number == ID_A, Person.status == "在岗")).all()
    assert [p.institution_id for p in active] == winners
