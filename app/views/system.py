"""系统管理: audit trail, dictionaries, regions."""
from flask import current_app, redirect, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from markupsafe import Markup, escape

from app.models.audit import AuditLog
from app.models.dictionary import DictItem
from app.models.org import Region
from app.security import pages
from app.security.filters import AppInterface
from app.security.tenancy import VIEW_METHOD_PERMISSIONS, SafeRoutesMixin, TenantModelView
from app.services.audit import ACTION_LABELS
from app.services.audit_labels import entity_label, field_label
from app.services.dictionaries import TYPE_LABELS
from app.views.concurrency import VersionedEditMixin
from app.views.display import DisplayMixin, changes_table


class AuditLogView(TenantModelView):
    """操作日志: who changed what; an institution sees its own rows, a region its subtree, operators all."""

    datamodel = AppInterface(AuditLog)
    class_permission_name = pages.AUDIT_LOG.resource
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "record": "read"}
    base_permissions = pages.AUDIT_LOG.permissions
    list_title = show_title = pages.AUDIT_LOG.label
    list_columns = ["at", "username", "client_addr", "action", "entity", "entity_id"]
    show_columns = ["at", "username", "client_addr", "action", "entity", "entity_id", "changes"]
    search_columns = ["at", "username", "client_addr", "action", "entity", "entity_id"]
    label_columns = {
        "at": "时间", "username": "操作人", "client_addr": "来源地址", "action": "操作", "entity": "数据类别",
        "entity_id": "记录编号", "changes": "变更内容", "institution_id": "机构编号", "user_id": "操作人编号",
    }
    base_order = ("id", "desc")
    formatters_columns = {
        "action": lambda v: ACTION_LABELS.get(v, v),
        "entity": entity_label,
        "changes": changes_table,
    }

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """变更内容 names the fields in Chinese: the column names depend on the row's entity."""
        table = item.entity

        def name_of(column):
            return field_label(table, column) or column

        def value_of(column, value):
            # 机构信息变更记录 lists changed institution columns as values
            if table == "institution_field_history" and column == "field" and isinstance(value, str):
                return field_label("institution", value) or value
            return value

        def record_link(entity_id):
            if not entity_id:
                return ""
            url = url_for("AuditLogView.record", entity=table, entity_id=entity_id)
            return Markup(f'{escape(entity_id)} <a href="{escape(url)}" class="record-history">修改记录</a>')

        widgets = widgets or {}
        widgets["show"] = self.show_widget(
            pk=pk, label_columns=self.label_columns, include_columns=self.show_columns,
            value_columns=self.datamodel.get_values_item(item, self.show_columns),
            formatters_columns={**self.formatters_columns, "entity_id": record_link,
                                "changes": lambda changes: changes_table(changes, name_of, value_of)},
            actions=actions or self.actions, fieldsets=show_fieldsets or self.show_fieldsets,
            modelview_name=self.__class__.__name__)
        return widgets

    @expose("/record/<entity>/<entity_id>")
    @has_access
    def record(self, entity, entity_id):
        """修改记录: every entry of one record, newest first — the list filtered to it, so the caller's scope (own
        institution / region) and the masking apply as on the list. Record pages link here (history_url)."""
        return redirect(history_url(self, entity, entity_id))


def history_url(view, entity, entity_id) -> str:
    """The 操作日志 list filtered to one record (entity = table name, entity_id): FAB's search-filter arguments use
    the index of the 等于 operation among the column's filters."""
    args = {}
    for column, value in (("entity", entity), ("entity_id", str(entity_id))):
        index = next(i for i, flt in enumerate(view._filters.get_search_filters()[column])
                     if type(flt).__name__ == "FilterEqual")
        args[f"_flt_{index}_{column}"] = value
    return url_for("AuditLogView.list", **args)


def history_link(entity, entity_id, css="btn btn-default btn-sm") -> Markup:
    """The "修改记录" link of a record page (templates: `{{ history_link("person", person.id) }}`), to the record's
    entries of 操作日志 — shown only to a user holding 操作日志 (the list it opens is scoped like the page)."""
    if not entity_id or not current_app.appbuilder.sm.has_access("can_read", pages.AUDIT_LOG.resource):
        return Markup("")
    url = url_for("AuditLogView.record", entity=entity, entity_id=entity_id)
    return Markup(f'<a class="{escape(css)} record-history" href="{escape(url)}"><i class="fa fa-history"></i> 修改记录</a>')


class DictItemView(SafeRoutesMixin, VersionedEditMixin, DisplayMixin, ModelView):
    """数据字典 (operators): names, order and 停用 of code values; codes are national and fixed."""

    datamodel = AppInterface(DictItem)
    class_permission_name = pages.DICTIONARY.resource
    method_permission_name = VIEW_METHOD_PERMISSIONS
    base_permissions = pages.DICTIONARY.permissions
    list_title = show_title = pages.DICTIONARY.label
    edit_title = "修改字典项"
    add_title = "新增字典项"
    list_columns = ["type", "code", "name", "order", "active"]
    show_columns = ["type", "code", "name", "order", "active", "extra"]
    add_columns = ["type", "code", "name", "order", "active"]
    edit_columns = ["name", "order", "active"]
    search_columns = ["type", "code", "name", "active"]
    label_columns = {"type": "字典类型", "code": "代码", "name": "名称", "order": "序号", "active": "启用",
                     "extra": "附加信息"}
    base_order = ("type", "asc")
    page_size = 50
    formatters_columns = {"type": lambda v: f"{TYPE_LABELS.get(v, v)}（{v}）"}


class RegionView(SafeRoutesMixin, DisplayMixin, ModelView):
    """行政区划 (operators): the GB/T 2260 tree."""

    datamodel = AppInterface(Region)
    class_permission_name = pages.REGIONS.resource
    method_permission_name = VIEW_METHOD_PERMISSIONS
    base_permissions = pages.REGIONS.permissions
    list_title = show_title = pages.REGIONS.label
    list_columns = ["code", "name", "level", "parent"]
    show_columns = list_columns
    search_columns = ["code", "name", "level"]
    label_columns = {"code": "区划代码", "name": "名称", "level": "级别（1 省 2 市 3 区县）", "parent": "上级",
                     "children": "下级", "path": "路径", "version": "版本号"}
    base_order = ("code", "asc")


class OpsLinkView(BaseView):
    """运维控制台: the 系统管理 menu entry that opens the operators' console at /ops (app/ops, Flask-Admin), which
    checks the same right on every page."""

    route_base = "/opslink"
    class_permission_name = pages.OPS.resource
    method_permission_name = {"index": "read"}
    base_permissions = pages.OPS.permissions
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return redirect("/ops/")
