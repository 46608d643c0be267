"""flask people template | export | import: one JSON line, exit 0 when the file was processed (even with failed
rows), 2 when the file itself is unusable, with the reason on stderr."""
import json

import pytest
from openpyxl import load_workbook

from app.services.imports import template
from app.services.seed import JIANGXIA_CODE
from tests.services.test_imports import basic, fill, prepared


@pytest.fixture
def inst(db):
    return prepared(db)


def test_template_import_export_commands(app, inst, tmp_path):
    cli = app.test_cli_runner()
    tpl = tmp_path / "t.xlsx"
    res = cli.invoke(args=["people", "template", "--institution", JIANGXIA_CODE, "--set", "basic", "-o", str(tpl)])
    assert res.exit_code == 0, res.output
    assert load_workbook(tpl).sheetnames == ["基本信息", "填写须知", "_meta"]

    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill(tpl.read_bytes(), "basic", [basic(inst, 0), basic(inst, 1), basic(inst, 2, phone="12")]))
    report = tmp_path / "err.xlsx"
    res = cli.invoke(args=["people", "import", str(filled), "--institution", JIANGXIA_CODE, "--set", "basic",
                           "--report", str(report)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    assert set(figures) == {"total", "created", "updated", "unchanged", "skipped", "failed", "warnings", "seconds"}
    assert (figures["total"], figures["created"], figures["failed"]) == (3, 2, 1)
    assert load_workbook(report).worksheets[0]["A1"].value == "错误原因"

    res = cli.invoke(args=["people", "import", str(filled), "--institution", JIANGXIA_CODE, "--set", "basic",
                           "--update"])
    assert res.exit_code == 0 and json.loads(res.stdout)["unchanged"] == 2

    out = tmp_path / "export.xlsx"
    res = cli.invoke(args=["people", "export", "--institution", JIANGXIA_CODE, "--set", "basic", "-o", str(out)])
    assert res.exit_code == 0
    assert load_workbook(out).worksheets[0].max_row == 3


def test_unusable_file_exits_2_with_the_reason_on_stderr(app, inst, tmp_path):
    cli = app.test_cli_runner()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"this is not a workbook")
    res = cli.invoke(args=["people", "import", str(bad), "--institution", JIANGXIA_CODE, "--set", "basic"])
    assert res.exit_code == 2
    assert "不是 Excel 工作簿" in res.stderr and res.stdout == ""
    other = tmp_path / "work.xlsx"
    other.write_bytes(template.build_template(inst, "work"))
    res = cli.invoke(args=["people", "import", str(other), "--institution", JIANGXIA_CODE, "--set", "basic"])
    assert res.exit_code == 2 and "工作经历" in res.stderr
    res = cli.invoke(args=["people", "import", str(bad), "--institution", "000", "--set", "basic"])
    assert res.exit_code == 2 and "机构代码 000 不存在" in res.stderr
