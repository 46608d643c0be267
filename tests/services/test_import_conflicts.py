"""Re-importing an export with 更新 (issue 10 item 4): a row whose record was changed after the export (here in the
UI) is reported in the error workbook with who / when / the changed field, not overwritten; the other rows update;
a template filled by hand (no versions) updates as before."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.person import LABELS
from app.models.people import Person
from app.services.imports import export, runner
from tests.services.test_imports import IDS, basic, import_rows, prepared, report_rows


def _set_phone(data: bytes, phones: dict) -> bytes:
    """The exported workbook with the 手机号码 of some ID numbers changed, as a clerk would in Excel."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    names = [str(c.value or "").lstrip("*") for c in ws[1]]
    id_col, phone_col = names.index("证件号码") + 1, names.index("手机号码") + 1
    for row in range(2, ws.max_row + 1):
        number = ws.cell(row=row, column=id_col).value
        if number in phones:
            ws.cell(row=row, column=phone_col, value=phones[number]).data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ui_change_phone(client, person, phone):
    """The 基本信息 form as opened (its csrf token and version), saved with a new 手机号码."""
    html = client.get(f"/people/edit/{person.id}").get_data(as_text=True)
    form = dict(re.findall(r'<input[^>]*name="(csrf_token|version)"[^>]*value="([^"]*)"', html))
    for key in LABELS:
        value = getattr(person, key)
        form[key] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else str(value))
    form["phone"] = phone
    assert client.post(f"/people/edit/{person.id}", data=form).status_code == 302


def _people(db, inst):
    db.session.expire_all()
    return {p.id_number: p for p in db.session.scalars(select(Person).where(Person.institution_id == inst.id))}


def test_a_row_changed_in_the_ui_after_the_export_is_reported_not_overwritten(db, login_as):
    inst = prepared(db)
    assert import_rows(inst, "basic", [basic(inst, i) for i in range(3)]).created == 3
    exported = export.export_set(inst, "basic")
    _ui_change_phone(login_as("inst_admin"), _people(db, inst)[IDS[1]], "13612345678")

    edited = _set_phone(exported, {IDS[0]: "13700000000", IDS[1]: "13700000001"})
    result = runner.run_import(inst, "basic", edited, update_existing=True)
    assert (result.updated, result.failed, result.unchanged) == (1, 1, 1), result.errors_preview
    _, out = report_rows(result.report)
    assert len(out) == 1
    reason, cells = out[0]
    assert cells["证件号码"][0] == IDS[1]
    assert reason.startswith("该记录在导出后已被 inst_admin 于")
    assert "手机号码：导出时为 13912345678，现在为 13612345678" in reason
    saved = _people(db, inst)
    assert saved[IDS[0]].phone == "13700000000"  # the other row updated
    assert saved[IDS[1]].phone == "13612345678"  # the UI's change kept

    # the error workbook keeps the export's versions: uploading it again is refused the same way
    again = runner.run_import(inst, "basic", result.report, update_existing=True)
    assert again.failed == 1 and _people(db, inst)[IDS[1]].phone == "13612345678"


def test_a_template_filled_by_hand_updates_as_before(db, login_as):
    inst = prepared(db)
    import_rows(inst, "basic", [basic(inst, 1)])
    _ui_change_phone(login_as("inst_admin"), _people(db, inst)[IDS[1]], "13612345678")
    result = import_rows(inst, "basic", [basic(inst, 1, phone="13700000001")], update_existing=True)
    assert (result.updated, result.failed) == (1, 0)
    assert _people(db, inst)[IDS[1]].phone == "13700000001"


def test_a_detail_entry_changed_after_the_export_is_reported(app, db, login_as, monkeypatch):
    """The same rule for a detail set: a work-experience entry changed on the person page after the export. This
    session still holds the entry as read before the change (like a check racing the change): the UPDATE's version
    check catches it at commit, and the row gets the same message, the other row is saved."""
    import datetime

    from app.models.people import WorkExperience
    from tests.services.test_import_details import work

    monkeypatch.setitem(app.config, "DETAIL_ATTACHMENT_SETS", "")  # the imported entry is edited without an image
    inst = prepared(db)
    import_rows(inst, "basic", [basic(inst, 0), basic(inst, 1, department_id="外科")])
    assert import_rows(inst, "work", [work(inst, 0), work(inst, 1)]).created == 2
    exported = export.export_set(inst, "work")
    entry = db.session.scalar(select(WorkExperience).join(Person).where(Person.id_number == IDS[1]))
    client = login_as("inst_admin")
    html = client.get(f"/people/detail/work/edit/{entry.id}").get_data(as_text=True)
    form = dict(re.findall(r'<input[^>]*name="(csrf_token|version)"[^>]*value="([^"]*)"', html))
    assert client.post(f"/people/detail/work/edit/{entry.id}", data={
        **form, "start_date": "1990-07-01", "end_date": "至今", "employer": entry.employer,
        "position": "主任医师"}).status_code == 302

    wb = load_workbook(io.BytesIO(exported))
    ws = wb.worksheets[0]
    names = [str(c.value or "").lstrip("*") for c in ws[1]]
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=names.index("职务/岗位") + 1, value="副主任医师").data_type = "s"
    buf = io.BytesIO()
    wb.save(buf)
    result = runner.run_import(inst, "work", buf.getvalue(), update_existing=True)
    assert (result.updated, result.failed) == (1, 1), result.errors_preview
    reason = report_rows(result.report)[1][0][0]
    assert "该记录在导出后已被 inst_admin 于" in reason and "职务/岗位：导出时为 医师，现在为 主任医师" in reason
    db.session.expire_all()
    positions = {e.person.id_number: e.position for e in db.session.scalars(select(WorkExperience))}
    assert positions == {IDS[0]: "副主任医师", IDS[1]: "主任医师"}
    assert datetime.date(1990, 7, 1) == db.session.get(WorkExperience, entry.id).start_date
