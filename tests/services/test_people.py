"""Staff records without HTTP (spec 4.2.1, 4.2.3, 4.4): 基本信息 rules, the province-wide active ID number,
the partial unique index behind it, and the rules of detail entries."""
import datetime
import io

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.domain.errors import DomainError, ValidationFailed
from app.models.org import Department, Institution, Post
from app.models.people import Person
from app.services import people
from app.services.scope import Scope
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id

ID_A = synthetic_id(101)  # born 1965-04-12, 420115…
ID_B = synthetic_id(5202)


def _inst(db, code):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _org(db, inst, dept_name="内科", category="科室(部门)"):
    dept = Department(institution_id=inst.id, name=dept_name, category=category, standard_code="A03")
    post = Post(institution_id=inst.id, name="临床医师", category="专业技术岗")
    db.session.add_all([dept, post])
    db.session.commit()
    return dept, post


def _raw(dept, post, **kw):
    raw = {key: "" for key in people.BASIC_FIELDS}
    raw.update({"name": "张三", "id_type": "01", "id_number": ID_A, "status": "在岗", "department_id": str(dept.id),
                "post_id": str(post.id), "phone": "13912345678", "work_start": "1988-07", "education": "2",
                "major": "临床医学", "ethnicity": "01"})
    raw.update(kw)
    return raw


def _jpeg(size=(120, 160)):
    buf = io.BytesIO()
    Image.new("RGB", size, "skyblue").save(buf, "JPEG")
    buf.seek(0)
    return buf


def test_save_person_happy_path_derives_birth_date_and_sex(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    person, warnings = people.save_person(inst, _raw(dept, post, id_number=ID_A.lower()), photo=_jpeg())
    assert warnings == []
    db.session.expire_all()
    person = db.session.get(Person, person.id)
    assert person.institution_id == inst.id and person.name == "张三"
    assert person.id_number == ID_A.upper()
    assert person.birth_date == datetime.date(int(ID_A[6:10]), int(ID_A[10:12]), int(ID_A[12:14]))
    assert person.sex == ("1" if int(ID_A[16]) % 2 else "2")
    assert person.work_start == datetime.date(1988, 7, 1)
    assert person.department_id == dept.id and person.post_id == post.id
    assert person.photo_path and person.photo_thumb
    assert person.staff_no is None  # blanks are stored as NULL


def test_unallocated_mobile_prefix_is_only_a_warning(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    person, warnings = people.save_person(inst, _raw(dept, post, phone="15412345678"))
    assert person.id and warnings == ["手机号码号段 154 不在已分配的手机号段中，请核对"]


def test_every_error_is_reported_at_once(db):
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept, post = _org(db, jiangxia)
    foreign_dept, _ = _org(db, wuchang, "测试外科")
    raw = _raw(dept, post, name="", id_number="420115198013450011", phone="123", department_id=str(foreign_dept.id),
               work_start="2999-01", education="2", major="", sex="9x", status="")
    with pytest.raises(ValidationFailed) as exc:
        people.save_person(jiangxia, raw, photo=io.BytesIO(b"not an image at all"))
    text = "\n".join(exc.value.errors)
    for fragment in ("姓名不能为空", "在职状态不能为空", "证件号码", "手机号码须为 11 位数字", "所在科室须从本机构的所在科室中选择",
                     "参加工作日期不能晚于今天", "学历为大专及以上时，所学专业不能为空", "性别须从下拉列表中选择", "照片："):
        assert fragment in text, fragment
    assert db.session.scalar(select(Person.id).where(Person.institution_id == jiangxia.id)) is None
    # each refusal names its field, so a form shows it next to that input
    assert exc.value.of("name") == ["姓名不能为空"] and exc.value.of("phone") and exc.value.of("photo")
    assert exc.value.of("department_id") == ["所在科室须从本机构的所在科室中选择"]
    assert {i.field for i in exc.value.items} >= {"name", "status", "id_number", "phone", "department_id",
                                                   "work_start", "major", "sex", "photo"}


def test_an_id_number_active_in_another_institution_is_refused_until_it_leaves(db):
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept, post = _org(db, jiangxia)
    w_dept, w_post = _org(db, wuchang, "测试全科")
    holder, _ = people.save_person(wuchang, _raw(w_dept, w_post, name="张三"))
    with pytest.raises(ValidationFailed) as exc:
        people.save_person(jiangxia, _raw(dept, post))
    assert exc.value.errors == ["该证件号码已在 武汉市武昌区示例社区卫生服务中心 在职，需原单位办理离职后方可录入"]

    # An inactive record does not hold the number: the new institution may enter the person (离职 is set by the
    # approved resignation, never by the form: tests/services/test_status_rule.py)
    holder.status = "离职"
    db.session.commit()
    moved, _ = people.save_person(jiangxia, _raw(dept, post))
    assert moved.institution_id == jiangxia.id
    # …and the old institution cannot make its record active again: a former record is read-only.
    with pytest.raises(ValidationFailed, match="档案只读"):
        people.save_person(wuchang, _raw(w_dept, w_post, status="在岗"), person=holder)


def test_editing_a_person_keeps_its_own_number(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    person, _ = people.save_person(inst, _raw(dept, post))
    person, _ = people.save_person(inst, _raw(dept, post, name="张三丰", staff_no="A001"), person=person)
    assert (person.name, person.staff_no) == ("张三丰", "A001")


def test_partial_unique_index_allows_one_active_row_per_id_number(db):
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    db.session.add(Person(institution_id=jiangxia.id, name="甲", id_type="01", id_number=ID_B, status="离职"))
    db.session.add(Person(institution_id=wuchang.id, name="甲", id_type="01", id_number=ID_B, status="退休"))
    db.session.add(Person(institution_id=wuchang.id, name="甲", id_type="01", id_number=ID_B, status="在岗"))
    db.session.commit()  # inactive rows never collide
    db.session.add(Person(institution_id=jiangxia.id, name="甲", id_type="01", id_number=ID_B, status="借调"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_get_person_and_find_people_stay_in_scope(db):
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept, post = _org(db, jiangxia)
    person, _ = people.save_person(jiangxia, _raw(dept, post))
    assert people.get_person(Scope("institution", institution_id=jiangxia.id), person.id) is person
    with pytest.raises(DomainError):
        people.get_person(Scope("institution", institution_id=wuchang.id), person.id)
    assert people.find_people(jiangxia.id, ID_A.lower()) == [person]
    assert people.find_people(jiangxia.id, "张") == [person]
    assert people.find_people(wuchang.id, ID_A) == []
    assert people.find_people(jiangxia.id, "  ") == []


@pytest.fixture
def person(db):
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    return people.save_person(inst, _raw(dept, post))[0]


def test_work_experience_until_now(db, person):
    entry = people.save_detail(person, "work", {"start_date": "2010-07", "end_date": "至今", "employer": "江夏区人民医院",
                                                "position": "住院医师"}, [_jpeg()])
    assert entry.end_date is None and entry.start_date == datetime.date(2010, 7, 1)
    assert len(entry.attachments) == 1 and entry.institution_id == person.institution_id
    assert person.work_experiences == [entry]


def test_detail_end_before_start_and_bad_dates(db, person):
    with pytest.raises(ValidationFailed) as exc:
        people.save_detail(person, "work", {"start_date": "2015-03-01", "end_date": "2014-12", "employer": ""}, [_jpeg()])
    assert set(exc.value.errors) == {"工作单位不能为空", "截止日期不能早于起始日期"}
    assert exc.value.of("employer") == ["工作单位不能为空"] and exc.value.of("end_date") == ["截止日期不能早于起始日期"]
    with pytest.raises(ValidationFailed) as exc:
        people.save_detail(person, "training", {"start_date": "至今", "end_date": "2020-13", "organiser": "卫健委"},
                           [_jpeg()])
    text = "；".join(exc.value.errors)
    assert "起始日期不能填写“至今”" in text and "截止日期不是真实的日期" in text
    with pytest.raises(ValidationFailed, match="起始日期不能早于出生日期"):
        people.save_detail(person, "work", {"start_date": "1950-01", "employer": "某单位"}, [_jpeg()])


RAW = {
    "work": {"start_date": "2010-07", "end_date": "至今", "employer": "江夏区人民医院", "position": "住院医师"},
    "education": {"start_date": "2001-09", "end_date": "2006-07", "school": "武汉大学", "major": "临床医学",
                  "education": "2", "degree": ""},
    "title": {"title_name": "主治医师", "level": "3", "obtained_on": "2015-05"},
    "qualification": {"kind": "医师资格证书", "certificate_no": "Q1", "obtained_on": "2009-12"},
    "practice": {"certificate_no": "P1", "registered_on": "2010-03"},
    "training": {"start_date": "2019-03-01", "end_date": "2019-03-05", "organiser": "湖北省卫生健康委员会"},
}


@pytest.mark.parametrize("set_key", sorted(RAW))
def test_every_detail_set_needs_an_attachment_by_default(db, person, set_key):
    """spec 4.2.3: 单条录入 needs the attachment for every set (工作经历 and 培训经历 saved without one before)."""
    label = people.DETAIL_SETS[set_key].label
    with pytest.raises(ValidationFailed) as exc:
        people.save_detail(person, set_key, RAW[set_key])
    assert exc.value.errors == [f"{label}须上传附件图片（JPG 或 PNG，不超过 3 MB）；没有附件请使用批量导入"]
    entry = people.save_detail(person, set_key, RAW[set_key], [_jpeg()])
    assert len(entry.attachments) == 1 and entry.attachments[0]["thumb"]


def test_the_sets_needing_an_attachment_are_a_setting(app, db, person, monkeypatch):
    monkeypatch.setitem(app.config, "DETAIL_ATTACHMENT_SETS", "education，资格证书")  # a key and a name
    assert people.attachment_sets() == {"education", "qualification"}
    entry = people.save_detail(person, "work", RAW["work"])  # not in the list: saved without one
    assert entry.attachments == []
    with pytest.raises(ValidationFailed, match="资格证书须上传附件图片"):
        people.save_detail(person, "qualification", RAW["qualification"])
    monkeypatch.setitem(app.config, "DETAIL_ATTACHMENT_SETS", "")
    assert people.attachment_sets() == frozenset()
    with pytest.raises(RuntimeError, match="DETAIL_ATTACHMENT_SETS: 工作经验 不是详细信息类别"):
        people.attachment_sets({"DETAIL_ATTACHMENT_SETS": "work,工作经验"})


def test_editing_keeps_the_attachment(db, person):
    raw = RAW["education"]
    entry = people.save_detail(person, "education", raw, [_jpeg()])
    # Editing keeps the attachment, so none has to be uploaded again.
    entry = people.save_detail(person, "education", {**raw, "school": "华中科技大学"}, [], entry)
    assert entry.school == "华中科技大学" and len(entry.attachments) == 1


@pytest.mark.parametrize("set_key", sorted(RAW))
def test_a_second_identical_entry_is_refused(db, person, set_key):
    ds = people.DETAIL_SETS[set_key]
    first = people.save_detail(person, set_key, RAW[set_key], [_jpeg()])
    with pytest.raises(ValidationFailed) as exc:
        people.save_detail(person, set_key, RAW[set_key], [_jpeg()])
    keys = "、".join(f.label for f in ds.fields if f.key in ds.natural_key)
    assert exc.value.errors == [f"与已有记录重复：{person.name} 已有一条{keys}相同的{ds.label}，请修改那一条，不要重复录入"]
    assert len(getattr(person, ds.relation)) == 1
    # the entry itself may be saved again (修改), and an entry differing in its key is another entry
    people.save_detail(person, set_key, RAW[set_key], [], first)
    changed = {"start_date": "2011-01", "education": "3", "level": "2"}.get(ds.natural_key[-1], "另一个")
    other = {**RAW[set_key], ds.natural_key[-1]: changed}
    people.save_detail(person, set_key, other, [_jpeg()])
    db.session.expire_all()
    assert len(getattr(db.session.get(Person, person.id), ds.relation)) == 2


def test_detail_code_fields_and_delete_in_scope(db, person):
    with pytest.raises(ValidationFailed, match="资格级别须从下拉列表中选择"):
        people.save_detail(person, "title", {"title_name": "主治医师", "level": "中级", "obtained_on": "2015-05"},
                           [_jpeg()])
    entry = people.save_detail(person, "title", {"title_name": "主治医师", "level": "3", "obtained_on": "2015-05"},
                               [_jpeg()])
    other = Scope("institution", institution_id=_inst(db, WUCHANG_CODE).id)
    with pytest.raises(DomainError):
        people.delete_detail(other, "title", entry.id)
    people.delete_detail(Scope("institution", institution_id=person.institution_id), "title", entry.id)
    db.session.expire_all()
    assert db.session.get(Person, person.id).titles == []


def test_village_clinic_staff_in_post_must_be_probation_staff(db):
    from app.models.org import Department, Institution
    from app.services import people as svc
    from app.services.seed import JIANGXIA_CODE

    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    village = Department(institution_id=inst.id, name="王家村卫生室", category="村卫生室")
    db.session.add(village)
    db.session.commit()
    raw = {"name": "王村医", "id_type": "01", "id_number": "11010519491231002X", "status": "在岗",
           "department_id": str(village.id)}
    refused = svc.check_person(inst.id, raw)
    assert [(e.field, e.message) for e in refused.errors] == [("status", (
        "所在科室“王家村卫生室”是村卫生室：村卫生室人员的在职状态须为“医师资格考试试用期考核人员”（当前为“在岗”）"))]
    with pytest.raises(ValidationFailed):
        svc.save_person(inst, raw)
    fine = svc.check_person(inst.id, {**raw, "status": "医师资格考试试用期考核人员"})
    assert fine.errors == [] and fine.warnings == []


def test_a_refused_form_leaves_no_uploaded_file(app, db, tmp_path, monkeypatch):
    """Uploads are checked with the other fields and written only when the whole form passed."""
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    inst = _inst(db, JIANGXIA_CODE)
    dept, post = _org(db, inst)
    with pytest.raises(ValidationFailed):
        people.save_person(inst, _raw(dept, post, phone="123"), photo=_jpeg())
    person, _ = people.save_person(inst, _raw(dept, post))
    with pytest.raises(ValidationFailed):
        people.save_detail(person, "qualification", {"kind": "医师资格证书", "certificate_no": "",
                                                     "obtained_on": "2001-10"}, uploads=[_jpeg()])
    assert not any((tmp_path / "uploads").rglob("*.*"))
    entry = people.save_detail(person, "qualification", {"kind": "医师资格证书", "certificate_no": "Q1",
                                                          "obtained_on": "2001-10"}, uploads=[_jpeg()])
    assert (tmp_path / "uploads" / entry.attachments[0]["path"]).is_file()


def test_a_race_on_the_id_number_ends_in_the_same_field_refusal(db, monkeypatch):
    """Two clerks save one ID number at once: the check saw no holder, the partial unique index refuses at the
    commit; the refusal names 证件号码 and nothing of the second save stays."""
    jiangxia, wuchang = _inst(db, JIANGXIA_CODE), _inst(db, WUCHANG_CODE)
    dept, post = _org(db, jiangxia)
    w_dept, w_post = _org(db, wuchang, "测试全科")
    people.save_person(wuchang, _raw(w_dept, w_post))
    monkeypatch.setattr(people.PersonLookup, "holder", lambda self, number, person=None: None)
    with pytest.raises(ValidationFailed) as exc:
        people.save_person(jiangxia, _raw(dept, post))
    assert exc.value.of("id_number") == ["该证件号码已在 武汉市武昌区示例社区卫生服务中心 在职，需原单位办理离职后方可录入"]
    assert db.session.scalar(select(Person.id).where(Person.institution_id == jiangxia.id)) is None
