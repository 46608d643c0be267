"""Batch import of the detail sets (spec 4.2.4): persons matched by 姓名 + 证件号码, 所在部门 checked against the
person, 至今 and YYYY-MM, natural keys (no duplicates on re-runs), update on/off, export round trip."""
import datetime
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models.people import Education, PracticeCertificate, WorkExperience
from app.services.imports import export, runner
from tests.services.test_imports import IDS, basic, import_rows, prepared, report_rows


@pytest.fixture
def inst(db):
    return prepared(db)


def _people(inst):
    result = import_rows(inst, "basic", [basic(inst, 0), basic(inst, 1, department_id="外科")])
    assert result.created == 2


def work(inst, i=0, **kw):
    values = {"institution_name": inst.name, "name": basic(inst, i)["name"], "id_number": IDS[i],
              "department": "内科" if i == 0 else "外科", "start_date": "1990-07", "end_date": "至今",
              "employer": "武汉市江夏区示例镇卫生院", "position": "医师"}
    values.update(kw)
    return values


def test_work_entries_are_matched_to_persons_by_name_and_id(inst, db):
    _people(inst)
    result = import_rows(inst, "work", [
        work(inst, 0),
        work(inst, 0, start_date=datetime.date(1985, 9, 1), end_date="1990-06-30", employer="江夏区人民医院"),
        work(inst, 1, department=None),
        work(inst, 0, name="张一"),  # name differs
        work(inst, 5, name="王五"),  # nobody with this ID
        work(inst, 1, id_number=IDS[5]),  # the name exists, the ID does not match it
        work(inst, 1, department="内科"),  # not this person's department
        work(inst, 0, start_date="1990-08", end_date="1990-07", employer="某单位"),  # end before start
        work(inst, 0, start_date="1960-01", employer="出生前"),  # before birth
    ])
    assert (result.total, result.created, result.failed) == (9, 3, 6)
    entries = {(e.person.id_number, e.employer): e for e in db.session.scalars(select(WorkExperience))}
    now = entries[(IDS[0], "武汉市江夏区示例镇卫生院")]
    assert now.start_date == datetime.date(1990, 7, 1) and now.end_date is None  # YYYY-MM → 01, 至今 → open
    assert now.institution_id == inst.id and now.position == "医师"
    before = entries[(IDS[0], "江夏区人民医院")]
    assert (before.start_date, before.end_date) == (datetime.date(1985, 9, 1), datetime.date(1990, 6, 30))
    assert (IDS[1], "武汉市江夏区示例镇卫生院") in entries

    _, out = report_rows(result.report)
    reasons = [r for r, _ in out]
    assert "姓名“张一”与本机构证件号码为" in reasons[0] and out[0][1]["姓名"][1]
    assert "本机构没有姓名为“王五”" in reasons[1] and out[1][1]["证件号码"][1]
    assert "与本机构人员“张二一”在基本信息中登记的证件号码不一致" in reasons[2] and out[2][1]["证件号码"][1]
    assert "所在部门“内科”与此人基本信息中的所在科室“外科”不一致" in reasons[3] and out[3][1]["所在部门"][1]
    assert "截止日期不能早于起始日期" in reasons[4] and out[4][1]["截止日期"][1]
    assert "起始日期不能早于出生日期" in reasons[5] and out[5][1]["起始日期"][1]


def test_detail_rerun_update_and_round_trip(inst, db):
    _people(inst)
    rows_ = [work(inst, 0), work(inst, 1, employer="外院", position=None)]
    assert import_rows(inst, "work", rows_).created == 2
    again = import_rows(inst, "work", rows_)
    assert (again.created, again.skipped) == (0, 2)
    changed = import_rows(inst, "work", [work(inst, 0, position="主任"), work(inst, 1, employer="外院", position=None)],
                          update_existing=True)
    assert (changed.updated, changed.unchanged, changed.created) == (1, 1, 0)
    db.session.expire_all()
    assert {e.position for e in db.session.scalars(select(WorkExperience))} == {"主任", None}

    data = export.export_set(inst, "work")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in ws[2]][:6] == [inst.name, "张一零", IDS[0], "内科", datetime.datetime(1990, 7, 1), "至今"]
    result = runner.run_import(inst, "work", data, update_existing=True)
    assert (result.total, result.unchanged, result.failed) == (2, 2, 0)
    assert db.session.query(WorkExperience).count() == 2


def test_coded_detail_fields_and_keys(inst, db):
    _people(inst)
    result = import_rows(inst, "education", [
        {"institution_name": inst.name, "name": "张一零", "id_number": IDS[0], "school": "武汉大学",
         "education": "大学本科", "degree": "学士", "end_date": "1988-07", "certificate_no": "1048612345678"},
        {"institution_name": inst.name, "name": "张一零", "id_number": IDS[0], "school": "武汉大学",
         "education": "本科", "degree": "学士"},  # not a dropdown value
        {"institution_name": inst.name, "name": "张一零", "id_number": IDS[0], "school": "武汉大学",
         "education": "大学本科"},  # same school + education as the first row
    ])
    assert (result.created, result.failed) == (1, 2)
    entry = db.session.scalar(select(Education))
    assert (entry.education, entry.degree, entry.certificate_no) == ("2", "4", "1048612345678")
    assert "学历须从下拉列表中选择（当前：本科）" in result.errors_preview[0]
    assert "与第 2 行重复" in result.errors_preview[1]

    practice = import_rows(inst, "practice", [
        {"institution_name": inst.name, "name": "张二一", "id_number": IDS[1], "department": "外科",
         "certificate_no": "110420000012345", "category": "临床", "scope": "外科专业", "registered_on": "2001-05-01",
         "valid_until": "至今"}])
    assert practice.created == 1
    cert = db.session.scalar(select(PracticeCertificate))
    assert (cert.category, cert.scope, cert.valid_until) == ("1", "12", None)


VALID = {
    "work": {"start_date": "2000-01", "end_date": "至今", "employer": "某医院", "position": "医师"},
    "education": {"start_date": "1983-09", "end_date": "1988-07", "school": "武汉大学", "major": "临床医学",
                  "education": "大学本科", "degree": "学士", "certificate_no": "0012345"},
    "title": {"title_name": "主治医师", "level": "中级", "obtained_on": "2005-06-01", "certificate_no": "T001"},
    "qualification": {"kind": "医师资格证书", "certificate_no": "Q20010001", "category": "临床",
                      "obtained_on": "2001-10"},
    "practice": {"certificate_no": "P110420001", "category": "临床", "scope": "内科专业", "registered_on": "2002-03",
                 "valid_until": "至今", "practice_place": "武汉市江夏区示例镇卫生院"},
    "training": {"start_date": "2019-03-01", "end_date": "2019-03-05", "organiser": "省卫健委", "content": "急救培训"},
}


@pytest.mark.parametrize("set_key", sorted(VALID))
def test_every_detail_set_imports_exports_and_reimports_unchanged(inst, db, set_key):
    from app.models.audit import AuditLog
    from app.services.people import DETAIL_SETS

    _people(inst)
    model = DETAIL_SETS[set_key].model
    record = {"institution_name": inst.name, "name": "张一零", "id_number": IDS[0], "department": "内科",
              **VALID[set_key]}
    result = import_rows(inst, set_key, [record])
    assert (result.created, result.failed) == (1, 0), result.errors_preview
    entry = db.session.scalar(select(model))
    assert entry.person.id_number == IDS[0] and entry.institution_id == inst.id
    log = db.session.scalar(select(AuditLog).where(AuditLog.entity == model.__tablename__,
                                                   AuditLog.entity_id == str(entry.id)))
    assert log.action == "create" and log.changes["person_id"] == [None, entry.person_id]
    again = runner.run_import(inst, set_key, export.export_set(inst, set_key), update_existing=True)
    assert (again.total, again.unchanged, again.created, again.failed) == (1, 1, 0, 0), again.errors_preview
    assert db.session.query(model).count() == 1


def test_import_needs_no_attachment_and_never_duplicates_an_entry(inst, db):
    """Attachments come afterwards by 附件批量导入 (spec 4.2.5), so the import does not require them, though
    单条录入 does for every set. A row identical to an existing entry (entered by the form or imported) is that
    entry (unchanged, or skipped without 更新), and twice in a file it is refused: never a second record."""
    from app.models.people import Person
    from app.services import people

    _people(inst)
    person = db.session.scalar(select(Person).where(Person.id_number == IDS[0]))
    assert people.DETAIL_SETS["work"].attachment_required
    result = import_rows(inst, "work", [work(inst, 1), work(inst, 1)])
    assert (result.created, result.failed) == (1, 1) and "与第 2 行重复" in result.errors_preview[0]
    entry = db.session.scalar(select(WorkExperience).where(WorkExperience.person_id != person.id))
    assert entry.attachments in (None, [])
    people.save_detail(person, "work", {"start_date": "1990-07", "end_date": "至今",
                                        "employer": "武汉市江夏区示例镇卫生院", "position": "医师"}, [_jpeg()])
    assert import_rows(inst, "work", [work(inst, 0)]).skipped == 1
    assert import_rows(inst, "work", [work(inst, 0)], update_existing=True).unchanged == 1
    assert db.session.scalar(select(func.count(WorkExperience.id)).where(WorkExperience.person_id == person.id)) == 1


def _jpeg():
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (90, 120), "white").save(buf, "JPEG")
    buf.seek(0)
    return buf
