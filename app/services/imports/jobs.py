"""Batch import jobs (spec 4.2.4 (7)): one `ImportJob` row per uploaded workbook, run by the import engine
(`app.services.imports.runner`) outside the request, with live progress, final counts and the error workbook.

Where a job runs (IMPORT_JOB_RUNNER, see `runner_of`):
- "thread", or "auto" without REDIS_URL or without the `rq` package: a daemon thread of the web process (waitress,
  as `python run.py` serves). Jobs of one process run one at a time (SQLite has one writer); the others wait 排队中.
  Several web processes (gunicorn -w N) may each run jobs: a job's owner and heartbeat keep one process from
  failing another's live job.
- "rq", or "auto" with REDIS_URL set and `rq` importable: the job is enqueued to RQ (queue "imports"). A worker
  (`flask --app run.py imports worker`, or plain `rq worker imports --url $REDIS_URL` from the project directory)
  runs `app.worker.run_job_rq` in a work horse forked per job: the worker's app is built there, in the start layer
  (app/worker.py), and handed to `run_job`; this module never builds an app. If Redis cannot be reached the job
  runs in a thread instead of staying 排队中.

Small files: the upload request creates the job, starts it and waits (`wait_small`) while the engine has reported
at most IMPORT_BACKGROUND_ROWS rows; as soon as it reports more (or after a few seconds) the request returns and the
job goes on in the background. So there is one code path, and the row count (not the file size) decides.

Progress is written by a Core UPDATE through the engine's own session, so it is committed together with the batch
it describes: `processed` never claims rows that a crash rolled back. The same process also keeps the latest figure
in memory (`_live`) so the progress bar moves between commits.

Owner and heartbeat: the process running a job stores itself (`owner_host`, `owner_pid`) when it claims the job, and
keeps `heartbeat_at` fresh — with each committed batch and from a timer every HEARTBEAT_EVERY seconds. A 导入中 job
is taken for dead (`_is_dead`) only when its owner is a process of this host that no longer exists, or its
heartbeat is older than STALE_AFTER; a live job of another web worker or RQ work horse is never touched. The counts
(created, updated, …) are stored with the batches they count: `created` inside the transaction of the batch's
created rows (runner's `committed` hook), the others with the progress right after; a dead job ends 失败 with them.

Recovery (`recover_interrupted`) runs on first use, never at app creation (create_app touches no database): on the
first request of a web process (app/__init__.py), in `imports worker` at start and in `setup`; it fails dead
导入中 jobs and, in a web process, starts 排队中 jobs again. `expire_stale` does the same for one institution when
its job list or a job's status is read, and first follows RQ's registries (`sync_with_queue`): a job RQ moved to its
FailedJobRegistry (AbandonedJobError: worker and work horse both killed; a timeout) ends 失败 within seconds. A
worker started by `imports worker` also fails the job at once when its work horse dies (killed, out of memory).

Files live under UPLOAD_FOLDER/imports/<job id>/ (upload.xlsx, report.xlsx); the names are ours, never the user's.
They hold personal data (ID numbers, phones), so they do not stay forever: the institution deletes a finished job
(`delete_job`: its folder and its row), and `purge_old_files` removes the folder of every finished job older than
IMPORT_KEEP_DAYS (default 90; 0 = keep as long as the job), keeping the row and its counts with both paths None and
`files_purged_days` set. It runs from `flask --app run.py imports purge` and, at most once an hour per process, when
the job list is opened (`purge_if_due`). Until then the error workbook can be downloaded again and again.
"""
from __future__ import annotations

import contextlib
import datetime
import logging
import os
import re
import shutil
import socket
import threading
import time

from flask import current_app
from sqlalchemy import func, or_, select, update

from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.imports import ImportJob
from app.models.org import Institution
from app.models.security import User
from app.services import storage
from app.services.transaction import discard, transaction, transactional

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, PARTIAL, FAILED = "排队中", "导入中", "已完成", "部分成功", "失败"
FINAL = (DONE, PARTIAL, FAILED)
ACTIVE = (QUEUED, RUNNING)
BATCH_SIZE = None  # rows per engine commit: the engine's default (runner.BATCH_SIZE); also the granularity of `processed`
STALE_AFTER = datetime.timedelta(seconds=60)  # a 导入中 job whose heartbeat is older than this has died
HEARTBEAT_EVERY = 10  # seconds between the heartbeats a running job writes besides those of its batches
PREVIEW_LINES = 10  # error reasons kept in `message` for the pages
WARNING_LINES = 50  # warnings kept in `message` (all of them are in the report's 提醒 sheet when there is one)
RQ_QUEUE = "imports"
RQ_FUNC = "app.worker.run_job_rq"  # the entry point in the start layer: it builds the app a work horse runs with
RQ_JOB_TIMEOUT = 6 * 3600  # seconds; rq stops an import running longer than this (the job then fails)
RUNNERS = ("auto", "thread", "rq")
# Messages of a job that ended without its result: no error workbook exists then, so none is mentioned.
_AGAIN = "请重新上传原文件（已保存的行按证件号码识别）"
INTERRUPTED = ("导入进程已停止（服务重启或进程被结束），导入中断：已提交的 {n} 行已保存{detail}，未处理的 {left} 行未导入。"
               + _AGAIN)
ABANDONED = ("导入的工作进程被结束（队列已将任务记为中断），导入中断：已提交的 {n} 行已保存{detail}，未处理的 {left} 行未导入。"
             + _AGAIN)
CRASHED = "导入时发生系统错误，已中止：已提交的 {n} 行已保存{detail}。" + _AGAIN + "，如仍出错请联系工程师"
INTERRUPTED_PREFIXES = ("导入进程已停止", "导入的工作进程被结束", "导入时发生系统错误", "服务重启")
_RELATIVE = re.compile(r"^imports/\d+/(upload|report)\.xlsx$")
PURGE_EVERY = 3600  # seconds: the job list runs the retention purge at most this often per process

_live: dict[int, tuple[int, int]] = {}  # job id → (processed, total) reported by the engine in this process
_threads: dict[int, threading.Thread] = {}
_running: set[int] = set()  # jobs running in this process (thread, RQ work horse or a direct run_job)
_running_lock = threading.Lock()
_one_at_a_time = threading.Lock()  # thread mode: one import per process at a time
_last_purge: float | None = None  # time.monotonic() of the last `purge_if_due` run in this process
_purge_lock = threading.Lock()


def _runner():
    from app.services.imports import runner

    return runner


def set_labels() -> dict[str, str]:
    """set_key → Chinese label of every importable data set."""
    return dict(_runner().SETS)


# ---- files -------------------------------------------------------------------------------------------------------

def _root() -> str:
    root = current_app.config.get("UPLOAD_FOLDER")
    if not root:
        raise RuntimeError("UPLOAD_FOLDER is not configured")
    return root


def absolute_path(relative: str | None) -> str:
    """The absolute path of a job file; DomainError when the stored path is not one this module wrote."""
    if not relative or not _RELATIVE.match(relative):
        raise DomainError("文件不存在")
    return os.path.join(_root(), *relative.split("/"))


def _write(relative: str, content: bytes) -> None:
    storage.write_atomic(absolute_path(relative), content)


def _job_folder(job_id: int) -> str:
    return os.path.join(_root(), "imports", str(int(job_id)))


def _remove_files(job_id: int) -> None:
    """Remove the folder of a job's files (upload, error workbook, any half-written part); absent is fine."""
    folder = _job_folder(job_id)
    if os.path.isdir(folder):
        shutil.rmtree(folder)


def _read_limited(source, limit: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source[: limit + 1])
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            return fh.read(limit + 1)
    chunks, remaining = [], limit + 1
    while remaining > 0:
        chunk = source.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def clean_filename(name: str) -> str:
    """The base name as shown back to the user (never used in a path)."""
    name = re.split(r"[\\/]", str(name or ""))[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext) if dot and len(ext) <= 8 else name[:200]
    return name or "导入文件.xlsx"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


# ---- creating and starting -----------------------------------------------------------------------------------------

@transactional
def create_job(institution: Institution, set_key: str, source, filename: str, *, user=None,
               update_existing: bool = False) -> ImportJob:
    """Keep the uploaded workbook and queue its import (committed when it returns). Nothing kept when there is
    nothing to import: ValidationFailed on the field "file" (no file, too large), DomainError for an unknown set or
    a full disk. `source`: the upload's stream, bytes or a path; empty (b"", None) when no file was chosen."""
    labels = set_labels()
    if set_key not in labels:
        raise DomainError("导入的信息类别不存在")
    limit = current_app.config["IMPORT_MAX_BYTES"]
    data = _read_limited(source, limit) if source is not None else b""
    if not data:
        raise ValidationFailed([("file", "请选择要上传的文件（下载的模板填写后的 .xlsx 文件）")])
    if len(data) > limit:
        raise ValidationFailed([("file", f"文件大小超过 {_mb(limit)} 上限，请把数据分成几个文件分别导入")])
    job = ImportJob(institution_id=institution.id, user_id=getattr(user, "id", None),
                    username=getattr(user, "username", None), set_key=set_key, filename=clean_filename(filename),
                    upload_path="", update_existing=bool(update_existing), status=QUEUED)
    db.session.add(job)
    db.session.flush()
    job.upload_path = f"imports/{job.id}/upload.xlsx"
    try:
        _write(job.upload_path, data)
    except OSError as exc:  # a full disk: the clerk's message; the job row is not kept
        raise storage.storage_full(exc, "导入文件") from exc
    return job


def runner_of(app=None) -> str:
    """Where this app's import jobs run, "rq" or "thread", from IMPORT_JOB_RUNNER: "auto" (the default) takes RQ when
    REDIS_URL is set and `rq` is installed, else threads; "thread" and "rq" force one. RuntimeError for a value that
    cannot be honoured (create_app calls this, so a wrong setting stops the start, not the first upload)."""
    app = app or current_app._get_current_object()
    mode = str(app.config.get("IMPORT_JOB_RUNNER") or "auto").strip().lower()
    if mode not in RUNNERS:
        raise RuntimeError(f"IMPORT_JOB_RUNNER={mode!r} 无效：应为 auto、thread 或 rq")
    if mode == "thread":
        return "thread"
    available = bool(app.config.get("REDIS_URL")) and _rq_importable()
    if mode == "rq" and not available:
        raise RuntimeError("IMPORT_JOB_RUNNER=rq 需要设置 REDIS_URL 并安装 rq（pip install -r requirements.txt）")
    return "rq" if available else "thread"


def uses_queue(app=None) -> bool:
    return runner_of(app) == "rq"


def _rq_importable() -> bool:
    import importlib.util

    return importlib.util.find_spec("rq") is not None


def redis_connection(app, **options):
    from redis import Redis

    return Redis.from_url(app.config["REDIS_URL"], **options)


def _rq_queue(app):
    """The RQ queue of this app's jobs, or None when they run in threads (`runner_of`)."""
    if not uses_queue(app):
        return None
    from rq import Queue

    # Short timeouts: an upload request must not hang on an unreachable Redis (start_job falls back to a thread).
    return Queue(RQ_QUEUE, connection=redis_connection(app, socket_connect_timeout=5, socket_timeout=10))


def start_job(job_id: int):
    """Run the job outside the request: RQ when configured (returns the RQ job; falls back to a thread when Redis
    cannot be reached, so an upload is never stranded), else a background thread (returned)."""
    app = current_app._get_current_object()
    queue = _rq_queue(app)
    if queue is not None:
        try:
            # Started again (recovery): an earlier failure of the same RQ job must not fail it now (sync_with_queue).
            queue.failed_job_registry.remove(rq_job_id(job_id))
            rq_job = queue.enqueue(RQ_FUNC, job_id, job_id=rq_job_id(job_id), job_timeout=RQ_JOB_TIMEOUT,
                                   result_ttl=3600, failure_ttl=7 * 24 * 3600)
        except Exception:  # Redis down: run it here rather than leave it 排队中
            log.exception("could not enqueue import job %s; running it in a thread", job_id)
        else:
            _warn_without_workers(queue)
            return rq_job
    thread = threading.Thread(target=_run_in_thread, args=(app, job_id), name=f"import-job-{job_id}", daemon=True)
    _threads[job_id] = thread
    thread.start()
    return thread


def rq_job_id(job_id: int) -> str:
    """The RQ job id of an import job: fixed, so the job list can find it in RQ's registries."""
    return f"import-job-{int(job_id)}"


def _warn_without_workers(queue) -> None:
    try:
        from rq import Worker

        if Worker.count(connection=queue.connection, queue=queue) == 0:
            log.warning("import job queued but no RQ worker listens on queue %r: start `flask --app run.py imports "
                        "worker` (or set IMPORT_JOB_RUNNER=thread)", queue.name)
    except Exception:  # only a hint for the log
        log.debug("could not count RQ workers", exc_info=True)


def _run_in_thread(app, job_id):
    try:
        with _one_at_a_time:
            run_job(job_id, app)
    finally:
        _threads.pop(job_id, None)


def fail_lost(job_id: int, message: str = INTERRUPTED) -> bool:
    """The process running this job died: 失败 with the rows committed so far. False when the job had already ended."""
    from app.services import audit

    job = db.session.get(ImportJob, job_id)
    if job is None or job.status not in ACTIVE:
        return False
    with audit.acting_as("系统", "导入任务检查"), transaction():
        _interrupt(job, message)
    return True


def is_running_here(job_id: int) -> bool:
    if job_id in _running:
        return True
    thread = _threads.get(job_id)
    return thread is not None and thread.is_alive()


def wait(job_id: int, timeout: float | None = None) -> bool:
    """Wait for a job started in this process; True when it is no longer running here."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def wait_small(job_id: int, max_rows: int, timeout: float) -> ImportJob | None:
    """Wait in the request for a small import: the finished job when it had at most `max_rows` rows, or None as
    soon as it is known to be larger (or still running after `timeout` seconds) — then it goes on in the background."""
    deadline = time.monotonic() + timeout
    while True:
        live = _live.get(job_id)
        if live and live[1] > max_rows:
            return None
        if job_id in _threads:
            wait(job_id, 0.1)
            finished = not is_running_here(job_id) and job_id not in _live
        else:
            time.sleep(0.3)
            finished = True
        if finished:
            job = fresh(job_id)
            if job is not None and job.status in FINAL:
                return job if job.total <= max_rows else None
            if job is not None and job.total > max_rows:
                return None
        if time.monotonic() >= deadline:
            return None


def fresh(job_id: int) -> ImportJob | None:
    """The job as its thread or worker has committed it by now. The request's session wrote nothing since the job was
    created (create_job committed), so its read transaction and cached rows are dropped (`discard`) and the row is
    read again."""
    discard()
    return db.session.get(ImportJob, job_id)


# ---- running -------------------------------------------------------------------------------------------------------

def _job_table():
    return ImportJob.__table__


def _claim(job_id: int) -> bool:
    now = datetime.datetime.now()
    t = _job_table()
    with transaction() as session:
        result = session.execute(update(t).where(t.c.id == job_id, t.c.status == QUEUED)
                                 .values(status=RUNNING, started_at=now, heartbeat_at=now, processed=0,
                                         owner_host=socket.gethostname(), owner_pid=os.getpid()))
    return result.rowcount == 1


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat every HEARTBEAT_EVERY seconds while it runs, on a connection of its own, so a
    long batch (or a slow check) is not taken for a dead process. Failures are only logged: the next beat retries."""

    def __init__(self, app, job_id: int):
        super().__init__(name=f"import-heartbeat-{job_id}", daemon=True)
        self.app, self.job_id, self.stopped = app, job_id, threading.Event()

    def run(self):
        t = _job_table()
        while not self.stopped.wait(HEARTBEAT_EVERY):
            try:
                with self.app.app_context(), db.engine.begin() as connection:
                    connection.execute(update(t).where(t.c.id == self.job_id, t.c.status == RUNNING)
                                       .values(heartbeat_at=datetime.datetime.now()))
            except Exception:
                log.warning("import job %s: heartbeat not written", self.job_id, exc_info=True)

    def stop(self):
        self.stopped.set()


def run_job(job_id: int, app=None) -> str | None:
    """Run one queued job to its end in its own app context and session; returns the final status, or None when
    the job was not 排队中 (another process took it)."""
    app = app or current_app._get_current_object()
    with app.app_context():
        try:
            return _run(job_id, app)
        finally:
            _live.pop(job_id, None)
            db.session.remove()


def _run(job_id: int, app) -> str | None:
    # Marked before the claim: a job list read meanwhile in this process must not take the job for dead.
    with _running_lock:
        if job_id in _running:  # already being run by another thread of this process
            return None
        _running.add(job_id)
    try:
        if not _claim(job_id):
            return None
        heartbeat = _Heartbeat(app, job_id)
        heartbeat.start()
        try:
            return _run_claimed(job_id)
        finally:
            heartbeat.stop()
    finally:
        _running.discard(job_id)


def _run_claimed(job_id: int) -> str | None:
    from app.services import audit

    job = db.session.get(ImportJob, job_id)
    institution = db.session.get(Institution, job.institution_id)
    user = db.session.get(User, job.user_id) if job.user_id else None
    runner = _runner()
    t = _job_table()

    reported = {}  # the counts of the rows committed so far, as the engine reports them before each progress

    def progress(processed, total):
        processed, total = int(processed or 0), int(total or 0)
        _live[job_id] = (processed, total)
        # The engine reports between batches, right after committing one: the figures (with the counts of the rows
        # committed so far) get a short transaction of their own, so they are what is committed. Should it report
        # with ORM changes pending, they ride along in that batch's transaction instead (committed with it).
        session = db.session
        pending = bool(session.new or session.dirty or session.deleted)
        values = {key: int(reported[key] or 0) for key in COUNTS if key in reported}
        with contextlib.nullcontext() if pending else transaction():
            session.execute(update(t).where(t.c.id == job_id).values(
                processed=processed, total=total, heartbeat_at=datetime.datetime.now(), **values))

    def committed(connection, counts):
        """In the transaction of a batch's created rows: `created` is committed with the rows it counts."""
        connection.execute(update(t).where(t.c.id == job_id).values(
            created=int(counts["created"]), heartbeat_at=datetime.datetime.now()))

    try:
        with audit.acting_as(job.username or "批量导入", "后台导入任务"):
            result = runner.run_import(institution, job.set_key, absolute_path(job.upload_path),
                                       update_existing=job.update_existing, user=user, progress=progress,
                                       batch_size=BATCH_SIZE, committed=committed, counted=reported.update)
    except runner.ImportRefused as exc:
        return _finish(job_id, FAILED, message=exc.message)
    except Exception:
        log.exception("import job %s crashed", job_id)
        return _finish(job_id, FAILED, message=CRASHED, crashed=True)

    report_path = None
    if result.report:
        report_path = f"imports/{job_id}/report.xlsx"
        _write(report_path, result.report)
    preview = list(result.errors_preview or [])[:PREVIEW_LINES]
    notes = _notes_lines(result, bool(report_path), after_errors=bool(result.failed))
    if result.total == 0:
        status, message = FAILED, "文件中没有可导入的数据行，请在模板的数据行中填写后再上传"
    elif result.failed and result.failed >= result.total:
        status = FAILED
        how = "请下载错误报告，按第一列的错误原因修改后重新上传" if report_path else "请按下列错误原因修改后重新上传"
        message = "\n".join([f"全部 {result.total} 行未通过校验，{how}", *preview])
    elif result.failed:
        status, message = PARTIAL, "\n".join([*preview, *notes])
    else:
        status, message = DONE, "\n".join(notes) or None  # warnings and skipped rows, if any
    return _finish(job_id, status, message=message, result=result, report_path=report_path)


def _notes_lines(result, has_report: bool, after_errors: bool) -> list[str]:
    """The warnings (and skipped rows) for the job page: the first WARNING_LINES and how many more; after the
    errors of a 部分成功 job, under a heading that sets them apart."""
    shown = list(getattr(result, "warnings_preview", None) or [])[:WARNING_LINES]
    if not shown:
        return []
    total = len(getattr(result, "notes", None) or ()) or len(shown)
    lines = [*([f"提醒（{total} 条，请核对）："] if after_errors else []), *shown]
    if total > len(shown):
        lines.append(f"……另有 {total - len(shown)} 条提醒" + ("，完整内容见错误报告的“提醒”工作表" if has_report else ""))
    return lines


def _finish(job_id, status, *, message=None, result=None, report_path=None, crashed=False) -> str:
    from app.services import audit

    discard()  # whatever the engine left uncommitted (a batch it did not finish) is not part of the result
    job = db.session.get(ImportJob, job_id)
    if job is None:  # deleted meanwhile (only possible after expire_stale wrongly failed a live job): nothing to record
        return status
    with audit.acting_as(job.username or "批量导入", "后台导入任务"), transaction():
        job.status = status
        job.message = message
        job.finished_at = job.heartbeat_at = datetime.datetime.now()
        if result is not None:
            for key in ("total", "created", "updated", "unchanged", "skipped", "failed", "warnings"):
                setattr(job, key, int(getattr(result, key) or 0))
            job.processed = job.total
            job.report_path = report_path
        elif crashed:
            _interrupt(job, message)
            job.status = status
    return status


# ---- recovery ------------------------------------------------------------------------------------------------------

COUNTS = ("created", "updated", "unchanged", "skipped", "failed", "warnings")


def _interrupt(job: ImportJob, message: str = INTERRUPTED) -> None:
    """失败 with the counts committed so far; the rows never reached count as failed (not imported)."""
    done = sum(int(getattr(job, key) or 0) for key in ("created", "updated", "unchanged", "skipped", "failed"))
    processed = max(int(job.processed or 0), done)
    left = max(int(job.total or 0) - processed, 0)
    detail = "、".join(f"{label} {n} 行" for label, n in (("新增", job.created or 0), ("更新", job.updated or 0)) if n)
    job.status = FAILED
    job.message = message.format(n=processed, left=left, detail=f"（{detail}）" if detail else "")
    job.processed = processed
    job.failed = int(job.failed or 0) + left
    job.finished_at = datetime.datetime.now()


def _pid_alive(pid: int) -> bool:
    """The process exists and is not a zombie (a killed work horse whose parent died too may stay one)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        pass
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):  # no /proc (not Linux): it exists
        return True
    return state not in ("Z", "X")


def _is_dead(job: ImportJob, now: datetime.datetime | None = None) -> bool:
    """A 导入中 job whose process is gone: owned by a process of this host that no longer exists (or by this process,
    which does not run it), or silent for longer than STALE_AFTER. A live job of another process is never dead."""
    if is_running_here(job.id):
        return False
    if job.owner_pid and job.owner_host == socket.gethostname():
        if job.owner_pid == os.getpid() or not _pid_alive(job.owner_pid):
            return True
    last = job.heartbeat_at or job.started_at or job.created_at
    return last is None or last < (now or datetime.datetime.now()) - STALE_AFTER


def recover_interrupted(restart_queued: bool = True) -> int:
    """Jobs left 导入中 by a dead process (`_is_dead`) are marked 失败 with the counts committed, and (with
    `restart_queued`, in a web process) jobs left 排队中 are started again; the claim in run_job makes a duplicate
    start harmless. Runs on first use (the first request of a web process), in `imports worker` and in `setup`, never
    at app creation. Returns how many jobs were touched."""
    from app.services import audit

    touched = 0
    now = datetime.datetime.now()
    with audit.acting_as("系统", "导入任务检查"), transaction():
        for job in db.session.scalars(select(ImportJob).where(ImportJob.status == RUNNING)):
            if _is_dead(job, now):
                _interrupt(job)
                touched += 1
    if not restart_queued:
        return touched
    for job_id in list(db.session.scalars(select(ImportJob.id).where(ImportJob.status == QUEUED)
                                          .order_by(ImportJob.id))):
        if not is_running_here(job_id):
            start_job(job_id)
            touched += 1
    return touched


def sync_with_queue(institution_id: int | None = None) -> int:
    """With RQ: active jobs that RQ has moved to its FailedJobRegistry (a new worker's start-up cleanup found their
    worker and work horse dead: AbandonedJobError; or the job timed out) end 失败 now, with the counts committed and
    a message saying what happened. Returns how many; 0 without RQ or when Redis cannot be reached."""
    app = current_app._get_current_object()
    if not uses_queue(app):
        return 0
    stmt = select(ImportJob.id).where(ImportJob.status.in_(ACTIVE))
    if institution_id is not None:
        stmt = stmt.where(ImportJob.institution_id == institution_id)
    ids = list(db.session.scalars(stmt))
    if not ids:
        return 0
    try:
        from rq.job import Job
        from rq.registry import FailedJobRegistry

        connection = redis_connection(app, socket_connect_timeout=2, socket_timeout=5)
        registry = FailedJobRegistry(RQ_QUEUE, connection=connection)
        failed = set(registry.get_job_ids())
        lost = {}
        for job_id in ids:
            if rq_job_id(job_id) in failed:
                result = Job.fetch(rq_job_id(job_id), connection=connection).latest_result()
                info = (result.exc_string if result is not None else "") or ""
                lost[job_id] = ABANDONED if "AbandonedJobError" in info else CRASHED
    except Exception:  # Redis down: the heartbeat rule still applies
        log.warning("could not read RQ's registries", exc_info=True)
        return 0
    return sum(fail_lost(job_id, message) for job_id, message in lost.items())


def expire_stale(institution_id: int) -> int:
    """Jobs of this institution that RQ gave up (`sync_with_queue`) or whose process is gone (`_is_dead`) are marked
    失败 with the counts committed, so no job shows 导入中 forever. Called when the job list or a status is read."""
    from app.services import audit

    touched = sync_with_queue(institution_id)
    now = datetime.datetime.now()
    jobs = [j for j in db.session.scalars(select(ImportJob).where(
        ImportJob.institution_id == institution_id, ImportJob.status == RUNNING)) if _is_dead(j, now)]
    if jobs:
        with audit.acting_as("系统", "导入任务检查"), transaction():
            for job in jobs:
                _interrupt(job)
    return touched + len(jobs)


# ---- deleting and retention ----------------------------------------------------------------------------------------

def delete_job(institution_id: int, job_id: int) -> str:
    """删除 a job of this institution: its uploaded workbook and error workbook, then its row (through the ORM, so
    the audit log records it). Data already imported stays. DomainError when the job is not this institution's, or
    is still 排队中/导入中 (its files are being read). Returns the file name shown to the user."""
    job = get_job(institution_id, job_id)
    if job.status in ACTIVE or is_running_here(job.id):
        raise DomainError(f"导入任务“{job.filename}”{job.status}，不能删除；请等导入结束（已完成、部分成功或失败）后再删除")
    filename = job.filename
    with transaction() as session:  # the row goes only when its files are gone; an error keeps both
        session.delete(job)
        session.flush()  # the audit row is written with the delete, in the same transaction
        try:
            _remove_files(job_id)
        except OSError:
            log.exception("could not remove the files of import job %s", job_id)
            raise DomainError(f"删除“{filename}”的上传文件时出错，导入记录未删除；请稍后重试，如仍出错请联系工程师") from None
    _live.pop(job_id, None)
    return filename


def purge_old_files(days: int, *, now: datetime.datetime | None = None) -> int:
    """Remove the uploaded workbook and error workbook of every finished job (已完成/部分成功/失败) that finished more
    than `days` days ago; the row stays with its counts, both paths None and `files_purged_days` = days. `days` <= 0
    removes nothing (keep as long as the job). Returns how many jobs lost their files."""
    from app.services import audit

    days = int(days or 0)
    if days <= 0:
        return 0
    cutoff = (now or datetime.datetime.now()) - datetime.timedelta(days=days)
    ids = list(db.session.scalars(select(ImportJob.id).where(
        ImportJob.status.in_(FINAL), func.coalesce(ImportJob.finished_at, ImportJob.created_at) < cutoff,
        or_(ImportJob.upload_path.is_not(None), ImportJob.report_path.is_not(None))).order_by(ImportJob.id)))
    purged = 0
    with audit.acting_as("系统", "导入文件保留期限"):
        for start in range(0, len(ids), 200):
            # A transaction per 200 jobs, on purpose: a first run on years of jobs stays light, and the files already
            # removed are recorded even if a later chunk fails.
            with transaction() as session:
                for job in session.scalars(select(ImportJob).where(ImportJob.id.in_(ids[start:start + 200]))):
                    try:
                        _remove_files(job.id)
                    except OSError:  # left for the next run; the others go on
                        log.exception("could not remove the files of import job %s", job.id)
                        continue
                    job.upload_path = job.report_path = None
                    job.files_purged_days = days
                    purged += 1
    return purged


def purge_if_due() -> int:
    """`purge_old_files(IMPORT_KEEP_DAYS)` at most once per PURGE_EVERY seconds in this process (the job list calls
    it, so no scheduler is needed). Never fails the caller: an error is logged and retried at the next run."""
    global _last_purge

    days = int(current_app.config.get("IMPORT_KEEP_DAYS") or 0)
    if days <= 0:
        return 0
    with _purge_lock:
        now = time.monotonic()
        if _last_purge is not None and now - _last_purge < PURGE_EVERY:
            return 0
        _last_purge = now
    try:
        return purge_old_files(days)
    except Exception:
        log.exception("purging old import files failed")
        discard()
        return 0


# ---- reading -------------------------------------------------------------------------------------------------------

def get_job(institution_id: int, job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or job.institution_id != institution_id:
        raise DomainError("导入任务不存在")
    return job


def jobs_of(institution_id: int, *, page: int = 1, per_page: int = 20) -> tuple[list[ImportJob], int]:
    stmt = select(ImportJob).where(ImportJob.institution_id == institution_id)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def progress_of(job: ImportJob) -> tuple[int, int]:
    """(processed, total): the in-memory figure of this process when it is ahead of the last commit."""
    processed, total = job.processed or 0, job.total or 0
    live = _live.get(job.id)
    if live and job.status in ACTIVE:
        processed, total = max(processed, live[0]), max(total, live[1])
    return processed, total


def is_interrupted(job: ImportJob) -> bool:
    return job.status == FAILED and bool(job.message) and job.message.startswith(INTERRUPTED_PREFIXES)


def status_dict(job: ImportJob) -> dict:
    processed, total = progress_of(job)
    if job.status in FINAL and not is_interrupted(job) and job.total:
        percent = 100
    else:
        percent = int(processed * 100 / total) if total else 0
    return {
        "id": job.id, "status": job.status, "final": job.status in FINAL, "processed": processed, "total": total,
        "percent": min(percent, 100), "created": job.created, "updated": job.updated, "unchanged": job.unchanged,
        "skipped": job.skipped, "failed": job.failed, "warnings": job.warnings, "message": job.message or "",
        "has_report": bool(job.report_path), "interrupted": is_interrupted(job),
        "files_purged_days": job.files_purged_days or 0,
        "finished_at": job.finished_at.strftime("%Y-%m-%d %H:%M:%S") if job.finished_at else "",
    }
