"""The import worker's start: the app an RQ job runs with (start layer, beside create_app and app/cli.py).

The import service (services/imports/jobs.py) enqueues `run_job_rq` by name and runs a job with the app it is
given (`jobs.run_job(job_id, app)`); it never builds an app. This module does:

- `rq_worker(app)`: the worker of `flask --app run.py imports worker` (app/cli.py), queue "imports" at the app's
  REDIS_URL; every job runs with this app in a work horse forked per job, and a horse that dies mid-job fails its
  ImportJob at once (`_horse_killed`).
- `run_job_rq(job_id)`: the entry point of an RQ job in the work horse; under a plain `rq worker imports --url …`
  (started from the project directory) it builds the app from the environment once per process (`_app_for_job`).
"""
import functools
import logging
import os
import threading

from app.extensions import db
from app.services.imports import jobs

log = logging.getLogger(__name__)

_worker_app = None  # the app RQ jobs run with in this process: set by `rq_worker()`, else built on first use
_worker_pid = None  # the process that set it (a work horse forked from it must not share its database connections)


def run_job_rq(job_id: int):
    """Entry point of an RQ job (jobs.RQ_FUNC), in the work horse the worker forks for it."""
    return jobs.run_job(job_id, _app_for_job())


def _app_for_job():
    global _worker_app, _worker_pid
    if _worker_app is None:
        _worker_app, _worker_pid = _build_worker_app(), os.getpid()
    elif _worker_pid is not None and _worker_pid != os.getpid():
        # Forked from the worker process: its pooled connections are the parent's. Drop them without closing.
        with _worker_app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
        _worker_pid = os.getpid()
    return _worker_app


def _build_worker_app():
    """The app of a plain `rq worker` work horse: from the environment like the web server's, without a server's
    start-up chores (a worker neither recovers the server's jobs nor renders PDFs)."""
    from app import create_app
    from config import Config

    class WorkerConfig(Config):
        RECOVER_IMPORT_JOBS = False
        PDF_WARM_UP = False

    return create_app(WorkerConfig)


def rq_worker(app):
    """The RQ worker of `flask --app run.py imports worker`: queue "imports" at the app's REDIS_URL, every job run
    with this app in a work horse forked per job; a horse that dies mid-job fails its ImportJob at once. RuntimeError
    when this app's jobs do not go through RQ (no worker is needed then)."""
    global _worker_app, _worker_pid
    if jobs.runner_of(app) != "rq":
        raise RuntimeError("导入任务不经过队列（需要设置 REDIS_URL，且 IMPORT_JOB_RUNNER 不为 thread），"
                           "由网站进程的后台线程执行，不需要工作进程")
    from rq import Worker

    # Nothing may hold a lock when the worker forks: let the start-up PDF warm-up (app/__init__.py) finish first.
    for thread in threading.enumerate():
        if thread.name == "pdf-warm-up":
            thread.join(120)
    _worker_app, _worker_pid = app, os.getpid()
    worker = Worker([jobs.RQ_QUEUE], connection=jobs.redis_connection(app, socket_connect_timeout=10),
                    work_horse_killed_handler=functools.partial(_horse_killed, app))
    # Start-up: RQ's registry cleanup (abandoned jobs → FailedJobRegistry), then the job rows follow it, and jobs
    # whose process is gone end 失败 now rather than when somebody opens the job list.
    try:
        worker.clean_registries()
    except Exception:  # Redis may come back later: the worker serves anyway
        log.exception("RQ registry cleanup at worker start failed")
    try:
        with app.app_context():
            try:
                jobs.recover_interrupted(restart_queued=False)
            finally:
                db.session.remove()
    except Exception:  # the database may come back later: the worker serves anyway
        log.exception("import job recovery at worker start failed")
    return worker


def _horse_killed(app, rq_job, retpid, ret_val, rusage) -> None:
    """rq's hook in the worker process when a work horse died before finishing its job (killed, out of memory, over
    the job timeout): the ImportJob ends 失败 now with the rows committed, instead of 导入中 until expire_stale."""
    try:
        if rq_job.func_name != jobs.RQ_FUNC or not rq_job.args:
            return
        with app.app_context():
            try:
                jobs.fail_lost(int(rq_job.args[0]), jobs.CRASHED)
            finally:
                db.session.remove()
    except Exception:  # an exception here would stop the worker
        log.exception("could not mark the import of RQ job %s as failed", getattr(rq_job, "id", "?"))
