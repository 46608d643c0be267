"""Import jobs (services/imports/jobs.py): lifecycle, progress committed with the batches, the error workbook, crash
and restart recovery. The engine is replaced by `FakeRunner` where a test needs to steer it (rows, failures, a crash
half-way); the real engine is exercised end to end by tests/e2e/test_imports.py."""
import datetime
import os
import re
import sys
import types

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.imports import ImportJob
from app.models.org import Institution
from app.models.people import KeyGroup, Person
from app.models.security import User
from app.services.imports import jobs as import_jobs
from app.services.imports.runner import BATCH_SIZE as ENGINE_BATCH_SIZE
from app.services.imports.runner import ImportRefused, ImportResult  # the real ones: the fake engine returns them
from app.services.seed import JIANGXIA_CODE, synthetic_id
from tests.services.test_imports import digits_as_chinese

SETS = {"basic": "基本信息", "work": "工作经历", "education": "教育经历", "title": "专业技术资格",
        "qualification": "资格证书", "practice": "执业证书", "training": "培训经历"}


def fake_workbook(rows=3, fail=0, crash_at=None, refuse=False, warn=0):
    """Bytes the fake engine understands (the real one reads xlsx); `warn`: rows imported with a warning."""
    if refuse:
        return b"REFUSE"
    return f"rows={rows} fail={fail} crash={crash_at or 0} warn={warn}".encode()


class FakeRunner(types.ModuleType):
    """Stands in for app.services.imports.runner: each row is a KeyGroup written through db.session and committed
    every batch_size rows, progress reported per row, as a real engine does."""

    SETS = SETS
    ImportRefused = ImportRefused
    ImportResult = ImportResult

    def __init__(self):
        super().__init__("app.services.imports.runner")
        self.calls = []

    def run_import(self, institution, set_key, source, *, update_existing=False, user=None, progress=None,
                   batch_size=1000, committed=None, counted=None):
        from app.extensions import db

        with open(source, "rb") as fh:
            data = fh.read()
        self.calls.append({"set_key": set_key, "update_existing": update_existing,
                           "user": user.username if user else None,
                           "batch_size": batch_size, "source": source})
        if data.startswith(b"REFUSE"):
            raise ImportRefused("不是本系统的导入模板，请重新下载模板填写")
        m = re.match(rb"rows=(\d+) fail=(\d+) crash=(\d+)(?: warn=(\d+))?", data)
        rows, fail, crash, warn = (int(v or 0) for v in m.groups())
        if progress:
            progress(0, rows)
        for i in range(1, rows + 1):
            if crash and i == crash:
                raise RuntimeError("simulated crash")
            if i > fail:
                job_dir = os.path.basename(os.path.dirname(source))  # the job id: names stay unique per job
                db.session.add(KeyGroup(institution_id=institution.id, name=f"导入{job_dir}-{i}"))
            if progress:
                progress(i, rows)
            if i % (batch_size or ENGINE_BATCH_SIZE) == 0:
                db.session.commit()
        db.session.commit()
        report = b"PK\x03\x04fake-report" if fail else None
        notes = [(i + 2, f"张{i}", "性别“男”已按“男性”导入") for i in range(fail, min(fail + warn, rows))]
        return ImportResult(total=rows, created=rows - fail, failed=fail, report=report, warnings=len(notes),
                            errors_preview=[f"第 {i + 2} 行：证件号码不正确" for i in range(min(fail, 3))],
                            warnings_preview=[f"第 {n} 行：{m}" for n, _, m in notes[:50]], notes=notes)


def test_warnings_are_listed_on_the_job_beside_the_errors(app, db, fake_runner):
    """A job with failed rows and warned rows lists both: the warnings are not lost behind the errors, and when
    there are more than the page shows it says where the rest are (the report's 提醒 sheet)."""
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=70, fail=1, warn=60), "提醒.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "部分成功"
    job = _fresh(db, job.id)
    assert (job.status, job.warnings) == ("部分成功", 60)
    lines = job.message.split("\n")
    assert lines[0] == "第 2 行：证件号码不正确"
    assert lines[1] == "提醒（60 条，请核对）："
    assert lines[2] == "第 3 行：性别“男”已按“男性”导入" and len(lines) == 2 + 50 + 1
    assert lines[-1] == "……另有 10 条提醒，完整内容见错误报告的“提醒”工作表"
    done = import_jobs.create_job(inst, "basic", fake_workbook(rows=5, warn=2), "只有提醒.xlsx", user=_user(db))
    assert import_jobs.run_job(done.id, app) == "已完成"
    done = _fresh(db, done.id)
    assert done.status == "已完成"
    assert done.message.split("\n") == ["第 2 行：性别“男”已按“男性”导入", "第 3 行：性别“男”已按“男性”导入"]


@pytest.fixture
def fake_runner(monkeypatch):
    import app.services.imports as package

    fake = FakeRunner()
    monkeypatch.setitem(sys.modules, "app.services.imports.runner", fake)
    monkeypatch.setattr(package, "runner", fake, raising=False)
    yield fake
    for job_id in list(import_jobs._threads):
        import_jobs.wait(job_id, 30)


def _inst(db):
    return db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))


def _user(db, name="inst_admin"):
    return db.session.scalar(select(User).where(User.username == name))


def _fresh(db, job_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(ImportJob, job_id)



def test_small_job_runs_to_completion_with_counts(app, db, fake_runner):
    inst = _inst(db)
    job = import_jobs.create_job(inst, "work", fake_workbook(rows=5), "C:\\文件\\工作经历.xlsx", user=_user(db),
                                 update_existing=True)
    assert job.status == "排队中" and job.filename == "工作经历.xlsx"
    assert job.upload_path == f"imports/{job.id}/upload.xlsx"
    with open(import_jobs.absolute_path(job.upload_path), "rb") as fh:
        assert fh.read() == fake_workbook(rows=5)

    assert import_jobs.run_job(job.id, app) == "已完成"
    job = _fresh(db, job.id)
    assert (job.status, job.total, job.processed, job.created, job.failed) == ("已完成", 5, 5, 5, 0)
    assert job.started_at and job.finished_at and job.heartbeat_at and job.report_path is None
    call = fake_runner.calls[0]
    assert call["update_existing"] is True and call["user"] == "inst_admin"
    assert call["batch_size"] == import_jobs.BATCH_SIZE
    assert import_jobs.status_dict(job)["percent"] == 100
    # A job is run once: a second call finds it no longer 排队中.
    assert import_jobs.run_job(job.id, app) is None


def test_failed_rows_make_a_partial_success_with_a_report_kept_on_disk(app, db, fake_runner):
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=10, fail=2), "基本信息.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "部分成功"
    job = _fresh(db, job.id)
    assert (job.total, job.created, job.failed) == (10, 8, 2)
    assert job.report_path == f"imports/{job.id}/report.xlsx"
    with open(import_jobs.absolute_path(job.report_path), "rb") as fh:
        assert fh.read().startswith(b"PK")
    assert "第 2 行：证件号码不正确" in job.message


def test_every_row_failing_is_a_failure_and_a_refused_file_too(app, db, fake_runner):
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=2, fail=2), "a.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert job.report_path and "全部 2 行未通过校验" in job.message

    job = import_jobs.create_job(inst, "basic", fake_workbook(refuse=True), "b.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert job.message == "不是本系统的导入模板，请重新下载模板填写" and job.report_path is None


def test_a_crash_keeps_the_committed_batches_and_says_how_many(app, db, fake_runner, monkeypatch):
    monkeypatch.setattr(import_jobs, "BATCH_SIZE", 200)
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=500, crash_at=450), "big.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    # Batches of 200: rows 1-400 were committed with their progress, 401-449 rolled back with theirs.
    assert job.processed == 400 and job.total == 500 and job.failed == 100
    assert "已提交的 400 行已保存" in job.message
    assert db.session.scalar(select(KeyGroup.id).where(KeyGroup.name == f"导入{job.id}-400")) is not None
    assert db.session.scalar(select(KeyGroup.id).where(KeyGroup.name == f"导入{job.id}-401")) is None
    assert import_jobs.status_dict(job)["interrupted"] is True


def test_background_thread_runs_the_job_and_reports_progress(app, db, fake_runner):
    inst = _inst(db)
    job = import_jobs.create_job(inst, "training", fake_workbook(rows=450), "培训.xlsx", user=_user(db))
    thread = import_jobs.start_job(job.id)
    assert thread is not None
    assert import_jobs.wait(job.id, 30)
    job = _fresh(db, job.id)
    assert (job.status, job.processed, job.total, job.created) == ("已完成", 450, 450, 450)


def test_wait_small_returns_a_small_job_and_gives_up_on_a_large_one(app, db, fake_runner):
    inst = _inst(db)
    small = import_jobs.create_job(inst, "basic", fake_workbook(rows=3), "s.xlsx", user=_user(db))
    import_jobs.start_job(small.id)
    done = import_jobs.wait_small(small.id, 100, 20)
    assert done is not None and done.status == "已完成"

    large = import_jobs.create_job(inst, "basic", fake_workbook(rows=300), "l.xlsx", user=_user(db))
    import_jobs.start_job(large.id)
    assert import_jobs.wait_small(large.id, 100, 20) is None
    import_jobs.wait(large.id, 30)
    assert _fresh(db, large.id).status == "已完成"


def test_upload_limits(app, db, fake_runner):
    inst = _inst(db)
    with pytest.raises(DomainError, match="请选择要上传的文件"):
        import_jobs.create_job(inst, "basic", b"", "a.xlsx")
    limit = app.config["IMPORT_MAX_BYTES"]
    with pytest.raises(DomainError, match="超过 20 MB 上限"):
        import_jobs.create_job(inst, "basic", b"x" * (limit + 1), "a.xlsx")
    with pytest.raises(DomainError, match="信息类别不存在"):
        import_jobs.create_job(inst, "nope", b"x", "a.xlsx")
    db.session.rollback()
    assert db.session.scalar(select(ImportJob.id)) is None
    with pytest.raises(DomainError):
        import_jobs.absolute_path("../../etc/passwd")


def test_recovery_restarts_queued_jobs_and_fails_interrupted_ones(app, db, fake_runner):
    inst = _inst(db)
    queued = import_jobs.create_job(inst, "basic", fake_workbook(rows=4), "queued.xlsx", user=_user(db))
    running = import_jobs.create_job(inst, "work", fake_workbook(rows=900), "running.xlsx", user=_user(db))
    # What a process killed during the third batch leaves behind: two batches committed with their counts, and a
    # heartbeat that stopped.
    running.status, running.total, running.processed, running.created = "导入中", 900, 400, 400
    running.started_at = running.heartbeat_at = datetime.datetime.now() - import_jobs.STALE_AFTER * 2
    db.session.commit()

    assert import_jobs.recover_interrupted() == 2
    for job_id in list(import_jobs._threads):
        import_jobs.wait(job_id, 30)
    running = _fresh(db, running.id)
    assert running.status == "失败" and running.finished_at is not None
    assert running.message == ("导入进程已停止（服务重启或进程被结束），导入中断：已提交的 400 行已保存（新增 400 行），"
                               "未处理的 500 行未导入。请重新上传原文件（已保存的行按证件号码识别）")
    assert "错误报告" not in running.message and running.report_path is None
    assert (running.processed, running.created, running.failed, running.total) == (400, 400, 500, 900)
    queued = _fresh(db, queued.id)
    assert queued.status == "已完成" and queued.created == 4
    # Nothing left to recover.
    assert import_jobs.recover_interrupted() == 0


def test_stale_running_job_is_expired_on_the_list(app, db, fake_runner):
    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=4), "x.xlsx", user=_user(db))
    job.status, job.total, job.processed = "导入中", 1000, 200
    job.heartbeat_at = datetime.datetime.now() - import_jobs.STALE_AFTER - datetime.timedelta(minutes=1)
    db.session.commit()
    assert import_jobs.expire_stale(inst.id) == 1
    job = _fresh(db, job.id)
    assert job.status == "失败" and "已提交的 200 行已保存" in job.message


def test_jobs_are_scoped_to_their_institution(app, db, fake_runner):
    from tests import factories

    inst = _inst(db)
    other = factories.institution()
    job = import_jobs.create_job(inst, "basic", fake_workbook(), "x.xlsx")
    assert import_jobs.get_job(inst.id, job.id).id == job.id
    with pytest.raises(DomainError):
        import_jobs.get_job(other.id, job.id)
    assert import_jobs.jobs_of(other.id) == ([], 0)


def test_cli_commands_leave_a_live_job_alone(app, db, fake_runner):
    """`setup` recovers dead jobs only: a job that just started (fresh, no owner known yet) is not touched."""
    import click

    inst = _inst(db)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=4), "x.xlsx")
    job.status = "导入中"
    db.session.commit()
    with click.Context(click.Command("setup"), info_name="setup"):
        assert import_jobs.recover_interrupted() == 0
    assert _fresh(db, job.id).status == "导入中"


# ---- with the real engine --------------------------------------------------------------------------------------------

def _ready(db, inst):
    """A department and a mapped post: what the engine needs before a 基本信息 import (spec 4.2.4 (1))."""
    from app.services import departments, posts

    dept = departments.create(inst.id, name="全科医疗科", standard_code="A03")
    post = posts.create(inst.id, name="全科医师", category="专业技术岗")
    posts.set_mapping(inst.id, post.id, posts.standard_posts_for_institution(inst.id)[0].id)
    return dept.name, post.name


def _real_workbook(inst, rows, dept_name, post_name, bad=()):
    import io

    import openpyxl

    from app.services.imports import template

    wb = openpyxl.load_workbook(io.BytesIO(template.build_template(inst, "basic")))
    ws = wb.worksheets[0]
    headers = {str(c.value).lstrip("*"): c.column for c in ws[1] if c.value}
    for i in range(1, rows + 1):
        values = {"机构名称": inst.name, "姓名": f"作业测试{digits_as_chinese(i)}", "证件类型": "居民身份证",
                  "证件号码": synthetic_id(50000 + i), "所在科室": dept_name, "岗位": post_name, "在职状态": "在岗"}
        if i in bad:
            values["所在科室"] = "没有这个科室"
        for label, value in values.items():
            ws.cell(row=i + 1, column=headers[label], value=value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_real_engine_job_lifecycle(app, db):
    from app.models.people import Person

    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    data = _real_workbook(inst, 5, dept_name, post_name, bad={2})
    job = import_jobs.create_job(inst, "basic", data, "基本信息.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "部分成功"
    job = _fresh(db, job.id)
    assert (job.total, job.processed, job.created, job.failed) == (5, 5, 4, 1)
    assert "第 3 行" in job.message and "没有这个科室" in job.message
    with open(import_jobs.absolute_path(job.report_path), "rb") as fh:
        assert fh.read(2) == b"PK"
    assert db.session.scalar(select(Person.id).where(Person.name == "作业测试一")) is not None

    # The same file again without "update existing": nothing new, the rows are skipped, the bad one fails again.
    again = import_jobs.create_job(inst, "basic", data, "基本信息.xlsx", user=_user(db))
    assert import_jobs.run_job(again.id, app) == "部分成功"
    again = _fresh(db, again.id)
    assert (again.created, again.skipped, again.failed) == (0, 4, 1)


def test_real_engine_crash_between_batches_counts_the_committed_rows(app, db, monkeypatch):
    from app.services.imports import runner

    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 5, dept_name, post_name), "x.xlsx")
    monkeypatch.setattr(import_jobs, "BATCH_SIZE", 2)
    real_insert = runner._bulk_insert
    calls = []

    def failing(*args):  # the writer thread saving the second batch
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_insert(*args)

    monkeypatch.setattr(runner, "_bulk_insert", failing)
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert (job.processed, job.total, job.failed) == (2, 5, 3)
    assert "已提交的 2 行已保存" in job.message
    assert len(db.session.scalars(select(Person).where(Person.institution_id == inst.id)).all()) == 2


def test_a_crash_while_the_writer_saves_a_batch_still_counts_that_batch(app, db, monkeypatch):
    """The main thread fails checking batch 2 while the writer thread commits batch 1: batch 1 is counted."""
    from app.services.imports import checks as checks_module

    inst = _inst(db)
    dept_name, post_name = _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", _real_workbook(inst, 5, dept_name, post_name), "x.xlsx")
    monkeypatch.setattr(import_jobs, "BATCH_SIZE", 2)
    real_check = checks_module.RowChecker.check
    calls = []

    def failing(self, batch):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("out of memory")
        return real_check(self, batch)

    monkeypatch.setattr(checks_module.RowChecker, "check", failing)
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert (job.processed, job.failed) == (2, 3) and "已提交的 2 行已保存" in job.message
    assert len(db.session.scalars(select(Person).where(Person.institution_id == inst.id)).all()) == 2


def test_real_engine_refuses_a_file_that_is_not_a_template(app, db):
    inst = _inst(db)
    _ready(db, inst)
    job = import_jobs.create_job(inst, "basic", b"just some text", "notes.xlsx", user=_user(db))
    assert import_jobs.run_job(job.id, app) == "失败"
    job = _fresh(db, job.id)
    assert job.message and job.total == 0 and job.report_path is None


def test_with_redis_the_job_is_enqueued_and_falls_back_to_a_thread(app, db, fake_runner, monkeypatch):
    class Queue:
        def __init__(self, fail=False):
            self.fail, self.enqueued = fail, []
            self.failed_job_registry = types.SimpleNamespace(remove=lambda rq_id: 0)

        def enqueue(self, func, *args, **kwargs):
            if self.fail:
                raise ConnectionError("redis down")
            self.enqueued.append((func, args))
            return "rq-job"

    inst = _inst(db)
    queue = Queue()
    monkeypatch.setattr(import_jobs, "_rq_queue", lambda app: queue)
    job = import_jobs.create_job(inst, "basic", fake_workbook(rows=2), "q.xlsx")
    assert import_jobs.start_job(job.id) == "rq-job"
    assert queue.enqueued == [("app.worker.run_job_rq", (job.id,))]
    assert _fresh(db, job.id).status == "排队中"  # a worker will take it

    queue.fail = True  # Redis unreachable: the upload is not stranded
    thread = import_jobs.start_job(job.id)
    thread.join(30)
    assert _fresh(db, job.id).status == "已完成"
