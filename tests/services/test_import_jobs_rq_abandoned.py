"""Issue 18 item 2: a job whose RQ worker and work horse were both killed (kill -9) follows what happened within
seconds — with real Redis and real forking RQ worker processes:

- the horse ran on this host: a newly started worker (`app.worker.rq_worker`, as `imports worker` starts it) sees at
  start-up that the job's owner process is gone and fails it;
- the horse ran elsewhere: once RQ's registry cleanup has moved the job to its FailedJobRegistry (AbandonedJobError),
  opening the job list fails it, with a message saying the worker was killed.

Either way: 失败 with the counts committed (equal to the rows in the database), no mention of an error report.
Redis: this test run's database (tests/services/rq_redis.py), the "imports" queue emptied before and after."""
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, update

from app.models.imports import ImportJob
from app.models.people import Person
from app.services.imports import jobs as import_jobs
from tests.services import rq_redis
from tests.services.test_import_jobs import _fresh, _inst, _ready, _real_workbook, _user

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.slow

# A forking RQ worker as `imports worker` builds it, with small batches and a pause after each one so the test can
# kill it mid-job. argv[1]: "burst" to exit once the queue is empty.
WORKER = r"""
import sys, time
import config
from app import create_app
from app.worker import rq_worker
from app.services.imports import jobs as import_jobs
from app.services.imports import runner

class Cfg(config.Config):
    PDF_WARM_UP = False
    RECOVER_IMPORT_JOBS = False

app = create_app(Cfg)
import_jobs.BATCH_SIZE = 2
real = runner._update

def slow(*args, **kwargs):
    real(*args, **kwargs)
    time.sleep(1)

runner._update = slow
rq_worker(app).work(burst=sys.argv[1] == "burst", logging_level="WARNING")
"""


_redis_url = rq_redis.redis_url


@pytest.fixture
def queue(app, monkeypatch):
    from redis import Redis
    from rq import Queue

    url = _redis_url()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "rq")
    connection = Redis.from_url(url)
    q = Queue(import_jobs.RQ_QUEUE, connection=connection)

    def clear():
        q.empty()
        for registry in (q.started_job_registry, q.finished_job_registry, q.failed_job_registry):
            for rq_id in registry.get_job_ids(cleanup=False):
                q.connection.delete(q.job_class.key_for(rq_id))
            q.connection.delete(registry.key)

    clear()
    yield q
    clear()
    connection.close()


def _start_worker(env, mode, log):
    return subprocess.Popen([sys.executable, "-c", WORKER, mode], cwd=PROJECT_DIR, env=env, stdout=log, stderr=log,
                            start_new_session=True)


def _wait(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"not within {seconds} s: {what}")


@pytest.mark.parametrize("where", ["this host: a new worker starts", "another host: RQ's registry, the job list"])
def test_worker_and_work_horse_killed(app, db, queue, _database, login_as, tmp_path, where):
    inst = _inst(db)
    inst_id = inst.id
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 12, dept_name, post_name), "被结束.xlsx",
                                 user=_user(db))
    job_id = job.id
    import_jobs.start_job(job_id)
    db.session.commit()
    db.engine.dispose()  # SQLite: no connection of this process holds the file while the worker writes

    env = {k: v for k, v in os.environ.items() if k not in ("IMPORT_JOB_RUNNER", "FLASK_APP")}
    env.update(DATABASE_URL=_database.url, REDIS_URL=_redis_url(), UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"])
    log = open(tmp_path / "worker.log", "w")
    worker = _start_worker(env, "work", log)
    try:
        def two_batches():
            row = _fresh(db, job_id)
            return row if row.status == "导入中" and (row.created or 0) >= 4 and row.owner_pid else None

        horse = _wait(two_batches, 90, "the work horse commits two batches").owner_pid
        assert horse != worker.pid
        os.kill(worker.pid, signal.SIGKILL)  # the worker first, so nobody is left to notice the horse
        os.kill(horse, signal.SIGKILL)
        worker.wait(10)
        _wait(lambda: not os.path.exists(f"/proc/{horse}") or open(f"/proc/{horse}/stat").read().split()[2] == "Z",
              10, "the work horse is gone")
        db.session.remove()
        assert _fresh(db, job_id).status == "导入中"

        if where.startswith("this host"):
            started = time.monotonic()
            new = _start_worker(env, "burst", log)  # its start-up fails the job whose owner is gone
            assert new.wait(120) == 0, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() - started < 120
            expected = "导入进程已停止（服务重启或进程被结束），导入中断：已提交的 "
        else:
            db.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(owner_host="worker-host-2"))
            db.session.commit()
            c = login_as("inst_admin")
            assert "导入中" in c.get("/imports/jobs/").get_data(as_text=True)  # a live job elsewhere: left alone
            assert _fresh(db, job_id).status == "导入中"
            # What a worker started after RQ's heartbeat timeout does first: abandoned jobs → FailedJobRegistry.
            queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
            assert import_jobs.rq_job_id(job_id) in queue.failed_job_registry.get_job_ids()
            assert c.get("/imports/jobs/").status_code == 200  # the job list follows RQ's registry
            expected = "导入的工作进程被结束（队列已将任务记为中断），导入中断：已提交的 "

        job = _fresh(db, job_id)
        saved = db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == inst_id))
        assert job.status == "失败" and job.finished_at is not None
        assert job.message.startswith(expected), job.message
        assert saved >= 4 and job.created == saved  # the committed count, equal to the rows in the database
        assert f"已提交的 {job.processed} 行已保存（新增 {saved} 行）" in job.message
        assert job.failed == 12 - job.processed and "错误报告" not in job.message
        assert import_jobs.status_dict(job)["interrupted"] is True
    finally:
        for proc in (worker,):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
