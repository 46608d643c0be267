"""The console's pages: dictionaries and catalogues (edit name / order / 启用), import jobs, locked accounts, the
audit trail and the system's health. Declarative where Flask-Admin allows; every change goes through the session
(audited by services/audit.py) or the service that owns the rule (services/ops_console.py)."""
from flask import current_app, flash, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import filters as f
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from app.domain.errors import DomainError
from app.models.audit import AuditLog
from app.models.dictionary import DictItem
from app.models.emergency_supplies import RESOURCES
from app.models.imports import ImportJob
from app.models.security import User
from app.ops.base import OpsModelView, OpsPage, record_key
from app.services import audit_viewer, ops_console
from app.services.audit import ACTION_LABELS
from app.services.audit_labels import entity_label
from app.services.dictionaries import TYPE_LABELS
from app.services.emergency_reports import KINDS
from app.services.imports.columns import SETS
from app.services.imports.jobs import ACTIVE, FINAL

ACTIVE_LABELS = {"active": "启用"}


def _yes_no(view, context, model, name):
    return "是" if getattr(model, name) else "否"


def _type_choices():
    return sorted(((code, f"{label}（{code}）") for code, label in TYPE_LABELS.items()), key=lambda p: p[1])


class DictionaryOps(OpsModelView):
    """数据字典: every dictionary type; filter by type, edit name / order / 启用 in the list or the form, add."""

    column_list = ["type", "code", "name", "order", "active"]
    column_labels = {"type": "字典类型", "code": "代码", "name": "名称", "order": "序号", **ACTIVE_LABELS}
    column_default_sort = [("type", False), ("order", False), ("code", False)]
    column_searchable_list = ["code", "name"]
    column_editable_list = ["name", "order", "active"]
    column_formatters = {"type": lambda v, c, m, n: f"{TYPE_LABELS.get(m.type, m.type)}（{m.type}）"}
    column_formatters_export = {"type": lambda v, c, m, n: TYPE_LABELS.get(m.type, m.type)}
    form_columns = ["type", "code", "name", "order", "active"]
    form_choices = {"type": _type_choices()}

    @property
    def column_filters(self):
        return [f.FilterEqual(DictItem.type, "字典类型", options=_type_choices()),
                f.FilterLike(DictItem.name, "名称"), f.BooleanEqualFilter(DictItem.active, "启用")]

    form_args = {"code": {"filters": [lambda v: v.strip() if isinstance(v, str) else v]},
                 "name": {"filters": [lambda v: v.strip() if isinstance(v, str) else v]}}

    def edit_form(self, obj=None):
        form = super().edit_form(obj)
        del form.type  # a code is national and fixed; only its name, order and 启用 change
        del form.code
        return form

    def validate_form(self, form):
        ok = super().validate_form(form)
        if ok and getattr(form, "code", None) is not None and getattr(form, "type", None) is not None:
            dtype, code = form.type.data, form.code.data
            taken = self.session.scalar(select(DictItem.id).where(DictItem.type == dtype, DictItem.code == code))
            if taken is not None:
                form.code.errors = [*form.code.errors,
                                    f"字典类型“{TYPE_LABELS.get(dtype, dtype)}”中已有代码“{code}”，代码不能重复"]
                return False
        return ok


class RegionOps(OpsModelView):
    """行政区划 (GB/T 2260): read, correct a name."""

    can_create = False
    column_list = ["code", "name", "level", "parent"]
    column_labels = {"code": "区划代码", "name": "名称", "level": "级别（1 省 2 市 3 区县）", "parent": "上级"}
    column_searchable_list = ["code", "name"]
    column_default_sort = "code"
    form_columns = ["name"]


class StandardPostOps(OpsModelView):
    """标准岗位 of every region: read, edit name / 类别 / 启用."""

    can_create = False
    column_list = ["region", "code", "name", "category", "active"]
    column_labels = {"region": "所属区域", "code": "代码", "name": "名称", "category": "岗位类别", **ACTIVE_LABELS}
    column_searchable_list = ["code", "name"]
    column_default_sort = "code"
    form_columns = ["name", "category", "active"]
    form_choices = {"category": [(c, c) for c in ("专业技术岗", "管理岗", "工勤技能岗")]}


class DrugOps(OpsModelView):
    """药品字典 (spec 5.3): read, edit; the 拼音缩写 follows the name."""

    can_create = False
    column_list = ["code", "name", "abbreviation", "dosage_form", "spec", "unit", "category", "active"]
    column_labels = {"code": "编码", "name": "药品名称", "abbreviation": "拼音缩写", "dosage_form": "剂型",
                     "spec": "规格", "unit": "单位", "category": "类别", **ACTIVE_LABELS}
    column_searchable_list = ["code", "name", "abbreviation"]
    column_editable_list = ["active"]
    column_default_sort = "code"
    form_columns = ["name", "dosage_form", "spec", "unit", "category", "active"]

    def on_model_change(self, form, model, is_created):
        from app.services.drugs import abbreviation

        model.abbreviation = abbreviation(model.name)


class SupplyItemOps(OpsModelView):
    """物资目录 and the 药械 device / reagent catalogue (spec 5.5, 5.6): read, edit."""

    can_create = False
    column_list = ["resource", "code", "category", "name", "spec", "unit", "order", "active"]
    column_labels = {"resource": "资源", "code": "编码", "category": "类别", "name": "名称", "spec": "规格型号",
                     "unit": "计量单位", "order": "序号", **ACTIVE_LABELS}
    column_formatters = {"resource": lambda v, c, m, n: RESOURCES.get(m.resource, m.resource)}
    column_searchable_list = ["code", "name"]
    column_editable_list = ["name", "order", "active"]
    column_default_sort = "code"
    form_columns = ["name", "spec", "unit", "order", "active"]


class IndicatorOps(OpsModelView):
    """应急上报指标 of each report kind: read, edit name / unit / order / 启用."""

    can_create = False
    column_list = ["kind", "code", "name", "total_code", "unit", "order", "active"]
    column_labels = {"kind": "上报类型", "code": "指标代码", "name": "指标名称", "total_code": "所属总数指标",
                     "unit": "单位", "order": "序号", **ACTIVE_LABELS}
    column_formatters = {"kind": lambda v, c, m, n: KINDS.get(m.kind, m.kind)}
    column_searchable_list = ["code", "name"]
    column_editable_list = ["name", "order", "active"]
    column_default_sort = [("kind", False), ("order", False)]
    form_columns = ["name", "unit", "order", "active"]


class ImportJobOps(OpsModelView):
    """导入任务 of every institution: status and counts; mark a stuck job 失败, put a job in the queue again."""

    can_create = can_edit = False
    can_view_details = True
    column_list = ["id", "institution", "username", "set_key", "filename", "status", "total", "processed",
                   "created", "updated", "skipped", "failed", "created_at", "finished_at"]
    column_details_list = column_list + ["started_at", "heartbeat_at", "owner_host", "owner_pid", "upload_path",
                                         "report_path", "message"]
    column_labels = {"id": "任务号", "institution": "机构", "username": "上传人", "set_key": "信息类别",
                     "filename": "文件名", "status": "状态", "total": "总行数", "processed": "已处理", "created": "新增",
                     "updated": "更新", "skipped": "跳过", "failed": "失败行", "created_at": "上传时间",
                     "finished_at": "结束时间", "started_at": "开始时间", "heartbeat_at": "最近心跳",
                     "owner_host": "运行主机", "owner_pid": "进程号", "upload_path": "原文件", "report_path": "错误报告",
                     "message": "说明", "unchanged": "无变化", "warnings": "提醒"}
    column_formatters = {"set_key": lambda v, c, m, n: SETS.get(m.set_key, m.set_key)}
    column_default_sort = ("id", True)
    column_searchable_list = ["filename", "username"]

    @property
    def column_filters(self):
        return [f.FilterEqual(ImportJob.status, "状态", options=[(s, s) for s in (*ACTIVE, *FINAL)]),
                f.IntEqualFilter(ImportJob.institution_id, "机构编号")]

    @action("mark_failed", "标记为失败", "确定将所选的排队中或导入中任务标记为失败？")
    def mark_failed(self, ids):
        _run(lambda: ops_console.mark_failed(ids), "已将 {n} 个导入任务标记为失败")

    @action("requeue", "重新排队", "确定将所选任务重新排队导入？失败的任务将从第一行重新导入。")
    def requeue(self, ids):
        _run(lambda: ops_console.requeue(ids), "已将 {n} 个导入任务重新排队")


class LockedAccountOps(OpsModelView):
    """被锁定的账号 (too many failed logins): unlock one or many (services.accounts.unlock)."""

    can_create = can_edit = False
    column_list = ["username", "nickname", "institution", "region", "locked_until", "fail_login_count", "last_login"]
    column_labels = {"username": "账号", "nickname": "昵称", "institution": "机构", "region": "区域",
                     "locked_until": "锁定至", "fail_login_count": "连续失败次数", "last_login": "最近登录"}
    column_searchable_list = ["username", "nickname"]
    column_export_list = column_list
    column_default_sort = ("locked_until", True)

    def get_query(self):
        return super().get_query().filter(ops_console.locked_clause())

    def get_count_query(self):
        return super().get_count_query().filter(ops_console.locked_clause())

    def get_one(self, id):
        key = record_key(id)
        return None if key is None else self.get_query().filter(User.id == key).first()

    @action("unlock", "解锁", "确定解锁所选账号？")
    def unlock(self, ids):
        _run(lambda: ops_console.unlock_accounts(current_user._get_current_object(), ids), "已解锁 {n} 个账号")


def _run(step, done):
    try:
        n = step()
    except DomainError as exc:
        flash(str(exc), "error")
    else:
        flash(done.format(n=n), "success")


LIST_LINES = 4  # fields a list row shows; the entry's page shows them all


def _changes_cell(view, context, model, name, limit=LIST_LINES):
    lines = audit_viewer.change_lines(model.entity, model.changes)
    if not lines:
        return ""
    more = len(lines) - limit if limit and len(lines) > limit else 0
    lines = lines[:limit] if more else lines
    rows = "".join(f"<tr><td>{escape(n)}</td><td>{escape(o)}</td><td>→</td><td>{escape(v)}</td></tr>"
                   for n, o, v in lines)
    tail = f'<tr><td colspan="4">…另 {more} 项，见详情</td></tr>' if more else ""
    return Markup(f'<table class="table table-sm table-borderless mb-0 ops-changes">{rows}{tail}</table>')


class AuditOps(OpsModelView):
    """审计日志: every entry of the trail, filtered by user, institution, entity, action, time and record; each
    field old → new in Chinese; export of the filtered range. Read-only: no route edits or deletes a row."""

    can_create = can_edit = can_delete = False
    can_view_details = True
    action_disallowed_list = ["delete"]
    column_list = ["at", "username", "client_addr", "institution_id", "action", "entity", "entity_id", "changes"]
    column_details_list = ["id", "at", "user_id", "username", "client_addr", "institution_id", "action", "entity",
                           "entity_id", "changes"]
    column_labels = {"id": "编号", "at": "时间", "user_id": "操作人编号", "username": "操作人", "client_addr": "来源地址",
                     "institution_id": "机构编号", "action": "操作", "entity": "数据类别", "entity_id": "记录编号",
                     "changes": "变更内容（字段：原值 → 新值）"}
    column_sortable_list = ["at", "username", "institution_id", "entity"]
    column_default_sort = ("id", True)
    column_formatters = {"at": lambda v, c, m, n: f"{m.at:%Y-%m-%d %H:%M:%S}",
                         "action": lambda v, c, m, n: ACTION_LABELS.get(m.action, m.action),
                         "entity": lambda v, c, m, n: entity_label(m.entity), "changes": _changes_cell}
    column_formatters_detail = {**column_formatters,
                                "changes": lambda v, c, m, n: _changes_cell(v, c, m, n, limit=None)}
    column_formatters_export = {"action": lambda v, c, m, n: ACTION_LABELS.get(m.action, m.action),
                                "entity": lambda v, c, m, n: entity_label(m.entity),
                                "changes": lambda v, c, m, n: audit_viewer.change_text(m.entity, m.changes)}
    export_types = ["xlsx", "csv"]
    page_size = 30

    @property
    def column_filters(self):
        return [f.FilterLike(AuditLog.username, "操作人"), f.IntEqualFilter(AuditLog.user_id, "操作人编号"),
                f.IntEqualFilter(AuditLog.institution_id, "机构编号"),
                f.FilterEqual(AuditLog.entity, "数据类别", options=audit_viewer.entity_choices()),
                f.FilterEqual(AuditLog.action, "操作", options=audit_viewer.action_choices()),
                f.DateTimeBetweenFilter(AuditLog.at, "时间"), f.DateTimeGreaterFilter(AuditLog.at, "时间"),
                f.DateTimeSmallerFilter(AuditLog.at, "时间"), f.FilterEqual(AuditLog.entity_id, "记录编号")]


class HealthOps(OpsPage):
    """系统状态: database, Redis, the import queue, disk space."""

    @expose("/")
    def index(self):
        rows = ops_console.health(current_app.config)
        return self.render("ops/health.html", rows=rows, healthy=all(ok for _, ok, _ in rows))


class StorageOps(OpsPage):
    """上传文件 (read only): the stored files each institution's rows name, their count and size read from disk."""

    @expose("/")
    def index(self):
        summary = ops_console.storage_summary()
        return self.render("ops/storage.html", s=summary, size=ops_console.human_size,
                           cap=ops_console.STORAGE_ROWS_CAP)


class PurgeOps(OpsPage):
    """定期清理: import files past IMPORT_KEEP_DAYS (due / removed) and 立即清理到期文件 (the jobs service's purge)."""

    def _days(self):
        return int(current_app.config.get("IMPORT_KEEP_DAYS") or 0)

    @expose("/")
    def index(self):
        overview = ops_console.purge_overview(self._days())
        return self.render("ops/purge.html", o=overview, size=ops_console.human_size, sets=SETS)

    @expose("/run/", methods=("POST",))
    def run(self):
        _run(lambda: ops_console.purge_now(current_user._get_current_object(), self._days()),
             "已清理 {n} 个到期导入任务的文件")
        return redirect(url_for(".index"))
