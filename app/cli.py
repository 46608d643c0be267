"""flask commands. They call services only."""
import contextlib
import json
import time

import click
from flask import current_app
from sqlalchemy import event

from app.extensions import appbuilder, db
from app.services import audit, dictionaries, drugs, emergency_reports, emergency_supplies, pdf, posts, seed


def run_setup(demo: bool = False, people: int = 0, org: bool = False, font: bool = True) -> dict:
    """Migrate to the newest schema, create roles and permissions, load dictionaries, seed. Idempotent.

    font=False leaves the PDF font to the caller (`python run.py` converts it in the background)."""
    from flask_migrate import upgrade

    from app.security.roles import sync_roles

    upgrade()
    if font:
        pdf.ensure_font()  # once per machine (half a minute): no request then waits for the font conversion
    result = {}
    with audit.acting_as("系统初始化"):
        sync_roles(appbuilder)
        result["dictionary_rows"] = dictionaries.load_dictionaries()
        result["regions"] = dictionaries.load_regions()
        result["drugs"] = drugs.load_drugs()
        result["standard_posts"] = posts.seed_standard_posts()
        result["emergency_indicators"] = emergency_reports.load_indicators()
        result["supply_items"] = emergency_supplies.load_items()
        if demo or people or org:
            result.update(seed.seed_demo())
        if org:
            departments, posts_ = seed.seed_org(seed.demo_institution())
            result["org"] = {"departments": len(departments), "posts": len(posts_)}
        if people:
            started = time.perf_counter()
            result["people_created"] = seed.seed_people(people)
            result["people_seconds"] = round(time.perf_counter() - started, 2)
    from app.services.imports import jobs as import_jobs

    # Jobs left 导入中 by a process that is gone end 失败 (queued ones are started by the server on first use).
    result["import_jobs_recovered"] = import_jobs.recover_interrupted(restart_queued=False)
    db.session.remove()
    return result


def register_cli(app):
    @app.cli.command("setup")
    @click.option("--demo", is_flag=True, help="创建演示区域、机构与账号")
    @click.option("--people", type=int, default=0, help="在江夏区演示机构生成 N 名合成人员（含 --org）")
    @click.option("--org", is_flag=True,
                  help="为江夏区演示机构初始化部门并建立已映射标准岗位的岗位（导入人员前所需；演示数据本身不含）")
    def setup_command(demo, people, org):
        """迁移数据库、加载字典、（可选）生成演示数据。可重复执行。"""
        result = run_setup(demo=demo, people=people, org=org)
        click.echo(json.dumps(result, ensure_ascii=False))
        if demo or org:
            click.echo(demo_accounts_text(current_app))

    import sys

    from app.services.imports.columns import SETS

    @app.cli.group("people")
    def people_group():
        """人员信息的导入模板、导出与批量导入（基本信息及各类详细信息）。"""

    set_choice = click.Choice(list(SETS))
    set_help = "信息类别：" + "，".join(f"{k}={v}" for k, v in SETS.items())

    def institution_or_exit(code):
        from sqlalchemy import select

        from app.models.org import Institution

        inst = db.session.scalar(select(Institution).where(Institution.code == code))
        if inst is None:
            click.echo(f"机构代码 {code} 不存在", err=True)
            sys.exit(2)
        return inst

    @people_group.command("template")
    @click.option("--institution", "code", required=True, help="机构代码（统一社会信用代码）")
    @click.option("--set", "set_key", required=True, type=set_choice, help=set_help)
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件")
    def people_template(code, set_key, output):
        """生成本机构某类信息的导入模板。"""
        from app.services.imports import template

        data = template.build_template(institution_or_exit(code), set_key)
        with open(output, "wb") as fh:
            fh.write(data)
        click.echo(output)

    @people_group.command("export")
    @click.option("--institution", "code", required=True, help="机构代码（统一社会信用代码）")
    @click.option("--set", "set_key", required=True, type=set_choice, help=set_help)
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件")
    def people_export(code, set_key, output):
        """按导入模板的格式导出本机构某类信息的现有数据（可直接再导入）。"""
        from app.services.imports import export

        data = export.export_set(institution_or_exit(code), set_key)
        with open(output, "wb") as fh:
            fh.write(data)
        click.echo(output)

    @people_group.command("import")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--institution", "code", required=True, help="机构代码（统一社会信用代码）")
    @click.option("--set", "set_key", required=True, type=set_choice, help=set_help)
    @click.option("--update", is_flag=True, help="更新已存在的数据（不勾选时已存在的记录跳过）")
    @click.option("--report", "report_path", type=click.Path(dir_okay=False), help="有失败行时把错误报告写到此文件")
    def people_import(file, code, set_key, update, report_path):
        """导入填好的模板，输出一行 JSON；文件无法导入时退出码为 2，原因写到标准错误。"""
        from app.domain.errors import DomainError
        from app.services.imports import runner

        inst = institution_or_exit(code)
        try:
            with audit.acting_as("命令行导入"):
                result = runner.run_import(inst, set_key, file, update_existing=update)
        except DomainError as exc:
            click.echo(exc.message, err=True)
            sys.exit(2)
        if report_path and result.report:
            with open(report_path, "wb") as fh:
                fh.write(result.report)
        click.echo(json.dumps(result.summary(), ensure_ascii=False))

    @app.cli.group("transfers")
    def transfers_group():
        """调动申请（申请调入）。"""

    @transfers_group.command("expire")
    def transfers_expire():
        """将超过 30 天未处理的调动申请记为“已过期”（可每日定时运行）。"""
        from app.services import transfers

        with audit.acting_as("调动申请过期"):
            click.echo(f"已过期 {transfers.expire()} 条调动申请")

    @app.cli.group("imports")
    def imports_group():
        """批量导入的后台任务。"""

    @imports_group.command("worker")
    @click.option("--burst", is_flag=True, help="处理完队列中已有的任务后退出")
    def imports_worker(burst):
        """运行导入任务的工作进程（RQ，连接 REDIS_URL 的 imports 队列）；可运行多个。"""
        from app.worker import rq_worker

        try:
            worker = rq_worker(current_app._get_current_object())
        except RuntimeError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        worker.work(burst=burst)

    @imports_group.command("purge")
    @click.option("--days", type=click.IntRange(min=0), default=None,
                  help="保留天数（默认取 IMPORT_KEEP_DAYS；0 表示不删除）")
    def imports_purge(days):
        """删除导入结束超过保留天数的任务的上传文件和错误报告（保留导入记录和统计），输出一行 JSON。"""
        from app.services.imports import jobs as import_jobs

        if days is None:
            days = int(current_app.config.get("IMPORT_KEEP_DAYS") or 0)
        purged = import_jobs.purge_old_files(days)
        db.session.remove()
        click.echo(json.dumps({"days": days, "jobs_purged": purged}, ensure_ascii=False))

    @app.cli.command("audit-archive")
    @click.option("--before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
                  help="归档此日期（不含）之前的操作日志，格式 YYYY-MM-DD；不得晚于 6 个月前的今天")
    @click.option("--folder", default=None,
                  help="归档文件目录（默认 instance/audit_archive）；文件为 gzip 压缩的 JSON Lines，每行一条日志")
    def audit_archive(before, folder):
        """将早于 --before 的操作日志写入压缩文件后再从数据库删除（同一事务，写文件失败则不删除），输出条数与文件。"""
        import os

        from app.domain.errors import DomainError
        from app.services import audit_viewer

        folder = folder or os.path.join(current_app.instance_path, "audit_archive")
        try:
            count, path = audit_viewer.archive(before.date(), folder)
        except DomainError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        finally:
            db.session.remove()
        if count:
            click.echo(f"已归档 {count} 条操作日志（{before:%Y-%m-%d} 之前）到 {path}，并已从数据库删除")
        else:
            click.echo(f"{before:%Y-%m-%d} 之前没有操作日志，未生成文件")


def prepare_run(app) -> str:
    """What `python run.py` does before it serves: setup, with the demo data when the database is empty, and the
    PDF font conversion started in the background (the first page must not wait for it; a certification letter
    asked for meanwhile waits or answers 请稍候). Returns the demo accounts text to print."""
    from sqlalchemy import inspect, select

    from app.models.org import Institution

    with app.app_context():
        empty = "institution" not in inspect(db.engine).get_table_names() or db.session.scalar(
            select(Institution.id).limit(1)) is None
        with _unsynced_sqlite(db.engine, empty):
            run_setup(demo=empty, font=False)
    pdf.prepare_font(app.instance_path)
    return demo_accounts_text(app)


@contextlib.contextmanager
def _unsynced_sqlite(engine, fresh: bool):
    """On a fresh SQLite database, setup's few hundred commits (FAB commits every permission) skip the fsync: on a
    busy disk that was several seconds of the first start, and a crash then loses nothing (setup simply runs
    again). The pool is emptied afterwards, so the server's connections have SQLite's default durability."""
    if not (fresh and engine.dialect.name == "sqlite"):
        yield
        return

    def unsynced(dbapi_connection, _record, _proxy):
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    event.listen(engine, "checkout", unsynced)
    try:
        yield
    finally:
        event.remove(engine, "checkout", unsynced)
        db.session.remove()
        engine.dispose()


def demo_accounts_text(app) -> str:
    lines = [f"演示账号（密码 {seed.DEMO_PASSWORD}）："]
    for username, nickname, role, *_rest, demo_pw in seed.DEMO_ACCOUNTS:
        pw = "" if demo_pw else f"（默认密码 {app.config['DEFAULT_PASSWORD']}，首次登录须修改）"
        lines.append(f"  {username:<12} {role:<6} {nickname}{pw}")
    return "\n".join(lines)
