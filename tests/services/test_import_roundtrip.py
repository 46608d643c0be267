"""Issue 6, "done means": the demo staff of `flask setup --demo --people 10000` exported as 基本信息, imported into a
fresh demo database (10,000 created, none failed) and exported again cell for cell the same; and a file with one
bad value of each kind: every reason names its rule, and the error workbook, corrected, imports as it is."""
import io
import json
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models.people import Person
from app.services import seed
from app.services.imports import runner
from app.services.seed import JIANGXIA_CODE
from tests.services.test_imports import IDS, basic, import_rows, institution, prepared, report_rows

STAFF = 10_000


def _staff(db, inst):
    return db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id))


def _cells(path):
    """Every cell value of the data sheet (the first one), row by row, as wide as the header."""
    wb = load_workbook(path, read_only=True)
    try:
        rows = [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]  # trailing blanks cut short
        width = len(rows[0])
        return wb.sheetnames, [r + (None,) * (width - len(r)) for r in rows]
    finally:
        wb.close()


@pytest.mark.slow
def test_demo_staff_round_trip_through_export_and_import_into_a_fresh_demo_database(app, db, _database, tmp_path):
    started = time.perf_counter()
    cli = app.test_cli_runner()
    res = cli.invoke(args=["setup", "--demo", "--people", str(STAFF)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.splitlines()[0])["people_created"] == STAFF
    first = tmp_path / "first.xlsx"
    res = cli.invoke(args=["people", "export", "--institution", JIANGXIA_CODE, "--set", "basic", "-o", str(first)])
    assert res.exit_code == 0, res.output

    # a fresh demo database: the one `setup --demo` made (the conftest template), without any 江夏 staff; the clerk
    # first sets up the departments (初始化部门) and the mapped posts, as spec 4.2.4 (1) requires before an import
    db.session.remove()
    _database.restore(db.engine)
    inst = institution(db)
    assert _staff(db, inst) == 0
    seed.seed_org(inst)
    res = cli.invoke(args=["people", "import", str(first), "--institution", JIANGXIA_CODE, "--set", "basic",
                           "--report", str(tmp_path / "errors.xlsx")])
    assert res.exit_code == 0, res.output
    figures = json.loads(res.stdout)
    assert (figures["total"], figures["created"], figures["failed"], figures["skipped"]) == (STAFF, STAFF, 0, 0)
    assert not (tmp_path / "errors.xlsx").exists()
    assert _staff(db, inst) == STAFF

    second = tmp_path / "second.xlsx"
    res = cli.invoke(args=["people", "export", "--institution", JIANGXIA_CODE, "--set", "basic", "-o", str(second)])
    assert res.exit_code == 0, res.output
    sheets_a, rows_a = _cells(first)
    sheets_b, rows_b = _cells(second)
    assert sheets_a == sheets_b == ["基本信息", "填写须知", "_meta"]
    assert len(rows_a) == len(rows_b) == STAFF + 1
    for number, (a, b) in enumerate(zip(rows_a, rows_b, strict=True), start=1):
        assert a == b, f"第 {number} 行不同：{a} ≠ {b}"
    # the seeded records are complete enough to say something: department, post, 所学专业 where 大专 and up
    headers = [h.lstrip("*") for h in rows_a[0]]
    column = {h: i for i, h in enumerate(headers)}
    assert all(r[column["所在科室"]] and r[column["岗位"]] for r in rows_a[1:])
    assert any(r[column["所学专业"]] for r in rows_a[1:])
    print(f"\nround trip of {STAFF} staff: {time.perf_counter() - started:.1f} s (import {figures['seconds']} s)")


# ---- one bad value of each kind ------------------------------------------------------------------------------------

@pytest.fixture
def inst(db):
    return prepared(db)


def _set(ws, headers, row, header, value):
    cell = ws.cell(row, headers.index(header) + 1)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def test_one_bad_value_of_each_kind_then_the_corrected_error_workbook_imports_as_is(inst, db):
    bad_check = IDS[1][:17] + ("0" if IDS[1][17] != "0" else "1")
    # (row values, words of the reason that name the rule, column that must be red, corrected value)
    cases = [
        (basic(inst, 1, id_number=bad_check), "证件号码校验位不正确", "证件号码", IDS[1]),
        (basic(inst, 2, id_number="4.20115E+17", sex=None), "被 Excel 改成了科学计数法", "证件号码", IDS[2]),
        (basic(inst, 3, department_id="内 科"), "与本机构的部门名称不完全一致，应为“内科”", "所在科室", "内科"),
        (basic(inst, 4, ethnicity="汉人"), "民族须从下拉列表中选择（当前：汉人）", "民族", "汉族"),
        (basic(inst, 5, phone="1391234567"), "手机号码须为 11 位数字", "手机号码", "13912345678"),
        (basic(inst, 6, work_start="1975-07"), "参加工作日期须在出生满 14 周岁之后（不早于 1979-01-07）",
         "参加工作日期", "1985-07"),
        (basic(inst, 7, education="大学专科和专科学校(大专)", major=None), "学历为大专及以上时，所学专业不能为空",
         "所学专业", "护理学"),
        (basic(inst, 0, name="李重复"), "与第 2 行重复（证件号码", "证件号码", IDS[8]),
        (basic(inst, 9, institution_name="武汉市江夏区另一卫生院"),
         "机构名称“武汉市江夏区另一卫生院”与登录机构“武汉市江夏区示例镇卫生院”不一致", "机构名称", inst.name),
        (basic(inst, 10, work_start="1990-02-30"), "参加工作日期不是真实的日期：1990-02-30", "参加工作日期",
         "1990-02-28"),
    ]
    good = [basic(inst, 0), basic(inst, 11)]
    result = import_rows(inst, "basic", [good[0], *(values for values, *_ in cases), good[1]])
    assert (result.total, result.created, result.failed) == (12, 2, 10)
    assert _staff(db, inst) == 2

    headers, out = report_rows(result.report)
    assert headers[0] == "错误原因"
    assert len(out) == len(cases)
    for (values, rule, column, _), (reason, cells) in zip(cases, out, strict=True):
        assert rule in reason, (rule, reason)
        assert cells[column][1], f"{column} 应标红：{reason}"
        assert cells["姓名"][0] == values["name"]  # the row as the user typed it
        red = {h for h, (_, is_red, _) in cells.items() if is_red}
        assert red == {column}, (reason, red)  # one bad value: one red cell and one reason
        assert "\n" not in reason, reason

    # correct the bad cells in the error workbook itself and upload it as is (the 错误原因 column is ignored)
    wb = load_workbook(io.BytesIO(result.report))
    ws = wb.worksheets[0]
    names = [c.value.lstrip("*") for c in ws[1]]
    assert names[0] == "错误原因"
    for row, (_, _, column, fixed) in enumerate(cases, start=2):
        _set(ws, names, row, column, fixed)  # the duplicate gets the number of another (male) person
    buf = io.BytesIO()
    wb.save(buf)
    again = runner.run_import(inst, "basic", buf.getvalue())
    assert (again.total, again.created, again.failed, again.skipped) == (10, 10, 0, 0), again.errors_preview
    assert _staff(db, inst) == 12
    db.session.expire_all()
    saved = {p.id_number: p for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))}
    assert set(saved) == {IDS[i] for i in range(12)}
    assert saved[IDS[3]].department.name == "内科" and saved[IDS[4]].ethnicity == "01"
    assert saved[IDS[7]].major == "护理学" and saved[IDS[8]].name == "李重复"
    assert str(saved[IDS[10]].work_start) == "1990-02-28"


def test_a_wrong_id_number_is_the_only_reason(inst):
    """The template says 性别 and 出生日期 may be left blank for a 居民身份证: when the number is wrong, the number is
    what to correct, not the blank cells."""
    bad_check = IDS[1][:17] + ("0" if IDS[1][17] != "0" else "1")
    result = import_rows(inst, "basic", [basic(inst, 1, id_number=bad_check, sex=None),
                                         basic(inst, 2, id_number="4.20115E+17", sex=None)])
    _, out = report_rows(result.report)
    assert [reason for reason, _ in out] == [
        "证件号码校验位不正确，请核对号码",
        "证件号码被 Excel 改成了科学计数法（如 4.2011E+17），请把该列设为文本后重新输入"]
