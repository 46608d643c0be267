"""Batch import of 基本信息 (spec 4.2.2, 4.2.4): templates, template checks, every rule in the error workbook,
partial success, re-runs, update on/off, export round trip. Helpers here are shared by tests/services/test_import_*.py.
"""
import datetime
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models.audit import AuditLog
from app.models.org import Institution
from app.models.people import Person
from app.services import departments, people, posts
from app.services.imports import columns, export, runner, template
from app.services.imports.runner import ImportRefused
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, WUCHANG_PERSON, synthetic_id

# male citizens born 1965-01-01 + i days (sequence 001: the 17th digit is odd)
IDS = [synthetic_id(14000 + i) for i in range(60)]
RED = "00FFC7CE"


# ---- helpers (imported by the other test_import_* modules) ---------------------------------------------------------

def institution(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def setup_org(inst, names=("内科", "外科"), post_name="临床医师"):
    """Departments and one post mapped to a standard post: what an import needs (spec 4.2.4 (1))."""
    depts = [departments.create(inst.id, name=n, category="科室(部门)", standard_code="A03") for n in names]
    post = posts.create(inst.id, name=post_name, category="专业技术岗")
    posts.set_mapping(inst.id, post.id, posts.standard_posts_for_institution(inst.id)[0].id)
    return depts, post


def digits_as_chinese(i) -> str:
    """12 → 一二 (also "012" → 零一二): names may not contain digits."""
    return "".join("零一二三四五六七八九"[int(d)] for d in str(i))


def basic(inst, i=0, **kw):
    """A valid 基本信息 row as a {column key: cell} dict."""
    values = {"institution_name": inst.name, "staff_no": f"G{i:04d}", "name": f"张{'一二三四五六七八九十'[i % 10]}{digits_as_chinese(i)}",
              "id_type": "居民身份证", "id_number": IDS[i], "sex": "男性", "ethnicity": "汉族", "phone": "13912345678",
              "work_start": "1990-07", "department_id": "内科", "post_id": "临床医师", "status": "在岗",
              "education": "大学本科", "major": "临床医学"}
    values.update(kw)
    return values


def row_cells(set_key, values: dict) -> list:
    return [values.get(c.key) for c in columns.columns(set_key)]


def fill(template_bytes: bytes, set_key: str, records, start_row=2) -> bytes:
    """The template with the records typed into its data sheet (None leaves a row blank)."""
    wb = load_workbook(io.BytesIO(template_bytes))
    ws = wb.worksheets[0]
    for offset, values in enumerate(records):
        if values is None:
            continue
        for j, value in enumerate(row_cells(set_key, values) if isinstance(values, dict) else values, start=1):
            if value is not None:
                cell = ws.cell(row=start_row + offset, column=j, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # as typed: never a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_rows(inst, set_key, records, **kw):
    return runner.run_import(inst, set_key, fill(template.build_template(inst, set_key), set_key, records), **kw)


def report_rows(report: bytes):
    """The error workbook's data rows as [(reason, {header: (value, red?, note)})]."""
    ws = load_workbook(io.BytesIO(report)).worksheets[0]
    headers = [c.value for c in ws[1]]
    out = []
    for r in ws.iter_rows(min_row=2):
        cells = {}
        for h, c in zip(headers[1:], r[1:], strict=False):
            red = c.fill is not None and c.fill.fill_type == "solid" and c.fill.fgColor.rgb == RED
            cells[h.lstrip("*")] = (c.value, red, c.comment.text if c.comment else None)
        out.append((r[0].value, cells))
    return headers, out


def prepared(db):
    """The 江夏 centre with 内科, 外科 and a mapped post."""
    inst = institution(db)
    setup_org(inst)
    return inst


@pytest.fixture
def inst(db):
    return prepared(db)


# ---- templates -----------------------------------------------------------------------------------------------------

def test_template_has_headers_guide_hidden_sheet_dropdowns_and_text_columns(inst):
    wb = load_workbook(io.BytesIO(template.build_template(inst, "basic")))
    assert wb.sheetnames == ["基本信息", "填写须知", "_meta"]
    data, guide, meta = wb.worksheets
    assert meta.sheet_state == "hidden" and data.sheet_state == "visible"
    headers = [c.value for c in data[1]]
    assert headers[:5] == ["*机构名称", "工号", "*姓名", "*证件类型", "*证件号码"]
    assert "*所在科室" in headers and "*在职状态" in headers and "出生日期" in headers
    assert data.max_row == 1  # no data rows

    info = {meta.cell(r, 1).value: meta.cell(r, 2).value for r in range(1, 7)}
    assert info["institution_code"] == JIANGXIA_CODE and info["set"] == "basic"
    assert info["version"] == columns.Catalogue(inst, "basic").version()
    lists = {meta.cell(1, c).value: [meta.cell(r, c).value for r in range(2, meta.max_row + 1)
                                     if meta.cell(r, c).value] for c in range(4, meta.max_column + 1)}
    assert lists["sex"][:3] == ["未知的性别", "男性", "女性"]
    assert lists["departments"] == ["内科", "外科"] and lists["posts"] == ["临床医师"]
    assert "德昂族" in lists["ethnicity"] and lists["institution"] == [inst.name]

    # dropdowns point at those lists
    letter = {h.lstrip("*"): data.cell(1, i).column_letter for i, h in enumerate(headers, 1)}
    by_range = {str(dv.sqref).split(":")[0]: dv for dv in data.data_validations.dataValidation}
    sex_dv = by_range[f"{letter['性别']}2"]
    assert sex_dv.type == "list" and sex_dv.formula1.startswith("'_meta'!$")
    col = sex_dv.formula1.split("$")[1]
    assert [meta[f"{col}{r}"].value for r in range(2, 4)] == ["未知的性别", "男性"]
    assert f"{letter['所在科室']}2" in by_range and f"{letter['岗位']}2" in by_range
    # ID, phone and staff number typed later stay text; date columns carry a note on the accepted forms
    for name in ("证件号码", "手机号码", "工号"):
        assert data.column_dimensions[letter[name]].number_format == "@"
    assert data.column_dimensions[letter["姓名"]].number_format == "General"
    assert "2020-09" in data[f"{letter['参加工作日期']}1"].comment.text
    guide_text = "\n".join(str(c.value) for c in guide["A"] if c.value)
    assert "至今" in guide_text and "错误原因" in guide_text and "4.2E+17" in guide_text


def test_detail_template_columns(inst):
    wb = load_workbook(io.BytesIO(template.build_template(inst, "work")))
    data = wb.worksheets[0]
    assert wb.sheetnames[0] == "工作经历"
    assert [c.value for c in data[1]] == ["*机构名称", "*姓名", "*证件号码", "所在部门", "*起始日期", "截止日期",
                                         "*工作单位", "职务/岗位"]
    assert "至今" in data["F1"].comment.text
    assert data.column_dimensions["C"].number_format == "@"
    wb = load_workbook(io.BytesIO(template.build_template(inst, "practice")))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert "*执业证书编号" in headers
    assert wb.worksheets[0].column_dimensions["E"].number_format == "@"  # certificate number as text


def test_outdated_template_is_refused_with_what_changed(inst):
    old = fill(template.build_template(inst, "basic"), "basic", [basic(inst)])
    departments.create(inst.id, name="儿科", category="科室(部门)", standard_code="A03")
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "basic", old)
    assert exc.value.message.startswith("模板已更新，请重新下载")
    assert "“所在科室”的下拉选项有变化（新增 “儿科”）" in exc.value.message
    assert db_count(Person, inst) == 0


def test_foreign_and_wrong_set_templates_are_refused(inst, db):
    wuchang = institution(db, WUCHANG_CODE)
    setup_org(wuchang)
    foreign = fill(template.build_template(wuchang, "basic"), "basic", [basic(wuchang)])
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "basic", foreign)
    assert exc.value.message == f"此模板属于 {wuchang.name}，请使用本机构账号下载的模板"
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "work", template.build_template(inst, "basic"))
    assert "此文件是“基本信息”的导入模板，不能导入“工作经历”" in exc.value.message


def test_changed_header_and_foreign_workbook_are_refused(inst):
    wb = load_workbook(io.BytesIO(template.build_template(inst, "basic")))
    wb.worksheets[0]["B1"] = "员工编号"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "basic", buf.getvalue())
    assert "缺少列 “工号”" in exc.value.message and "有模板以外的列 “员工编号”" in exc.value.message
    from openpyxl import Workbook

    plain = Workbook()
    plain.active.append(["姓名", "证件号码"])
    buf = io.BytesIO()
    plain.save(buf)
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "basic", buf.getvalue())
    assert "不是从本系统下载的导入模板" in exc.value.message


def test_import_refused_without_a_mapped_post(db):
    inst = institution(db)
    departments.create(inst.id, name="内科", category="科室(部门)", standard_code="A03")
    posts.create(inst.id, name="临床医师", category="专业技术岗")  # not mapped
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "basic", template.build_template(inst, "basic"))
    assert exc.value.message == posts.MISSING_MAPPED_POST


def db_count(model, inst):
    from app.extensions import db

    return db.session.scalar(select(func.count(model.id)).where(model.institution_id == inst.id))


# ---- rows ----------------------------------------------------------------------------------------------------------

def test_valid_rows_are_created_with_codes_ids_and_derived_values(inst, db):
    progress = []
    result = import_rows(inst, "basic", [basic(inst, 0), basic(inst, 1, sex=None, work_start=datetime.date(1991, 3, 4),
                                                               birth_date=None, department_id="外科")],
                         progress=lambda done, total: progress.append((done, total)), user="inst_staff")
    assert (result.total, result.created, result.failed, result.report) == (2, 2, 0, None)
    assert progress[0] == (0, 2) and progress[-1] == (2, 2)
    db.session.expire_all()
    people_ = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))}
    first, second = people_[IDS[0]], people_[IDS[1]]
    assert (first.name, first.id_type, first.sex, first.ethnicity, first.education) == ("张一零", "01", "1", "01", "2")
    assert first.birth_date == datetime.date(1965, 1, 1) and first.work_start == datetime.date(1990, 7, 1)
    assert first.department.name == "内科" and first.post.name == "临床医师" and first.status == "在岗"
    assert first.staff_no == "G0000" and first.phone == "13912345678"
    assert second.sex == "1" and second.birth_date == datetime.date(1965, 1, 2)  # from the ID number
    assert second.work_start == datetime.date(1991, 3, 4)  # a real Excel date cell
    assert second.department.name == "外科"
    # every create is in the audit log, attributed to the importing user
    logs = list(db.session.scalars(select(AuditLog).where(AuditLog.entity == "person", AuditLog.action == "create")))
    mine = [entry for entry in logs if entry.entity_id in {str(first.id), str(second.id)}]
    assert len(mine) == 2 and {entry.username for entry in mine} == {"inst_staff"}
    assert next(e for e in mine if e.entity_id == str(first.id)).changes["id_number"] == [None, IDS[0]]


def test_rows_inserted_in_several_statements_get_their_own_ids_and_audit_rows(inst, db, monkeypatch):
    # SQLite: a batch is split into multi-row INSERTs of at most SQLITE_VARIABLES parameters; 3 rows per statement
    # here, so the ids come back from several statements and are matched to rows by the natural key
    monkeypatch.setattr(runner, "SQLITE_VARIABLES", 3 * len(columns.columns("basic")) + 10)
    records = [basic(inst, i, work_start=f"{1990 + i}-0{1 + i % 9}") for i in range(8)]
    result = import_rows(inst, "basic", records, batch_size=5)
    assert (result.created, result.failed) == (8, 0)
    db.session.expire_all()
    people_ = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))}
    logs = {e.entity_id: e for e in db.session.scalars(select(AuditLog).where(AuditLog.entity == "person",
                                                                                AuditLog.action == "create"))}
    for i in range(8):
        person = people_[IDS[i]]
        assert person.work_start == datetime.date(1990 + i, 1 + i % 9, 1)
        assert person.created_at.date() == datetime.date.today() and person.updated_at == person.created_at
        entry = logs[str(person.id)]
        assert entry.changes["id_number"] == [None, IDS[i]] and entry.changes["id"] == [None, person.id]
        assert entry.changes["work_start"] == [None, f"{1990 + i}-0{1 + i % 9}-01"]
        assert entry.institution_id == inst.id and entry.at is not None


def test_every_rule_is_reported_in_the_error_workbook_and_good_rows_are_saved(inst, db):
    holder = WUCHANG_PERSON["id_number"]
    bad_check = IDS[3][:17] + ("0" if IDS[3][17] != "0" else "1")
    records = [
        basic(inst, 0),  # good
        basic(inst, 1, id_number=bad_check, phone="1391234567", ethnicity="汉 族"),  # three errors in one row
        basic(inst, 2, department_id="内 科"),  # near miss: the right name is suggested
        basic(inst, 4, institution_name="别的卫生院", status="在职", work_start="1990/13"),
        basic(inst, 5, id_number=holder, name="陈武昌", sex=None),  # active in another institution
        basic(inst, 6, education="大学本科", major=None, post_id="护士"),
        basic(inst, 7),  # good
        basic(inst, 8, id_number="4.20115E+17", sex=None),  # Excel turned the number into 4.2E+17
    ]
    result = import_rows(inst, "basic", records)
    assert (result.total, result.created, result.failed) == (8, 2, 6)
    assert {p.id_number for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))} == \
        {IDS[0], IDS[7]}
    assert result.errors_preview[0].startswith("第 3 行：")

    headers, out = report_rows(result.report)
    assert headers[0] == "错误原因" and headers[1:] == [c.header for c in columns.columns("basic")]
    assert len(out) == 6
    reason, cells = out[0]
    assert "证件号码校验位不正确" in reason and "手机号码须为 11 位数字" in reason
    assert "民族须从下拉列表中选择（当前：汉 族），是否应为“汉族”？" in reason
    assert cells["证件号码"][0] == bad_check and cells["证件号码"][1] and "校验位" in cells["证件号码"][2]
    assert cells["手机号码"][1] and cells["民族"][1]
    assert not cells["姓名"][1] and cells["姓名"][2] is None  # only the offending cells are red
    _, cells = out[1]
    assert cells["所在科室"][1] and "应为“内科”" in cells["所在科室"][2]
    reason, cells = out[2]
    assert "机构名称“别的卫生院”与登录机构“武汉市江夏区示例镇卫生院”不一致" in reason
    assert "在职状态须从下拉列表中选择（当前：在职）" in reason and "参加工作日期" in reason
    assert cells["机构名称"][1] and cells["在职状态"][1] and cells["参加工作日期"][1]
    assert cells["参加工作日期"][0] == "1990/13"  # as the user typed it
    reason, cells = out[3]
    assert people.holder_message(db.session.scalar(select(Person).where(Person.id_number == holder))) in reason
    reason, cells = out[4]
    assert "学历为大专及以上时，所学专业不能为空" in reason and cells["所学专业"][1]
    assert "岗位“护士”不是本机构的岗位" in reason and cells["岗位"][1]
    reason, cells = out[5]
    assert "科学计数法" in reason and cells["证件号码"][1]


def test_blank_rows_are_ignored(inst):
    records = [basic(inst, 0), None, {"institution_name": inst.name}, {"name": "   "}, basic(inst, 1), None]
    result = import_rows(inst, "basic", records)
    assert (result.total, result.created, result.failed) == (2, 2, 0)


def test_all_blank_file_is_refused(inst):
    with pytest.raises(ImportRefused) as exc:
        import_rows(inst, "basic", [{"institution_name": inst.name}])
    assert "没有需要导入的数据" in exc.value.message


def test_error_workbook_is_fixed_and_uploaded_as_is(inst, db):
    first = import_rows(inst, "basic", [basic(inst, 0), basic(inst, 1, phone="12345"), basic(inst, 2, sex="男人")])
    assert (first.created, first.failed) == (1, 2)
    wb = load_workbook(io.BytesIO(first.report))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    ws.cell(2, headers.index("手机号码") + 1).value = "13800000000"
    ws.cell(3, headers.index("性别") + 1).value = "男性"
    buf = io.BytesIO()
    wb.save(buf)
    second = runner.run_import(inst, "basic", buf.getvalue())
    assert (second.total, second.created, second.failed) == (2, 2, 0)
    assert db_count(Person, inst) == 3


def test_rerun_creates_no_duplicates_and_update_decides(inst, db):
    data = fill(template.build_template(inst, "basic"), "basic", [basic(inst, i) for i in range(3)])
    assert runner.run_import(inst, "basic", data).created == 3
    again = runner.run_import(inst, "basic", data)
    assert (again.created, again.skipped, again.updated, again.failed) == (0, 3, 0, 0)
    assert "第 2 行：已存在（未勾选更新已存在数据）" in again.warnings_preview
    assert runner.run_import(inst, "basic", data, update_existing=True).unchanged == 3
    changed = fill(template.build_template(inst, "basic"), "basic",
                   [basic(inst, 0, phone="13700000000"), basic(inst, 1), basic(inst, 2, staff_no=None)])
    not_updated = runner.run_import(inst, "basic", changed)
    assert not_updated.skipped == 3
    db.session.expire_all()
    assert db.session.scalar(select(Person.phone).where(Person.id_number == IDS[0])) == "13912345678"
    updated = runner.run_import(inst, "basic", changed, update_existing=True)
    assert (updated.updated, updated.unchanged, updated.created) == (2, 1, 0)
    db.session.expire_all()
    assert db.session.scalar(select(Person.phone).where(Person.id_number == IDS[0])) == "13700000000"
    assert db.session.scalar(select(Person.staff_no).where(Person.id_number == IDS[2])) is None  # replaced
    assert db_count(Person, inst) == 3
    first_id = db.session.scalar(select(Person.id).where(Person.id_number == IDS[0]))
    update_log = db.session.scalar(select(AuditLog).where(AuditLog.entity == "person", AuditLog.action == "update",
                                                          AuditLog.entity_id == str(first_id)))
    assert update_log.changes == {"phone": ["13912345678", "13700000000"]}


def test_same_id_twice_in_a_file_and_name_mismatch_fail(inst):
    import_rows(inst, "basic", [basic(inst, 0)])
    result = import_rows(inst, "basic", [basic(inst, 1), basic(inst, 1, name="李重复"),
                                         basic(inst, 0, name="王改名")], update_existing=True)
    assert (result.created, result.failed) == (1, 2)
    assert "与第 2 行重复（证件号码" in result.errors_preview[0]
    assert "在本机构登记的姓名为“张一零”，与填写的“王改名”不一致" in result.errors_preview[1]


def test_aliases_are_accepted_with_a_warning(inst, db):
    result = import_rows(inst, "basic", [basic(inst, 0, sex="男", ethnicity="崩龙族"), basic(inst, 1, ethnicity="毛难族")])
    assert (result.created, result.warnings) == (2, 3)
    assert "第 2 行：性别“男”已按“男性”导入" in result.warnings_preview
    assert "第 2 行：民族“崩龙族”是旧名称，已按“德昂族”导入" in result.warnings_preview
    db.session.expire_all()
    person = db.session.scalar(select(Person).where(Person.id_number == IDS[0]))
    assert (person.sex, person.ethnicity) == ("1", "46")
    # 女 is ambiguous with nothing, but a short name never hides a real mistake: 男人 is refused
    assert import_rows(inst, "basic", [basic(inst, 2, sex="男人")]).failed == 1


def test_the_report_lists_the_warnings_in_a_notes_sheet_and_still_uploads(inst, db):
    records = [basic(inst, 0, sex="男"), basic(inst, 1, phone="139"), basic(inst, 2, ethnicity="崩龙族")]
    result = import_rows(inst, "basic", records)
    assert (result.created, result.failed, result.warnings) == (2, 1, 2)
    wb = load_workbook(io.BytesIO(result.report))
    assert wb.sheetnames == ["基本信息", "提醒", "填写须知", "_meta"]
    notes = [tuple(c.value for c in r) for r in wb["提醒"].iter_rows()]
    assert notes == [("行号", "姓名", "提醒内容"), (2, records[0]["name"], "性别“男”已按“男性”导入"),
                     (4, records[2]["name"], "民族“崩龙族”是旧名称，已按“德昂族”导入")]
    # the corrected report is uploaded as it is: the 提醒 sheet is not read
    wb.worksheets[0].cell(row=2, column=1 + [c.key for c in columns.columns("basic")].index("phone") + 1,
                          value="13912345678")
    buf = io.BytesIO()
    wb.save(buf)
    again = runner.run_import(inst, "basic", buf.getvalue())
    assert (again.created, again.failed) == (1, 0)


def test_template_notes_name_no_internal_references(inst):
    """What a clerk reads in a template (header notes, 填写须知) cites no spec section or other internal name."""
    for set_key in columns.SETS:
        wb = load_workbook(io.BytesIO(template.build_template(inst, set_key)))
        data, guide = wb.worksheets[0], wb["填写须知"]
        texts = [c.comment.text for c in data[1] if c.comment] + [str(c.value) for r in guide.iter_rows() for c in r
                                                                  if c.value]
        leaks = [t for t in texts if "spec" in t.lower() or "issue" in t.lower() or "4.2." in t]
        assert leaks == [], (set_key, leaks)


def test_export_then_import_round_trip_is_identical(inst, db):
    import_rows(inst, "basic", [basic(inst, i) for i in range(4)] +
                [basic(inst, 4, political="中国共产党党员", degree="学士", tech_title="中级", staff_category="执业医师",
                           establishment="编制内", practice_category="临床", practice_scope="内科专业",
                           admin_post="科室主任", tech_post="中级", status="借调", birth_date="1965-01-05")])
    columns = [c for c in Person.__table__.columns if c.name not in ("updated_at",)]

    def snapshot():
        db.session.expire_all()
        return sorted(tuple(r) for r in db.session.execute(select(*columns).where(Person.institution_id == inst.id)))

    before = snapshot()
    data = export.export_set(inst, "basic")
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert ws.max_row == 6 and ws["A2"].value == inst.name
    assert ws["E2"].number_format == "@" and ws["E2"].value == IDS[0]
    result = runner.run_import(inst, "basic", data, update_existing=True)
    assert (result.total, result.unchanged, result.failed, result.created, result.updated) == (5, 5, 0, 0, 0)
    assert snapshot() == before


def test_the_prefetched_lookup_answers_as_the_querying_one(inst, db):
    """One check_person for the form and the import: the import's lookup (maps read once per batch) answers what the
    form's (a query each) answers — the same departments, posts and holders, so the same errors and warnings."""
    from app.models.org import Department, Post
    from app.services.imports.checks import PrefetchedLookup, prefetch_people
    from app.services.imports.columns import Ref

    wuchang = institution(db, WUCHANG_CODE)
    foreign, _ = setup_org(wuchang, names=("外院科室",), post_name="外院岗位")
    village = departments.create(inst.id, name="东湖村卫生室", category="村卫生室")
    off = departments.create(inst.id, name="停用科", category="科室(部门)", standard_code="A03")
    person, _ = people.save_person(inst, {**{k: "" for k in people.BASIC_FIELDS}, "name": "已有", "id_type": "01",
                                          "id_number": IDS[20], "status": "在岗", "department_id": str(off.id)})
    departments.set_active(inst.id, off.id, False)
    dept = db.session.scalar(select(Department).where(Department.institution_id == inst.id, Department.name == "内科"))
    post = db.session.scalar(select(Post).where(Post.institution_id == inst.id))
    base = {k: "" for k in people.BASIC_FIELDS}
    base.update(name="张三", id_type="01", id_number=IDS[10], status="在岗", department_id=str(dept.id),
                post_id=str(post.id), phone="13912345678", education="2", major="临床医学")
    cases = [
        ({}, None),
        ({"department_id": str(foreign[0].id), "post_id": "999999"}, None),
        ({"department_id": str(off.id)}, None),  # disabled, new person
        ({"department_id": str(off.id), "id_number": IDS[20], "name": "已有"}, person),  # disabled, already there
        ({"department_id": str(village.id)}, None),  # village clinic warning
        ({"id_number": WUCHANG_PERSON["id_number"], "sex": ""}, None),  # active elsewhere
        ({"id_number": IDS[20]}, person),  # itself
        ({"phone": "15412345678", "sex": "2", "work_start": "2999-01"}, None),
    ]
    rules = people.lookups()
    refs = {"department_id": {d.id: Ref(d.id, d.name, d.active, d.institution_id, d.category)
                              for d in db.session.scalars(select(Department))},
            "post_id": {p.id: Ref(p.id, p.name, p.active, p.institution_id, p.category)
                        for p in db.session.scalars(select(Post))}}
    seen = []
    for change, existing in cases:
        raw = {**base, **change}
        queried = people.PersonLookup()
        prefetched = PrefetchedLookup(refs, prefetch_people({raw["id_number"]}, inst.id)[1])
        for key, ask in (("department_id", "department"), ("post_id", "post")):
            if raw[key].isdigit():
                one, other = getattr(queried, ask)(int(raw[key])), getattr(prefetched, ask)(int(raw[key]))
                assert (one is None) == (other is None), change
                if one is not None:
                    assert (one.id, one.name, bool(one.active), one.institution_id, one.category) == tuple(other)
        holder, prefetched_holder = queried.holder(raw["id_number"], existing), prefetched.holder(raw["id_number"], existing)
        assert getattr(holder, "id", None) == getattr(prefetched_holder, "id", None), change
        expected = people.check_person(inst.id, dict(raw), existing, rules, queried)
        got = people.check_person(inst.id, dict(raw), existing, rules, prefetched)
        assert [(e.field, e.message) for e in got.errors] == [(e.field, e.message) for e in expected.errors], change
        assert [(w.field, w.message) for w in got.warnings] == [(w.field, w.message) for w in expected.warnings]
        assert got.values == expected.values
        seen += [e.message for e in got.errors + got.warnings]
    # the cases do exercise the database rules
    assert "所在科室须从本机构的所在科室中选择" in seen and "岗位须从本机构的岗位中选择" in seen
    assert "所在科室“停用科”已停用，请选择其他所在科室" in seen
    assert any("村卫生室" in m for m in seen) and any("需原单位办理离职" in m for m in seen)
    assert seen.count("所在科室“停用科”已停用，请选择其他所在科室") == 1  # not for the person already in it


def test_report_is_a_well_formed_package_with_a_note_shape_per_note(inst):
    from lxml import etree

    result = import_rows(inst, "basic", [basic(inst, 0, phone="1"), basic(inst, 1, sex="x", ethnicity="y")])
    with zipfile.ZipFile(io.BytesIO(result.report)) as z:
        assert z.testzip() is None
        parts = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith((".xml", ".vml", ".rels"))}
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    notes = parts["xl/comments/comment1.xml"]
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    refs = [c.get("ref") for c in notes.findall(".//m:comment", ns)]
    headers = len(columns.columns("basic")) + 1
    assert len(refs) == headers + 3 and refs[headers:] == ["K2", "G3", "I3"]
    shapes = parts["xl/drawings/commentsDrawing1.vml"].findall("{urn:schemas-microsoft-com:vml}shape")
    assert len(shapes) == len(refs) and len({s.get("id") for s in shapes}) == len(shapes)
    assert "xl/sharedStrings.xml" in parts and "<f>" not in sheet
    # LibreOffice and WPS do not grow a row for wrapped text: the rows are as tall as their 错误原因 lines
    ws = load_workbook(io.BytesIO(result.report)).worksheets[0]
    assert ws.column_dimensions["A"].width == template.REASON_WIDTH
    one, two = ws.row_dimensions[2], ws.row_dimensions[3]
    assert one.customHeight and two.customHeight and two.height >= 2 * template.LINE_POINTS > one.height
    assert template._reason_height("很长的原因" * 40) >= 9 * template.LINE_POINTS  # 400 widths over 48 a line


def test_near_miss_department_names_are_suggested(inst, db):
    departments.create(inst.id, name="内科Ⅱ病区", category="科室(部门)", standard_code="A03")
    departments.create(inst.id, name="（老年）病房", category="科室(部门)", standard_code="A03")
    result = import_rows(inst, "basic", [basic(inst, 0, department_id="内科II病区"),
                                         basic(inst, 1, department_id="(老年)病房 "),
                                         basic(inst, 2, department_id="内科Ⅱ病区"),
                                         basic(inst, 3, department_id="急诊科")])
    assert (result.created, result.failed) == (1, 3)
    assert "所在科室“内科II病区”与本机构的部门名称不完全一致，应为“内科Ⅱ病区”" in result.errors_preview[0]
    assert "应为“（老年）病房”" in result.errors_preview[1]
    assert "所在科室“急诊科”不是本机构的部门" in result.errors_preview[2]


def test_batches_mixing_creates_updates_and_failures_are_counted_in_order(inst, db):
    """Several batches, some with updates (through the ORM) beside created rows (Core inserts): counts, progress
    after each committed batch and the error preview follow the file order."""
    first = import_rows(inst, "basic", [basic(inst, 2), basic(inst, 5)])
    assert first.created == 2
    progress = []
    records = [basic(inst, i, phone="13800000000" if i in (2, 5) else "13912345678") for i in range(7)]
    records[3] = basic(inst, 3, phone="12")  # fails
    result = import_rows(inst, "basic", records, update_existing=True, batch_size=2,
                         progress=lambda done, total: progress.append(done))
    assert (result.total, result.created, result.updated, result.failed) == (7, 4, 2, 1)
    assert result.errors_preview == [result.errors_preview[0]] and result.errors_preview[0].startswith("第 5 行")
    assert progress == [0, 2, 4, 6, 7]
    db.session.expire_all()
    people_ = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))}
    assert set(people_) == {IDS[i] for i in (0, 1, 2, 4, 5, 6)}
    assert people_[IDS[2]].phone == "13800000000" and people_[IDS[0]].phone == "13912345678"


def test_a_conflict_at_commit_fails_only_that_row(inst, db, monkeypatch):
    """Someone saved the same ID number between the check and the write: the batch is retried row by row."""
    from app.services.imports import checks as checks_module

    other = institution(db, WUCHANG_CODE)
    db.session.add(Person(institution_id=other.id, name="抢先", id_type="01", id_number=IDS[1], status="在岗"))
    db.session.commit()
    monkeypatch.setattr(checks_module, "prefetch_people", lambda numbers, institution_id: ({}, {}))
    result = import_rows(inst, "basic", [basic(inst, 0), basic(inst, 1), basic(inst, 2)])
    assert (result.created, result.failed) == (2, 1)
    assert "保存失败" in result.errors_preview[0] and result.errors_preview[0].startswith("第 3 行")
    assert {p.id_number for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))} == \
        {IDS[0], IDS[2]}


# ---- the writer thread and the audit rows it writes ------------------------------------------------------------------

def test_audit_rows_of_created_rows_are_what_the_session_listener_records(inst, db):
    """The import's audit rows are built by the database; they must equal what `audit._field_changes` records for
    a create of the same stored row (every non-empty column, dates and datetimes in ISO form)."""
    from app.services import audit
    from app.services.people import DETAIL_SETS

    result = import_rows(inst, "basic", [basic(inst, 0), basic(inst, 1, staff_no=None, phone=None, major='A"\\b')])
    assert result.created == 2, result.errors_preview
    db.session.expire_all()
    created = list(db.session.scalars(select(Person).where(Person.institution_id == inst.id)))
    for person in created:
        entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "person", AuditLog.action == "create",
                                                         AuditLog.entity_id == str(person.id)))
        assert entry.changes == audit._field_changes(person, "create")
        assert entry.institution_id == inst.id and entry.username is None
    odd = next(p for p in created if p.id_number == IDS[1])
    assert "staff_no" not in audit._field_changes(odd, "create") and odd.major == 'A"\\b'

    record = {"institution_name": inst.name, "name": "张一零", "id_number": IDS[0], "department": "内科",
              "start_date": "2001-09", "end_date": "至今", "employer": "示例医院", "position": "医师"}
    assert import_rows(inst, "work", [record]).created == 1
    entry_model = DETAIL_SETS["work"].model
    item = db.session.scalar(select(entry_model))
    log = db.session.scalar(select(AuditLog).where(AuditLog.entity == entry_model.__tablename__,
                                                   AuditLog.entity_id == str(item.id)))
    assert log.changes == audit._field_changes(item, "create") and "end_date" not in log.changes


def test_a_conflict_at_commit_of_an_update_fails_only_that_row(inst, db, monkeypatch):
    """A new record and an update in one batch; the new one's number is taken by someone else's active record
    (saved after the check): only that row fails, the update is saved."""
    from app.services.imports import checks as checks_module

    assert import_rows(inst, "basic", [basic(inst, 1)]).created == 1
    other = institution(db, WUCHANG_CODE)
    db.session.add(Person(institution_id=other.id, name="抢先", id_type="01", id_number=IDS[0], status="在岗"))
    db.session.commit()
    real = checks_module.prefetch_people
    monkeypatch.setattr(checks_module, "prefetch_people", lambda numbers, institution_id: (
        real(numbers, institution_id)[0], {}))  # the check does not see the other holder
    result = import_rows(inst, "basic", [basic(inst, 0, status="在岗"), basic(inst, 1, phone="13700000000")],
                         update_existing=True)
    assert (result.updated, result.failed) == (1, 1)
    assert result.errors_preview[0].startswith("第 2 行") and "保存失败" in result.errors_preview[0]
    db.session.expire_all()
    mine = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))}
    assert IDS[0] not in mine and mine[IDS[1]].phone == "13700000000"


def test_a_number_repeated_in_a_later_batch_is_a_duplicate(inst, db):
    """The next batch is checked while the previous one is being written: a repeated number is still refused."""
    records = [basic(inst, i) for i in range(3)] + [basic(inst, 1)]
    result = import_rows(inst, "basic", records, batch_size=2)
    assert (result.created, result.failed) == (3, 1)
    assert result.errors_preview == ["第 5 行：与第 3 行重复（证件号码 " + IDS[1] + "），同一文件中只能出现一次"]
    assert db.session.scalar(select(func.count()).select_from(Person).where(Person.id_number == IDS[1])) == 1


def test_the_writer_uses_a_thread_except_for_an_in_memory_database(tmp_path):
    from sqlalchemy import create_engine

    assert runner._Writer(create_engine("sqlite://"))._pool is None
    with runner._Writer(create_engine(f"sqlite:///{tmp_path / 'x.db'}")) as writer:
        assert writer._pool is not None


def test_import_applies_the_village_name_and_old_id_rules(inst, db):
    """The import checks 基本信息 with the form's rules: a 村卫生室 person in post must be 试用期考核人员 (refused, not
    warned), a name with digits is refused, a 15-digit number gives sex and birth date."""
    departments.create(inst.id, name="东湖村卫生室", category="村卫生室")
    result = import_rows(inst, "basic", [
        basic(inst, 0, department_id="东湖村卫生室"),  # 在岗 in a village clinic
        basic(inst, 1, department_id="东湖村卫生室", status="医师资格考试试用期考核人员"),
        basic(inst, 2, name="张3"),
        basic(inst, 3, id_type="居民身份证(15位旧号)", id_number="420115491231002", sex=None),
    ])
    assert (result.created, result.failed, result.warnings) == (2, 2, 0)
    assert result.errors_preview == [
        "第 2 行：所在科室“东湖村卫生室”是村卫生室：村卫生室人员的在职状态须为“医师资格考试试用期考核人员”（当前为“在岗”）",
        "第 4 行：姓名不能包含数字（当前：张3）"]
    db.session.expire_all()
    old = db.session.scalar(select(Person).where(Person.id_number == "420115491231002"))
    assert (old.id_type, old.sex, old.birth_date) == ("01-15", "2", datetime.date(1949, 12, 31))
    assert db.session.scalar(select(Person.status).where(Person.id_number == IDS[1])) == "医师资格考试试用期考核人员"
