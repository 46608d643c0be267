"""运维控制台 (/ops): the operators' use-cases that are not plain dictionary edits — locked accounts, stuck import
jobs, the system's health. Each goes through the service that owns the rule (accounts, imports.jobs), so the audit
trail reads as if the operator had used the ordinary pages."""
import datetime
import os
import shutil

from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.imports import ImportJob
from app.models.security import User
from app.services import accounts
from app.services.imports import jobs
from app.services.transaction import transaction

MARKED_FAILED = "运维人员已将此任务标记为失败（任务长时间无进展）：已提交的 {n} 行已保存{detail}，未处理的 {left} 行未导入。" \
                "请重新上传原文件（已保存的行按证件号码识别）"


def _ids(values) -> list[int]:
    """The whole-number ids among a form's values (anything else names no row)."""
    return [int(v) for v in (str(v).strip() for v in values) if v.isdigit() and len(v) < 10]


def locked_clause(now=None):
    """Accounts locked now: their lock has not run out yet (a deleted account is not listed)."""
    now = now or datetime.datetime.now()
    return (User.locked_until.is_not(None)) & (User.locked_until > now) & User.deleted_at.is_(None)


def unlock_accounts(operator, user_ids) -> int:
    """解锁 the given accounts at once (accounts.unlock: the same rule and audit as 账号管理); returns how many."""
    users = list(db.session.scalars(select(User).where(User.id.in_(_ids(user_ids)))))
    with transaction():
        for user in users:
            accounts.unlock(operator, user)
    return len(users)


def mark_failed(job_ids) -> int:
    """A job left 排队中 / 导入中 with no progress: 失败 with the counts committed so far (as the recovery does)."""
    done = 0
    with transaction():
        for job in db.session.scalars(select(ImportJob).where(ImportJob.id.in_(_ids(job_ids)))):
            if job.status not in jobs.ACTIVE:
                raise DomainError(f"导入任务 {job.id} 的状态是“{job.status}”，只有排队中或导入中的任务可标记为失败")
            jobs._interrupt(job, MARKED_FAILED)
            done += 1
    return done


def requeue(job_ids) -> int:
    """重新排队: a 排队中 job is handed to the runner again (the claim makes a duplicate start harmless); a 失败 job
    whose workbook is still kept starts over from the first row."""
    chosen = list(db.session.scalars(select(ImportJob).where(ImportJob.id.in_(_ids(job_ids)))))
    with transaction():
        for job in chosen:
            if job.status == jobs.RUNNING:
                raise DomainError(f"导入任务 {job.id} 正在导入，不能重新排队；长时间无进展请先标记为失败")
            if job.status in (jobs.DONE, jobs.PARTIAL):
                raise DomainError(f"导入任务 {job.id} 已经结束（{job.status}），不能重新排队")
            if job.status == jobs.FAILED:
                if not job.upload_path or not os.path.exists(jobs.absolute_path(job.upload_path)):
                    raise DomainError(f"导入任务 {job.id} 的原文件已不在，不能重新排队，请机构重新上传")
                job.status = jobs.QUEUED
                for key in ("processed", *jobs.COUNTS):
                    setattr(job, key, 0)
                job.message = None
                job.started_at = job.finished_at = job.heartbeat_at = None
    for job in chosen:
        jobs.start_job(job.id)
    return len(chosen)


def disk_space(path: str) -> dict:
    usage = shutil.disk_usage(path)
    return {"path": path, "total": usage.total, "used": usage.used, "free": usage.free,
            "free_percent": round(usage.free * 100 / usage.total, 1) if usage.total else 0}


def health(config) -> list[tuple[str, bool, str]]:
    """(item, ok, detail) for the console's 系统状态 page: database, Redis, the import queue, disk space."""
    from app.services.database import database_ok

    rows = [("数据库", database_ok(), "连接正常" if database_ok() else "无法连接")]
    url = config.get("REDIS_URL")
    if url:
        try:
            from redis import Redis

            connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            connection.ping()
            rows.append(("Redis", True, "连接正常"))
            if jobs.uses_queue():
                from rq import Queue, Worker

                queue = Queue(jobs.RQ_QUEUE, connection=connection)
                workers = Worker.count(connection=connection, queue=queue)
                rows.append(("导入队列", workers > 0, f"排队 {queue.count} 个，工作进程 {workers} 个"))
        except Exception as exc:  # shown, not raised: this page is where an operator looks when something is down
            rows.append(("Redis", False, f"无法连接：{exc.__class__.__name__}"))
    else:
        rows.append(("Redis", True, "未配置（REDIS_URL 为空），导入任务在网站进程内运行"))
    waiting = db.session.scalar(select(func.count()).select_from(ImportJob).where(ImportJob.status.in_(jobs.ACTIVE)))
    rows.append(("导入任务", True, f"排队中或导入中 {waiting} 个"))
    folder = config.get("UPLOAD_FOLDER") or "."
    os.makedirs(folder, exist_ok=True)
    disk = disk_space(folder)
    gb = 1024 ** 3
    rows.append(("磁盘空间", disk["free_percent"] >= 10,
                 f"{folder}：可用 {disk['free'] / gb:.1f} GB / 共 {disk['total'] / gb:.1f} GB（{disk['free_percent']}%）"))
    return rows
