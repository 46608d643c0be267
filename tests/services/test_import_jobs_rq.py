"""Import jobs through RQ (services/imports/jobs.py with IMPORT_JOB_RUNNER="rq"), against the real Redis that CI starts:
a job is queued, a worker runs it (in this process, or as the documented commands in a subprocess), a work horse that
dies mid-job leaves no job 导入中 forever, and an unreachable Redis falls back to a thread.

Redis: a database of this test run only (tests/services/rq_redis.py: REDIS_URL's when it names one other than 0, else
a free one of 14…1, 15 claimed for the run); each test empties the "imports" queue and its registries before and after. The app's database is the test database, as everywhere."""
import datetime
import io
import os
import signal
import subprocess
import sys
import threading
import urllib.parse

import pytest
from sqlalchemy import func, select

from app import worker as app_worker
from app.models.people import KeyGroup, Person
from app.services.imports import jobs as import_jobs
from tests.services import rq_redis
from tests.services.test_import_jobs import (  # noqa: F401 (fixture)
    FakeRunner,
    _fresh,
    _inst,
    _ready,
    _real_workbook,
    _user,
    fake_runner,
    fake_workbook,
)

PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_redis_url = rq_redis.redis_url


def _clear(queue):
    queue.empty()
    for registry in (queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry):
        for rq_id in registry.get_job_ids():
            registry.remove(rq_id, delete_job=True)


@pytest.fixture
def queue(app, monkeypatch):
    """The app switched to RQ on the test Redis database; yields the (empty) "imports" queue."""
    from redis import Redis
    from rq import Queue

    url = _redis_url()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "rq")
    # Whatever a test sets up for the workers is undone afterwards.
    monkeypatch.setattr(app_worker, "_worker_app", None)
    monkeypatch.setattr(app_worker, "_worker_pid", None)
    connection = Redis.from_url(url)
    q = Queue(import_jobs.RQ_QUEUE, connection=connection)
    _clear(q)
    yield q
    _clear(q)
    connection.close()


def _work(worker):
    """worker.work(burst=True) in this process; rq installs SIGINT/SIGTERM handlers, put pytest's back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return worker.work(burst=True, logging_level="WARNING")
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _simple_worker(queue):
    from rq import SimpleWorker

    return SimpleWorker([queue], connection=queue.connection)


def _people(db, prefix="作业测试"):
    return db.session.scalar(select(func.count(Person.id)).where(Person.name.like(f"{prefix}%")))


def test_runner_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/15")
    for mode, expected in (("thread", "thread"), ("auto", "rq"), ("", "rq"), ("rq", "rq"), (" RQ ", "rq")):
        monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", mode)
        assert import_jobs.runner_of(app) == expected, mode
    assert import_jobs.uses_queue(app) is True

    monkeypatch.setattr(import_jobs, "_rq_importable", lambda: False)  # rq not installed
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "auto")
    assert import_jobs.runner_of(app) == "thread"
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "rq")
    with pytest.raises(RuntimeError, match="需要设置 REDIS_URL 并安装 rq"):
        import_jobs.runner_of(app)
    monkeypatch.undo()

    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "auto")
    assert import_jobs.runner_of(app) == "thread" and import_jobs._rq_queue(app) is None
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "rq")
    with pytest.raises(RuntimeError, match="需要设置 REDIS_URL"):
        import_jobs.runner_of(app)
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "workers")
    with pytest.raises(RuntimeError, match="IMPORT_JOB_RUNNER='workers' 无效"):
        import_jobs.runner_of(app)


def test_tests_run_jobs_in_threads_even_with_redis_url(app, db, queue, fake_runner, monkeypatch):  # noqa: F811
    """TestConfig says "thread": with REDIS_URL set (the PostgreSQL CI run) nothing is queued for a worker."""
    import config

    assert config.TestConfig.IMPORT_JOB_RUNNER == "thread" and config.Config.IMPORT_JOB_RUNNER in ("auto", "thread", "rq")
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "thread")
    job = import_jobs.create_job(_inst(db), "basic", fake_workbook(rows=2), "t.xlsx")
    started = import_jobs.start_job(job.id)
    assert isinstance(started, threading.Thread)
    assert import_jobs.wait(job.id, 30) and queue.count == 0
    assert _fresh(db, job.id).status == "已完成"


def test_job_is_queued_then_run_by_a_worker(app, db, queue, monkeypatch):
    from rq.job import Job

    monkeypatch.setattr(app_worker, "_worker_app", app)  # the worker runs jobs on the test database
    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 3, dept_name, post_name), "基本信息.xlsx",
                                 user=_user(db))
    rq_job = import_jobs.start_job(job.id)
    assert isinstance(rq_job, Job) and rq_job.func_name == "app.worker.run_job_rq"
    assert rq_job.args == (job.id,) and rq_job.timeout == import_jobs.RQ_JOB_TIMEOUT
    assert queue.count == 1 and queue.job_ids == [rq_job.id]
    assert job.id not in import_jobs._threads
    assert _fresh(db, job.id).status == "排队中" and _people(db) == 0

    assert _work(_simple_worker(queue)) is True
    job = _fresh(db, job.id)
    assert (job.status, job.total, job.processed, job.created, job.failed) == ("已完成", 3, 3, 3, 0)
    assert job.started_at and job.finished_at and job.username == "inst_admin"
    assert _people(db) == 3
    assert queue.count == 0
    assert rq_job.get_status() == "finished" and rq_job.return_value(refresh=True) == "已完成"


def test_upload_page_queues_the_job_and_the_status_follows_the_worker(app, db, queue, login_as, fake_runner,  # noqa: F811
                                                                       monkeypatch):
    from app.views import imports as views
    from tests.conftest import csrf_token

    monkeypatch.setattr(app_worker, "_worker_app", app)
    monkeypatch.setattr(views, "INLINE_WAIT_SECONDS", 0.5)  # nobody runs it while the request waits
    c = login_as("inst_admin")
    data = {"csrf_token": csrf_token(c, "/imports/upload/basic"), "file": (io.BytesIO(fake_workbook(rows=5)), "队列.xlsx")}
    resp = c.post("/imports/upload/basic", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302 and "/imports/jobs/" in resp.headers["Location"]
    job_id = int(resp.headers["Location"].rsplit("job-", 1)[1])
    page = c.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已转入后台导入" in page and f'id="job-{job_id}"' in page and "排队中" in page
    assert c.get(f"/imports/job/{job_id}/status").get_json()["status"] == "排队中"
    assert queue.count == 1 and fake_runner.calls == []

    assert _work(_simple_worker(queue)) is True
    status = c.get(f"/imports/job/{job_id}/status").get_json()
    assert (status["status"], status["created"], status["percent"], status["final"]) == ("已完成", 5, 100, True)
    assert fake_runner.calls[0]["user"] == "inst_admin"


def test_unreachable_redis_runs_the_job_in_a_thread(app, db, fake_runner, monkeypatch, caplog):  # noqa: F811
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "rq")
    job = import_jobs.create_job(_inst(db), "basic", fake_workbook(rows=4), "无队列.xlsx", user=_user(db))
    started = import_jobs.start_job(job.id)
    assert isinstance(started, threading.Thread)
    started.join(30)
    job = _fresh(db, job.id)
    assert (job.status, job.created, job.total) == ("已完成", 4, 4)
    assert f"could not enqueue import job {job.id}; running it in a thread" in caplog.text


class KillingRunner(FakeRunner):
    """The fake engine, except that a forked work horse is killed (as by the OOM killer) after row `kill_at`."""

    def __init__(self, kill_at):
        super().__init__()
        self.kill_at, self.parent = kill_at, os.getpid()

    def run_import(self, *args, progress=None, **kwargs):
        def reporting(processed, total):
            progress(processed, total)
            if processed == self.kill_at and os.getpid() != self.parent:  # never the test process itself
                os.kill(os.getpid(), signal.SIGKILL)

        return super().run_import(*args, progress=reporting, **kwargs)


@pytest.mark.parametrize("kind", ["imports worker", "plain rq worker"])
def test_work_horse_killed_mid_job(app, db, queue, monkeypatch, kind):
    """A forking worker whose horse dies after two committed batches: `imports worker` fails the job at once with the
    committed rows; under a plain `rq worker` the job list does (the job's owner, the horse, is gone from this host)."""
    from rq import Worker

    import app.services.imports as package

    monkeypatch.setattr(import_jobs, "BATCH_SIZE", 20)
    killing = KillingRunner(kill_at=45)
    monkeypatch.setitem(sys.modules, "app.services.imports.runner", killing)
    monkeypatch.setattr(package, "runner", killing, raising=False)
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=50), "被中断.xlsx", user=_user(db))
    rq_job = import_jobs.start_job(job.id)
    db.session.commit()
    if kind == "imports worker":
        worker = app_worker.rq_worker(app)
        assert app_worker._worker_app is app and app_worker._worker_pid == os.getpid()
    else:
        monkeypatch.setattr(app_worker, "_worker_app", app)
        monkeypatch.setattr(app_worker, "_worker_pid", os.getpid())
        worker = Worker([queue], connection=queue.connection)

    _work(worker)
    assert rq_job.get_status() == "failed"
    job = _fresh(db, job.id)
    # Batches of 20: rows 1-40 were committed by the horse with their progress, 41-45 died with it.
    assert (job.processed, job.total) == (40, 50)
    assert db.session.scalar(select(KeyGroup.id).where(KeyGroup.name == f"导入{job.id}-40")) is not None
    assert db.session.scalar(select(KeyGroup.id).where(KeyGroup.name == f"导入{job.id}-41")) is None
    if kind == "imports worker":
        assert job.status == "失败" and job.failed == 10 and job.finished_at is not None
        assert job.message.startswith("导入时发生系统错误，已中止：已提交的 40 行已保存")
    else:
        assert job.status == "导入中" and job.owner_pid not in (None, os.getpid())
        assert import_jobs.expire_stale(inst.id) == 1  # its owner process (the horse) is gone from this host
        job = _fresh(db, job.id)
        assert job.status == "失败" and job.failed == 10 and "已提交的 40 行已保存" in job.message
    assert import_jobs.status_dict(job)["interrupted"] is True


def test_recovery_with_rq_leaves_live_jobs_to_their_worker(app, db, queue, fake_runner, monkeypatch):  # noqa: F811
    inst = _inst(db)
    live = import_jobs.create_job(inst, "basic", fake_workbook(rows=900), "live.xlsx")
    dead = import_jobs.create_job(inst, "basic", fake_workbook(rows=900), "dead.xlsx")
    queued = import_jobs.create_job(inst, "basic", fake_workbook(rows=3), "queued.xlsx")
    now = datetime.datetime.now()
    for job, heartbeat in ((live, now), (dead, now - import_jobs.STALE_AFTER - datetime.timedelta(minutes=1))):
        job.status, job.total, job.processed, job.started_at, job.heartbeat_at = "导入中", 900, 200, heartbeat, heartbeat
    db.session.commit()

    assert import_jobs.recover_interrupted() == 2
    assert _fresh(db, live.id).status == "导入中"  # its worker is alive (fresh heartbeat)
    dead = _fresh(db, dead.id)
    assert dead.status == "失败" and dead.message.startswith("导入进程已停止（服务重启或进程被结束），导入中断：已提交的 200 行已保存")
    assert _fresh(db, queued.id).status == "排队中" and queue.count == 1  # queued again, for a worker

    monkeypatch.setattr(app_worker, "_worker_app", app)
    assert _work(_simple_worker(queue)) is True
    assert _fresh(db, queued.id).status == "已完成"


def test_worker_command_refuses_when_jobs_do_not_use_the_queue(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_JOB_RUNNER", "thread")
    result = app.test_cli_runner().invoke(args=["imports", "worker", "--burst"])
    assert result.exit_code == 2
    assert "不需要工作进程" in result.output


COMMANDS = {
    "flask imports worker": ["-m", "flask", "--app", "run.py", "imports", "worker", "--burst"],
    "rq worker": ["-m", "rq.cli", "worker", "imports", "--url", "{url}", "--burst"],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(COMMANDS))
def test_documented_worker_commands_run_a_queued_job(app, db, queue, _database, command):
    """The commands an operator starts (README), from the project directory with the app's environment."""
    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 3, dept_name, post_name), "命令.xlsx",
                                 user=_user(db))
    import_jobs.start_job(job.id)
    assert queue.count == 1
    db.session.commit()
    db.engine.dispose()  # SQLite: no connection of this process holds the file while the worker writes

    url = _redis_url()
    env = {k: v for k, v in os.environ.items() if k not in ("IMPORT_JOB_RUNNER", "FLASK_APP")}
    env.update(DATABASE_URL=_database.url, REDIS_URL=url, UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"])
    args = [sys.executable] + [a.format(url=url) for a in COMMANDS[command]]
    done = subprocess.run(args, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]

    job = _fresh(db, job.id)
    assert (job.status, job.total, job.created) == ("已完成", 3, 3), (job.message, done.stderr[-3000:])
    assert _people(db) == 3 and queue.count == 0
    # Run once: the worker process did not "recover" the queued job and enqueue it a second time.
    assert queue.finished_job_registry.count == 1 and queue.failed_job_registry.count == 0


def test_two_test_runs_get_two_redis_databases(queue):
    """Two runs at once must not empty each other's queue: a second claim skips the database this run holds."""
    from redis import Redis

    mine = _redis_url()
    assert queue.connection.get(rq_redis.CLAIM_KEY) is not None  # this run's database is marked
    other = rq_redis._claim(urllib.parse.urlsplit(mine)._replace(path="/0").geturl())
    try:
        assert other != mine and rq_redis._db_of(other) != 0
    finally:
        connection = Redis.from_url(other)
        connection.delete(rq_redis.CLAIM_KEY)
        connection.close()
