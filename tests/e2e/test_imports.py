"""Batch import in a real browser as the institution owner: download the 基本信息 template, fill 150 rows (a few
bad), upload, land on 人员信息导入管理 and watch the progress bar reach the end, download the error workbook, fix it
and upload it again. Then 附件批量导入: attach a JPG to a row by choosing it and by dropping it, delete one on hover."""
import base64
import io
import re

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models.imports import ImportJob
from app.models.org import Department, Institution
from app.models.people import Person, Qualification
from app.services import departments, posts
from app.services.imports import jobs as import_jobs
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests.e2e.helpers import login
from tests.services.test_imports import digits_as_chinese

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _jpeg(color, size=(300, 200)):
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return buf.getvalue()


ROWS = 150
BAD = {7: "id_number", 42: "department", 99: "name"}  # row number in the file (1-based) → what is wrong
TAKEN = "420106198503150018"  # the 武昌 centre's active staff member: never used here


def _fill(path, inst_name, dept_name, post_name):
    """Fill the downloaded 基本信息 template with ROWS people, a few of them wrong."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    for needed in ("机构名称", "姓名", "证件类型", "证件号码", "所在科室", "岗位", "在职状态"):
        assert needed in headers, (needed, headers)
    numbers = []
    for i in range(1, ROWS + 1):
        number = synthetic_id(60000 + i)
        assert number != TAKEN
        numbers.append(number)
        values = {"机构名称": inst_name, "姓名": f"导入测试{digits_as_chinese(f'{i:03d}')}", "证件类型": "居民身份证", "证件号码": number,
                  "所在科室": dept_name, "岗位": post_name, "在职状态": "在岗"}
        if BAD.get(i) == "id_number":
            values["证件号码"] = number[:-1] + ("0" if number[-1] != "0" else "1")  # wrong check digit
        elif BAD.get(i) == "department":
            values["所在科室"] = "不存在的科室"
        elif BAD.get(i) == "name":
            values["姓名"] = None
        for label, value in values.items():
            ws.cell(row=i + 1, column=headers[label], value=value)
    wb.save(path)
    return numbers


def _fix_report(path, numbers, dept_name):
    """The error workbook: first column 错误原因, then the user's columns; fix the three rows, keep the column."""
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    assert ws.cell(row=1, column=1).value.lstrip("*") == "错误原因"
    reasons = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)
               if ws.cell(row=r, column=headers["姓名"]).value or ws.cell(row=r, column=1).value]
    assert len(reasons) == len(BAD) and all(reasons), reasons
    for r in range(2, ws.max_row + 1):
        reason = ws.cell(row=r, column=1).value or ""
        if "证件号码" in reason:
            number_cell = ws.cell(row=r, column=headers["证件号码"])
            number_cell.value = next(n for n in numbers if n[:-1] == str(number_cell.value)[:-1])
        if "科室" in reason:
            ws.cell(row=r, column=headers["所在科室"]).value = dept_name
        if "姓名" in reason:
            ws.cell(row=r, column=headers["姓名"]).value = "补填姓名"
    wb.save(path)
    return reasons


def test_owner_imports_150_people_follows_the_job_and_fixes_the_errors(app, db, live_server, page, tmp_path):
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    dept = departments.create(inst.id, name="全科医疗科", standard_code="A03")
    post = posts.create(inst.id, name="全科医师", category="专业技术岗")
    standard = posts.standard_posts_for_institution(inst.id)[0]
    posts.set_mapping(inst.id, post.id, standard.id)
    inst_name, dept_name, post_name = inst.name, dept.name, post.name
    before = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id))

    login(page, live_server)
    page.goto(f"{live_server}/imports/jobs/")
    page.get_by_role("button", name="批量导入").click()
    page.get_by_role("link", name="基本信息").first.click()
    page.wait_for_url("**/imports/upload/basic")
    with page.expect_download() as download_info:
        page.locator("#template-link").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "基本信息" in download.suggested_filename
    filled = tmp_path / "基本信息导入.xlsx"
    download.save_as(str(filled))
    numbers = _fill(filled, inst_name, dept_name, post_name)

    page.locator("#import-file").set_input_files(str(filled))
    page.get_by_label("更新已存在的数据").check()
    page.screenshot(path=str(tmp_path / "1-upload.png"), full_page=True)
    page.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r".*/imports/jobs/.*"))
    assert "数据量较大" in page.content()
    job_id = int(re.search(r"job=(\d+)", page.url).group(1))
    row = page.locator(f"#job-{job_id}")
    page.screenshot(path=str(tmp_path / "2-jobs-running.png"), full_page=True)
    # The page polls the status every 2 s: the bar reaches the end and the result appears without a reload.
    row.locator(".report-link").wait_for(timeout=60_000)
    assert row.get_attribute("data-final") == "true"
    assert row.locator(".job-status").inner_text() == "部分成功"
    assert f"{ROWS} / {ROWS} 行（100%）" in row.locator(".job-progress-text").inner_text()
    assert "失败 3" in row.locator(".job-counts").inner_text()
    assert "新增 147" in row.locator(".job-counts").inner_text()
    page.screenshot(path=str(tmp_path / "3-jobs-done.png"), full_page=True)

    # The error workbook downloads, and again later (not once only).
    with page.expect_download() as download_info:
        row.locator(".report-link").click()
    report = tmp_path / "错误报告.xlsx"
    download_info.value.save_as(str(report))
    with page.expect_download() as again:
        row.locator(".report-link").click()
    assert again.value.path().read_bytes() == report.read_bytes()
    reasons = _fix_report(report, numbers, dept_name)
    assert any("证件号码" in r for r in reasons) and any("科室" in r for r in reasons)

    # Re-upload the fixed report as it is (3 rows: small, so the result shows at once).
    page.goto(f"{live_server}/imports/upload/basic")
    page.locator("#import-file").set_input_files(str(report))
    page.get_by_role("button", name="上传").click()
    page.wait_for_selector("#import-result")
    result = page.locator("#import-result").inner_text()
    page.screenshot(path=str(tmp_path / "4-reupload.png"), full_page=True)
    assert "导入成功" in result, result
    db.session.expire_all()
    after = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id))
    assert after - before == ROWS
    jobs = list(db.session.scalars(select(ImportJob).order_by(ImportJob.id)))
    assert [j.status for j in jobs] == ["部分成功", "已完成"]
    for job in jobs:
        import_jobs.wait(job.id, 10)


def test_attachment_batch_by_choosing_dropping_and_deleting(app, db, live_server, page, tmp_path):
    import datetime

    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    dept = Department(institution_id=inst.id, name="内科", category="科室(部门)", standard_code="A03")
    db.session.add(dept)
    db.session.commit()
    people = []
    for i, name in enumerate(("陈医生", "李护士", "王药师")):
        p = Person(institution_id=inst.id, name=name, id_type="01", id_number=synthetic_id(7000 + i), sex="1",
                   status="在岗", department_id=dept.id)
        db.session.add(p)
        db.session.flush()
        people.append(p)
    for p in people[:2]:
        db.session.add(Qualification(person_id=p.id, institution_id=inst.id, kind="医师资格证书",
                                     certificate_no=f"Q{p.id}", obtained_on=datetime.date(2015, 7, 1)))
    db.session.commit()
    first, second, third = (p.id for p in people)

    login(page, live_server)
    page.goto(f"{live_server}/attachmentbatch/?set=qualification")
    page.locator("#state").select_option("未上传")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert page.locator("tr.att-row").count() == 2  # 未上传: the two with a record; the third has none
    page.locator("#state").select_option("无此类记录")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()
    assert page.locator("tr.att-row").count() == 1
    assert "还没有资格证书记录" in page.locator(f"tr[data-person='{third}']").inner_text()
    page.locator("#state").select_option("未上传")
    page.get_by_role("button", name="查询").click()
    page.wait_for_load_state()

    # Choose a file for the first row.
    photo = tmp_path / "证书.jpg"
    photo.write_bytes(_jpeg("#c33"))
    row = page.locator(f"tr[data-person='{first}']")
    row.locator("input.att-file").set_input_files(str(photo))
    row.locator(".att-thumb img").wait_for()
    assert "已为 陈医生 上传" in row.locator(".att-message").inner_text()
    assert row.locator(".att-state").inner_text() == "已上传"

    # Drop one on the second row (a real DataTransfer carrying the JPG).
    encoded = base64.b64encode(_jpeg("#36c")).decode()
    page.evaluate("""([selector, data]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], "执业.jpg", {type: "image/jpeg"}));
        const target = document.querySelector(selector);
        target.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
        target.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", [f"tr[data-person='{second}'] .att-drop", encoded])
    second_row = page.locator(f"tr[data-person='{second}']")
    second_row.locator(".att-thumb img").wait_for()
    page.screenshot(path=str(tmp_path / "attachments.png"), full_page=True)

    # Hover to reveal the delete button, confirm, and the image is gone.
    page.on("dialog", lambda dialog: dialog.accept())
    thumb = row.locator(".att-thumb").first
    thumb.hover()
    page.screenshot(path=str(tmp_path / "attachments-hover.png"))
    thumb.locator(".att-delete").click()
    row.locator(".att-thumb").wait_for(state="detached")
    assert row.locator(".att-state").inner_text() == "未上传"

    # The department list folds away.
    page.get_by_role("button", name="科室列表").click()
    assert page.locator("#att-depts").is_hidden()
    page.screenshot(path=str(tmp_path / "attachments-folded.png"), full_page=True)
    db.session.expire_all()
    counts = {q.person_id: len(q.attachments or []) for q in db.session.scalars(select(Qualification))}
    assert counts == {first: 0, second: 1}
    assert db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id)) == 3


def test_owner_deletes_a_job_through_the_confirm_dialog(app, db, live_server, page, tmp_path, monkeypatch):
    """人员信息导入管理: a job past IMPORT_KEEP_DAYS shows that its files were removed; 删除 asks first (dismissing
    keeps the job), then removes the row and its folder."""
    import datetime
    import os

    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    failed = import_jobs.create_job(inst, "basic", b"not a workbook", "随便一个文件.xlsx")
    import_jobs.run_job(failed.id, app)  # the real engine refuses it: 失败
    partial = import_jobs.create_job(inst, "work", b"PK-upload", "工作经历-第二批.xlsx")
    old = import_jobs.create_job(inst, "basic", b"PK-old", "去年的基本信息.xlsx")
    now = datetime.datetime.now()
    for job, status, failed, days in ((partial, "部分成功", 2, 2), (old, "已完成", 0, 200)):
        job.status, job.total, job.processed, job.created, job.failed = status, 12, 12, 12 - failed, failed
        job.finished_at = now - datetime.timedelta(days=days)
    partial.report_path = f"imports/{partial.id}/report.xlsx"
    import_jobs._write(partial.report_path, b"PK-report")
    db.session.commit()
    partial_id, old_id, folder = partial.id, old.id, os.path.dirname(import_jobs.absolute_path(partial.report_path))
    monkeypatch.setattr(import_jobs, "_last_purge", None)  # the list purges at most once an hour per process

    login(page, live_server)
    page.goto(f"{live_server}/imports/jobs/")
    assert "文件已超过保留期限（90 天）被删除" in page.locator(f"#job-{old_id}").inner_text()
    row = page.locator(f"#job-{partial_id}")
    assert row.locator(".report-link").count() == 1
    page.screenshot(path=str(tmp_path / "jobs-delete-1-list.png"), full_page=True)

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="删除：工作经历-第二批.xlsx").click()
    assert questions == ["确定删除导入记录“工作经历-第二批.xlsx”吗？上传的原文件和错误报告将一并删除，且不能恢复；"
                         "已导入的人员信息不受影响。"]
    assert row.count() == 1 and os.path.isdir(folder)

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        row.get_by_role("button", name="删除：工作经历-第二批.xlsx").click()
    assert "已删除导入记录“工作经历-第二批.xlsx”及其上传文件和错误报告" in page.content()
    assert page.locator(f"#job-{partial_id}").count() == 0 and page.locator("tr[data-job]").count() == 2
    page.screenshot(path=str(tmp_path / "jobs-delete-2-done.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(ImportJob, partial_id) is None and not os.path.exists(folder)
    assert db.session.get(ImportJob, old_id).files_purged_days == 90
