"""运维控制台 上传文件 and 定期清理 (issue 17): counts and sizes read from disk, missing files flagged, the purge button
removes exactly the due import files (audited) and needs the token."""
import datetime
import io
import os
import random

from PIL import Image
from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.imports import ImportJob
from app.models.org import Institution, InstitutionFile
from app.services import ops_console, storage
from app.services.imports import jobs
from tests.conftest import CSRF_RE


def _png(seed):
    rnd = random.Random(seed)
    img = Image.new("RGB", (60, 40))
    img.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(60 * 40)])
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _row(summary, inst_id):
    return next((r for r in summary["rows"] if r["institution_id"] == inst_id),
                {"files": 0, "bytes": 0, "missing": 0})


def _job(db, inst, status="已完成", finished=None, files=True):
    job = ImportJob(institution_id=inst.id, set_key="basic", filename=f"人员{random.random():.6f}.xlsx", status=status,
                    total=3, finished_at=finished)
    db.session.add(job)
    db.session.flush()
    if files:
        job.upload_path = f"imports/{job.id}/upload.xlsx"
        target = jobs.absolute_path(job.upload_path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(b"x" * (1000 + job.id))
    db.session.commit()
    return job


def test_the_listing_counts_and_sizes_equal_the_files_on_disk_and_flags_a_missing_one(app, db, login_as):
    inst = db.session.scalar(select(Institution).order_by(Institution.id).limit(1))
    before = ops_console.storage_summary()
    a = storage.save_upload(_png(1), field_label="附件", kinds={"png"}, max_bytes=storage.IMAGE_MAX)
    b = storage.save_upload(_png(2), field_label="附件", kinds={"png"}, max_bytes=storage.IMAGE_MAX)
    gone = "ab/" + "c" * 64 + ".pdf"  # a row naming a file that is not on disk
    for path in (a.path, b.path, a.path, gone):  # a.path twice: one stored file, counted once
        db.session.add(InstitutionFile(institution_id=inst.id, kind="其他", filename="许可证.png", path=path,
                                       file_kind="png"))
    job = _job(db, inst, status="已完成", finished=datetime.datetime.now())
    db.session.commit()
    on_disk = sum(os.path.getsize(storage.absolute_path(p)) for p in (a.path, b.path)) \
        + os.path.getsize(jobs.absolute_path(job.upload_path))

    after = ops_console.storage_summary()
    old, new = _row(before, inst.id), _row(after, inst.id)
    assert new["files"] - old["files"] == 4  # two images, the missing one, the import workbook
    assert new["bytes"] - old["bytes"] == on_disk
    assert new["missing"] - old["missing"] == 1
    assert (after["files"] - before["files"], after["bytes"] - before["bytes"]) == (4, on_disk)
    assert after["missing_count"] - before["missing_count"] == 1

    page = login_as("sysadmin01").get("/ops/storage/").get_data(as_text=True)
    assert "上传文件" in page and inst.name in page and gone in page and "文件缺失" in page
    assert f'<td class="bytes">{new["bytes"]}</td>' in page
    assert f"{after['files']} 个文件" in page
    assert "/files/" not in page  # no download links


def test_the_purge_button_removes_exactly_the_due_files_and_is_audited(app, db, login_as):
    inst = db.session.scalar(select(Institution).order_by(Institution.id).limit(1))
    days = app.config["IMPORT_KEEP_DAYS"]
    assert days > 0
    now = datetime.datetime.now()
    due = _job(db, inst, finished=now - datetime.timedelta(days=days + 1))
    fresh = _job(db, inst, finished=now - datetime.timedelta(days=days - 1))
    due_file, fresh_file = jobs.absolute_path(due.upload_path), jobs.absolute_path(fresh.upload_path)
    operator = login_as("sysadmin01")

    page = operator.get("/ops/purge/").get_data(as_text=True)
    assert f'data-job="{due.id}"' in page and f'data-job="{fresh.id}"' not in page
    assert (due.finished_at + datetime.timedelta(days=days)).strftime("%Y-%m-%d") in page
    assert ops_console.human_size(os.path.getsize(due_file)) in page

    # no token: refused, nothing removed
    assert operator.post("/ops/purge/run/").status_code == 400
    assert os.path.exists(due_file)

    token = CSRF_RE.search(page).group(1)
    resp = operator.post("/ops/purge/run/", data={"csrf_token": token})
    assert resp.status_code == 302
    assert "已清理 1 个到期导入任务的文件" in operator.get(resp.headers["Location"]).get_data(as_text=True)
    assert not os.path.exists(due_file) and os.path.exists(fresh_file)
    db.session.expire_all()
    assert db.session.get(ImportJob, due.id).upload_path is None
    assert db.session.get(ImportJob, due.id).files_purged_days == days
    assert db.session.get(ImportJob, fresh.id).upload_path == fresh.upload_path
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "import_job", AuditLog.entity_id.is_(None))
                              .order_by(AuditLog.id.desc()))
    assert entry.username == "sysadmin01" and list(entry.changes.values())[0] == [None, 1]

    page = operator.get("/ops/purge/").get_data(as_text=True)
    assert "没有到期的导入文件" in page
    purged_table = page.split("已清理</h5>")[1]
    assert f'data-job="{due.id}"' in purged_table and f'data-job="{fresh.id}"' not in purged_table


def test_purge_with_keep_days_zero_says_why_in_chinese(app, db, login_as, monkeypatch):
    operator = login_as("sysadmin01")
    token = CSRF_RE.search(operator.get("/ops/purge/").get_data(as_text=True)).group(1)
    monkeypatch.setitem(app.config, "IMPORT_KEEP_DAYS", 0)
    resp = operator.post("/ops/purge/run/", data={"csrf_token": token})
    assert "没有到期文件可清理" in operator.get(resp.headers["Location"]).get_data(as_text=True)


def test_the_new_pages_are_for_the_operator_only(login_as):
    for name in ("inst_admin", "region_admin"):
        c = login_as(name)
        assert c.get("/ops/storage/").status_code == 403
        assert c.get("/ops/purge/").status_code == 403
    menu = login_as("sysadmin01").get("/ops/").get_data(as_text=True)
    assert "上传文件" in menu and "定期清理" in menu
