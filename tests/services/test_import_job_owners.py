"""Import jobs under several processes (issue 10 item 6): a job carries its owner (host, pid) and a heartbeat; only a
job whose owner is gone or whose heartbeat stopped is recovered, with the counts that were committed, and with a
message that points to no file that does not exist."""
import datetime
import os
import socket
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select

from app.models.people import Person
from app.services.imports import jobs as import_jobs
from app.services.imports import runner
from tests.services.test_import_jobs import (  # noqa: F401 (fixture)
    _fresh,
    _inst,
    _ready,
    _real_workbook,
    _user,
    fake_runner,
    fake_workbook,
)


@pytest.fixture
def other_process():
    """A live process of this host that is not this one (another web worker)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def _running(db, inst, *, host, pid, heartbeat, processed=400, created=390, failed=10):
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=900), "x.xlsx", user=_user(db))
    job.status, job.total, job.processed, job.created, job.failed = "导入中", 900, processed, created, failed
    job.started_at, job.heartbeat_at, job.owner_host, job.owner_pid = heartbeat, heartbeat, host, pid
    db.session.commit()
    return job.id


def test_a_live_job_of_another_process_is_left_alone(app, db, fake_runner, other_process):  # noqa: F811
    """Restarting one web worker (recovery at its first request) must not fail the job another worker is running."""
    inst = _inst(db)
    now = datetime.datetime.now()
    same_host = _running(db, inst, host=socket.gethostname(), pid=other_process, heartbeat=now)
    other_host = _running(db, inst, host="another-host", pid=12345, heartbeat=now)

    assert import_jobs.recover_interrupted() == 0
    assert import_jobs.expire_stale(inst.id) == 0
    for job_id in (same_host, other_host):
        job = _fresh(db, job_id)
        assert (job.status, job.message, job.finished_at) == ("导入中", None, None)


def test_a_dead_job_is_failed_with_the_committed_counts_and_an_honest_message(app, db, fake_runner):  # noqa: F811
    inst = _inst(db)
    now = datetime.datetime.now()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # Its process on this host has exited: recovered at once, though its heartbeat is fresh.
    dead_here = _running(db, inst, host=socket.gethostname(), pid=gone.pid, heartbeat=now)
    # On another host: recovered once its heartbeat is older than STALE_AFTER.
    silent = _running(db, inst, host="another-host", pid=1, heartbeat=now - import_jobs.STALE_AFTER * 2)
    fresh_elsewhere = _running(db, inst, host="another-host", pid=1, heartbeat=now)

    assert import_jobs.recover_interrupted() == 2
    for job_id in (dead_here, silent):
        job = _fresh(db, job_id)
        assert job.status == "失败" and job.finished_at is not None
        assert (job.processed, job.created, job.failed, job.total) == (400, 390, 510, 900)
        assert job.message == ("导入进程已停止（服务重启或进程被结束），导入中断：已提交的 400 行已保存（新增 390 行），"
                               "未处理的 500 行未导入。请重新上传原文件（已保存的行按证件号码识别）")
        assert "错误报告" not in job.message and job.report_path is None
        assert import_jobs.status_dict(job)["interrupted"] is True
    assert _fresh(db, fresh_elsewhere).status == "导入中"


class Killed(BaseException):
    """The process dies here (nothing after it runs: no progress, no result)."""


def test_a_job_killed_right_after_its_last_commit_shows_the_saved_rows(app, db, monkeypatch):
    """One batch: its created rows are committed, then the process dies before anything else is written. The job shows
    created = the rows saved, not 0."""
    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 5, dept_name, post_name), "x.xlsx",
                                 user=_user(db))

    def die(*args, **kwargs):  # right after the writer committed the batch's created rows
        raise Killed

    monkeypatch.setattr(runner, "_update", die)
    with pytest.raises(Killed):
        import_jobs.run_job(job.id, app)
    assert db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst.id)) == 5
    job = _fresh(db, job.id)
    assert (job.status, job.created) == ("导入中", 5)  # stored in the batch's own transaction

    assert import_jobs.recover_interrupted() == 1  # its owner is this process, which no longer runs it
    job = _fresh(db, job.id)
    assert (job.status, job.created, job.processed, job.failed, job.total) == ("失败", 5, 5, 0, 5)
    assert job.message.startswith("导入进程已停止（服务重启或进程被结束），导入中断：已提交的 5 行已保存（新增 5 行），未处理的 0 行")


def test_counts_are_committed_with_each_batch(app, db, monkeypatch):
    """A crash in the third batch: the job keeps created = the two committed batches, and says so."""
    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 5, dept_name, post_name), "x.xlsx")
    monkeypatch.setattr(import_jobs, "BATCH_SIZE", 2)
    real_insert, calls = runner._bulk_insert, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_insert(*args)

    monkeypatch.setattr(runner, "_bulk_insert", failing)
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert (job.processed, job.created, job.failed, job.total) == (4, 4, 1, 5)
    assert job.message.startswith("导入时发生系统错误，已中止：已提交的 4 行已保存（新增 4 行）。请重新上传原文件")
    assert "错误报告" not in job.message


def test_a_running_job_keeps_its_heartbeat_and_owner(app, db, fake_runner, monkeypatch):  # noqa: F811
    """Between batches a timer keeps the heartbeat fresh, so a long batch is not taken for a dead process."""
    monkeypatch.setattr(import_jobs, "HEARTBEAT_EVERY", 0.1)
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=3), "x.xlsx", user=_user(db))
    beats, release = [], threading.Event()
    real = fake_runner.run_import

    def slow(*args, **kwargs):
        from app.extensions import db as _db

        first = _db.session.scalar(select(import_jobs.ImportJob.heartbeat_at).where(import_jobs.ImportJob.id == job_id))
        _db.session.commit()
        for _ in range(100):
            release.wait(0.1)
            now = _db.session.scalar(select(import_jobs.ImportJob.heartbeat_at)
                                     .where(import_jobs.ImportJob.id == job_id))
            _db.session.commit()
            if now > first:
                beats.append(now)
                break
        return real(*args, **kwargs)

    job_id = job.id
    monkeypatch.setattr(fake_runner, "run_import", slow)
    assert import_jobs.run_job(job_id, app) == "已完成"
    assert beats, "no heartbeat was written while the job ran"
    job = _fresh(db, job_id)
    assert (job.owner_host, job.owner_pid) == (socket.gethostname(), os.getpid())


def test_a_whole_failure_without_report_does_not_point_to_one(app, db, fake_runner, monkeypatch):  # noqa: F811
    """Every row failed but the error workbook could not be built: the message lists the reasons, no download."""
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=2, fail=2), "a.xlsx", user=_user(db))
    real = fake_runner.run_import

    def no_report(*args, **kwargs):
        result = real(*args, **kwargs)
        result.report = None
        return result

    monkeypatch.setattr(fake_runner, "run_import", no_report)
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert job.report_path is None and "错误报告" not in job.message and "全部 2 行未通过校验" in job.message


def test_an_interrupted_job_page_says_what_was_saved(app, db, fake_runner, login_as):  # noqa: F811
    inst = _inst(db)
    job_id = _running(db, inst, host="another-host", pid=1, heartbeat=datetime.datetime.now() - import_jobs.STALE_AFTER * 2)
    assert import_jobs.recover_interrupted() == 1
    page = login_as("inst_admin").get(f"/imports/upload/basic?job={job_id}").get_data(as_text=True)
    assert "导入失败：已保存 390 行，其余未导入" in page and "均未导入" not in page
    assert "已提交的 400 行已保存（新增 390 行），未处理的 500 行未导入" in page and "请下载错误报告" not in page


def test_recovery_runs_on_the_first_request_and_in_setup(app, db, fake_runner):  # noqa: F811
    from app.cli import run_setup
    from app.views import health

    inst = _inst(db)
    stale = datetime.datetime.now() - import_jobs.STALE_AFTER * 2
    first = _running(db, inst, host="another-host", pid=1, heartbeat=stale)
    state = {"next": 0.0, "done": False, "lock": threading.Lock()}
    with app.test_request_context("/"):
        health._recover_once(state)
    assert state["done"] and _fresh(db, first).status == "失败"
    second = _running(db, inst, host="another-host", pid=1, heartbeat=stale)
    with app.test_request_context("/"):
        health._recover_once(state)  # once per process
    assert _fresh(db, second).status == "导入中"

    assert run_setup()["import_jobs_recovered"] == 1
    assert _fresh(db, second).status == "失败"


def test_a_job_running_in_this_process_is_not_taken_for_dead(app, db, fake_runner, monkeypatch):  # noqa: F811
    """Its owner is this very process: the job list read meanwhile (here, from inside the run) leaves it alone."""
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=3), "x.xlsx", user=_user(db))
    seen, real = [], fake_runner.run_import

    def checking(*args, **kwargs):
        seen.append((import_jobs.expire_stale(inst.id), import_jobs.recover_interrupted(restart_queued=False)))
        return real(*args, **kwargs)

    monkeypatch.setattr(fake_runner, "run_import", checking)
    assert import_jobs.run_job(job.id, app) == "已完成"
    assert seen == [(0, 0)]
