"""运维控制台 (/ops): the operators' use-cases that are not plain dictionary edits — locked accounts, stuck import
jobs, the system's health. Each goes through the service that owns the rule (accounts, imports.jobs), so the audit
trail reads as if the operator had used the ordinary pages."""
import datetime
import os
import shutil

from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
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


# ---- 上传文件 and 定期清理 (read from the tables that name a stored file, sizes from disk) ----

STORAGE_ROWS_CAP = 500  # institutions shown on the page; the totals count every file
MISSING_CAP = 100  # missing files listed by name
PURGE_ROWS_CAP = 200  # jobs listed per table on 定期清理


def _stored_references():
    """(institution_id, relative path, what it is) for every file a row names: photos, detail attachments, probation
    attachments, institution files, 机构信息修改 files, 实名认证 images and import workbooks. Only the path columns are
    read (JSON attachment lists included: their paths are inside the JSON)."""
    from app.models import people, workflow
    from app.models.org import InstitutionFile
    from app.models.security import RealNameCertification

    s = db.session
    for column, label in ((people.Person.photo_path, "人员照片"), (people.Person.photo_thumb, "人员照片")):
        for inst, path in s.execute(select(people.Person.institution_id, column).where(column.is_not(None))):
            yield inst, path, label
    for inst, path in s.execute(select(InstitutionFile.institution_id, InstitutionFile.path)):
        yield inst, path, "机构附件"
    for column in (RealNameCertification.front_path, RealNameCertification.back_path, RealNameCertification.scan_path):
        for inst, path in s.execute(select(RealNameCertification.institution_id, column).where(column.is_not(None))):
            yield inst, path, "实名认证材料"
    json_sources = [(m, m.attachments, "明细附件") for m in people._DetailMixin.__subclasses__()]
    json_sources += [(people.Probation, people.Probation.attachments, "试用期附件"),
                     (workflow.ChangeRequest, workflow.ChangeRequest.files, "机构信息修改材料")]
    for model, column, label in json_sources:
        for inst, files in s.execute(select(model.institution_id, column).where(column.is_not(None))):
            for item in files or []:
                if isinstance(item, dict):
                    for key in ("path", "thumb"):
                        if item.get(key):
                            yield inst, item[key], label
    for column in (ImportJob.upload_path, ImportJob.report_path):
        for inst, path in s.execute(select(ImportJob.institution_id, column).where(column.is_not(None))):
            yield inst, path, "导入文件"


def _file_size(path: str, label: str) -> int | None:
    """The size on disk of a referenced file; None when it is missing (or its path is not one we write)."""
    from app.services import storage

    try:
        target = jobs.absolute_path(path) if label == "导入文件" else storage.absolute_path(path)
        return os.path.getsize(target)
    except (OSError, DomainError):
        return None


def storage_summary() -> dict:
    """上传文件: per institution the number of distinct files its rows name and their total size read from disk
    (a file shared by rows of one institution counts once), the missing ones flagged; overall totals count each stored
    file once. Institution rows are sorted by size and capped at STORAGE_ROWS_CAP, missing files at MISSING_CAP."""
    from app.models.org import Institution

    seen: dict[tuple, str] = {}
    for inst, path, label in _stored_references():
        seen.setdefault((inst, path), label)
    sizes: dict[str, int | None] = {}
    per: dict = {}
    missing = []
    for (inst, path), label in seen.items():
        if path not in sizes:
            sizes[path] = _file_size(path, label)
        size = sizes[path]
        row = per.setdefault(inst, {"institution_id": inst, "files": 0, "bytes": 0, "missing": 0})
        row["files"] += 1
        if size is None:
            row["missing"] += 1
            missing.append({"institution_id": inst, "path": path, "label": label})
        else:
            row["bytes"] += size
    ids = [i for i in per if i is not None]
    names = dict(db.session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all()) \
        if ids else {}
    rows = sorted(per.values(), key=lambda r: (-r["bytes"], -r["files"], r["institution_id"] or 0))
    for row in rows:
        row["name"] = names.get(row["institution_id"], "未归属机构" if row["institution_id"] is None else "（已删除）")
    for item in missing:
        item["name"] = names.get(item["institution_id"], "未归属机构")
    present = [v for v in sizes.values() if v is not None]
    return {"rows": rows[:STORAGE_ROWS_CAP], "institutions": len(rows), "files": len(sizes),
            "bytes": sum(present), "missing_count": len(sizes) - len(present),
            "missing": sorted(missing, key=lambda m: (m["name"], m["path"]))[:MISSING_CAP]}


def human_size(n: int) -> str:
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _job_files_size(job) -> int | None:
    total, found = 0, False
    for path in (job.upload_path, job.report_path):
        if path:
            size = _file_size(path, "导入文件")
            if size is not None:
                total, found = total + size, True
    return total if found else None


def purge_overview(days: int, now: datetime.datetime | None = None) -> dict:
    """定期清理: the finished jobs whose files are past IMPORT_KEEP_DAYS (still on disk, with the date they fell due
    and their size) and the jobs whose files were removed. `days` <= 0: nothing is ever due."""
    now = now or datetime.datetime.now()
    finished = func.coalesce(ImportJob.finished_at, ImportJob.created_at)
    has_files = (ImportJob.upload_path.is_not(None)) | (ImportJob.report_path.is_not(None))
    due = []
    if days > 0:
        cutoff = now - datetime.timedelta(days=days)
        for job in db.session.scalars(select(ImportJob).where(ImportJob.status.in_(jobs.FINAL), finished < cutoff,
                                                              has_files).order_by(finished).limit(PURGE_ROWS_CAP)):
            ended = job.finished_at or job.created_at
            due.append({"job": job, "due": ended + datetime.timedelta(days=days), "size": _job_files_size(job)})
    purged = list(db.session.scalars(select(ImportJob).where(ImportJob.files_purged_days.is_not(None))
                                     .order_by(ImportJob.id.desc()).limit(PURGE_ROWS_CAP)))
    kept = db.session.scalar(select(func.count()).select_from(ImportJob).where(has_files)) or 0
    from app.models.org import Institution

    ids = {d["job"].institution_id for d in due} | {j.institution_id for j in purged}
    names = dict(db.session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all()) \
        if ids else {}
    return {"days": days, "names": names, "due": due, "purged": [{"job": j, "due": (j.finished_at or j.created_at)
                                                  + datetime.timedelta(days=j.files_purged_days)} for j in purged],
            "kept": kept - len(due)}


def purge_now(operator, days: int) -> int:
    """立即清理到期文件: the import jobs service's own purge (`purge_old_files`, audited as it always is, each job's
    paths cleared), plus one audit row naming the operator and how many jobs lost their files."""
    from app.services import audit

    if days <= 0:
        raise DomainError("导入文件保留天数（IMPORT_KEEP_DAYS）为 0：导入文件随任务一直保留，没有到期文件可清理")
    n = jobs.purge_old_files(days)
    actor = audit.current_actor()
    row = audit.log_row("import_job", None, None, "update", {"立即清理到期导入文件（任务数）": [None, n],
                                                             "保留天数": [None, days]}, actor, datetime.datetime.now())
    with transaction() as session:
        session.execute(AuditLog.__table__.insert(), [row])
    return n
