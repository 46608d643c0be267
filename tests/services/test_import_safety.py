"""The import's safety (issue: Safety): size, zip-bomb and row limits, corrupt or non-xlsx files refused with a
Chinese message, formulas never evaluated, and nothing a user typed becomes a formula in an exported or error
workbook."""
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models.people import Person
from app.services import departments
from app.services.imports import export, runner, template
from app.services.imports.runner import ImportRefused
from tests.services.test_imports import basic, fill, import_rows, prepared


@pytest.fixture
def inst(db):
    return prepared(db)


def _refusal(inst, source):
    with pytest.raises(ImportRefused) as exc:
        runner.run_import(inst, "basic", source)
    return exc.value.message


def test_corrupt_and_non_xlsx_files_get_a_clear_message(inst, tmp_path):
    assert "不是 Excel 工作簿（.xlsx）" in _refusal(inst, "name,id\n张三,1\n".encode())
    assert "旧版 Excel（.xls）" in _refusal(inst, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert "空的" in _refusal(inst, b"")
    good = fill(template.build_template(inst, "basic"), "basic", [basic(inst)])
    assert "文件已损坏" in _refusal(inst, good[: len(good) // 2])
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "不是 Excel 工作簿" in _refusal(inst, docx.getvalue())
    # a damaged sheet inside a valid zip
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[:200] if item.filename == "xl/worksheets/sheet1.xml" else data)
    assert "损坏" in _refusal(inst, broken.getvalue())
    missing = tmp_path / "missing.xlsx"
    assert "找不到文件" in _refusal(inst, str(missing))
    # paths and file-like objects are read like bytes
    path = tmp_path / "ok.xlsx"
    path.write_bytes(good)
    assert runner.run_import(inst, "basic", str(path)).created == 1
    assert runner.run_import(inst, "basic", io.BytesIO(good)).skipped == 1


def test_size_uncompressed_and_row_limits(inst, app, monkeypatch):
    data = fill(template.build_template(inst, "basic"), "basic", [basic(inst, i) for i in range(4)])
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    assert "文件有 4 行数据，超过单次导入的上限 3 行" in _refusal(inst, data)
    # rows with nothing but 机构名称 do not count towards the limit
    padded = fill(template.build_template(inst, "basic"), "basic",
                  [basic(inst, 0), {"institution_name": inst.name}, basic(inst, 1), {"institution_name": inst.name},
                   basic(inst, 2)])
    assert runner.run_import(inst, "basic", padded).created == 3
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 4)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 5 * 1024)
    assert "超过上限 5 KB，请分成几个文件分别导入" in _refusal(inst, data)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 20 * 1024 * 1024)
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNCOMPRESSED", 50 * 1024)
    assert "解压后的内容有" in _refusal(inst, data) and "超过上限 50 KB" in _refusal(inst, data)
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNCOMPRESSED", 200 * 1024 * 1024)
    assert runner.run_import(inst, "basic", data).created == 1  # the three others exist already
    from app.extensions import db

    assert db.session.query(Person).filter(Person.institution_id == inst.id).count() == 4


def test_formulas_are_never_evaluated(inst):
    wb = load_workbook(io.BytesIO(fill(template.build_template(inst, "basic"), "basic", [basic(inst)])))
    ws = wb.worksheets[0]
    ws["C2"] = '="张"&"三"'  # a formula without a stored value
    buf = io.BytesIO()
    wb.save(buf)
    result = runner.run_import(inst, "basic", buf.getvalue())
    assert result.failed == 1 and "姓名不能为空" in result.errors_preview[0]


def _xml(data, part="xl/worksheets/sheet1.xml"):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(part).decode()


def test_nothing_typed_becomes_a_formula_in_exports_and_reports(inst, db):
    dangerous = {"name": "=HYPERLINK(\"http://x\",\"点我\")", "staff_no": "@SUM(1)", "major": "-2+3"}
    result = import_rows(inst, "basic", [basic(inst, 0, **dangerous), basic(inst, 1, phone="+8613900000000",
                                                                              major="=cmd|' /C calc'!A0")])
    assert (result.created, result.failed) == (1, 1)
    db.session.expire_all()
    assert db.session.scalar(select(Person.name).where(Person.institution_id == inst.id)) == dangerous["name"]
    for data in (export.export_set(inst, "basic"), result.report):
        assert "<f>" not in _xml(data)
        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        texts = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)
                 and c.value[:1] in "=+-@"]
        assert texts and all(c.data_type == "s" and c.quotePrefix for c in texts)
    exported = load_workbook(io.BytesIO(export.export_set(inst, "basic"))).worksheets[0]
    assert exported["C2"].value == dangerous["name"] and exported["B2"].value == "@SUM(1)"
    # the template's own lists: a department named like a formula stays text in the hidden sheet
    departments.create(inst.id, name="=1+1科", category="科室(部门)", standard_code="A03")
    data = template.build_template(inst, "basic")
    assert "<f>" not in _xml(data, "xl/worksheets/sheet3.xml")
    assert any(c.value == "=1+1科" for row in load_workbook(io.BytesIO(data))["_meta"].iter_rows() for c in row)
