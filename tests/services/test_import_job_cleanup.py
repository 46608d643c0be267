"""The files of import jobs do not stay forever (services/imports/jobs.py): the institution deletes a finished job with
its files (`delete_job`), and `purge_old_files` removes the files of finished jobs older than IMPORT_KEEP_DAYS while
the row keeps its counts; `flask --app run.py imports purge` runs it. The engine is the fake of test_import_jobs."""
import datetime
import json
import os

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.audit import AuditLog
from app.models.imports import ImportJob
from app.models.people import KeyGroup
from app.services import audit
from app.services.imports import jobs as import_jobs
from tests.services.test_import_jobs import _fresh, _inst, _user, fake_runner, fake_workbook  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("fake_runner")  # every job here runs on the fake engine


def _finished(app, db, rows=4, fail=1, filename="基本信息.xlsx", days_ago=0):
    """A job run to its end (部分成功 with an error workbook when `fail`), finished `days_ago` days ago."""
    job = import_jobs.create_job(_inst(db), "basic", fake_workbook(rows=rows, fail=fail), filename, user=_user(db))
    import_jobs.run_job(job.id, app)
    job = _fresh(db, job.id)
    if days_ago:
        job.finished_at = datetime.datetime.now() - datetime.timedelta(days=days_ago)
        db.session.commit()
    return job


def _folder(job_id):
    return os.path.dirname(import_jobs.absolute_path(f"imports/{job_id}/upload.xlsx"))


def _audit(db, job_id, action):
    return list(db.session.scalars(select(AuditLog).where(AuditLog.entity == "import_job",
                                                          AuditLog.entity_id == str(job_id),
                                                          AuditLog.action == action)))


# ---- 删除 -------------------------------------------------------------------------------------------------------------

def test_delete_removes_the_files_and_the_row_and_is_audited(app, db):
    job = _finished(app, db, filename="含证件号.xlsx")
    job_id, inst_id = job.id, job.institution_id
    upload, report = import_jobs.absolute_path(job.upload_path), import_jobs.absolute_path(job.report_path)
    assert os.path.isfile(upload) and os.path.isfile(report)

    with audit.acting_as("inst_admin"):
        assert import_jobs.delete_job(inst_id, job_id) == "含证件号.xlsx"

    assert not os.path.exists(_folder(job_id))
    assert _fresh(db, job_id) is None
    [entry] = _audit(db, job_id, "delete")
    assert entry.username == "inst_admin" and entry.institution_id == inst_id
    assert entry.changes["filename"] == ["含证件号.xlsx", None] and entry.changes["failed"] == [1, None]
    # The imported data stays: only the job and its working files go.
    assert db.session.scalar(select(KeyGroup.id).where(KeyGroup.name == f"导入{job_id}-4")) is not None


@pytest.mark.parametrize("status", ["排队中", "导入中"])
def test_an_active_job_is_not_deleted(app, db, status):
    job = import_jobs.create_job(_inst(db), "basic", fake_workbook(rows=4), "进行中.xlsx", user=_user(db))
    job.status = status
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        import_jobs.delete_job(job.institution_id, job.id)
    assert refused.value.message.startswith(f"导入任务“进行中.xlsx”{status}，不能删除")
    db.session.rollback()
    assert _fresh(db, job.id).status == status
    assert os.path.isfile(import_jobs.absolute_path(job.upload_path))


def test_another_institutions_job_is_not_found(app, db):
    from tests import factories

    job = _finished(app, db)
    other = factories.institution()
    with pytest.raises(DomainError, match="导入任务不存在"):
        import_jobs.delete_job(other.id, job.id)
    db.session.rollback()
    assert _fresh(db, job.id) is not None and os.path.isfile(import_jobs.absolute_path(job.upload_path))


def test_a_job_whose_files_are_already_gone_is_deleted_too(app, db):
    job = _finished(app, db, days_ago=100)
    assert import_jobs.purge_old_files(90) == 1
    assert import_jobs.delete_job(job.institution_id, job.id) == "基本信息.xlsx"
    assert _fresh(db, job.id) is None


# ---- retention --------------------------------------------------------------------------------------------------------

def test_purge_removes_old_files_and_keeps_the_row_and_its_counts(app, db):
    old = _finished(app, db, rows=5, fail=2, filename="旧.xlsx", days_ago=91)
    old_clean = _finished(app, db, rows=3, fail=0, filename="旧无错.xlsx", days_ago=120)
    recent = _finished(app, db, rows=5, fail=2, filename="新.xlsx", days_ago=89)
    stuck = import_jobs.create_job(_inst(db), "basic", fake_workbook(), "排队.xlsx")  # not final: never touched
    stuck.created_at = datetime.datetime.now() - datetime.timedelta(days=200)
    db.session.commit()

    assert import_jobs.purge_old_files(90) == 2

    old = _fresh(db, old.id)
    assert (old.upload_path, old.report_path, old.files_purged_days) == (None, None, 90)
    assert (old.status, old.total, old.created, old.failed) == ("部分成功", 5, 3, 2) and old.message
    assert not os.path.exists(_folder(old.id)) and not os.path.exists(_folder(old_clean.id))
    assert _fresh(db, old_clean.id).files_purged_days == 90
    recent = _fresh(db, recent.id)
    assert recent.files_purged_days is None and os.path.isfile(import_jobs.absolute_path(recent.report_path))
    assert os.path.isfile(import_jobs.absolute_path(_fresh(db, stuck.id).upload_path))
    [entry] = [e for e in _audit(db, old.id, "update") if e.username == "系统"]
    assert entry.username == "系统" and entry.changes["upload_path"] == [f"imports/{old.id}/upload.xlsx", None]
    assert entry.changes["files_purged_days"] == [None, 90]
    assert import_jobs.status_dict(old)["files_purged_days"] == 90
    # Done once: a second run finds nothing; 0 days keeps everything.
    assert import_jobs.purge_old_files(90) == 0
    assert import_jobs.purge_old_files(0) == 0
    assert os.path.isfile(import_jobs.absolute_path(_fresh(db, recent.id).upload_path))


def test_purge_if_due_runs_with_the_configured_days_once_an_hour(app, db, monkeypatch):
    monkeypatch.setattr(import_jobs, "_last_purge", None)
    monkeypatch.setitem(app.config, "IMPORT_KEEP_DAYS", 30)
    first = _finished(app, db, days_ago=31)
    assert import_jobs.purge_if_due() == 1
    assert _fresh(db, first.id).files_purged_days == 30
    second = _finished(app, db, days_ago=31)
    assert import_jobs.purge_if_due() == 0  # ran less than an hour ago
    assert _fresh(db, second.id).upload_path is not None
    monkeypatch.setattr(import_jobs, "_last_purge", import_jobs._last_purge - import_jobs.PURGE_EVERY - 1)
    assert import_jobs.purge_if_due() == 1
    monkeypatch.setattr(import_jobs, "_last_purge", None)
    monkeypatch.setitem(app.config, "IMPORT_KEEP_DAYS", 0)  # keep forever
    third = _finished(app, db, days_ago=3650)
    assert import_jobs.purge_if_due() == 0 and _fresh(db, third.id).upload_path is not None


def test_cli_purge_prints_one_json_line(app, db):
    ten_days = _finished(app, db, days_ago=10).id
    hundred_days = _finished(app, db, days_ago=100).id
    cli = app.test_cli_runner()

    result = cli.invoke(args=["imports", "purge"])  # IMPORT_KEEP_DAYS: 90 by default
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"days": 90, "jobs_purged": 1}
    db.session.expire_all()
    assert db.session.get(ImportJob, hundred_days).files_purged_days == 90
    assert db.session.get(ImportJob, ten_days).upload_path is not None

    result = cli.invoke(args=["imports", "purge", "--days", "7"])
    assert result.exit_code == 0 and result.stdout.strip().splitlines() == ['{"days": 7, "jobs_purged": 1}']
    db.session.expire_all()
    assert db.session.get(ImportJob, ten_days).files_purged_days == 7
    assert not os.path.exists(_folder(ten_days))
    assert cli.invoke(args=["imports", "purge", "--days", "-1"]).exit_code == 2
